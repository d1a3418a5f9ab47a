"""make_tensor: random test inputs with torch.testing.make_tensor's ranges and options."""
import collections.abc
import math
import warnings

import numpy as np

from .. import _dtype

__all__ = ["make_tensor"]


def _bounds(low, high, dtype, lowest, highest_exclusive, default_low, default_high):
    """[low, high) after defaults, validation and clamping to what dtype holds; integers ceiled."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low!r} and high={high!r}")
    if low == high and dtype.is_floating_point:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is "
                      "deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                      FutureWarning, stacklevel=4)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest_exclusive:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {highest_exclusive})")
    low, high = min(max(low, lowest), highest_exclusive), min(max(high, lowest), highest_exclusive)
    if not dtype.is_floating_point:
        return math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of shape on device with values drawn uniformly from [low, high).

    Defaults: [-9, 9) for floating dtypes, [-9, 10) for integers (clamped to the dtype: [0, 10) for uint8),
    False/True for bool. noncontiguous gives a strided view of a larger tensor; exclude_zero replaces
    zeros by 1 (integers) or the dtype's smallest normal number (floats).
    """
    import xptorch

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    dtype = _dtype.to_dtype(dtype)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
                         f"but got noncontiguous={noncontiguous!r} and memory_format={memory_format!r}")
    if requires_grad and not dtype.is_floating_point:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral dtypes, "
                         f"but got dtype={dtype!r}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        # Twice the last dimension, then every other element from the second: strided, offset, distinct values.
        shape = shape[:-1] + (2 * shape[-1],)
    if dtype is _dtype.bool:
        low, high = _bounds(low, high, dtype, 0, 2, 0, 2)
        result = xptorch.randint(low, high, shape, device=device, dtype=dtype)
    elif not dtype.is_floating_point:
        info = np.iinfo(dtype.np)
        top = info.max + (1 if dtype is not _dtype.int64 else 0)
        low, high = _bounds(low, high, dtype, info.min, top, -9, 10)
        result = xptorch.randint(low, high, shape, device=device, dtype=dtype)
    else:
        info = np.finfo(dtype.np)
        low, high = _bounds(low, high, dtype, float(info.min), float(info.max), -9, 9)
        result = xptorch.empty(shape, device=device, dtype=dtype)
        if high - low >= float(info.max):  # uniform_ needs a finite width: draw half the range, then double
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        fill = 1 if not dtype.is_floating_point else float(np.finfo(dtype.np).tiny)
        result[result == 0] = fill
    if dtype.is_floating_point:
        result.requires_grad = requires_grad
    return result
