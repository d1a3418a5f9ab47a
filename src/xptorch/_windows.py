"""Signal windows as PyTorch defines them: hann, hamming, bartlett, blackman and kaiser.

`periodic=True` (the default) gives the first window_length points of a window one longer, as for
spectral analysis; values are computed in the requested float dtype, step by step as PyTorch does.
"""
import math

import numpy as np

from . import _dtype
from .backend import array_module, use_device

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]


def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    from ._factories import _dev, _finish

    if not isinstance(window_length, int) or isinstance(window_length, bool):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    dev = _dev(device)
    xp = array_module(dev)
    with use_device(dev):
        if window_length <= 1:
            arr = xp.ones(window_length, dtype=dt.np)
        else:
            n = window_length + 1 if periodic else window_length
            f = dt.np.type
            # In the output dtype step by step, as PyTorch computes them (so the roundings agree).
            arr = values(xp, xp.arange(n, dtype=dt.np), n, f)[:window_length].astype(dt.np, copy=False)
    return _finish(arr, dev, requires_grad)


def _hamming(alpha, beta):
    return lambda xp, k, n, f: xp.cos(k * f(2 * math.pi / (n - 1))) * f(-beta) + f(alpha)


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False, layout=None):
    """0.5 - 0.5 cos(2 pi k / (N - 1))."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _hamming(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, /, *, dtype=None, device=None,
                   requires_grad=False, layout=None):
    """alpha - beta cos(2 pi k / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, _hamming(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False, layout=None):
    """0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))."""
    def values(xp, k, n, f):
        x = k * f(math.pi / (n - 1))
        return xp.cos(x * f(4)) * f(0.08) - xp.cos(x * f(2)) * f(0.5) + f(0.42)

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, values)


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False, layout=None):
    """The triangle 1 - |2k / (N - 1) - 1|."""
    def values(xp, k, n, f):
        w = k * f(2 / (n - 1))
        half = ((n - 1) >> 1) + 1
        w[half:] = w[half:] * f(-1) + f(2)
        return w

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, values)


def kaiser_window(window_length, periodic=True, beta=12.0, /, *, dtype=None, device=None, requires_grad=False,
                  layout=None):
    """I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta), a = (N - 1) / 2."""
    def values(xp, k, n, f):
        a = f((n - 1) / 2)
        r = (k - a) / a
        return _i0(xp, f(beta) * xp.sqrt(xp.maximum(f(1) - r * r, f(0)))) / _i0(xp, xp.asarray(f(beta)))

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, values)


def _i0(xp, x):
    """The modified Bessel function I0 in x's dtype (xptorch.i0's array kernel, on either backend)."""
    from ._ops.gamma import _bessel_arr

    return _bessel_arr(x, 0, False).astype(x.dtype, copy=False)
