"""nn.AdaptiveMaxPool1d/2d/3d against torch 2.13: windows, ties and NaN, indices, gradients, reprs."""
import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("nd,shape,out", [
    (1, (2, 3, 11), 4), (1, (3, 5), 5), (2, (2, 3, 7, 5), (3, 2)), (2, (2, 3, 13, 9), (4, None)),
    (2, (3, 6, 6), 4), (3, (1, 2, 5, 6, 7), (2, 3, 4)), (3, (2, 4, 4, 4), 1),
])
def test_modules_match_torch_with_ties(nd, shape, out, device):
    rng = np.random.default_rng(nd)
    a = rng.integers(0, 4, size=shape).astype("float32")  # many ties: the first maximum must win
    name = f"AdaptiveMaxPool{nd}d"
    ours = getattr(nn, name)(out, return_indices=True)
    theirs = getattr(torch.nn, name)(out, return_indices=True)
    assert repr(ours) == repr(theirs).replace("torch.", "xptorch.")
    x = xptorch.tensor(a, device=device, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    (y, i), (u, j) = ours(x), theirs(t)
    np.testing.assert_array_equal(y.detach().cpu().numpy(), u.detach().numpy())
    np.testing.assert_array_equal(i.cpu().numpy(), j.numpy())
    assert i.dtype == xptorch.int64
    g = rng.standard_normal(tuple(u.shape)).astype("float32")
    y.backward(xptorch.tensor(g, device=device))
    u.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.cpu().numpy(), t.grad.numpy())


def test_nan_wins_and_the_last_nan_is_reported_as_torch(device):
    a = np.array([[[[1.0, np.nan, 3.0], [np.nan, 5.0, 0.0]]]], dtype="float32")
    y, i = nn.functional.adaptive_max_pool2d(xptorch.tensor(a, device=device), 1, True)
    u, j = torch.nn.functional.adaptive_max_pool2d(torch.tensor(a), 1, True)
    assert np.isnan(y.item()) and np.isnan(u.item()) and i.item() == j.item() == 3


def test_second_derivative_as_torch():
    a = np.random.default_rng(1).standard_normal((1, 2, 5, 5))
    x = xptorch.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    gx, = xptorch.autograd.grad((nn.functional.adaptive_max_pool2d(x, 2) ** 2).sum(), x, create_graph=True)
    gt, = torch.autograd.grad((torch.nn.functional.adaptive_max_pool2d(t, 2) ** 2).sum(), t, create_graph=True)
    hx, = xptorch.autograd.grad(gx.sum(), x)
    ht, = torch.autograd.grad(gt.sum(), t)
    np.testing.assert_allclose(hx.numpy(), ht.numpy())


def test_empty_output_and_batch():
    for shape, out in (((0, 3, 4, 4), 2), ((2, 3, 4, 4), (0, 2))):
        y, i = nn.functional.adaptive_max_pool2d(xptorch.zeros(*shape), out, True)
        u, j = torch.nn.functional.adaptive_max_pool2d(torch.zeros(*shape), out, True)
        assert tuple(y.shape) == tuple(u.shape) and tuple(i.shape) == tuple(j.shape)
