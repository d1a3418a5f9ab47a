"""Running products along a dim (cumprod), with a gradient that stays exact around zeros; running
extremes and log-sum-exps (`running`) for cummax, cummin, logcumsumexp and mode."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from ._common import edge, get_xp, wrap, wrap_grad
from .reduce import norm_dim


def running(ufunc, arr, axis):
    """ufunc (associative) applied cumulatively along axis. On NumPy, one vectorised step per position
    along axis while the other positions are many: ufunc.accumulate goes element by element (a
    running maximum over the rows of a (1000, 1000) float32 takes 1.8 ms stepwise, 4.2 ms with
    accumulate; logaddexp 14 vs 32 ms), else ufunc.accumulate. CuPy's ufuncs accumulate only add
    and multiply, so elsewhere a doubling scan: log2(n) elementwise steps, each combining every
    element with the partial result k places before it."""
    n = arr.shape[axis]
    if isinstance(arr, np.ndarray):
        if n < 2 or arr.size // n < 64:
            return ufunc.accumulate(arr, axis=axis)
        src = np.moveaxis(arr, axis, 0)
        out = np.empty_like(src)
        out[0] = src[0]
        for i in range(1, n):
            ufunc(out[i - 1], src[i], out=out[i])
        return np.moveaxis(out, 0, axis)
    out = arr.copy()
    head, k = (slice(None),) * (axis % arr.ndim), 1
    while k < n:
        out[head + (slice(k, None),)] = ufunc(out[head + (slice(None, n - k),)], out[head + (slice(k, None),)])
        k *= 2
    return out


def _rev_cumsum(xp, a, d):
    return xp.flip(xp.flip(a, d).cumsum(axis=d), d)


class CumprodBackward0(Node):
    """d out[j] / d x[k] = prod_{i<=j, i!=k} x[i]. Before the first zero of a slice that is
    out[j] / x[k]; at the first zero it is the running product with that zero read as one;
    after it, zero."""

    __slots__ = ("x", "out", "d", "dtype", "shape")
    saves = ("x", "out")

    def backward(self, g):
        xp = get_xp(g)
        x, out, d = self.x, self.out, self.d
        g = g.reshape(x.shape)
        zero = x == 0
        zeros_seen = zero.cumsum(axis=d)
        before = zeros_seen == 0
        first_zero = zero & (zeros_seen == 1)
        one = xp.ones((), dtype=x.dtype)
        safe = xp.where(zero, one, x)
        g_before = _rev_cumsum(xp, g * out, d) / safe
        bridged = xp.where(first_zero, one, x).cumprod(axis=d)
        g_at = _rev_cumsum(xp, g * bridged, d)
        res = xp.where(before, g_before, xp.where(first_zero, g_at, xp.zeros((), dtype=x.dtype)))
        return (res.astype(self.dtype, copy=False).reshape(self.shape),)

    def backward_graph(self, g):
        from . import _common as C

        dev, x_arr, d = g._device, self.x, self.d
        x = C.saved_in(self, 0, x_arr, dev).reshape(x_arr.shape)
        g = g.reshape(x_arr.shape)
        if bool((x_arr != 0).all()):
            out = C.saved_out(self, self.out.reshape(self.shape), dev).reshape(x_arr.shape)
            res = (g * out).flip(d).cumsum(d).flip(d) / x
        else:
            res = exclusive_cumprod_grad(x, g, d)
        if self.dtype != x_arr.dtype:  # cumprod(dtype=) cast the input
            from .._dtype import from_numpy_dtype

            res = res.to(from_numpy_dtype(self.dtype))
        return (res.reshape(self.shape),)


def exclusive_cumprod_grad(x, g, d):
    """sum_{j>=k} g[j] prod_{i<=j, i!=k} x[i] for every k, with zeros anywhere in x: row k of an
    n x n table holds x with x[k] read as one, and its running product gives every term. Built of
    differentiable ops (the running product again), so it can be differentiated once more."""
    from . import _common as C
    from .pointwise import where

    xp = get_xp(x._data)
    n = x._data.shape[d]
    xm = x.transpose(d, -1) if x.dim() > 1 else x
    gm = g.transpose(d, -1) if g.dim() > 1 else g
    eye = C.const(xp.eye(n, dtype=bool), x._device)
    upper = C.const(xp.triu(xp.ones((n, n), dtype=x._data.dtype)), x._device)  # [k, j]: j >= k
    table = where(eye, 1.0, xm.unsqueeze(-2)).cumprod(-1)
    res = (table * gm.unsqueeze(-2) * upper).sum(-1)
    return res.transpose(d, -1) if x.dim() > 1 else res


def cumprod(a, dim, dtype=None):
    ad = a._data
    in_dtype = ad.dtype
    d = norm_dim(dim, ad.ndim)
    if dtype is not None:
        from .._dtype import to_dtype

        ad = ad.astype(to_dtype(dtype).np)
    elif ad.dtype.kind in "biu":
        ad = ad.astype(np.int64)
    x = ad.reshape(1) if ad.ndim == 0 else ad
    out = x.cumprod(axis=d).reshape(ad.shape)
    if a._rg and _grad_state.enabled and ad.dtype.kind == "f":
        node = CumprodBackward0((edge(a),))
        node.x, node.out, node.d, node.dtype, node.shape = x, out.reshape(x.shape), d, in_dtype, ad.shape
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)
