"""Shape ops that return views sharing memory, indexing, and joining."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad
from .reduce import norm_dim


def _view_result(a, arr, node_cls=None, **saved):
    """Wrap a view of a's array: it shares a's version counter and remembers its base."""
    if a._rg and _grad_state.enabled and node_cls is not None:
        node = node_cls((edge(a),))
        for k, v in saved.items():
            setattr(node, k, v)
        t = wrap_grad(arr, a._device, node)
    else:
        t = wrap(arr, a._device)
        if a._rg and node_cls is None:
            t._rg = True
    t._vc = C.vcounter(a)
    t._base = a._base if a._base is not None else a
    return t


class ViewBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (g.reshape(self.shape),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()


class UnsqueezeBackward0(ViewBackward0):
    __slots__ = ()


class SqueezeBackward0(ViewBackward0):
    __slots__ = ()


class SqueezeBackward1(ViewBackward0):
    __slots__ = ()


class ExpandBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (C.unbroadcast(g, self.shape),)


def _infer_shape(shape, numel, for_view=True):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if neg:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(str(s) for s in shape)}]' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '[{', '.join(str(s) for s in shape)}]' is invalid for input of size {numel}")
    return tuple(shape)


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def view(a, *shape):
    ad = a._data
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        from .._dtype import to_dtype

        return wrap(ad.view(to_dtype(shape[0]).np), a._device)
    shape = _infer_shape(_shape_args(shape), ad.size)
    try:
        arr = ad.view()
        arr.shape = shape  # raises instead of copying when strides do not allow a view
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension "
            "spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return _view_result(a, arr, ViewBackward0, shape=ad.shape)


def reshape(a, *shape):
    ad = a._data
    shape = _infer_shape(_shape_args(shape), ad.size)
    arr = ad.reshape(shape)
    if arr.base is None or not np.shares_memory(arr, ad) if isinstance(ad, np.ndarray) else False:
        # A copy was needed; PyTorch reports it as _unsafe_view of a clone.
        if a._rg and _grad_state.enabled:
            node = UnsafeViewBackward0((edge(a),))
            node.shape = ad.shape
            return wrap_grad(arr, a._device, node)
        return wrap(arr, a._device)
    return _view_result(a, arr, ViewBackward0, shape=ad.shape)


def flatten(a, start_dim=0, end_dim=-1):
    ad = a._data
    if ad.ndim == 0:
        return reshape(a, 1)
    s = norm_dim(start_dim, ad.ndim)
    e = norm_dim(end_dim, ad.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return a
    shape = ad.shape[:s] + (-1 if ad.size else int(np.prod(ad.shape[s:e + 1])),) + ad.shape[e + 1:]
    return reshape(a, shape)


def unflatten(a, dim, sizes):
    ad = a._data
    d = norm_dim(dim, ad.ndim)
    return view(a, ad.shape[:d] + tuple(sizes) + ad.shape[d + 1:])


class TransposeBackward0(Node):
    __slots__ = ("d0", "d1")

    def backward(self, g):
        return (get_xp(g).swapaxes(g, self.d0, self.d1),)


class TBackward0(TransposeBackward0):
    __slots__ = ()


def transpose(a, d0, d1):
    ad = a._data
    n = ad.ndim
    if n == 0:
        norm_dim(d0, 0), norm_dim(d1, 0)
        return _view_result(a, ad.view(), TransposeBackward0, d0=0, d1=0) if False else _alias(a)
    d0, d1 = norm_dim(d0, n), norm_dim(d1, n)
    return _view_result(a, ad.swapaxes(d0, d1), TransposeBackward0, d0=d0, d1=d1)


def _alias(a):
    return _view_result(a, a._data.view(), AliasBackward0)


class AliasBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)


def t(a):
    ad = a._data
    if ad.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ad.ndim}D")
    if ad.ndim < 2:
        return _view_result(a, ad.view(), TBackward0, d0=0, d1=0) if ad.ndim == 1 else _alias(a)
    return _view_result(a, ad.T, TBackward0, d0=0, d1=1)


class PermuteBackward0(Node):
    __slots__ = ("inv",)

    def backward(self, g):
        return (g.transpose(self.inv),)


def permute(a, *dims):
    dims = _shape_args(dims)
    ad = a._data
    if len(dims) != ad.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {ad.ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(norm_dim(d, ad.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    inv = tuple(np.argsort(dims))
    return _view_result(a, ad.transpose(dims), PermuteBackward0, inv=inv)


def unsqueeze(a, dim):
    ad = a._data
    d = norm_dim(dim, ad.ndim + 1)
    return _view_result(a, get_xp(ad).expand_dims(ad, d), UnsqueezeBackward0, shape=ad.shape)


def squeeze(a, dim=None):
    ad = a._data
    if dim is None:
        arr = ad.reshape(tuple(s for s in ad.shape if s != 1))
        return _view_result(a, arr, SqueezeBackward0, shape=ad.shape)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(d for d in (norm_dim(x, ad.ndim) for x in dims) if ad.ndim and ad.shape[d] == 1)
    arr = ad.squeeze(axis=axes) if axes else ad.view()
    return _view_result(a, arr, SqueezeBackward1 if not isinstance(dim, (tuple, list)) else SqueezeBackward0, shape=ad.shape)


def expand(a, *sizes):
    sizes = _shape_args(sizes)
    ad = a._data
    if len(sizes) < ad.ndim:
        raise RuntimeError(
            f"expand(xptorch.FloatTensor{{[{', '.join(map(str, ad.shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
            "the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({ad.ndim})"
        )
    lead = len(sizes) - ad.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}"
                )
            target.append(s)
        else:
            cur = ad.shape[i - lead]
            if s == -1:
                target.append(cur)
            elif cur == 1 or cur == s:
                target.append(s)
            else:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                    f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                    f"Tensor sizes: [{', '.join(map(str, ad.shape))}]"
                )
    arr = get_xp(ad).broadcast_to(ad, tuple(target))
    return _view_result(a, arr, ExpandBackward0, shape=ad.shape)


# ---- indexing ----------------------------------------------------------------------------------

class SliceBackward0(Node):
    __slots__ = ("shape", "dtype", "index")

    def backward(self, g):
        xp = get_xp(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        out[self.index] = g
        return (out,)


class SelectBackward0(SliceBackward0):
    __slots__ = ()


class IndexBackward0(SliceBackward0):
    __slots__ = ()

    def backward(self, g):
        xp = get_xp(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        if xp is np:
            np.add.at(out, self.index, g)
        else:
            xp.add.at(out, self.index, g)
        return (out,)


def _convert_index(a, idx):
    """Translate an index into one NumPy understands; report whether it is advanced."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    advanced = False
    for i in idx:
        if isinstance(i, C.Tensor):
            if i._device is not a._device and i._data.ndim:
                C.device_mismatch(a, i)
            d = i._data
            if d.dtype.kind in "fc":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if d.ndim == 0 and d.dtype.kind in "iu":
                out.append(int(d))
                continue
            advanced = True
            out.append(d)
        elif isinstance(i, (list, np.ndarray)):
            advanced = True
            arr = np.asarray(i)
            out.append(arr)
        elif isinstance(i, bool):
            advanced = True
            out.append(i)
        elif isinstance(i, (int, np.integer)):
            out.append(int(i))
        elif isinstance(i, float):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got float)"
            )
        else:
            out.append(i)
    return tuple(out), advanced


def _check_bounds(shape, idx):
    dim = 0
    n_specified = sum(1 for i in idx if i is not None and i is not Ellipsis)
    for i in idx:
        if i is Ellipsis:
            dim += len(shape) - n_specified
            continue
        if i is None:
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            size = shape[dim]
            if i < -size or i >= size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
        dim += 1
    if dim > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")


def _index_name(idx):
    """The grad_fn PyTorch reports: the last non-trivial basic index decides it."""
    name = "AliasBackward0"
    for i in idx:
        if isinstance(i, int):
            name = "SelectBackward0"
        elif isinstance(i, slice):
            if i != slice(None):
                name = "SliceBackward0"
            elif name == "AliasBackward0":
                name = "SliceBackward0"
        elif i is None:
            name = "UnsqueezeBackward0"
    return name


_INDEX_NODES = {"SelectBackward0": SelectBackward0, "SliceBackward0": SliceBackward0}


def getitem(a, idx):
    ad = a._data
    nidx, advanced = _convert_index(a, idx)
    if not advanced:
        _check_bounds(ad.shape, nidx)
        arr = ad[nidx]
        if not isinstance(arr, get_xp(ad).ndarray):
            arr = get_xp(ad).asarray(arr)
            if arr.base is None:
                arr = ad[nidx + (Ellipsis,)] if Ellipsis not in nidx else arr
        name = _index_name(nidx)
        cls = _INDEX_NODES.get(name, SliceBackward0)
        t = _view_result(a, arr, cls, shape=ad.shape, index=nidx)
        if t.grad_fn is not None and cls is SliceBackward0 and name != "SliceBackward0":
            t.grad_fn.__class__ = _NAMED_SLICE.get(name, SliceBackward0)
        return t
    try:
        arr = ad[nidx]
    except IndexError as exc:
        raise IndexError(str(exc).replace("axis", "dimension")) from None
    if a._rg and _grad_state.enabled:
        node = IndexBackward0((edge(a),))
        node.shape, node.index = ad.shape, nidx
        return wrap_grad(arr, a._device, node)
    return wrap(arr, a._device)


class _AliasSlice(SliceBackward0):
    __slots__ = ()

    def name(self):
        return "AliasBackward0"


class _UnsqueezeSlice(SliceBackward0):
    __slots__ = ()

    def name(self):
        return "UnsqueezeBackward0"


_NAMED_SLICE = {"AliasBackward0": _AliasSlice, "UnsqueezeBackward0": _UnsqueezeSlice}


def setitem(a, idx, value):
    """In-place assignment; the tensor is untouched if anything about the value is wrong."""
    from .inplace import check_inplace, bump

    check_inplace(a)
    nidx, advanced = _convert_index(a, idx)
    if not advanced:
        _check_bounds(a._data.shape, nidx)
    if isinstance(value, C.Tensor):
        if value._device is not a._device and value._data.ndim:
            C.device_mismatch(a, value)
        v = value._data
    else:
        v = value
    ad = a._data
    target_shape = np.empty(ad.shape, dtype=np.bool_)[nidx].shape if ad.size < 1 << 16 else None
    if target_shape is not None:
        try:
            np.broadcast_shapes(np.shape(v), target_shape)
        except ValueError:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape [{', '.join(map(str, np.shape(v)))}] cannot be "
                f"broadcast to indexing result of shape [{', '.join(map(str, target_shape))}]"
            ) from None
    if (isinstance(value, C.Tensor) and value._rg or a._rg) and _grad_state.enabled:
        raise RuntimeError(
            "in-place assignment into a tensor that is part of the autograd graph is not supported; "
            "assign under xptorch.no_grad() or through .data"
        )
    ad[nidx] = v
    bump(a)


# ---- joining -------------------------------------------------------------------------------------

class CatBackward0(Node):
    __slots__ = ("axis", "sizes")

    def backward(self, g):
        out = []
        start = 0
        for s in self.sizes:
            sl = [slice(None)] * g.ndim
            sl[self.axis] = slice(start, start + s)
            out.append(g[tuple(sl)])
            start += s
        return tuple(out)


class StackBackward0(Node):
    __slots__ = ("axis", "n")

    def backward(self, g):
        xp = get_xp(g)
        return tuple(xp.take(g, i, axis=self.axis) for i in range(self.n))


def _check_seq(tensors, name):
    if isinstance(tensors, C.Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    dev = tensors[0]._device
    for t in tensors[1:]:
        if t._device is not dev:
            C.device_mismatch(tensors[0], t)
    return tensors


def _common_dtype(tensors):
    from .. import _dtype

    dt = _dtype._BY_NP[tensors[0]._data.dtype]
    for t in tensors[1:]:
        dt = _dtype.promote_types(dt, _dtype._BY_NP[t._data.dtype])
    return dt.np


def cat(tensors, dim=0):
    tensors = _check_seq(tensors, "cat")
    arrs = [t._data for t in tensors]
    ref = next((x for x in arrs if not (x.ndim == 1 and x.shape[0] == 0)), arrs[0])
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = norm_dim(dim, ref.ndim)
    keep = [i for i, x in enumerate(arrs) if not (x.ndim == 1 and x.shape[0] == 0)] or [0]
    for i in keep:
        x = arrs[i]
        if x.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {x.ndim}"
            )
        for d in range(ref.ndim):
            if d != axis and x.shape[d] != ref.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {ref.shape[d]} "
                    f"but got size {x.shape[d]} for tensor number {i} in the list."
                )
    dt = _common_dtype(tensors)
    xp = get_xp(ref)
    out = xp.concatenate([arrs[i].astype(dt, copy=False) for i in keep], axis=axis)
    if _grad_state.enabled and any(t._rg for t in tensors):
        node = CatBackward0(tuple(edge(tensors[i]) for i in keep))
        node.axis, node.sizes = axis, [arrs[i].shape[axis] for i in keep]
        return wrap_grad(out, tensors[0]._device, node)
    return wrap(out, tensors[0]._device)


def stack(tensors, dim=0):
    tensors = _check_seq(tensors, "stack")
    arrs = [t._data for t in tensors]
    for i, x in enumerate(arrs):
        if x.shape != arrs[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got [{', '.join(map(str, arrs[0].shape))}] at "
                f"entry 0 and [{', '.join(map(str, x.shape))}] at entry {i}"
            )
    axis = norm_dim(dim, arrs[0].ndim + 1)
    dt = _common_dtype(tensors)
    out = get_xp(arrs[0]).stack([x.astype(dt, copy=False) for x in arrs], axis=axis)
    if _grad_state.enabled and any(t._rg for t in tensors):
        node = StackBackward0(tuple(edge(t) for t in tensors))
        node.axis, node.n = axis, len(arrs)
        return wrap_grad(out, tensors[0]._device, node)
    return wrap(out, tensors[0]._device)


# ---- copies ------------------------------------------------------------------------------------

class CloneBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)


class ToCopyBackward0(Node):
    __slots__ = ("dtype", "src", "dst")

    def backward(self, g):
        from ..backend import transfer

        g = transfer(g, self.dst, self.src)
        return (g.astype(self.dtype, copy=False),)


def clone(a):
    out = a._data.copy()
    if a._rg and _grad_state.enabled:
        return wrap_grad(out, a._device, CloneBackward0((edge(a),)))
    return wrap(out, a._device)


def to_copy(a, np_dtype, dev, copy=False):
    """Cast and/or move; returns a itself when nothing changes and copy is False."""
    from ..backend import transfer, use_device

    ad = a._data
    same_dev = dev is a._device
    if same_dev and ad.dtype == np_dtype and not copy:
        return a
    arr = ad
    if not same_dev:
        arr = transfer(arr, a._device, dev)
    if arr.dtype != np_dtype:
        with use_device(dev):
            arr = arr.astype(np_dtype)
    elif copy and arr is ad:
        arr = arr.copy()
    if a._rg and _grad_state.enabled:
        node = ToCopyBackward0((edge(a),))
        node.dtype, node.src, node.dst = ad.dtype, a._device, dev
        return wrap_grad(arr, dev, node)
    return wrap(arr, dev)
