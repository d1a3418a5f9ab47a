"""Diagonals: diagonal (a view of the input, its gradient written back onto the diagonal), trace,
diag_embed, diagflat and fill_diagonal_."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad
from .reduce import norm_dim


def _norm(a, offset, dim1, dim2):
    nd = a._data.ndim
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _diag_array(arr, offset, d1, d2):
    xp = get_xp(arr)
    if d1 > d2:
        arr = xp.swapaxes(arr, d1, d2)
        d1, d2 = d2, d1
    return _strided_diag(xp, arr, offset, d1, d2)


def _strided_diag(xp, arr, offset, d1, d2):
    shape, strides = arr.shape, arr.strides
    n1, n2 = shape[d1], shape[d2]
    n = max(0, min(n1, n2 - offset)) if offset >= 0 else max(0, min(n1 + offset, n2))
    rest = [i for i in range(arr.ndim) if i not in (d1, d2)]
    vshape = tuple(shape[i] for i in rest) + (n,)
    if n == 0 or arr.size == 0:
        return xp.zeros(vshape, dtype=arr.dtype)[...], False
    idx = [slice(None)] * arr.ndim
    if offset >= 0:
        idx[d2] = slice(offset, None)
    else:
        idx[d1] = slice(-offset, None)
    sub = arr[tuple(idx)]
    vstrides = tuple(sub.strides[i] for i in rest) + (sub.strides[d1] + sub.strides[d2],)
    return xp.lib.stride_tricks.as_strided(sub, shape=vshape, strides=vstrides), True


class DiagonalBackward0(Node):
    __slots__ = ("shape", "offset", "d1", "d2")

    def backward(self, g):
        xp = get_xp(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        view, ok = _diag_array(out, self.offset, self.d1, self.d2)
        if ok:
            view[...] = g
        return (out,)

    def backward_graph(self, g):
        return (diagonal_scatter_graph(g, self.shape, self.offset, self.d1, self.d2),)


class DiagonalBackwardBackward0(Node):
    """g placed onto a diagonal of zeros; its own gradient reads that diagonal back."""

    __slots__ = ("offset", "d1", "d2")

    def backward(self, g):
        view, ok = _diag_array(g, self.offset, self.d1, self.d2)
        return (view.copy(),)

    def backward_graph(self, g):
        return (diagonal(g, self.offset, self.d1, self.d2).clone(),)


def diagonal_scatter_graph(g, shape, offset, d1, d2):
    xp = get_xp(g._data)
    out = xp.zeros(shape, dtype=g._data.dtype)
    view, ok = _diag_array(out, offset, d1, d2)
    if ok:
        view[...] = g._data
    if g.requires_grad and _grad_state.enabled:
        node = DiagonalBackwardBackward0((edge(g),))
        node.offset, node.d1, node.d2 = offset, d1, d2
        return wrap_grad(out, g._device, node)
    return wrap(out, g._device)


def diagonal(a, offset=0, dim1=0, dim2=1):
    from .shape import _view_result

    d1, d2 = _norm(a, offset, dim1, dim2)
    view, ok = _diag_array(a._data, offset, d1, d2)
    return _view_result(a, view, DiagonalBackward0, shape=a._data.shape, offset=offset, d1=d1, d2=d2)


def trace(a):
    if a._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a._data.ndim}")
    C.no_kernel(a, "trace", ints=True)
    return diagonal(a).sum()


def diag_embed(a, offset=0, dim1=-2, dim2=-1):
    from .._factories import zeros
    from .einsum import einsum

    if a._data.dtype.kind == "b":  # no bool products: through int8, exact for 0/1
        return diag_embed(a.to(_dtype_int8()), offset, dim1, dim2).to(a.dtype)
    nd = a._data.ndim + 1
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = a._data.shape[-1] if a._data.ndim else 1
    m = n + abs(offset)
    xp = get_xp(a._data)
    e = xp.zeros((n, m, m), dtype=a._data.dtype)
    i = xp.arange(n)
    if offset >= 0:
        e[i, i, i + offset] = 1
    else:
        e[i, i - offset, i] = 1
    src = a if a._data.ndim else a.reshape(1)
    out = einsum("...i,imn->...mn", src, wrap(e, a._device))
    # the two new dims are last; move them to d1, d2
    rest = list(range(nd - 2))
    order = [None] * nd
    order[d1], order[d2] = nd - 2, nd - 1
    it = iter(rest)
    order = [o if o is not None else next(it) for o in order]
    return out.permute(*order)


def _dtype_int8():
    from .._dtype import int8

    return int8


def diagflat(a, offset=0):
    return a.reshape(-1).diag(offset)


def fill_diagonal_(a, fill_value, wrap_=False):
    from .inplace import check_inplace, bump

    nd = a._data.ndim
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = a._data.shape
    if nd > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    check_inplace(a)
    if a._rg and _grad_state.enabled:
        from . import inplace as _ip

        return _ip.apply(a, lambda x: _fill_diag_graph(x, fill_value, wrap_))
    xp = get_xp(a._data)
    _fill_diag_array(xp, a._data, fill_value, wrap_)
    bump(a)
    return a


def _diag_positions(xp, shape, wrap_):
    nd = len(shape)
    if nd == 2:
        rows, cols = shape
        n = min(rows, cols)
        r = xp.arange(rows if wrap_ and rows > cols else n)
        if wrap_ and rows > cols:
            step = cols + 1
            flat = xp.arange(0, rows * cols, step)
            return flat
        return r * cols + r
    n = shape[0]
    stride = sum(int(np.prod(shape[i + 1:])) for i in range(nd))
    return xp.arange(n) * stride


def _fill_diag_array(xp, arr, value, wrap_):
    pos = _diag_positions(xp, arr.shape, wrap_)
    if arr.flags.c_contiguous:
        arr.reshape(-1)[pos] = value
    else:
        tmp = xp.ascontiguousarray(arr)
        tmp.reshape(-1)[pos] = value
        arr[...] = tmp


def _fill_diag_graph(x, value, wrap_):
    xp = get_xp(x._data)
    mask = xp.zeros(x._data.size, dtype=bool)
    mask[_diag_positions(xp, x._data.shape, wrap_)] = True
    return x.masked_fill(wrap(mask.reshape(x._data.shape), x._device), value)
