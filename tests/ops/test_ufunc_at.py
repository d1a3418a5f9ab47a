"""Scatter reductions CuPy has no atomic for (multiply, and any on bool) run in rounds of distinct positions:
the same values as NumPy's ufunc.at, repeated positions combined in index order, on each device."""
import numpy as np
import pytest

import xptorch
from oracle import assert_same_tensor, torch


@pytest.mark.parametrize("dtype,reduce", [("float64", "prod"), ("int64", "prod"), ("bool", "sum"), ("bool", "prod"),
                                          ("bool", "amax"), ("bool", "amin"), ("float32", "amax")])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_with_repeats(device, dtype, reduce, include_self):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=(4, 5)).astype(dtype)
    src = rng.integers(-3, 4, size=(9, 5)).astype(dtype)
    idx = rng.integers(0, 4, size=(9, 5))
    want = torch.tensor(x).scatter_reduce(0, torch.tensor(idx), torch.tensor(src), reduce, include_self=include_self)
    got = xptorch.tensor(x, device=device).scatter_reduce(0, xptorch.tensor(idx, device=device),
                                                          xptorch.tensor(src, device=device), reduce,
                                                          include_self=include_self)
    assert_same_tensor(got.cpu(), want)


def test_scatter_multiply_with_repeats(device):
    """Against NumPy's multiply.at (torch's scatter(reduce=) warns once per process: another test's business)."""
    idx = [[0, 1, 0], [0, 1, 2], [2, 2, 2]]
    src = np.arange(1.0, 10.0).reshape(3, 3)
    want = np.full((3, 3), 2.0)
    np.multiply.at(want, (np.array(idx), np.arange(3)[None, :].repeat(3, 0)), src)
    with pytest.warns(UserWarning):
        got = xptorch.full((3, 3), 2.0, device=device, dtype=xptorch.float64).scatter(
            0, xptorch.tensor(idx, device=device), xptorch.tensor(src, device=device), reduce="multiply")
    np.testing.assert_array_equal(got.cpu().numpy(), want)


@pytest.mark.parametrize("repeats", [3, 200])  # few repeats: rounds of distinct rows; many: one reduceat per run
def test_row_sums_with_repeats(device, repeats):
    """index_select's gradient and index_put(accumulate=True) add whole rows, repeated ones in index order."""
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.integers(0, 50, 300), np.full(repeats, 7)])
    rng.shuffle(idx)
    x = rng.standard_normal((50, 20))  # float64: the sums of ~500 rows stay within tolerance of torch's order
    v = rng.standard_normal((idx.size, 20))
    outs = []
    for lib, dev in ((torch, "cpu"), (xptorch, device)):
        a = lib.tensor(x, device=dev, requires_grad=True)
        b = lib.tensor(v, device=dev, requires_grad=True)
        i = lib.tensor(idx, device=dev)
        y = a.index_put((i,), b, accumulate=True) + a.index_select(0, i).sum(0)
        (y * y).sum().backward()
        outs.append((y.detach(), a.grad, b.grad))
    for ours, theirs in zip(outs[1], outs[0]):
        assert_same_tensor(ours.cpu(), theirs)
