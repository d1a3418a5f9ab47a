"""Scatter reductions CuPy has no atomic for (multiply, and any on bool) run in rounds of distinct positions:
the same values as NumPy's ufunc.at, repeated positions combined in index order, on each device."""
import warnings

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
    idx = [[0, 1, 0], [0, 1, 2], [2, 2, 2]]
    with warnings.catch_warnings():  # torch's deprecation note (once per process)
        warnings.simplefilter("ignore")
        want = torch.full((3, 3), 2.0).scatter(0, torch.tensor(idx), torch.arange(1.0, 10.0).reshape(3, 3),
                                                reduce="multiply")
    with pytest.warns(UserWarning):
        got = xptorch.full((3, 3), 2.0, device=device).scatter(0, xptorch.tensor(idx, device=device),
                                                               xptorch.arange(1.0, 10.0, device=device).reshape(3, 3),
                                                               reduce="multiply")
    assert_same_tensor(got.cpu(), want)
