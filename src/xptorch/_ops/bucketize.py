"""searchsorted and bucketize: insertion points of values in sorted boundaries (integer results, no gradient).

One vectorised binary search over every row at once, with PyTorch's comparisons (`!(b >= v)` moves right for
the left side, `!(b > v)` for the right), so NaNs land where PyTorch puts them.
"""
import numpy as np

from .._settings import first_warning
from . import _common as C
from ._common import get_xp, wrap

_NUM = (bool, int, float)
_NONCONTIGUOUS_WARNED = {"input value": [], "boundary": [], "sorter": []}  # PyTorch warns once per process each
_SIG = (" * (Tensor sorted_sequence, Tensor input, *, bool out_int32 = False, bool right = False, str side = None, "
        "Tensor sorter = None, Tensor out = None)\n"
        " * (Tensor sorted_sequence, Number self, *, bool out_int32 = False, bool right = False, str side = None, "
        "Tensor sorter = None, Tensor out = None)\n")


def _shape(s):
    return "[" + ", ".join(map(str, s)) + "]"


def _search(seq, vals, right):
    """Insertion points of vals (..., m) in seq (n,) or (..., n) with matching leading dims; int64."""
    xp = get_xp(seq)
    n = seq.shape[-1]
    lo = xp.zeros(vals.shape, dtype=np.int64)
    if n == 0 or vals.size == 0:
        return lo
    if xp is np and seq.ndim == 1 and not (seq.dtype.kind == "f" and np.isnan(seq).any()):
        # NumPy's search agrees with PyTorch's comparisons while the boundaries hold no NaN (NaN values go last)
        return np.searchsorted(seq, vals, side="right" if right else "left").astype(np.int64, copy=False)
    hi = xp.full(vals.shape, n, dtype=np.int64)
    rows = None if seq.ndim == 1 else seq.reshape(-1, n)
    v = vals if rows is None else vals.reshape(rows.shape[0], -1)
    lo, hi = lo.reshape(v.shape), hi.reshape(v.shape)
    for _ in range(int(n).bit_length()):
        mid = (lo + hi) >> 1
        at = xp.minimum(mid, n - 1)
        b = seq.take(at) if rows is None else xp.take_along_axis(rows, at, axis=1)
        live = lo < hi
        go = ~(b > v) if right else ~(b >= v)
        lo = xp.where(live & go, mid + 1, lo)
        hi = xp.where(live & ~go, mid, hi)
    return lo.reshape(vals.shape)


def searchsorted(sorted_sequence, values, out_int32=False, right=False, side=None, sorter=None):
    scalar = isinstance(values, _NUM) and not isinstance(values, C.Tensor)
    if not isinstance(sorted_sequence, C.Tensor) or not (scalar or isinstance(values, C.Tensor)):
        got = ", ".join(type(x).__name__ for x in (sorted_sequence, values))
        raise TypeError(f"searchsorted() received an invalid combination of arguments - got ({got}), but expected "
                        f"one of:\n{_SIG}")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"xptorch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side != "right":
            raise RuntimeError(f"xptorch.searchsorted(): side and right can't be set to opposites, got side of {side} "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    dev = sorted_sequence._device
    if not scalar and values._device is not dev:
        C.device_mismatch(sorted_sequence, values)
    if sorter is not None:
        C.need_tensor(sorter, "searchsorted", "sorter", 6)
        if sorter._device is not dev:
            C.device_mismatch(sorted_sequence, sorter)
        if sorter._data.dtype != np.int64:
            raise RuntimeError("xptorch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{sorter.dtype._legacy[:-6]}")
        if sorter._data.shape != seq.shape:
            raise RuntimeError("xptorch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {_shape(seq.shape)}and got sorter tensor {_shape(sorter._data.shape)}")
    if seq.ndim == 0:
        raise RuntimeError("xptorch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    xp = get_xp(seq)
    vals = xp.asarray(values) if scalar else values._data
    if vals.ndim == 0 and seq.ndim != 1:
        raise RuntimeError("xptorch.searchsorted(): input value can be a scalar only when boundaries tensor dimension "
                           f"is 1, but we got boundaries tensor dim({seq.ndim}) and input value's dim(0) numel(1)")
    if seq.ndim != 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError("xptorch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got boundaries "
                           f"tensor {_shape(seq.shape)} and input value tensor {_shape(vals.shape)}")
    if seq.dtype.kind == "b" and vals.dtype.kind == "b":  # compared in the promoted dtype: bool only when both are
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    for t, what in ((values, "input value"), (sorted_sequence, "boundary"), (sorter, "sorter")):
        if isinstance(t, C.Tensor) and not t.is_contiguous() and first_warning(_NONCONTIGUOUS_WARNED[what]):
            import warnings

            warnings.warn(f"xptorch.searchsorted(): {what} tensor is non-contiguous, this will lower the performance "
                          "due to extra data copy when converting non-contiguous tensor to contiguous, please use "
                          f"contiguous {what} tensor if possible. This message will only appear once per program.",
                          UserWarning, stacklevel=3)
    if sorter is not None:
        order = sorter._data
        if order.size and (bool((order < 0).any()) or bool((order >= seq.shape[-1]).any())):
            raise RuntimeError("xptorch.searchsorted(): sorter index out of range")
        seq = xp.take_along_axis(seq, order, axis=-1)
    out = _search(seq, vals, right)
    return wrap(out.astype(np.int32) if out_int32 else out, dev)


def bucketize(input, boundaries, out_int32=False, right=False):
    if not isinstance(boundaries, C.Tensor) or not isinstance(input, (C.Tensor,) + _NUM):
        got = ", ".join(type(x).__name__ for x in (input, boundaries))
        raise TypeError(f"bucketize() received an invalid combination of arguments - got ({got}), but expected one "
                        "of:\n * (Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, "
                        "Tensor out = None)\n * (Number self, Tensor boundaries, *, bool out_int32 = False, bool "
                        "right = False)\n")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32, right)
