"""Tensor repr formatting that reproduces PyTorch's output on host NumPy arrays."""

import contextlib
import math

import numpy as np

__all__ = [
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "format_tensor",
    "format_parameter",
]

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}

_OPTS = dict(_PROFILES["default"], sci_mode=None)

# Dtypes whose name torch leaves out of a non-empty tensor's repr.
_IMPLICIT_DTYPES = frozenset(("float32", "int64", "bool"))
# An empty tensor has no values to hint at its dtype, so only the default float dtype is implicit.
_EMPTY_IMPLICIT_DTYPE = "float32"

_DTYPE_ALIASES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "long": "int64",
    "int": "int32",
    "short": "int16",
}

_DTYPE_KINDS = {
    "float16": "f",
    "bfloat16": "f",
    "float32": "f",
    "float64": "f",
    "int8": "i",
    "uint8": "i",
    "int16": "i",
    "int32": "i",
    "int64": "i",
    "uint16": "i",
    "uint32": "i",
    "uint64": "i",
    "bool": "b",
}

_PREFIX = "tensor("
_INDENT = len(_PREFIX)
# Line layout is computed as if the package were named "torch", so output matches torch's after renaming.
_LAYOUT_PACKAGE = "torch"


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    """Set print options; a profile is applied first and explicit arguments override it."""
    if profile is not None and profile in _PROFILES:
        _OPTS.update(_PROFILES[profile])
    if precision is not None:
        _OPTS["precision"] = precision
    if threshold is not None:
        _OPTS["threshold"] = threshold
    if edgeitems is not None:
        _OPTS["edgeitems"] = edgeitems
    if linewidth is not None:
        _OPTS["linewidth"] = linewidth
    # torch resets sci_mode on every call, so None restores automatic selection.
    _OPTS["sci_mode"] = sci_mode


def get_printoptions():
    """Current print options as a dict accepted by set_printoptions(**opts)."""
    return dict(_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily set print options, restoring the previous ones on exit."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


def format_tensor(
    values,
    *,
    dtype_name,
    device=None,
    grad_fn_name=None,
    requires_grad=False,
    package="xptorch",
):
    """The repr torch gives a tensor holding `values`, naming dtypes under `package`."""
    arr = np.asarray(values)
    name = _canonical_dtype_name(dtype_name)
    kind = _DTYPE_KINDS.get(name, arr.dtype.kind)
    arr = _as_kind(arr, kind)
    opts = _OPTS

    # Each suffix is (text, length used for line layout).
    suffixes = []
    if device is not None and str(device) != "cpu":
        suffixes.append(_plain_suffix(f"device='{device}'"))

    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(_plain_suffix(f"size={tuple(arr.shape)}"))
        if name != _EMPTY_IMPLICIT_DTYPE:
            suffixes.append(_dtype_suffix(name, package))
    else:
        if not opts["edgeitems"]:
            suffixes.append(_plain_suffix(f"size={tuple(arr.shape)}"))
        if name not in _IMPLICIT_DTYPES:
            suffixes.append(_dtype_suffix(name, package))
        body = _format_body(arr, kind, opts)

    if grad_fn_name is not None:
        suffixes.append(_plain_suffix(f"grad_fn=<{grad_fn_name}>"))
    elif requires_grad:
        suffixes.append(_plain_suffix("requires_grad=True"))

    return _join_suffixes(_PREFIX + body, suffixes, _INDENT, opts["linewidth"])


def format_parameter(
    values,
    *,
    dtype_name,
    device=None,
    requires_grad=True,
    package="xptorch",
):
    """The repr torch gives an nn.Parameter holding `values`."""
    return "Parameter containing:\n" + format_tensor(
        values,
        dtype_name=dtype_name,
        device=device,
        requires_grad=requires_grad,
        package=package,
    )


def _canonical_dtype_name(dtype_name):
    name = str(dtype_name).rsplit(".", 1)[-1]
    return _DTYPE_ALIASES.get(name, name)


def _as_kind(arr, kind):
    if arr.dtype.kind == "c":
        raise TypeError("complex values are not supported")
    if kind == "f" and arr.dtype.kind != "f":
        return arr.astype(np.float64)
    if kind == "b" and arr.dtype.kind != "b":
        return arr.astype(bool)
    if kind in "iu" and arr.dtype.kind not in "iu":
        return arr.astype(np.int64)
    return arr


def _plain_suffix(text):
    return text, len(text)


def _dtype_suffix(name, package):
    return f"dtype={package}.{name}", len(f"dtype={_LAYOUT_PACKAGE}.{name}")


def _join_suffixes(text, suffixes, indent, linewidth):
    parts = [text]
    # Mirrors torch's count, which is two more than the true length of the last line.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix, layout_len in suffixes:
        if last_line_len + layout_len + 2 > linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + layout_len
        else:
            parts.append(", " + suffix)
            last_line_len += layout_len + 2
    parts.append(")")
    return "".join(parts)


def _format_body(arr, kind, opts):
    edgeitems = opts["edgeitems"]
    summarize = arr.ndim > 0 and arr.size > opts["threshold"]
    if summarize and not edgeitems:
        return "[...]"

    cut = [False] * arr.ndim
    if summarize:
        index = []
        for axis, n in enumerate(arr.shape):
            if n > 2 * edgeitems:
                cut[axis] = True
                index.append(np.r_[0:edgeitems, n - edgeitems : n])
            else:
                index.append(np.arange(n))
        arr = arr[np.ix_(*index)]

    cells, width = _format_cells(arr, kind, opts["precision"], opts["sci_mode"])
    if arr.ndim == 0:
        return cells[0]
    return _nest(cells, arr.shape, cut, 0, 0, _INDENT, width, edgeitems, opts["linewidth"])


def _format_cells(arr, kind, precision, sci_mode):
    """Padded strings for every element of arr (C order) and their common width."""
    flat = arr.reshape(-1)
    items = flat.tolist()
    if kind != "f":
        strs = [str(v) for v in items]
        width = max(1, max(map(len, strs)))
        return [s.rjust(width) for s in strs], width

    finite = np.isfinite(flat)
    measured = finite & (flat != 0)
    sample = flat[measured].astype(np.float64)
    int_mode = True
    sci = False
    if sample.size:
        int_mode = bool(np.all(sample == np.ceil(sample)))
        mags = np.abs(sample)
        lo, hi = mags.min(), mags.max()
        with np.errstate(over="ignore"):
            wide_range = hi / lo > 1000.0 or hi > 1.0e8
        sci = bool(wide_range or (not int_mode and lo < 1.0e-4))
        # An explicit sci_mode is honoured only when some value drove the automatic choice.
        if sci_mode is not None:
            sci = bool(sci_mode)

    if sci:
        spec = f".{precision}e"
    elif int_mode:
        spec = ".0f"
    else:
        spec = f".{precision}f"
    strs = [format(v, spec) for v in items]

    width = 1
    if sample.size:
        measured_idx = np.flatnonzero(measured)
        extra = 1 if (int_mode and not sci) else 0
        width = max(len(strs[i]) for i in measured_idx.tolist()) + extra
        width = max(width, 1)
    if int_mode and not sci:
        finite_list = finite.tolist()
        strs = [s + "." if f else s for s, f in zip(strs, finite_list)]
    return [s.rjust(width) for s in strs], width


def _nest(cells, shape, cut, axis, offset, indent, width, edgeitems, linewidth):
    """Render the sub-array starting at flat `offset` spanning shape[axis:]."""
    n = shape[axis]
    if axis == len(shape) - 1:
        row = cells[offset : offset + n]
        if cut[axis]:
            row = row[:edgeitems] + [" ..."] + row[edgeitems:]
        per_line = max(1, math.floor((linewidth - indent) / (width + 2)))
        lines = [", ".join(row[i : i + per_line]) for i in range(0, len(row), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"

    stride = 1
    for s in shape[axis + 1 :]:
        stride *= s
    parts = [
        _nest(cells, shape, cut, axis + 1, offset + i * stride, indent + 1, width, edgeitems, linewidth)
        for i in range(n)
    ]
    if cut[axis]:
        parts = parts[:edgeitems] + ["..."] + parts[edgeitems:]
    depth = len(shape) - axis
    sep = "," + "\n" * (depth - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"
