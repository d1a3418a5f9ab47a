"""Ops that move or mask elements without arithmetic: flip, roll, tril/triu, diag, meshgrid,
repeat_interleave, broadcast_to."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from . import shape as _sh
from ._common import edge, get_xp, wrap, wrap_grad
from .reduce import norm_dim, norm_dims


def _result(a, out, node_cls, **saved):
    if a._rg and _grad_state.enabled:
        node = node_cls((edge(a),))
        for k, v in saved.items():
            setattr(node, k, v)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _dims_arg(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


# ---- flip ------------------------------------------------------------------------------------

class FlipBackward0(Node):
    __slots__ = ("axes",)

    def backward(self, g):
        return (get_xp(g).flip(g, self.axes) if self.axes else g,)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        f = lambda a: self.backward(a)[0]  # noqa: E731  (a flip is its own adjoint)
        return (linear_map(f, f, g),)


def flip(a, *dims):
    ad = a._data
    axes = norm_dims(_dims_arg(dims), ad.ndim) if _dims_arg(dims) else ()
    out = get_xp(ad).flip(ad, axes).copy() if axes else ad.copy()
    return _result(a, out, FlipBackward0, axes=axes)


# ---- roll ------------------------------------------------------------------------------------

class RollBackward0(Node):
    __slots__ = ("shifts", "axes")

    def backward(self, g):
        xp = get_xp(g)
        neg = tuple(-s for s in self.shifts)
        if self.axes is None:
            return (xp.roll(g.reshape(-1), neg[0]).reshape(g.shape),)
        return (xp.roll(g, neg, self.axes),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        def forward(a):
            xp = get_xp(a)
            if self.axes is None:
                return xp.roll(a.reshape(-1), self.shifts[0]).reshape(a.shape)
            return xp.roll(a, self.shifts, self.axes)

        return (linear_map(lambda a: self.backward(a)[0], forward, g),)


def roll(a, shifts, dims=None):
    ad = a._data
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (int(shifts),)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        out = get_xp(ad).roll(ad.reshape(-1), shifts[0]).reshape(ad.shape)
        return _result(a, out, RollBackward0, shifts=shifts, axes=None)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if ad.ndim == 0 and dims:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    axes = tuple(norm_dim(d, ad.ndim) for d in dims)
    out = get_xp(ad).roll(ad, shifts, axes) if ad.ndim else ad.copy()
    return _result(a, out, RollBackward0, shifts=shifts, axes=axes if ad.ndim else None)


# ---- tril / triu -----------------------------------------------------------------------------

def _tri_mask(xp, shape, diagonal, lower):
    rows = xp.arange(shape[-2]).reshape(-1, 1)
    cols = xp.arange(shape[-1]).reshape(1, -1)
    return cols - rows <= diagonal if lower else cols - rows >= diagonal


def _tri(ad, diagonal, lower):
    xp = get_xp(ad)
    return xp.where(_tri_mask(xp, ad.shape, diagonal, lower), ad, xp.zeros((), dtype=ad.dtype))


class TrilBackward0(Node):
    __slots__ = ("diagonal",)

    def backward(self, g):
        return (_tri(g, self.diagonal, True),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        f = lambda a: self.backward(a)[0]  # noqa: E731  (a mask: its own adjoint)
        return (linear_map(f, f, g),)


class TriuBackward0(Node):
    __slots__ = ("diagonal",)

    def backward(self, g):
        return (_tri(g, self.diagonal, False),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        f = lambda a: self.backward(a)[0]  # noqa: E731  (a mask: its own adjoint)
        return (linear_map(f, f, g),)


def tril(a, diagonal=0):
    ad = a._data
    if ad.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return _result(a, _tri(ad, diagonal, True), TrilBackward0, diagonal=diagonal)


def triu(a, diagonal=0):
    ad = a._data
    if ad.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return _result(a, _tri(ad, diagonal, False), TriuBackward0, diagonal=diagonal)


# ---- diag ------------------------------------------------------------------------------------

def _diag_positions(rows, cols, k):
    """(row, col) index arrays of diagonal k in a rows x cols matrix."""
    n = max(0, min(rows, cols - k) if k >= 0 else min(rows + k, cols))
    r0, c0 = (0, k) if k >= 0 else (-k, 0)
    return r0, c0, n


class DiagEmbedBackward0(Node):
    __slots__ = ("k",)

    def backward(self, g):
        r0, c0, n = _diag_positions(g.shape[0], g.shape[1], self.k)
        xp = get_xp(g)
        i = xp.arange(n)
        return (g[r0 + i, c0 + i],)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        k, shape = self.k, g._data.shape

        def embed(a):  # the diagonal's adjoint: a back on diagonal k of a zero matrix
            out = get_xp(a).zeros(shape, dtype=a.dtype)
            r0, c0, n = _diag_positions(shape[0], shape[1], k)
            i = get_xp(a).arange(n)
            out[r0 + i, c0 + i] = a
            return out

        return (linear_map(lambda a: DiagEmbedBackward0.backward(self, a)[0], embed, g),)


class DiagonalBackward0(Node):
    __slots__ = ("k", "shape")

    def backward(self, g):
        xp = get_xp(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        r0, c0, n = _diag_positions(self.shape[0], self.shape[1], self.k)
        i = xp.arange(n)
        out[r0 + i, c0 + i] = g
        return (out,)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        r0, c0, n = _diag_positions(self.shape[0], self.shape[1], self.k)

        def read(a):  # placing on the diagonal has reading it back as adjoint
            i = get_xp(a).arange(n)
            return a[r0 + i, c0 + i]

        return (linear_map(lambda a: DiagonalBackward0.backward(self, a)[0], read, g),)

    def name(self):
        return "DiagonalBackward0_copy"


def diag(a, diagonal=0):
    ad = a._data
    xp = get_xp(ad)
    if ad.ndim == 1:
        m = ad.shape[0] + abs(diagonal)
        out = xp.zeros((m, m), dtype=ad.dtype)
        r0, c0, n = _diag_positions(m, m, diagonal)
        i = xp.arange(n)
        out[r0 + i, c0 + i] = ad
        return _result(a, out, DiagEmbedBackward0, k=diagonal)
    if ad.ndim == 2:
        r0, c0, n = _diag_positions(ad.shape[0], ad.shape[1], diagonal)
        i = xp.arange(n)
        return _result(a, ad[r0 + i, c0 + i], DiagonalBackward0, k=diagonal, shape=ad.shape)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ad.ndim}D")


# ---- meshgrid --------------------------------------------------------------------------------

_MESHGRID_WARNING = (
    "xptorch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
)


def meshgrid(tensors, indexing=None):
    if indexing is None:
        import warnings

        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=3)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'xptorch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(
                "xptorch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                + repr(t).replace("tensor(", "").rstrip(")")
            )
    first = tensors[0]
    for t in tensors[1:]:
        if t._data.dtype != first._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t._device is not first._device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    ts = list(tensors)
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    sizes = tuple(t.numel() for t in ts)
    n = len(ts)
    out = []
    for i, t in enumerate(ts):
        view = [1] * n
        view[i] = -1
        out.append(_sh.expand(_sh.view(t, *view), *sizes))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


# ---- repeat_interleave -----------------------------------------------------------------------

def _repeat_counts(repeats):
    rd = repeats._data
    if rd.ndim > 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if rd.dtype.kind not in "iu":
        from .._dtype import _BY_NP

        raise NotImplementedError(
            f"\"repeat_interleave_cpu\" not implemented for '{_BY_NP[rd.dtype]._legacy[:-len('Tensor')]}'"
        )
    rd = rd.reshape(-1)
    if rd.size and bool((rd < 0).any()):
        raise RuntimeError("repeats can not be negative")
    return rd


def _counts_arg(rd):
    """Per-element counts as repeat() takes them: CuPy's wants a host list (the output size)."""
    return rd.astype(np.int64) if isinstance(rd, np.ndarray) else rd.tolist()


def repeat_interleave(a, repeats=None, dim=None, output_size=None):
    """repeat_interleave(input, repeats, dim=None) or repeat_interleave(repeats) (the indices form)."""
    if repeats is None:  # repeat_interleave(repeats): index i repeated repeats[i] times
        if a._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        rd = _repeat_counts(a)
        xp = get_xp(rd)
        return wrap(xp.repeat(xp.arange(rd.size, dtype=np.int64), _counts_arg(rd)), a._device)
    if dim is None:
        a = _sh.reshape(a, -1)
        dim = 0
    elif a._data.ndim == 0 and isinstance(repeats, C.Tensor):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    ad = a._data
    d = norm_dim(dim, ad.ndim)
    n = ad.shape[d] if ad.ndim else 1
    if isinstance(repeats, C.Tensor):
        rd = _repeat_counts(repeats)
        if rd.size == 1:
            rd = get_xp(rd).broadcast_to(rd, (n,))
        if True:
            if rd.size != n:
                raise RuntimeError(
                    "repeats must have the same size as input along dim, but got "
                    f"repeats.size(0) = {rd.size} and input.size({d}) = {n}"
                )
            xp = get_xp(rd)
            idx = xp.repeat(xp.arange(n, dtype=np.int64), _counts_arg(rd))
            from .indexing import index_select

            return index_select(a, d, wrap(idx, a._device))
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if ad.ndim == 0:
        a = _sh.reshape(a, 1)
        ad = a._data
    # unsqueeze, expand, copy, merge: the composite PyTorch records (its grad_fn is ViewBackward0).
    shape = ad.shape
    x = _sh.unsqueeze(a, d + 1)
    x = _sh.expand(x, *(shape[: d + 1] + (repeats,) + shape[d + 1:]))
    x = _sh.clone(x)
    return _sh.reshape(x, *(shape[:d] + (shape[d] * repeats,) + shape[d + 1:]))
