"""F.rrelu / F.rrelu_ / nn.RReLU against torch 2.13: the eval form (mean slope) value for value with its
gradients; the training form by its definition (random slopes in [lower, upper] where x <= 0, the
gradient scaled by the same slopes), reproducible under manual_seed; reprs and errors; cpu and cuda."""
import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from torch.nn import functional as TF  # noqa: E402

from devices import check  # noqa: E402
from oracle import check_error, grad_fn_name, same_repr, to_numpy  # noqa: E402

X = np.array([[-2.0, -0.5, 0.0, -0.0], [1.5, 3.0, -1e-3, float("nan")]], np.float32)


@pytest.mark.parametrize("bounds", [(), (0.1, 0.3), (0.2, 0.2), (-0.5, 0.5)])
def test_eval_matches_torch(device, bounds):
    check(device, [X[:, :3].copy()], lambda x: TF.rrelu(x, *bounds), lambda x: XF.rrelu(x, *bounds))
    check(device, [(3, 4)], lambda x: TF.rrelu(x, *bounds, training=False),
          lambda x: XF.rrelu(x, *bounds, training=False), dtype="float64")


def test_eval_special_values_and_grad_at_zero():
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    TF.rrelu(tx).backward(torch.ones(2, 4, dtype=torch.float64))
    xx = xptorch.tensor(X, dtype=xptorch.float64, requires_grad=True)
    out = XF.rrelu(xx)
    out.backward(xptorch.ones(2, 4, dtype=xptorch.float64))
    np.testing.assert_array_equal(to_numpy(out), TF.rrelu(tx).detach().numpy())
    np.testing.assert_array_equal(np.signbit(to_numpy(out)), np.signbit(TF.rrelu(tx).detach().numpy()))
    np.testing.assert_array_equal(to_numpy(xx.grad), tx.grad.numpy())
    assert grad_fn_name(out) == "RreluWithNoiseBackward0"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_slopes_and_gradient(device, dtype):
    lower, upper = 0.1, 0.4
    x = xptorch.linspace(-3.0, 2.0, 400, dtype=getattr(xptorch, dtype), device=device).requires_grad_()
    xptorch.manual_seed(0)
    y = XF.rrelu(x, lower, upper, training=True)
    assert y.dtype == x.dtype and y.device.type == device and grad_fn_name(y) == "RreluWithNoiseBackward0"
    g = xptorch.rand(400, dtype=x.dtype, device=device)
    y.backward(g)
    xs, ys, gs, grad = (to_numpy(t) for t in (x.detach(), y.detach(), g, x.grad))
    neg = xs <= 0
    np.testing.assert_array_equal(ys[~neg], xs[~neg])
    np.testing.assert_array_equal(grad[~neg], gs[~neg])
    slopes = grad[neg] / gs[neg]
    assert slopes.min() >= lower and slopes.max() <= upper and np.unique(slopes).size > 100
    nz = neg & (xs != 0)
    np.testing.assert_allclose(ys[nz] / xs[nz], grad[nz] / gs[nz], rtol=1e-5)  # the same slope in both
    xptorch.manual_seed(0)
    again = XF.rrelu(x.detach(), lower, upper, training=True)
    np.testing.assert_array_equal(to_numpy(again), ys)


def test_training_slope_statistics():
    xptorch.manual_seed(1)
    y = XF.rrelu(-xptorch.ones(40000), 0.125, 1 / 3, training=True)
    s = -y.numpy()
    assert abs(s.mean() - (0.125 + 1 / 3) / 2) < 2e-3 and abs(s.std() - (1 / 3 - 0.125) / 12 ** 0.5) < 2e-3


@pytest.mark.parametrize("training", [False, True])
def test_inplace(device, training):
    for lib, F in ((torch, TF), (xptorch, XF)):
        h = lib.tensor(X[:, :3].copy(), requires_grad=True).to(device if lib is xptorch else "cpu") * 1
        y = F.rrelu(h, training=training, inplace=True)
        assert y is h and grad_fn_name(y) == "RreluWithNoiseBackward1"
        z = F.rrelu_(lib.tensor([-1.0, 2.0]).to(device if lib is xptorch else "cpu"), 0.2, 0.2, training=training)
        assert z.tolist() == pytest.approx([-0.2, 2.0])
    if not training:
        check(device, [X[:, :3].copy()], lambda x: TF.rrelu_(x * 1), lambda x: XF.rrelu_(x * 1))


ERRORS = [
    lambda lib, F: F.rrelu(lib.ones(3), 0.5, 0.1),
    lambda lib, F: F.rrelu(lib.ones(3), 0.5, 0.1, training=True),
    lambda lib, F: F.rrelu(lib.tensor([-1, 2])),
    lambda lib, F: F.rrelu(lib.tensor([-1, 2]), training=True),
    lambda lib, F: F.rrelu(lib.tensor([True]), training=True),
    lambda lib, F: F.rrelu_(lib.tensor([-1, 2]), training=True),
    lambda lib, F: F.rrelu_(lib.tensor([-1.0, 2.0], requires_grad=True)),
    lambda lib, F: F.rrelu(3.0),
]


@pytest.mark.parametrize("make", ERRORS)
def test_errors(make):
    check_error(lambda: make(torch, TF), lambda: make(xptorch, XF))


def test_module():
    same_repr(lambda lib: lib.nn.RReLU())
    same_repr(lambda lib: lib.nn.RReLU(0.1, 0.3, inplace=True))
    same_repr(lambda lib: lib.nn.RReLU(0.5, 0.1))
    t, x = torch.nn.RReLU(0.1, 0.3).eval(), nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_array_equal(to_numpy(x(xptorch.tensor(X))), t(torch.tensor(X)).numpy())
    x.train()
    xptorch.manual_seed(0)
    y = x(-xptorch.ones(1000)).numpy()
    assert (y <= -0.1).all() and (y >= -0.3).all() and np.unique(y).size > 100
    assert (x.lower, x.upper, x.inplace) == (t.lower, t.upper, t.inplace)
