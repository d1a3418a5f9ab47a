"""Reading PyTorch's zip checkpoints (torch.save's default format) without torch and without running code.

The archive holds ``<name>/data.pkl``, a pickle of the saved object, and ``<name>/data/<key>``, one
entry of raw bytes per storage. The pickle is read by an unpickler that knows only the globals
PyTorch uses to rebuild tensors, Parameters, sizes, dtypes and devices, plain containers, and
the globals the user marked safe (``serialization.add_safe_globals``); any other global is refused
by name, with PyTorch's message, before anything is called. Tensors that shared a storage in
PyTorch come back as views of one array.
"""
import collections
import io
import pickle
import pickletools
import types
import zipfile
import zlib

import numpy as np

from . import _dtype
from ._device import CPU
from ._device import device as Device
from ._ops import _common as C
from ._size import Size
from ._tensor import Tensor
from .backend import transfer
from .serialization import MAX_DEPTH, _Targets, view

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_UNSUPPORTED_DTYPES = {
    "BFloat16Storage": "bfloat16",
    "bfloat16": "bfloat16",
    "ComplexFloatStorage": "complex64",
    "complex64": "complex64",
    "cfloat": "complex64",
    "ComplexDoubleStorage": "complex128",
    "complex128": "complex128",
    "cdouble": "complex128",
    "QInt8Storage": "qint8",
    "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32",
}
_TORCH_DTYPES = {
    "float32": _dtype.float32, "float": _dtype.float32, "float64": _dtype.float64, "double": _dtype.float64,
    "float16": _dtype.float16, "half": _dtype.float16, "int64": _dtype.int64, "long": _dtype.int64,
    "int32": _dtype.int32, "int": _dtype.int32, "int16": _dtype.int16, "short": _dtype.int16,
    "int8": _dtype.int8, "uint8": _dtype.uint8, "bool": _dtype.bool,
}
_BUILTINS = {
    "set": set, "frozenset": frozenset, "dict": dict, "list": list, "tuple": tuple,
    "bytearray": bytearray, "complex": complex,
}


class UnsafeGlobalError(pickle.UnpicklingError, ValueError):
    """A checkpoint's pickle names a global outside the allowed tensor-rebuilding set."""


class _Frozen:
    """Objects the pickle can reach must refuse BUILD, which would otherwise set their attributes."""

    __slots__ = ()

    def __setstate__(self, state):
        raise pickle.UnpicklingError(f"BUILD on a {type(self).__name__[1:]} is not allowed")


class _StorageType(_Frozen):
    __slots__ = ("dtype",)

    def __init__(self, dtype):
        object.__setattr__(self, "dtype", np.dtype(dtype))


class _Storage(_Frozen):
    __slots__ = ("host", "dtype", "numel", "device", "on_device")

    def __init__(self, host, dtype, numel, dev):
        for k, v in (("host", host), ("dtype", dtype), ("numel", numel), ("device", dev), ("on_device", None)):
            object.__setattr__(self, k, v)

    def array(self):
        if self.device is CPU:
            return self.host
        if self.on_device is None:
            object.__setattr__(self, "on_device", transfer(self.host, CPU, self.device))
        return self.on_device


class _Const(_Frozen):
    """Stands in for a shared singleton (a dtype, a device) until the result is checked."""

    __slots__ = ("value",)

    def __init__(self, value):
        object.__setattr__(self, "value", value)


def _latin1_encode(text, encoding="latin1"):
    # Protocol 2 writes bytes objects as _codecs.encode(str, 'latin1'); nothing else is allowed.
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed as encode(str, 'latin1')")
    return text.encode("latin1")


def _device_const(*args):
    return _Const(Device(*args))


def unsupported_global_message(full_path):
    """PyTorch's weights-only refusal text for a global, pointing at xptorch's allowlist functions."""
    if full_path.startswith("builtins"):  # PyTorch names builtins without their module
        rest = full_path[len("builtins"):]
        full_path = rest[1:] if rest.startswith(".") else "builtins" + rest
    return (
        "Weights only load failed. This file can still be loaded, to do so you have one option, "
        "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) xptorch.load never "
        "unpickles arbitrary objects, so `weights_only=False` is not available; to load with `weights_only=True` "
        "please check the recommended steps in the following error message.\n\tWeightsUnpickler error: "
        f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. "
        f"Please use `xptorch.serialization.add_safe_globals([{full_path}])` or the "
        f"`xptorch.serialization.safe_globals([{full_path}])` context manager to allowlist this global "
        "if you trust this class/function.\n\nCheck the documentation of torch.load to learn more about types "
        "accepted by default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
    )


def _open(f, name):
    try:
        return zipfile.ZipFile(f)
    except Exception as exc:  # zipfile reports damage as BadZipFile, OSError, EOFError, ValueError, ...
        raise ValueError(f"{name}: not a readable zip checkpoint ({type(exc).__name__}: {exc})") from None


def unsafe_globals(f, name, user_globals):
    """The "module.name" globals in checkpoint f's pickle that a load would refuse (read, not run)."""
    start = f.tell()
    if f.read(4) != b"PK\x03\x04":
        raise ValueError("Expected input to be a checkpoint returned by torch.save")
    f.seek(start)
    with _open(f, name) as zf:
        pkl = _read_entry(zf, f"{_prefix(zf, name)}/data.pkl", name, None)
    _prescan(pkl, name)
    safe = {f"{m}.{n}" for m, n in _Unpickler.default_names()} | set(user_globals)
    safe |= {f"torch.{n}" for n in _UNSUPPORTED_DTYPES}  # refused for their dtype, not as unsafe
    found = {arg.replace(" ", ".", 1) for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL"}
    return list(found - safe)


def load(f, name, map_location, user_globals=None):
    """The object in the zip checkpoint f (seekable binary file), tensors placed per map_location;
    user_globals ({"module.name": object}) are the globals marked safe."""
    user_globals = dict(user_globals or {})
    with _open(f, name) as zf:
        prefix = _prefix(zf, name)
        order = "little"
        if f"{prefix}/byteorder" in zf.NameToInfo:
            order = _read_entry(zf, f"{prefix}/byteorder", name, 16).decode("ascii", "replace")
            if order not in ("little", "big"):
                raise ValueError(f"{name}: unknown byteorder {order!r}")
        pkl = _read_entry(zf, f"{prefix}/data.pkl", name, None)
        _prescan(pkl, name)
        kind = _CheckedUnpickler if user_globals else _Unpickler
        u = kind(io.BytesIO(pkl), f, zf, prefix, name, order, _Targets(map_location), user_globals)
        try:
            obj = u.load()
        except (UnsafeGlobalError, _DeviceError):
            raise
        except Exception as exc:  # the pickle machine reports damage with many exception types
            if isinstance(exc, ValueError) and str(exc).startswith(f"{name}:"):
                raise
            raise ValueError(f"{name}: corrupt checkpoint pickle ({type(exc).__name__}: {exc})"[:1000]) from None
        return _Finisher(u.made, name, bool(user_globals)).run(obj)


class _DeviceError(RuntimeError):
    """A recorded device that cannot be used here: passes through as the RuntimeError it is."""


_MEMO_OPS = frozenset(("PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"))


def _prescan(data, name):
    """Parse every opcode first: a memo index far past the opcode count makes CPython's
    unpickler allocate (and clear) a memo table of that size, gigabytes from a few bytes."""
    count = 0
    try:
        for op, arg, _ in pickletools.genops(data):
            count += 1
            if op.name in _MEMO_OPS and not (type(arg) is int and 0 <= arg <= count):
                raise ValueError(f"memo index {arg!r} at opcode {count} is out of range")
    except ValueError as exc:
        raise ValueError(f"{name}: corrupt checkpoint pickle ({exc})"[:500]) from None


def _prefix(zf, name):
    for n in zf.namelist():
        head, sep, tail = n.partition("/")
        if sep and tail == "data.pkl":
            return head
    raise ValueError(f"{name}: zip archive without a data.pkl record: not a PyTorch checkpoint")


def _read_entry(zf, entry, name, limit):
    try:
        info = zf.getinfo(entry)
    except KeyError:
        raise ValueError(f"{name}: checkpoint lacks the record {entry!r}") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{name}: record {entry!r} is compressed; PyTorch checkpoints store records uncompressed")
    if limit is not None and info.file_size > limit:
        raise ValueError(f"{name}: record {entry!r} is {info.file_size} bytes, expected at most {limit}")
    _check_fits(zf.fp, info, info.file_size, name)
    try:
        return zf.read(info)
    except Exception as exc:  # damage, CRC mismatch, or flags zipfile refuses (encryption: RuntimeError)
        raise ValueError(f"{name}: record {entry!r} is unreadable ({type(exc).__name__}: {exc})") from None


def _check_fits(f, info, nbytes, name, header=0):
    """Refuse a record that claims more bytes than the file holds, before anything is allocated."""
    pos = f.tell()
    size = f.seek(0, io.SEEK_END)
    f.seek(pos)
    if info.header_offset + 30 + header + nbytes > size:
        raise ValueError(
            f"{name}: record {info.filename!r} claims {nbytes} bytes, more than the {size}-byte file holds"
        )


def _read_storage(f, info, nbytes, name):
    """A storage record's bytes, read straight from the archive into a fresh array, CRC-checked."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{name}: record {info.filename!r} is compressed; PyTorch checkpoints store records uncompressed")
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise ValueError(f"{name}: record {info.filename!r} has a damaged local header")
    name_len, extra_len = int.from_bytes(local[26:28], "little"), int.from_bytes(local[28:30], "little")
    if name_len != len(info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace")):
        raise ValueError(f"{name}: record {info.filename!r} has a damaged local header")
    _check_fits(f, info, nbytes, name, name_len + extra_len)
    f.seek(info.header_offset + 30 + name_len + extra_len)
    buf = np.empty(nbytes, np.uint8)
    mv, got = memoryview(buf), 0
    while got < nbytes:
        k = f.readinto(mv[got:])
        if not k:
            raise ValueError(f"{name}: record {info.filename!r} is truncated")
        got += k
    if zlib.crc32(buf) != info.CRC:
        raise ValueError(f"{name}: record {info.filename!r} fails its CRC check: the file is corrupt")
    return buf


class _Rebuilder:
    """Globals, storages and tensor rebuilding shared by both unpicklers below."""

    def __init__(self, file, f, zf, prefix, name, order, targets, user_globals):
        super().__init__(file)
        self.f, self.zf, self.prefix, self.name, self.order, self.targets = f, zf, prefix, name, order, targets
        self.user_globals = user_globals
        self.storages = {}
        self.made = {}  # id(tensor) -> (tensor, array, device, requires_grad): checked after loading
        self.allowed = self._defaults()

    @staticmethod
    def default_names():
        """The (module, name) pairs allowed without the user's say."""
        return _Rebuilder._defaults(types.SimpleNamespace(rebuild_tensor=None, rebuild_parameter=None)).keys()

    def _defaults(self):
        allowed = {
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("collections", "Counter"): collections.Counter,
            ("_codecs", "encode"): _latin1_encode,
            ("torch._utils", "_rebuild_tensor_v2"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): self.rebuild_parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): self.rebuild_parameter,
            ("torch", "Size"): Size,
            ("torch", "device"): _device_const,
        }
        for mod in ("builtins", "__builtin__"):
            allowed.update({(mod, k): v for k, v in _BUILTINS.items()})
        for k, dt in _STORAGE_DTYPES.items():
            allowed[("torch", k)] = _StorageType(dt)
        for k, dt in _TORCH_DTYPES.items():
            allowed[("torch", k)] = _Const(dt)
        return allowed

    def find_class(self, module, name):
        obj = self.allowed.get((module, name))
        if obj is None:
            obj = self.user_globals.get(f"{module}.{name}")
        if obj is None and module == "torch" and name in _UNSUPPORTED_DTYPES:
            raise ValueError(
                f"{self.name}: the checkpoint holds {_UNSUPPORTED_DTYPES[name]} tensors, a dtype xptorch does not "
                "support; convert them in PyTorch first (for example to float32) and save again"
            )
        if obj is None:
            raise UnsafeGlobalError(unsupported_global_message(f"{module}.{name}"))
        return obj

    def persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != 5 or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}"[:200])
        _, stype, key, location, numel = pid
        if type(stype) is not _StorageType or type(key) is not str or type(location) is not str:
            raise pickle.UnpicklingError(f"malformed storage reference {pid!r}"[:200])
        if type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError(f"malformed storage size {numel!r}"[:200])
        s = self.storages.get(key)
        if s is not None:
            if s.dtype != stype.dtype or s.numel != numel:
                raise pickle.UnpicklingError(f"storage {key!r} is referenced with two different types or sizes")
            return s
        try:
            dev = self.targets(location, self.name)
        except RuntimeError as exc:
            raise _DeviceError(str(exc)) from None
        entry = f"{self.prefix}/data/{key}"
        nbytes = numel * stype.dtype.itemsize
        try:
            info = self.zf.getinfo(entry)
        except KeyError:
            raise ValueError(f"{self.name}: checkpoint lacks the storage record {entry!r}"[:300]) from None
        if info.file_size != nbytes:
            raise ValueError(
                f"{self.name}: storage record {entry!r} holds {info.file_size} bytes, "
                f"its {numel} elements of {stype.dtype.name} need {nbytes}"
            )
        host = _read_storage(self.f, info, nbytes, self.name)
        if self.order == "big" and stype.dtype.itemsize > 1:
            host.view(stype.dtype).byteswap(inplace=True)
        s = self.storages[key] = _Storage(host, stype.dtype, numel, dev)
        return s

    def rebuild_tensor(self, storage, offset, size, stride, requires_grad, hooks, metadata=None):
        if type(storage) is not _Storage:
            raise pickle.UnpicklingError("a tensor must be rebuilt from a storage")
        ok = (
            type(offset) is int and offset >= 0
            and isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride) <= 64
            and all(type(d) is int and d >= 0 for d in size) and all(type(s) is int and s >= 0 for s in stride)
            and type(requires_grad) is bool and not hooks
        )
        if not ok:
            raise pickle.UnpicklingError(f"malformed tensor: offset {offset!r}, size {size!r}, stride {stride!r}"[:300])
        numel = 1
        for d in size:
            numel *= d
        last = offset + sum((d - 1) * s for d, s in zip(size, stride)) if numel else offset - 1
        if last >= storage.numel:
            raise ValueError(
                f"{self.name}: a tensor of size {list(size)}, stride {list(stride)} at offset {offset} "
                f"reaches outside its storage of {storage.numel} elements"
            )
        dt = storage.dtype
        if requires_grad and dt.kind != "f":
            raise ValueError(f"{self.name}: a {dt.name} tensor cannot require grad")
        arr = view(storage.array(), offset * dt.itemsize, size, tuple(s * dt.itemsize for s in stride), dt)
        t = C.wrap(arr, storage.device)
        t._rg = requires_grad
        self.made[id(t)] = (t, arr, storage.device, requires_grad)
        return t

    def rebuild_parameter(self, data, requires_grad, hooks, state=None):
        # Python attributes a Parameter carried (state) are not restored: they could be anything.
        from .nn.parameter import Parameter

        entry = self.made.get(id(data))
        if entry is None or entry[0] is not data or type(requires_grad) is not bool or hooks:
            raise pickle.UnpicklingError("a Parameter must be rebuilt from a tensor")
        if requires_grad and data._data.dtype.kind != "f":
            raise ValueError(f"{self.name}: a {data._data.dtype.name} Parameter cannot require grad")
        p = Parameter(data, requires_grad=requires_grad)
        self.made[id(p)] = (p, data._data, data._device, requires_grad)
        return p


class _Unpickler(_Rebuilder, pickle.Unpickler):
    """The fast path: only the default globals, none of which can build foreign objects."""


def _wo_error(message):
    return UnsafeGlobalError(f"Weights only load failed. WeightsUnpickler error: \n\n{message}")


class _CheckedUnpickler(_Rebuilder, pickle._Unpickler):
    """With user-marked globals: PyTorch's weights-only checks on every opcode that calls or builds."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def _ok(self, obj):
        return any(obj is v for v in self.allowed.values()) or any(obj is v for v in self.user_globals.values())

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if not self._ok(cls):
            raise _wo_error(
                f"Can only create new object for nn.Parameter or classes allowlisted via `add_safe_globals` but got {cls}"
            )
        self.append(cls.__new__(cls, *args))

    def load_reduce(self):
        func = self.stack[-2]
        if not self._ok(func):
            msg = f"Trying to call reduce for unrecognized function {func}"
            if hasattr(func, "__self__"):
                msg += f" which belongs to {func.__self__}"
            raise _wo_error(msg)
        pickle._Unpickler.load_reduce(self)

    def load_build(self):
        inst = self.stack[-2]
        t = type(inst)
        if not (isinstance(inst, (_Frozen, Tensor)) or t is collections.OrderedDict or self._ok(t)):
            raise _wo_error(
                f"Can only build Tensor, Parameter, OrderedDict or types allowlisted via `add_safe_globals`, but got {t}"
            )
        pickle._Unpickler.load_build(self)

    def load_append(self):
        if type(self.stack[-2]) is not list:
            raise _wo_error(f"Can only append to lists, but got {type(self.stack[-2])}")
        pickle._Unpickler.load_append(self)

    def load_appends(self):
        target = self.metastack[-1][-1] if self.metastack and self.metastack[-1] else None
        if type(target) is not list:
            raise _wo_error(f"Can only extend lists, but got {type(target)}")
        pickle._Unpickler.load_appends(self)

    def _set_target(self, target, opcode):
        if type(target) not in (dict, collections.OrderedDict, collections.Counter):
            raise _wo_error(
                f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, but got {type(target)}"
            )

    def load_setitem(self):
        self._set_target(self.stack[-3], "SETITEM")
        pickle._Unpickler.load_setitem(self)

    def load_setitems(self):
        target = self.metastack[-1][-1] if self.metastack and self.metastack[-1] else None
        self._set_target(target, "SETITEMS")
        pickle._Unpickler.load_setitems(self)

    for _op, _fn in ((pickle.NEWOBJ, load_newobj), (pickle.REDUCE, load_reduce), (pickle.BUILD, load_build),
                     (pickle.APPEND, load_append), (pickle.APPENDS, load_appends),
                     (pickle.SETITEM, load_setitem), (pickle.SETITEMS, load_setitems)):
        dispatch[_op[0]] = _fn
    del _op, _fn


class _Finisher:
    """Swaps stand-ins for their singletons and checks that no BUILD tampered with a tensor."""

    _PLAIN = (type(None), bool, int, float, str, bytes, bytearray, complex)
    _OPAQUE = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType)

    def __init__(self, made, name, user_objects):
        self.made, self.name = made, name
        self.user_objects = user_objects  # marked-safe globals may have made objects of any type
        self.memo, self.busy = {}, set()

    def run(self, obj):
        return self.fix(obj, 0)

    def fix(self, x, depth):
        t = type(x)
        if t in self._PLAIN or t is Size:
            return x
        if t is _Const:
            return x.value
        if isinstance(x, Tensor):
            self.check(x)
            return x
        if depth >= MAX_DEPTH:
            raise ValueError(f"{self.name}: the checkpoint is nested more than {MAX_DEPTH} levels deep")
        done = self.memo.get(id(x))
        if done is not None:
            return done
        if id(x) in self.busy:
            raise ValueError(f"{self.name}: the checkpoint contains a reference cycle through a tuple")
        d = depth + 1
        if t is list:
            out = self.memo[id(x)] = []
            out.extend(self.fix(v, d) for v in x)
            return out
        if t is dict or t is collections.OrderedDict or t is collections.Counter:
            out = self.memo[id(x)] = t()
            for k, v in x.items():
                out[self.key(k, d)] = self.fix(v, d)
            meta = getattr(x, "_metadata", None)
            if t is collections.OrderedDict and meta is not None:
                out._metadata = self.fix(meta, d)  # PyTorch's state_dict version record
            return out
        self.busy.add(id(x))
        try:
            if t is tuple:
                out = tuple(self.fix(v, d) for v in x)
            elif t is set or t is frozenset:
                out = t(self.key(v, d) for v in x)
            elif self.user_objects:
                out = self.user_object(x, d)
            else:
                raise ValueError(f"{self.name}: unexpected object of type {t.__name__} in the checkpoint")
        finally:
            self.busy.discard(id(x))
        self.memo[id(x)] = out
        return out

    def user_object(self, x, depth):
        """An object a marked-safe global made: kept as it is, its attributes' stand-ins replaced."""
        self.memo[id(x)] = x
        attrs = getattr(x, "__dict__", None)
        if isinstance(x, self._OPAQUE) or type(attrs) is not dict:
            return x
        for k, v in list(attrs.items()):
            new = self.fix(v, depth)
            if new is not v:
                attrs[k] = new
        return x

    def key(self, k, depth):
        k = self.fix(k, depth)
        try:
            hash(k)
        except TypeError:
            raise ValueError(f"{self.name}: unhashable key of type {type(k).__name__} in the checkpoint") from None
        return k

    def check(self, t):
        entry = self.made.get(id(t))
        if (
            entry is None or entry[0] is not t or t.__dict__ or t._data is not entry[1]
            or t._device is not entry[2] or t._rg is not entry[3] or t.grad_fn is not None
        ):
            raise ValueError(f"{self.name}: a tensor in the checkpoint was altered after it was built")
