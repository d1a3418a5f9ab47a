"""Side-by-side timing: xptorch and torch alternate round by round in one process.

Every CPU ratio in bench/ goes through `compare`: it builds the workload once per library, calibrates
how many calls make one round (about ROUND_S seconds on the slower side), then runs ROUNDS rounds that
time xptorch and torch back to back, swapping which goes first each round. A burst of load from other
processes then hits both sides of a round alike, and the median of the per-round ratios, with its
quartiles, is what the table reports (`python bench/ratios.py`).

Under plain pytest (`--benchmark-disable`) each workload runs a single short round as a smoke test.
"""
import gc
import os
import statistics
import time

import pytest

torch = pytest.importorskip("torch")

ROUNDS = int(os.environ.get("XPTORCH_BENCH_ROUNDS", "15"))
ROUND_S = float(os.environ.get("XPTORCH_BENCH_ROUND_S", "0.02"))


def _libs():
    import xptorch

    return xptorch, torch


def _calls_per_round(fns, budget):
    """Calls of each function that fill about `budget` seconds on the slower one (at least 1)."""
    slowest = 0.0
    for fn in fns:
        fn()  # warm-up: first-call caches, allocator, lazy imports
        t = time.perf_counter()
        fn()
        slowest = max(slowest, time.perf_counter() - t)
    return max(1, int(budget / max(slowest, 1e-7)))


def _time(fn, n):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def compare(benchmark, group, build, rounds=None, round_s=None, check=None):
    """Time build(xptorch)() against build(torch)() in alternating rounds; returns per-round ratios.

    build(lib) returns the zero-argument callable to time (setup happens in build, untimed).
    check(xptorch_result, torch_result), when given, runs once on the warm-up results.
    """
    enabled = not benchmark.disabled
    rounds = (rounds or ROUNDS) if enabled else 1
    xpt, tch = _libs()
    fx, ft = build(xpt), build(tch)
    if check is not None:
        check(fx(), ft())
    n = _calls_per_round((fx, ft), round_s or ROUND_S) if enabled else 1
    tx, tt = [], []

    def one_round():
        gc.collect()
        if len(tx) % 2:
            b, a = _time(ft, n), _time(fx, n)
        else:
            a, b = _time(fx, n), _time(ft, n)
        tx.append(a)
        tt.append(b)

    benchmark.group = group
    benchmark.pedantic(one_round, rounds=rounds, iterations=1, warmup_rounds=0)
    ratios = sorted(a / b for a, b in zip(tx, tt))
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    benchmark.extra_info.update(
        side_by_side=True,
        xptorch_s=statistics.median(tx),
        torch_s=statistics.median(tt),
        ratio=statistics.median(ratios),
        ratio_q1=q[0],
        ratio_q3=q[2],
        rounds=len(ratios),
        calls_per_round=n,
    )
    return ratios


def one_sided(benchmark, group, fn, label, rounds=None):
    """Time a single callable (no torch twin), e.g. an xptorch-only variant; reported beside the ratios."""
    enabled = not benchmark.disabled
    rounds = (rounds or ROUNDS) if enabled else 1
    n = _calls_per_round((fn,), ROUND_S) if enabled else 1
    times = []
    benchmark.group = group
    benchmark.pedantic(lambda: times.append(_time(fn, n)), rounds=rounds, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(one_sided=label, median_s=statistics.median(times), rounds=len(times))
    return times
