"""Reductions: sum, mean, prod, var/std, max/min with indices, softmax family."""
import collections

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, save_check, wrap, wrap_grad

values_indices = collections.namedtuple("return_types", ["values", "indices"])


def _xp(arr):
    from ..backend import get_array_module

    return get_array_module(arr)


def norm_dim(dim, ndim):
    """Canonical non-negative axis, with PyTorch's IndexError past the range."""
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def norm_dims(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        axes = tuple(norm_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes if ndim else None
    return (norm_dim(dim, ndim),) if ndim else None


def _expand_back(g, shape, axes, keepdim):
    """Re-insert reduced axes so g broadcasts against the input shape."""
    if axes is None:
        return g.reshape((1,) * len(shape)) if len(shape) else g
    if not keepdim:
        for ax in sorted(axes):
            g = _xp(g).expand_dims(g, ax)
    return g


class SumBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (_xp(g).broadcast_to(g, self.shape),)


class SumBackward1(Node):
    __slots__ = ("shape", "axes", "keepdim")

    def backward(self, g):
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return (_xp(g).broadcast_to(g, self.shape),)


def sum(a, dim=None, keepdim=False, dtype=None):
    ad = a._data
    axes = norm_dims(dim, ad.ndim)
    if dtype is not None:
        from .._dtype import to_dtype

        ad = ad.astype(to_dtype(dtype).np)
    elif ad.dtype.kind in "bi" and ad.dtype.itemsize < 8 or ad.dtype.kind == "u":
        ad = ad.astype(np.int64)
    out = ad.sum(axis=axes, keepdims=keepdim) if axes is not None else ad.sum(keepdims=keepdim and ad.ndim > 0 and dim is not None)
    xp = _xp(ad)
    if not isinstance(out, xp.ndarray):
        out = xp.asarray(out)
    if a._rg and _grad_state.enabled:
        if dim is None:
            node = SumBackward0((edge(a),))
            node.shape = ad.shape
        else:
            node = SumBackward1((edge(a),))
            node.shape, node.axes, node.keepdim = ad.shape, axes, keepdim
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class MeanBackward0(Node):
    __slots__ = ("shape", "n")

    def backward(self, g):
        return (_xp(g).broadcast_to(g / self.n, self.shape),)


class MeanBackward1(Node):
    __slots__ = ("shape", "axes", "keepdim", "n")

    def backward(self, g):
        g = _expand_back(g / self.n, self.shape, self.axes, self.keepdim)
        return (_xp(g).broadcast_to(g, self.shape),)


def mean(a, dim=None, keepdim=False, dtype=None):
    ad = a._data
    if dtype is not None:
        from .._dtype import to_dtype

        ad = ad.astype(to_dtype(dtype).np)
    if ad.dtype.kind != "f":
        name = {"i": "Long", "b": "Bool", "u": "Byte"}.get(ad.dtype.kind, "Long")
        if ad.dtype == np.int32:
            name = "Int"
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {name}"
        )
    axes = norm_dims(dim, ad.ndim)
    xp = _xp(ad)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = ad.mean(axis=axes, keepdims=keepdim) if axes is not None else xp.asarray(ad.mean())
    if not isinstance(out, xp.ndarray):
        out = xp.asarray(out, dtype=ad.dtype)
    out = out.astype(ad.dtype, copy=False)
    if a._rg and _grad_state.enabled:
        if axes is None and dim is None:
            node = MeanBackward0((edge(a),))
            node.shape, node.n = ad.shape, max(ad.size, 1) if ad.size else 0
            node.n = ad.size
        else:
            node = MeanBackward1((edge(a),))
            n = 1
            for ax in axes or ():
                n *= ad.shape[ax]
            node.shape, node.axes, node.keepdim, node.n = ad.shape, axes, keepdim, n
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class ProdBackward0(Node):
    __slots__ = ("a", "out", "axes", "keepdim")
    saves = ("a", "out")

    def backward(self, g):
        a = self.a
        xp = _xp(a)
        shape = a.shape
        g = _expand_back(g, shape, self.axes, self.keepdim)
        out = _expand_back(self.out, shape, self.axes, self.keepdim)
        if bool((a != 0).all()):
            return (g * out / a,)
        # Zeros present: product of all the other elements, computed directly.
        axes = self.axes if self.axes is not None else tuple(range(a.ndim))
        moved = xp.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
        flat = moved.reshape(moved.shape[: a.ndim - len(axes)] + (-1,))
        k = flat.shape[-1]
        res = xp.empty_like(flat)
        for i in range(k):
            others = xp.concatenate([flat[..., :i], flat[..., i + 1:]], axis=-1)
            res[..., i] = others.prod(axis=-1)
        res = res.reshape(moved.shape)
        res = xp.moveaxis(res, tuple(range(a.ndim - len(axes), a.ndim)), axes)
        return (g * res,)


def prod(a, dim=None, keepdim=False, dtype=None):
    ad = a._data
    if ad.dtype.kind in "bi" and ad.dtype.itemsize < 8:
        ad = ad.astype(np.int64)
    axes = None if dim is None else norm_dims(dim, ad.ndim)
    xp = _xp(ad)
    out = xp.asarray(ad.prod(axis=axes, keepdims=keepdim and axes is not None))
    if a._rg and _grad_state.enabled:
        node = ProdBackward0((edge(a),))
        node.a, node.out, node.axes, node.keepdim = ad, out, axes, keepdim
        node.__class__ = ProdBackward0 if dim is None else ProdBackward1
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class ProdBackward1(ProdBackward0):
    __slots__ = ()


class VarBackward0(Node):
    __slots__ = ("a", "axes", "keepdim", "correction", "n")
    saves = ("a",)

    def backward(self, g):
        a = self.a
        axes = self.axes
        m = a.mean(axis=axes, keepdims=True)
        g = _expand_back(g, a.shape, axes, self.keepdim)
        return (g * (2.0 / (self.n - self.correction)) * (a - m),)


class StdBackward0(Node):
    __slots__ = ("a", "out", "axes", "keepdim", "correction", "n")
    saves = ("a", "out")

    def backward(self, g):
        a = self.a
        axes = self.axes
        m = a.mean(axis=axes, keepdims=True)
        g = _expand_back(g / (2 * self.out), a.shape, axes, self.keepdim)
        return (g * (2.0 / (self.n - self.correction)) * (a - m),)


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
    if ad.dtype.kind != "f":
        raise RuntimeError(f"{'std' if _std else 'var'} and var_mean only support floating point and complex dtypes")
    corr = _correction(unbiased, correction)
    axes = norm_dims(dim, ad.ndim)
    n = ad.size if axes is None else int(np.prod([ad.shape[i] for i in axes]))
    xp = _xp(ad)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = xp.asarray(ad.var(axis=axes, ddof=corr, keepdims=keepdim and axes is not None))
        if _std:
            out = xp.sqrt(out)
    out = out.astype(ad.dtype, copy=False)
    if a._rg and _grad_state.enabled:
        node = (StdBackward0 if _std else VarBackward0)((edge(a),))
        node.a, node.axes, node.keepdim, node.correction, node.n = ad, axes, keepdim and axes is not None, corr, n
        if _std:
            node.out = out
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def std(a, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(a, dim, unbiased, keepdim, correction, _std=True)


class MaxBackward1(Node):
    """max()/min() over all elements: the gradient is shared evenly among ties."""

    __slots__ = ("a", "out")
    saves = ("a", "out")

    def backward(self, g):
        mask = self.a == self.out
        return (mask * (g / mask.sum()),)


class MinBackward1(MaxBackward1):
    __slots__ = ()


class MaxBackward0(Node):
    """max(dim)/min(dim): the gradient goes to the returned index."""

    __slots__ = ("shape", "idx", "axis", "keepdim", "dtype")
    saves = ("idx",)

    def backward(self, g):
        xp = _xp(g)
        idx = self.idx
        if not self.keepdim:
            g = xp.expand_dims(g, self.axis)
            idx = xp.expand_dims(idx, self.axis)
        out = xp.zeros(self.shape, dtype=g.dtype)
        xp.put_along_axis(out, idx, g, axis=self.axis)
        return (out,)


class MinBackward0(MaxBackward0):
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
        out = xp.asarray(ad.max() if take_max else ad.min())
        if a._rg and _grad_state.enabled:
            node = (MaxBackward1 if take_max else MinBackward1)((edge(a),))
            node.a, node.out = ad, out
            save_check(node, (a, ad))
            return wrap_grad(out, a._device, node)
        return wrap(out, a._device)
    if isinstance(dim, C.Tensor):
        from .pointwise import maximum, minimum

        return maximum(a, dim) if take_max else minimum(a, dim)
    axis = norm_dim(dim, ad.ndim)
    src = ad if ad.ndim else ad.reshape(1)
    if src.shape[axis] == 0:
        raise IndexError(
            f"{what}(): Expected reduction dim {dim} to have non-zero size."
        )
    idx = src.argmax(axis=axis) if take_max else _argmin_first(src, axis)
    if ad.dtype.kind == "f" and bool(xp.isnan(src).any()):
        nan_idx = xp.isnan(src).argmax(axis=axis)
        has_nan = xp.isnan(src).any(axis=axis)
        idx = xp.where(has_nan, nan_idx, idx)
    vals = xp.take_along_axis(src, xp.expand_dims(idx, axis), axis=axis)
    if not keepdim or not ad.ndim:
        vals = vals.squeeze(axis)
    else:
        idx = xp.expand_dims(idx, axis)
    if not ad.ndim:
        vals, idx = vals.reshape(()), idx.reshape(())
    idx = idx.astype(np.int64, copy=False)
    if a._rg and _grad_state.enabled:
        node = (MaxBackward0 if take_max else MinBackward0)((edge(a),))
        node.shape, node.idx, node.axis, node.keepdim = src.shape, idx, axis, keepdim and ad.ndim > 0
        v = wrap_grad(vals, a._device, node)
        if not ad.ndim:
            node.shape = ()
    else:
        v = wrap(vals, a._device)
    return values_indices(v, wrap(idx, a._device))


def _argmin_first(src, axis):
    return src.argmin(axis=axis)


def argext(a, dim=None, keepdim=False, take_max=True):
    ad = a._data
    xp = _xp(ad)
    if dim is None:
        if ad.size == 0:
            raise RuntimeError(
                f"{'argmax' if take_max else 'argmin'}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        i = ad.argmax() if take_max else ad.argmin()
        out = xp.asarray(i, dtype=np.int64)
        if keepdim:
            out = out.reshape((1,) * ad.ndim)
        return wrap(out, a._device)
    axis = norm_dim(dim, ad.ndim)
    src = ad if ad.ndim else ad.reshape(1)
    out = src.argmax(axis=axis) if take_max else src.argmin(axis=axis)
    if keepdim and ad.ndim:
        out = xp.expand_dims(out, axis)
    if not ad.ndim:
        out = out.reshape(())
    return wrap(out.astype(np.int64, copy=False), a._device)


class SoftmaxBackward0(Node):
    __slots__ = ("out", "axis")
    saves = ("out",)

    def backward(self, g):
        y = self.out
        return (y * (g - (g * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmaxBackward0(Node):
    __slots__ = ("out", "axis")
    saves = ("out",)

    def backward(self, g):
        xp = _xp(g)
        return (g - xp.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)


def softmax(a, dim, log=False):
    ad = a._data
    if ad.dtype.kind != "f":
        ad = ad.astype(np.float32)
    axis = norm_dim(dim, ad.ndim)
    xp = _xp(ad)
    src = ad if ad.ndim else ad.reshape(1)
    m = src.max(axis=axis, keepdims=True)
    z = src - m
    if log:
        out = z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    else:
        e = xp.exp(z)
        out = e / e.sum(axis=axis, keepdims=True)
    if not ad.ndim:
        out = out.reshape(())
    out = out.astype(ad.dtype, copy=False)
    if a._rg and _grad_state.enabled:
        node = (LogSoftmaxBackward0 if log else SoftmaxBackward0)((edge(a),))
        node.out, node.axis = out, axis if ad.ndim else None
        t = wrap_grad(out, a._device, node)
        node._checks = ((C.vcounter(t), 0, out),)
        return t
    return wrap(out, a._device)


def logsumexp(a, dim, keepdim=False):
    from .pointwise import exp, log

    m = extremum(a.detach(), dim, keepdim=True, take_max=True).values
    xp = _xp(m._data)
    m._data = xp.where(xp.isinf(m._data), 0, m._data)
    s = sum(exp(a - m), dim, keepdim=True)
    out = log(s) + m
    if not keepdim:
        out = out.squeeze(dim)
    return out
