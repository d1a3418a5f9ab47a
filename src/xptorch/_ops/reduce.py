"""Reductions: sum, mean, prod, var/std, max/min (with indices), amax/amin, softmax family."""
import math
import warnings

import numpy as np

from .. import _dtype
from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from ..amp import _state as _amp
from . import _common as C
from ._common import edge, quiet, save_check, save_output_check, wrap, wrap_grad

from .. import return_types as _rt


_xp = C.get_xp


def norm_dim(dim, ndim):
    """Canonical non-negative axis, with PyTorch's IndexError past the range (0-d takes 0 and -1)."""
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def norm_dims(dim, ndim):
    """Reduced axes as a tuple: None and () mean all of them; a 0-d tensor has none."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        axes = tuple(norm_dim(d, ndim) for d in dim)
        seen = set()
        for ax in axes:
            if ax in seen:
                raise RuntimeError(f"dim {ax} appears multiple times in the list of dims")
            seen.add(ax)
        if not axes:
            return tuple(range(ndim))
        return axes if ndim else ()
    ax = norm_dim(dim, ndim)
    return (ax,) if ndim else ()


def _restore(g, shape, axes, keepdim):
    """Re-insert reduced axes so g broadcasts against the input shape."""
    if not keepdim and axes:
        g = g.reshape(tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return g


def _restore_t(g, shape, axes, keepdim):
    """_restore for a Tensor gradient (create_graph rules)."""
    if not keepdim and axes:
        g = g.reshape(tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return g


def _reduced_count(shape, axes):
    n = 1
    for ax in axes:
        n *= shape[ax]
    return n


def _cast_dtype(ad, dtype):
    from .._dtype import to_dtype

    return ad.astype(to_dtype(dtype).np, copy=False)


# ---- sum / mean ------------------------------------------------------------------------------

class SumBackward0(Node):
    __slots__ = ("shape", "dtype")

    def backward(self, g):
        return (_xp(g).broadcast_to(g.astype(self.dtype, copy=False), self.shape),)

    def backward_graph(self, g):
        return (_as_dtype(g, self.dtype).expand(*self.shape),)


class SumBackward1(Node):
    __slots__ = ("shape", "dtype", "axes", "keepdim")

    def backward(self, g):
        g = _restore(g.astype(self.dtype, copy=False), self.shape, self.axes, self.keepdim)
        return (_xp(g).broadcast_to(g, self.shape),)

    def backward_graph(self, g):
        g = _restore_t(_as_dtype(g, self.dtype), self.shape, self.axes, self.keepdim)
        return (g.expand(*self.shape),)


def sum(a, dim=None, keepdim=False, dtype=None):
    if _amp.active:
        a, = _amp.cast("sum", a)
    ad = a._data
    in_dtype = ad.dtype
    axes = norm_dims(dim, ad.ndim)
    if dtype is not None:
        ad = _cast_dtype(ad, dtype)
    elif ad.dtype.kind in "biu" and ad.dtype != np.int64:
        ad = ad.astype(np.int64)
    # A requested narrow integer or bool dtype is also the accumulator's, as PyTorch's (NumPy would widen it).
    out = quiet(ad.sum, axes, ad.dtype if dtype is not None and ad.dtype.kind in "biu" else None, None, keepdim)
    if a._rg and _grad_state.enabled:
        if dim is None:
            node = SumBackward0((edge(a),))
        else:
            node = SumBackward1((edge(a),))
            node.axes, node.keepdim = axes, keepdim
        node.shape, node.dtype = ad.shape, in_dtype
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class MeanBackward0(Node):
    __slots__ = ("shape", "dtype", "n")

    def backward(self, g):
        g = (g / self.n).astype(self.dtype, copy=False)
        return (_xp(g).broadcast_to(g, self.shape),)

    def backward_graph(self, g):
        # Expand first: an empty input divides an empty gradient by zero, giving no nan.
        return (_as_dtype(g, self.dtype).expand(*self.shape) / self.n,)


class MeanBackward1(Node):
    __slots__ = ("shape", "dtype", "axes", "keepdim", "n")

    def backward(self, g):
        g = (g / self.n).astype(self.dtype, copy=False)
        g = _restore(g, self.shape, self.axes, self.keepdim)
        return (_xp(g).broadcast_to(g, self.shape),)

    def backward_graph(self, g):
        g = _restore_t(_as_dtype(g, self.dtype), self.shape, self.axes, self.keepdim)
        return (g.expand(*self.shape) / self.n,)


def _as_dtype(g, np_dtype):
    return g if g._data.dtype == np_dtype else g.to(_dtype_of(np_dtype))


def _dtype_of(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


def _mean(ad, axes, keepdim, n):
    """Sum over n elements (half precision accumulates in float32); empty gives nan, silently."""
    acc = np.float32 if ad.dtype == np.float16 else None
    return quiet(lambda: ad.sum(axis=axes, dtype=acc, keepdims=keepdim) / n).astype(ad.dtype, copy=False)


def _int_name(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)._legacy[: -len("Tensor")]


def mean(a, dim=None, keepdim=False, dtype=None):
    ad = a._data
    in_dtype = ad.dtype
    if dtype is not None:
        ad = _cast_dtype(ad, dtype)
    if ad.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_int_name(ad.dtype)}"
        )
    axes = norm_dims(dim, ad.ndim)
    n = _reduced_count(ad.shape, axes)
    out = _mean(ad, axes, keepdim, n)
    if a._rg and _grad_state.enabled:
        if dim is None:
            node = MeanBackward0((edge(a),))
        else:
            node = MeanBackward1((edge(a),))
            node.axes, node.keepdim = axes, keepdim
        node.shape, node.dtype, node.n = ad.shape, in_dtype, n
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


# ---- prod -----------------------------------------------------------------------------------

def _others_product(a, axes):
    """Product of all other elements along the reduced axes: exclusive prefix times suffix products."""
    xp = _xp(a)
    nd = a.ndim
    rest = tuple(i for i in range(nd) if i not in axes)
    moved = xp.transpose(a, rest + tuple(axes))
    lead = moved.shape[: len(rest)]
    flat = moved.reshape(lead + (-1,))
    ones = xp.ones(lead + (1,), dtype=a.dtype)
    prefix = xp.concatenate([ones, xp.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    suffix = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(flat[..., 1:], -1), axis=-1)], axis=-1), -1)
    res = (prefix * suffix).reshape(moved.shape)
    inv = np.argsort(rest + tuple(axes))
    return xp.transpose(res, tuple(int(i) for i in inv))


def _others_product_t(x, axes):
    """_others_product in differentiable Tensor ops: exclusive running products from both ends."""
    from .shape import cat

    nd = x.dim()
    rest = tuple(i for i in range(nd) if i not in axes)
    order = rest + tuple(axes)
    moved = x.permute(*order) if nd else x
    lead = tuple(moved.shape[: len(rest)])
    flat = moved.reshape(lead + (-1,))
    ones = C.const(_xp(x._data).ones(lead + (1,), dtype=x._data.dtype), x._device)
    prefix = cat([ones, flat[..., :-1].cumprod(-1)], -1)
    suffix = cat([ones, flat[..., 1:].flip(-1).cumprod(-1)], -1).flip(-1)
    res = (prefix * suffix).reshape(tuple(moved.shape))
    return res.permute(*(int(i) for i in np.argsort(order))) if nd else res


class ProdBackward0(Node):
    __slots__ = ("a", "out", "axes", "keepdim")
    saves = ("a", "out")

    def backward(self, g):
        a = self.a
        shape = a.shape
        g = _restore(g, shape, self.axes, self.keepdim)
        # out / a needs to know there is no zero: asked on the host only (on CUDA that would be a sync).
        if a.size and type(a) is np.ndarray and (a != 0).all():
            return (g * _restore(self.out, shape, self.axes, self.keepdim) / a,)
        if not a.size:
            return (_xp(a).zeros(shape, dtype=g.dtype),)
        return (g * _others_product(a, self.axes),)

    def backward_graph(self, g):
        a = self.a
        dev = g._device
        x = C.saved_in(self, 0, a, dev)
        g = _restore_t(g, a.shape, self.axes, self.keepdim)
        if not a.size:
            return (g * x,)  # empty: no element to differentiate, but the shapes still meet
        if not bool((a != 0).all()):
            return (g * _others_product_t(x, self.axes),)
        out = _restore_t(C.saved_out(self, self.out, dev), a.shape, self.axes, self.keepdim)
        return (g * out / x,)


class ProdBackward1(ProdBackward0):
    __slots__ = ()


def prod(a, dim=None, keepdim=False, dtype=None):
    if _amp.active:
        a, = _amp.cast("prod", a)
    ad = a._data
    if dtype is not None:
        ad = _cast_dtype(ad, dtype)
    elif ad.dtype.kind in "biu" and ad.dtype != np.int64:
        ad = ad.astype(np.int64)
    if dim is not None and isinstance(dim, (tuple, list)):
        raise TypeError("prod(): argument 'dim' must be int, not " + type(dim).__name__)
    axes = norm_dims(dim, ad.ndim)
    out = quiet(ad.prod, axes, ad.dtype if dtype is not None and ad.dtype.kind in "biu" else None, None,
                keepdim and dim is not None)
    if a._rg and _grad_state.enabled:
        node = (ProdBackward0 if dim is None else ProdBackward1)((edge(a),))
        node.a, node.out, node.axes, node.keepdim = ad, out, axes, keepdim and dim is not None
        save_check(node, (a, ad))
        return C.add_output_check(node, wrap_grad(out, a._device, node))
    return wrap(out, a._device)


# ---- var / std ------------------------------------------------------------------------------

class VarBackward0(Node):
    __slots__ = ("a", "axes", "keepdim", "scale")
    saves = ("a",)

    def backward(self, g):
        a = self.a
        m = _mean(a, self.axes, True, _reduced_count(a.shape, self.axes))
        g = _restore(g, a.shape, self.axes, self.keepdim)
        return (g * self.scale * (a - m),)

    def backward_graph(self, g):
        a = C.saved_in(self, 0, self.a, g._device)
        g = _restore_t(g, self.a.shape, self.axes, self.keepdim)
        return (g * self.scale * (a - a.mean(dim=self.axes, keepdim=True)),)


class StdBackward0(Node):
    __slots__ = ("a", "out", "axes", "keepdim", "scale")
    saves = ("a", "out")

    def backward(self, g):
        a, out = self.a, self.out
        xp = _xp(a)
        # Where the deviation is exactly zero the gradient is zero, not 0 / 0.
        gv = xp.where(out == 0, 0, g / (2 * out)).astype(g.dtype, copy=False)
        m = _mean(a, self.axes, True, _reduced_count(a.shape, self.axes))
        gv = _restore(gv, a.shape, self.axes, self.keepdim)
        return (gv * self.scale * (a - m),)

    def backward_graph(self, g):
        from .pointwise import where

        dev = g._device
        a = C.saved_in(self, 0, self.a, dev)
        out = C.saved_out(self, self.out, dev)
        gv = where(C.const(self.out == 0, dev), 0.0, g / (2 * out))
        gv = _restore_t(gv, self.a.shape, self.axes, self.keepdim)
        return (gv * self.scale * (a - a.mean(dim=self.axes, keepdim=True)),)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(a, dim=None, unbiased=None, keepdim=False, correction=None, _std=False):
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    ad = a._data
    what = "std" if _std else "var"
    if ad.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    corr = _correction(unbiased, correction)
    axes = norm_dims(dim, ad.ndim)
    n = _reduced_count(ad.shape, axes)
    if n - corr <= 0:
        warnings.warn(
            f"{what}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
            "factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    dev = ad - _mean(ad, axes, True, n)
    out = quiet(lambda: (dev * dev).sum(axis=axes, keepdims=keepdim) / max(n - corr, 0))
    if ad.dtype.itemsize < 8 and not bool(_xp(out).isfinite(out).all()) and bool(_xp(ad).isfinite(ad).all()):
        # Squared deviations of large float32 values overflow where the result does not: redo in float64.
        d64 = ad.astype(np.float64)
        d64 = d64 - _mean(d64, axes, True, n)
        out = quiet(lambda: (d64 * d64).sum(axis=axes, keepdims=keepdim) / max(n - corr, 0))
    if _std:
        out = _xp(ad).sqrt(out)
    out = quiet(out.astype, ad.dtype) if out.dtype != ad.dtype else out
    if a._rg and _grad_state.enabled:
        node = (StdBackward0 if _std else VarBackward0)((edge(a),))
        node.a, node.axes, node.keepdim = ad, axes, keepdim
        # A Python float keeps the gradient in the input's dtype.
        node.scale = 2.0 / (n - corr) if n - corr > 0 else math.inf
        if _std:
            node.out = out
        save_check(node, (a, ad))
        t = wrap_grad(out, a._device, node)
        return C.add_output_check(node, t) if _std else t
    return wrap(out, a._device)


def std(a, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(a, dim, unbiased, keepdim, correction, _std=True)


# ---- max / min / amax / amin / argmax ----------------------------------------------------------

class MaxBackward1(Node):
    """max()/min() over all elements: the gradient is shared evenly among ties."""

    __slots__ = ("a", "out")
    saves = ("a", "out")

    def backward(self, g):
        a, out = self.a, self.out
        mask = a == out
        if out != out:  # a NaN is the result: its positions take the gradient
            mask = _xp(a).isnan(a)
        return (mask * (g / mask.sum()).astype(g.dtype, copy=False),)

    def backward_graph(self, g):
        mask = self.a == self.out
        if self.out != self.out:
            mask = _xp(self.a).isnan(self.a)
        return (C.const(mask.astype(g._data.dtype), g._device) * (g / int(mask.sum())),)


class MinBackward1(MaxBackward1):
    __slots__ = ()


class MaxBackward0(Node):
    """max(dim)/min(dim): the gradient goes to the returned index."""

    __slots__ = ("shape", "idx", "axis", "keepdim")
    saves = ("idx",)

    def backward(self, g):
        xp = _xp(g)
        if not self.shape:  # 0-d input: the gradient passes through
            return (g.reshape(()),)
        idx = self.idx
        if not self.keepdim:
            g = xp.expand_dims(g, self.axis)
            idx = xp.expand_dims(idx, self.axis)
        out = xp.zeros(self.shape, dtype=g.dtype)
        xp.put_along_axis(out, idx, g, axis=self.axis)
        return (out,)

    def backward_graph(self, g):
        if not self.shape:
            return (g.reshape(()),)
        xp = _xp(g._data)
        idx = self.idx if self.keepdim else xp.expand_dims(self.idx, self.axis)
        mask = xp.zeros(self.shape, dtype=g._data.dtype)
        xp.put_along_axis(mask, idx, 1, axis=self.axis)
        g = g if self.keepdim else g.unsqueeze(self.axis)
        return (C.const(mask, g._device) * g,)


class MinBackward0(MaxBackward0):
    __slots__ = ()


class AmaxBackward0(Node):
    """amax/amin: the gradient is shared evenly among the elements equal to the result."""

    __slots__ = ("a", "out", "axes", "keepdim")
    saves = ("a", "out")

    def backward(self, g):
        a = self.a
        mask = a == _restore(self.out, a.shape, self.axes, self.keepdim)
        count = mask.sum(axis=self.axes, keepdims=True)
        g = _restore(g, a.shape, self.axes, self.keepdim)
        return ((g / count).astype(g.dtype, copy=False) * mask,)

    def backward_graph(self, g):
        a = self.a
        mask = a == _restore(self.out, a.shape, self.axes, self.keepdim)
        w = (mask / mask.sum(axis=self.axes, keepdims=True)).astype(g._data.dtype)
        return (_restore_t(g, a.shape, self.axes, self.keepdim) * C.const(w, g._device),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()


def extremum(a, dim=None, keepdim=False, take_max=True):
    ad = a._data
    xp = _xp(ad)
    what = "max" if take_max else "min"
    if dim is None:
        if ad.size == 0:
            raise RuntimeError(
                f"{what}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        out = ad.max() if take_max else ad.min()
        if a._rg and _grad_state.enabled:
            node = (MaxBackward1 if take_max else MinBackward1)((edge(a),))
            node.a, node.out = ad, out
            save_check(node, (a, ad))
            return C.add_output_check(node, wrap_grad(out, a._device, node))
        return wrap(out, a._device)
    if hasattr(dim, "_data"):  # max(other): the elementwise form
        from .pointwise import maximum, minimum

        return maximum(a, dim) if take_max else minimum(a, dim)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{what}(): argument 'dim' must be int, not {type(dim).__name__}")
    axis = norm_dim(dim, ad.ndim)
    src = ad if ad.ndim else ad.reshape(1)
    if src.shape[axis] == 0:
        raise IndexError(f"{what}(): Expected reduction dim {dim} to have non-zero size.")
    # argmax/argmin return the first NaN, as PyTorch's max(dim) does.
    idx = src.argmax(axis=axis) if take_max else src.argmin(axis=axis)
    idx_k = xp.expand_dims(idx, axis)
    vals = xp.take_along_axis(src, idx_k, axis=axis)
    if ad.ndim == 0:
        vals, idx = vals.reshape(()), idx.reshape(())
    elif keepdim:
        idx = idx_k
    else:
        vals = vals.reshape(idx.shape)
    idx = idx.astype(np.int64, copy=False)
    if a._rg and _grad_state.enabled:
        node = (MaxBackward0 if take_max else MinBackward0)((edge(a),))
        node.shape, node.idx, node.axis, node.keepdim = ad.shape, idx, axis, keepdim
        v = wrap_grad(vals, a._device, node)
    else:
        v = wrap(vals, a._device)
    return (_rt.max if take_max else _rt.min)(v, wrap(idx, a._device))


def amax(a, dim=(), keepdim=False, take_max=True):
    ad = a._data
    what = "amax" if take_max else "amin"
    axes = norm_dims(dim, ad.ndim)
    if ad.size == 0 and ad.ndim and (dim is None or (isinstance(dim, (tuple, list)) and not dim)):
        raise RuntimeError(f"{what}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")
    for ax in axes:
        if ad.shape[ax] == 0:
            raise IndexError(f"{what}(): Expected reduction dim {ax} to have non-zero size.")
    out = ad.max(axis=axes, keepdims=keepdim) if take_max else ad.min(axis=axes, keepdims=keepdim)
    if a._rg and _grad_state.enabled:
        node = (AmaxBackward0 if take_max else AminBackward0)((edge(a),))
        node.a, node.out, node.axes, node.keepdim = ad, out, axes, keepdim
        save_check(node, (a, ad))
        return C.add_output_check(node, wrap_grad(out, a._device, node))
    return wrap(out, a._device)


def argext(a, dim=None, keepdim=False, take_max=True):
    ad = a._data
    what = "argmax" if take_max else "argmin"
    if ad.dtype.kind == "b":
        raise RuntimeError(f"{what}(): does not support bool input")
    xp = _xp(ad)
    if dim is None:
        if ad.size == 0:
            raise IndexError(
                f"{what}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        out = xp.asarray(ad.argmax() if take_max else ad.argmin(), dtype=np.int64)
        if keepdim:
            out = out.reshape((1,) * ad.ndim)
        return wrap(out, a._device)
    axis = norm_dim(dim, ad.ndim)
    src = ad if ad.ndim else ad.reshape(1)
    if src.shape[axis] == 0:
        raise IndexError(f"{what}(): Expected reduction dim {dim} to have non-zero size.")
    out = src.argmax(axis=axis) if take_max else src.argmin(axis=axis)
    if not ad.ndim:
        out = out.reshape(())
    elif keepdim:
        out = xp.expand_dims(out, axis)
    return wrap(out.astype(np.int64, copy=False), a._device)


# ---- softmax family ---------------------------------------------------------------------------

class SoftmaxBackward0(Node):
    __slots__ = ("out", "axis")
    saves = ("out",)

    def backward(self, g):
        y = self.out
        return (y * (g - (g * y).sum(axis=self.axis, keepdims=True)),)

    def backward_graph(self, g):
        y = C.saved_out(self, self.out, g._device)
        gy = g * y
        s = gy.sum() if self.axis is None else gy.sum(dim=self.axis, keepdim=True)
        return (y * (g - s),)


class LogSoftmaxBackward0(Node):
    __slots__ = ("out", "axis")
    saves = ("out",)

    def backward(self, g):
        xp = _xp(g)
        return (g - xp.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)

    def backward_graph(self, g):
        y = C.saved_out(self, self.out, g._device)
        s = g.sum() if self.axis is None else g.sum(dim=self.axis, keepdim=True)
        return (g - y.exp() * s,)


def softmax(a, dim, log=False):
    if _amp.active:
        a, = _amp.cast("log_softmax" if log else "softmax", a)
    ad = a._data
    axis = norm_dim(dim, ad.ndim)
    if ad.dtype.kind != "f" and ad.size:  # PyTorch dispatches no kernel for an empty input
        kernel = ("log_softmax" if log else "softmax") + ("_lastdim" if axis == max(ad.ndim - 1, 0) else "")
        C.no_kernel(a, kernel + "_kernel_impl")
    xp = _xp(ad)
    src = ad if ad.ndim else ad.reshape(1)
    if src.size:
        m = src.max(axis=axis, keepdims=True)
        z = quiet(lambda: src - m)  # a row holding +inf (or only -inf) is NaN, as in PyTorch
        if log:
            out = quiet(lambda: z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True)))
        else:
            e = quiet(xp.exp, z)
            out = quiet(lambda: e / e.sum(axis=axis, keepdims=True))
    else:
        out = src.copy()
    out = out.reshape(ad.shape).astype(ad.dtype, copy=False)
    if a._rg and _grad_state.enabled:
        node = (LogSoftmaxBackward0 if log else SoftmaxBackward0)((edge(a),))
        node.out, node.axis = out, axis if ad.ndim else None
        t = wrap_grad(out, a._device, node)
        save_output_check(node, t)
        return t
    return wrap(out, a._device)


class LogsumexpBackward0(Node):
    __slots__ = ("a", "out", "axes", "keepdim")
    saves = ("a", "out")

    def backward(self, g):
        a = self.a
        g = _restore(g, a.shape, self.axes, self.keepdim)
        out = _restore(self.out, a.shape, self.axes, self.keepdim)
        return (g * _xp(a).exp(a - out),)

    def backward_graph(self, g):
        dev = g._device
        a = C.saved_in(self, 0, self.a, dev)
        shape = self.a.shape
        out = _restore_t(C.saved_out(self, self.out, dev), shape, self.axes, self.keepdim)
        return (_restore_t(g, shape, self.axes, self.keepdim) * (a - out).exp(),)


def logsumexp(a, dim, keepdim=False):
    ad = a._data
    if ad.dtype.kind != "f":
        ad = ad.astype(_dtype.get_default_dtype().np)
    axes = norm_dims(dim, ad.ndim)
    xp = _xp(ad)
    if ad.size:
        m = ad.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        s = quiet(lambda: xp.log(xp.exp(ad - m).sum(axis=axes, keepdims=True)) + m)
    else:
        s = quiet(lambda: xp.log(xp.exp(ad).sum(axis=axes, keepdims=True)))
    out = (s if keepdim else s.reshape(tuple(n for i, n in enumerate(ad.shape) if i not in axes)))
    out = out.astype(ad.dtype, copy=False)
    if a._rg and _grad_state.enabled:
        node = LogsumexpBackward0((edge(a),))
        node.a, node.out, node.axes, node.keepdim = ad, out, axes, keepdim
        t = wrap_grad(out, a._device, node)
        save_check(node, (a, ad))
        return C.add_output_check(node, t)
    return wrap(out, a._device)


# ---- cumsum ----------------------------------------------------------------------------------

class CumsumBackward0(Node):
    __slots__ = ("axis", "dtype")

    def backward(self, g):
        if g.ndim == 0:
            return (g.astype(self.dtype, copy=False),)
        xp = _xp(g)
        rev = xp.flip(g, self.axis)
        return (xp.flip(rev.cumsum(axis=self.axis), self.axis).astype(self.dtype, copy=False),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        return (linear_map(lambda a: self.backward(a)[0], lambda a: a.cumsum(axis=self.axis) if a.ndim else a, g),)


def cumsum(a, dim, dtype=None):
    if _amp.active:
        a, = _amp.cast("cumsum", a)
    ad = a._data
    axis = norm_dim(dim, ad.ndim)
    if dtype is not None:
        ad = _cast_dtype(ad, dtype)
        if ad.dtype == np.bool_:
            raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
    elif ad.dtype.kind in "biu":
        ad = ad.astype(np.int64)  # integer sums are int64 in PyTorch
    # A requested narrow integer dtype is also the accumulator's, as PyTorch's (NumPy would widen it).
    out = ad.copy() if ad.ndim == 0 else ad.cumsum(axis=axis, dtype=ad.dtype)
    if a._rg and _grad_state.enabled and out.dtype.kind == "f":
        node = CumsumBackward0((edge(a),))
        node.axis, node.dtype = axis, a._data.dtype
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


# ---- vector norm -----------------------------------------------------------------------------

class LinalgVectorNormBackward0(Node):
    """d|x|_p / dx = sign(x) |x|^(p-1) / |x|_p^(p-1); zero where the norm is zero (as PyTorch)."""

    __slots__ = ("a", "out", "p", "axes", "keepdim")
    saves = ("a", "out")

    def backward(self, g):
        a, p = self.a, self.p
        xp = _xp(a)
        out = _restore(self.out, a.shape, self.axes, self.keepdim)
        g = _restore(g, a.shape, self.axes, self.keepdim)
        with np.errstate(all="ignore") if xp is np else _nullcontext():
            if p == 0:
                return (None,)  # PyTorch gives no gradient at all
            if p == 1:
                return ((g * xp.sign(a)).astype(a.dtype, copy=False),)
            if p in (math.inf, -math.inf):
                hit = (xp.abs(a) == out) | (xp.isnan(a) & xp.isnan(out))
                share = g / hit.sum(axis=self.axes, keepdims=True)
                return ((xp.sign(a) * hit * share).astype(a.dtype, copy=False),)
            if p == 2:
                grad = xp.where(out == 0, 0, a * (g / out))
            else:
                grad = xp.where(out == 0, 0, xp.sign(a) * xp.abs(a) ** (p - 1) * (g / out ** (p - 1)))
        return (grad.astype(a.dtype, copy=False),)


    def backward_graph(self, g):
        a_arr, p = self.a, self.p
        if p == 0:
            return (None,)
        dev = g._device
        a = C.saved_in(self, 0, a_arr, dev)
        xp = _xp(a_arr)
        g = _restore_t(g, a_arr.shape, self.axes, self.keepdim)
        if p == 1:
            return (g * a.sign(),)
        out = _restore_t(C.saved_out(self, self.out, dev), a_arr.shape, self.axes, self.keepdim)
        if p in (math.inf, -math.inf):
            o = _restore(self.out, a_arr.shape, self.axes, self.keepdim)
            hit = (xp.abs(a_arr) == o) | (xp.isnan(a_arr) & xp.isnan(o))
            share = C.const((hit / hit.sum(axis=self.axes, keepdims=True)).astype(a_arr.dtype), dev)
            return (g * a.sign() * share,)
        zero = C.const(_restore(self.out, a_arr.shape, self.axes, self.keepdim) == 0, dev)
        # The scale is masked where the norm is zero, as in PyTorch (whose second derivative is NaN there too).
        if p == 2:
            return (a * (g / out).masked_fill(zero, 0.0),)
        return (a.sign() * a.abs() ** (p - 1) * (g / out ** (p - 1)).masked_fill(zero, 0.0),)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _norm_values(ad, p, axes, keepdim):
    xp = _xp(ad)
    x = xp.abs(ad)
    if p == math.inf or p == -math.inf:
        if x.size == 0 and not axes:
            return x.copy()  # nothing reduced (a 0-d input)
        return (x.max if p > 0 else x.min)(axis=axes, keepdims=keepdim)
    if p == 0:
        return (x != 0).sum(axis=axes, keepdims=keepdim).astype(ad.dtype)
    if p == 1:
        return x.sum(axis=axes, keepdims=keepdim)
    if p == 2:
        return xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
    return ((x ** p).sum(axis=axes, keepdims=keepdim)) ** (1.0 / p)


def _no_identity(ad, p, dim, axes):
    """PyTorch's refusal of a max/min norm over an empty dim (reductions over non-empty dims of an
    empty tensor are fine): the whole tensor named when dim is not given, else the dim as given."""
    name = "inf" if p > 0 else "-inf"
    given = [dim] if isinstance(dim, int) else list(dim or ())
    if not given:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty tensor because the "
                           "operation does not have an identity")
    for d, ax in zip(given, axes):
        if ad.shape[ax] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the dimension {d}because "
                               "this dimension is empty and the operation does not have an identity")


def vector_norm(a, p=2, dim=None, keepdim=False):
    ad = a._data
    if ad.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_int_name(ad.dtype)}"
        )
    if p == "fro":
        p = 2
    p = float(p)
    axes = norm_dims(dim, ad.ndim)
    if p in (math.inf, -math.inf) and ad.size == 0:
        _no_identity(ad, p, dim, axes)
    out = quiet(_norm_values, ad, p, axes, keepdim)
    out = _xp(ad).asarray(out).astype(ad.dtype, copy=False)
    if a._rg and _grad_state.enabled:
        node = LinalgVectorNormBackward0((edge(a),))
        node.a, node.out, node.p, node.axes, node.keepdim = ad, out, p, axes, keepdim
        save_check(node, (a, ad))
        return C.add_output_check(node, wrap_grad(out, a._device, node))
    return wrap(out, a._device)
