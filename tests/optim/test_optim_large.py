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
    assert (y == 1).all()
