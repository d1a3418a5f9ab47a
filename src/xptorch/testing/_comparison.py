"""assert_close: PyTorch's comparison of tensors, numbers and nested containers of them, with its messages.

Values are compared on the host in the promoted dtype: |actual - expected| <= atol + rtol * |expected|,
elementwise, equal values (infinities too) always close, NaN close to NaN only with equal_nan.
"""
import collections.abc

import numpy as np

from .. import _dtype
from .._device import CPU
from .._tensor import Tensor

__all__ = ["assert_close"]

# {dtype name: (rtol, atol)}; every other dtype compares exactly.
_PRECISIONS = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}
# Python scalars compare with the tolerances of the dtype they become in a tensor.
_SCALAR_DTYPE = {bool: "bool", int: "int64", float: "float64", complex: "complex128"}
_COMPLEX = {"complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


class _Failure(Exception):
    """A comparison that failed: the exception type and message the user sees, and where in the inputs."""

    def __init__(self, kind, msg, where=()):
        super().__init__(msg)
        self.kind, self.msg, self.where = kind, msg, where

    def error(self, msg=None):
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.msg
        if self.where:
            text += "\n\nThe failure occurred for item " + "".join(str([k]) for k in self.where)
        return self.kind(msg(text) if callable(msg) else text)


class _Unsupported(Exception):
    pass


def _tolerances(names, rtol, atol, where):
    if (rtol is None) != (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                   f"but got no {'rtol' if rtol is None else 'atol'}.", where)
    if rtol is not None:
        return rtol, atol
    pairs = [_PRECISIONS.get(n) or _COMPLEX.get(n) or (0.0, 0.0) for n in names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _mismatch(identifier, default, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equal = rtol == 0 and atol == 0
    if identifier is None:
        identifier = default
    elif callable(identifier):
        identifier = identifier(default)
    lines = [f"{identifier} are not {'equal' if equal else 'close'}!", ""]
    if extra:
        lines.append(extra.strip())
    for kind, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol), ("relative", rel_diff, rel_idx, rtol)):
        line = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
        lines.append(line if equal else f"{line} (up to {tol} allowed)")
    return "\n".join(lines).strip()


def _scalar_message(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch(None, "Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol, rel_diff,
                     None, rtol)


# ---------------------------------------------------------------- pairs


class _NonePair:
    def __init__(self, actual, expected, where, **_):
        if not (actual is None or expected is None):
            raise _Unsupported
        self.actual, self.expected, self.where = actual, expected, where

    def compare(self):
        if not (self.actual is None and self.expected is None):
            raise _Failure(AssertionError, f"None mismatch: {self.actual} is not {self.expected}", self.where)


class _BoolPair:
    def __init__(self, actual, expected, where, **_):
        if not all(isinstance(v, (bool, np.bool_)) for v in (actual, expected)):
            raise _Unsupported
        self.actual, self.expected, self.where = bool(actual), bool(expected), where

    def compare(self):
        if self.actual is not self.expected:
            raise _Failure(AssertionError, f"Booleans mismatch: {self.actual} is not {self.expected}", self.where)


class _NumberPair:
    def __init__(self, actual, expected, where, *, rtol, atol, equal_nan, check_dtype, **_):
        numbers = (int, float, complex, np.number)
        if not all(isinstance(v, numbers) for v in (actual, expected)):
            raise _Unsupported
        self.actual, self.expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
        self.where, self.equal_nan, self.check_dtype = where, equal_nan, check_dtype
        names = [_SCALAR_DTYPE.get(type(v), "float64") for v in (self.actual, self.expected)]
        self.rtol, self.atol = _tolerances(names, rtol, atol, where)

    def compare(self):
        a, e = self.actual, self.expected
        if self.check_dtype and type(a) is not type(e):
            raise _Failure(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.", self.where)
        if a == e:
            return
        if self.equal_nan and _isnan(a) and _isnan(e):
            return
        diff = abs(a - e)
        if _isfinite(diff) and diff <= self.atol + self.rtol * abs(e):
            return
        raise _Failure(AssertionError, _scalar_message(a, e, self.rtol, self.atol), self.where)


def _isnan(v):
    return v != v


def _isfinite(v):
    return not (_isnan(v) or v in (float("inf"), float("-inf")))


class _Side:
    """What assert_close reads of one tensor-like: host values, dtype, device, shape and strides."""

    def __init__(self, value):
        if isinstance(value, Tensor):
            self.dtype, self.device, self.shape = value.dtype, value.device, value.shape
            self._tensor = value
            self.array = None
        elif isinstance(value, np.ndarray):
            self.dtype, self.device = _dtype.from_numpy_dtype(value.dtype), CPU
            from .._size import Size

            self.shape = Size(value.shape)
            self._tensor, self.array = None, value
        else:
            raise _Unsupported

    def stride(self):
        if self._tensor is not None:
            return self._tensor.stride()
        return tuple(s // self.array.itemsize for s in self.array.strides)

    def host(self):
        if self.array is None:
            self.array = np.asarray(self._tensor.detach().cpu().numpy())
        return self.array


class _TensorPair:
    def __init__(self, actual, expected, where, *, allow_subclasses, rtol, atol, equal_nan, check_device,
                 check_dtype, check_stride, **_):
        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not allow_subclasses and type(actual) is not type(expected)):
            raise _Unsupported
        self.a, self.e = _Side(actual), _Side(expected)
        self.where, self.equal_nan = where, equal_nan
        self.check_device, self.check_dtype, self.check_stride = check_device, check_dtype, check_stride
        self.rtol, self.atol = _tolerances([self.a.dtype.name, self.e.dtype.name], rtol, atol, where)

    def _attribute(self, name, a, e):
        raise _Failure(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.", self.where)

    def compare(self):
        a, e = self.a, self.e
        if a.shape != e.shape:
            self._attribute("shape", a.shape, e.shape)
        if self.check_stride and a.stride() != e.stride():
            self._attribute("stride()", a.stride(), e.stride())
        if self.check_device and a.device != e.device:
            self._attribute("device", a.device, e.device)
        if self.check_dtype and a.dtype != e.dtype:
            self._attribute("dtype", a.dtype, e.dtype)
        dtype = _dtype.promote_types(a.dtype, e.dtype)
        x, y = a.host().astype(dtype.np, copy=False), e.host().astype(dtype.np, copy=False)
        with np.errstate(all="ignore"):
            matches = _isclose(x, y, self.rtol, self.atol, self.equal_nan)
        if matches.all():
            return
        if x.ndim == 0:
            raise _Failure(AssertionError, _scalar_message(x.item(), y.item(), self.rtol, self.atol), self.where)
        raise _Failure(AssertionError, self._message(x, y, matches), self.where)

    def _message(self, x, y, matches):
        total, bad = matches.size, int(matches.size - np.count_nonzero(matches))
        extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"
        x, y, hit = x.reshape(-1), y.reshape(-1), matches.reshape(-1)
        if x.dtype.kind not in "fc":
            x, y = x.astype(np.int64), y.astype(np.int64)
        with np.errstate(all="ignore"):
            abs_diff = np.abs(x - y)
            abs_diff[hit] = 0
            # Integer differences divide into the default float dtype, as in a tensor division.
            rel_diff = (abs_diff / np.abs(y)).astype(abs_diff.dtype if abs_diff.dtype.kind == "f" else np.float32)
        rel_diff[hit] = 0
        ai, ri = _argmax(abs_diff), _argmax(rel_diff)
        shape = matches.shape
        return _mismatch(None, "Tensor-likes", extra, abs_diff[ai].item(), tuple(int(i) for i in np.unravel_index(ai, shape)),
                         self.atol, rel_diff[ri].item(), tuple(int(i) for i in np.unravel_index(ri, shape)), self.rtol)


def _argmax(v):
    """Index of the first NaN, else of the first maximum (a NaN is the greatest difference)."""
    nan = np.isnan(v) if v.dtype.kind == "f" else None
    if nan is not None and nan.any():
        return int(np.argmax(nan))
    return int(np.argmax(v))


def _isclose(x, y, rtol, atol, equal_nan):
    close = x == y
    if x.dtype.kind not in "fc":
        return close if rtol == 0 and atol == 0 else close | (np.abs(x.astype(np.float64) - y) <= atol + rtol * np.abs(y))
    if equal_nan:
        close |= np.isnan(x) & np.isnan(y)
    err = np.abs(x - y)
    return close | (np.isfinite(err) & (err <= atol + np.abs(rtol * y)))


_PAIRS = (_NonePair, _BoolPair, _NumberPair, _TensorPair)


def _pairs(actual, expected, where, options):
    seq = collections.abc.Sequence
    if isinstance(actual, seq) and not isinstance(actual, str) and isinstance(expected, seq) and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", where)
        return [p for i in range(len(actual)) for p in _pairs(actual[i], expected[i], where + (i,), options)]
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        ak, ek = set(actual.keys()), set(expected.keys())
        if ak != ek:
            raise _Failure(AssertionError, "The keys of the mappings do not match:\n"
                                           f"Missing keys in the actual mapping: {sorted(ek - ak)}\n"
                                           f"Additional keys in the actual mapping: {sorted(ak - ek)}", where)
        try:
            keys = sorted(ak)
        except Exception:
            keys = list(ak)
        return [p for k in keys for p in _pairs(actual[k], expected[k], where + (k,), options)]
    for pair in _PAIRS:
        try:
            return [pair(actual, expected, where, **options)]
        except _Unsupported:
            continue
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.",
                   where)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False, check_device=True,
                 check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise AssertionError unless actual and expected are close, with torch.testing.assert_close's rules.

    Tensors (and NumPy arrays) must agree in shape, and by default in device and dtype; values must satisfy
    |actual - expected| <= atol + rtol * |expected|. Without rtol/atol the dtype's defaults apply (float16
    1e-3/1e-5, bfloat16 1.6e-2/1e-5, float32 1.3e-6/1e-5, float64 1e-7/1e-7, others exact). Sequences and
    mappings are compared item by item. msg replaces the message (a callable receives it and returns one).
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    try:
        pairs = _pairs(actual, expected, (), options)
    except _Failure as failure:
        raise failure.error() from None
    for pair in pairs:
        try:
            pair.compare()
        except _Failure as failure:
            raise failure.error(msg) from None
