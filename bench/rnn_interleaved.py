"""LSTM and GRU, 2 layers, hidden 256, sequence 35, batch 32: forward+backward, xptorch vs torch CPU.

Rounds alternate the two libraries in one process; prints the median of the per-round ratios and
their spread (min-max). Threads: XPTORCH_BENCH_THREADS (default 1) for both libraries.

    python bench/rnn_interleaved.py [rounds]
"""
import os
import statistics
import sys
import time

THREADS = os.environ.get("XPTORCH_BENCH_THREADS", "1")
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = THREADS

import numpy as np  # noqa: E402
import torch  # noqa: E402

import xptorch  # noqa: E402

torch.set_num_threads(int(THREADS))
T, B, I, H = 35, 32, 256, 256


def make(lib, kind):
    lib.manual_seed(0)
    net = getattr(lib.nn, kind)(I, H, num_layers=2)
    x = lib.tensor(np.random.default_rng(0).standard_normal((T, B, I)).astype("float32"))
    return net, x


def step(net, x):
    out, _ = net(x)
    out.sum().backward()


def bench(kind, rounds, reps=3):
    nets = {lib: make(lib, kind) for lib in (xptorch, torch)}
    for lib, (net, x) in nets.items():
        step(net, x)
    ratios, times = [], {xptorch: [], torch: []}
    for _ in range(rounds):
        for lib in (xptorch, torch):
            net, x = nets[lib]
            t0 = time.perf_counter()
            for _ in range(reps):
                step(net, x)
            times[lib].append((time.perf_counter() - t0) / reps)
        ratios.append(times[xptorch][-1] / times[torch][-1])
    return statistics.median(times[xptorch]), statistics.median(times[torch]), statistics.median(ratios), \
        min(ratios), max(ratios)


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(f"threads={THREADS} T={T} B={B} I={I} H={H} layers=2, {rounds} interleaved rounds")
    for kind in ("LSTM", "GRU"):
        x, t, r, lo, hi = bench(kind, rounds)
        print(f"{kind}: xptorch {x * 1e3:.1f} ms, torch {t * 1e3:.1f} ms, ratio median {r:.2f} (spread {lo:.2f}-{hi:.2f})")
