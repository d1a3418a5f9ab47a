"""flip, roll, tril/triu, diag, meshgrid, repeat_interleave, cumprod, broadcast_to, isclose,
clamp variants and where against torch: values, gradients, errors, on cpu and cuda."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402
from oracle import check_error, gradcheck  # noqa: E402


@pytest.mark.parametrize("shape,dims", [((2, 3), [0]), ((2, 3), (0, 1)), ((2, 3, 4), [-1, 0]), ((3,), []), ((), [0])])
def test_flip(device, shape, dims):
    check(device, [shape], lambda x: torch.flip(x, dims), lambda x: xptorch.flip(x, dims))
    if dims:
        check(device, [shape], lambda x: x.flip(*dims), lambda x: x.flip(*dims))


def test_fliplr_flipud(device):
    check(device, [(2, 3)], torch.fliplr, xptorch.fliplr)
    check(device, [(2, 3)], torch.flipud, xptorch.flipud)


@pytest.mark.parametrize("shifts,dims", [(1, None), (-2, None), (1, 1), ((1, -1), (0, 1)), (5, 0), ((2,), (-1,))])
def test_roll(device, shifts, dims):
    check(device, [(3, 4)], lambda x: torch.roll(x, shifts, dims), lambda x: xptorch.roll(x, shifts, dims))


def test_roll_empty(device):
    check(device, [(0,)], lambda x: torch.roll(x, 1), lambda x: xptorch.roll(x, 1))


@pytest.mark.parametrize("fn", ["tril", "triu"])
@pytest.mark.parametrize("shape,k", [((3, 3), 0), ((3, 4), 1), ((4, 3), -1), ((2, 3, 3), 0), ((3, 3), 5), ((3, 3), -5)])
def test_tril_triu(device, fn, shape, k):
    check(device, [shape], lambda x: getattr(torch, fn)(x, k), lambda x: getattr(xptorch, fn)(x, k))
    check(device, [shape], lambda x: getattr(x * 1, fn + "_")(k), lambda x: getattr(x * 1, fn + "_")(k))


def test_tril_integer_and_bool(device):
    check(device, [np.arange(9).reshape(3, 3)], torch.tril, xptorch.tril)
    check(device, [np.ones((3, 3), bool)], torch.triu, xptorch.triu)


@pytest.mark.parametrize("shape,k", [((3,), 0), ((3,), 1), ((3,), -2), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1),
                                     ((3, 4), 5)])
def test_diag(device, shape, k):
    check(device, [shape], lambda x: torch.diag(x, k), lambda x: xptorch.diag(x, k))


def test_meshgrid(device):
    for indexing in ("ij", "xy"):
        check(device, [(2,), (3,)], lambda a, b: torch.meshgrid(a, b, indexing=indexing),
              lambda a, b: xptorch.meshgrid(a, b, indexing=indexing))
        check(device, [(2,), (3,), (4,)], lambda *a: torch.meshgrid(list(a), indexing=indexing),
              lambda *a: xptorch.meshgrid(list(a), indexing=indexing))
    check(device, [(), (3,)], lambda a, b: torch.meshgrid(a, b, indexing="ij"),
          lambda a, b: xptorch.meshgrid(a, b, indexing="ij"))


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="upcoming release, it will be required to pass the indexing argument"):
        out = xptorch.meshgrid(xptorch.arange(2), xptorch.arange(3))
    assert [tuple(o.shape) for o in out] == [(2, 3), (2, 3)]


@pytest.mark.parametrize("make", [
    lambda m: m.meshgrid(m.ones(2), m.ones(3), indexing="xx"),
    lambda m: m.meshgrid(m.ones(2), m.ones(3, dtype=m.float64), indexing="ij"),
    lambda m: m.meshgrid(indexing="ij"),
])
def test_meshgrid_errors(make):
    check_error(lambda: make(torch), lambda: make(xptorch))


def test_meshgrid_refuses_matrices():
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor in the tensor list but got"):
        xptorch.meshgrid(xptorch.ones(2, 3), xptorch.ones(3), indexing="ij")


@pytest.mark.parametrize("repeats,dim", [(2, None), (2, 0), (3, 1), (0, 1), (np.array([1, 2]), 0),
                                         (np.array([2]), 1), (np.array([0, 3, 1]), -1)])
def test_repeat_interleave(device, repeats, dim):
    if isinstance(repeats, np.ndarray):
        check(device, [(2, 3), repeats], lambda x, r: torch.repeat_interleave(x, r, dim),
              lambda x, r: xptorch.repeat_interleave(x, r, dim))
    else:
        check(device, [(2, 3)], lambda x: torch.repeat_interleave(x, repeats, dim),
              lambda x: xptorch.repeat_interleave(x, repeats, dim))
        check(device, [(2, 3)], lambda x: x.repeat_interleave(repeats, dim),
              lambda x: x.repeat_interleave(repeats, dim))


def test_repeat_interleave_index_form(device):
    check(device, [np.array([1, 2, 0, 3])], torch.repeat_interleave, xptorch.repeat_interleave)


@pytest.mark.parametrize("make", [
    lambda m: m.repeat_interleave(m.tensor([1, -2, 3])),
    lambda m: m.repeat_interleave(m.tensor([[1, 2]])),
    lambda m: m.repeat_interleave(m.tensor([1.0])),
    lambda m: m.repeat_interleave(m.ones(2, 3), m.tensor([1, 2, 3]), dim=0),
    lambda m: m.repeat_interleave(m.ones(2, 3), -1),
])
def test_repeat_interleave_errors(make):
    check_error(lambda: make(torch), lambda: make(xptorch))


@pytest.mark.parametrize("array", [
    np.array([1.5, -2.0, 0.5, 3.0]),
    np.array([1.5, 0.0, 0.5, 3.0]),
    np.array([0.0, 2.0, 0.0, 3.0]),
    np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 1.0], [2.0, 3.0, 0.0]]),
])
@pytest.mark.parametrize("dim", [0, -1])
def test_cumprod(device, array, dim):
    check(device, [array.astype(np.float32)], lambda x: torch.cumprod(x, dim), lambda x: xptorch.cumprod(x, dim))
    check(device, [array.astype(np.float64)], lambda x: x.cumprod(dim), lambda x: x.cumprod(dim), dtype="float64")


def test_cumprod_gradient_with_zeros_finite_differences():
    gradcheck(lambda x: xptorch.cumprod(x, 1), [np.array([[1.0, 0.0, 2.0, 3.0], [0.5, 2.0, 0.0, 0.0]])])
    gradcheck(lambda x: xptorch.cumprod(x, 0), [np.random.default_rng(0).standard_normal((4, 3))])


def test_cumprod_dtypes(device):
    check(device, [np.array([1, 2, 3])], lambda x: torch.cumprod(x, 0), lambda x: xptorch.cumprod(x, 0))
    check(device, [np.array([True, False])], lambda x: torch.cumprod(x, 0), lambda x: xptorch.cumprod(x, 0))
    check(device, [np.array([1, 2, 3])], lambda x: torch.cumprod(x, 0, dtype=torch.float64),
          lambda x: xptorch.cumprod(x, 0, dtype=xptorch.float64))
    check(device, [()], lambda x: torch.cumprod(x, 0), lambda x: xptorch.cumprod(x, 0))
    check_error(lambda: torch.cumprod(torch.ones(2), 1), lambda: xptorch.cumprod(xptorch.ones(2), 1))


def test_broadcast_to(device):
    check(device, [(3,)], lambda x: torch.broadcast_to(x, (2, 3)), lambda x: xptorch.broadcast_to(x, (2, 3)))
    check(device, [(3, 1)], lambda x: x.broadcast_to((2, 3, 4)), lambda x: x.broadcast_to((2, 3, 4)))
    check(device, [(3, 1)], lambda x: x.broadcast_to((-1, 4)), lambda x: x.broadcast_to((-1, 4)))
    check_error(lambda: torch.broadcast_to(torch.ones(3), (2, 4)), lambda: xptorch.broadcast_to(xptorch.ones(3), (2, 4)))


CLOSE = [np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 100.0], np.float32),
         np.array([1.0000001, np.nan, np.inf, np.inf, 0.0, 100.001], np.float32)]


@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"rtol": 0, "atol": 1e-3}, {"rtol": 1e-3}])
def test_isclose_allclose(device, kw):
    check(device, CLOSE, lambda a, b: torch.isclose(a, b, **kw), lambda a, b: xptorch.isclose(a, b, **kw))
    check(device, CLOSE, lambda a, b: a.isclose(b, **kw), lambda a, b: a.isclose(b, **kw))
    check(device, CLOSE, lambda a, b: torch.allclose(a, b, **kw), lambda a, b: xptorch.allclose(a, b, **kw))
    check(device, [(2, 1), (3,)], lambda a, b: torch.isclose(a, b, **kw), lambda a, b: xptorch.isclose(a, b, **kw))


def test_isclose_integers_and_errors(device):
    check(device, [np.array([1, 2]), np.array([1, 3])], torch.isclose, xptorch.isclose)
    for make in (lambda m: m.isclose(m.ones(1), m.ones(1, dtype=m.int64)),
                 lambda m: m.allclose(m.ones(1), m.ones(1, dtype=m.int64)),
                 lambda m: m.isclose(m.ones(1), m.ones(1), rtol=-1),
                 lambda m: m.isclose(m.ones(1), m.ones(1), atol=-0.5),
                 lambda m: m.isclose(m.ones(2), m.ones(3))):
        check_error(lambda: make(torch), lambda: make(xptorch))


def test_clamp_variants(device):
    check(device, [(3, 4)], lambda x: torch.clamp_min(x, 0.1), lambda x: xptorch.clamp_min(x, 0.1))
    check(device, [(3, 4)], lambda x: torch.clamp_max(x, 0.1), lambda x: xptorch.clamp_max(x, 0.1))
    check(device, [(3, 4), (4,), (3, 1)], lambda x, lo, hi: torch.clip(x, lo, hi),
          lambda x, lo, hi: xptorch.clip(x, lo, hi))
    check(device, [(3, 4), (4,)], lambda x, lo: torch.clamp(x, min=lo), lambda x, lo: xptorch.clamp(x, min=lo))
    check(device, [(3, 4)], lambda x: torch.clamp_(x * 1, -0.5, 0.5), lambda x: xptorch.clamp_(x * 1, -0.5, 0.5))


def test_where(device):
    cond = np.array([[True, False, True], [False, True, False]])
    check(device, [cond, (2, 3), (3,)], torch.where, xptorch.where)
    check(device, [cond, (2, 3)], lambda c, x: torch.where(c, x, 0.0), lambda c, x: xptorch.where(c, x, 0.0))
