"""Closeness of two tensors within tolerances: isclose (elementwise) and allclose."""
import numpy as np

from . import _common as C
from ._common import get_xp, wrap


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b|, elementwise; equal values (infinities too) are always close."""
    if not isinstance(b, C.Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    ad, bd = a._data, b._data
    if ad.dtype != bd.dtype:
        from .linalg import _ln

        raise RuntimeError(f"{_ln(a)} did not match {_ln(b)}")
    if b._device is not a._device:
        C.device_mismatch(a, b)
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    try:
        shape = np.broadcast_shapes(ad.shape, bd.shape)
    except ValueError:
        C.broadcast_error(ad.shape, bd.shape)
    xp = get_xp(ad)
    if ad.dtype.kind == "b":
        return wrap(xp.broadcast_to(ad == bd, shape).copy(), a._device)
    out = C.quiet(lambda: xp.isclose(ad, bd, rtol=rtol, atol=atol, equal_nan=equal_nan))
    return wrap(out, a._device)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())
