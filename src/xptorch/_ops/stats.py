"""Order statistics and NaN-aware reductions: median, nanmedian, quantile, nanquantile, nansum, nanmean,
std_mean, var_mean, aminmax, cummax, cummin, logcumsumexp. Values are picked with differentiable gather/sort
(their gradients and second-order rules come with them); only the positions are computed on arrays."""
import math

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, quiet, save_check, wrap, wrap_grad
from .reduce import _as_dtype, _restore, _restore_t, norm_dim, norm_dims
from .scan import running
from .. import return_types as _rt


def _float_only(a, name):
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): input tensor must be either float or double dtype, but got "
                           f"{a.dtype._legacy[:-6]}" if name in ("quantile", "nanquantile") else
                           f"{name}(): expected input to be a float or double tensor")


class NansumBackward0(Node):
    """The sum's gradient times "not NaN": a product, as PyTorch's, so an infinite or NaN gradient
    reaching a NaN input leaves NaN there (nanmean over an all-NaN slice divides by a zero count)."""

    __slots__ = ("keep", "axes", "keepdim", "dtype")
    saves = ("keep",)

    def backward(self, g):
        g = _restore(g, self.keep.shape, self.axes, self.keepdim)
        return ((g * self.keep).astype(self.dtype, copy=False),)

    def backward_graph(self, g):
        g = _restore_t(g, self.keep.shape, self.axes, self.keepdim)
        return (_as_dtype(g * C.const(self.keep, g._device), self.dtype),)


def nansum(a, dim=None, keepdim=False, dtype=None):
    if a._data.dtype.kind != "f":
        return a.sum(dim, keepdim, dtype=dtype)
    xp = get_xp(a._data)
    keep = ~xp.isnan(a._data)
    out = wrap(xp.where(keep, a._data, 0), a._device).sum(dim, keepdim, dtype=dtype)
    if not (a._rg and _grad_state.enabled):
        return out
    node = NansumBackward0((edge(a),))
    node.keep, node.axes, node.keepdim, node.dtype = keep, norm_dims(dim, a._data.ndim), keepdim, a._data.dtype
    return wrap_grad(out._data, a._device, node)


def nanmean(a, dim=None, keepdim=False, dtype=None):
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{a.dtype._legacy[:-6]}")
    keep = ~a.isnan()
    return nansum(a, dim, keepdim, dtype) / keep.sum(dim, keepdim)


def std_mean(a, dim=None, unbiased=None, keepdim=False, correction=None):
    return a.std(dim, unbiased, keepdim, correction=correction), a.mean(dim, keepdim)


def var_mean(a, dim=None, unbiased=None, keepdim=False, correction=None):
    return a.var(dim, unbiased, keepdim, correction=correction), a.mean(dim, keepdim)


def aminmax(a, dim=None, keepdim=False):
    if a._data.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    dims = () if dim is None else dim
    return _rt.aminmax(a.amin(dims, keepdim), a.amax(dims, keepdim))


def _median(a, dim, keepdim, ignore_nan, name):
    xp = get_xp(a._data)
    if dim is None:
        flat = a.reshape(-1)
        if flat._data.size == 0:
            return flat.sum() * math.nan if a._data.dtype.kind == "f" else flat.sum()
        vals, idx = _median(flat, 0, False, ignore_nan, name)
        return vals
    nd = a._data.ndim
    d = norm_dim(dim, max(nd, 1))
    x = a if nd else a.reshape(1)
    n = x._data.shape[d]
    if n == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    svals, sidx = x.sort(d)  # NaN sorts last
    sd = svals._data
    nan = xp.isnan(sd) if sd.dtype.kind == "f" else xp.zeros(sd.shape, dtype=bool)
    if ignore_nan:
        cnt = (~nan).sum(axis=d, keepdims=True)
        k = xp.maximum(cnt - 1, 0) // 2
    else:
        k = xp.full(tuple(1 if i == d else s for i, s in enumerate(sd.shape)), (n - 1) // 2, dtype=np.int64)
        # any NaN: the median is NaN, at the first NaN's position
        first_nan = nan.argmax(axis=d).reshape(k.shape) if nan.size else k
        k = xp.where(nan.any(axis=d, keepdims=True), first_nan, k)
    k = wrap(k.astype(np.int64), a._device)
    vals = svals.gather(d, k)
    idx = sidx.gather(d, k)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    if not nd:
        vals, idx = vals.reshape(()), idx.reshape(())
    return vals, idx


def _no_bool(a, name, dim):
    if a._data.dtype.kind == "b" and (a._data.size or dim is not None):
        raise NotImplementedError(f"\"{name}_{'cpu' if dim is None else 'out'}\" not implemented for 'Bool'")


def median(a, dim=None, keepdim=False):
    _no_bool(a, "median", dim)
    if dim is None:
        return _median(a, None, False, False, "median")
    return _rt.median(*_median(a, dim, keepdim, False, "median"))


def nanmedian(a, dim=None, keepdim=False):
    _no_bool(a, "nanmedian", dim)
    if dim is None:
        return _median(a, None, False, True, "nanmedian")
    return _rt.nanmedian(*_median(a, dim, keepdim, True, "nanmedian"))


_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, dim, keepdim, interpolation, ignore_nan, name):
    from .._dtype import _BY_NP

    xp = get_xp(a._data)
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, C.Tensor)
    if scalar_q:
        if not isinstance(q, (int, float)):
            raise TypeError(f"{name}() received an invalid combination of arguments")
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        qd = xp.asarray([q], dtype=a._data.dtype)
    else:
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != a._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qd = q._data.reshape(-1)
        if qd.size and bool(((qd < 0) | (qd > 1)).any()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if interpolation not in _INTERP:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if a._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        x, d = a.reshape(-1), 0
    else:
        d = norm_dim(dim, max(a._data.ndim, 1))
        x = a if a._data.ndim else a.reshape(1)
    svals, _ = x.sort(d)
    sd = svals._data
    n = sd.shape[d]
    nan = xp.isnan(sd)
    red_shape = tuple(1 if i == d else s for i, s in enumerate(sd.shape))
    if ignore_nan:
        cnt = (~nan).sum(axis=d, keepdims=True).astype(sd.dtype)
    else:
        cnt = xp.full(red_shape, n, dtype=sd.dtype)
    any_nan = nan.any(axis=d, keepdims=True)
    outs = []
    for j in range(qd.shape[0]):
        pos = qd[j] * (cnt - 1)
        if not ignore_nan:  # a row with NaN gives NaN, read from its last sorted place (where NaN sorts)
            pos = xp.where(any_nan, n - 1, pos).astype(sd.dtype)
        lo = xp.floor(pos)
        hi = xp.ceil(pos)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = xp.round(pos)
        lo_i = xp.clip(lo, 0, n - 1).astype(np.int64)
        hi_i = xp.clip(hi, 0, n - 1).astype(np.int64)
        vlo = svals.gather(d, wrap(lo_i, a._device))
        vhi = svals.gather(d, wrap(hi_i, a._device))
        if interpolation == "midpoint":
            w = xp.where(hi > lo, 0.5, 0.0).astype(sd.dtype)
        elif interpolation == "linear":
            w = (pos - lo).astype(sd.dtype)
        else:
            w = xp.zeros(red_shape, dtype=sd.dtype)
        out = vlo + (vhi - vlo) * wrap(w, a._device)
        if not keepdim or dim is None:
            out = out.squeeze(d) if dim is not None else out.reshape(())
            if keepdim and dim is None:
                out = out.reshape((1,) * a._data.ndim)
        outs.append(out)
    if scalar_q:
        return outs[0]
    from .shape import stack

    return stack(outs, 0).reshape((qd.shape[0],) + tuple(outs[0]._data.shape)) if q._data.ndim else outs[0]


def quantile(a, q, dim=None, keepdim=False, interpolation="linear"):
    return _quantile(a, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(a, q, dim=None, keepdim=False, interpolation="linear"):
    return _quantile(a, q, dim, keepdim, interpolation, True, "nanquantile")


def _cum_extreme(a, dim, take_max, name):
    """Running max/min and the last place it was reached (PyTorch's ties), or the last NaN once one was
    seen (NaN propagates): a position is taken where it equals the running extreme or is NaN, and its
    index is the running max of the taken positions. Values are gathered there (their gradient with them)."""
    xp = get_xp(a._data)
    nd = a._data.ndim
    d = norm_dim(dim, max(nd, 1))
    x = a if nd else a.reshape(1)
    ad = x._data
    if ad.dtype.kind == "b":
        ad = ad.astype(np.int64)
    if ad.size:
        best = running(xp.maximum if take_max else xp.minimum, ad, d)
        take = ad == best
        if ad.dtype.kind == "f":
            take |= xp.isnan(ad)
        # int32 positions: half the traffic of int64 in the scan (and a product beats where(): 0.45 vs 4+ ms per 1M)
        n = ad.shape[d]
        pos = xp.arange(n, dtype=np.int32 if n < 2**31 else np.int64).reshape((-1,) + (1,) * (ad.ndim - 1 - d))
        idx = running(xp.maximum, pos * take, d).astype(np.int64)
    else:
        idx = xp.zeros(ad.shape, dtype=np.int64)
    it = wrap(idx, a._device)
    vals = x.gather(d, it)
    if not nd:
        vals, it = vals.reshape(()), it.reshape(())
    return getattr(_rt, name)(vals, it)


def cummax(a, dim):
    return _cum_extreme(a, dim, True, "cummax")


def cummin(a, dim):
    return _cum_extreme(a, dim, False, "cummin")


def _lcse_scan(arr, axis, reverse=False):
    """log(cumsum(exp(arr))) along axis by a running logaddexp: exact where exp would under- or overflow."""
    xp = get_xp(arr)
    if reverse:
        return xp.flip(running(xp.logaddexp, xp.flip(arr, axis), axis), axis)
    return running(xp.logaddexp, arr, axis)


class LogcumsumexpBackward0(Node):
    """d out_i / d x_j = exp(x_j - out_i) for j <= i: the gradient is exp(x) times a reversed running
    log-sum-exp of log(g) - out, taken separately for the positive and negative parts of g."""

    __slots__ = ("a", "out", "d")
    saves = ("a", "out")

    def backward(self, g):
        def f():
            xp = get_xp(g)
            x, out, d = self.a, self.out, self.d
            pos = xp.where(g > 0, xp.log(xp.where(g > 0, g, 1)), -math.inf) - out
            neg = xp.where(g < 0, xp.log(xp.where(g < 0, -g, 1)), -math.inf) - out
            return (xp.exp(x + _lcse_scan(pos, d, True)) - xp.exp(x + _lcse_scan(neg, d, True))).astype(g.dtype)

        return (quiet(f),)

    def backward_graph(self, g):
        # sum over i >= j of g_i exp(x_j - out_i), as differentiable ops on an (i, j) table (second order only)
        d = self.d
        x = C.saved_in(self, 0, self.a, g._device).movedim(d, -1)
        out = C.saved_out(self, self.out, g._device).movedim(d, -1)
        gg = g.movedim(d, -1)
        n = x._data.shape[-1]
        xp = get_xp(self.a)
        below = wrap(xp.tril(xp.ones((n, n), dtype=bool)), g._device)
        diffs = x.unsqueeze(-2) - out.unsqueeze(-1)
        table = diffs.masked_fill(~below, -math.inf).exp()
        return ((gg.unsqueeze(-1) * table).sum(-2).movedim(-1, d),)


def logcumsumexp(a, dim):
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{a.dtype._legacy[:-6]}'")
    nd = a._data.ndim
    d = norm_dim(dim, max(nd, 1))
    if not nd:  # one element: itself
        return a.clone()
    out = quiet(_lcse_scan, a._data, d)
    if a._rg and _grad_state.enabled:
        node = LogcumsumexpBackward0((edge(a),))
        node.a, node.out, node.d = a._data, out, d
        save_check(node, (a, a._data))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def mode(a, dim=-1, keepdim=False):
    """The most frequent value along dim (the smallest among equally frequent ones) and its last index."""
    from .._dtype import int64

    nd = a._data.ndim
    d = norm_dim(dim, max(nd, 1))
    if not nd:
        return _rt.mode(a.clone(), wrap(get_xp(a._data).zeros((), dtype=np.int64), a._device))
    xp = get_xp(a._data)
    x = xp.moveaxis(a._data, d, -1)
    lead, n = x.shape[:-1], x.shape[-1]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    rows = x.reshape(-1, n)
    s = xp.sort(rows, axis=1)
    start = xp.concatenate([xp.ones((s.shape[0], 1), dtype=bool), s[:, 1:] != s[:, :-1]], axis=1)
    pos = xp.arange(n)
    start_pos = running(xp.maximum, xp.where(start, pos, 0), 1)
    best = xp.argmax(pos - start_pos, axis=1)
    v = xp.take_along_axis(s, best[:, None], axis=1)
    idx = xp.where(rows == v, pos, -1).max(axis=1)
    if s.dtype.kind == "f":  # NaN is the mode of an all-NaN slice only: PyTorch's index there is its first
        idx = xp.where(xp.isnan(v[:, 0]), 0, idx)  # (on up to 16 elements; past that its sort scrambles NaNs)
    idx = idx.astype(np.int64).reshape(lead)
    it = wrap(xp.ascontiguousarray(xp.expand_dims(idx, d)), a._device)
    vals = a.gather(d, it)
    if not keepdim:
        vals, it = vals.squeeze(d), it.squeeze(d)
    return _rt.mode(vals, it)
