"""A strict CuPy stand-in on the CPU: the CuPy API surface xptorch uses, under CuPy 14's rules.

Installed as the 'cuda' device of the tests with ``xptorch.backend.simulate_cuda(strict_cupy)``.
Its arrays hold NumPy arrays but behave as CuPy's do where a plain NumPy simulation would hide a bug:

- ``ndarray`` is not a ``numpy.ndarray`` subclass; ufuncs, operators and functions refuse NumPy arrays
  (``TypeError: Unsupported type <class 'numpy.ndarray'>``) and lists among their operands; Python and
  NumPy scalars are fine.
- ``__array__`` raises, so ``numpy.asarray(a)`` fails as on a GPU: ``.get()`` and ``asnumpy`` are the way
  to the host. Every device-to-host transfer (``get``, ``item``, ``tolist``, ``bool``/``int``/``float`` of an
  array, boolean-mask indexing, ``nonzero``, ``bincount``, ``unique``, printing) counts one sync.
- ``flags`` has only ``c_contiguous``, ``f_contiguous`` and ``owndata``.
- Integer-array indices wrap around when out of bounds (getitem, setitem, ``take``, ``ufunc.at``), as
  CuPy documents; a plain integer out of bounds still raises IndexError.
- Slice assignment from a non-scalar NumPy array or a list raises ValueError.
- Reductions give 0-d arrays, never NumPy scalars.
- Only names CuPy has exist (tests/backend/test_strict_cupy.py checks them against the installed CuPy).
- Several devices (``set_device_count(n)``): arrays are allocated on the current device (``cuda.Device(i)``
  as a context manager, or ``use()``) and remember it (``.device``); a kernel given an array of another
  device raises CuPy's ValueError (a machine without peer access); views, ``copy()`` (onto the current
  device), ``get()`` and same-shape ``copyto`` work across devices, as in CuPy.
- Streams, events and memory pools as ``cupy.cuda`` has them. Stream capture records the device work
  without running it: after ``end_capture`` memory that existed before holds its old contents, memory
  allocated while capturing holds garbage (NaN), and ``Graph.launch()`` replays the work. Syncs and
  host-to-device copies while capturing raise, as CUDA's do.
- ``cuda.nccl`` is NCCL for a world of one process: ids as CuPy 14 gives and takes them (128 bytes), or as
  CuPy 13 and older do after ``set_nccl_id_form("tuple")`` (a tuple of signed chars), each form refused where
  the other is expected; collectives copy between the buffers' addresses.
- CuPy's numerics where its kernels differ from NumPy's (as seen on an H200 with CuPy 14.2;
  tests/backend/test_strict_cupy_numerics.py compares them with CuPy's on a GPU): a 1-D float32/float64
  sort or argsort orders by the bits (a NaN with the sign bit set first); float-to-integer ``astype``
  saturates through a 32-bit integer; float
  ``floor_divide`` is floor(x / y) and ``remainder`` x - floor(x / y) * y; ``sinc`` is 1 at NaN and 0 at the
  integers; float32 ``frexp`` flushes subnormals; ``maximum.at``/``minimum.at`` of floats ignore NaNs and round
  float64 through float32; ``broadcast_to`` takes device arrays only; ``arange`` with an integer dtype and a
  fractional start or step is refused (CuPy casts them to the dtype, unlike NumPy).
- ``cuda.nvrtc`` and ``cuda.function`` run xptorch's kernels/*.cu launches on the host: each launch is
  checked against the kernel's C parameter list (pointer dtypes, contiguity, 16-byte alignment of the
  vector kernels, exact NumPy scalar types for ``int``/``long long``/``float``/``double``/``u64``).
"""
import builtins
from ctypes import memmove as _memmove
import functools
import gc
import itertools
import re
import sys
import threading
import time
import traceback
import types

import numpy as np

__version__ = "14.2.0+strict-standin"

# ----------------------------------------------------------------------------------------- syncs


class _Counts(threading.local):
    def __init__(self):
        self.syncs = 0
        self.uploads = 0
        self.log = None


_counts = _Counts()


class _DevState(threading.local):
    """The current device, each device's current stream, and the stream capture in progress (per thread)."""

    def __init__(self):
        self.device = 0
        self.stream = {}
        self.capture = None
        self.depth = 0


_st = _DevState()
_n_devices = [1]


def _capture_error(what):
    return _runtime.CUDARuntimeError(
        f"cudaErrorStreamCaptureUnsupported: operation not permitted when stream is capturing ({what})")


def _sync(kind):
    if _st.capture is not None:
        raise _capture_error(kind)
    _counts.syncs += 1
    if _counts.log is not None:
        _counts.log.append((kind, "".join(traceback.format_stack(limit=14)[:-2])))


def _upload():
    if _st.capture is not None:
        raise _capture_error("a synchronous host-to-device copy")
    _counts.uploads += 1


def sync_count():
    """Device-to-host syncs counted so far on this thread (a testing aid; not a CuPy name)."""
    return _counts.syncs


class count_syncs:
    """``with count_syncs() as c: ...`` then ``c.syncs`` (and ``c.where``: the stacks of each sync)."""

    def __enter__(self):
        self._s0, self._u0 = _counts.syncs, _counts.uploads
        self._log0 = _counts.log
        _counts.log = self.where = []
        return self

    def __exit__(self, *exc):
        self.syncs = _counts.syncs - self._s0
        self.uploads = _counts.uploads - self._u0
        _counts.log = self._log0
        return False

    def report(self):
        return "\n".join(f"--- {kind}\n{stack}" for kind, stack in self.where)


# ----------------------------------------------------------------------------- operand handling


try:  # CuPy never warns about floating-point errors: the host computation runs with NumPy's warnings off
    from numpy._core.umath import _extobj_contextvar as _fp_state
    from numpy._core.umath import _make_extobj

    _FP_QUIET = _make_extobj(all="ignore")

    def _quiet(fn, *args, **kwargs):
        token = _fp_state.set(_FP_QUIET)
        try:
            return fn(*args, **kwargs)
        finally:
            _fp_state.reset(token)

except ImportError:  # pragma: no cover - other NumPy layouts

    def _quiet(fn, *args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _scalar_ok(x):
    return isinstance(x, (builtins.bool, int, float, complex, np.generic))


def _peer_error(x):
    return ValueError(f"The device where the array resides ({x._dev}) is different from the current device "
                      f"({_st.device}). Peer access is unavailable between these devices.")


def _here(x):
    """x's host array, for a kernel on the current device: CuPy refuses arrays of another device."""
    if x._dev != _st.device:
        raise _peer_error(x)
    return x._a


def _operand(x):
    """A ufunc operand: a device array or a scalar; anything else is refused as CuPy does."""
    if type(x) is ndarray:
        if x._dev != _st.device:
            raise _peer_error(x)
        return x._a
    if _scalar_ok(x) or x is None:
        return x
    raise _unsupported(x)


def _arg(x):
    """A routine's argument: device arrays unwrapped (also inside lists/tuples); NumPy arrays refused."""
    t = type(x)
    if t is ndarray:
        if x._dev != _st.device:
            raise _peer_error(x)
        return x._a
    if t is np.ndarray:
        raise _unsupported(x)
    if t is list or t is tuple:
        return t(_arg(v) for v in x)
    return x


def _wrap(a):
    """A new device array around host array a, on the current device."""
    o = object.__new__(ndarray)
    o._a = a
    o._base = None
    o._dev = _st.device
    return o


def _derived(r, srcs):
    """Wrap r; when it is a view of one of the device arrays srcs, its base is that array's base (CuPy's rule)."""
    o = _out(r)
    if type(o) is ndarray and r.base is not None:
        root = _root(r)
        for src in srcs:
            if type(src) is ndarray and _root(src._a) is root:
                o._base = src if src._base is None else src._base
                o._dev = src._dev
                break
    return o


def _out(r):
    t = type(r)
    if t is np.ndarray:
        return _wrap(r)
    if isinstance(r, np.generic):
        return _wrap(np.asarray(r))
    if t is tuple or t is list:
        return t(_out(v) for v in r)
    if isinstance(r, tuple):  # NumPy's linalg results (SVDResult, EighResult, ...): CuPy gives plain tuples
        return tuple(_out(v) for v in r)
    return r


def _kw(kwargs, fn=_arg):
    return {k: fn(v) for k, v in kwargs.items()} if kwargs else kwargs


def _arg_any(x):
    """_arg for routines that only make views or read metadata: no kernel, so any device's arrays."""
    t = type(x)
    if t is ndarray:
        return x._a
    if t is list or t is tuple:
        return t(_arg_any(v) for v in x)
    return _arg(x)


# Routines and methods that return views (or metadata) without launching a kernel: any device's arrays.
_VIEWS = frozenset({
    "broadcast_to", "broadcast_arrays", "expand_dims", "moveaxis", "rollaxis", "squeeze", "swapaxes", "transpose",
    "ravel", "reshape", "atleast_1d", "atleast_2d", "diagonal", "real", "imag", "split", "array_split", "flip",
    "fliplr", "flipud", "shape", "ndim", "size", "result_type", "iscomplexobj", "isrealobj", "can_cast",
    "min_scalar_type", "common_type", "isscalar"})


# ------------------------------------------------------------------------------- indexing rules


def _wrap_index(i, n):
    """CuPy's rule for integer-array indices: out-of-bounds values wrap around."""
    if n > 0 and i.size:
        return np.mod(i, n)
    return i


def _index(key, shape, what):
    """key for the host array: device arrays unwrapped, integer arrays wrapped, masks counted as syncs."""
    if type(key) is not tuple:
        key = (key,)
    consumed = 0
    for k in key:
        if k is None:
            continue
        if k is Ellipsis:
            continue
        if type(k) is ndarray and k._a.dtype == np.bool_:
            consumed += k._a.ndim
        elif isinstance(k, np.ndarray) and k.dtype == np.bool_:
            consumed += k.ndim
        else:
            consumed += 1
    ellipsis_len = len(shape) - consumed
    out = []
    dim = 0
    for k in key:
        if k is None:
            out.append(k)
            continue
        if k is Ellipsis:
            out.append(k)
            dim += builtins.max(ellipsis_len, 0)
            continue
        if type(k) is list or (type(k) is np.ndarray):
            # Uploaded first (host to device, no sync), then used as a device index.
            _upload()
            k = _wrap(np.asarray(k))
        if type(k) is ndarray:
            a = _here(k)
            if a.dtype == np.bool_:
                if what == "get":
                    _sync("boolean-mask indexing")
                out.append(a)
                dim += a.ndim
                continue
            if a.dtype.kind not in "iu":
                raise IndexError("arrays used as indices must be of integer (or boolean) type")
            out.append(_wrap_index(a, shape[dim]) if dim < len(shape) else a)
            dim += 1
            continue
        if isinstance(k, np.ndarray):
            raise _unsupported(k)
        out.append(k)
        dim += 1
    return tuple(out)


# ------------------------------------------------------------------------------------ the array


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a):
        f = a.flags
        self.c_contiguous = f.c_contiguous
        self.f_contiguous = f.f_contiguous
        self.owndata = f.owndata

    def __getitem__(self, name):
        return getattr(self, {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous",
                              "OWNDATA": "owndata"}[name])

    def __repr__(self):
        return f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : {self.f_contiguous}\n  OWNDATA : {self.owndata}"


def _root(a):
    """The NumPy array owning a's memory (through as_strided's intermediate objects too)."""
    while True:
        b = a.base
        if b is None:
            return a
        if type(b) is not np.ndarray:
            b = getattr(b, "base", None)
            if type(b) is not np.ndarray:
                return a
        a = b


class _MemoryPointer:
    """cupy.cuda.MemoryPointer: an address into an allocation; ``+ n`` moves it n bytes."""

    __slots__ = ("owner", "ptr", "device_id")

    def __init__(self, owner, ptr, device_id=0):
        self.owner, self.ptr, self.device_id = owner, ptr, device_id

    def __add__(self, n):
        return _MemoryPointer(self.owner, self.ptr + int(n), self.device_id)


def _check_ordinal(dev):
    if not 0 <= dev < _n_devices[0]:
        raise _runtime.CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")


class _Device:
    """cupy.cuda.Device: one of the simulated GPUs (``set_device_count`` says how many); a context manager
    making it current, as CuPy's is."""

    def __init__(self, device=None):
        dev = _st.device if device is None else int(device)
        _check_ordinal(dev)
        self.id = dev
        self._prev = []

    compute_capability = "90"

    def __enter__(self):
        self._prev.append(_st.device)
        _st.device = self.id
        return self

    def __exit__(self, *exc):
        _st.device = self._prev.pop()
        return False

    def use(self):
        _st.device = self.id

    def synchronize(self):
        if _st.capture is not None:
            raise _capture_error("device synchronize")
        events.append(("sync", self.id))

    def __eq__(self, other):
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self):
        return hash(("Device", self.id))

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def _kernel(fn):
    """A routine that launches device work: while a stream is capturing, also recorded for the graph's replay."""

    @functools.wraps(fn)
    def launch(*args, **kwargs):
        cap = _st.capture
        if cap is None or _st.depth:
            return fn(*args, **kwargs)
        _st.depth += 1
        try:
            r = fn(*args, **kwargs)
        finally:
            _st.depth -= 1
        cap.tape.append((fn, args, kwargs, r))
        return r

    return launch


class ndarray:
    """cupy.ndarray stand-in: a NumPy array behind CuPy's rules."""

    __slots__ = ("_a", "_base", "_dev", "__weakref__")
    __array_priority__ = 100.0
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._dev = _st.device if memptr is None else memptr.device_id
        if memptr is None:
            self._a = np.empty(shape, dtype, order=order)
            self._base = None
            if strides is not None:
                raise ValueError("strides given without memptr")
            return
        owner = memptr.owner
        offset = memptr.ptr - owner.__array_interface__["data"][0]
        self._a = np.ndarray(shape, dtype, buffer=owner, offset=offset, strides=strides)
        self._base = None

    # --- attributes
    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, shape):
        try:
            self._a = self._a.reshape(shape, copy=False)
        except ValueError:
            raise AttributeError("incompatible shape") from None
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: _derived(self._a.T, (self,)))
    mT = property(lambda self: _derived(np.swapaxes(self._a, -1, -2), (self,)))
    flags = property(lambda self: _Flags(self._a))
    data = property(lambda self: _MemoryPointer(_root(self._a), self._a.__array_interface__["data"][0], self._dev))
    device = property(lambda self: _Device(self._dev))

    @property
    def base(self):
        return self._base

    @property
    def real(self):
        return _wrap(self._a.real)

    @property
    def imag(self):
        return _wrap(self._a.imag)

    # --- the host boundary
    def __array__(self, *args, **kwargs):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly."
        )

    def get(self, stream=None, order="C", out=None, blocking=True):
        _sync("get")
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray: {type(arr)}")
        if arr.shape != self.shape or arr.dtype != self.dtype:
            raise ValueError("Shape or dtype mismatch")
        _upload()
        self._a[...] = arr

    def item(self, *args):
        _sync("item")
        return self._a.item(*args)

    def tolist(self):
        _sync("tolist")
        return self._a.tolist()

    def tobytes(self, order="C"):
        _sync("tobytes")
        return self._a.tobytes(order)

    def __bool__(self):
        _sync("bool")
        return builtins.bool(self._a)

    def __int__(self):
        _sync("int")
        return int(self._a)

    def __float__(self):
        _sync("float")
        return float(self._a)

    def __complex__(self):
        _sync("complex")
        return complex(self._a)

    def __index__(self):
        if self._a.dtype.kind not in "iub" or self._a.ndim:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        _sync("index")
        return int(self._a)

    def __repr__(self):
        _sync("repr")
        return repr(self._a).replace("array(", "array(", 1)

    def __str__(self):
        _sync("str")
        return str(self._a)

    def __format__(self, spec):
        _sync("format")
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __reduce__(self):
        raise TypeError("the strict CuPy stand-in does not pickle device arrays; move them to the host first")

    @_kernel
    def __copy__(self):
        return _wrap(_here(self).copy())

    def __deepcopy__(self, memo):
        return self.__copy__()

    # --- NumPy protocols: dispatch to this module's names, as CuPy does
    def __array_ufunc__(self, uf, method, *inputs, **kwargs):
        mine = _UFUNCS.get(uf.__name__)
        if mine is None:
            return NotImplemented
        if method == "__call__":
            return mine(*inputs, **kwargs)
        return getattr(mine, method)(*inputs, **kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        ns = _THIS
        for part in func.__module__.split(".")[1:]:
            if part.startswith("_"):
                continue
            ns = getattr(ns, part, None)
            if ns is None:
                return NotImplemented
        mine = getattr(ns, func.__name__, None)
        if mine is None or not callable(mine):
            return NotImplemented
        return mine(*args, **kwargs)

    # --- indexing
    @_kernel
    def __getitem__(self, key):
        if type(key) is ndarray and key._a.dtype == np.bool_:
            _sync("boolean-mask indexing")
            return _wrap(_here(self)[_here(key)])
        if type(key) is int or type(key) is slice:  # a view: no kernel, any device
            return _derived(self._a[key], (self,))
        k = _index(key, self._a.shape, "get")
        a = self._a if builtins.all(type(i) is not np.ndarray for i in k) else _here(self)
        return _derived(a[k], (self,))

    @_kernel
    def __setitem__(self, key, value):
        v = _setvalue(value)
        a = _here(self)
        if type(key) is int or type(key) is slice:
            a[key] = v
            return
        k = _index(key, a.shape, "set")
        if type(v) is np.ndarray and v.size != 1 and builtins.any(type(i) is np.ndarray and i.dtype == np.bool_ for i in k):
            _sync("boolean-mask assignment of an array")
        a[k] = v

    # --- methods
    @_kernel
    def copy(self, order="C"):
        # CuPy's copy works across devices (a peer copy): the copy is on the current device.
        return _wrap(self._a.copy(order=order))

    def view(self, *args, **kwargs):
        return _derived(self._a.view(*args, **kwargs), (self,))

    @_kernel
    def fill(self, value):
        _here(self).fill(_operand(value) if type(value) is ndarray else _scalar_value(value))

    @_kernel
    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        r = self._a.reshape(shape, order=order)
        if not np.shares_memory(r, self._a):
            _here(self)  # a copy: a kernel on the current device
        return _derived(r, (self,))

    def take(self, indices, axis=None, out=None):
        return take(self, indices, axis, out)

    @_kernel
    def put(self, indices, values, mode="wrap"):
        np.put(_here(self), _arg(indices), _arg(values), mode="wrap" if mode == "wrap" else "raise")

    def nonzero(self):
        _sync("nonzero")
        return _out(_here(self).nonzero())

    @_kernel
    def sort(self, axis=-1, kind=None):
        a = _here(self)
        if a.ndim == 1 and a.dtype.type in _RADIX_FLOATS:
            a[...] = a[_radix_argsort(a)]
        else:
            a.sort(axis=axis)

    @_kernel
    def argsort(self, axis=-1, kind=None):
        return _wrap(_thrust_argsort(_here(self), axis))

    @_kernel
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        if np.dtype(dtype) == self._a.dtype and not copy:
            return self  # copy=False with nothing to do returns the array itself
        return _wrap(_device_cast(_here(self), dtype, order))

    @_kernel
    def dot(self, b, out=None):
        _refuse_cublas_in_capture((self, b))
        return _out(_here(self).dot(_operand(b), **({} if out is None else {"out": _operand(out)})))

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    @_kernel
    def __imatmul__(self, other):
        _here(self)[...] = matmul(self, other)._a
        return self


def _scalar_value(value):
    if _scalar_ok(value):
        return value
    raise _unsupported(value)


def _setvalue(value):
    t = type(value)
    if t is ndarray:
        return value._a
    if t is np.ndarray or t is list or t is tuple:
        if t is np.ndarray and value.ndim == 0:
            return value
        raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
    if _scalar_ok(value):
        return value
    raise _unsupported(value)


def _method(name):
    view = name in _VIEWS

    @_kernel
    def m(self, *args, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _operand(out)
        a = self._a if view else _here(self)
        r = _quiet(getattr(a, name), *_arg(args), **_kw(kwargs))
        if view and not np.shares_memory(r, a):
            _here(self)
        return _derived(r, (self,))

    m.__name__ = name
    return m


for _name in ("all", "any", "argmax", "argmin", "argpartition", "clip", "conj", "conjugate",
              "cumprod", "cumsum", "diagonal", "flatten", "max", "mean", "min", "partition", "prod", "ravel",
              "repeat", "round", "searchsorted", "squeeze", "std", "sum", "swapaxes", "trace", "transpose", "var"):
    setattr(ndarray, _name, _method(_name))


def _binop(uname, reflected=False):
    def op(self, other):
        uf = _UFUNCS[uname]
        return uf(other, self) if reflected else uf(self, other)

    return op


def _inplace(uname):
    def op(self, other):
        _UFUNCS[uname](self, other, out=self)
        return self

    return op


for _dunder, _u in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "true_divide"),
                    ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"), ("and", "bitwise_and"),
                    ("or", "bitwise_or"), ("xor", "bitwise_xor"), ("lshift", "left_shift"),
                    ("rshift", "right_shift")):
    setattr(ndarray, f"__{_dunder}__", _binop(_u))
    setattr(ndarray, f"__r{_dunder}__", _binop(_u, True))
    setattr(ndarray, f"__i{_dunder}__", _inplace(_u))
for _dunder, _u in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                    ("eq", "equal"), ("ne", "not_equal")):
    setattr(ndarray, f"__{_dunder}__", _binop(_u))
for _dunder, _u in (("neg", "negative"), ("pos", "positive"), ("abs", "absolute"), ("invert", "invert")):
    setattr(ndarray, f"__{_dunder}__", (lambda u: lambda self: _UFUNCS[u](self))(_u))
ndarray.__divmod__ = lambda self, other: (self // other, self % other)

# ------------------------------------------------------------------------------------- ufuncs


class ufunc:
    """cupy.ufunc stand-in: operands must be device arrays or scalars; ``at`` wraps indices like indexing."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = self.name = np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def _outs(self, kwargs):
        out = kwargs.get("out")
        if out is not None:
            if type(out) is tuple:
                kwargs["out"] = tuple(_operand(o) if o is not None else None for o in out)
            else:
                kwargs["out"] = _operand(out)
        w = kwargs.get("where")
        if w is not None and w is not True:
            kwargs["where"] = _operand(w)
        return kwargs

    @_kernel
    def __call__(self, *args, **kwargs):
        return _out(_quiet(self._u, *[_operand(a) for a in args], **self._outs(kwargs)))

    @_kernel
    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        kw = self._outs({"out": out}) if out is not None else {}
        return _out(_quiet(self._u.reduce, _operand(array), axis=axis, dtype=dtype, keepdims=keepdims, **kw))

    @_kernel
    def accumulate(self, array, axis=0, dtype=None, out=None):
        kw = self._outs({"out": out}) if out is not None else {}
        return _out(self._u.accumulate(_operand(array), axis=axis, dtype=dtype, **kw))

    @_kernel
    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        kw = self._outs({"out": out}) if out is not None else {}
        return _out(self._u.reduceat(_operand(array), _operand(indices), axis=axis, dtype=dtype, **kw))

    @_kernel
    def outer(self, A, B, **kwargs):
        return _out(self._u.outer(_operand(A), _operand(B), **self._outs(kwargs)))

    @_kernel
    def at(self, a, indices, b=None):
        if type(a) is not ndarray:
            raise _unsupported(a)
        if self._u.__name__ not in _SCATTER_UFUNCS:  # CuPy runs .at only where it has an atomic scatter
            raise NotImplementedError(f"`{self._u.__name__}.at` is not supported by CuPy")
        idx = _index(indices, a.shape, "set")
        if b is None:
            self._u.at(_here(a), idx)
        elif self.name in ("maximum", "minimum") and a.dtype.kind == "f":
            _float_extreme_at(self.name, _here(a), idx, _operand(b))
        else:
            self._u.at(_here(a), idx, _operand(b))


_SCATTER_UFUNCS = frozenset(("add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"))
_UFUNC_NAMES = (
    "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "bitwise_and",
    "bitwise_not", "bitwise_or", "bitwise_xor", "cbrt", "ceil", "conjugate", "copysign", "cos", "cosh",
    "deg2rad", "degrees", "divide", "equal", "exp", "exp2", "expm1", "fabs", "float_power", "floor",
    "floor_divide", "fmax", "fmin", "fmod", "frexp", "gcd", "greater", "greater_equal", "hypot", "invert", "isfinite",
    "isinf", "isnan", "lcm", "ldexp", "left_shift", "less", "less_equal", "log", "log10", "log1p", "log2", "logaddexp",
    "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "maximum", "minimum", "modf",
    "multiply", "negative", "nextafter", "not_equal", "positive", "power", "rad2deg", "radians", "reciprocal",
    "remainder", "right_shift", "rint", "sign", "signbit", "sin", "sinh", "sqrt", "square",
    "subtract", "tan", "tanh", "true_divide", "trunc",
)
_UFUNCS = {n: ufunc(getattr(np, n)) for n in _UFUNC_NAMES}
# NumPy spells some ufuncs by their aliases: dispatch those too.
_UFUNCS.update({"abs": _UFUNCS["absolute"], "conj": _UFUNCS["conjugate"], "mod": _UFUNCS["remainder"]})
for _n, _f in _UFUNCS.items():
    globals()[_n] = _f
abs = _UFUNCS["absolute"]  # noqa: A001 - CuPy exports it
conj = _UFUNCS["conjugate"]
mod = _UFUNCS["remainder"]

# ------------------------------------------------------------------------------------- routines


# Routines CuPy runs through cuBLAS for floating operands (einsum: when it contracts two operands).
_CUBLAS = frozenset({"matmul", "dot", "tensordot", "inner", "vdot", "einsum"})


def _refuse_cublas_in_capture(args, least=2):
    """CuPy's cublas.setStream raises while the current stream captures: every cuBLAS call fails there."""
    if _st.capture is not None:
        arrays = [a for a in args if type(a) is ndarray]
        # (this module's any is cupy.any)
        if len(arrays) >= least and [a for a in arrays if a._a.dtype.kind in "fc"]:
            raise NotImplementedError("calling cuBLAS API during stream capture is currently unsupported")


def _routine(name, np_fn=None, cublas=None):
    """cublas: the fewest array operands with which the routine calls cuBLAS/cuSOLVER (None: never)."""
    fn = np_fn or getattr(np, name)
    unwrap = _arg_any if name in _VIEWS else _arg
    if cublas is None and name in _CUBLAS:
        cublas = 2

    @_kernel
    def r(*args, **kwargs):
        if cublas:
            _refuse_cublas_in_capture(args, cublas)
        return _derived(_quiet(fn, *unwrap(args), **_kw(kwargs, unwrap)), args)

    r.__name__ = r.__qualname__ = name
    r.__doc__ = f"cupy.{name} stand-in (NumPy's {name} under CuPy's operand rules)."
    return r


_ROUTINES = (
    "all", "any", "amax", "amin", "argmax", "argmin", "argsort", "around", "array_equal", "atleast_1d",
    "atleast_2d", "broadcast_arrays", "broadcast_to", "clip", "column_stack", "concatenate", "count_nonzero",
    "cross", "cumprod", "cumsum", "diag", "diagonal", "diff", "dot", "dstack", "einsum", "empty_like",
    "expand_dims", "flip", "fliplr", "flipud", "full_like", "hstack", "inner", "isclose", "kron", "matmul",
    "max", "mean", "median", "meshgrid", "min", "moveaxis", "nan_to_num", "nanmax", "nanmin", "nansum",
    "ones_like", "outer", "pad", "prod", "ptp", "ravel", "repeat", "reshape", "roll", "rollaxis", "rot90",
    "round", "sort", "split", "squeeze", "stack", "std", "sum", "swapaxes", "tensordot", "tile", "trace",
    "transpose", "tril", "triu", "var", "vstack", "where", "zeros_like", "cov", "allclose", "array_split",
    "trapezoid", "vdot", "searchsorted", "lexsort", "average", "ix_", "result_type", "can_cast",
    "common_type", "min_scalar_type", "shape", "ndim", "size", "isscalar", "iscomplexobj", "isrealobj",
    "nanmean", "nanstd", "nanvar", "nanprod", "nancumsum", "nanargmax", "nanargmin", "histogram", "sinc",
    "heaviside", "angle", "real", "imag", "fix", "clip", "logical_not", "partition", "argpartition", "choose",
    "compress", "diagflat", "resize", "append", "delete",
)
for _n in _ROUTINES:
    if _n not in _UFUNCS and hasattr(np, _n):
        globals()[_n] = _routine(_n)


_concatenate, _stack = concatenate, stack


def _join_uploads(arrays, dtype=None):
    """CuPy joins more than 8 arrays of one dtype, under 2 MiB each on average, with a single kernel whose
    table of pointers it copies from the host (cupy/_core/_routines_manipulation.pyx, _concatenate): an
    upload, which stream capture refuses."""
    arrays = list(arrays)
    # (this module's all and sum are CuPy's)
    if len(arrays) <= 8 or [a for a in arrays if type(a) is not ndarray]:
        return
    dt = np.dtype(dtype) if dtype is not None else arrays[0]._a.dtype
    if not [a for a in arrays if a._a.dtype != dt] and \
            builtins.sum(a._a.nbytes for a in arrays) < (2 << 20) * len(arrays):
        _upload()


def concatenate(tup, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _join_uploads(tup, out._a.dtype if type(out) is ndarray else dtype)
    kw = {} if out is None else {"out": out}
    if dtype is not None:
        kw["dtype"] = dtype
    return _concatenate(tup, axis, casting=casting, **kw)


def stack(tup, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _join_uploads(tup, out._a.dtype if type(out) is ndarray else dtype)
    kw = {} if out is None else {"out": out}
    if dtype is not None:
        kw["dtype"] = dtype
    return _stack(tup, axis, casting=casting, **kw)


def broadcast_to(array, shape):
    """A view repeating memory, writable as CuPy's are (NumPy's are read-only). Only a device array is taken, as
    CuPy's Cython signature does (a scalar or NumPy array raises TypeError)."""
    if type(array) is not ndarray:
        t = type(array)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise TypeError(f"Argument 'array' has incorrect type (expected cupy._core.core._ndarray_base, got {name})")
    a = _arg_any(array)
    r = np.broadcast_to(a, shape)
    return _derived(np.lib.stride_tricks.as_strided(a, r.shape, r.strides), (array,))


@_kernel
def where(condition, x=None, y=None):
    if x is None and y is None:
        _sync("where (nonzero)")
        return _out(np.nonzero(_operand(condition)))
    return _out(np.where(_operand(condition), _operand(x), _operand(y)))


def nonzero(a):
    _sync("nonzero")
    return _out(np.nonzero(_operand(a)))


def argwhere(a):
    _sync("argwhere")
    return _out(np.argwhere(_operand(a)))


def flatnonzero(a):
    _sync("flatnonzero")
    return _out(np.flatnonzero(_operand(a)))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True):
    _sync("unique")
    return _out(np.unique(_operand(ar), return_index, return_inverse, return_counts, axis=axis, equal_nan=equal_nan))


def bincount(x, weights=None, minlength=None):
    # The output length depends on x.max(): CuPy reads it back.
    _sync("bincount")
    return _out(np.bincount(_operand(x), None if weights is None else _operand(weights), minlength or 0))


def shares_memory(a, b, max_work=None):
    return np.shares_memory(_operand(a), _operand(b))


def may_share_memory(a, b, max_work=None):
    return np.may_share_memory(_operand(a), _operand(b))


@_kernel
def take(a, indices, axis=None, out=None):
    a = _operand(a)
    idx = _here(indices) if type(indices) is ndarray else _host_index(indices)
    n = a.size if axis is None else a.shape[axis]
    r = np.take(a, _wrap_index(idx, n) if isinstance(idx, np.ndarray) else idx, axis=axis)
    if out is not None:
        out._a[...] = r
        return out
    return _out(r)


def _host_index(i):
    if type(i) is list or type(i) is np.ndarray:
        _upload()
        return np.asarray(i)
    if isinstance(i, (int, np.integer)):
        return i
    raise _unsupported(i)


@_kernel
def take_along_axis(a, indices, axis):
    a, i = _operand(a), _operand(indices)
    if axis is None:
        a, axis = a.ravel(), 0
    return _wrap(np.take_along_axis(a, _wrap_index(i, a.shape[axis]), axis))


@_kernel
def put_along_axis(arr, indices, values, axis):
    if type(arr) is not ndarray:
        raise _unsupported(arr)
    i = _operand(indices)
    np.put_along_axis(_here(arr), _wrap_index(i, arr._a.shape[axis]), _operand(values), axis)


def _creation(name):
    fn = getattr(np, name)

    @_kernel
    def r(*args, **kwargs):
        return _wrap(fn(*args, **kwargs))

    r.__name__ = name
    return r


for _n in ("empty", "zeros", "ones", "eye", "identity", "arange", "linspace", "logspace", "tri"):
    globals()[_n] = _creation(_n)


@_kernel
def arange(start, stop=None, step=1, dtype=None):
    """CuPy's arange (cupy/_creation/ranges.py) fills typ(start) + i * typ(step) in the dtype, unlike NumPy
    (first = typ(start), delta = typ(start + step) - first): for an integer dtype and a fractional start or step
    the values differ, so the stand-in refuses that call."""
    if dtype is not None and np.dtype(dtype).kind in "iub":
        for v in (start, step):
            if isinstance(v, (float, np.floating)) and not float(v).is_integer():
                raise ValueError(f"the strict CuPy stand-in refuses arange with a fractional start or step ({v}) and "
                                 f"the integer dtype {np.dtype(dtype)}: CuPy casts them to the dtype first")
    return _wrap(np.arange(start, stop, step, dtype=dtype))


@_kernel
def full(shape, fill_value, dtype=None, order="C"):
    if type(fill_value) is ndarray:
        a = np.empty(shape, dtype if dtype is not None else fill_value.dtype, order=order)
        a[...] = _here(fill_value)
        return _wrap(a)
    return _wrap(np.full(shape, _scalar_value(fill_value) if not isinstance(fill_value, np.ndarray)
                         else _setvalue(fill_value), dtype, order=order))


@_kernel
def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if type(obj) is ndarray:
        return _wrap(np.array(_here(obj), dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    if isinstance(obj, (list, tuple)) and builtins.any(type(v) is ndarray for v in obj):
        return stack([asarray(v, dtype) for v in obj])
    _upload()
    return _wrap(np.array(obj, dtype=dtype, copy=True, order=order, ndmin=ndmin))


@_kernel
def asarray(a, dtype=None, order=None, copy=None, *, blocking=False):
    if type(a) is ndarray:
        if (dtype is None or np.dtype(dtype) == a.dtype) and not copy:
            return a  # as CuPy: the same array, even when it lives on another device
        return _wrap(_device_cast(_here(a), a.dtype if dtype is None else dtype))
    if isinstance(a, (list, tuple)) and builtins.any(type(v) is ndarray for v in a):
        return stack([asarray(v, dtype) for v in a])
    _upload()
    return _wrap(np.array(a, dtype=dtype, order=order or "K", copy=True))


asanyarray = asarray


@_kernel
def ascontiguousarray(a, dtype=None):
    if type(a) is not ndarray:
        raise _unsupported(a)
    if a._a.flags.c_contiguous and (dtype is None or np.dtype(dtype) == a.dtype):
        return a
    return _wrap(np.ascontiguousarray(_here(a), dtype=dtype))


@_kernel
def asfortranarray(a, dtype=None):
    return _wrap(np.asfortranarray(_operand(a), dtype=dtype))


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    return _THIS if builtins.any(type(a) is ndarray for a in args) else np


@_kernel
def copyto(dst, src, casting="same_kind", where=None):
    if type(dst) is not ndarray:
        raise _unsupported(dst)
    if type(src) is ndarray and src._dev != dst._dev:
        # CuPy copies between devices only without casting, masking or broadcasting.
        if src.dtype != dst.dtype or src.shape != dst.shape or where is not None:
            raise _peer_error(src if src._dev != _st.device else dst)
        dst._a[...] = src._a
        return
    np.copyto(_here(dst), _operand(src), casting=casting, where=True if where is None else _operand(where))


@_kernel
def copy(a, order="K"):
    return _wrap(np.array(_arg_any(a), order=order, copy=True))  # across devices too, as ndarray.copy


def isscalar(element):
    return np.isscalar(element)


# ------------------------------------------------------------------- CuPy's numerics where they differ
# Each differs from NumPy on a real GPU (cupy 14); the source each follows is named.

_RADIX_FLOATS = (np.float32, np.float64)


def _radix_argsort(a):
    """Stable order of a 1-D float32/float64 array as Thrust sorts it with thrust::less (cupy/cuda/cupy_thrust.cu:
    "it can use radix sort, which happens to sort NaNs to the back"): by the bits, -0.0 equal to +0.0, so a NaN
    with the sign bit set comes before -inf and only positive NaNs come last."""
    ut = np.uint32 if a.dtype.itemsize == 4 else np.uint64
    top = ut(1) << ut(a.dtype.itemsize * 8 - 1)
    u = np.where(a == 0, a.dtype.type(0), a).view(ut)
    return np.argsort(np.where(u & top, ~u, u | top), kind="stable")


def _thrust_argsort(a, axis=-1):
    """CuPy's argsort: Thrust's stable sort; a 1-D float array by its bits, anything else with NaNs last."""
    if a.ndim == 1 and a.dtype.type in _RADIX_FLOATS:
        return _radix_argsort(a)
    return np.argsort(a, axis=axis, kind="stable")


@_kernel
def argsort(a, axis=-1, kind=None):
    if type(a) is not ndarray:
        raise _unsupported(a)
    x = _here(a)
    if axis is None:
        x, axis = x.ravel(), -1
    return _wrap(_thrust_argsort(np.atleast_1d(x), axis))


@_kernel
def sort(a, axis=-1, kind=None):
    if type(a) is not ndarray:
        raise _unsupported(a)
    r = a.copy() if axis is not None else a.ravel().copy()
    r.sort(axis=-1 if axis is None else axis)
    return r


def _device_cast(a, dtype, order="K"):
    """a.astype(dtype) as a GPU converts (seen on an H200 with CuPy 14): a float goes to a 32-bit integer (signed
    for a signed target, unsigned for an unsigned one) saturating, NaN to 0 (PTX cvt.rzi.sat), and then keeps
    the target's low bits: -1.5 -> 0 and 300.2 -> 44 as uint8, 3e9 -> -1 as int8; a 64-bit target saturates
    to its own range. x86 (NumPy) goes through a signed integer instead: -1.5 -> 255 as uint8."""
    dt = np.dtype(dtype)
    if a.dtype.kind != "f" or dt.kind not in "iu":
        return a.astype(dt, order=order)
    wide = dt if dt.itemsize == 8 else np.dtype(np.int32 if dt.kind == "i" else np.uint32)
    info = np.iinfo(wide)
    x = np.nan_to_num(np.trunc(a.astype(np.float64)), nan=0.0, posinf=np.inf, neginf=-np.inf)
    r = np.asarray(np.clip(x, float(info.min), float(info.max))).astype(wide)
    r[np.asarray(x >= float(info.max))] = info.max  # float(2**63 - 1) rounds up past int64's range
    return r.astype(dt, order=order)


def _float_extreme_at(name, a, idx, v):
    """CuPy's maximum.at / minimum.at of floats: atomicMax / atomicMin (cupy/_core/include/cupy/atomics.cuh) store
    fmaxf(val, old) / fminf(val, old) by compare-and-swap, so NaNs are ignored and a float64 position is rounded
    through float32 each time it is written."""
    f = np.fmax if name == "maximum" else np.fmin
    if a.dtype == np.float32:
        f.at(a, idx, v)
        return
    touched = np.zeros(a.shape, dtype=bool)
    touched[idx] = True
    a32 = a.astype(np.float32)
    f.at(a32, idx, np.asarray(v, dtype=np.float64).astype(np.float32))
    a[touched] = a32[touched]


def _ftz32(x):
    """CuPy compiles its kernels with -ftz=true (cupy/cuda/compiler.py): a float32 subnormal input reads as 0."""
    if x.dtype == np.float32:
        return np.where(np.abs(x) < np.finfo(np.float32).tiny, np.copysign(np.float32(0), x), x)
    return x


class _KernelUfunc(ufunc):
    """A ufunc computed by CuPy's own kernel code rather than NumPy's: fn(*host_operands) gives the results."""

    def __init__(self, np_ufunc, fn):
        super().__init__(np_ufunc)
        self._fn = fn

    @_kernel
    def __call__(self, *args, **kwargs):
        given = kwargs.get("out")
        kwargs = self._outs(kwargs)
        out = kwargs.pop("out", None)
        if kwargs:
            raise TypeError(f"the strict CuPy stand-in's {self.name} takes no {sorted(kwargs)}")
        r = _quiet(self._fn, *[_operand(a) for a in args])
        if out is None:
            return _out(r)
        outs = out if type(out) is tuple else (out,)
        rs = r if type(r) is tuple else (r,)
        for o, v in zip(outs, rs):
            o[...] = v
        return given


def _floor_divide_kernel(x, y):
    """cupy/_core/include/cupy/carray.cuh: _floor_divide(float x, float y) is floor(x / y) (NumPy's comes from
    fmod: -inf // 0.5 is NaN there, -inf here)."""
    r = np.floor_divide(x, y)
    if np.asarray(r).dtype.kind == "f":
        r = np.floor(np.true_divide(x, y)).astype(np.asarray(r).dtype)
    return r


def _remainder_kernel(x, y):
    """cupy/_core/_routines_math.pyx: a float remainder is in0 - _floor_divide(in0, in1) * in1, which the compiler
    contracts to one fused multiply-add (0.7f rem 0.1f is -2.2e-8, not 0); wider arithmetic stands in for it."""
    r = np.remainder(x, y)
    if np.asarray(r).dtype.kind == "f":
        dt = np.asarray(r).dtype
        wide = np.longdouble if dt == np.float64 else np.float64
        q = np.floor(np.true_divide(x, y))
        r = (np.asarray(x, wide) - np.asarray(q, wide) * np.asarray(y, wide)).astype(dt)
    return r


def _frexp_kernel(x):
    """cupy/_math/floating.py: frexp(in0, &nptr) with float32 subnormals flushed to 0 (mantissa 0, exponent 0)."""
    return np.frexp(_ftz32(np.asarray(x)))


def _sinc_kernel(x):
    """cupy/_math/special.py: out0 = abs(in0) > 1e-9 ? sinpi(in0) / (M_PI * in0) : 1, so NaN gives 1 and the
    integers an exact 0 (NumPy: NaN, and sin(pi x) / (pi x) rounded in the dtype)."""
    x = np.asarray(x)
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    w = x.astype(np.float64)
    r = np.remainder(w, 2.0)
    s = np.where(r == np.round(r), 0.0, np.sin(np.pi * r))  # sinpi: exact 0 at the integers
    return np.where(np.abs(w) > 1e-9, s / (np.pi * w), 1.0).astype(dt)


for _n, _fn in (("floor_divide", _floor_divide_kernel), ("remainder", _remainder_kernel), ("frexp", _frexp_kernel)):
    _UFUNCS[_n] = _KernelUfunc(getattr(np, _n), _fn)
    globals()[_n] = _UFUNCS[_n]
_UFUNCS["mod"] = mod = _UFUNCS["remainder"]


class _SincUfunc(_KernelUfunc):
    def __init__(self):
        self._u = None
        self.__name__ = self.name = "sinc"
        self.nin, self.nout, self.nargs = 1, 1, 2
        self._fn = _sinc_kernel


sinc = _SincUfunc()


# dtypes and constants: CuPy re-exports NumPy's
for _n in ("bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
           "float32", "float64", "complex64", "complex128", "dtype", "finfo", "iinfo", "inf", "nan", "pi", "e",
           "newaxis", "integer", "floating", "number", "generic", "signedinteger", "unsignedinteger",
           "complexfloating", "intp", "uintp", "half", "single", "double", "byte", "ubyte", "short", "ushort",
           "intc", "uintc", "longlong", "ulonglong", "euler_gamma", "promote_types", "issubdtype", "inexact",
           "bool"):
    if hasattr(np, _n):
        globals()[_n] = getattr(np, _n)
bool = np.bool_  # noqa: A001


@_kernel
def cublas_gemm(transa, transb, m, n, k, A, lda, B, ldb, C, ldc):
    """Not a CuPy name: what cublas<t>gemm computes when called directly (xptorch does so through ctypes
    while a graph captures, where CuPy refuses cuBLAS). Column-major: C (m x n, leading dimension ldc) =
    op(A) @ op(B), op transposing when trans is 1; each matrix starts at its array's first element and is
    read through its leading dimension, as cuBLAS reads memory. Reading or writing past an array's buffer
    raises instead of touching other memory."""

    def colmajor(x, rows, cols, ld, what):
        a = x._a
        item = a.itemsize
        if ld < (rows if rows > 1 else 1):  # (this module's max is cupy.max)
            raise ValueError(f"cublas_gemm: ld{what}={ld} < {rows} rows (CUBLAS_STATUS_INVALID_VALUE)")
        root = _root(a)
        start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        need = ((rows - 1) + (cols - 1) * ld + 1) * item
        if start < 0 or start + need > root.nbytes:
            raise ValueError(f"cublas_gemm: matrix {what} ({rows} x {cols}, ld {ld}) reaches past its buffer")
        return np.lib.stride_tricks.as_strided(a, shape=(rows, cols), strides=(item, ld * item))

    if A._a.dtype != C._a.dtype or B._a.dtype != C._a.dtype:
        raise TypeError("cublas_gemm: operands of different dtypes")
    a = colmajor(A, k if transa else m, m if transa else k, lda, "a")
    b = colmajor(B, n if transb else k, k if transb else n, ldb, "b")
    c = colmajor(C, m, n, ldc, "c")
    c[...] = (a.T if transa else a) @ (b.T if transb else b)


# submodules: lib.stride_tricks, linalg, cuda (runtime, nvrtc, function)
lib = types.ModuleType("strict_cupy.lib")
lib.stride_tricks = types.ModuleType("strict_cupy.lib.stride_tricks")


def _as_strided(x, shape=None, strides=None):
    return _derived(np.lib.stride_tricks.as_strided(_arg_any(x), shape, strides), (x,))


lib.stride_tricks.as_strided = _as_strided

linalg = types.ModuleType("strict_cupy.linalg")
for _n in ("norm", "inv", "det", "solve", "qr", "svd", "eigh", "cholesky", "pinv", "slogdet", "matrix_power",
           "lstsq", "eigvalsh", "matrix_rank", "tensorinv", "tensorsolve"):
    setattr(linalg, _n, _routine(_n, getattr(np.linalg, _n), cublas=None if _n == "norm" else 1))

cuda = types.ModuleType("strict_cupy.cuda")
cuda.Device = _Device

# Device work the runtime saw, for tests to inspect: ("sync", device), ("record", stream ptr), ("wait", ...),
# ("launch", stream ptr), ("begin_capture", ptr), ("end_capture", ptr). Not a CuPy name.
events = []


def _is_available():
    return True


cuda.is_available = _is_available


class _Runtime(types.ModuleType):
    class CUDARuntimeError(RuntimeError):
        pass

    @staticmethod
    def getDeviceCount():
        return _n_devices[0]

    @staticmethod
    def getDevice():
        return _st.device

    @staticmethod
    def setDevice(device):
        _check_ordinal(device)
        _st.device = device

    @staticmethod
    def getDeviceProperties(device):
        _check_ordinal(device)
        return {"name": b"Strict CuPy stand-in (host)", "multiProcessorCount": 4, "totalGlobalMem": (16 + device) << 30,
                "major": 9, "minor": 0, "l2CacheSize": 50 << 20}

    @staticmethod
    def deviceSynchronize():
        if _st.capture is not None:
            raise _capture_error("device synchronize")
        events.append(("sync", _st.device))

    @staticmethod
    def memGetInfo():
        """(free, total) of the current device: its total less what the pool holds there."""
        total = (16 + _st.device) << 30
        return total - get_default_memory_pool().total_bytes(), total

    @staticmethod
    def runtimeGetVersion():
        return 12080

    @staticmethod
    def driverGetVersion():
        return 12080


_runtime = cuda.runtime = _Runtime("strict_cupy.cuda.runtime")
_ptrs = itertools.count(0x7000, 0x100)


class _Stream:
    """cupy.cuda.Stream: work is ordered on the host anyway; begin_capture/end_capture record a graph."""

    null = None

    def __init__(self, null=False, non_blocking=False, ptr=0, priority=None):
        self.ptr = 0 if null else next(_ptrs)
        self.device_id = _st.device
        self._prev = []

    done = property(lambda self: True)

    def synchronize(self):
        if _st.capture is not None:
            raise _capture_error("stream synchronize")
        events.append(("stream_sync", self.ptr))

    def use(self):
        _st.stream[_st.device] = self
        return self

    def __enter__(self):
        self._prev.append(_st.stream.get(_st.device))
        return self.use()

    def __exit__(self, *exc):
        prev = self._prev.pop()
        if prev is None:
            _st.stream.pop(_st.device, None)
        else:
            _st.stream[_st.device] = prev
        return False

    def record(self, event=None):
        event = _Event() if event is None else event
        event.record(self)
        return event

    def wait_event(self, event):
        events.append(("wait", self.ptr, event))

    def is_capturing(self):
        cap = _st.capture
        return cap is not None and cap.stream is self

    def begin_capture(self, mode=None):
        if self.ptr == 0:
            raise _runtime.CUDARuntimeError("cudaErrorStreamCaptureUnsupported: the legacy null stream cannot capture")
        if _st.capture is not None:
            raise _runtime.CUDARuntimeError("cudaErrorIllegalState: a stream is already capturing on this thread")
        _st.capture = _Capture(self)
        events.append(("begin_capture", self.ptr))

    def end_capture(self):
        cap = _st.capture
        if cap is None or cap.stream is not self:
            raise _runtime.CUDARuntimeError("cudaErrorIllegalState: the stream is not capturing")
        _st.capture = None
        cap.undo()
        events.append(("end_capture", self.ptr))
        return _Graph(cap.tape)


_Stream.null = _Stream(null=True)


def _live_arrays():
    return [o for o in gc.get_objects() if type(o) is ndarray]


class _Capture:
    """Stream capture: the device work between begin and end is recorded, not run. The stand-in runs it (so
    shapes and the Python side behave) and undoes it at the end: memory that existed before capture gets its
    contents back, memory allocated during capture holds garbage (NaN, or 0x5A bytes) until a replay."""

    def __init__(self, stream):
        self.stream = stream
        self.tape = []
        self.saved = {}
        for o in _live_arrays():
            root = _root(o._a)
            if id(root) not in self.saved:
                self.saved[id(root)] = (root, root.copy())

    def undo(self):
        for root, before in self.saved.values():
            if root.flags.writeable:
                np.copyto(root, before)
        for o in _live_arrays():
            root = _root(o._a)
            if id(root) not in self.saved and root.flags.writeable:
                if root.dtype.kind in "fc":
                    root.fill(np.nan)
                else:
                    root.view(np.uint8).fill(0x5A)


def _replace_into(old, new):
    if type(old) is ndarray and type(new) is ndarray:
        if new._a is not old._a:
            old._a[...] = new._a
    elif type(old) in (tuple, list) and type(new) is type(old):
        for o, n in zip(old, new):
            _replace_into(o, n)


class _Graph:
    """cupy.cuda.graph.Graph: launch() replays the captured work, writing into the memory it captured."""

    def __init__(self, tape):
        self._tape = tape

    def launch(self, stream=None):
        if _st.capture is not None:
            raise _capture_error("graph launch")
        events.append(("launch", None if stream is None else stream.ptr))
        for fn, args, kwargs, out in self._tape:
            _replace_into(out, fn(*args, **kwargs))

    def upload(self, stream=None):
        pass

    def debug_dot_str(self, flags=0):
        return "digraph G {\n" + "".join(f'  n{i} [label="{fn.__name__}"];\n' for i, (fn, *_r) in
                                          enumerate(self._tape)) + "}\n"


cuda.graph = types.ModuleType("strict_cupy.cuda.graph")
cuda.graph.Graph = _Graph


def _current_stream(device_id=-1):
    return _st.stream.get(_st.device if device_id == -1 else device_id, _Stream.null)


cuda.get_current_stream = _current_stream
cuda.Stream = _Stream


class _Event:
    """cupy.cuda.Event: a host clock reading at record()."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self._timing = not disable_timing
        self._t = None

    done = property(lambda self: True)

    def record(self, stream=None):
        if _st.capture is not None and self._timing:
            raise _capture_error("recording a timing event")
        self._t = time.perf_counter()
        s = _current_stream() if stream is None else stream
        events.append(("record", s.ptr))

    def synchronize(self):
        if _st.capture is not None:
            raise _capture_error("event synchronize")
        events.append(("event_sync",))


def _elapsed(start_event, end_event):
    if not (start_event._timing and end_event._timing) or start_event._t is None or end_event._t is None:
        raise _runtime.CUDARuntimeError("cudaErrorInvalidResourceHandle: invalid resource handle")
    return (end_event._t - start_event._t) * 1e3


cuda.Event = _Event
cuda.get_elapsed_time = _elapsed


class _PooledMemory:
    """What MemoryPool.malloc returns: its bytes go back to the pool when it is collected."""

    def __init__(self, pool, size, device_id):
        self.pool, self.size, self.device_id = pool, size, device_id
        self.ptr = next(_ptrs)

    def __del__(self):
        self.pool._used[self.device_id] -= self.size


class _MemoryPool:
    """cupy.cuda.MemoryPool: counts the bytes malloc hands out, per device, in CuPy's 512-byte blocks. (The
    stand-in's arrays live in host memory and are not counted.)"""

    def __init__(self, allocator=None):
        self._used, self._total = {}, {}

    def malloc(self, size):
        d = _st.device
        size = -(-int(size) // 512) * 512
        self._used[d] = self._used.get(d, 0) + size
        self._total[d] = builtins.max(self._total.get(d, 0), self._used[d])
        return _PooledMemory(self, size, d)

    def used_bytes(self):
        return self._used.get(_st.device, 0)

    def total_bytes(self):
        return self._total.get(_st.device, 0)

    def free_bytes(self):
        return self.total_bytes() - self.used_bytes()

    def free_all_blocks(self, stream=None):
        self._total[_st.device] = self.used_bytes()


_POOL = _MemoryPool()
_allocator = [_POOL.malloc]


class _AllocatorState(threading.local):
    def __init__(self):
        self.stack = []


_alloc_state = _AllocatorState()


def _alloc(size):
    fn = _alloc_state.stack[-1] if _alloc_state.stack else _allocator[0]
    return fn(size)


def _set_allocator(allocator=None):
    _allocator[0] = _POOL.malloc if allocator is None else allocator


class _UsingAllocator:
    def __init__(self, allocator=None):
        self.allocator = _POOL.malloc if allocator is None else allocator

    def __enter__(self):
        _alloc_state.stack.append(self.allocator)

    def __exit__(self, *exc):
        _alloc_state.stack.pop()
        return False


cuda.MemoryPool = _MemoryPool
cuda.alloc = _alloc
cuda.set_allocator = _set_allocator
cuda.using_allocator = _UsingAllocator


def get_default_memory_pool():
    return _POOL


def get_default_pinned_memory_pool():
    return _POOL


def set_device_count(n):
    """How many simulated GPUs there are (1 by default); resets the current device, streams, memory pool,
    allocator, event log and the NCCL stand-in (CuPy 14's id form, no group open). Not a CuPy name."""
    global _POOL
    _n_devices[0] = int(n)
    _st.device, _st.stream, _st.capture, _st.depth = 0, {}, None, 0
    _POOL = _MemoryPool()
    _allocator[0] = _POOL.malloc
    _alloc_state.stack = []
    del events[:]
    nccl = getattr(cuda, "nccl", None)
    if nccl is not None:
        nccl._form, nccl._depth = "bytes", 0
        nccl._issued.clear()
        for side in nccl._pending:
            del side[:]



# ---------------------------------------------------------------------------------------- nccl

class _Nccl(types.ModuleType):
    """cupy.cuda.nccl for a world of one process (ndev 1, rank 0), strict about the unique id.

    As CuPy 14 has it (the default), ``get_unique_id()`` returns the id's 128 bytes and the communicator takes
    ``bytes commId`` only (a tuple: TypeError; another length: ValueError). After ``set_nccl_id_form("tuple")``
    it is CuPy 13 and older: a tuple of 128 signed chars out, ``tuple commId`` in (bytes: TypeError, a value
    outside -128..127: OverflowError). Either way the communicator accepts only an id that get_unique_id
    issued, so an id garbled on its way between ranks fails here too. Collectives copy between the buffers'
    host addresses, which must lie inside live stand-in arrays (a world of one reduces nothing); send and
    recv pair up at groupEnd."""

    available = True
    NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
    NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64 = 0, 1, 2, 3, 4, 5
    NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 8
    _SIZES = {0: 1, 1: 1, 2: 4, 3: 4, 4: 8, 5: 8, 6: 2, 7: 4, 8: 8}

    class NcclError(RuntimeError):
        pass

    def __init__(self, name):
        super().__init__(name)
        self._form = "bytes"
        self._issued = set()
        self._depth = 0
        self._pending = ([], [])  # sends, recvs: (host address, bytes)
        outer = self

        class NcclCommunicator:
            def __init__(self, ndev, commId, rank):  # noqa: N803 (CuPy's name)
                self._comm = None
                want = bytes if outer._form == "bytes" else tuple
                if type(commId) is not want:
                    raise TypeError(f"Argument 'commId' has incorrect type (expected {want.__name__}, "
                                    f"got {type(commId).__name__})")
                if want is bytes:
                    if len(commId) != 128:
                        raise ValueError(f"commId length {len(commId)} != 128.")
                    key = commId
                else:
                    assert len(commId) == 128
                    for v in commId:
                        if not -128 <= v <= 127:
                            raise OverflowError("value too large to convert to char")
                    key = bytes(v & 0xFF for v in commId)
                if key not in outer._issued:
                    raise outer.NcclError("NCCL_ERROR_INVALID_ARGUMENT: a unique id get_unique_id never issued")
                if (ndev, rank) != (1, 0):
                    raise outer.NcclError("NCCL_ERROR_INVALID_USAGE: the stand-in's NCCL is a world of one")
                self._comm = next(_ptrs)
                self._dev = _st.device

            def _check(self):
                if not self._comm:
                    raise outer.NcclError("NCCL_ERROR_INVALID_ARGUMENT: the communicator was destroyed")

            def destroy(self):
                self._comm = None

            abort = destroy

            def device_id(self):
                self._check()
                return self._dev

            def rank_id(self):
                self._check()
                return 0

            def size(self):
                self._check()
                return 1

            def _copy(self, src, dst, count, datatype, stream):
                self._check()
                if not isinstance(stream, int):
                    raise TypeError(f"an integer is required (the stream's pointer), got {type(stream).__name__}")
                n = int(count) * outer._SIZES[datatype]
                outer._check_ptr(src, n)
                outer._check_ptr(dst, n)
                if src != dst and n:
                    _memmove(dst, src, n)

            def _peer(self, r):
                if r != 0:
                    raise outer.NcclError(f"NCCL_ERROR_INVALID_ARGUMENT: rank {r} in a world of one")

            def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):  # noqa: N802
                self._copy(sendbuf, recvbuf, count, datatype, stream)

            def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
                self._peer(root)
                self._copy(sendbuf, recvbuf, count, datatype, stream)

            def broadcast(self, sendbuff, recvbuff, count, datatype, root, stream):
                self._peer(root)
                self._copy(sendbuff, recvbuff, count, datatype, stream)

            def bcast(self, buff, count, datatype, root, stream):
                self._peer(root)
                self._copy(buff, buff, count, datatype, stream)

            def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):  # noqa: N802
                self._copy(sendbuf, recvbuf, recvcount, datatype, stream)

            def allGather(self, sendbuf, recvbuf, count, datatype, stream):  # noqa: N802
                self._copy(sendbuf, recvbuf, count, datatype, stream)

            def send(self, sendbuf, count, datatype, peer, stream):
                self._p2p(0, sendbuf, count, datatype, peer)

            def recv(self, recvbuf, count, datatype, peer, stream):
                self._p2p(1, recvbuf, count, datatype, peer)

            def _p2p(self, side, ptr, count, datatype, peer):
                self._check()
                self._peer(peer)
                n = int(count) * outer._SIZES[datatype]
                outer._check_ptr(ptr, n)
                if not outer._depth:
                    raise outer.NcclError("NCCL_ERROR_INVALID_USAGE: send and recv to oneself outside "
                                          "groupStart/groupEnd never complete")
                outer._pending[side].append((ptr, n))

        NcclCommunicator.__module__ = "strict_cupy.cuda.nccl"
        self.NcclCommunicator = NcclCommunicator

    def get_unique_id(self):
        raw = bytes(np.random.default_rng().integers(0, 256, 128, dtype=np.uint8))
        self._issued.add(raw)
        return raw if self._form == "bytes" else tuple(int(v) for v in np.frombuffer(raw, np.int8))

    def get_version(self):
        return 22809

    def get_build_version(self):
        return 22707

    def groupStart(self):  # noqa: N802
        self._depth += 1

    def groupEnd(self):  # noqa: N802
        if not self._depth:
            raise self.NcclError("NCCL_ERROR_INVALID_USAGE: groupEnd without groupStart")
        self._depth -= 1
        if self._depth:
            return
        sends, recvs = self._pending
        try:
            if len(sends) != len(recvs):
                raise self.NcclError(f"NCCL_ERROR_INVALID_USAGE: {len(sends)} send(s) and {len(recvs)} recv(s) "
                                     "to oneself in one group")
            for (src, n), (dst, m) in zip(sends, recvs):
                if n != m:
                    raise self.NcclError(f"NCCL_ERROR_INVALID_USAGE: a send of {n} bytes met a recv of {m}")
                if src != dst and n:
                    _memmove(dst, src, n)
        finally:
            del sends[:], recvs[:]

    def _check_ptr(self, ptr, n):
        """ptr..ptr+n inside one live stand-in array's memory, or the error a bad device pointer gives."""
        if not isinstance(ptr, int):
            raise TypeError(f"an integer is required (a device pointer), got {type(ptr).__name__}")
        for o in _live_arrays():
            root = _root(o._a)
            start = root.__array_interface__["data"][0]
            if start <= ptr and ptr + n <= start + root.nbytes:
                return
        raise self.NcclError(f"NCCL_ERROR_INVALID_ARGUMENT: {n} bytes at {ptr:#x} are not device memory")


cuda.nccl = _Nccl("strict_cupy.cuda.nccl")


def set_nccl_id_form(form):
    """"bytes": cupy.cuda.nccl as in CuPy 14 (the default); "tuple": as in CuPy 13 and older. Not a CuPy name."""
    if form not in ("bytes", "tuple"):
        raise ValueError(f"set_nccl_id_form takes 'bytes' or 'tuple', got {form!r}")
    cuda.nccl._form = form

# ------------------------------------------------------------------ kernels/*.cu on the host

_KERNEL = re.compile(r"XPT_KERNEL\((\w+)\)\(([^)]*)\)")
_PTR_DTYPE = {"float": np.float32, "double": np.float64, "xpt_u64": np.uint64, "long long": np.int64}
_SCALAR_TYPE = {"float": np.float32, "double": np.float64, "xpt_u64": np.uint64, "long long": np.int64,
                "int": np.int32}


def _params(text):
    out = []
    for p in text.split(","):
        p = p.strip().replace("const ", "")
        ctype, _, pname = p.rpartition(" ")
        if pname.startswith("*"):
            ctype, pname = ctype + "*", pname[1:]
        out.append((ctype.strip(), pname))
    return out


class _NvrtcError(Exception):
    pass


class _Nvrtc(types.ModuleType):
    """The NVRTC calls cuda_kernels.compile_program makes; 'compiling' keeps the source text."""

    NVRTCError = _NvrtcError

    @staticmethod
    def getVersion():
        return (0, 0)  # never collides with a real NVRTC in a cache key

    @staticmethod
    def getSupportedArchs():
        return (75, 80, 86, 89, 90)

    @staticmethod
    def createProgram(src, name, headers, include_names):
        if not isinstance(src, str):
            raise TypeError("source must be str")
        return {"src": src, "name": name}

    @staticmethod
    def compileProgram(prog, options):
        for o in options:
            if not isinstance(o, str) or not o.startswith("-"):
                raise _NvrtcError(f"bad option {o!r}")
        prog["options"] = tuple(options)

    @staticmethod
    def getProgramLog(prog):
        return ""

    @staticmethod
    def getCUBIN(prog):
        return prog["src"].encode()

    getPTX = getCUBIN

    @staticmethod
    def destroyProgram(prog):
        pass


cuda.nvrtc = _Nvrtc("strict_cupy.cuda.nvrtc")


class _Function:
    def __init__(self, name, params):
        self.name, self.params = name, params
        self.impl = _HOST_KERNELS.get(name)
        if self.impl is None:
            raise RuntimeError(f"the stand-in has no host implementation of kernel {name}")

    @_kernel
    def __call__(self, grid, block, args, shared_mem=0, stream=None):
        for dims, what in ((grid, "grid"), (block, "block")):
            if not isinstance(dims, tuple) or not 1 <= len(dims) <= 3 or not builtins.all(
                    type(d) is int and d >= 1 for d in dims):
                raise ValueError(f"{self.name}: {what} must be a tuple of 1 to 3 positive ints, got {dims!r}")
        threads = 1
        for d in block:
            threads *= d
        if threads > 1024:
            raise ValueError(f"{self.name}: {threads} threads per block (at most 1024)")
        if not isinstance(args, tuple) or len(args) != len(self.params):
            raise TypeError(f"{self.name}: {len(self.params)} arguments expected, got {args!r}")
        vec = self.name.endswith("_vec")
        for a, (ctype, pname) in zip(args, self.params):
            if ctype.endswith("*"):
                want = np.dtype(_PTR_DTYPE[ctype[:-1].strip()])
                if type(a) is not ndarray:
                    raise TypeError(f"{self.name}: pointer {pname} needs a device array, got {type(a)}")
                if a.dtype != want:
                    raise TypeError(f"{self.name}: pointer {pname} is {ctype}, got {a.dtype}")
                _here(a)
                if not (a._a.flags.c_contiguous or a._a.flags.f_contiguous):
                    raise ValueError(f"{self.name}: {pname} is not contiguous (raw kernels ignore strides)")
                if vec and a.data.ptr % 16:
                    raise ValueError(f"{self.name}: {pname} is not 16-byte aligned")
            else:
                want = _SCALAR_TYPE[ctype]
                if type(a) is not want:
                    raise TypeError(f"{self.name}: {ctype} {pname} needs numpy.{want.__name__}, got {type(a).__name__}")
        self.impl(*args)


class _Module:
    """cupy.cuda.function.Module: load() takes what getCUBIN returned (the source), get_function checks it."""

    def __init__(self):
        self._kernels = None

    def load(self, binary):
        src = binary.decode()
        self._kernels = {m.group(1): _params(m.group(2)) for m in _KERNEL.finditer(src)}

    def get_function(self, name):
        if name not in self._kernels:
            raise RuntimeError(f"CUDA_ERROR_NOT_FOUND: named symbol not found: {name}")
        return _Function(name, self._kernels[name])


cuda.function = types.ModuleType("strict_cupy.cuda.function")
cuda.function.Module = _Module


def _flat(a):
    """Memory-order flat view of a contiguous device array (what a raw kernel walks)."""
    return a._a.reshape(-1, order="F" if a._a.flags.f_contiguous and not a._a.flags.c_contiguous else "C")


def _k_relu_fwd(x, y, n):
    xv, yv = _flat(x)[:n], _flat(y)[:n]
    np.copyto(yv, xv)
    yv[xv < 0] = 0


def _k_relu_bwd(g, out, gx, n):
    gv, ov, xv = _flat(g)[:n], _flat(out)[:n], _flat(gx)[:n]
    keep = ~(ov <= 0)
    np.multiply(gv, 0, out=xv)
    xv[...] = 0
    np.copyto(xv, gv, where=keep)


def _k_bias_act(y, b, rows, cols, relu):
    v = y._a.reshape(int(rows), int(cols))
    v += b._a.reshape(-1)[: int(cols)]
    if relu:
        v[v < 0] = 0


class _At:
    """A generator positioned at a reserved (key0, key1, ctr0): what a philox.cu launch receives."""

    def __init__(self, key):
        self.key = key

    def _reserve(self, n):
        return self.key


def _philox(kind):
    def run(out, n, key0, key1, ctr0, *scalars):
        from xptorch import _random

        gen = _At((int(key0), int(key1), int(ctr0)))
        n = int(n)
        dtype = out.dtype
        if kind == "uniform":
            host = _random.Generator.uniform(gen, (n,), float(scalars[0]), float(scalars[1]), dtype=dtype)
        elif kind == "masked_uniform":
            host = _random.Generator.masked_uniform(gen, (n,), float(scalars[0]), float(scalars[1]), dtype=dtype)
        elif kind == "normal":
            host = _random.Generator.normal(gen, (n,), float(scalars[0]), float(scalars[1]), dtype=dtype)
        elif kind == "bernoulli":
            host = _random.Generator.bernoulli(gen, (n,), scalars[0], dtype=dtype)
        else:
            host = _random._positioned(int(key0), int(key1), int(ctr0)).bit_generator.random_raw(n)
        _flat(out)[:n] = host

    return run


_HOST_KERNELS = {}
for _sfx in ("f32", "f64"):
    for _v in ("", "_vec"):
        _HOST_KERNELS[f"xpt_relu_fwd_{_sfx}{_v}"] = _k_relu_fwd
        _HOST_KERNELS[f"xpt_relu_bwd_{_sfx}{_v}"] = _k_relu_bwd
        _HOST_KERNELS[f"xpt_bias_act_{_sfx}{_v}"] = _k_bias_act
    for _kind in ("uniform", "masked_uniform", "normal"):
        _HOST_KERNELS[f"xpt_{_kind}_{_sfx}"] = _philox(_kind)
_HOST_KERNELS["xpt_bernoulli_f32"] = _philox("bernoulli")
_HOST_KERNELS["xpt_random_raw"] = _philox("raw")

_THIS = sys.modules[__name__]

# Names private to the stand-in are not part of the CuPy surface the signature test checks.
STANDIN_ONLY = frozenset({"sync_count", "count_syncs", "STANDIN_ONLY", "events", "set_device_count",
                          "set_nccl_id_form", "cublas_gemm"})
