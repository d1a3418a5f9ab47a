"""nn.MaxUnpool1d/2d/3d and nn.LPPool1d/2d/3d against torch 2.13: values, gradients, reprs."""
import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402
from oracle import same_repr  # noqa: E402


@pytest.mark.parametrize("nd,shape,kernel,stride,padding,out", [
    (1, (2, 3, 9), 3, 2, 1, None),
    (2, (2, 3, 6, 5), 2, None, 0, (6, 5)),
    (2, (3, 7, 7), (3, 2), (2, 1), (1, 0), None),
    (3, (1, 2, 4, 5, 4), 2, 2, 0, (1, 2, 4, 5, 4)),
])
def test_max_unpool_modules_invert_max_pool_as_torch(nd, shape, kernel, stride, padding, out, device):
    def run(lib):
        pool = getattr(lib.nn, f"MaxPool{nd}d")(kernel, stride, padding, return_indices=True)
        unpool = getattr(lib.nn, f"MaxUnpool{nd}d")(kernel, stride, padding)
        return lambda x: unpool(*pool(x), output_size=out)

    check(device, [shape], run(torch), run(xptorch), dtype="float64")


def test_max_unpool_reprs():
    same_repr(lambda lib: lib.nn.MaxUnpool1d(2, 1, 1))
    same_repr(lambda lib: lib.nn.MaxUnpool2d((3, 2)))
    same_repr(lambda lib: lib.nn.MaxUnpool3d(2, padding=(1, 0, 1)))


@pytest.mark.parametrize("nd,shape,p,kernel,stride,ceil", [
    (1, (2, 3, 9), 2, 3, 2, True),
    (2, (2, 3, 6, 5), 1.5, 2, None, False),
    (2, (3, 7, 7), 3, (3, 2), (2, 1), True),
    (3, (1, 2, 4, 5, 4), 2, 2, 1, False),
])
def test_lp_pool_modules_match_torch(nd, shape, p, kernel, stride, ceil, device):
    def run(lib):
        return getattr(lib.nn, f"LPPool{nd}d")(p, kernel, stride, ceil)

    # Positive inputs keep fractional powers real; the zeros give zero window sums.
    a = np.abs(np.random.default_rng(nd).standard_normal(shape))
    a[..., :2] = 0.0
    check(device, [a], run(torch), run(xptorch), dtype="float64")


def test_lp_pool_reprs():
    same_repr(lambda lib: lib.nn.LPPool1d(1.5, 3, 2, True))
    same_repr(lambda lib: lib.nn.LPPool2d(2, (3, 2)))
    same_repr(lambda lib: lib.nn.LPPool3d(float("inf"), 2, stride=1))
