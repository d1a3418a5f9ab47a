"""utils.data samplers (SubsetRandomSampler, WeightedRandomSampler), StackDataset and ChainDataset, against
torch 2.13.

xptorch's random stream is Philox, not torch's Mersenne Twister, so drawn index sequences cannot equal
torch's: they are checked for determinism under a seed, for the weights' distribution and for no repeats
without replacement. Everything deterministic (lengths, attributes, errors, stacked samples) is torch's.
"""
import numpy as np
import pytest

import xptorch
from oracle import check_error
from xptorch.utils import data as xdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def libs_data(lib):
    return tdata if lib is torch else xdata


def test_sampler_module_exports_torchs_names():
    from xptorch.utils.data import sampler

    assert sorted(sampler.__all__) == sorted(tdata.sampler.__all__)
    for name in sampler.__all__:
        assert getattr(sampler, name) is getattr(xdata, name)
        assert issubclass(getattr(sampler, name), sampler.Sampler)
    assert xdata.dataloader.RandomSampler is sampler.RandomSampler


# ---- WeightedRandomSampler ------------------------------------------------------------------------------
WEIGHTED_ERRORS = [
    lambda d: d.WeightedRandomSampler([[1.0, 2.0]], 3),
    lambda d: d.WeightedRandomSampler(5.0, 3),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], 0),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], -1),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], True),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], 2.0),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], 3, replacement=1),
    lambda d: d.WeightedRandomSampler([1.0, 2.0], 3, replacement=None),
    lambda d: list(d.WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
    lambda d: list(d.WeightedRandomSampler([1.0, -2.0], 3)),
    lambda d: list(d.WeightedRandomSampler([1.0, float("inf")], 3)),
    lambda d: list(d.WeightedRandomSampler([1.0, float("nan")], 3)),
    lambda d: list(d.WeightedRandomSampler([0.0, 0.0], 3)),
    lambda d: list(d.WeightedRandomSampler([], 3)),
    lambda d: list(d.WeightedRandomSampler([1.0, -2.0], 1)),
    lambda d: list(d.WeightedRandomSampler([1.0, -2.0], 2, replacement=False)),
]


@pytest.mark.parametrize("make", WEIGHTED_ERRORS)
def test_weighted_sampler_errors_match_torch(make):
    check_error(lambda: make(tdata), lambda: make(xdata))


def test_weighted_sampler_attributes_match_torch(device):
    for weights in ([1, 2, 3], np.array([0.5, 0.0, 2.0], dtype=np.float32)):
        t = tdata.WeightedRandomSampler(torch.as_tensor(weights), 7)
        x = xdata.WeightedRandomSampler(xptorch.as_tensor(weights, device=device), 7)
        assert x.weights.dtype == xptorch.float64 and x.weights.device.type == device
        np.testing.assert_array_equal(x.weights.numpy(force=True), t.weights.numpy())
        assert (len(x), x.num_samples, x.replacement, x.generator) == (len(t), t.num_samples, t.replacement, None)


def test_weighted_sampler_follows_the_seed(device):
    w = xptorch.tensor([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], device=device)
    for replacement in (True, False):
        s = xdata.WeightedRandomSampler(w, 5, replacement)
        xptorch.manual_seed(3)
        first = list(s)
        xptorch.manual_seed(3)
        assert list(s) == first
        assert all(type(i) is int for i in first) and len(first) == 5
        g = xptorch.Generator(device=device).manual_seed(3)
        own = xdata.WeightedRandomSampler(w, 5, replacement, generator=g)
        passes = [list(own) for _ in range(3)]
        g.manual_seed(3)
        assert [list(own) for _ in range(3)] == passes
        assert len({tuple(p) for p in passes}) > 1  # each pass draws afresh


def test_weighted_sampler_with_replacement_follows_the_weights(device):
    weights = [1.0, 0.0, 3.0, 4.0, 2.0]
    g = xptorch.Generator(device=device).manual_seed(0)
    s = xdata.WeightedRandomSampler(xptorch.tensor(weights, device=device), 20000, generator=g)
    counts = np.bincount(list(s), minlength=5)
    assert counts[1] == 0
    np.testing.assert_allclose(counts / 20000, np.array(weights) / 10, atol=0.015)


def test_weighted_sampler_without_replacement_draws_each_index_once(device):
    weights = [0.5, 3.0, 0.0, 1.5, 1.0]
    g = xptorch.Generator(device=device).manual_seed(1)
    s = xdata.WeightedRandomSampler(xptorch.tensor(weights, device=device), 4, replacement=False, generator=g)
    firsts = []
    for _ in range(800):
        order = list(s)
        assert sorted(order) == [0, 1, 3, 4]  # zero weight drawn last: never within 4 of 5
        firsts.append(order[0])
    np.testing.assert_allclose(np.bincount(firsts, minlength=5) / 800, np.array(weights) / 6, atol=0.05)


def test_weighted_sampler_in_a_dataloader(device):
    x = xptorch.arange(12.0, device=device).reshape(6, 2)
    ds = xdata.TensorDataset(x, xptorch.arange(6, device=device))
    w = [0.0, 1.0, 0.0, 2.0, 1.0, 0.0]
    loader = xdata.DataLoader(ds, batch_size=4, sampler=xdata.WeightedRandomSampler(
        w, 10, generator=xptorch.Generator().manual_seed(5)))
    t_loader = tdata.DataLoader(tdata.TensorDataset(torch.arange(12.0).reshape(6, 2), torch.arange(6)), batch_size=4,
                                sampler=tdata.WeightedRandomSampler(w, 10))
    assert len(loader) == len(t_loader) == 3
    expected = list(xdata.WeightedRandomSampler(w, 10, generator=xptorch.Generator().manual_seed(5)))
    batches = list(loader)
    assert [len(b[1]) for b in batches] == [len(b[1]) for b in t_loader] == [4, 4, 2]
    got = np.concatenate([b[1].numpy(force=True) for b in batches])
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy(force=True) for b in batches]),
                                  x.numpy(force=True)[expected])
    assert set(expected) <= {1, 3, 4}


# ---- SubsetRandomSampler --------------------------------------------------------------------------------
@pytest.mark.parametrize("indices", [[5, 6, 7, 9], range(3, 11), [], [4]])
def test_subset_sampler_permutes_its_indices(indices):
    t = tdata.SubsetRandomSampler(indices)
    x = xdata.SubsetRandomSampler(indices)
    assert len(x) == len(t) and x.indices is indices and x.generator is None
    drawn = list(x)
    assert sorted(drawn) == sorted(t) == sorted(indices)
    assert all(type(i) is int for i in drawn)


def test_subset_sampler_follows_the_seed():
    indices = list(range(10, 30))
    xptorch.manual_seed(7)
    first = list(xdata.SubsetRandomSampler(indices))
    xptorch.manual_seed(7)
    assert list(xdata.SubsetRandomSampler(indices)) == first
    g = xptorch.Generator().manual_seed(7)
    s = xdata.SubsetRandomSampler(indices, generator=g)
    passes = [list(s) for _ in range(3)]
    g.manual_seed(7)
    assert [list(s) for _ in range(3)] == passes and passes[0] != passes[1]


def test_subset_sampler_orders_are_uniform():
    g = xptorch.Generator().manual_seed(2)
    s = xdata.SubsetRandomSampler([10, 20, 30], generator=g)
    counts = {}
    for _ in range(1800):
        key = tuple(s)
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6
    np.testing.assert_allclose(np.array(list(counts.values())) / 1800, 1 / 6, atol=0.035)


def test_subset_sampler_of_a_tensor_yields_its_elements(device):
    t = list(tdata.SubsetRandomSampler(torch.tensor([4, 5])))
    x = list(xdata.SubsetRandomSampler(xptorch.tensor([4, 5], device=device)))
    assert all(isinstance(i, xptorch.Tensor) and i.shape == () and i.device.type == device for i in x)
    assert sorted(int(i) for i in x) == sorted(int(i) for i in t)


# ---- StackDataset ---------------------------------------------------------------------------------------
STACK_ERRORS = [
    lambda d: d.StackDataset(),
    lambda d: d.StackDataset([1, 2], b=[1, 2]),
    lambda d: d.StackDataset([1, 2], [1, 2, 3]),
    lambda d: d.StackDataset(a=[1, 2], b=[1, 2, 3]),
    lambda d: d.StackDataset([1, 2], 5),
]


@pytest.mark.parametrize("make", STACK_ERRORS)
def test_stack_dataset_errors_match_torch(make):
    check_error(lambda: make(tdata), lambda: make(xdata))


class Batched:
    """A list dataset with __getitems__, which can be told to return too few samples."""

    def __init__(self, values, short=False):
        self.values, self.short = values, short

    def __getitem__(self, i):
        return self.values[i]

    def __getitems__(self, indices):
        return [self.values[i] for i in indices][: len(indices) - self.short]

    def __len__(self):
        return len(self.values)


def test_stack_dataset_items_match_torch():
    for d in (tdata, xdata):
        tup = d.StackDataset([1, 2, 3], Batched("abc"))
        named = d.StackDataset(a=[1, 2, 3], b=Batched("abc"))
        got = (len(tup), tup[1], tup[-1], tup.__getitems__([2, 0]), tup.__getitems__([]), len(named), named[0],
               named.__getitems__([1, 2]), type(tup.datasets), type(named.datasets))
        if d is tdata:
            expected = got
    assert got == expected
    for d in (tdata, xdata):
        with pytest.raises(ValueError, match="Nested dataset's output size mismatch. Expected 2, got 1"):
            d.StackDataset(a=[1, 2], b=Batched("xy", short=True)).__getitems__([0, 1])


def test_stack_dataset_batches_match_torch(device):
    x = np.arange(15, dtype=np.float32).reshape(5, 3)
    y = np.arange(5)
    for kw in (False, True):
        t_parts = [tdata.TensorDataset(torch.tensor(x)), torch.tensor(y)]
        x_parts = [xdata.TensorDataset(xptorch.tensor(x, device=device)), xptorch.tensor(y, device=device)]
        t_ds = tdata.StackDataset(img=t_parts[0], label=t_parts[1]) if kw else tdata.StackDataset(*t_parts)
        x_ds = xdata.StackDataset(img=x_parts[0], label=x_parts[1]) if kw else xdata.StackDataset(*x_parts)
        t_batches = list(tdata.DataLoader(t_ds, batch_size=2))
        x_batches = list(xdata.DataLoader(x_ds, batch_size=2))
        assert len(x_batches) == len(t_batches) == 3
        for xb, tb in zip(x_batches, t_batches):
            xb, tb = (list(xb.values()), list(tb.values())) if kw else (xb, tb)
            assert type(xb[0]) is list and len(xb[0]) == 1
            np.testing.assert_array_equal(xb[0][0].numpy(force=True), tb[0][0].numpy())
            assert xb[1].device.type == device and str(xb[1].dtype) == str(tb[1].dtype).replace("torch", "xptorch")
            np.testing.assert_array_equal(xb[1].numpy(force=True), tb[1].numpy())


# ---- ChainDataset ---------------------------------------------------------------------------------------
def make_stream(lib, n, sized=True):
    base = libs_data(lib).IterableDataset

    class Stream(base):
        def __iter__(self):
            return iter(range(n))

    if sized:
        Stream.__len__ = lambda self: n
    return Stream()


def test_chain_dataset_matches_torch():
    def run(lib):
        d = libs_data(lib)
        chain = d.ChainDataset([make_stream(lib, 2), make_stream(lib, 3)])
        added = make_stream(lib, 1) + make_stream(lib, 2)
        batches = [b.tolist() for b in d.DataLoader(chain, batch_size=2)]
        return (list(chain), len(chain), list(chain), type(added).__name__, list(added),
                list(d.ChainDataset([])), len(d.ChainDataset([])), batches, isinstance(chain, d.IterableDataset))

    assert run(xptorch) == run(torch)


CHAIN_ERRORS = [
    lambda lib: list(libs_data(lib).ChainDataset([make_stream(lib, 2), [1, 2]])),
    lambda lib: len(libs_data(lib).ChainDataset([make_stream(lib, 2), [1, 2]])),
    lambda lib: len(libs_data(lib).ChainDataset([make_stream(lib, 2), make_stream(lib, 2, sized=False)])),
]


@pytest.mark.parametrize("make", CHAIN_ERRORS)
def test_chain_dataset_errors_match_torch(make):
    check_error(lambda: make(torch), lambda: make(xptorch))
