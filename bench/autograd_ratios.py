"""Autograd extension workloads, xptorch vs torch CPU, in interleaved rounds.

    PYTHONPATH=src python bench/autograd_ratios.py [--rounds 15]

Each round times one batch of calls of a workload in xptorch, then the same in torch (the order
alternates round by round), so both see the same machine load. Printed per workload: the median
time per call of each library, the median of the per-round ratios and their spread (min..max).
Checkpointing is compared with the same model without checkpointing, in xptorch, for time (the
ratio) and for peak memory of one training step (tracemalloc).
"""
import argparse
import os
import time
import tracemalloc

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import xptorch  # noqa: E402

torch.set_num_threads(1)


def _per_call(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def interleave(fx, ft, rounds, inner):
    fx(), ft()  # warm up
    tx, tt, ratios = [], [], []
    for r in range(rounds):
        if r % 2:
            b = _per_call(ft, inner)
            a = _per_call(fx, inner)
        else:
            a = _per_call(fx, inner)
            b = _per_call(ft, inner)
        tx.append(a)
        tt.append(b)
        ratios.append(a / b)
    return np.median(tx), np.median(tt), np.median(ratios), min(ratios), max(ratios)


# ---- workloads --------------------------------------------------------------------------------

def custom_function(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    x = lib.rand(4, 4, requires_grad=True)

    def step():
        Cube.apply(x).sum().backward()

    return step


def hessian_100(lib):
    x = lib.rand(100, dtype=lib.float64)

    def f(t):
        return (t.sin() * t).sum() + (t * t).sum() ** 2

    return lambda: lib.autograd.functional.hessian(f, x)


def _mlp(lib, layers=20, width=64):
    nn = lib.nn
    lib.manual_seed(0)
    mods = []
    for _ in range(layers):
        mods += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*mods)


def seed_mlp_step(lib):
    nn = lib.nn
    lib.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    X, y = lib.rand(2, 4), lib.rand(2, 1)
    opt = lib.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss_fn(net(X), y).backward()
        opt.step()

    return step


def mlp_step(use_ckpt, segments=4, batch=2048, width=64):
    from xptorch.utils.checkpoint import checkpoint_sequential

    model = _mlp(xptorch, width=width)
    x = xptorch.randn(batch, width)

    def step():
        model.zero_grad()
        out = checkpoint_sequential(model, segments, x, use_reentrant=False) if use_ckpt else model(x)
        out.pow(2).mean().backward()

    return step


def peak(step):
    step()
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    rounds = ap.parse_args().rounds
    rows = [
        ("custom Function x**3, 4x4, forward+backward", custom_function, 200),
        ("hessian of a scalar function of 100 inputs", hessian_100, 2),
        ("seed MLP 4-8-1, batch 2: train step", seed_mlp_step, 200),
    ]
    print(f"threads: 1 each; rounds: {rounds}; torch {torch.__version__}; numpy {np.__version__}")
    print(f"{'workload':48s} {'xptorch':>11s} {'torch':>11s} {'ratio':>6s} {'spread':>13s}")
    for name, make, inner in rows:
        mx, mt, r, lo, hi = interleave(make(xptorch), make(torch), rounds, inner)
        print(f"{name:48s} {mx * 1e6:9.1f}us {mt * 1e6:9.1f}us {r:6.2f} {lo:6.2f}..{hi:5.2f}")
    plain, ckpt = mlp_step(False), mlp_step(True)
    mc, mp, r, lo, hi = interleave(ckpt, plain, max(5, rounds // 2), 2)
    print(f"{'checkpointed 20-layer MLP step vs plain (time)':48s} {mc * 1e3:9.1f}ms {mp * 1e3:9.1f}ms "
          f"{r:6.2f} {lo:6.2f}..{hi:5.2f}")
    pp, pc = peak(plain), peak(ckpt)
    print(f"{'checkpointed 20-layer MLP step vs plain (peak)':48s} {pc / 2**20:9.2f}MB {pp / 2**20:9.2f}MB "
          f"{pc / pp:6.2f}")


if __name__ == "__main__":
    main()
