"""Shape ops that return views sharing memory, indexing, and joining."""
import operator
from weakref import ref as _weakref

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad
from .reduce import norm_dim
from ..backend import capture_blas as _cb


def _view_result(a, arr, node_cls=None, **saved):
    """Wrap a view of a's array: it shares a's version counter and remembers its base.

    A view of a tensor in the graph is also listed (weakly) on its base, so that a later in-place
    edit of the base or of another view can give it the new history (see inplace.rebase).
    """
    vc = a._vc
    if vc is None:
        vc = a._vc = [0]
    base = a._base
    if base is None:
        base = a
    cm = a._cm
    if _grad_state.enabled:
        if a._rg:
            if node_cls is not None:
                node = node_cls((edge(a),))
                for k, v in saved.items():
                    setattr(node, k, v)
                t = wrap_grad(arr, a._device, node)
            else:
                t = wrap(arr, a._device)
            views = base._views
            if views is None:
                views = base._views = []
            elif len(views) > 64:
                views[:] = [r for r in views if r() is not None]
            views.append(_weakref(t))
            if a._multi_out is not None:  # a view of such a view is refused too, under its own op's name
                t._multi_out = (0, None)
        else:
            t = wrap(arr, a._device)
        if cm is not None:  # a view of a view made under no_grad (or returned by a custom Function)
            t.__dict__.update(_cm=(cm[0], 0), _cm_v=vc[0])
        t.__dict__.update(_vc=vc, _base=base)
        return t
    # Made with grad mode off: the view requires grad when its base does (as torch, the first tensor of the
    # chain of views), has no history of its own, and may not be edited in place once grad mode is back on
    # (see inplace.view_edit_message).
    t = wrap(arr, a._device)
    t._rg = base._rg
    t.__dict__.update(_vc=vc, _base=base, _cm_v=vc[0],
                      _cm=("inference", 0) if _grad_state.inference or (cm is not None and cm[0] == "inference")
                      else ("no_grad", 0))
    return t


def _legacy(arr):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(arr.dtype)._legacy


def _dims_str(shape):
    return ", ".join(map(str, shape))


class ViewBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (g.reshape(self.shape),)

    def backward_graph(self, g):
        return (g.reshape(self.shape),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()


class UnsqueezeBackward0(ViewBackward0):
    __slots__ = ()


class SqueezeBackward0(ViewBackward0):
    __slots__ = ()


class SqueezeBackward1(ViewBackward0):
    __slots__ = ()


class SqueezeBackward2(ViewBackward0):
    __slots__ = ()


class ExpandBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (C.unbroadcast(g, self.shape),)

    def backward_graph(self, g):
        return (C.sum_to(g, self.shape),)


def _infer_shape(shape, numel):
    if -1 not in shape:
        n = 1
        for d in shape:
            n *= d
        if n == numel and (not shape or min(shape) >= 0):
            return shape
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
            raise RuntimeError(f"shape '[{_dims_str(shape)}]' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '[{_dims_str(shape)}]' is invalid for input of size {numel}")
    return tuple(shape)


def _shape_args(shape, fname="view", argname="size"):
    """A tuple of ints from varargs or one sequence, with PyTorch's TypeError for anything else."""
    nested = len(shape) == 1 and isinstance(shape[0], (tuple, list))
    if nested:
        shape = shape[0]
    try:
        return tuple(map(operator.index, shape))
    except TypeError:
        for i, s in enumerate(shape):
            try:
                operator.index(s)
            except TypeError:
                if len(shape) == 1 and not nested:
                    raise TypeError(f"{fname}(): argument '{argname}' (position 1) must be tuple of ints, not "
                                    f"{type(s).__name__}") from None
                raise TypeError(f"{fname}(): argument '{argname}' failed to unpack the object at pos {i + 1} with "
                                f"error \"type must be tuple of ints,but got {type(s).__name__}\"") from None
        raise


def _as_view(ad, shape):
    """ad reshaped without copying, or None when its strides do not allow it."""
    if isinstance(ad, np.ndarray):
        try:
            return ad.reshape(shape, copy=False)
        except ValueError:
            return None
    v = ad.view()
    try:
        v.shape = shape
    except AttributeError:
        return None
    return v


def view(a, *shape):
    ad = a._data
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, str)):
        from .._dtype import to_dtype

        return _view_dtype(a, to_dtype(shape[0]))
    shape = _infer_shape(_shape_args(shape), ad.size)
    arr = _as_view(ad, shape)
    if arr is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension "
            "spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return _view_result(a, arr, ViewBackward0, shape=ad.shape)


def _view_dtype(a, dt):
    """The same bytes read as dt; a larger element needs a last dim (of stride 1) it divides."""
    ad = a._data
    old, new = ad.dtype.itemsize, dt.np.itemsize
    if new > old and (not ad.ndim or ad.shape[-1] % (new // old)):
        raise RuntimeError(f"self.size(-1) must be divisible by {new // old} to view {a.dtype._legacy[:-6]} as "
                           f"{dt._legacy[:-6]} (different element sizes), but got {ad.shape[-1] if ad.ndim else 1}")
    try:
        return wrap(ad.view(dt.np), a._device)
    except ValueError:
        raise RuntimeError(f"self.stride(-1) must be 1 to view {a.dtype._legacy[:-6]} as {dt._legacy[:-6]} "
                           "(different element sizes)") from None


def reshape(a, *shape):
    ad = a._data
    shape = _infer_shape(_shape_args(shape, "reshape", "shape"), ad.size)
    arr = _as_view(ad, shape)
    if arr is not None:
        return _view_result(a, arr, ViewBackward0, shape=ad.shape)
    # A copy was needed; PyTorch records it as an _unsafe_view of a clone.
    arr = ad.reshape(shape)
    if a._rg and _grad_state.enabled:
        node = UnsafeViewBackward0((edge(a),))
        node.shape = ad.shape
        return wrap_grad(arr, a._device, node)
    return wrap(arr, a._device)


def flatten(a, start_dim=0, end_dim=-1):
    ad = a._data
    if ad.ndim == 0:
        norm_dim(start_dim, 0)
        norm_dim(end_dim, 0)
        return reshape(a, 1)
    s = norm_dim(start_dim, ad.ndim)
    e = norm_dim(end_dim, ad.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return a
    n = 1
    for d in ad.shape[s:e + 1]:
        n *= d
    return reshape(a, ad.shape[:s] + (n,) + ad.shape[e + 1:])


def unflatten(a, dim, sizes):
    ad = a._data
    if ad.ndim == 0:
        norm_dim(dim, 0)
        raise RuntimeError(f"unflatten got an unexpected error:\nDimension specified as {dim} but tensor has no "
                           "dimensions")
    d = norm_dim(dim, ad.ndim)
    sizes = tuple(sizes)
    if -1 in sizes:
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        sizes = tuple(ad.shape[d] // known if s == -1 else s for s in sizes)
    return view(a, ad.shape[:d] + sizes + ad.shape[d + 1:])


class TransposeBackward0(Node):
    __slots__ = ("d0", "d1")

    def backward(self, g):
        return (get_xp(g).swapaxes(g, self.d0, self.d1) if g.ndim > 1 else g,)

    def backward_graph(self, g):
        return (g.transpose(self.d0, self.d1) if g.dim() else g,)


class TBackward0(TransposeBackward0):
    __slots__ = ()


def transpose(a, d0, d1):
    ad = a._data
    n = ad.ndim
    d0, d1 = norm_dim(d0, n), norm_dim(d1, n)
    if n == 0:
        return _view_result(a, ad.view(), TransposeBackward0, d0=0, d1=0)
    return _view_result(a, ad.swapaxes(d0, d1), TransposeBackward0, d0=d0, d1=d1)


def t(a):
    ad = a._data
    if ad.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ad.ndim}D")
    if ad.ndim < 2:
        return _view_result(a, ad.view(), TBackward0, d0=0, d1=0)
    return _view_result(a, ad.T, TBackward0, d0=0, d1=1)


class AliasBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)

    backward_graph = backward


class PermuteBackward0(Node):
    __slots__ = ("inv",)

    def backward(self, g):
        return (g.transpose(self.inv),)

    def backward_graph(self, g):
        return (g.permute(*self.inv),)


def permute(a, *dims):
    dims = _shape_args(dims)
    ad = a._data
    if len(dims) != ad.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {ad.ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(norm_dim(d, ad.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    inv = tuple(int(i) for i in np.argsort(dims))
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
    many = isinstance(dim, (tuple, list))
    dims = dim if many else (dim,)
    normed = [norm_dim(x, ad.ndim) for x in dims]
    if len(set(normed)) != len(normed):
        raise RuntimeError(f"dim {next(d for i, d in enumerate(normed) if d in normed[:i])} appears multiple times in "
                           "the list of dims")
    axes = tuple(d for d in normed if ad.ndim and ad.shape[d] == 1)
    arr = ad.squeeze(axis=axes) if axes else ad.view()
    return _view_result(a, arr, SqueezeBackward2 if many else SqueezeBackward1, shape=ad.shape)


def _expand_error(shape, sizes, legacy):
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(xptorch.{legacy}{{[{_dims_str(shape)}]}}, size=[{_dims_str(sizes)}]): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
            f"({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}"
                )
            continue
        cur = shape[i - lead]
        if s != -1 and cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: [{_dims_str(sizes)}].  "
                f"Tensor sizes: [{_dims_str(shape)}]"
            )
    for i, s in enumerate(sizes):
        if s < -1:  # PyTorch reports "numel: integer multiplication overflow" here
            raise RuntimeError(f"The expanded size of the tensor ({s}) must be non-negative at dimension {i}")


def expand(a, *sizes):
    sizes = _shape_args(sizes)
    ad = a._data
    lead = len(sizes) - ad.ndim
    if lead < 0:
        _expand_error(ad.shape, sizes, _legacy(ad))
    target = tuple(ad.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
    try:
        if any(s < 0 for s in target):
            raise ValueError
        arr = get_xp(ad).broadcast_to(ad, target)
    except ValueError:
        _expand_error(ad.shape, sizes, _legacy(ad))
        raise
    return _view_result(a, arr, ExpandBackward0, shape=ad.shape)


# ---- indexing ----------------------------------------------------------------------------------

class SliceBackward0(Node):
    __slots__ = ("shape", "index")

    def backward(self, g):
        xp = get_xp(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        out[self.index] = g
        return (out,)

    def backward_graph(self, g):
        return (_scatter_t(g, self.shape, self.index, False),)


class SelectBackward0(SliceBackward0):
    __slots__ = ()


class _NamedSlice(SliceBackward0):
    """A basic index whose last step PyTorch records as an alias or an unsqueeze."""

    __slots__ = ("_name",)

    def name(self):
        return self._name


class IndexBackward0(SliceBackward0):
    __slots__ = ()

    def backward(self, g):
        xp = get_xp(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        # Repeated indices accumulate.
        xp.add.at(out, self.index, g)
        return (out,)

    def backward_graph(self, g):
        return (_scatter_t(g, self.shape, self.index, True),)


class GatherGradBackward(Node):
    """A slice's gradient scattered into zeros, seen as an op of its own: its adjoint is the slice."""

    __slots__ = ("index", "accumulate", "shape")

    def name(self):
        return "IndexPutBackward0"

    def backward(self, gg):
        return (gg[self.index],)

    def backward_graph(self, gg):
        return (_gather_t(gg, self.index, self.accumulate),)


def _scatter_t(g, shape, index, accumulate):
    """zeros(shape) with g written (or, for repeated indices, added) at index; differentiable in g."""
    gd = g._data
    xp = get_xp(gd)
    out = xp.zeros(shape, dtype=gd.dtype)
    if accumulate:
        xp.add.at(out, index, gd)
    else:
        out[index] = gd
    if g._rg and _grad_state.enabled:
        node = GatherGradBackward((edge(g),))
        node.index, node.accumulate, node.shape = index, accumulate, shape
        return wrap_grad(out, g._device, node)
    return wrap(out, g._device)


def _gather_t(g, index, accumulate):
    """g[index] with the slice's own node (whose rule scatters back)."""
    gd = g._data
    out = gd[index]
    if g._rg and _grad_state.enabled:
        node = (IndexBackward0 if accumulate else SliceBackward0)((edge(g),))
        node.shape, node.index = gd.shape, index
        return wrap_grad(out if accumulate else out.copy(), g._device, node)
    return wrap(out.copy() if not accumulate else out, g._device)


def _convert_index(a, idx, write=False):
    """Translate an index into one NumPy understands; report whether it is advanced.

    A 0-d integer tensor selects like an int (a view, as in PyTorch, which reads it back from the device);
    for a write (x[i] = v) a device one stays on the device as an index array: same effect, no host sync."""
    c = idx.__class__
    if c is int:
        return (idx,), False
    if c is slice and (idx.step is None or idx.step > 0):
        return (idx,), False
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    advanced = False
    for i in idx:
        if isinstance(i, C.Tensor):
            d = i._data
            if i._device is not a._device and d.ndim and i._device.type != "cpu":
                # CPU indices may index any device's tensor (copied over, as PyTorch does); others may not.
                raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor "
                                   f"({a._device})")
            if d.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if d.ndim == 0 and d.dtype.kind in "iu" and not (write and i._device.type == "cuda"):
                out.append(int(d))
                continue
            if i._device is not a._device:
                from ..backend import transfer

                d = transfer(d, i._device, a._device)
            advanced = True
            out.append(d)
        elif isinstance(i, (list, np.ndarray)):
            advanced = True
            arr = np.asarray(i)
            if arr.dtype.kind not in "iub":
                if arr.size == 0:
                    arr = arr.astype(np.int64)
                else:
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            xp = get_xp(a._data)
            out.append(arr if xp is np else xp.asarray(arr))
        elif isinstance(i, bool):
            advanced = True
            out.append(i)
        elif isinstance(i, (int, np.integer)):
            out.append(int(i))
        elif isinstance(i, slice):
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero" if i.step < 0 else "slice step cannot be zero")
            out.append(i)
        elif i is None or i is Ellipsis:
            out.append(i)
        elif isinstance(i, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(i).__name__}'")
        elif isinstance(i, float):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                "indices (got float)"
            )
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                f"indices (got {type(i).__name__})"
            )
    return tuple(out), advanced


def _consumed(i):
    """How many of the tensor's dims an index item uses."""
    if i is None or i is Ellipsis or i is True or i is False:
        return 0
    if hasattr(i, "dtype") and i.dtype.kind == "b":
        return i.ndim
    return 1


def _walk(shape, idx):
    """(item, dim it applies to) for each index item, with the ellipsis expanded."""
    n_specified = sum(_consumed(i) for i in idx)
    dim = 0
    for i in idx:
        if i is Ellipsis:
            dim += max(len(shape) - n_specified, 0)
            continue
        yield i, dim
        dim += _consumed(i)


def _check_bounds(shape, idx, single=False):
    """single: the index was one item, not a tuple (PyTorch words 0-d errors differently then)."""
    nd = len(shape)
    dim = 0
    for i in idx:  # the common case, ints and slices only, in one cheap pass
        c = i.__class__
        if c is int:
            if dim >= nd:
                break
            size = shape[dim]
            if i < -size or i >= size:
                break
        elif c is not slice or dim >= nd:
            break
        dim += 1
    else:
        return
    _check_bounds_slow(shape, idx, single)


def _check_bounds_slow(shape, idx, single):
    if sum(1 for i in idx if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    for i, dim in _walk(shape, idx):
        if i is None:
            continue
        if dim >= len(shape):
            if single and not shape and isinstance(i, int):
                raise IndexError(
                    "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
                    "to convert a 0-dim tensor to a number"
                )
            if single and not shape and isinstance(i, slice):
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        if isinstance(i, int) and not isinstance(i, bool):
            size = shape[dim]
            if i < -size or i >= size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")


def _device_bounds(shape, idx):
    """Integer index arrays on a CUDA device: CuPy wraps them silently, so each gets a queued device-side
    check (backend.device_assert) instead of NumPy's IndexError; no host sync."""
    from ..backend.device_assert import index_in_range

    for i, dim in _walk(shape, idx):
        if i is None or i.__class__ in (int, slice, bool) or i.dtype.kind not in "iu" or dim >= len(shape):
            continue
        index_in_range(i, shape[dim], f"index out of bounds for dimension {dim} with size {shape[dim]}")


def _host_index(idx):
    """idx with device arrays copied to the host (error paths only)."""
    return tuple(i if i is None or i.__class__ in (int, slice, bool) or i is Ellipsis or isinstance(i, np.ndarray)
                 else i.get() for i in idx)


def _advanced_error(shape, idx, exc):
    """PyTorch's wording for an advanced index NumPy refused (an index array is named by its position)."""
    position = -1
    for i, dim in _walk(shape, idx):
        if i is None or isinstance(i, (int, slice)) or i is True or i is False:
            continue
        position += 1
        if i.dtype.kind == "b":
            want = tuple(shape[dim:dim + i.ndim])
            if tuple(i.shape) != want:
                for k, (m, s) in enumerate(zip(i.shape, want)):
                    if m != s:
                        raise IndexError(
                            f"The shape of the mask [{_dims_str(i.shape)}] at index {k} does not match the shape "
                            f"of the indexed tensor [{_dims_str(shape)}] at index {dim + k}"
                        ) from None
        elif i.size and dim < len(shape):
            bad = (i < -shape[dim]) | (i >= shape[dim])
            if bool(bad.any()):
                v = int(i[bad].reshape(-1)[0])
                raise IndexError(f"index {v} is out of bounds for dimension {position} with size {shape[dim]}") from None
    raise IndexError(str(exc).replace("axis", "dimension")) from None


def _is_noop_slice(s, size):
    return (s.start is None or s.start == 0) and (s.step is None or s.step == 1) and (s.stop is None or s.stop >= size)


def _basic_name(orig, shape, idx):
    """The grad_fn PyTorch reports for a basic index: its last non-trivial step."""
    if not isinstance(orig, tuple):
        i = idx[0]
        if i is Ellipsis:
            return "AliasBackward0"
        if i is None:
            return "UnsqueezeBackward0"
        return "SelectBackward0" if isinstance(i, int) else "SliceBackward0"
    name = "AliasBackward0"
    for i, dim in _walk(shape, idx):
        if i is None:
            name = "UnsqueezeBackward0"
        elif isinstance(i, int):
            name = "SelectBackward0"
        elif not _is_noop_slice(i, shape[dim]):
            name = "SliceBackward0"
    return name


def getitem(a, idx):
    ad = a._data
    nidx, advanced = _convert_index(a, idx)
    if not advanced:
        _check_bounds(ad.shape, nidx, idx.__class__ is not tuple)
        arr = ad[nidx]
        if not isinstance(arr, get_xp(ad).ndarray):
            # An all-integer index gives a scalar; index with a trailing ellipsis for a 0-d view.
            arr = ad[nidx + (Ellipsis,)]
        if not (a._rg and _grad_state.enabled):
            return _view_result(a, arr)
        name = _basic_name(idx, ad.shape, nidx)
        if name == "SelectBackward0":
            t = _view_result(a, arr, SelectBackward0, shape=ad.shape, index=nidx)
        elif name == "SliceBackward0":
            t = _view_result(a, arr, SliceBackward0, shape=ad.shape, index=nidx)
        else:
            t = _view_result(a, arr, _NamedSlice, shape=ad.shape, index=nidx, _name=name)
        return t
    try:
        arr = ad[nidx]
    except IndexError as exc:
        _advanced_error(ad.shape, nidx, exc)
    if type(ad) is not np.ndarray:
        _device_bounds(ad.shape, nidx)
    if a._rg and _grad_state.enabled:
        node = IndexBackward0((edge(a),))
        node.shape, node.index = ad.shape, nidx
        return wrap_grad(arr, a._device, node)
    return wrap(arr, a._device)


class CopySlices(Node):
    """x[idx] = v on a tensor in the graph: x's old values get no gradient where v was written."""

    __slots__ = ("index", "vshape", "oshape", "advanced")

    def backward(self, g):
        gx = gv = None
        if self.next[1] is not None:
            gv = C.unbroadcast(g[self.index], self.vshape).reshape(self.oshape)
        if self.next[0] is not None:
            gx = g.copy()
            gx[self.index] = 0
        return (gx, gv)

    def backward_graph(self, g):
        gx = gv = None
        if self.next[1] is not None:
            gv = C.sum_to(_gather_t(g, self.index, self.advanced), self.vshape).reshape(self.oshape)
        if self.next[0] is not None:
            keep = get_xp(g._data).ones(g._data.shape, dtype=g._data.dtype)
            keep[self.index] = 0
            gx = g * C.const(keep, g._device)
        return (gx, gv)

    def name(self):
        return "IndexPutBackward0" if self.advanced else "CopySlices"


def setitem(a, idx, value):
    """In-place assignment; the tensor is untouched if anything about the value is wrong."""
    from .inplace import bump, check_inplace

    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {a.type()}")
    nidx, advanced = _convert_index(a, idx, write=True)
    ad = a._data
    if not advanced:  # a bad index is reported before the in-place refusal, as in PyTorch
        _check_bounds(ad.shape, nidx, idx.__class__ is not tuple)
    check_inplace(a, view=not advanced, key=None if advanced else idx if idx.__class__ is tuple else (idx,))
    v_t = isinstance(value, C.Tensor)
    if v_t:
        v = value._data
        if value._device is not a._device:
            if v.ndim:
                C.device_mismatch(a, value)
            from ..backend import transfer

            v = transfer(v, value._device, a._device)
        if not advanced and v.ndim and get_xp(v).may_share_memory(ad, v):
            _check_overlap(ad[nidx], v)
    elif isinstance(value, (bool, int, float)):
        v = C.fit_scalar(value, ad.dtype, "__setitem__")
    elif type(ad) is not np.ndarray and isinstance(value, (list, tuple, np.ndarray)):
        # A host sequence is copied to the device first (CuPy refuses to fill from one).
        v = get_xp(ad).asarray(np.asarray(value, dtype=ad.dtype))
    else:
        v = value
    oshape = np.shape(v)
    if len(oshape) and oshape[0] == 1 and hasattr(v, "reshape"):
        # PyTorch drops a value's leading size-1 dims before broadcasting it (x[i] = t of shape (1, 1)).
        lead = next((k for k, s in enumerate(oshape) if s != 1), len(oshape))
        v = v.reshape(oshape[lead:])
    graph = ((v_t and value._rg) or a._rg) and _grad_state.enabled
    if graph:
        from .inplace import check_rebase

        check_rebase(a)
    if advanced and type(ad) is not np.ndarray:
        _device_bounds(ad.shape, nidx)
    try:
        ad[nidx] = v
    except ValueError:
        _setitem_shape_error(ad, _host_index(nidx), v.shape if hasattr(v, "shape") else np.shape(v), advanced)
        raise
    except IndexError as exc:
        _advanced_error(ad.shape, nidx, exc)
    if graph:
        from .inplace import rebase

        node = CopySlices((edge(a), edge(value) if v_t else None))
        node.index, node.vshape, node.oshape, node.advanced = nidx, np.shape(v), oshape, advanced
        rebase(a, node)
    bump(a)


def _address(a):
    """The address of a's first element (CuPy arrays have no __array_interface__)."""
    return a.__array_interface__["data"][0] if isinstance(a, np.ndarray) else a.data.ptr


def _check_overlap(target, v):
    """A value that partly overlaps its destination (x[1:] = x[:-1]) is refused as in PyTorch."""
    if target.shape == v.shape and target.strides == v.strides and _address(target) == _address(v):
        return  # the very same elements: a no-op copy
    if get_xp(v).shares_memory(target, v):
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
            "memory location. Please clone() the tensor before performing the operation."
        )


def _setitem_shape_error(ad, nidx, vshape, advanced):
    target = np.empty(ad.shape, dtype=np.bool_)[nidx].shape if ad.size else ()
    if advanced:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape [{_dims_str(vshape)}] cannot be broadcast to indexing "
            f"result of shape [{_dims_str(target)}]"
        ) from None
    # PyTorch copies through expand, ignoring the value's leading size-1 dims.
    vshape = tuple(vshape)
    while len(vshape) > len(target) and vshape[0] == 1:
        vshape = vshape[1:]
    _expand_error(vshape, target, _legacy(ad))


# ---- joining -------------------------------------------------------------------------------------

class CatBackward0(Node):
    __slots__ = ("axis", "sizes", "skipped")

    def backward(self, g):
        out = []
        start = 0
        xp = get_xp(g)
        for s, skip in zip(self.sizes, self.skipped):
            if skip:  # a legacy empty 1-D input: its gradient is empty too
                out.append(xp.zeros((0,), dtype=g.dtype))
                continue
            sl = [slice(None)] * g.ndim
            sl[self.axis] = slice(start, start + s)
            out.append(g[tuple(sl)])
            start += s
        return tuple(out)

    def backward_graph(self, g):
        out = []
        start = 0
        for s, skip in zip(self.sizes, self.skipped):
            if skip:
                out.append(C.const(get_xp(g._data).zeros((0,), dtype=g._data.dtype), g._device))
                continue
            out.append(g[(slice(None),) * self.axis + (slice(start, start + s),)])
            start += s
        return tuple(out)


class StackBackward0(Node):
    __slots__ = ("axis", "n")

    def backward(self, g):
        xp = get_xp(g)
        return tuple(xp.take(g, i, axis=self.axis) for i in range(self.n))

    def backward_graph(self, g):
        return tuple(g[(slice(None),) * self.axis + (i,)] for i in range(self.n))


def _check_seq(tensors, name):
    if isinstance(tensors, C.Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        if name == "cat":
            raise ValueError("xptorch.cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, C.Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
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
    # 1-D empty tensors are skipped whatever their shape, as in PyTorch.
    skipped = [x.ndim == 1 and x.shape[0] == 0 for x in arrs]
    keep = [i for i, s in enumerate(skipped) if not s]
    ref = arrs[keep[0]] if keep else arrs[0]
    if ref.ndim == 0:
        raise RuntimeError(f"zero-dimensional tensor (at position {keep[0] if keep else 0}) cannot be concatenated")
    axis = norm_dim(dim, ref.ndim)
    for i in keep:
        x = arrs[i]
        if x.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if x.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {x.ndim}")
        for d in range(ref.ndim):
            if d != axis and x.shape[d] != ref.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {ref.shape[d]} "
                    f"but got size {x.shape[d]} for tensor number {i} in the list."
                )
    dt = _common_dtype(tensors)
    xp = get_xp(ref)
    parts = [arrs[i].astype(dt, copy=False) for i in keep] or [ref.astype(dt, copy=False)]
    out = _cb.concatenate(xp, parts, axis=axis)
    if _grad_state.enabled and any(t._rg for t in tensors):
        node = CatBackward0(tuple(edge(t) for t in tensors))
        node.axis, node.sizes, node.skipped = axis, [x.shape[axis] if x.ndim > axis else 0 for x in arrs], skipped
        if not keep:
            node.skipped = [False] + skipped[1:]
        return wrap_grad(out, tensors[0]._device, node)
    return wrap(out, tensors[0]._device)


def stack(tensors, dim=0):
    tensors = _check_seq(tensors, "stack")
    arrs = [t._data for t in tensors]
    for i, x in enumerate(arrs):
        if x.shape != arrs[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got [{_dims_str(arrs[0].shape)}] at "
                f"entry 0 and [{_dims_str(x.shape)}] at entry {i}"
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

    backward_graph = backward


class ToCopyBackward0(Node):
    __slots__ = ("dtype", "src", "dst")

    def backward(self, g):
        from ..backend import transfer

        g = transfer(g, self.dst, self.src)
        return (g.astype(self.dtype, copy=False),)

    def backward_graph(self, g):
        from .._dtype import from_numpy_dtype

        return (g.to(device=self.src, dtype=from_numpy_dtype(self.dtype)),)


def clone(a, fmt=None):
    """A copy in C order, or laid out in memory format `fmt` (channels last)."""
    if fmt is None:
        out = a._data.copy()
    else:
        from .._layout import laid_out

        out = laid_out(a._data, fmt)
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
            arr = C.astype(arr, np_dtype)
    elif copy and arr is ad:
        arr = arr.copy()
    if a._rg and _grad_state.enabled and np.dtype(np_dtype).kind == "f":
        node = ToCopyBackward0((edge(a),))
        node.dtype, node.src, node.dst = ad.dtype, a._device, dev
        return wrap_grad(arr, dev, node)
    return wrap(arr, dev)


# ---- repeat ----------------------------------------------------------------------------------

class RepeatBackward0(Node):
    __slots__ = ("shape", "reps")

    def backward(self, g):
        lead = len(self.reps) - len(self.shape)
        full = (1,) * lead + tuple(self.shape)
        split = []
        for r, s in zip(self.reps, full):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, 2 * len(full), 2)))
        return (g.reshape(self.shape),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        lead = len(self.reps) - len(self.shape)
        full = (1,) * lead + tuple(self.shape)
        return (linear_map(lambda a: self.backward(a)[0], lambda a: get_xp(a).tile(a.reshape(full), self.reps), g),)


def repeat(a, reps):
    ad = a._data
    if len(reps) < ad.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(reps)}: {list(reps)}")
    out = get_xp(ad).tile(ad, reps)
    if out.ndim < len(reps):  # np.tile of a 0-d array with an empty reps tuple
        out = out.reshape(tuple(reps))
    if a._rg and _grad_state.enabled:
        node = RepeatBackward0((edge(a),))
        node.shape, node.reps = ad.shape, tuple(reps)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)
