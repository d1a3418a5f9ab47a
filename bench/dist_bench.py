"""Distributed benchmarks, run under MPI:  mpiexec -n 2 python bench/dist_bench.py

1. all_reduce sweep, 8 B to 256 MB (float32): xptorch.distributed.all_reduce against raw mpi4py
   (comm.Allreduce, in place), interleaved round by round; algbw = bytes / time and
   busbw = algbw * 2(n-1)/n as nccl-tests define them; the overhead is the median per-round
   difference (us) and ratio.
2. DDP training step of the MLP 784-256-256-10, batch 128 per rank: step time on n ranks against
   one process (weak-scaling efficiency = t1 / tn), and the share of all-reduce time hidden behind
   backward (1 - exposed wait / time of the same all-reduces run after backward).
Prints a markdown section on rank 0.
"""
import statistics
import sys
import time

import numpy as np
from mpi4py import MPI

import xptorch as torch
import xptorch.distributed as dist

comm = MPI.COMM_WORLD
dist.init_process_group("mpi")
rank, n = dist.get_rank(), dist.get_world_size()
quick = "--quick" in sys.argv


def timed(fn, reps):
    comm.Barrier()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def sweep():
    rows = []
    sizes = [8 * 4 ** k for k in range(13)] + [256 << 20]  # 8 B ... 128 MiB, 256 MiB
    for nbytes in sizes:
        count = max(1, nbytes // 4)
        a = np.ones(count, np.float32)
        t = torch.from_numpy(np.ones(count, np.float32))
        reps = 200 if nbytes < 1 << 16 else 20 if nbytes < 1 << 22 else 3 if nbytes < 1 << 26 else 1
        rounds = 3 if quick and nbytes >= 1 << 26 else 7 if nbytes < 1 << 26 else 3
        raw, ours = [], []
        for r in range(rounds):
            pair = [("raw", lambda: comm.Allreduce(MPI.IN_PLACE, a)), ("ours", lambda: dist.all_reduce(t))]
            if r % 2:
                pair.reverse()
            for name, fn in pair:
                (raw if name == "raw" else ours).append(timed(fn, reps))
        tr, to = statistics.median(raw), statistics.median(ours)
        diffs = [o - w for o, w in zip(ours, raw)]
        algbw = count * 4 / to / 1e9
        rows.append((count * 4, tr, to, statistics.median(diffs), to / tr, algbw, algbw * 2 * (n - 1) / n))
    return rows


def mlp():
    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def ddp_step():
    nn = torch.nn
    X, y = torch.rand(128, 784), torch.randint(0, 10, (128,))
    loss_fn = nn.CrossEntropyLoss()
    single = mlp()
    opt1 = torch.optim.SGD(single.parameters(), lr=0.01)
    model = nn.parallel.DistributedDataParallel(mlp(), bucket_cap_mb=0.25)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    params = list(model.parameters())

    def step1():
        opt1.zero_grad()
        loss_fn(single(X), y).backward()
        opt1.step()

    exposed, backward = [], []

    def stepn():
        opt.zero_grad()
        loss_fn(model(X), y).backward()
        opt.step()
        tm = model.timings
        exposed.append(tm["wait_end"] - tm["backward_end"])

    def after():  # the same reductions, started only after backward: nothing hidden
        flat = torch.cat([p.grad.reshape(-1) for p in params])
        dist.all_reduce(flat)

    for _ in range(5):
        step1(), stepn()
    t1, tn, tc = [], [], []
    for r in range(9):
        t1.append(timed(step1, 10))
        exposed.clear()
        tn.append(timed(stepn, 10))
        tc.append(timed(after, 10))
    t1m, tnm, tcm = statistics.median(t1), statistics.median(tn), statistics.median(tc)
    hidden = max(0.0, 1 - statistics.median(exposed) / tcm)
    return t1m, tnm, tcm, statistics.median(exposed), hidden, len(model._buckets)


rows = sweep()
step = ddp_step()
if rank == 0:
    import platform

    print(f"\n### all_reduce sweep, {n} ranks (MPICH {MPI.Get_library_version().split()[2]}, mpi4py, "
          f"float32, one BLAS thread per rank, {platform.node()})\n")
    print("| size | raw mpi4py | xptorch | overhead | ratio | algbw GB/s | busbw GB/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, tr, to, d, ratio, alg, bus in rows:
        unit = f"{size} B" if size < 1024 else f"{size >> 10} KiB" if size < 1 << 20 else f"{size >> 20} MiB"
        print(f"| {unit} | {tr * 1e6:.1f} us | {to * 1e6:.1f} us | {d * 1e6:+.1f} us | {ratio:.3f} | {alg:.3f} | {bus:.3f} |")
    t1, tn, tc, ex, hidden, nb = step
    print(f"\n### DDP train step, MLP 784-256-256-10, batch 128 per rank, SGD, {n} ranks, {nb} buckets\n")
    print("| one process | DDP per step | weak-scaling efficiency | all-reduce after backward | exposed wait | hidden share |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {t1 * 1e3:.2f} ms | {tn * 1e3:.2f} ms | {t1 / tn:.2f} | {tc * 1e3:.2f} ms | {ex * 1e3:.2f} ms | "
          f"{hidden:.0%} |")
dist.destroy_process_group()
