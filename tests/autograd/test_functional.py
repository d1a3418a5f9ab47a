"""autograd.functional against torch 2.13: values, shapes, tuple structure, create_graph and strict."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import to_numpy  # noqa: E402

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
V2, V32 = RNG.standard_normal(2), RNG.standard_normal((3, 2))


def two_in(x, y):
    return (x.exp() * y).sum(0) + (x * y).tanh().sum()


def scalar(x):
    return (x ** 3).sum() + ((x[0] * x[1]) ** 2).sum() + x.sin().prod(0).sum() * 0


def scalar2(x, y):
    return (x * y).sum() ** 2 + (x.tanh() * y.exp()).sum()


def _calls(lib):
    F = lib.autograd.functional
    x, y = lib.tensor(A), lib.tensor(B)
    v2, v32 = lib.tensor(V2), lib.tensor(V32)
    return {
        "vjp": F.vjp(two_in, (x, y), v2),
        "vjp_single": F.vjp(lambda t: t.sin().sum(), x),
        "jvp": F.jvp(two_in, (x, y), (v32, v32)),
        "jvp_single": F.jvp(lambda t: t.sin() * 2, x, v32),
        "jacobian_tuple": F.jacobian(two_in, (x, y)),
        "jacobian_single": F.jacobian(lambda t: t.sin(), x),
        "jacobian_tuple_out": F.jacobian(lambda t: (t.exp(), t.sum()), x),
        "hessian": F.hessian(scalar, x),
        "hessian_tuple": F.hessian(scalar2, (x, y)),
        "vhp": F.vhp(scalar, x, v32),
        "hvp": F.hvp(scalar, x, v32),
        "hvp_tuple": F.hvp(scalar2, (x, y), (v32, v32)),
        "unused_input": F.jacobian(lambda a, b: a * 2, (x, y)),
    }


def _structure(o):
    if isinstance(o, tuple):
        return tuple(_structure(i) for i in o)
    return (tuple(o.shape), o.requires_grad)


def _flat(o):
    if isinstance(o, tuple):
        for i in o:
            yield from _flat(i)
    else:
        yield o


@pytest.mark.parametrize("name", sorted(_calls(xptorch)))
def test_matches_torch(name):
    got, want = _calls(xptorch)[name], _calls(torch)[name]
    assert _structure(got) == _structure(want)
    for g, w in zip(_flat(got), _flat(want)):
        np.testing.assert_allclose(to_numpy(g), w.numpy(), rtol=1e-10, atol=1e-12)


def test_create_graph_keeps_results_differentiable():
    res = []
    for lib in (torch, xptorch):
        x = lib.tensor(A, requires_grad=True)
        h = lib.autograd.functional.hessian(scalar, x, create_graph=True)
        assert h.requires_grad
        _, hv = lib.autograd.functional.hvp(scalar, x, lib.tensor(V32), create_graph=True)
        (h.sum() + hv.pow(2).sum()).backward()
        res.append(to_numpy(x.grad))
        assert lib.autograd.functional.hessian(scalar, x).grad_fn is None
    np.testing.assert_allclose(res[1], res[0], rtol=1e-10)


def test_inputs_left_untouched():
    x = xptorch.tensor(A)
    xptorch.autograd.functional.jacobian(lambda t: t.exp(), x)
    assert not x.requires_grad and x.grad is None


@pytest.mark.parametrize("call", [
    lambda lib: lib.autograd.functional.jacobian(lambda a, b: a * 2, (lib.tensor(A), lib.tensor(B)), strict=True),
    lambda lib: lib.autograd.functional.vjp(lambda a: a.sum(), lib.tensor(A), lib.tensor(V2)),
    lambda lib: lib.autograd.functional.vjp(lambda a: a * 2, lib.tensor(A)),
    lambda lib: lib.autograd.functional.hessian(lambda a: a * 2, lib.tensor(A)),
    lambda lib: lib.autograd.functional.vjp(lambda a: 3, lib.tensor(A)),
    lambda lib: lib.autograd.functional.vjp(lambda a: a * 2, lib.tensor(A), (lib.tensor(V32), lib.tensor(V32))),
    lambda lib: lib.autograd.functional.vjp(lambda a: a.detach(), lib.tensor(A), lib.tensor(V32), strict=True),
], ids=["strict_unused", "v_shape", "v_none", "hessian_not_scalar", "bad_output", "v_len", "strict_detached"])
def test_errors_match_torch(call):
    errs = []
    for lib in (torch, xptorch):
        with pytest.raises((RuntimeError, TypeError)) as ei:
            call(lib)
        errs.append((ei.type, str(ei.value).replace("xptorch.", "").replace("torch.", "")))
    assert errs[0] == errs[1]
