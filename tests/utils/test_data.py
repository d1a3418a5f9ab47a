"""utils.data: datasets, DataLoader batching, collation and shuffling, against torch 2.13."""
import collections
import warnings

import numpy as np
import pytest

import xptorch
from xptorch.utils import data as xdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def arrays(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return x, y


def as_np(obj):
    """Nested batches as NumPy arrays (tensors of either library), lists and dicts kept."""
    if isinstance(obj, (torch.Tensor, xptorch.Tensor)):
        return obj.numpy() if isinstance(obj, torch.Tensor) else obj.numpy(force=True)
    if isinstance(obj, dict):
        return {k: as_np(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(as_np(v) for v in obj) if not hasattr(obj, "_fields") else type(obj)(*map(as_np, obj))
    return obj


def assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_same(u, v)
    else:
        assert a == b


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (4, False), (4, True),
                                                  (10, False), (16, False), (16, True)])
def test_sequential_batches_match_torch(batch_size, drop_last):
    x, y = arrays()
    t = tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=batch_size,
                         drop_last=drop_last)
    xl = xdata.DataLoader(xdata.TensorDataset(xptorch.tensor(x), xptorch.tensor(y)), batch_size=batch_size,
                          drop_last=drop_last)
    assert len(xl) == len(t)
    assert_same(as_np(list(xl)), as_np(list(t)))


class Squares(xdata.Dataset):
    """A map-style dataset without __getitems__: samples go through default_collate."""

    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __getitem__(self, i):
        return self.lib.tensor([float(i), float(i * i)]), i

    def __len__(self):
        return self.n


def test_fast_tensor_path_equals_sample_stacking():
    x, y = arrays(13)
    ds = xdata.TensorDataset(xptorch.tensor(x), xptorch.tensor(y))
    g1, g2 = xptorch.Generator().manual_seed(3), xptorch.Generator().manual_seed(3)
    fast = list(xdata.DataLoader(ds, batch_size=4, shuffle=True, generator=g1))
    slow = list(xdata.DataLoader(ds, batch_size=4, shuffle=True, generator=g2,
                                 collate_fn=lambda b: xdata.default_collate(b)))
    assert_same(as_np(fast), as_np(slow))


def test_custom_dataset_matches_torch():
    t = list(tdata.DataLoader(Squares(torch, 7), batch_size=3))
    x = list(xdata.DataLoader(Squares(xptorch, 7), batch_size=3))
    assert_same(as_np(x), as_np(t))


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("make", [
    lambda lib, i: float(i) / 2,
    lambda lib, i: i,
    lambda lib, i: True if i % 2 else False,
    lambda lib, i: (lib.ones(2) * i, i),
    lambda lib, i: [lib.ones(2, 2) * i, float(i)],
    lambda lib, i: {"a": lib.ones(3) * i, "b": (i, "s")},
    lambda lib, i: np.full(3, i, np.float32),
    lambda lib, i: np.float64(i),
    lambda lib, i: "text",
    lambda lib, i: Point(lib.ones(1) * i, i),
], ids=["float", "int", "bool", "tuple", "list", "dict", "ndarray", "np-scalar", "str", "namedtuple"])
def test_default_collate_matches_torch(make):
    t = tdata.default_collate([make(torch, i) for i in range(3)])
    x = xdata.default_collate([make(xptorch, i) for i in range(3)])
    assert_same(as_np(x), as_np(t))


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        xdata.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        xdata.default_collate([object(), object()])


def test_shuffle_is_deterministic_with_a_generator():
    x, y = arrays(20)
    ds = xdata.TensorDataset(xptorch.tensor(x), xptorch.tensor(y))

    def order(seed, epochs=2):
        loader = xdata.DataLoader(ds, batch_size=6, shuffle=True, generator=xptorch.Generator().manual_seed(seed))
        return [[b[1].tolist() for b in loader] for _ in range(epochs)]

    a, b, c = order(0), order(0), order(1)
    assert a == b
    assert a != c
    assert a[0] != a[1]  # a new order each epoch
    for epoch in a:
        flat = [i for batch in epoch for i in batch]
        assert sorted(flat) == list(range(20)) and flat != list(range(20))
        assert [len(batch) for batch in epoch] == [6, 6, 6, 2]


def test_shuffle_without_generator_follows_manual_seed():
    ds = xdata.TensorDataset(xptorch.arange(12))
    xptorch.manual_seed(5)
    a = [b[0].tolist() for b in xdata.DataLoader(ds, batch_size=5, shuffle=True)]
    xptorch.manual_seed(5)
    b = [b[0].tolist() for b in xdata.DataLoader(ds, batch_size=5, shuffle=True)]
    assert a == b


def test_shuffle_with_drop_last():
    ds = xdata.TensorDataset(xptorch.arange(10))
    loader = xdata.DataLoader(ds, batch_size=4, shuffle=True, drop_last=True,
                              generator=xptorch.Generator().manual_seed(0))
    batches = [b[0].tolist() for b in loader]
    assert len(loader) == 2 and [len(b) for b in batches] == [4, 4]
    assert len(set(batches[0] + batches[1])) == 8


def test_batches_are_fresh_copies():
    t = xptorch.arange(6.0)
    batch = next(iter(xdata.DataLoader(xdata.TensorDataset(t), batch_size=3)))[0]
    batch.add_(100)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_batches_stay_on_the_datasets_device(device):
    ds = xdata.TensorDataset(xptorch.ones(5, 2, device=device), xptorch.arange(5, device=device))
    xb, yb = next(iter(xdata.DataLoader(ds, batch_size=2, shuffle=True)))
    assert xb.device == yb.device == xptorch.device(device if device == "cpu" else "cuda:0")


def test_unbatched_and_batch_sampler():
    x, y = arrays(5)
    t = list(tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=None))
    xs = list(xdata.DataLoader(xdata.TensorDataset(xptorch.tensor(x), xptorch.tensor(y)), batch_size=None))
    assert_same(as_np(xs), as_np(t))
    bs = [[4, 0], [2, 1, 3]]
    t = list(tdata.DataLoader(tdata.TensorDataset(torch.tensor(x)), batch_sampler=bs))
    xs = list(xdata.DataLoader(xdata.TensorDataset(xptorch.tensor(x)), batch_sampler=bs))
    assert_same(as_np(xs), as_np(t))


def test_iterable_dataset():
    class Stream(xdata.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    class TStream(tdata.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    for kw in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        assert_same(as_np(list(xdata.DataLoader(Stream(), **kw))), as_np(list(tdata.DataLoader(TStream(), **kw))))


@pytest.mark.parametrize("kw", [
    {"shuffle": True, "sampler": [0, 1]},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"num_workers": -1},
])
def test_option_errors_match_torch(kw):
    x, _ = arrays(4)
    with pytest.raises(ValueError) as et:
        tdata.DataLoader(tdata.TensorDataset(torch.tensor(x)), **kw)
    with pytest.raises(ValueError) as ex:
        xdata.DataLoader(xdata.TensorDataset(xptorch.tensor(x)), **kw)
    assert str(ex.value) == str(et.value)


def test_tensor_dataset():
    ds = xdata.TensorDataset(xptorch.arange(4), xptorch.ones(4, 2))
    assert len(ds) == 4
    a, b = ds[2]
    assert a.item() == 2 and b.tolist() == [1.0, 1.0]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        xdata.TensorDataset(xptorch.ones(3), xptorch.ones(4))


def test_concat_and_subset():
    a = xdata.TensorDataset(xptorch.arange(3))
    b = xdata.TensorDataset(xptorch.arange(10, 14))
    c = a + b
    assert len(c) == 7 and c[3][0].item() == 10 and c[-1][0].item() == 13
    s = xdata.Subset(c, [6, 0, 4])
    assert [s[i][0].item() for i in range(len(s))] == [13, 0, 11]
    assert [v[0].tolist() for v in xdata.DataLoader(s, batch_size=2)] == [[13, 0], [11]]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5]])
def test_random_split(lengths):
    ds = list(range(10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tparts = tdata.random_split(ds, lengths, generator=torch.Generator().manual_seed(0))
    parts = xdata.random_split(ds, lengths, generator=xptorch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [len(p) for p in tparts]
    items = sorted(i for p in parts for i in (p[j] for j in range(len(p))))
    assert items == ds
    again = xdata.random_split(ds, lengths, generator=xptorch.Generator().manual_seed(0))
    assert [list(p.indices) for p in again] == [list(p.indices) for p in parts]


def test_random_split_errors():
    with pytest.raises(ValueError) as et:
        tdata.random_split(range(10), [3, 3])
    with pytest.raises(ValueError) as ex:
        xdata.random_split(range(10), [3, 3])
    assert str(ex.value) == str(et.value)
