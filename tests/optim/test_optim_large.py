"""Large parameters take the one-pass BLAS axpy updates: still torch's values, and foreach=True gives
the same bits as the per-parameter default."""
import numpy as np
import pytest

import xptorch
from xptorch.backend import blas

torch = pytest.importorskip("torch")

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=1e-2, betas=(0.0, 0.99), maximize=True)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.1)),
]
SHAPES = [(200, 150), (150,), (3, 5)]  # one above blas.MIN_SIZE, two below


def _run(lib, name, kw, foreach=None, steps=4):
    rng = np.random.default_rng(0)
    ps = [lib.nn.Parameter(lib.tensor(rng.standard_normal(s).astype(np.float32))) for s in SHAPES]
    opt = getattr(lib.optim, name)(ps, foreach=foreach, **kw)
    for k in range(steps):
        for p in ps:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))
        opt.step()
    return [p.detach().numpy() for p in ps]


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{sorted(k)}" for n, k in CONFIGS])
def test_large_updates_match_torch_and_foreach(name, kw):
    assert 200 * 150 >= blas.MIN_SIZE
    ours = _run(xptorch, name, kw)
    theirs = _run(torch, name, kw)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours, _run(xptorch, name, kw, foreach=True)):
        np.testing.assert_array_equal(a, b)


def test_axpy_refuses_what_it_cannot_do():
    y = np.ones(blas.MIN_SIZE, np.float32)
    assert not blas.axpy(1.0, np.ones(blas.MIN_SIZE, np.float64), y)
    assert not blas.axpy(1.0, np.ones(2 * blas.MIN_SIZE, np.float32)[::2], y)
    assert not blas.axpy(1.0, np.ones(8, np.float32), np.ones(8, np.float32))
    assert not blas.axpby(1.0, np.ones(blas.MIN_SIZE, np.float64), 2.0, y)
    assert not blas.axpby(1.0, np.ones(2 * blas.MIN_SIZE, np.float32)[::2], 2.0, y)
    assert not blas.axpby(1.0, np.ones(8, np.float32), 2.0, np.ones(8, np.float32))
    assert (y == 1).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpby_is_alpha_x_plus_beta_y(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(blas.MIN_SIZE + 5).astype(dtype)
    y = rng.standard_normal(blas.MIN_SIZE + 5).astype(dtype)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    if blas.axpby(0.25, x, 0.75, y):
        # Two roundings at most, each within eps of the larger term (the sum may cancel).
        bound = 2 * np.finfo(dtype).eps * (np.abs(0.25 * x64) + np.abs(0.75 * y64))
        assert np.all(np.abs(y - (0.25 * x64 + 0.75 * y64)) <= bound)
        assert not np.array_equal(y, y64.astype(dtype))


@pytest.mark.parametrize("name,kw", [("Adam", dict(lr=1e-2)), ("AdamW", dict(lr=1e-2, amsgrad=True))])
def test_large_update_of_a_non_contiguous_parameter_matches_torch(name, kw):
    # The moments take the one-pass BLAS route; the parameter itself (a transposed view) cannot.
    rng = np.random.default_rng(5)
    w = rng.standard_normal((150, 200)).astype(np.float32)
    grads = [rng.standard_normal((200, 150)).astype(np.float32) for _ in range(3)]
    out = []
    for lib in (xptorch, torch):
        p = lib.nn.Parameter(lib.tensor(w).t())
        opt = getattr(lib.optim, name)([p], **kw)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        out.append(p.detach().numpy())
    assert not xptorch.nn.Parameter(xptorch.tensor(w).t())._data.flags.c_contiguous
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)


def test_large_adam_with_a_constant_gradient_stays_with_torch_over_many_steps():
    # exp_avg's one-pass beta1 m + (1 - beta1) g in place of torch's lerp: no drift over steps.
    g = np.random.default_rng(7).standard_normal(blas.MIN_SIZE + 1).astype(np.float32)
    out = []
    for lib in (xptorch, torch):
        p = lib.nn.Parameter(lib.zeros(g.size))
        opt = lib.optim.Adam([p], lr=1e-3)
        for _ in range(200):
            p.grad = lib.tensor(g)
            opt.step()
        out.append((p.detach().numpy(), opt.state[p]["exp_avg"].numpy()))
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{sorted(k)}" for n, k in CONFIGS])
def test_large_updates_without_a_blas_match_torch(name, kw, monkeypatch):
    """Where no BLAS axpy/axpby can be found (another NumPy build), the NumPy passes give torch's values."""
    monkeypatch.setattr(blas, "_FUNCS", {})
    assert not blas.axpy(1.0, np.ones(blas.MIN_SIZE, np.float32), np.ones(blas.MIN_SIZE, np.float32))
    ours = _run(xptorch, name, kw)
    for a, b in zip(ours, _run(torch, name, kw)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
