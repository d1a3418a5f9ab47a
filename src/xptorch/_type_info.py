"""Numeric limits of dtypes (finfo, iinfo) and the type-promotion functions PyTorch exposes."""
import numpy as np

from . import _dtype
from ._ops import _common as C

__all__ = ["finfo", "iinfo", "promote_types", "result_type", "can_cast"]


def _check_dtype(fn, arg, pos, value):
    if type(value) is not _dtype.dtype:
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be xptorch.dtype, "
                        f"not {type(value).__name__}")


class finfo:
    """Limits of a floating dtype (the default dtype when none is given): bits, eps, max, min, tiny
    (= smallest_normal), resolution (10 ** -decimal digits) and dtype (its name)."""

    __module__ = "xptorch"

    def __init__(self, type=None):
        if type is None:
            type = _dtype.get_default_dtype()
        elif type is float:
            type = _dtype.float64
        _check_dtype("finfo", "type", 1, type)
        if not type.is_floating_point:
            raise TypeError("xptorch.finfo() requires a floating point input type. Use xptorch.iinfo to handle "
                            "'xptorch.finfo'")
        info = np.finfo(type.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, max, min and dtype (its name)."""

    __module__ = "xptorch"

    def __init__(self, type):
        if type is int:
            type = _dtype.int64
        _check_dtype("iinfo", "type", 1, type)
        if type is _dtype.bool:
            raise TypeError("xptorch.bool is not supported by xptorch.iinfo")
        if type.is_floating_point:
            raise TypeError("xptorch.iinfo() requires an integer input type. Use xptorch.finfo to handle "
                            "'xptorch.iinfo'")
        info = np.iinfo(type.np)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(type1, type2):
    """The smallest dtype both type1 and type2 convert to without losing their category."""
    _check_dtype("promote_types", "type1", 1, type1)
    _check_dtype("promote_types", "type2", 2, type2)
    return _dtype.promote_types(type1, type2)


_SCALARS = (bool, int, float)


def _scalar_dtype(x):
    if isinstance(x, bool):
        return _dtype.bool
    if isinstance(x, int):
        return _dtype.int64
    return _dtype.get_default_dtype()


def result_type(tensor, other):
    """The dtype of an arithmetic op on tensor and other (tensors or Python numbers), by PyTorch's rules:
    tensors with dimensions outrank 0-d tensors, which outrank Python numbers, unless the lower one is
    of a higher category (bool < integer < floating)."""
    if not all(isinstance(x, (C.Tensor, *_SCALARS)) for x in (tensor, other)):
        got = ", ".join(type(x).__name__ for x in (tensor, other))
        raise TypeError(
            f"result_type() received an invalid combination of arguments - got ({got}), but expected one of:\n"
            " * (Tensor tensor, Tensor other)\n * (Number scalar, Tensor tensor)\n"
            " * (Tensor tensor, Number other)\n * (Number scalar1, Number scalar2)\n"
        )
    a_t, b_t = isinstance(tensor, C.Tensor), isinstance(other, C.Tensor)
    if a_t and b_t:
        return _dtype.result_type(tensor.dtype, other.dtype, tensor.dim(), other.dim())
    if a_t:
        return _dtype.scalar_result_type(tensor.dtype, other)
    if b_t:
        return _dtype.scalar_result_type(other.dtype, tensor)
    da, db = _scalar_dtype(tensor), _scalar_dtype(other)
    return da if _dtype._CATEGORY[da] >= _dtype._CATEGORY[db] else db


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow from_ to to: no floating to integer, nothing but bool to bool."""
    _check_dtype("can_cast", "from_", 1, from_)
    _check_dtype("can_cast", "to", 2, to)
    if from_.is_floating_point and not to.is_floating_point:
        return False
    if from_ is not _dtype.bool and to is _dtype.bool:
        return False
    return True
