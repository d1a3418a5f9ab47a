"""nn.Parameter and nn.Buffer against torch 2.13: construction, flags, repr, copies, errors."""
import copy
import pickle

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import check_error, on_cpu_terms, xp_message  # noqa: E402

LIBS = (torch, xptorch)


def same_repr(fn):
    """fn(lib) on both libraries; the reprs agree once 'torch' is renamed."""
    t, x = fn(torch), fn(xptorch)
    assert on_cpu_terms(repr(x)) == xp_message(repr(t))
    return x


@pytest.mark.parametrize("rg", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_repr_and_flags(rg, dtype):
    def make(lib):
        p = lib.nn.Parameter(lib.tensor([[1.5, -2.0], [0.25, 3.0]], dtype=getattr(lib, dtype)), requires_grad=rg)
        return p, p.requires_grad, p.is_leaf, p.grad, p.grad_fn, type(p).__name__, p.dtype

    p = same_repr(make)[0]
    assert isinstance(p, xptorch.Tensor) and isinstance(p, nn.Parameter)
    assert str(p).startswith("Parameter containing:\ntensor(")


def test_default_requires_grad_even_under_no_grad():
    for lib in LIBS:
        with lib.no_grad():
            p = lib.nn.Parameter(lib.ones(2))
        assert p.requires_grad and p.is_leaf and p.grad_fn is None
    same_repr(lambda lib: lib.nn.Parameter())


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_data_cannot_require_grad(dtype):
    check_error(lambda: torch.nn.Parameter(torch.ones(2, dtype=getattr(torch, dtype))),
                lambda: nn.Parameter(xptorch.ones(2, dtype=getattr(xptorch, dtype))))
    same_repr(lambda lib: lib.nn.Parameter(lib.ones(2, dtype=getattr(lib, dtype)), requires_grad=False))


def test_shares_memory_with_data_and_detaches_a_graph():
    for lib in LIBS:
        t = lib.ones(3)
        p = lib.nn.Parameter(t)
        p.data[0] = 5
        assert t.tolist() == [5.0, 1.0, 1.0]
        h = lib.ones(2, requires_grad=True) * 2
        q = lib.nn.Parameter(h)
        assert q.grad_fn is None and q.is_leaf and q.requires_grad


def test_results_of_ops_are_plain_tensors():
    def kinds(lib):
        p = lib.nn.Parameter(lib.ones(2, 2))
        return [type(v).__name__ for v in (p * 2, p.detach(), p.data, p.clone(), p[0], p.t())]

    assert kinds(xptorch) == kinds(torch)


def test_deepcopy_copies_values_and_flag_but_not_grad():
    def run(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        (p * p).sum().backward()
        q = copy.deepcopy(p)
        r = lib.nn.Parameter(lib.ones(1), requires_grad=False)
        return q, q is p, q.grad, q.data_ptr() == p.data_ptr(), type(q).__name__, copy.deepcopy(r)

    same_repr(run)
    p = nn.Parameter(xptorch.ones(2))
    memo = {}
    assert copy.deepcopy([p, p], memo)[0] is memo[id(p)]


def test_pickle_round_trip():
    p = nn.Parameter(xptorch.tensor([[1.0, -1.0]]), requires_grad=False)
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is nn.Parameter and not q.requires_grad
    np.testing.assert_array_equal(q.cpu().numpy(), p.cpu().numpy())


def test_requires_grad_toggles_in_place():
    same_repr(lambda lib: lib.nn.Parameter(lib.ones(2)).requires_grad_(False))


def test_parameter_on_device(device):
    p = nn.Parameter(xptorch.ones(2, device=device))
    assert p.device.type == device
    if device == "cuda":
        assert repr(p) == "Parameter containing:\ntensor([1., 1.], device='cuda:0', requires_grad=True)"


# ---- Buffer -----------------------------------------------------------------------------------------

def test_buffer_marks_a_tensor_for_registration():
    def run(lib):
        b = lib.nn.Buffer(lib.ones(2))
        m = lib.nn.Module()
        m.b = b
        m.c = lib.nn.Buffer(lib.zeros(1), persistent=False)
        return (type(b).__name__, isinstance(b, lib.nn.Buffer), isinstance(lib.ones(1), lib.nn.Buffer),
                b.persistent, list(m.state_dict()), [n for n, _ in m.named_buffers()], m.b is b)

    same_repr(run)
    same_repr(lambda lib: lib.nn.Buffer())
    same_repr(lambda lib: lib.nn.Buffer(lib.ones(2, requires_grad=True)).requires_grad)


def test_buffer_assignment_rules():
    def rebind(lib):
        m = lib.nn.Module()
        m.register_buffer("b", lib.ones(2))
        m.b = lib.nn.Buffer(lib.zeros(2), persistent=False)
        return list(m.state_dict()), m.b

    same_repr(rebind)

    def plain_then_buffer(lib):
        m = lib.nn.Module()
        m.b = 3
        m.b = lib.nn.Buffer(lib.zeros(2))

    check_error(lambda: plain_then_buffer(torch), lambda: plain_then_buffer(xptorch))

    def buffer_then_int(lib):
        m = lib.nn.Module()
        m.register_buffer("b", lib.ones(2))
        m.b = 3

    check_error(lambda: buffer_then_int(torch), lambda: buffer_then_int(xptorch))
