"""save and load: safetensors files that keep Python structure, dtypes, devices and shared memory.

A file is a standard safetensors file (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length N, N bytes of JSON naming each stored array's dtype, shape and byte
range, then the bytes. The object's structure (containers, which tensor is where, each tensor's
offset/shape/strides into a stored array, its device and requires_grad) is JSON under the
header's ``__metadata__["xptorch"]``. Nothing is ever unpickled.

Sharing: tensors whose arrays come from one allocation are written once. A storage holding a
single layout (a tensor, or one tensor under several keys) is written as that tensor, under its
key; several layouts of one allocation (a tensor and its transpose, slices of one base) are
written as the span of bytes they cover, and load back as views of one array.

PyTorch: a flat ``{name: Tensor}`` dict whose tensors share no memory (an ordinary state_dict)
gives a file that ``safetensors.torch.load_file`` reads as that state_dict. Tied or overlapping
entries are stored once, which PyTorch cannot express; ``save_safetensors`` writes every key as
its own copy instead, for PyTorch and Hugging Face tools. ``load`` also reads plain safetensors
files (as an OrderedDict of tensors) and PyTorch's zip checkpoints (see ``_pt_reader``).
"""
import collections
import io
import json
import os

import numpy as np

from . import _dtype
from ._device import CPU, canonical
from ._device import device as Device
from ._ops import _common as C
from ._size import Size
from ._staging import staging_name, sweep_stale
from ._tensor import Tensor
from .backend import get_array_module, transfer

__all__ = [
    "save", "load", "save_safetensors", "add_safe_globals", "safe_globals", "get_safe_globals",
    "clear_safe_globals", "get_unsafe_globals_in_checkpoint",
]

MAX_HEADER = 100_000_000  # the reference implementation's limit
MAX_DEPTH = 256
_MAX_DIMS = 64  # NumPy's limit
_INT64_MAX = 2 ** 63 - 1
# An overlapping (stride-0) view may describe far more elements than its storage holds; any op on
# it materialises them. Such views above 64 MiB and 64 times their storage are refused on load.
_MAX_VIEW_RATIO = 64
_MAX_VIEW_FREE = 1 << 26
_META_KEY = "xptorch"
_VERSION = 1

_ST_DTYPES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "I16": np.dtype(np.int16),
    "I32": np.dtype(np.int32),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
}
_NP_BY_NAME = {d.name: d.np for d in _dtype.ALL}
_CONTAINER_TAGS = {list: "list", tuple: "tuple", dict: "dict", collections.OrderedDict: "odict"}


def _safetensors_numpy():
    try:
        import safetensors.numpy as st
    except ImportError as exc:
        raise ImportError(
            "xptorch.save needs the 'safetensors' package: pip install 'xptorch[io]'"
        ) from exc
    return st


# ---- save ------------------------------------------------------------------------------------------


def save(obj, f):
    """Write obj (tensors, Parameters, dict/OrderedDict/list/tuple/str/int/float/bool/None,
    Size, dtype, device, nested) to f, a path or a writable binary file."""
    st = _safetensors_numpy()
    enc = _Encoder()
    root = enc.node(obj, 0, ())
    arrays, specs = enc.storages()
    doc = {"version": _VERSION, "tensors": specs, "object": root}
    meta = {"format": "pt", _META_KEY: json.dumps(doc, separators=(",", ":"))}
    _write(st, arrays, meta, f)


def save_safetensors(tensors, f, metadata=None):
    """Write a flat {str: Tensor} mapping as a plain safetensors file for PyTorch and Hugging Face.

    Every key gets its own copy of its values (tied or overlapping tensors are written once per
    key), as ``safetensors.torch.load_file`` and ``load_state_dict`` expect; no xptorch structure
    is recorded, so ``load`` returns an OrderedDict of plain tensors.
    """
    st = _safetensors_numpy()
    if not isinstance(tensors, collections.abc.Mapping):
        raise TypeError(f"save_safetensors expects a mapping of str to Tensor, got {type(tensors).__name__}")
    meta = {"format": "pt"}
    if metadata is not None:
        if not isinstance(metadata, collections.abc.Mapping) or not all(
            type(k) is str and type(v) is str for k, v in metadata.items()
        ):
            raise TypeError("save_safetensors: metadata must map str to str")
        meta.update(metadata)
    arrays = {}
    for k, t in tensors.items():
        if type(k) is not str:
            raise TypeError(f"save_safetensors: keys must be str, got {type(k).__name__} ({k!r})")
        if not isinstance(t, Tensor):
            raise TypeError(f"save_safetensors: value for {k!r} must be a Tensor, got {type(t).__name__}")
        arrays[k] = _host_contiguous(t._data)
    _write(st, arrays, meta, f)


_TMP_PREFIX = ".xptorch-save-"


def _write(st, arrays, meta, f):
    if not isinstance(f, (str, os.PathLike)):
        if not hasattr(f, "write"):
            raise TypeError(f"save: f must be a path or a writable binary file, got {type(f).__name__}")
        f.write(_serialize(st.save, arrays, meta))
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path}: it is a folder")
    # Written beside the target and renamed into place: a killed save never leaves a half file at
    # `path`, and its named temporary is removed by the next save into the folder.
    tmp = os.path.join(folder, staging_name(_TMP_PREFIX) + ".tmp")
    try:
        _serialize(st.save_file, arrays, meta, tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    sweep_stale(folder, _TMP_PREFIX)


def _serialize(write, arrays, meta, *path):
    try:
        return write(arrays, *path, metadata=meta)
    except Exception as exc:  # the library's own error class must not reach the user
        if isinstance(exc, (TypeError, MemoryError, OSError)):
            raise
        raise RuntimeError(f"save: could not write the tensors: {exc}") from None


def _host_contiguous(arr):
    """A C-contiguous NumPy copy of arr's values (arr itself when already one): the library reads raw memory."""
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")  # not ascontiguousarray: it turns 0-d arrays into 1-d ones
    return arr if isinstance(arr, np.ndarray) else arr.get()


def _ptr(arr):
    return arr.ctypes.data if isinstance(arr, np.ndarray) else arr.data.ptr


def _extent(shape, strides, itemsize):
    """(low, high) byte offsets of a strided array's memory relative to its first element; None if empty."""
    lo = hi = 0
    for n, s in zip(shape, strides):
        if n == 0:
            return None
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + itemsize


def _owner(arr):
    """(key, flat uint8 view of the whole allocation arr lives in), or None when that is not dense."""
    xp = get_array_module(arr)
    r = arr
    while isinstance(r.base, xp.ndarray):
        r = r.base
    if r.base is not None:
        return None  # memory owned by a foreign object (a DLPack producer, a buffer): no shared view
    if r.flags.c_contiguous:
        flat = r.reshape(-1)
    elif r.flags.f_contiguous:
        flat = r.T.reshape(-1)
    else:
        return None
    return id(r), flat.view(xp.uint8)


def _component(key):
    """A dict key as part of a storage name: its text for plain keys, its type's name otherwise."""
    return str(key) if key is None or type(key) in (str, int, float, bool) else type(key).__name__


class _Encoder:
    """Turns an object tree into JSON-ready nodes and groups its tensors by the memory they use."""

    def __init__(self):
        self.index = {}  # id(Tensor) -> position in self.tensors
        self.tensors = []
        self.paths = []  # where each tensor was first met, for storage names
        self.active = set()  # containers on the current path: a cycle check

    def node(self, x, depth, path):
        t = type(x)
        if x is None or t is bool or t is int or t is float or t is str:
            return x
        if isinstance(x, Tensor):
            if getattr(x, "_is_lazy", False):
                # Its shape is not known yet: writing its placeholder would load back as a real empty tensor.
                raise ValueError(
                    f"save: {'.'.join(path) or 'obj'} is an {type(x).__name__}; run a forward pass (or "
                    "load_state_dict) on the lazy module before saving it"
                )
            i = self.index.get(id(x))
            if i is None:
                i = self.index[id(x)] = len(self.tensors)
                self.tensors.append(x)
                self.paths.append(path)
            return {"tensor": i}
        if t is Size:
            return {"size": list(x)}
        if t is _dtype.dtype:
            return {"dtype": x.name}
        if t is Device:
            return {"device": str(x)}
        tag = _CONTAINER_TAGS.get(t)
        if tag is None:
            raise TypeError(
                f"save: cannot serialize an object of type {t.__module__}.{t.__qualname__}; supported are "
                "Tensor, Parameter, dict, OrderedDict, list, tuple, str, int, float, bool, None, Size, dtype, device"
            )
        if depth >= MAX_DEPTH:
            raise ValueError(f"save: obj is nested more than {MAX_DEPTH} levels deep")
        if id(x) in self.active:
            raise ValueError(f"save: obj contains a reference cycle (a {t.__name__} inside itself)")
        self.active.add(id(x))
        try:
            if tag in ("list", "tuple"):
                out = [self.node(v, depth + 1, path + (str(i),)) for i, v in enumerate(x)]
            else:
                out = [[self.node(k, depth + 1, path), self.node(v, depth + 1, path + (_component(k),))] for k, v in x.items()]
        finally:
            self.active.discard(id(x))
        return {tag: out}

    def storages(self):
        """({storage name: contiguous host array}, [tensor spec]) with shared memory written once."""
        groups = {}  # allocation key -> {layout key: [tensor indices]}
        owners = {}
        for i, t in enumerate(self.tensors):
            a = t._data
            own = _owner(a) if a.size else None
            if own is None:
                key, layout = ("array", id(a)), None
            else:
                key, layout = ("alloc", own[0]), (_ptr(a), a.shape, a.strides, a.dtype.str)
                owners[key] = own[1]
            groups.setdefault(key, {}).setdefault(layout, []).append(i)
        arrays, specs, used = {}, [None] * len(self.tensors), set()
        for key, layouts in groups.items():
            if len(layouts) == 1:
                self._single(next(iter(layouts.values())), arrays, specs, used)
            else:
                self._span(owners[key], layouts, arrays, specs, used)
        return arrays, specs

    def _name(self, i, used, suffix=""):
        name = (".".join(self.paths[i]) or "tensor") + suffix
        base, k = name, 1
        while name in used:
            name, k = f"{base}.{k}", k + 1
        used.add(name)
        return name

    def _spec(self, i, storage, offset, shape, strides):
        t = self.tensors[i]
        return {
            "storage": storage,
            "offset": int(offset),
            "shape": list(shape),
            "strides": list(strides),
            "dtype": t._data.dtype.name,
            "device": str(t._device),
            "requires_grad": bool(t._rg),
            "parameter": bool(getattr(t, "_is_param", False)),
        }

    def _single(self, idx, arrays, specs, used):
        # One layout: store the values themselves, contiguous, under the first key.
        host = _host_contiguous(self.tensors[idx[0]]._data)
        name = self._name(idx[0], used)
        arrays[name] = host
        for i in idx:
            specs[i] = self._spec(i, name, 0, host.shape, host.strides)

    def _span(self, flat, layouts, arrays, specs, used):
        # Several layouts of one allocation: store the bytes they cover once; each is a view into them.
        base = _ptr(flat)
        bounds = {}
        for lay, idx in layouts.items():
            a = self.tensors[idx[0]]._data
            lo, hi = _extent(a.shape, a.strides, a.dtype.itemsize)
            bounds[lay] = (lay[0] + lo, lay[0] + hi)
        lo = min(b[0] for b in bounds.values())
        hi = max(b[1] for b in bounds.values())
        span = flat[lo - base:hi - base]
        host = span if isinstance(span, np.ndarray) else span.get()
        # A contiguous tensor covering the span names the storage and gives it its dtype and shape.
        whole = [
            idx[0] for lay, idx in layouts.items()
            if bounds[lay] == (lo, hi) and self.tensors[idx[0]]._data.flags.c_contiguous
        ]
        if whole:
            a = self.tensors[min(whole)]._data
            host = host.view(a.dtype).reshape(a.shape)
            name = self._name(min(whole), used)
        else:
            name = self._name(min(i for idx in layouts.values() for i in idx), used, ".storage")
        arrays[name] = host
        for lay, idx in layouts.items():
            a = self.tensors[idx[0]]._data
            for i in idx:
                specs[i] = self._spec(i, name, lay[0] - lo, a.shape, a.strides)


# ---- globals a weights-only load may use -----------------------------------------------------------

# Process-wide, as in PyTorch: classes and functions the user trusts a checkpoint's pickle to name.
_marked_safe_globals = set()


def add_safe_globals(safe_globals):
    """Mark classes/functions (or ``(obj, "module.qualname")`` pairs) as safe for ``load``.

    A PyTorch checkpoint whose pickle names one of them then loads with ``weights_only=True``.
    """
    global _marked_safe_globals
    _marked_safe_globals = _marked_safe_globals.union(set(safe_globals))


def get_safe_globals():
    """The classes/functions added with ``add_safe_globals`` or an active ``safe_globals``."""
    return list(_marked_safe_globals)


def clear_safe_globals():
    """Forget every global added with ``add_safe_globals``."""
    global _marked_safe_globals
    _marked_safe_globals = set()


class safe_globals:
    """Context manager: the given globals are safe for ``load`` inside the ``with`` block."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        global _marked_safe_globals
        _marked_safe_globals = _marked_safe_globals - set(self.safe_globals)


def _user_allowed_globals():
    """{"module.name": object} for the marked globals, checking the ``(obj, name)`` form."""
    out = {}
    for g in _marked_safe_globals:
        if isinstance(g, tuple):
            if len(g) != 2:
                raise ValueError(
                    f"Expected tuple of length 2 (global, str of callable full path), but got tuple of length: {len(g)}"
                )
            if type(g[1]) is not str:
                raise TypeError(
                    f"Expected second item in tuple to be str of callable full path, but got: {type(g[1])}"
                )
            out[g[1]] = g[0]
        else:
            out[f"{g.__module__}.{g.__qualname__}"] = g
    return out


def get_unsafe_globals_in_checkpoint(f):
    """Names ("module.name") of the globals in a torch.save checkpoint's pickle that ``load`` would
    refuse: neither allowed by default nor marked safe. The pickle is read, never run."""
    from . import _pt_reader

    if isinstance(f, (str, os.PathLike)):
        with open(os.fspath(f), "rb") as fh:
            return _pt_reader.unsafe_globals(fh, os.fspath(f), _user_allowed_globals())
    if not hasattr(f, "read"):
        raise TypeError(f"get_unsafe_globals_in_checkpoint: f must be a path or a readable binary file, got {type(f).__name__}")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _pt_reader.unsafe_globals(f, getattr(f, "name", "<file>"), _user_allowed_globals())


# ---- load ------------------------------------------------------------------------------------------


def load(f, map_location=None, *, weights_only=None):
    """Read what save wrote, a plain safetensors file, or a PyTorch zip checkpoint (.pt/.pth).

    f: a path or a readable binary file. map_location: None (the devices recorded in the file),
    'cpu', 'cuda', 'cuda:N', an xptorch.device, or a dict mapping recorded device strings to
    devices. Nothing is unpickled beyond tensors and plain containers (and, in PyTorch checkpoints,
    the globals marked with ``add_safe_globals``/``safe_globals``), so weights_only is always in
    effect; passing weights_only=False is refused. A malformed file raises ValueError.
    """
    if weights_only is False:
        raise ValueError("xptorch.load never unpickles arbitrary objects; weights_only=False is not supported")
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with open(name, "rb") as fh:
            return _load_from(fh, name, map_location)
    if not hasattr(f, "read"):
        raise TypeError(f"load: f must be a path or a readable binary file, got {type(f).__name__}")
    name = getattr(f, "name", None)
    name = name if isinstance(name, str) else f"<{type(f).__name__}>"
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_from(f, name, map_location)


def _load_from(f, name, map_location):
    start = f.tell()
    size = f.seek(0, os.SEEK_END) - start
    f.seek(start)
    head = f.read(9)
    f.seek(start)
    if head[:4] == b"PK\x03\x04":
        from . import _pt_reader

        return _pt_reader.load(f, name, map_location, _user_allowed_globals())
    looks_safetensors = len(head) == 9 and head[8:] == b"{" and 8 + int.from_bytes(head[:8], "little") <= size
    if not looks_safetensors and head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise ValueError(
            f"{name}: a bare pickle (PyTorch's legacy format, or another program's) is not read; "
            "re-save it with torch.save's default zip format or as safetensors"
        )
    entries, meta, data_start = _read_header(f, name, size)
    specs, root = _plan(entries, meta, name)
    _decode(root, [object() for _ in specs], 0, name)  # validates the structure before any data is read
    targets = _Targets(map_location)
    devices = [targets(s[5], name) for s in specs]
    host = {}
    for s in specs:
        if s[0] not in host:
            host[s[0]] = _read_bytes(f, name, data_start, entries[s[0]])
    return _decode(root, _build(specs, devices, host), 0, name)


class _Entry:
    __slots__ = ("dtype", "shape", "begin", "end")

    def __init__(self, dtype, shape, begin, end):
        self.dtype, self.shape, self.begin, self.end = dtype, shape, begin, end


def _bad(name, msg):
    return ValueError(f"{name}: invalid file: {msg}")


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _parse_json(raw, name, what):
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise _bad(name, f"{what} is nested too deeply") from None
    except ValueError as exc:
        raise _bad(name, f"{what} is not valid JSON ({exc})") from None


def _is_int(x):
    return type(x) is int


def _check_shape(shape, itemsize, name, where):
    if type(shape) is not list or len(shape) > _MAX_DIMS or not all(_is_int(d) for d in shape):
        raise _bad(name, f"{where}: shape must be a list of at most {_MAX_DIMS} integers, got {shape!r}"[:300])
    n = itemsize
    for d in shape:
        if d < 0:
            raise _bad(name, f"{where}: negative dimension {d} in shape {shape}")
        n *= max(d, 1)
        if n > _INT64_MAX:
            raise _bad(name, f"{where}: shape {shape} has too many elements"[:300])
    return tuple(shape)


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _read_header(f, name, size):
    """Validate the safetensors header completely before anything is allocated for data."""
    if size < 8:
        raise _bad(name, f"the file is {size} bytes, shorter than the 8-byte header length")
    n = int.from_bytes(f.read(8), "little")
    if n > MAX_HEADER:
        raise _bad(name, f"header length {n} exceeds the {MAX_HEADER}-byte limit")
    if 8 + n > size:
        raise _bad(name, f"header length {n} runs past the end of the file ({size} bytes): truncated")
    raw = f.read(n)
    if len(raw) != n:
        raise _bad(name, "the header is truncated")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(name, f"the header is not UTF-8 ({exc})") from None
    header = _parse_json(text, name, "the header")
    if type(header) is not dict:
        raise _bad(name, f"the header must be a JSON object, got {type(header).__name__}")
    meta = header.pop("__metadata__", None)
    if meta is not None and (type(meta) is not dict or not all(type(v) is str for v in meta.values())):
        raise _bad(name, "__metadata__ must map strings to strings")
    data_len = size - 8 - n
    entries = {}
    for key, info in header.items():
        where = f"tensor {key!r}"
        if type(info) is not dict or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _bad(name, f"{where} must have exactly dtype, shape and data_offsets")
        dt = _ST_DTYPES.get(info["dtype"]) if type(info["dtype"]) is str else None
        if dt is None:
            raise _bad(name, f"{where} has unsupported dtype {info['dtype']!r}"[:300])
        shape = _check_shape(info["shape"], dt.itemsize, name, where)
        offs = info["data_offsets"]
        if type(offs) is not list or len(offs) != 2 or not all(_is_int(o) for o in offs):
            raise _bad(name, f"{where}: data_offsets must be two integers, got {offs!r}"[:300])
        begin, end = offs
        if not 0 <= begin <= end <= data_len:
            raise _bad(name, f"{where}: data_offsets {offs} out of range for a {data_len}-byte data section")
        if _numel(shape) * dt.itemsize != end - begin:
            raise _bad(
                name, f"{where}: shape {list(shape)} of {info['dtype']} needs {_numel(shape) * dt.itemsize} bytes, "
                f"data_offsets give {end - begin}"
            )
        entries[key] = _Entry(dt, shape, begin, end)
    pos = 0
    for key in sorted(entries, key=lambda k: (entries[k].begin, entries[k].end)):
        e = entries[key]
        if e.begin != pos:
            what = "overlaps the previous tensor" if e.begin < pos else f"leaves a gap after byte {pos}"
            raise _bad(name, f"tensor {key!r} at bytes {e.begin}..{e.end} {what}")
        pos = e.end
    if pos != data_len:
        raise _bad(name, f"the tensors cover {pos} bytes of a {data_len}-byte data section")
    return entries, meta, 8 + n


def _plan(entries, meta, name):
    """(tensor specs, structure root) from our metadata, or a plain OrderedDict for foreign files.

    A spec is (storage, byte offset, shape, byte strides, NumPy dtype, device string, requires_grad, is_parameter).
    """
    raw = None if meta is None else meta.get(_META_KEY)
    if raw is None:
        specs = [
            (k, 0, e.shape, _c_strides(e.shape, e.dtype.itemsize), e.dtype, "cpu", False, False)
            for k, e in entries.items()
        ]
        return specs, {"odict": [[k, {"tensor": i}] for i, k in enumerate(entries)]}
    doc = _parse_json(raw, name, "the xptorch metadata")
    if type(doc) is not dict or set(doc) != {"version", "tensors", "object"}:
        raise _bad(name, "the xptorch metadata must have exactly version, tensors and object")
    if doc["version"] != _VERSION or not _is_int(doc["version"]):
        raise _bad(name, f"xptorch metadata version {doc['version']!r} is not supported (expected {_VERSION})"[:300])
    if type(doc["tensors"]) is not list:
        raise _bad(name, "the xptorch metadata's tensors must be a list")
    return [_check_spec(s, i, entries, name) for i, s in enumerate(doc["tensors"])], doc["object"]


_SPEC_KEYS = {"storage", "offset", "shape", "strides", "dtype", "device", "requires_grad", "parameter"}


def _check_spec(s, i, entries, name):
    where = f"tensor #{i}"
    if type(s) is not dict or set(s) != _SPEC_KEYS:
        raise _bad(name, f"{where} must have exactly the keys {sorted(_SPEC_KEYS)}")
    entry = entries.get(s["storage"]) if type(s["storage"]) is str else None
    if entry is None:
        raise _bad(name, f"{where} refers to a missing storage {s['storage']!r}"[:300])
    dt = _NP_BY_NAME.get(s["dtype"]) if type(s["dtype"]) is str else None
    if dt is None:
        raise _bad(name, f"{where} has unknown dtype {s['dtype']!r}"[:300])
    shape = _check_shape(s["shape"], dt.itemsize, name, where)
    strides, offset = s["strides"], s["offset"]
    if type(strides) is not list or len(strides) != len(shape) or not all(_is_int(x) and abs(x) <= _INT64_MAX for x in strides):
        raise _bad(name, f"{where}: strides must be {len(shape)} integers, got {strides!r}"[:300])
    if not _is_int(offset) or offset < 0:
        raise _bad(name, f"{where}: offset must be a non-negative integer, got {offset!r}"[:300])
    nbytes = entry.end - entry.begin
    ext = _extent(shape, strides, dt.itemsize)
    lo, hi = (0, 0) if ext is None else ext
    if offset + lo < 0 or offset + hi > nbytes:
        raise _bad(
            name, f"{where}: a view at offset {offset} with shape {list(shape)} and strides {strides} "
            f"reaches outside its {nbytes}-byte storage {s['storage']!r}"
        )
    logical = _numel(shape) * dt.itemsize
    if logical > max(_MAX_VIEW_RATIO * nbytes, _MAX_VIEW_FREE):
        raise _bad(
            name, f"{where}: a view of {_numel(shape)} elements ({logical} bytes) over a {nbytes}-byte storage "
            f"{s['storage']!r} is refused: overlapping views may be at most {_MAX_VIEW_RATIO} times their storage"
        )
    if type(s["device"]) is not str or type(s["requires_grad"]) is not bool or type(s["parameter"]) is not bool:
        raise _bad(name, f"{where}: device must be a string, requires_grad and parameter booleans")
    try:
        Device(s["device"])
    except RuntimeError:
        raise _bad(name, f"{where} has an unknown device {s['device']!r}"[:300]) from None
    if s["requires_grad"] and dt.kind != "f":
        raise _bad(name, f"{where}: a {dt.name} tensor cannot require grad")
    return (s["storage"], offset, shape, tuple(strides), dt, s["device"], s["requires_grad"], s["parameter"])


def _c_strides(shape, itemsize):
    out, acc = [], itemsize
    for d in reversed(shape):
        out.append(acc)
        acc *= max(d, 1)
    return tuple(reversed(out))


def _read_bytes(f, name, data_start, e):
    n = e.end - e.begin
    buf = np.empty(n, np.uint8)
    f.seek(data_start + e.begin)
    mv, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(mv[got:])
        if not k:
            raise _bad(name, f"the file ended after {data_start + e.begin + got} bytes: truncated")
        got += k
    return buf


def view(storage, offset, shape, strides, dtype):
    """A strided view into a flat uint8 storage array on its own device (NumPy or CuPy)."""
    if isinstance(storage, np.ndarray):
        return np.ndarray(shape, dtype, buffer=storage, offset=offset, strides=strides)
    xp = get_array_module(storage)
    return xp.ndarray(shape, dtype, memptr=storage.data + offset, strides=strides)


def _build(specs, devices, host):
    from .nn.parameter import Parameter

    on_device = {}
    out = []
    for (st, offset, shape, strides, dt, _, rg, param), dev in zip(specs, devices):
        s = on_device.get((st, dev))
        if s is None:
            s = on_device[(st, dev)] = host[st] if dev is CPU else transfer(host[st], CPU, dev)
        t = C.wrap(view(s, offset, shape, strides, dt), dev)
        if param:
            t = Parameter(t, requires_grad=rg)
        else:
            t._rg = rg
        out.append(t)
    return out


def _decode(node, tensors, depth, name):
    """The Python object for a structure node; also the structure's validator (tensors may be placeholders)."""
    t = type(node)
    if node is None or t is bool or t is int or t is float or t is str:
        return node
    if t is not dict or len(node) != 1:
        raise _bad(name, f"unrecognised structure node {node!r}"[:300])
    if depth >= MAX_DEPTH:
        raise _bad(name, f"the structure is nested more than {MAX_DEPTH} levels deep")
    ((tag, val),) = node.items()
    if tag == "tensor":
        if not _is_int(val) or not 0 <= val < len(tensors):
            raise _bad(name, f"structure refers to tensor {val!r}, the file has {len(tensors)}"[:300])
        return tensors[val]
    if tag in ("list", "tuple") and type(val) is list:
        items = [_decode(v, tensors, depth + 1, name) for v in val]
        return items if tag == "list" else tuple(items)
    if tag in ("dict", "odict") and type(val) is list:
        out = {} if tag == "dict" else collections.OrderedDict()
        for pair in val:
            if type(pair) is not list or len(pair) != 2:
                raise _bad(name, "a dict entry must be a [key, value] pair")
            k = _decode(pair[0], tensors, depth + 1, name)
            try:
                hash(k)
            except TypeError:
                raise _bad(name, f"unhashable dict key of type {type(k).__name__}") from None
            out[k] = _decode(pair[1], tensors, depth + 1, name)
        return out
    if tag == "size" and type(val) is list and all(_is_int(d) and d >= 0 for d in val):
        return Size(val)
    if tag == "dtype" and val in _NP_BY_NAME:
        return _dtype._BY_NAME[val]
    if tag == "device" and type(val) is str:
        try:
            return Device(val)
        except RuntimeError:
            pass
    raise _bad(name, f"unrecognised structure node {node!r}"[:300])


# ---- devices ---------------------------------------------------------------------------------------


def _check_map_location(m):
    if m is None or isinstance(m, (str, Device)):
        return
    if isinstance(m, dict):
        if all(isinstance(k, str) and isinstance(v, (str, Device)) for k, v in m.items()):
            return
        raise TypeError("load: a map_location dict must map device strings to device strings or devices")
    raise TypeError(f"load: map_location must be None, a str, a device or a dict, got {type(m).__name__}")


class _Targets:
    """Resolves each recorded device string to the device its tensors load onto, checking CUDA first."""

    def __init__(self, map_location):
        self.map = map_location
        self.memo = {}

    def __call__(self, recorded, name):
        dev = self.memo.get(recorded)
        if dev is None:
            dev = self.memo[recorded] = self._resolve(recorded, name)
        return dev

    def _resolve(self, recorded, name):
        m = self.map
        target = m.get(recorded, recorded) if isinstance(m, dict) else recorded if m is None else m
        if target is recorded:
            try:
                dev = Device(recorded)
            except RuntimeError:
                raise _bad(name, f"tensors recorded on unsupported device {recorded!r}; pass map_location='cpu'") from None
        else:
            dev = Device(target)
        if dev.type == "cuda":
            _check_cuda(dev)
        return canonical(dev)


def _check_cuda(dev):
    from . import cuda

    if not cuda.is_available():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but xptorch.cuda.is_available() is False. "
            "If you are running on a CPU-only machine, please use xptorch.load with map_location='cpu' "
            "to map your storages to the CPU."
        )
    n = cuda.device_count()
    if dev.index is not None and dev.index >= n:
        raise RuntimeError(
            f"Attempting to deserialize object on CUDA device {dev.index} but xptorch.cuda.device_count() is {n}. "
            "Please use xptorch.load with map_location to map your storages to an existing device."
        )
