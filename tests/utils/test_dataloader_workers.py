"""DataLoader(num_workers=N): real worker processes with PyTorch's semantics, the same batches as
num_workers=0, errors raised in the main process and no process left behind."""
import multiprocessing
import os
import time

import numpy as np
import pytest

import xptorch
from xptorch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

torch = pytest.importorskip("torch")


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
        time.sleep(3)
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
