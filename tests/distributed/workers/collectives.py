"""Every collective against NumPy by hand, on the 'mpi' backend (run with 2 and 4 ranks)."""
import datetime
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import xptorch as torch  # noqa: E402
import xptorch.distributed as dist  # noqa: E402
from report import Report  # noqa: E402

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=20))
rank, n = dist.get_rank(), dist.get_world_size()
rep = Report(rank)


def data(r, shape=(2, 3), dtype=np.float32):
    return (np.arange(np.prod(shape)).reshape(shape) + 10 * r + 1).astype(dtype)


every = [data(r) for r in range(n)]
ok = np.testing.assert_array_equal


@rep.check("queries")
def _():
    assert dist.is_initialized() and dist.is_available() and dist.get_backend() == "mpi"
    assert int(os.environ.get("PMI_RANK", rank)) == rank
    return [rank, n]


@rep.check("all_reduce")
def _():
    for op, ref in [(dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod), (dist.ReduceOp.MAX, np.max),
                    (dist.ReduceOp.MIN, np.min)]:
        t = torch.tensor(data(rank))
        v = t._version
        assert dist.all_reduce(t, op=op) is None
        ok(t.numpy(), ref(np.stack(every), axis=0).astype(np.float32))
        assert t._version > v
    t = torch.tensor(data(rank, dtype=np.float64))
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    np.testing.assert_allclose(t.numpy(), np.mean([data(r, dtype=np.float64) for r in range(n)], 0))
    t = torch.tensor(data(rank, dtype=np.int64))
    dist.all_reduce(t)
    ok(t.numpy(), np.sum([data(r, dtype=np.int64) for r in range(n)], 0))
    h = torch.tensor(data(rank, dtype=np.float16))
    dist.all_reduce(h)
    ok(h.numpy(), np.sum([data(r, dtype=np.float32) for r in range(n)], 0).astype(np.float16))


@rep.check("all_reduce_async_and_noncontiguous")
def _():
    base = torch.tensor(data(rank, (3, 2)))
    t = base.t()  # a non-contiguous view: the result must land in base
    w = dist.all_reduce(t, async_op=True)
    assert w.wait() is True and w.is_completed()
    ok(base.numpy(), np.sum([data(r, (3, 2)) for r in range(n)], 0))


@rep.check("broadcast")
def _():
    for src in range(n):
        t = torch.tensor(data(rank))
        dist.broadcast(t, src=src)
        ok(t.numpy(), data(src))


@rep.check("all_gather")
def _():
    out = [torch.zeros(2, 3) for _ in range(n)]
    dist.all_gather(out, torch.tensor(data(rank)))
    for r in range(n):
        ok(out[r].numpy(), data(r))
    big = torch.zeros(2 * n, 3)
    dist.all_gather_into_tensor(big, torch.tensor(data(rank)))
    ok(big.numpy(), np.concatenate(every))


@rep.check("reduce_scatter_tensor")
def _():
    inp = [(np.arange(2 * n) + 100 * r).astype(np.float32) for r in range(n)]
    out = torch.zeros(2)
    dist.reduce_scatter_tensor(out, torch.tensor(inp[rank]))
    ok(out.numpy(), np.sum(inp, 0)[2 * rank: 2 * rank + 2])


@rep.check("gather_scatter_reduce")
def _():
    dst = n - 1
    lst = [torch.zeros(2, 3) for _ in range(n)] if rank == dst else None
    dist.gather(torch.tensor(data(rank)), lst, dst=dst)
    if rank == dst:
        for r in range(n):
            ok(lst[r].numpy(), data(r))
    got = torch.zeros(2, 3)
    dist.scatter(got, [torch.tensor(data(r) * 2) for r in range(n)] if rank == 0 else None, src=0)
    ok(got.numpy(), data(rank) * 2)
    t = torch.tensor(data(rank))
    dist.reduce(t, dst=0)
    if rank == 0:
        ok(t.numpy(), np.sum(every, 0))


@rep.check("send_recv_barrier")
def _():
    nxt, prv = (rank + 1) % n, (rank - 1) % n
    w = dist.isend(torch.tensor(data(rank)), dst=nxt)
    got = torch.zeros(2, 3)
    assert dist.recv(got, src=prv) == prv
    w.wait()
    ok(got.numpy(), data(prv))
    if rank == 0:
        anyone = torch.zeros(1)
        srcs = sorted(dist.recv(anyone) for _ in range(n - 1))
        assert srcs == list(range(1, n)), srcs
    else:
        dist.send(torch.tensor([float(rank)]), dst=0)
    dist.barrier()


@rep.check("objects")
def _():
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": rank, "t": (1, 2.5, "x"), "b": b"\x00\x01", "arr": np.arange(3) * rank})
    for r, o in enumerate(objs):
        assert o["rank"] == r and o["t"] == (1, 2.5, "x") and o["b"] == b"\x00\x01"
        ok(o["arr"], np.arange(3) * r)
    lst = [{"lr": 0.1, "steps": [1, 2]}, "hello", torch.tensor([1.0, 2.0])] if rank == 0 else [None, None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst[0] == {"lr": 0.1, "steps": [1, 2]} and lst[1] == "hello"
    ok(lst[2].numpy(), [1.0, 2.0])

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    try:
        dist.all_gather_object([None] * n, Evil())
    except TypeError as e:
        assert "not pickled" in str(e)
    else:
        raise AssertionError("an arbitrary object was sent")


@rep.check("new_group")
def _():
    g = dist.new_group([0, n - 1])
    if rank in (0, n - 1):
        t = torch.tensor(data(rank))
        dist.all_reduce(t, group=g)
        ok(t.numpy(), data(0) + data(n - 1))
        assert dist.get_world_size(g) == 2 and dist.get_rank(g) == (0 if rank == 0 else 1)
        assert dist.get_process_group_ranks(g) == [0, n - 1]
    else:
        assert g is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
        assert dist.all_reduce(torch.ones(1), group=g) is None


@rep.check("local_errors")
def _():
    errs = []
    for f in [lambda: dist.all_reduce(3), lambda: dist.all_reduce(torch.ones(2), op=5),
              lambda: dist.broadcast(torch.ones(2), src=n), lambda: dist.all_gather([torch.ones(2)] * (n + 1), torch.ones(2)),
              lambda: dist.all_gather([torch.ones(3)] * n, torch.ones(2)),
              lambda: dist.send(torch.ones(2), dst=rank), lambda: dist.init_process_group("mpi"),
              lambda: dist.reduce_scatter_tensor(torch.ones(3), torch.ones(2))]:
        try:
            f()
        except Exception as e:
            errs.append([type(e).__name__, str(e)])
        else:
            errs.append(None)
    return errs


@rep.check("debug_detects_mismatch")
def _():
    os.environ["TORCH_DISTRIBUTED_DEBUG"] = "DETAIL"
    dist.set_debug_level_from_env()
    try:
        dist.all_reduce(torch.ones(2 if rank == 0 else 3))
    except RuntimeError as e:
        assert "Detected mismatch between collectives" in str(e), str(e)
        return str(e)
    finally:
        del os.environ["TORCH_DISTRIBUTED_DEBUG"]
        dist.set_debug_level_from_env()
    raise AssertionError("no mismatch reported")


@rep.check("timeout")
def _():
    # Only rank 0 waits in a broadcast no one joins: it must raise, not hang.
    g = dist.new_group(list(range(n)), timeout=datetime.timedelta(seconds=1))
    if rank == 0:
        import time

        t0 = time.monotonic()
        try:
            dist.recv(torch.zeros(1), src=1, group=g, tag=77)
        except dist.DistBackendError as e:
            return [time.monotonic() - t0, str(e)]
        raise AssertionError("no timeout")


@rep.check("new_group_waits_with_a_deadline")
def _():
    import time

    dist.barrier()  # start together: rank 0 alone then calls new_group
    if rank == 0:
        t0 = time.monotonic()
        try:
            dist.new_group([0, 1], timeout=datetime.timedelta(seconds=1))
        except dist.DistBackendError as e:
            assert "new_group" in str(e) and time.monotonic() - t0 < 5, str(e)
            dist.barrier()  # the others' barrier below completes rank 0's pending one
            return str(e)
        raise AssertionError("no timeout")
    time.sleep(3)
    dist.barrier()
    dist.barrier()


dist.barrier()
rep.save()
dist.destroy_process_group()
