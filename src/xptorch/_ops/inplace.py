"""In-place ops: checked first, written second, so a failing op leaves the tensor unchanged."""

import re
import warnings

import numpy as np

from .. import _dtype
from ..autograd.grad_mode import state as _grad_state
from ..autograd.saved_hooks import ACTIVE as _SAVED_HOOKS
from ..autograd.saved_hooks import pack_node as _pack_node
from ..autograd.node import Node
from . import _common as C

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_GRAPH_MSG = (
    "an in-place edit through a view of a tensor in the autograd graph needs that tensor to be "
    "contiguous with the view's dtype; call .contiguous() on it first, or edit under xptorch.no_grad()"
)


def check_inplace(a, view=False, key=None):
    """PyTorch's refusal to edit a leaf that requires grad while grad mode is on.

    view: the edit goes through a basic index of a (x[0] = v), which PyTorch reports as a view; key: that index.
    """
    if a._rg and _grad_state.enabled:
        if a._cm is not None:
            refuse_view_edit(a, key)
        if a.grad_fn is None:
            raise RuntimeError(_VIEW_MSG if view else _LEAF_MSG)
        base = a._base
        if base is not None and base._rg and base.grad_fn is None:
            raise RuntimeError(_VIEW_MSG)


def _key_op(key, shape):
    """The view op that basic indexing with key ends with, as torch names it: 'Select', 'Slice', 'Unsqueeze',
    or None when the index takes no view op (x[...], x[:], full-range slices)."""
    parts = list(key) if isinstance(key, tuple) else [key]
    n_dims = sum(1 for k in parts if k is not None and k is not Ellipsis and not isinstance(k, bool))
    name, dim = None, 0
    for k in parts:
        if k is Ellipsis:
            dim += len(shape) - n_dims
        elif k is None or isinstance(k, bool):
            name = "Unsqueeze"
        elif isinstance(k, slice):
            n = shape[dim] if dim < len(shape) else 0
            start, stop, step = k.indices(n)
            if not (start == 0 and stop == n and step == 1):
                name = "Slice"
            dim += 1
        else:
            name = "Select"
            dim += 1
    return name


def _view_prefix(a, key, i=0):
    """'Output i of Name' for the view op that grad mode recorded (or that indexing with key takes), else None."""
    if key is not None:
        name = _key_op(key, a._data.shape)
        if name is not None:
            return f"Output 0 of {name}"
    if a.grad_fn is None:
        return None
    return f"Output {i} of {re.sub(r'Backward[0-9]*$', '', a.grad_fn.name())}"


_CM_HINT = (
    " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both "
    "the view and the inplace either both inside the {0} block (if you don't want the inplace to be tracked) or both "
    "outside (if you want the inplace to be tracked)."
)


def view_edit_message(a, key=None, indirect=False):
    """torch's refusal of an in-place edit through a view made under no_grad / inference_mode, returned by a
    custom Function, or returned with others by one call (a._cm = (kind, output index)); indirect: the view is
    being used in the graph after its memory was edited."""
    kind, i = a._cm
    edited = "its base or another view of its base has been" if indirect else "is being"
    if kind == "multi":
        i, name = a._multi_out
        prefix = _view_prefix(a, key, i) if name is None or (key is not None and _key_op(key, a._data.shape)) \
            else f"Output {i} of {name}"
        return (f"{prefix} is a view and {edited} modified inplace. This view is the output of a function that "
                "returns multiple views. Such functions do not allow the output views to be modified inplace. You "
                "should replace the inplace operation by an out-of-place one.")
    prefix = _view_prefix(a, key, i)
    if kind == "custom" and prefix is not None:
        return (f"{prefix} is a view and {edited} modified inplace. This view was created inside a custom Function (or "
                "because an input was returned as-is) and the autograd logic to handle view+inplace would override "
                "the custom backward associated with the custom Function, leading to incorrect gradients. This "
                "behavior is forbidden. You can fix this by cloning the output of the custom Function.")
    lead = "A view was created in" if prefix is None else f"{prefix} is a view of a view which was created in"
    if kind == "inference":
        return f"{lead} inference mode and {edited} modified inplace in normal mode." + _CM_HINT.format("inference_mode")
    return f"{lead} no_grad mode and {edited} modified inplace with grad mode enabled." + _CM_HINT.format("no_grad")


def refuse_view_edit(a, key=None):
    raise RuntimeError(view_edit_message(a, key))


def bump(a):
    vc = a._vc
    if vc is None:
        a._vc = [1]
    else:
        vc[0] += 1


def _cast_name(np_dtype):
    return _dtype._BY_NP[np.dtype(np_dtype)]._legacy[: -len("Tensor")]


# Some kernels (clamp_ with scalar bounds) name the output type as C++ does.
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def check_cast(a, result_np_dtype, cpp_names=False):
    """An in-place result must be castable to the tensor's own dtype (no float into int)."""
    own = a._data.dtype
    if own == result_np_dtype:
        return
    src = _dtype._BY_NP[np.dtype(result_np_dtype)]
    dst = _dtype._BY_NP[own]
    if _dtype._CATEGORY[src] > _dtype._CATEGORY[dst]:
        out = _CPP_NAMES[own.name] if cpp_names else _cast_name(own)
        raise RuntimeError(f"result type {_cast_name(src.np)} can't be cast to the desired output type {out}")


def check_broadcast(a, other):
    """`other` may broadcast to a's shape but must not grow it."""
    if other._device is not a._device and not (other._data.ndim == 0 and other._device.type == "cpu"):
        C.device_mismatch(a, other)
    sa, so = a._data.shape, other._data.shape
    if sa == so:
        return
    try:
        shape = np.broadcast_shapes(sa, so)
    except ValueError:
        C.broadcast_error(sa, so)
    if shape != sa:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, sa))}] doesn't match the broadcast shape "
            f"[{', '.join(map(str, shape))}]"
        )


class ViewCopySlices(Node):
    """An in-place edit of a view of b, seen from b: the view's region takes the gradient of the new
    values (edge 1), the rest goes to b's earlier history (edge 0)."""

    # region: (element offset, shape, byte strides) of the view inside b's memory; perm: b's dims in
    # memory order (None when b is C-contiguous; a transposed b, after t_() say, is not)
    __slots__ = ("region", "perm")

    def backward(self, g):
        xp = C.get_xp(g)
        perm = self.perm
        g = xp.ascontiguousarray(g if perm is None else g.transpose(perm))
        g_new = _region(xp, g, self.region).copy()
        g_old = g.copy()
        _region(xp, g_old, self.region)[...] = 0
        return (g_old if perm is None else g_old.transpose(_inverse(perm)), g_new)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        region, shape, perm = self.region, g._data.shape, self.perm
        inv = None if perm is None else _inverse(perm)
        mem_shape = shape if perm is None else tuple(shape[p] for p in perm)

        def in_memory_order(a):
            return C.get_xp(a).ascontiguousarray(a if perm is None else a.transpose(perm))

        def read(a):
            return _region(C.get_xp(a), in_memory_order(a), region).copy()

        def place(b):  # read's adjoint
            xp = C.get_xp(b)
            out = xp.zeros(mem_shape, dtype=b.dtype)
            _region(xp, out, region)[...] = b
            return out if inv is None else out.transpose(inv)

        def clear(a):  # its own adjoint
            xp = C.get_xp(a)
            a = in_memory_order(a).copy()
            _region(xp, a, region)[...] = 0
            return a if inv is None else a.transpose(inv)

        return (linear_map(clear, clear, g) if self.next[0] is not None else None,
                linear_map(read, place, g) if self.next[1] is not None else None)

    def name(self):
        return "CopySlices"


def _region(xp, arr, region):
    off, shape, strides = region
    return xp.lib.stride_tricks.as_strided(arr.reshape(-1)[off:], shape=shape, strides=strides)


def _ptr(arr):
    return arr.ctypes.data if isinstance(arr, np.ndarray) else arr.data.ptr


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


_NOT_DENSE = False


def memory_order(bd):
    """None when bd is C-contiguous; else the permutation of its dims that makes it so (a dense block
    seen transposed), or _NOT_DENSE."""
    if bd.flags.c_contiguous:
        return None
    perm = tuple(sorted(range(bd.ndim), key=lambda i: -bd.strides[i]))
    if min(bd.strides, default=0) > 0 and bd.transpose(perm).flags.c_contiguous:
        return perm
    return _NOT_DENSE


def check_rebase(a):
    """Refuse, before anything is written, a view edit whose history cannot be rewritten."""
    base = a._base
    if base is None:
        return
    if a._cm is not None:  # a view made under no_grad, edited with another tensor that requires grad
        refuse_view_edit(a)
    bd, vd = base._data, a._data
    if memory_order(bd) is _NOT_DENSE or bd.dtype != vd.dtype or (_ptr(vd) - _ptr(bd)) % bd.itemsize:
        raise RuntimeError(_VIEW_OF_GRAPH_MSG)
    if vd.size > 1 and any(st == 0 and n > 1 for st, n in zip(vd.strides, vd.shape)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location. Please clone() the tensor before performing the operation."
        )


def rebase(a, node):
    """Make node the producer of a's new values; for a view, also rewrite its base's history.

    Other live views of the same base then read their values from the base's new history.
    """
    base = a._base
    if base is not None:
        check_rebase(a)
        bd, vd = base._data, a._data
        scatter = ViewCopySlices((C.edge(base), node))
        scatter.region = ((_ptr(vd) - _ptr(bd)) // bd.itemsize, vd.shape, vd.strides)
        scatter.perm = memory_order(bd)
        base.grad_fn = scatter
        base._rg = True
    a.grad_fn = node
    a._rg = True
    if _SAVED_HOOKS:
        _pack_node(node, a, a._device)
    root = a if base is None else base
    if root._views:
        _refresh_views(root, a)


class AsStridedBackward0(Node):
    """A view whose base was edited in place: its gradient lands in its region of the base."""

    # base shape in memory order; flat memory positions of the view's elements; the permutation back
    # to the base's dims (None when the base is C-contiguous)
    __slots__ = ("shape", "index", "inv")

    def __init__(self, next_edges):
        super().__init__(next_edges)
        self.inv = None

    def backward(self, g):
        xp = C.get_xp(g)
        out = xp.zeros(int(np.prod(self.shape)), dtype=g.dtype)
        xp.add.at(out, self.index, g)  # on both backends (cupyx.scatter_add is deprecated since CuPy 12)
        out = out.reshape(self.shape)
        return (out if self.inv is None else out.transpose(self.inv),)

    def backward_graph(self, g):
        from ..autograd.higher_order import put_at

        out = put_at(g, self.index, self.shape)
        return (out if self.inv is None else out.permute(*self.inv),)


def _refresh_views(root, edited):
    """Point every other live view of root at root's current history (PyTorch regenerates them too)."""
    bd = root._data
    perm = memory_order(bd)
    fresh = []
    for r in root._views:
        v = r()
        if v is None:
            continue
        fresh.append(r)
        if v is edited or v._cm is not None:  # (such a view is refused in the graph from now on: see C.edge)
            continue
        vd = v._data
        if perm is _NOT_DENSE or vd.dtype != bd.dtype:
            continue  # no flat region to scatter into; the view keeps its old history
        xp = C.get_xp(bd)
        off = (_ptr(vd) - _ptr(bd)) // bd.itemsize
        steps = tuple(st // bd.itemsize for st in vd.strides)
        pos = xp.lib.stride_tricks.as_strided(
            xp.arange(bd.size, dtype=np.int64)[off:], shape=vd.shape, strides=tuple(s * 8 for s in steps)
        )
        node = AsStridedBackward0((C.edge(root),))
        node.shape, node.index = bd.shape, pos.copy()
        if perm is not None:
            node.shape, node.inv = tuple(bd.shape[p] for p in perm), _inverse(perm)
        v.grad_fn = node
        v._rg = True
    root._views = fresh


def _graph_input(a):
    """A stand-in for a's current value: same autograd identity, values copied before a is overwritten."""
    src = C.wrap(a._data.copy(), a._device)
    src._rg, src.grad_fn = a._rg, a.grad_fn
    return src


_OVERLAP_MSG = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def _refuse_device_expanded(ad):
    # NumPy refuses writes into its read-only broadcast views; CuPy writes, so a device array is checked first.
    if type(ad) is not np.ndarray and _expanded(ad):
        raise RuntimeError(_OVERLAP_MSG)


def write(a, values):
    """a's memory takes values; an expanded (stride-0) tensor is refused as PyTorch does."""
    _refuse_device_expanded(a._data)
    try:
        a._data[...] = values
    except ValueError:
        if _expanded(a._data):
            raise RuntimeError(_OVERLAP_MSG) from None
        raise


def check_mask(mask, op):
    """Masks are bool tensors: an integer mask would silently act as an index list."""
    if not isinstance(mask, C.Tensor):
        raise TypeError(f"{op}(): argument 'mask' (position 1) must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {_CPP_NAMES.get(mask._data.dtype.name, mask._data.dtype.name)}")


_MASKED_EXPANDED_MSG = (
    "Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing this "
    "operation. This also applies to advanced indexing e.g. tensor[mask] = scalar"
)


def write_masked(a, mask, v):
    """a[mask] = v; into an expanded tensor PyTorch still writes (every alias of a location), with a warning."""
    ad = a._data
    if _expanded(ad):
        warnings.warn(_MASKED_EXPANDED_MSG, UserWarning, stacklevel=3)
        if type(ad) is np.ndarray:
            ad = _writable_alias(ad)
    ad[mask] = v


def _store(a, res, cpp_names=False):
    """Write res's values into a and, when res is in the graph, make a the output of res's node."""
    check_cast(a, res._data.dtype, cpp_names)
    node = res.grad_fn
    if node is not None and a._base is not None:
        check_rebase(a)
    write(a, res._data)
    if node is not None:
        rebase(a, node)
    bump(a)
    if node is not None and node._checks:
        # A saved output now lives in a: later edits of a must be caught.
        vc = C.vcounter(a)
        node._checks = tuple((vc, vc[0], who) if isinstance(who, tuple) else (v, n, who) for v, n, who in node._checks)
    return a


def apply(a, fn, other=None, cpp_names=False):
    """Run out-of-place `fn(a, other)` then store its values into a, keeping a's dtype and memory.

    Autograd: when the result needs a graph, a takes the new node as its grad_fn (history rebase),
    and the node sees a copy of a's old values, since a itself is about to be overwritten.
    """
    check_inplace(a)
    other_t = isinstance(other, C.Tensor)
    if other_t:
        check_broadcast(a, other)
    if _grad_state.enabled and (a._rg or (other_t and other._rg)):
        src = _graph_input(a)
        res = fn(src, other) if other is not None else fn(src)
    else:
        res = fn(a, other) if other is not None else fn(a)
    return _store(a, res, cpp_names)


_UFUNCS = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide"}


def _binary_checks(a, other, op, alpha):
    """PyTorch's order: bool subtraction, then shapes, then the cast into a, then alpha.

    Returns other's array (or scalar) on a's device and the result dtype.
    """
    ad = a._data
    own = _dtype._BY_NP[ad.dtype]
    if isinstance(other, C.Tensor):
        bd = other._data
        other_bool = bd.dtype.kind == "b"
    else:
        bd = C.scalar_of(other)
        if not isinstance(bd, (int, float)):
            raise TypeError(f"unsupported operand type: '{type(other).__name__}'")
        other_bool = isinstance(bd, bool)
    if op == "sub" and (own is _dtype.bool or other_bool):
        from .pointwise import _bool_sub_error

        _bool_sub_error(a, other)
    if isinstance(other, C.Tensor):
        check_broadcast(a, other)
        if other._device is not a._device:
            from ..backend import transfer

            bd = transfer(bd, other._device, a._device)
        rt = own if bd.dtype is ad.dtype else _dtype.result_type(own, _dtype._BY_NP[bd.dtype], ad.ndim, bd.ndim)
    else:
        rt = _dtype.scalar_result_type(own, bd)
    if op == "div" and not rt.is_floating_point:
        rt = _dtype.get_default_dtype()
    if rt is not own:
        check_cast(a, rt.np)
    if alpha != 1:
        from .pointwise import _check_alpha

        _check_alpha(ad, alpha)
    return bd, rt


def binary(a, other, op, alpha=1):
    """add_/sub_/mul_/div_: outside the graph, one ufunc writes straight into a's memory."""
    check_inplace(a)
    bd, _ = _binary_checks(a, other, op, alpha)
    if (a._rg or (isinstance(other, C.Tensor) and other._rg)) and _grad_state.enabled:
        from . import pointwise as _pw

        if op == "add":
            return apply(a, lambda x, y: _pw.add(x, y, alpha), other)
        if op == "sub":
            return apply(a, lambda x, y: _pw.sub(x, y, alpha), other)
        return apply(a, _pw.mul if op == "mul" else _pw.div, other)
    ad = a._data
    if alpha != 1:
        bd = bd * alpha
    if _expanded(ad):
        raise RuntimeError(_OVERLAP_MSG)
    ufunc = getattr(C.get_xp(ad), _UFUNCS[op])
    if op == "div":
        C.quiet(lambda: ufunc(ad, bd, out=ad, casting="unsafe"))
    else:
        ufunc(ad, bd, out=ad, casting="unsafe")
    bump(a)
    return a


# ---- fill_, zero_, copy_ -----------------------------------------------------------------------

class FillBackward(Node):
    """fill_/zero_ on a tensor in the graph: the old values get a zero gradient."""

    __slots__ = ("_name",)

    def backward(self, g):
        return (C.get_xp(g).zeros_like(g),)

    def backward_graph(self, g):
        return (C.const(C.get_xp(g._data).zeros_like(g._data), g._device),)

    def name(self):
        return self._name


class CopyBackwards(Node):
    """dst.copy_(src): src gets the gradient (reduced to its shape and dtype), dst's old values none."""

    __slots__ = ("sshape", "sdtype", "sdev", "ddev")

    def backward(self, g):
        gd = gs = None
        if self.next[0] is not None:
            gd = C.get_xp(g).zeros_like(g)
        if self.next[1] is not None:
            gs = C.unbroadcast(g, self.sshape).astype(self.sdtype, copy=False)
            if self.sdev is not self.ddev:
                from ..backend import transfer

                gs = transfer(gs, self.ddev, self.sdev)
        return (gd, gs)

    def backward_graph(self, g):
        gd = gs = None
        if self.next[0] is not None:
            gd = C.const(C.get_xp(g._data).zeros_like(g._data), g._device)
        if self.next[1] is not None:
            gs = C.sum_to(g, self.sshape)
            if gs._data.dtype != self.sdtype:
                gs = gs.to(_dtype._BY_NP[self.sdtype])
            if self.sdev is not self.ddev:
                gs = gs.to(self.sdev)
        return (gd, gs)


def fill(a, value, name="FillBackward2"):
    check_inplace(a)
    if isinstance(value, C.Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
        # A value on a's CUDA device is copied there, not read back to the host.
        value = value._data if value._device is a._device and a._device.type != "cpu" else value.item()
    ad = a._data
    xp = C.get_xp(ad)
    v = value if type(value) is type(ad) else C.fit_scalar(value, ad.dtype)
    if a._rg and _grad_state.enabled:
        if a._base is not None:
            check_rebase(a)
        node = FillBackward((C.edge(a),))
        node._name = name
        rebase(a, node)
    # An expanded tensor: fill the memory it repeats (CuPy's flags have no 'writeable'; its views all are).
    if type(ad) is np.ndarray and not ad.flags.writeable:
        ad = _writable_alias(ad)
    if type(v) is type(ad):
        ad[...] = v
    else:
        ad.fill(v)
    bump(a)
    return a


def _expanded(ad):
    """Whether ad repeats memory (an expanded tensor): NumPy marks such views read-only; CuPy's flags have no
    'writeable', so there a stride of 0 over more than one element tells (an empty array, whose strides CuPy
    may leave 0, repeats nothing)."""
    if type(ad) is np.ndarray:
        return not ad.flags.writeable
    return ad.size > 1 and any(s == 0 and n > 1 for s, n in zip(ad.strides, ad.shape))


def _writable_alias(arr):
    """A writable array over the same elements as a read-only broadcast view of a writable array."""
    root = arr
    while not root.flags.writeable and isinstance(root.base, np.ndarray):
        root = root.base
    if not (root.flags.writeable and root.flags.c_contiguous):
        raise RuntimeError(_OVERLAP_MSG)
    off = (_ptr(arr) - _ptr(root)) // root.itemsize
    return np.lib.stride_tricks.as_strided(root.reshape(-1)[off:], arr.shape, arr.strides)


def copy(a, src):
    check_inplace(a)
    if not isinstance(src, C.Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    sd = src._data
    sa = a._data.shape
    if sd.shape != sa:
        try:
            shape = np.broadcast_shapes(sd.shape, sa)
        except ValueError:
            C.broadcast_error(sa, sd.shape)
        if shape != sa:
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, sa))}] doesn't match the broadcast shape "
                f"[{', '.join(map(str, shape))}]"
            )
    if src._device is not a._device:
        from ..backend import transfer

        sd = transfer(sd, src._device, a._device)
    if (a._rg or src._rg) and _grad_state.enabled:
        node = CopyBackwards((C.edge(a), C.edge(src)))
        node.sshape, node.sdtype, node.sdev, node.ddev = src._data.shape, src._data.dtype, src._device, a._device
        rebase(a, node)
    a._data[...] = sd
    bump(a)
    return a
