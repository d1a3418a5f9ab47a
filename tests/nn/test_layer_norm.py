"""LayerNorm and F.layer_norm against torch 2.13: values, grad_fn, gradients, repr, errors."""
import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, gradcheck, to_numpy  # noqa: E402

TF = torch.nn.functional


@pytest.mark.parametrize("shape,norm", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((5,), (5,)), ((2, 3, 4), (2, 3, 4))])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_functional_matches_torch(shape, norm, affine, dtype):
    inputs = [shape] + {"both": [norm, norm], "weight": [norm], "none": []}[affine]
    check_op(inputs, lambda x, *wb: TF.layer_norm(x, norm, *wb, eps=1e-4),
             lambda x, *wb: XF.layer_norm(x, norm, *wb, eps=1e-4), dtype=dtype,
             grad_atol=1e-4 if dtype == "float32" else None)


def test_gradcheck():
    rng = np.random.default_rng(0)
    gradcheck(lambda x, w, b: XF.layer_norm(x, (3, 2), w, b),
              [rng.standard_normal((2, 3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))])


@pytest.mark.parametrize("args,kw", [
    ((6,), {}), (([3, 4],), {}), ((4,), dict(elementwise_affine=False)), ((4,), dict(bias=False)),
    ((xptorch.Size([3, 4]),), dict(eps=1e-3)),
])
def test_module_matches_torch(args, kw):
    t_args = tuple(torch.Size(a) if isinstance(a, xptorch.Size) else a for a in args)
    tm, xm = torch.nn.LayerNorm(*t_args, **kw).double(), nn.LayerNorm(*args, **kw).double()
    assert repr(xm) == repr(tm)
    assert xm.normalized_shape == tm.normalized_shape and xm.eps == tm.eps
    assert [n for n, _ in xm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    rng = np.random.default_rng(1)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    xm.load_state_dict({k: xptorch.tensor(v.cpu().numpy().copy()) for k, v in tm.state_dict().items()})
    shape = (2, 5) + tuple(tm.normalized_shape)
    a = rng.standard_normal(shape)
    tx, xx = torch.tensor(a, requires_grad=True), xptorch.tensor(a, requires_grad=True)
    ty, xy = tm(tx), xm(xx)
    np.testing.assert_allclose(to_numpy(xy), to_numpy(ty), rtol=1e-10, atol=1e-12)
    assert xy.grad_fn.name() == ty.grad_fn.name() == "NativeLayerNormBackward0"
    g = rng.standard_normal(shape)
    ty.backward(torch.tensor(g))
    xy.backward(xptorch.tensor(g))
    np.testing.assert_allclose(to_numpy(xx.grad), to_numpy(tx.grad), rtol=1e-10, atol=1e-12)
    tp = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(to_numpy(p.grad), to_numpy(tp[name].grad), rtol=1e-10, atol=1e-12)


def test_defaults():
    m = nn.LayerNorm(4)
    assert np.array_equal(m.weight.detach().cpu().numpy(), np.ones(4, np.float32))
    assert np.array_equal(m.bias.detach().cpu().numpy(), np.zeros(4, np.float32))
    assert list(m.state_dict()) == list(torch.nn.LayerNorm(4).state_dict())


@pytest.mark.parametrize("shape,norm,w,b", [
    ((2, 3), [4], None, None),
    ((2, 4, 3), [3, 4], None, None),
    ((2, 3, 4), [2, 3, 4, 5], None, None),
    ((2, 3, 8), [8], (4,), None),
    ((2, 3, 4), [4], None, (5,)),
    ((2, 3, 4), [], None, None),
    ((2, 3, 4), 4, None, None),
])
def test_functional_errors(shape, norm, w, b):
    a = np.zeros(shape, np.float32)

    def call(lib, F):
        return F.layer_norm(lib.tensor(a), norm, lib.ones(*w) if w else None, lib.ones(*b) if b else None)

    check_error(lambda: call(torch, TF), lambda: call(xptorch, XF))


def test_module_shape_error():
    tm, xm = torch.nn.LayerNorm([3, 4]), nn.LayerNorm([3, 4])
    check_error(lambda: tm(torch.zeros(2, 4, 3)), lambda: xm(xptorch.zeros(2, 4, 3)))
