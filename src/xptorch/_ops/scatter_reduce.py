"""scatter_reduce: src's elements reduced ('sum', 'prod', 'mean', 'amax', 'amin') into self at the positions an
index names along dim, with or without self's own values.

The forward runs on arrays (ufunc.at); the gradient is PyTorch's rule (FunctionsManual's scatter_reduce_backward)
written once in differentiable Tensor ops, so first and higher derivatives match PyTorch's, ties and zeros
included.
"""
import numpy as np

from ..autograd import higher_order as _ho
from ..backend import quiet
from ..autograd.grad_mode import no_grad
from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad
from .indexing import _check_bounds, _prepare, _shape_str, linear_index
from .reduce import norm_dim

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_ALIASES = {"max": "amax", "min": "amin"}  # accepted by PyTorch's forward; its backward refuses them
_AT = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _start(reduce, dtype):
    """The value a position starts from when self's own value is left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":
        return reduce == "amin"
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


def _reduce_arrays(ad, idx, d, sd, reduce, include_self):
    xp = get_xp(ad)
    lin = linear_index(idx, d, ad.shape).reshape(-1)
    vals = sd[tuple(slice(0, s) for s in idx.shape)].reshape(-1)
    out = xp.array(ad, copy=True, order="C")
    flat = out.reshape(-1)
    if not include_self:
        flat[lin] = _start(reduce, ad.dtype)
    C.ufunc_at(_AT[reduce], flat, lin, vals)
    if reduce == "mean":
        count = xp.zeros(flat.shape, dtype=np.int64)
        xp.add.at(count, lin, 1)
        hit = count > 0
        count += int(include_self)
        count = xp.maximum(count, 1)
        if ad.dtype.kind == "f":
            mean = flat / count.astype(ad.dtype)
        else:
            mean = xp.floor_divide(flat, count).astype(ad.dtype)
        flat[...] = xp.where(hit, mean, flat)
    return out


def _rule(g, x, src, index, result, d, reduce, include_self):
    """PyTorch's gradients of self and src (Tensors; src's in index's shape)."""
    if reduce == "sum":
        gx, gs = g, g.gather(d, index)
    elif reduce == "prod":
        masked_x = x.masked_fill(x == 0, 1)
        gx = g * scatter_reduce(masked_x, d, index, src, reduce, include_self) / masked_x
        src_zero = src == 0
        n_zeros = x.new_zeros(x.shape).scatter_add(d, index, src_zero.to(x.dtype)).gather(d, index)
        single = src_zero & (n_zeros == 1)
        masked_src_result = scatter_reduce(x, d, index, src.masked_fill(single, 1), reduce, include_self)
        gs = (g * masked_src_result).gather(d, index).where(
            single, (g * result).gather(d, index) / src.masked_fill(src_zero, 1))
    elif reduce == "mean":
        n = (g.new_ones(g.shape) if include_self else g.new_zeros(g.shape)).scatter_add(d, index, g.new_ones(index.shape))
        n = n.masked_fill(n == 0, 1)
        gx, gs = g / n, g.gather(d, index) / n.gather(d, index)
    elif reduce in ("amax", "amin"):
        value = result.gather(d, index)
        x_is = (x == result).to(x.dtype)
        src_is = (src == value).to(x.dtype)
        spread = g / x_is.scatter_add(d, index, src_is)
        gx, gs = x_is * spread, src_is * spread.gather(d, index)
    else:
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {reduce}.")
    if not include_self:
        gx = gx.scatter(d, index, 0)
    return gx, gs


def _pad(gs, shape):
    """gs placed at the origin of zeros(shape), recorded (src's elements beyond index's extent take no part)."""
    if tuple(gs.shape) == tuple(shape):
        return gs
    xp = get_xp(gs._data)
    nd = len(shape)
    grid = tuple(C.const(xp.arange(s, dtype=np.int64).reshape((s,) + (1,) * (nd - k - 1)), gs._device)
                 for k, s in enumerate(gs.shape))
    return gs.new_zeros(shape).index_put(grid, gs)


class ScatterReduceBackward0(Node):
    __slots__ = ("x", "src", "idx", "out", "dim", "reduce", "include_self", "dev")
    saves = ("x", "src", "idx", "out")

    def _grads(self, g, x, src, result):
        index = C.const(self.idx, g._device)
        src_i = src[tuple(slice(0, s) for s in self.idx.shape)] if self.src.shape != self.idx.shape else src
        gx, gs = _rule(g, x, src_i, index, result, self.dim, self.reduce, self.include_self)
        return gx, _pad(gs, self.src.shape)

    def backward(self, g):
        with no_grad():
            gx, gs = self._grads(*(wrap(v, self.dev) for v in (g, self.x, self.src, self.out)))
        return (gx._data if self.next[0] is not None else None, gs._data if self.next[1] is not None else None)

    def backward_graph(self, g):
        ins = _ho.stand_ins(self.next, [self.x, self.src], [g._device, g._device])
        try:
            x, src = ins
            result = None
            if self.reduce not in ("sum", "mean"):
                result = scatter_reduce(x, self.dim, C.const(self.idx, g._device), src, self.reduce, self.include_self)
            gx, gs = self._grads(g, x, src, result)
        finally:
            _ho.join(self.next, ins)
        return (gx if self.next[0] is not None else None, gs if self.next[1] is not None else None)


def scatter_reduce(a, dim, index, src, reduce, include_self=True, _fname="scatter_reduce", _pos=1):
    C.need_tensor(index, _fname, "index", _pos + 1)
    C.need_tensor(src, _fname, "src", _pos + 2)
    if not isinstance(reduce, str):
        raise TypeError(f"{_fname}(): argument 'reduce' (position {_pos + 3}) must be str, not {type(reduce).__name__}")
    ad, idx, sd = a._data, index._data, src._data
    if idx.dtype not in (np.dtype(np.int64), np.dtype(np.int32)):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if sd.dtype != ad.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    kind = _ALIASES.get(reduce, reduce)
    if kind not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _prepare(a, dim, index, "scatter", True, empty_ok=True)[2]
    if src._device is not a._device:
        C.device_mismatch(a, src)
    if idx.size == 0 and (idx.ndim != ad.ndim or sd.ndim != idx.ndim
                          or any(i > s for i, s in zip(idx.shape, sd.shape))):
        return a.clone()  # nothing to scatter: PyTorch checks no shapes then
    if max(sd.ndim, 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if 0 in (ad.ndim, idx.ndim, sd.ndim):  # as 1-D tensors
        return scatter_reduce(a.reshape(-1), dim, index.reshape(-1), src.reshape(-1), reduce,
                              include_self).reshape(ad.shape)
    if any((ax != d and idx.shape[ax] > ad.shape[ax]) or idx.shape[ax] > sd.shape[ax] for ax in range(idx.ndim)):
        raise RuntimeError(f"Expected index {_shape_str(idx.shape)} to be no larger than self {_shape_str(ad.shape)} "
                           f"apart from dimension {d} and to be no larger size than src {_shape_str(sd.shape)}")
    if kind == "mean" and ad.dtype.kind == "b":
        raise NotImplementedError("\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")
    _check_bounds(idx, ad.shape[d], d)
    out = quiet(_reduce_arrays, ad, idx, d, sd, kind, include_self)  # NaNs pass silently, as in PyTorch
    if (a._rg or src._rg) and _grad_state.enabled:
        node = ScatterReduceBackward0((edge(a), edge(src)))
        node.x, node.src, node.idx, node.out = ad, sd, idx, out
        node.dim, node.reduce, node.include_self, node.dev = d, reduce, bool(include_self), a._device
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


# ---- index_reduce ------------------------------------------------------------------------------------
_INDEX_REDUCES = ("prod", "mean", "amax", "amin")
_beta_warned = []


def _sizes(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def index_reduce(a, dim, index, source, reduce, include_self=True, _pos=1):
    """source's slices along dim reduced into a's slices at the positions the 1-D index names: scatter_reduce
    with the index spread over source's shape (the same values and, with index_select for gather, PyTorch's
    gradient rule)."""
    C.need_tensor(index, "index_reduce", "index", _pos + 1)
    C.need_tensor(source, "index_reduce", "source", _pos + 2)
    if not isinstance(reduce, str):
        raise TypeError(f"index_reduce(): argument 'reduce' (position {_pos + 3}) must be str, not "
                        f"{type(reduce).__name__}")
    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    ad, idx, sd = a._data, index._data, source._data
    d = norm_dim(dim, ad.ndim)
    if idx.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{index.dtype._legacy[:-6]} and size: {_sizes(idx.shape)}")
    if idx.dtype not in (np.dtype(np.int64), np.dtype(np.int32)):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {index.dtype._legacy[:-6]}")
    if sd.dtype != ad.dtype:
        raise RuntimeError(f"index_reduce_(): self ({a.dtype._legacy[:-6]}) and source ({source.dtype._legacy[:-6]}) "
                           "must have the same scalar type")
    if d != 0 and d >= sd.ndim:
        raise RuntimeError(f"index_reduce_(): Indexing dim {d} is out of bounds of the source tensor with dim {sd.ndim}")
    n_src = 1 if sd.ndim == 0 else sd.shape[d]
    if idx.size != n_src:
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({n_src}), for dim: {d}")
    s_self, s_src = list(ad.shape), list(sd.shape)
    if ad.ndim and sd.ndim:
        del s_self[d], s_src[d]
    if s_self != s_src:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. Got "
                           f"self.shape = {_sizes(ad.shape)} source.shape = {_sizes(sd.shape)}")
    for t in (index, source):
        if t._device is not a._device:
            C.device_mismatch(a, t)
    if ad.dtype.kind == "b":
        raise NotImplementedError("\"index_func_\" not implemented for 'Bool'")
    size = ad.shape[d] if ad.ndim else 1
    flat = idx.reshape(-1)
    if flat.size and type(flat) is np.ndarray and bool(((flat < 0) | (flat >= size)).any()):
        raise IndexError("index out of range in self")
    if flat.size and type(flat) is not np.ndarray:
        from ..backend.device_assert import expect_false

        expect_false((flat.min() < 0) | (flat.max() >= size), "index out of range in self")
    from .._settings import first_warning

    if first_warning(_beta_warned):  # PyTorch's kernel warns once per process, after the checks
        import warnings

        warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=4)
    if ad.ndim == 0 or sd.ndim == 0:
        return index_reduce(a.reshape(-1), 0, index.reshape(-1), source.reshape(-1), reduce, include_self).reshape(ad.shape)
    spread = [1] * sd.ndim
    spread[d] = flat.size
    xp = get_xp(flat)
    full = xp.ascontiguousarray(xp.broadcast_to(flat.reshape(spread), sd.shape))
    return scatter_reduce(a, d, wrap(full, a._device), source, reduce, include_self)
