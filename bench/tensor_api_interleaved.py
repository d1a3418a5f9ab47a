"""einsum, gather and sort on 1M-element inputs, xptorch vs torch CPU, forward and forward+backward.

Rounds alternate the two libraries in one process; prints the median of the per-round ratios and
their spread (min-max). Threads: XPTORCH_BENCH_THREADS (default 1) for both libraries.

    python bench/tensor_api_interleaved.py [rounds]
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
RNG = np.random.default_rng(0)
A = RNG.standard_normal((100, 100, 100)).astype("float32")  # 1M elements
B = RNG.standard_normal((100, 100, 100)).astype("float32")
M = RNG.standard_normal((1000, 1000)).astype("float32")
IDX = RNG.integers(0, 1000, size=(1000, 1000))
FLAT = RNG.standard_normal(1_000_000).astype("float32")


def inputs(lib, grad):
    t = lambda a, g=grad: lib.tensor(a, requires_grad=g)  # noqa: E731
    return {"A": t(A), "B": t(B), "M": t(M), "IDX": lib.tensor(IDX), "FLAT": t(FLAT)}


WORKLOADS = {
    "einsum bij,bjk->bik": lambda lib, d: lib.einsum("bij,bjk->bik", d["A"], d["B"]),
    "einsum bij,bij->bi": lambda lib, d: lib.einsum("bij,bij->bi", d["A"], d["B"]),
    "gather dim 1": lambda lib, d: lib.gather(d["M"], 1, d["IDX"]),
    "sort": lambda lib, d: lib.sort(d["FLAT"]).values,
}


def run(fn, lib, d, backward):
    out = fn(lib, d)
    if backward:
        out.sum().backward()


def bench(name, backward, rounds, reps=3):
    fn = WORKLOADS[name]
    data = {lib: inputs(lib, backward) for lib in (xptorch, torch)}
    for lib in data:
        run(fn, lib, data[lib], backward)
    ratios, times = [], {xptorch: [], torch: []}
    for _ in range(rounds):
        for lib in (xptorch, torch):
            t0 = time.perf_counter()
            for _ in range(reps):
                run(fn, lib, data[lib], backward)
            times[lib].append((time.perf_counter() - t0) / reps)
        ratios.append(times[xptorch][-1] / times[torch][-1])
    return statistics.median(times[xptorch]), statistics.median(times[torch]), statistics.median(ratios), \
        min(ratios), max(ratios)


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(f"threads={THREADS}, 1M elements per input, {rounds} interleaved rounds")
    for name in WORKLOADS:
        for backward in (False, True):
            x, t, r, lo, hi = bench(name, backward, rounds)
            what = "fwd+bwd" if backward else "fwd"
            print(f"{name} {what}: xptorch {x * 1e3:.2f} ms, torch {t * 1e3:.2f} ms, "
                  f"ratio median {r:.2f} (spread {lo:.2f}-{hi:.2f})")
