"""narrow, select and movedim are views (edits reach the base, the version counter is shared, gradients
flow through an edit), and index_add(_)'s values and gradients with repeated indices, alpha and bool, as torch."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")

VIEWS = [
    ("narrow", lambda x: x.narrow(1, 1, 2), (3, 4)),
    ("narrow_fn", lambda x: x.narrow(0, -2, 2) if x.dim() else None, (3, 4)),
    ("select", lambda x: x.select(1, -1), (3, 4)),
    ("select_fn", lambda x: x.select(0, 1), (2, 3, 4)),
    ("movedim", lambda x: x.movedim(0, -1), (2, 3, 4)),
    ("moveaxis", lambda x: x.moveaxis((0, 2), (1, 0)), (2, 3, 4)),
]


def _run(lib, fn, shape):
    base = lib.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    b = base * 1
    v = fn(b)
    v0 = b._version
    v.mul_(3)  # through the view
    bumped = (b._version > v0, v._version == b._version)
    (b * b).sum().backward()
    return b.detach().cpu().numpy(), v.detach().cpu().numpy(), base.grad.cpu().numpy(), bumped


@pytest.mark.parametrize("name,fn,shape", VIEWS, ids=[v[0] for v in VIEWS])
def test_views_share_storage_and_version(name, fn, shape):
    t = _run(torch, fn, shape)
    x = _run(xptorch, fn, shape)
    for a, b in zip(t[:3], x[:3]):
        np.testing.assert_array_equal(a, b)
    assert x[3] == t[3] == (True, True)


def test_views_of_a_leaf_see_base_edits():
    for lib in (torch, xptorch):
        x = lib.zeros(3, 4)
        n, s, m = lib.narrow(x, 1, 1, 2), lib.select(x, 0, 2), lib.movedim(x, 0, 1)
        x.add_(1)
        assert float(n.sum()) == 6.0 and float(s.sum()) == 4.0 and float(m.sum()) == 12.0
        s.fill_(5)
        assert float(x[2].sum()) == 20.0 and float(m[:, 2].sum()) == 20.0


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
@pytest.mark.parametrize("alpha", [1, 2, -1.5])
def test_index_add_values(dtype, alpha):
    if dtype == "bool" and alpha != 1:
        pytest.skip("torch refuses a non-bool alpha for bool tensors")
    rng = np.random.default_rng(0)
    base = rng.integers(-3, 4, size=(4, 3)).astype(dtype)
    src = rng.integers(-3, 4, size=(5, 3)).astype(dtype)
    idx = np.array([2, 0, 2, 2, 1])
    out = []
    for lib in (torch, xptorch):
        a, s, i = lib.tensor(base), lib.tensor(src), lib.tensor(idx)
        r = lib.index_add(a.t(), 1, i, s.t(), alpha=alpha)  # non-contiguous, along dim 1
        a.index_add_(0, i, s, alpha=alpha)
        out.append((r.cpu().numpy(), a.cpu().numpy(), str(r.dtype).split(".")[-1]))
    for t, x in zip(*out):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(t))


def test_index_add_grads_repeated_indices():
    res = []
    for lib in (torch, xptorch):
        a = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        s = lib.tensor(np.linspace(2, 3, 15).reshape(3, 5), requires_grad=True)
        y = lib.index_add(a, 1, lib.tensor([3, 0, 3, 3, 1]), s, alpha=-2.0)
        (y * y).sum().backward()
        res.append((y.detach().cpu().numpy(), a.grad.cpu().numpy(), s.grad.cpu().numpy()))
    for t, x in zip(*res):
        np.testing.assert_allclose(x, t, rtol=1e-6)


def test_index_add_refused_changes_nothing():
    x = xptorch.zeros(3, 2)
    v = x._version
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.index_add_(0, xptorch.tensor([0, 3]), xptorch.ones(2, 2))
    assert x._version == v and float(x.abs().sum()) == 0.0
