"""Side-by-side timing: xptorch and torch alternate round by round in one process.

Every CPU ratio in bench/ goes through `compare`: it builds the workload once per library, calibrates
how many calls make one round (about ROUND_S seconds on the slower side), then runs ROUNDS rounds that
time xptorch and torch back to back, swapping which goes first each round. A burst of load from other
processes then hits both sides of a round alike, and the median of the per-round ratios, with its
quartiles, is what the table reports (`python bench/ratios.py`).

`compare(..., torch_process=True)` times torch in a spawned process that never imports xptorch, so
torch runs with glibc's stock malloc behaviour (importing xptorch raises malloc's thresholds for the
whole process, which speeds up torch's large-tensor workloads in the same process too). The rounds
still alternate: the parent times xptorch, then asks the child to time torch (or the other way round),
and torch in the parent's own process is timed in the same rounds for the second figure.

Under plain pytest (`--benchmark-disable`) each workload runs a single short round as a smoke test.
"""
import gc
import multiprocessing
import os
import statistics
import sys
import time

import pytest

torch = pytest.importorskip("torch")

ROUNDS = int(os.environ.get("XPTORCH_BENCH_ROUNDS", "15"))
ROUND_S = float(os.environ.get("XPTORCH_BENCH_ROUND_S", "0.02"))
THREADS = int(os.environ.get("XPTORCH_BENCH_THREADS", "1"))
# XPTORCH_BENCH_CLOCK=process times each side by its process's CPU time instead of the wall clock:
# with one thread each, a busy machine's waits for a core then stay out of the figures.
_clock = time.process_time if os.environ.get("XPTORCH_BENCH_CLOCK") == "process" else time.perf_counter


def _libs():
    import xptorch

    return xptorch, torch


def _calls_per_round(fns, budget):
    """Calls of each function that fill about `budget` seconds on the slower one (at least 1)."""
    slowest = 0.0
    for fn in fns:
        fn()  # warm-up: first-call caches, allocator, lazy imports
        t = _clock()
        fn()
        slowest = max(slowest, _clock() - t)
    return max(1, int(budget / max(slowest, 1e-7)))


def _time(fn, n):
    t = _clock()
    for _ in range(n):
        fn()
    return (_clock() - t) / n


def _quartiles(ratios):
    ratios = sorted(ratios)
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    return statistics.median(ratios), q[0], q[2]


def compare(benchmark, group, build, rounds=None, round_s=None, check=None, torch_process=False):
    """Time build(xptorch)() against build(torch)() in alternating rounds; returns per-round ratios.

    build(lib) returns the zero-argument callable to time (setup happens in build, untimed).
    check(xptorch_result, torch_result), when given, runs once on the warm-up results.
    torch_process=True: the reported torch side runs in its own spawned process (see the module
    docstring); build must then be picklable (a module-level function or a functools.partial of one).
    """
    if torch_process:
        return _compare_spawned(benchmark, group, build, rounds, round_s, check)
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
    med, q1, q3 = _quartiles(ratios)
    benchmark.extra_info.update(
        side_by_side=True,
        xptorch_s=statistics.median(tx),
        torch_s=statistics.median(tt),
        ratio=med,
        ratio_q1=q1,
        ratio_q3=q3,
        rounds=len(ratios),
        calls_per_round=n,
    )
    return ratios


def _torch_worker(conn, build, threads):
    """The spawned side: builds the torch workload and times it on request, never importing xptorch."""
    torch.set_num_threads(threads)
    fn = build(torch)
    while True:
        try:
            cmd, arg = conn.recv()
        except EOFError:  # the parent gave up (an error on its side)
            return
        if cmd == "calibrate":
            conn.send(_calls_per_round((fn,), arg))
        elif cmd == "time":
            gc.collect()
            conn.send(_time(fn, arg))
        else:
            conn.send("xptorch" in sys.modules)
            return


def _compare_spawned(benchmark, group, build, rounds, round_s, check):
    enabled = not benchmark.disabled
    rounds = (rounds or ROUNDS) if enabled else 1
    budget = round_s or ROUND_S
    xpt, tch = _libs()
    ctx = multiprocessing.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    child = ctx.Process(target=_torch_worker, args=(child_conn, build, THREADS), daemon=True)
    child.start()
    try:
        fx, ft = build(xpt), build(tch)
        if check is not None:
            check(fx(), ft())
        if enabled:
            conn.send(("calibrate", budget))
            n_child = conn.recv()
            # The same calls per round on every side: the fewest any side asks for.
            n = min(_calls_per_round((fx, ft), budget), n_child)
        else:
            n = 1
        tx, ts, tt = [], [], []

        def spawned(k):
            conn.send(("time", k))
            return conn.recv()

        def one_round():
            gc.collect()
            sides = [(lambda: _time(fx, n), tx), (lambda: spawned(n), ts), (lambda: _time(ft, n), tt)]
            for run, out in sides[::-1] if len(tx) % 2 else sides:
                if out is not ts:
                    gc.collect()
                out.append(run())

        benchmark.group = group
        benchmark.pedantic(one_round, rounds=rounds, iterations=1, warmup_rounds=0)
        conn.send(("stop", None))
        if conn.recv():
            raise RuntimeError("the spawned torch process imported xptorch: its timings are not stock torch's")
    finally:
        conn.close()  # a child still waiting for a command sees EOF and exits
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    ratios = [a / b for a, b in zip(tx, ts)]
    med, q1, q3 = _quartiles(ratios)
    imed, iq1, iq3 = _quartiles([a / b for a, b in zip(tx, tt)])
    benchmark.extra_info.update(
        side_by_side=True,
        torch_process="spawned",
        xptorch_s=statistics.median(tx),
        torch_s=statistics.median(ts),
        ratio=med,
        ratio_q1=q1,
        ratio_q3=q3,
        torch_inprocess_s=statistics.median(tt),
        ratio_inprocess=imed,
        ratio_inprocess_q1=iq1,
        ratio_inprocess_q3=iq3,
        rounds=len(ratios),
        calls_per_round=n,
    )
    return sorted(ratios)


def leaf_step(lib, workload, backward):
    """The step of a workload(lib, t) whose inputs come through t(array): one leaf per array, made once
    (requiring grad when backward and the array is floating), then the output summed and backpropagated."""
    leaves = {}

    def t(arr):
        if id(arr) not in leaves:
            leaves[id(arr)] = lib.tensor(arr, requires_grad=backward and arr.dtype.kind == "f")
        return leaves[id(arr)]

    def step():
        out = workload(lib, t)
        if backward:
            out.sum().backward()

    return step


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
