"""The strict stand-in's CuPy numerics (tests/strict_cupy.py) against the real CuPy on a GPU: where CuPy's kernels
give other values than NumPy's, the stand-in gives CuPy's, and a call it refuses is one CuPy gets wrong."""
import numpy as np
import pytest

import strict_cupy as S
from xptorch import backend

pytestmark = pytest.mark.cuda

NAN, INF = np.nan, np.inf
NEG_NAN = -np.abs(np.float64(np.nan))


def _cupy():
    ok, why = backend.cuda_status()
    if not ok or backend._simulated is not None:
        pytest.skip(f"needs an NVIDIA GPU with CuPy: {why}")
    import cupy

    return cupy


def _same(fn, *host, **kw):
    cp = _cupy()
    mine = fn(S, *[S.asarray(h) for h in host], **kw)
    theirs = fn(cp, *[cp.asarray(h) for h in host], **kw)
    mine = mine if isinstance(mine, tuple) else (mine,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for m, t in zip(mine, theirs):
        m, t = m.get(), cp.asnumpy(t)
        assert m.dtype == t.dtype
        if m.dtype.kind == "f":  # NaNs by position; sign bits of NaNs aside
            np.testing.assert_array_equal(np.isnan(m), np.isnan(t))
            np.testing.assert_array_equal(np.where(np.isnan(m), 0, m).view(f"u{m.itemsize}"),
                                          np.where(np.isnan(t), 0, t).view(f"u{t.itemsize}"))
        else:
            np.testing.assert_array_equal(m, t)


SPECIAL = np.array([0.0, -0.0, NAN, NEG_NAN, INF, -INF, 1.0, 1.0, -2.5, 0.0, NEG_NAN])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sort_and_argsort_of_one_dimension_order_nans_by_sign(dtype):
    x = SPECIAL.astype(dtype)
    _same(lambda m, a: m.sort(a), x)
    _same(lambda m, a: m.argsort(a), x)
    _same(lambda m, a: a.argsort(), x)
    _same(lambda m, a: m.argsort(a, axis=1), np.stack([x, x[::-1]]))


def test_sinc_floor_divide_remainder_frexp_kernels():
    _same(lambda m, a: m.sinc(a), np.array([NAN, INF, 0.0, 1e-30, 1.0, -1.5, 2.0], np.float32))
    a = np.array([NAN, INF, -INF, 1.0, -1.0, 7.0, 0.7], np.float32)
    b = np.array([1.0, -INF, 0.5, -INF, INF, 0.0, 0.1], np.float32)
    _same(lambda m, x, y: m.floor_divide(x, y), a, b)
    _same(lambda m, x, y: m.remainder(x, y), a, b)
    _same(lambda m, x: m.frexp(x), np.array([1e-40, -3e-39, 1.5, 0.0], np.float32))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32"])
def test_float_to_integer_casts_saturate(dtype):
    x = np.array([-1.5, -200.7, 300.2, 70000.5, -70000.5, 3e9, -3e9, NAN, 0.9], np.float32)
    _same(lambda m, a: a.astype(dtype), x)


def test_maximum_and_minimum_at_of_floats():
    rng = np.random.default_rng(0)
    v = rng.standard_normal(8)
    v[3] = NAN
    idx = np.array([0, 1, 0, 2, 2, 1, 3, 0])
    for name in ("maximum", "minimum"):
        def at(m, a, i, b, name=name):
            getattr(m, name).at(a, i, b)
            return a
        _same(at, np.full(4, 0.25), idx, v)
        _same(at, np.full(4, 0.25, np.float32), idx, v.astype(np.float32))


def test_broadcast_to_takes_device_arrays_only():
    cp = _cupy()
    for m in (S, cp):
        with pytest.raises(TypeError, match="Argument 'array' has incorrect type"):
            m.broadcast_to(np.float32(1.5), (3,))


def test_integer_arange_casts_start_and_step():
    cp = _cupy()
    r = cp.asnumpy(cp.arange(0.5, 5, 1.5, dtype=cp.int64))
    assert r.tolist() != np.arange(0.5, 5, 1.5, dtype=np.int64).tolist()  # why the stand-in refuses it
    with pytest.raises(ValueError, match="refuses arange"):
        S.arange(0.5, 5, 1.5, dtype=np.int64)
