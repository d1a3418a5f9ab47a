"""as_strided (a view with any sizes and strides over a tensor's memory) and narrow_copy."""
import operator

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from .inplace_view import int_arg
from .reduce import norm_dim
from .shape import _view_result


def _storage(arr):
    """The memory arr views, as a flat array of arr's dtype, and arr's element offset in it; (None, 0) when that
    memory cannot be seen whole (a reinterpreted, non-contiguous view)."""
    root = node = arr
    while getattr(node, "base", None) is not None:  # through NumPy's broadcast wrappers too
        node = node.base
        if isinstance(node, type(arr)):
            root = node
    if root.dtype != arr.dtype and root.flags.c_contiguous and root.nbytes % arr.itemsize == 0:
        root = root.reshape(-1).view(arr.dtype)
    if root.dtype != arr.dtype or root.size == 0 or min(root.strides, default=1) <= 0 \
            or not (root.flags.c_contiguous or root.flags.f_contiguous or _dense(root)) \
            or (_ptr(arr) - _ptr(root)) % arr.itemsize:
        root = arr  # its own elements are all of it we can see
        if not (arr.flags.c_contiguous or arr.size == 0):
            return None, 0
    xp = C.get_xp(arr)
    flat = root if root.ndim == 1 and root.strides == (root.itemsize,) else \
        xp.lib.stride_tricks.as_strided(root, shape=(root.size,), strides=(root.itemsize,))
    return flat, (_ptr(arr) - _ptr(root)) // arr.itemsize


def _dense(a):
    perm = sorted(range(a.ndim), key=lambda i: -a.strides[i])
    return a.transpose(perm).flags.c_contiguous


def _ptr(arr):
    return arr.ctypes.data if isinstance(arr, np.ndarray) else arr.data.ptr


def _int_tuple(v, argname, pos):
    if not isinstance(v, (tuple, list)):
        raise TypeError(f"as_strided(): argument '{argname}' (position {pos}) must be tuple of ints, not "
                        f"{type(v).__name__}")
    out = []
    for i, s in enumerate(v):
        try:
            if isinstance(s, bool):
                raise TypeError
            out.append(operator.index(s))
        except TypeError:
            raise TypeError(f"as_strided(): argument '{argname}' (position {pos}) must be tuple of ints, but found "
                            f"element of type {type(s).__name__} at pos {i}") from None
    return tuple(out)


def _positions(xp, shape, strides, offset):
    """Storage index of every element of the geometry, in an int64 array of that shape."""
    pos = xp.full((), offset, dtype=np.int64)
    for n, s in zip(shape, strides):
        pos = pos[..., None] + xp.arange(n, dtype=np.int64) * s
    return pos


def _overlaps(shape, strides):
    """Whether two elements of the geometry share a storage index."""
    if any(n == 0 for n in shape):
        return False
    extent = 0
    for n, s in sorted(((n, s) for n, s in zip(shape, strides) if n > 1), key=lambda p: p[1]):
        if s <= extent:
            return True
        extent += (n - 1) * s
    return False


class AsStridedBackward0(Node):
    """Each output element's gradient lands on its storage location; the input reads its locations back
    (split evenly where several input elements share one)."""

    __slots__ = ("geom_in", "geom_out", "overlap")  # (shape, strides, offset) of input and output

    def _span(self):
        lo = hi = None
        for shape, strides, off in (self.geom_in, self.geom_out):
            if any(n == 0 for n in shape):
                continue
            top = off + sum((n - 1) * s for n, s in zip(shape, strides))
            lo = off if lo is None else min(lo, off)
            hi = top if hi is None else max(hi, top)
        return (0, 0) if lo is None else (lo, hi - lo + 1)

    def _grad_in(self, g):
        xp = C.get_xp(g)
        lo, n = self._span()
        pin = _positions(xp, *self.geom_in) - lo
        buf = xp.zeros(n, dtype=g.dtype)
        xp.add.at(buf, (_positions(xp, *self.geom_out) - lo).reshape(-1), g.reshape(-1))
        out = buf[pin]
        if self.overlap:
            count = xp.zeros(n, dtype=g.dtype)
            xp.add.at(count, pin.reshape(-1), 1)
            out = out / count[pin]
        return out

    def _grad_out(self, h):  # _grad_in's adjoint
        xp = C.get_xp(h)
        lo, n = self._span()
        pin = _positions(xp, *self.geom_in) - lo
        if self.overlap:
            count = xp.zeros(n, dtype=h.dtype)
            xp.add.at(count, pin.reshape(-1), 1)
            h = h / count[pin]
        buf = xp.zeros(n, dtype=h.dtype)
        xp.add.at(buf, pin.reshape(-1), h.reshape(-1))
        return buf[_positions(xp, *self.geom_out) - lo]

    def backward(self, g):
        return (self._grad_in(g),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        return (linear_map(self._grad_in, self._grad_out, g),)


def as_strided(a, size, stride, storage_offset=None, first=1):
    """first: the position torch reports for `size` (1 for the method, 2 for the function)."""
    C.need_tensor(a, "as_strided", "input", 1)
    size = _int_tuple(size, "size", first)
    stride = _int_tuple(stride, "stride", first + 1)
    if storage_offset is not None:
        storage_offset = int_arg(storage_offset, "as_strided", "storage_offset", first + 2)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"[{', '.join(map(str, stride))}]")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{', '.join(map(str, size))}] and "
                           f"strides=[{', '.join(map(str, stride))}]")
    ad = a._data
    flat, own = _storage(ad)
    if flat is None:
        raise RuntimeError("as_strided: xptorch cannot see the whole memory of this reinterpreted view; call "
                           "contiguous() on it first")
    off = own if storage_offset is None else storage_offset
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    need = 0 if 0 in size else off + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > flat.size:
        item = ad.itemsize
        raise RuntimeError(f"setStorage: sizes [{', '.join(map(str, size))}], strides [{', '.join(map(str, stride))}], "
                           f"storage offset {off}, and itemsize {item} requiring a storage size of {need * item} are "
                           f"out of bounds for storage of size {flat.size * item}")
    xp = C.get_xp(ad)
    start = flat[off:] if off < flat.size else flat[flat.size:]
    arr = xp.lib.stride_tricks.as_strided(start, shape=size, strides=tuple(s * ad.itemsize for s in stride))
    in_strides = tuple(s // ad.itemsize for s in ad.strides)
    return _view_result(a, arr, AsStridedBackward0, geom_in=(ad.shape, in_strides, own), geom_out=(size, stride, off),
                        overlap=_overlaps(ad.shape, in_strides))


class NarrowCopyBackward0(Node):
    __slots__ = ("shape", "dim", "start")

    def _place(self, g):
        xp = C.get_xp(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        out[(slice(None),) * self.dim + (slice(self.start, self.start + g.shape[self.dim]),)] = g
        return out

    def backward(self, g):
        return (self._place(g),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        length = g._data.shape[self.dim]
        return (linear_map(self._place, lambda h: h[(slice(None),) * self.dim
                                                   + (slice(self.start, self.start + length),)], g),)


def narrow_copy(a, dim, start, length):
    C.need_tensor(a, "narrow_copy", "input", 1)
    dim = int_arg(dim, "narrow_copy", "dim", 1)
    if isinstance(start, C.Tensor) and start._data.dtype.kind not in "iu":
        raise TypeError("narrow_copy(): argument 'start' (position 2) must be int, not Tensor")
    start = int_arg(start, "narrow_copy", "start", 2)
    length = int_arg(length, "narrow_copy", "length", 3)
    ad = a._data
    if ad.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if dim >= ad.ndim:
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an enhancement request "
                           "to PyTorch.)")
    d = norm_dim(dim, ad.ndim)
    size = ad.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    arr = ad[(slice(None),) * d + (slice(start, start + length),)].copy()  # C order on both backends
    if a._rg and _grad_state.enabled:
        node = NarrowCopyBackward0((C.edge(a),))
        node.shape, node.dim, node.start = ad.shape, d, start
        return C.wrap_grad(arr, a._device, node)
    return C.wrap(arr, a._device)
