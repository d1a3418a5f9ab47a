"""Helpers every op uses: wrapping arrays, graph edges, broadcasting and operand checks."""
import functools
import inspect
import sys

import numpy as np

from .. import _dtype
from ..autograd.grad_mode import state as _grad_state
from ..autograd.saved_hooks import ACTIVE as _SAVED_HOOKS
from ..autograd.saved_hooks import pack_node as _pack_node
from ..backend import get_array_module as _array_module
from ..backend import is_device_array

Tensor = None  # set by _tensor at import time, to avoid an import cycle
_new = object.__new__
# NumPy ufuncs on 0-d arrays return scalars; a tensor must hold a writable array.
_NP_SCALARS = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.generic))
_asarray = np.asarray


def wrap(arr, dev):
    if arr.__class__ in _NP_SCALARS:
        arr = _asarray(arr)
    t = _new(Tensor)
    t._data = arr
    t._device = dev
    t._rg = False
    t.grad_fn = None
    return t


def wrap_grad(arr, dev, node):
    if arr.__class__ in _NP_SCALARS:
        arr = _asarray(arr)
    t = _new(Tensor)
    t._data = arr
    t._device = dev
    t._rg = True
    t.grad_fn = node
    if _SAVED_HOOKS:
        _pack_node(node, t, dev)
    return t


def edge(t):
    """The graph edge for an input: its producer node, the leaf itself, or None."""
    fn = t.grad_fn
    if t._cm is not None and t._rg:  # a view that may not take in-place edits in the graph (inplace.check_inplace)
        made_at = t._cm_v
        if made_at is not None:
            if t._vc[0] != made_at:  # its memory was edited since: torch refuses to use it in the graph
                from .inplace import view_edit_message

                raise RuntimeError(view_edit_message(t, indirect=True))
            return fn  # made under no_grad, it requires grad through its base but leads nowhere
    if fn is not None:
        return fn
    return t if t._rg else None


def needs_grad(t):
    return t._rg and _grad_state.enabled


def vcounter(t):
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


def save_check(node, *tensors_and_arrays):
    """Remember the versions of saved input tensors: pairs of (tensor, array saved from it)."""
    node._checks = tuple((vcounter(t), t._vc[0], t) for t, _ in tensors_and_arrays)


def save_output_check(node, out):
    """Version-check a node's own output; its name is kept instead of the tensor (no cycle)."""
    info = (out._data.dtype, out._data.shape, node.name(), out._device.type == "cuda")
    node._checks = ((vcounter(out), out._vc[0], info),)


def add_output_check(node, out):
    """Also version-check the node's own output (nodes that keep it as well as their inputs)."""
    info = (out._data.dtype, out._data.shape, node.name(), out._device.type == "cuda")
    node._checks = (node._checks or ()) + ((vcounter(out), out._vc[0], info),)
    return out


def unbroadcast(g, shape):
    """Reduce a broadcast gradient back to an input's shape."""
    if g.shape == shape:
        return g
    nd = g.ndim - len(shape)
    if nd < 0:  # the input had extra leading size-1 dims (x[0] = v with v of shape (1, n))
        g = g.reshape((1,) * -nd + g.shape)
        nd = 0
    if nd:
        g = g.sum(axis=tuple(range(nd)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def device_mismatch(a, b):
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{a._device} and {b._device}!"
    )


def broadcast_error(sa, sb):
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            n = max(len(sa), len(sb)) - i
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {n}"
            )
    exc = sys.exc_info()[1]
    if exc is not None:  # the shapes broadcast: the array library failed for another reason (CuPy's device check)
        raise exc
    raise RuntimeError(f"shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast together")


def operands(a, b):
    """Arrays for a binary op with PyTorch's type promotion; b may be a Python scalar."""
    ad = a._data
    if isinstance(b, Tensor):
        bd = b._data if b._device is a._device else _scalar_from_other_device(a, b)
        if ad.dtype is not bd.dtype:
            rt = _dtype.result_type(
                _dtype._BY_NP[ad.dtype], _dtype._BY_NP[bd.dtype], ad.ndim, bd.ndim
            ).np
            if ad.dtype != rt:
                ad = ad.astype(rt)
            if bd.dtype != rt:
                bd = bd.astype(rt)
        return ad, bd
    t = type(b)
    if t is float:
        if ad.dtype.kind != "f":
            ad = ad.astype(_dtype.get_default_dtype().np)
        return ad, b
    if t is int:
        if (b > 127 or b < -128) and ad.dtype.kind in "iu" and ad.dtype.itemsize < 8:
            info = np.iinfo(ad.dtype)
            if not info.min <= b <= info.max:  # PyTorch wraps the scalar into the tensor's integer type
                b = int(np.array(b, dtype=np.int64).astype(ad.dtype))
        return ad, b
    if t is bool:
        return ad, b
    if isinstance(b, np.generic):
        return operands(a, b.item())
    if isinstance(b, np.ndarray) or is_device_array(b):
        # Wrapped on the array's own device: a host array joins a CUDA op only as PyTorch allows (0-d).
        return operands(a, Tensor._from_array(b))
    raise TypeError(f"unsupported operand type: '{type(b).__name__}'")


def _scalar_from_other_device(a, b):
    """A 0-d CPU tensor may join any device's op (PyTorch treats it as a scalar); others may not."""
    if b._data.ndim == 0 and b._device.type == "cpu":
        from ..backend import transfer

        return transfer(b._data, b._device, a._device)
    device_mismatch(a, b)


def scalar_of(b):
    return b.item() if isinstance(b, np.generic) else b


from ..backend import quiet  # noqa: E402,F401  (re-exported for ops)


def get_xp(arr):
    """numpy or cupy, from an array instance."""
    return _array_module(arr)


# ---- helpers for second-order rules (backward_graph: gradients built from Tensor ops) ----------

def saved_in(node, i, arr, dev):
    """Input i of node as a Tensor carrying its graph: the leaf itself, or arr under its producer."""
    if arr is None or not hasattr(arr, "dtype") or isinstance(arr, _NP_SCALARS_TUPLE):
        return arr
    e = node.next[i]
    if e is None:
        return wrap(arr, dev)
    if e.__class__ is Tensor or isinstance(e, Tensor):
        if e._data is arr:
            return e
        return e.to(_dtype._BY_NP[arr.dtype]) if e._data.dtype != arr.dtype else e
    return wrap_grad(arr, dev, e)


def on_edge(arr, dev, e):
    """A Tensor holding arr whose gradient goes to edge e (a node, a leaf, or None: a constant)."""
    if e is None:
        return wrap(arr, dev)
    if isinstance(e, Tensor):
        from .shape import AliasBackward0

        return wrap_grad(arr, dev, AliasBackward0((e,)))
    return wrap_grad(arr, dev, e)


def saved_out(node, arr, dev):
    """The node's own output as a Tensor whose gradient flows back through node."""
    return wrap_grad(arr, dev, node)


def sum_to(t, shape):
    """Differentiable sum of t down to a shape it was broadcast from."""
    shape = tuple(shape)
    if tuple(t._data.shape) == shape:
        return t
    nd = t._data.ndim - len(shape)
    if nd < 0:  # the input had extra leading size-1 dims
        t = t.reshape((1,) * -nd + tuple(t._data.shape))
        nd = 0
    if nd:
        t = t.sum(dim=tuple(range(nd)))
    dims = tuple(i for i, s in enumerate(shape) if s == 1 and t._data.shape[i] != 1)
    if dims:
        t = t.sum(dim=dims, keepdim=True)
    return t


def const(arr, dev):
    """A constant (no-gradient) Tensor around an array."""
    return wrap(arr, dev)


_NP_SCALARS_TUPLE = tuple(_NP_SCALARS)


def np_alias(name, dim, keepdim, axis, keepdims):
    """NumPy's spellings axis= and keepdims= for dim= and keepdim=, refused when both are given."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{name}() got an unexpected keyword argument 'keepdims'")
        keepdim = keepdims
    return dim, keepdim


_CTYPE = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
          "float16": "c10::Half", "float32": "float", "float64": "double"}


def fit_scalar(value, np_dtype, op="fill_"):
    """A Python number to be stored into a tensor of np_dtype, refused where PyTorch finds it overflows.

    Negative numbers wrap into uint8 as in PyTorch; bool takes any number's truth value.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float)):
        raise TypeError(
            f"{op}() received an invalid combination of arguments - got ({type(value).__name__}), but expected one of:\n"
            " * (Tensor value)\n * (Number value)"
        )
    kind = np_dtype.kind
    if kind == "b":
        return bool(value)
    name = np_dtype.name
    if kind == "f":
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 1023:
            raise OverflowError("int too big to convert")
        v = float(value)
        if v == v and abs(v) != float("inf") and name != "float64" and abs(v) > float(np.finfo(np_dtype).max):
            raise RuntimeError(f"value cannot be converted to type {_CTYPE[name]} without overflow")
        return v
    info = np.iinfo(np_dtype)
    if isinstance(value, float):
        if value != value or abs(value) == float("inf") or not (info.min - 1 < value < info.max + 1):
            raise RuntimeError(f"value cannot be converted to type {_CTYPE[name]} without overflow")
        value = int(value)
    if value > info.max or value < (-info.max if info.min == 0 else info.min):
        if abs(value) >= 2 ** 64:
            raise OverflowError("int too big to convert")
        raise RuntimeError(f"value cannot be converted to type {_CTYPE[name]} without overflow")
    if value < 0 and info.min == 0:
        value += info.max + 1
    return int(value)


# Parameters that take a tensor in PyTorch's signatures (Python numbers pass where torch takes a Scalar too).
_TENSOR_PARAMS = frozenset(("input", "other", "weight", "bias", "tensor", "index", "src", "mask", "query", "key",
                            "value", "x1", "x2", "target", "end", "mat2", "vec", "vec2", "condition", "pos_weight",
                            "indices", "attn_mask", "A", "input2", "LU_data", "LU_pivots"))
_NUMBERS = (int, float, bool, complex)
_SCALAR_OK = frozenset(("other", "value", "end", "weight", "src"))  # torch takes a Number there too


def tensor_args(fn):
    """fn with PyTorch's TypeError for a non-tensor where a tensor goes ("relu(): argument 'input' (position 1)
    must be Tensor, not str"); checked only once fn has failed, so a good call pays one frame."""
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount]
    defaults = fn.__defaults__ or ()
    kwonly = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
    optional = set(names[len(names) - len(defaults):]) | set(kwonly)
    spots = [(i, n) for i, n in enumerate(names) if n in _TENSOR_PARAMS]
    fname = fn.__name__

    def check(args, kwargs):
        for i, n in spots:
            if i < len(args):
                v = args[i]
            elif n in kwargs:
                v = kwargs[n]
            else:
                continue
            if isinstance(v, Tensor) or (v is None and n in optional):
                continue
            if isinstance(v, _NUMBERS) and n in _SCALAR_OK:
                continue
            raise TypeError(f"{fname}(): argument '{n}' (position {i + 1}) must be Tensor, "
                            f"not {type(v).__name__}") from None

    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:
                check(args, kwargs)
                raise

        return call
    # fn's own parameter list, so a good call passes its arguments on without packing them into a
    # tuple and a dict (half the wrapper's cost); defaults are fn's own objects.
    first = len(names) - len(defaults)
    kwdefaults = fn.__kwdefaults__ or {}
    params = [n if i < first else f"{n}=_d[{i - first}]" for i, n in enumerate(names)]
    if kwonly:
        params.append("*")
        params += [f"{n}=_k[{n!r}]" if n in kwdefaults else n for n in kwonly]
    passed = ", ".join([*names, *(f"{n}={n}" for n in kwonly)])
    src = (f"def {fname}({', '.join(params)}):\n"
           f"    try:\n        return _fn({passed})\n"
           f"    except Exception:\n        _check(({''.join(n + ', ' for n in names)}), {{}})\n        raise\n")
    scope = {"_fn": fn, "_d": defaults, "_k": kwdefaults, "_check": check}
    exec(src, scope)  # noqa: S102  (our own parameter names only)
    return functools.wraps(fn)(scope[fname])


def need_tensor(x, fname, name, pos):
    """PyTorch's TypeError when x, argument `name` of fname, is not a tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")


def need_tensors(seq, argpos):
    """PyTorch's TypeError for a non-tensor element of a tensor sequence (argument argpos, 0-based)."""
    for i, x in enumerate(seq):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument {argpos}, but got {type(x).__name__}")


def no_kernel(t, kernel, ints=False):
    """PyTorch's NotImplementedError for a dtype its CPU kernel lacks: bool, and integers unless ints=True."""
    k = t._data.dtype.kind
    if k == "b" or (k in "iu" and not ints):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{t.dtype._legacy[:-6]}'")


# Integer targets a float reaches through a 32-bit (int32) or a 64-bit (uint32) conversion on x86, where PyTorch's
# CPU kernels and NumPy run: a NaN or a value out of that range becomes the "integer indefinite" (the type's
# minimum), then the low bits are kept (-1.5 -> 255 as uint8). A GPU converts straight to the target and
# saturates (-1.5 -> 0 as uint8).
_VIA_INT32 = frozenset(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.uint8, np.uint16))
_VIA_INT64 = frozenset((np.dtype(np.uint32),))


def astype(arr, np_dtype):
    """arr.astype(np_dtype), with a float converted to an integer as on the CPU on either backend."""
    if isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
        return arr.astype(np_dtype)
    dt = np.dtype(np_dtype)
    if dt in _VIA_INT32:
        lo, hi, bits = -2.0 ** 31, 2.0 ** 31, np.int32
    elif dt in _VIA_INT64:
        lo, hi, bits = -2.0 ** 63, 2.0 ** 63, np.int64
    else:
        return arr.astype(dt)
    xp = get_xp(arr)
    if arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)  # exact, and wide enough to hold the bounds
    ok = (arr >= lo) & (arr < hi)  # False for NaN
    wide = xp.where(ok, arr, 0).astype(bits)
    return xp.where(ok, wide, np.iinfo(bits).min).astype(dt)


_DEVICE_AT = frozenset(("add", "subtract"))  # the ufuncs whose CuPy .at (atomics) gives NumPy's values


def _extreme_at(xp, name, a, idx, vals):
    """np.maximum.at / np.minimum.at on a device, exact and NaN-propagating as NumPy's. CuPy's maximum.at and
    minimum.at run fmaxf / fminf: NaN-ignoring, and float64 rounded through float32. Here the values are
    ordered within each position (two stable sorts) and each position's extreme is written once."""
    n = idx.size
    vals = xp.broadcast_to(xp.asarray(vals, dtype=a.dtype), idx.shape).reshape(-1)
    idx = idx.reshape(-1)
    is_float = a.dtype.kind == "f"
    # The extreme is the last of its position's run: the largest value, NaN past every number; a minimum
    # of floats is the largest negated value (NaN still last); of integers, the first of the ascending run.
    last = name == "maximum" or is_float
    key = -vals if name == "minimum" and is_float else vals
    if is_float:
        key = xp.where(key != key, key.dtype.type(np.nan), key)  # one positive NaN: a radix sort puts it last
    by_value = xp.argsort(key)
    order = by_value[xp.argsort(idx[by_value])]
    pos, v = idx[order], vals[order]
    ends = pos[1:] != pos[:-1]
    one = xp.ones(1, dtype=bool)
    chosen = xp.concatenate([ends, one]) if last else xp.concatenate([one, ends])
    buf = xp.empty(a.size + 1, dtype=a.dtype)  # the last slot takes the writes of the values not chosen
    buf[:-1] = a
    target = xp.where(chosen, pos, a.size)
    buf[target] = getattr(xp, name)(buf[target], v)
    a[...] = buf[:-1]


def ufunc_at(name, a, idx, vals):
    """np.<name>.at(a, idx, vals) on a 1-D a with 1-D idx, on either backend. On a device, add and subtract use
    CuPy's .at (not for bool), maximum and minimum a sort (_extreme_at); the rest runs in rounds over positions
    named once each, taken in index order, so repeated positions combine in the same order as NumPy's."""
    xp = get_xp(a)
    if xp is np or (name in _DEVICE_AT and a.dtype.kind != "b"):
        getattr(xp, name).at(a, idx, vals)
        return
    n = idx.size
    if n and name in ("maximum", "minimum") and a.dtype.kind != "b":
        _extreme_at(xp, name, a, idx, vals)
        return
    if n == 0:
        return
    vals = xp.broadcast_to(xp.asarray(vals, dtype=a.dtype), idx.shape)
    order = xp.lexsort(xp.stack([xp.arange(n), idx]))
    pos, v = idx[order], vals[order]
    rank = xp.arange(n) - xp.searchsorted(pos, pos, side="left")
    op = getattr(xp, name)
    for r in range(int(rank.max()) + 1):
        sel = xp.nonzero(rank == r)[0]
        p = pos[sel]
        a[p] = op(a[p], v[sel])
