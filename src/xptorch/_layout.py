"""Memory formats and layouts as PyTorch names them: `xptorch.channels_last`, `xptorch.strided`.

Tensors are strided arrays; `contiguous(memory_format=xptorch.channels_last)` lays a 4-D tensor out
as NHWC in memory (strides as PyTorch's), and `is_contiguous(memory_format=...)` answers PyTorch's
question for either layout. Every op accepts any strides, so the format changes speed, never values.
"""

__all__ = ["channels_last", "channels_last_3d", "contiguous_format", "layout", "memory_format", "preserve_format",
           "strided"]


class _Named:
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"xptorch.{self._name}"

    def __reduce__(self):
        return self._name


class memory_format(_Named):
    """How a tensor's elements are ordered in memory: contiguous_format, channels_last, preserve_format."""

    __slots__ = ()


class layout(_Named):
    """A tensor's storage kind: xptorch's tensors are all strided."""

    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")

# Dims from fastest to slowest in memory, per format (PyTorch's orders for 4-D and 5-D tensors).
_ORDER = {channels_last: (1, 3, 2, 0), channels_last_3d: (1, 4, 3, 2, 0)}
_RANK = {channels_last: 4, channels_last_3d: 5}


def check(fmt, name="memory_format"):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{name}: expected a memory_format such as xptorch.channels_last, got {type(fmt).__name__}")


def is_dense_in(shape, strides, fmt):
    """PyTorch's contiguity test for `fmt` (strides in elements; size-1 dims place no constraint)."""
    if fmt is contiguous_format:
        order = tuple(range(len(shape) - 1, -1, -1))
    elif len(shape) != _RANK[fmt]:
        return False
    else:
        order = _ORDER[fmt]
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def rank_error(fmt, ndim):
    if fmt in _RANK and ndim != _RANK[fmt]:
        raise RuntimeError(f"required rank {_RANK[fmt]} tensor to use {fmt._name} format")


def laid_out(arr, fmt):
    """A copy of arr (NumPy or CuPy) in `fmt`: C order, or the channels-last order by a transposed copy."""
    from ._ops._common import get_xp

    xp = get_xp(arr)
    if fmt is contiguous_format:
        return xp.ascontiguousarray(arr)
    order = _ORDER[fmt][::-1]  # slowest first: the transposition that makes the memory order C order
    inverse = [0] * len(order)
    for i, d in enumerate(order):
        inverse[d] = i
    return xp.array(arr.transpose(order), order="C", copy=True).transpose(inverse)
