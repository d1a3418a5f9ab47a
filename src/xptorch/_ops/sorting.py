"""Order statistics along a dim: sort, argsort, topk, kthvalue.

Sorting is stable, as PyTorch's CPU sort is: equal values keep their order (descending too), and
NaN counts as the largest value.
"""
import numpy as np

from .. import return_types
from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad
from .indexing import linear_index
from .reduce import norm_dim


class SortBackward0(Node):
    """The gradient of each selected value goes back to the position it was taken from."""

    __slots__ = ("lin", "shape", "dtype")
    saves = ("lin",)

    def backward(self, g):
        xp = get_xp(g)
        n = 1
        for s in self.shape:
            n *= s
        out = xp.zeros(n, dtype=self.dtype)
        out[self.lin.reshape(-1)] = g.reshape(-1)
        return (out.reshape(self.shape),)

    def backward_graph(self, g):
        # Linear in g with constant indices: the scatter's own gradient gathers at the same places.
        from ..autograd.higher_order import put_at

        return (put_at(g, self.lin, self.shape),)


class SortBackward1(SortBackward0):
    """sort called with stable= (PyTorch's other overload)."""

    __slots__ = ()


class TopkBackward0(SortBackward0):
    __slots__ = ()


class KthvalueBackward0(SortBackward0):
    __slots__ = ()


def sort_key(ad):
    """ad as a sort key whose NaNs all sort last. CuPy sorts a 1-D float array by its bits (a radix sort), so a
    NaN with the sign bit set would come first: on a device every NaN becomes the one positive NaN."""
    if isinstance(ad, np.ndarray) or ad.dtype.kind != "f":
        return ad
    return get_xp(ad).where(ad != ad, ad.dtype.type(np.nan), ad)


def _fast_order(ad, d):
    """Ascending stable order; the unstable (SIMD) sort is taken when no two keys compare equal."""
    xp = get_xp(ad)
    if isinstance(ad, np.ndarray) and ad.dtype.kind == "f" and ad.shape[d] > 4096:
        idx = np.argsort(ad, axis=d)
        v = np.take_along_axis(ad, idx, axis=d)
        n = ad.shape[d]
        head = (slice(None),) * d
        lo, hi = v[head + (slice(0, n - 1),)], v[head + (slice(1, n),)]
        if not (lo == hi).any() and not np.isnan(v[head + (slice(n - 1, n),)]).any():
            return idx, v
        # ties or NaNs: fall through to the stable sort
    idx = xp.argsort(sort_key(ad), axis=d, kind="stable")
    return idx, xp.take_along_axis(ad, idx, axis=d)


_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32}


def _sort_keys(ad, descending):
    """Unsigned integers ordered as ad's values (all NaNs largest, -0.0 equal to 0.0), reversed
    for descending; dtypes of at most 4 bytes."""
    xp = get_xp(ad)
    ut = _UINT[ad.dtype.itemsize]
    bits = ad.dtype.itemsize * 8
    top = ut(1 << (bits - 1))
    u = ad.view(ut) if ad.dtype != np.bool_ else ad.astype(np.uint8)
    kind = ad.dtype.kind
    if kind == "f":
        nan_bits = np.array(np.nan, dtype=ad.dtype).view(ut)[()]
        u = xp.where(ad != ad, nan_bits, xp.where(ad == 0, ut(0), u))
        u = xp.where(u >= top, ~u, u | top)
    elif kind == "i":
        u = u ^ top
    if descending:
        u = ~u
    return u


def _packed_order(ad, d, descending):
    """Sort (key << 32 | position) as one uint64 per element: a single SIMD or radix sort gives a
    stable order, ties broken by position."""
    xp = get_xp(ad)
    moved = xp.moveaxis(ad, d, -1)
    n = moved.shape[-1]
    keys = _sort_keys(moved, descending).astype(np.uint64)
    keys <<= np.uint64(32)
    keys |= xp.arange(n, dtype=np.uint64)
    keys.sort(axis=-1)
    idx = (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
    vals = xp.take_along_axis(moved, idx, axis=-1) if moved.ndim > 1 else moved.take(idx)
    return xp.moveaxis(idx, -1, d), xp.moveaxis(vals, -1, d)


def order(ad, d, descending):
    """(indices, values) of ad sorted along d."""
    if ad.dtype.itemsize <= 4 and ad.shape[d] < (1 << 32) and ad.dtype.kind in "fiub":
        return _packed_order(ad, d, descending)
    if not descending:
        return _fast_order(ad, d)
    xp = get_xp(ad)
    # Stable descending: sort the reversed axis ascending, then reverse the result.
    n = ad.shape[d]
    idx, _ = _fast_order(xp.flip(ad, d), d)
    idx = (n - 1) - xp.flip(idx, d)
    return idx, xp.take_along_axis(ad, idx, axis=d)


def _check_sortable(ad, fname):
    if ad.dtype.kind == "c":
        raise RuntimeError(f"{fname}(): complex inputs are not supported")


def _selected(a, ad, vals, idx, d, node_cls, full_shape_idx):
    """Wrap values and indices; the values carry a node that puts gradients back at the indices."""
    dev = a._device
    if a._rg and _grad_state.enabled:
        node = node_cls((edge(a),))
        node.lin = linear_index(full_shape_idx, d, ad.shape if ad.ndim else (1,))
        node.shape, node.dtype = ad.shape, ad.dtype
        return wrap_grad(vals, dev, node), wrap(idx, dev)
    return wrap(vals, dev), wrap(idx, dev)


def sort(a, dim=-1, descending=False, stable=None):
    ad = a._data
    node_cls = SortBackward0 if stable is None else SortBackward1
    d = norm_dim(dim, ad.ndim)
    _check_sortable(ad, "sort")
    if ad.ndim == 0:
        idx = get_xp(ad).zeros((), dtype=np.int64)
        v, i = _selected(a, ad, ad.copy(), idx, 0, node_cls, idx.reshape(1))
        return return_types.sort(v, i)
    idx, vals = order(ad, d, descending)
    v, i = _selected(a, ad, vals, idx.astype(np.int64, copy=False), d, node_cls, idx)
    return return_types.sort(v, i)


def argsort(a, dim=-1, descending=False, stable=False):
    ad = a._data
    d = norm_dim(dim, ad.ndim)
    _check_sortable(ad, "argsort")
    if ad.ndim == 0:
        return wrap(get_xp(ad).zeros((), dtype=np.int64), a._device)
    idx, _ = order(ad, d, descending)
    return wrap(idx.astype(np.int64, copy=False), a._device)


def topk(a, k, dim=-1, largest=True, sorted=True):
    ad = a._data
    if ad.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = norm_dim(dim, ad.ndim)
    n = ad.shape[d] if ad.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    xp = get_xp(ad)
    if ad.ndim == 0:
        idx = xp.zeros((k,), dtype=np.int64).reshape(() if k else (0,))
        vals = ad.reshape(1)[:k].reshape(idx.shape)
        v, i = _selected(a, ad, vals, idx, 0, TopkBackward0, idx.reshape(-1))
        return return_types.topk(v, i)
    idx, vals = order(ad, d, largest)
    keep = (slice(None),) * d + (slice(0, k),)
    idx, vals = idx[keep].astype(np.int64), vals[keep].copy()
    v, i = _selected(a, ad, vals, idx, d, TopkBackward0, idx)
    return return_types.topk(v, i)


def kthvalue(a, k, dim=-1, keepdim=False):
    ad = a._data
    if ad.ndim:  # a 0-d input reaches no kernel in PyTorch
        C.no_kernel(a, "kthvalue_cpu", ints=True)
    d = norm_dim(dim, ad.ndim)
    n = ad.shape[d] if ad.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    xp = get_xp(ad)
    if ad.ndim == 0:
        idx = xp.zeros((), dtype=np.int64)
        v, i = _selected(a, ad, ad.copy(), idx, 0, KthvalueBackward0, idx.reshape(1))
        return return_types.kthvalue(v, i)
    idx, vals = order(ad, d, False)
    keep = (slice(None),) * d + (slice(k - 1, k),)
    idx, vals = idx[keep].astype(np.int64), vals[keep].copy()
    full_idx = idx
    if not keepdim:
        idx, vals = idx.squeeze(d), vals.squeeze(d)
    v, i = _selected(a, ad, vals, idx, d, KthvalueBackward0, full_idx)
    return return_types.kthvalue(v, i)
