"""GELU, LeakyReLU, Softmax, LogSoftmax (modules and F.gelu/F.leaky_relu) against torch 2.13."""
import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, gradcheck, to_numpy  # noqa: E402

TF = torch.nn.functional


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_matches_torch(approximate, dtype):
    wide = np.linspace(-12, 12, 241)
    check_op([wide], lambda x: TF.gelu(x, approximate=approximate), lambda x: XF.gelu(x, approximate=approximate),
             dtype=dtype)
    check_op([(5, 7)], lambda x: TF.gelu(x, approximate=approximate), lambda x: XF.gelu(x, approximate=approximate),
             dtype=dtype, low=-4, high=4)


def test_erf_matches_torch_to_double_precision():
    from xptorch._ops.activation import erf

    x = np.concatenate([np.linspace(-9, 9, 4001), [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan]])
    np.testing.assert_allclose(erf(x), torch.erf(torch.tensor(x)).cpu().numpy(), rtol=0, atol=4e-16, equal_nan=True)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(erf(x32), torch.erf(torch.tensor(x32)).cpu().numpy(), rtol=0, atol=3e-7, equal_nan=True)
    assert erf(x32).dtype == np.float32


def test_gelu_gradcheck():
    x = np.random.default_rng(0).standard_normal(9) * 2
    gradcheck(XF.gelu, [x])
    gradcheck(lambda t: XF.gelu(t, approximate="tanh"), [x])


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.3, 0.0, 1.5])
def test_leaky_relu_matches_torch(slope):
    a = np.array([-2.0, -0.5, 0.0, 0.5, 3.0, -1e-8])
    check_op([a], lambda x: TF.leaky_relu(x, slope), lambda x: XF.leaky_relu(x, slope), dtype="float64")
    check_op([(4, 5)], lambda x: TF.leaky_relu(x, slope), lambda x: XF.leaky_relu(x, slope))


def test_leaky_relu_inplace_matches_torch():
    def run(lib, F):
        x = lib.tensor([[-2.0, 0.5, 3.0], [1.0, -0.25, 0.0]], requires_grad=True)
        h = x * 2
        y = F.leaky_relu(h, 0.1, inplace=True)
        assert y is h
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return y, x.grad

    (ty, tg), (xy, xg) = run(torch, TF), run(xptorch, XF)
    assert xy.grad_fn.name() == ty.grad_fn.name() == "LeakyReluBackward1"
    np.testing.assert_allclose(to_numpy(xy), to_numpy(ty))
    np.testing.assert_allclose(to_numpy(xg), to_numpy(tg))


def test_leaky_relu_inplace_refusals_match_torch():
    def leaf(lib, F):
        return F.leaky_relu(lib.ones(3, requires_grad=True), inplace=True)

    check_error(lambda: leaf(torch, TF), lambda: leaf(xptorch, XF))

    def negative_slope(lib, F):
        x = lib.ones(3, requires_grad=True)
        F.leaky_relu(x * 1, -0.1, inplace=True).sum().backward()

    with pytest.raises(RuntimeError) as t_exc:
        negative_slope(torch, TF)
    with pytest.raises(RuntimeError) as x_exc:
        negative_slope(xptorch, XF)
    # torch's message ends with a pointer to its own issue tracker; the explanation before it is shared.
    assert str(t_exc.value).startswith(str(x_exc.value))
    assert str(x_exc.value).startswith("In-place leakyReLu backward calculation is triggered with a negative slope")


@pytest.mark.parametrize("kind,args,kw,shape", [
    ("GELU", (), {}, (3, 4)),
    ("GELU", ("tanh",), {}, (3, 4)),
    ("GELU", (), dict(approximate="tanh"), (2, 3, 4)),
    ("LeakyReLU", (), {}, (3, 4)),
    ("LeakyReLU", (0.2,), {}, (3, 4)),
    ("Softmax", (1,), {}, (3, 4, 5)),
    ("Softmax", (), dict(dim=-1), (3, 4)),
    ("LogSoftmax", (0,), {}, (3, 4)),
    ("LogSoftmax", (), dict(dim=2), (2, 3, 4)),
])
def test_module_matches_torch(kind, args, kw, shape):
    tm, xm = getattr(torch.nn, kind)(*args, **kw), getattr(nn, kind)(*args, **kw)
    assert repr(xm) == repr(tm)
    check_op([shape], tm, xm, dtype="float64")


@pytest.mark.parametrize("kind,args,kw", [
    ("LeakyReLU", (0.2, True), {}), ("LeakyReLU", (), dict(inplace=False)), ("Softmax", (), {}),
    ("LogSoftmax", (), {}), ("Softmax", (), dict(dim=None)), ("GELU", (), dict(approximate="none")),
])
def test_repr(kind, args, kw):
    assert repr(getattr(nn, kind)(*args, **kw)) == repr(getattr(torch.nn, kind)(*args, **kw))


def test_leaky_relu_module_inplace():
    m = nn.LeakyReLU(0.5, inplace=True)
    x = xptorch.tensor([-2.0, 4.0])
    assert m(x) is x and x.tolist() == [-1.0, 4.0]


def test_errors_match_torch():
    check_error(lambda: torch.nn.GELU("foo")(torch.zeros(2)), lambda: nn.GELU("foo")(xptorch.zeros(2)))
    check_error(lambda: TF.gelu(torch.zeros(2), approximate="foo"), lambda: XF.gelu(xptorch.zeros(2), approximate="foo"))
    check_error(lambda: torch.nn.Softmax(5)(torch.zeros(2, 3)), lambda: nn.Softmax(5)(xptorch.zeros(2, 3)))


def test_device_follows_input(device):
    x = xptorch.randn(3, 4, device=device, requires_grad=True)
    y = XF.gelu(x) + XF.leaky_relu(x, 0.1) + nn.Softmax(1)(x)
    y.sum().backward()
    assert y.device.type == device and x.grad.device.type == device
