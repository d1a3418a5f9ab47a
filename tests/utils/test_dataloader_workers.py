"""DataLoader(num_workers=N): real worker processes with PyTorch's semantics, the same batches as
num_workers=0 and as torch's loader, large arrays through shared memory, errors raised in the main
process, and nothing left behind (processes, descriptors, mappings, /dev/shm entries)."""
import gc
import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest

import xptorch
from xptorch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info
from xptorch.utils.data import _transport

torch = pytest.importorskip("torch")

BIG = _transport.SHARE_MIN_BYTES // 4  # float32 elements of the smallest array that travels shared


@pytest.fixture(autouse=True)
def _time_limit():
    """Each test here starts processes: a hang fails the test after 60 s instead of stalling the suite."""
    def expire(signum, frame):
        raise TimeoutError("DataLoader worker test took longer than 60 s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _children():
    """Processes whose parent is this one, zombies included (from /proc)."""
    me, out = os.getpid(), set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == me:
                out.add(int(d))
    return out


def _fds():
    return set(os.listdir("/proc/self/fd"))


def _link(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "?"


def _shm():
    """/dev/shm entries of the kinds a loader could leave (multiprocessing's semaphores and shared memory,
    torch's, ours); other programs on the machine (MPI jobs) come and go there meanwhile."""
    if not os.path.isdir("/dev/shm"):
        return set()
    return {n for n in os.listdir("/dev/shm") if n.startswith(("sem.mp", "psm_", "torch_", "xptorch"))}


def _batch_mappings():
    with open("/proc/self/maps") as f:
        return sum("xptorch-batch" in line for line in f)


class _Leaks:
    """What exists before; check() waits (up to 10 s) for the same again, ignoring what went away."""

    def __init__(self):
        gc.collect()
        self.children, self.fds, self.shm = _children(), _fds(), _shm()

    def check(self):
        deadline = time.time() + 10
        while True:
            gc.collect()
            extra = (_children() - self.children, _fds() - self.fds, _shm() - self.shm, _batch_mappings())
            if not any(extra) or time.time() > deadline:
                break
            time.sleep(0.05)
        extra = (extra[0], {f"{fd}->{_link(fd)}" for fd in extra[1]}) + extra[2:]
        assert extra == (set(), set(), set(), 0), "left behind: children, descriptors, /dev/shm entries, mappings"


class Squares(Dataset):
    def __len__(self):
        return 23

    def __getitem__(self, i):
        if i == 13 and getattr(self, "fail", False):
            raise KeyError("no square for 13")
        return xptorch.tensor([float(i * i)]), i


class WhoAmI(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return info.id, info.num_workers, info.seed, os.getpid(), xptorch.rand(1).item()


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(1)
        return i


class Stream(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        wid, n = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(wid, 10, n))


def _no_children():
    deadline = time.time() + 10
    while multiprocessing.active_children() and time.time() < deadline:
        time.sleep(0.05)
    return not multiprocessing.active_children()


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("kw", [dict(batch_size=4), dict(batch_size=5, drop_last=True), dict(batch_size=None)])
def test_same_batches_as_in_process(shuffle, kw):
    loaders = [DataLoader(Squares(), shuffle=shuffle, generator=xptorch.Generator().manual_seed(3), num_workers=nw,
                          **kw) for nw in (0, 2)]
    a, b = ([(x.tolist(), y.tolist() if hasattr(y, "tolist") else y) for x, y in dl] for dl in loaders)
    assert a == b and len(a) == len(loaders[0])
    assert _no_children()


def test_worker_info_seeds_and_init_fn():
    with multiprocessing.get_context().Manager() as manager:
        seen = manager.list()

        def init(wid):
            seen.append((wid, get_worker_info().id))

        assert get_worker_info() is None
        dl = DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=init,
                        generator=xptorch.Generator().manual_seed(1))
        rows = list(dl)
        seen = list(seen)
    ids = {r[0] for r in rows}
    assert ids == {0, 1} and all(r[1] == 2 for r in rows)
    seeds = {r[0]: r[2] for r in rows}
    assert seeds[1] == seeds[0] + 1
    assert len({r[3] for r in rows}) == 2 and os.getpid() not in {r[3] for r in rows}
    assert sorted(seen) == [(0, 0), (1, 1)]
    # Each worker's xptorch stream is seeded with its own seed.
    first = {}
    for r in rows:
        first.setdefault(r[0], r[4])
    assert first[0] != first[1]
    assert _no_children()


def test_worker_exception_names_worker_and_batch_and_leaves_no_process():
    ds = Squares()
    ds.fail = True
    with pytest.raises(KeyError) as err:
        list(DataLoader(ds, batch_size=4, num_workers=2))
    msg = str(err.value)
    assert "Caught KeyError in DataLoader worker process 1" in msg
    assert "batch 3" in msg and "13" in msg and "no square for 13" in msg
    assert _no_children()


def test_break_ends_the_workers():
    it = iter(DataLoader(Squares(), batch_size=2, num_workers=2))
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    assert _no_children()


def test_persistent_workers_keep_their_processes():
    dl = DataLoader(WhoAmI(), batch_size=None, num_workers=2, persistent_workers=True)
    first = {r[3] for r in dl}
    second = {r[3] for r in dl}
    assert first == second and len(first) == 2
    dl._workers_iter._shutdown()
    assert _no_children()


def test_timeout():
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.5 seconds"):
        next(iter(DataLoader(Slow(), num_workers=1, timeout=0.5)))
    assert _no_children()


def test_iterable_dataset_split_by_worker_info_matches_torch():
    class TStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 10, info.num_workers))

    ours = [b.tolist() for b in DataLoader(Stream(), batch_size=2, num_workers=2)]
    theirs = [b.tolist() for b in torch.utils.data.DataLoader(TStream(), batch_size=2, num_workers=2)]
    assert ours == theirs
    assert _no_children()


class Mixed:
    """Samples with a large array, a large tensor, a small array and a number: both paths of the transport."""

    def __init__(self, lib, n=9):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        big = np.arange(BIG, dtype=np.float32) * (i + 1)
        return {"image": big.reshape(-1, 4), "t": self.lib.full((BIG // 2,), float(i)),
                "small": np.full((3,), i, np.int64), "label": i}


class TorchMixed(Mixed, torch.utils.data.Dataset):
    pass


class XMixed(Mixed, Dataset):
    pass


def _as_np(x):
    if isinstance(x, dict):
        return {k: _as_np(v) for k, v in x.items()}
    return x.numpy(force=True) if isinstance(x, xptorch.Tensor) else x.numpy()


@pytest.mark.parametrize("shuffled", [False, True])
def test_batches_match_torch_with_shared_memory(shuffled):
    leaks = _Leaks()
    kw = dict(batch_size=2)
    if shuffled:  # the same random order for both: a batch sampler given as lists of indices
        order = np.random.default_rng(0).permutation(9).tolist()
        kw = dict(batch_sampler=[order[i:i + 2] for i in range(0, 9, 2)])
    ours = list(DataLoader(XMixed(xptorch), num_workers=2, **kw))
    theirs = list(torch.utils.data.DataLoader(TorchMixed(torch), num_workers=2, **kw))
    assert len(ours) == len(theirs) == 5
    for a, b in zip(ours, theirs):
        a, b = _as_np(a), _as_np(b)
        assert a.keys() == b.keys()
        for k in a:
            assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
            np.testing.assert_array_equal(a[k], b[k])
    # The large ones arrived as mappings of shared memory, the small one pickled; all writable.
    first = ours[0]
    assert _transport.shared_base(first["image"].numpy()) is not None
    assert _transport.shared_base(first["t"].numpy()) is not None
    assert _transport.shared_base(first["small"].numpy()) is None
    first["image"].add_(1.0)
    assert float(first["image"][0, 0, 0]) == 1.0 and float(ours[1]["image"][0, 0, 0]) == 0.0
    del ours, theirs, first, a, b
    leaks.check()


def test_transport_shares_each_array_once_and_reuses_released_files():
    conn, child = multiprocessing.Pipe(duplex=True)
    rx, tx = _transport.Receiver(conn), _transport.Sender(child, keep=1)
    try:
        big = np.arange(BIG * 2, dtype=np.float64).reshape(2, BIG)
        t = xptorch.tensor(big[:, ::2].copy())
        payload = {"a": big, "again": big, "strided": big[:, ::3], "t": t, "tt": [t, t]}
        tx.send(7, payload)
        idx, got = rx.recv()
        assert idx == 7 and got["a"] is got["again"] and got["tt"][0] is got["tt"][1] is got["t"]
        np.testing.assert_array_equal(got["strided"], big[:, ::3])
        np.testing.assert_array_equal(got["t"].numpy(), t.numpy())
        assert got["t"].dtype == t.dtype and not got["t"].requires_grad
        assert sorted(rx.files) == [0, 1, 2] and not rx.released
        view = got["a"][1]
        del got
        gc.collect()
        assert rx.released == [1, 2]  # "a" lives on in its view
        tx.release(rx.take_released())
        assert tx.free == [1, 2] and tx.per_batch == 3
        tx.send(8, {"b": t + 1})  # the size of a free file: written into it, no new descriptor
        idx, got = rx.recv()
        np.testing.assert_array_equal(got["b"].numpy(), t.numpy() + 1)
        np.testing.assert_array_equal(view, big[1])
        assert _transport.shared_base(got["b"].numpy()).fid == 2 and tx.free == [1] and tx.per_batch == 1
        del got
        gc.collect()
        tx.release(rx.take_released())  # keep=1 batch of one file: the older free file is closed
        assert tx.free == [2] and tx.dropped == [1]
        tx.send(9, "no arrays")
        assert rx.recv() == (9, "no arrays") and sorted(rx.files) == [0, 2]
        del view
    finally:
        rx.shutdown()
        tx.close()
        child.close()
    gc.collect()
    assert _batch_mappings() == 0


def test_shared_files_are_reused_but_never_under_a_held_batch():
    leaks = _Leaks()
    kept, most = [], 0
    for i, x in enumerate(DataLoader(Big(), batch_size=2, num_workers=2)):
        np.testing.assert_array_equal(x.numpy()[:, :3], [[2 * i] * 3, [2 * i + 1] * 3])
        if i % 3 == 0:
            kept.append((i, x))
        most = max(most, _batch_mappings())
        del x
    for i, x in kept:
        np.testing.assert_array_equal(x.numpy(), np.repeat([[2 * i], [2 * i + 1]], BIG, axis=1))
    assert most < 20  # 20 batches: files were reused
    del kept, x
    leaks.check()


_retained = []


def _collate_and_retain(samples):
    """default_collate, keeping every batch in the worker and checking none was written over since."""
    from xptorch.utils.data import default_collate

    out = default_collate(samples)
    for first, batch in _retained:
        if not (batch.numpy()[:, 0] == np.arange(first, first + 2)).all():
            raise RuntimeError("a batch the worker still holds was written over")
    _retained.append((int(out[0, 0]), out))
    return out, _transport.shared_base(out.numpy()) is None and type(out.numpy().base.base).__name__


def test_batches_collated_in_place_in_shared_memory():
    leaks = _Leaks()
    wheres = set()
    for i, (x, where) in enumerate(DataLoader(Big(), batch_size=2, num_workers=2, collate_fn=_collate_and_retain)):
        assert _transport.shared_base(x.numpy()) is not None
        np.testing.assert_array_equal(x.numpy(), np.repeat([[2 * i], [2 * i + 1]], BIG, axis=1))
        wheres.add(where)
        del x  # released: only the worker's own reference keeps each file from being written again
    assert wheres == {"_Local"}  # stacked straight into a shared file in the worker
    leaks.check()


def test_without_memfd_batches_are_pickled(monkeypatch):
    monkeypatch.setattr(_transport, "_HAS_MEMFD", False)  # as where memfd is missing (not Linux)
    got = list(DataLoader(XMixed(xptorch, n=4), batch_size=2, num_workers=2))
    ref = list(DataLoader(XMixed(xptorch, n=4), batch_size=2))
    for a, b in zip(got, ref):
        assert _transport.shared_base(a["image"].numpy()) is None
        for k in ("image", "t", "small"):
            np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())
    assert _no_children()


def test_tensor_dataset_and_pin_memory():
    x = xptorch.arange(20.0).reshape(10, 2)
    dl = DataLoader(TensorDataset(x), batch_size=3, num_workers=2, pin_memory=True, prefetch_factor=1)
    got = np.concatenate([b[0].numpy() for b in dl])
    np.testing.assert_array_equal(got, x.numpy())


def test_option_errors_match_torch():
    for kw in (dict(prefetch_factor=2), dict(persistent_workers=True), dict(num_workers=-1)):
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader([1, 2], **kw)
        with pytest.raises(ValueError) as ours:
            DataLoader([1, 2], **kw)
        assert str(ours.value) == str(theirs.value)


# ---- seeds ------------------------------------------------------------------------------------------
class Draws(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return info.id, info.seed, random.random(), float(np.random.rand()), xptorch.rand(1).item()


def test_numpy_seed_state_is_torchs():
    from torch.utils.data._utils.worker import _generate_state as torch_state

    from xptorch.utils.data._worker import _generate_state

    for base in (0, 1, 12345, 2**32 + 7, 2**62 - 1, 2**63 - 1):
        for wid in (0, 1, 5):
            assert _generate_state(base, wid) == torch_state(base, wid)


def test_each_worker_seeds_python_numpy_and_xptorch_as_torch():
    leaks = _Leaks()
    rows = list(DataLoader(Draws(), batch_size=None, num_workers=2, generator=xptorch.Generator().manual_seed(5)))
    firsts = {}
    for wid, seed, py, npv, xp in rows:
        firsts.setdefault(wid, (seed, py, npv, xp))
    assert sorted(firsts) == [0, 1] and firsts[1][0] == firsts[0][0] + 1
    from xptorch.utils.data._worker import _generate_state

    for wid, (seed, py, npv, xp) in firsts.items():
        assert py == random.Random(seed).random()
        assert npv == np.random.RandomState(_generate_state(seed - wid, wid)).rand()
        assert xp == xptorch.rand(1, generator=xptorch.Generator().manual_seed(seed)).item()
    # A new epoch draws a new base seed; a loader's generator seeded alike gives the same seeds.
    again = list(DataLoader(Draws(), batch_size=None, num_workers=2, generator=xptorch.Generator().manual_seed(5)))
    assert again == rows
    leaks.check()


# ---- errors -------------------------------------------------------------------------------------------
class Raises(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise self.exc
        return i


class Local(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def test_key_error_message_reads_as_torchs():
    with pytest.raises(KeyError) as ours:
        list(DataLoader(Raises(KeyError("no 2")), num_workers=1))
    with pytest.raises(KeyError) as theirs:  # torch's wrapper, without its processes
        try:
            Raises(KeyError("no 2"))[2]
        except KeyError:
            torch._utils.ExceptionWrapper(where="in DataLoader worker process 0").reraise()
    for e in (ours, theirs):
        text = str(e.value)
        assert text.startswith("Caught KeyError in DataLoader worker process 0")
        assert "\nOriginal Traceback (most recent call last):\n" in text and text.endswith("KeyError: 'no 2'\n")
        assert "in __getitem__\n    raise self.exc\n" in text
    assert _no_children()


def test_exception_classes_that_cannot_travel_or_be_rebuilt():
    leaks = _Leaks()
    # A constructor with two arguments: RuntimeError carrying the text, as torch.
    with pytest.raises(RuntimeError, match=r"(?s)Caught Local in DataLoader worker process 0.*Local: \('x', 'y'\)"):
        list(DataLoader(Raises(Local("x", "y")), num_workers=1))

    class Inner(ValueError):  # cannot be pickled back: the text still comes through
        pass

    with pytest.raises(RuntimeError, match=r"(?s)Caught Inner in DataLoader worker process 0.*Inner: deep"):
        list(DataLoader(Raises(Inner("deep")), num_workers=1))

    # A batch that cannot be pickled back: the error names the worker and the pickling failure.
    with pytest.raises(AttributeError, match=r"(?s)Caught AttributeError in DataLoader worker process 0.*pickle"):
        list(DataLoader(list(range(4)), batch_size=1, num_workers=2, collate_fn=lambda b: (lambda: b)))
    leaks.check()


def test_init_fn_error_is_raised():
    def init(wid):
        raise ValueError(f"bad init {wid}")

    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker process 0 in worker_init_fn"
                                         r".*bad init 0"):
        list(DataLoader(Squares(), num_workers=1, worker_init_fn=init))
    assert _no_children()


# ---- cleanup ------------------------------------------------------------------------------------------
class Big(Dataset):
    """Large samples (shared memory) with a little work each."""

    def __len__(self):
        return 40

    def __getitem__(self, i):
        time.sleep(0.005)
        return np.full(BIG, i, np.float32)


def test_break_del_and_gc_leave_nothing_behind():
    leaks = _Leaks()
    for end in ("break", "del_loader", "gc_cycle"):
        dl = DataLoader(Big(), batch_size=2, num_workers=2, persistent_workers=(end == "del_loader"))
        for i, x in enumerate(dl):
            if i == 3:
                assert len(_children() - leaks.children) == 2
                break
        if end == "gc_cycle":
            it = iter(dl)
            next(it)
            cycle = [it]
            cycle.append(cycle)
            del it, cycle
        del dl, x
    leaks.check()


def test_worker_killed_by_signal():
    leaks = _Leaks()
    it = iter(DataLoader(Big(), batch_size=2, num_workers=2))
    next(it)
    os.kill(it._workers[0].pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) is killed by signal: Killed"):
        for _ in it:
            pass
    del it, _
    leaks.check()


def test_worker_exiting_is_reported():
    class Exits(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            os._exit(3)

    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) exited unexpectedly with exit code 3"):
        list(DataLoader(Exits(), num_workers=1))
    assert _no_children()


# ---- persistent workers ------------------------------------------------------------------------------
def test_persistent_workers_restart_an_iterable_dataset_and_a_broken_epoch():
    leaks = _Leaks()
    dl = DataLoader(Stream(), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in dl]
    assert [b.tolist() for b in dl] == first and len(first) == 6
    pids = {w.pid for w in dl._workers_iter._workers}
    dl2 = DataLoader(Squares(), batch_size=3, num_workers=2, persistent_workers=True)
    full = [x.tolist() for x, _ in dl2]
    for i, _ in enumerate(dl2):
        if i == 1:
            break
    assert [x.tolist() for x, _ in dl2] == full
    assert {w.pid for w in dl._workers_iter._workers} == pids
    del dl, dl2
    leaks.check()


class SlowFirst(Dataset):
    """Item 0 takes a while; the others are quick."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        if i == 0:
            time.sleep(1.0)
        return i


@pytest.mark.parametrize("lib", ["xptorch", "torch"])
def test_in_order_false_yields_ready_batches_first(lib):
    """in_order=False: a slow batch no longer holds back the others; every batch still comes once.
    The same run through torch's loader is the reference for that behaviour."""
    mod = xptorch if lib == "xptorch" else torch
    leaks = _Leaks()
    got = [int(b) for b in mod.utils.data.DataLoader(SlowFirst(), batch_size=None, num_workers=2, in_order=False)]
    assert sorted(got) == list(range(12))
    assert got[0] != 0 and got.index(0) >= 3, got
    ordered = [int(b) for b in mod.utils.data.DataLoader(SlowFirst(), batch_size=None, num_workers=2)]
    assert ordered == list(range(12))
    if lib == "xptorch":
        leaks.check()


class Threads(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return xptorch.get_num_threads(), torch.get_num_threads()


def test_workers_compute_with_one_thread_as_torch():
    """PyTorch's workers run with one intra-op thread; xptorch's too (BLAS and the random fills)."""
    ours = [tuple(int(v) for v in b) for b in DataLoader(Threads(), batch_size=None, num_workers=2)]
    theirs = [tuple(int(v) for v in b) for b in torch.utils.data.DataLoader(Threads(), batch_size=None, num_workers=2)]
    assert [o[0] for o in ours] == [t[1] for t in theirs] == [1, 1]
