"""dtype objects: PyTorch's names over NumPy dtypes."""
import numpy as np


class dtype:
    """The element type of a tensor (xptorch.float32, xptorch.int64, ...)."""
    __module__ = "xptorch"
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_legacy")

    def __init__(self, name, np_dtype, legacy):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._legacy = legacy

    def __repr__(self):
        return "xptorch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self


float16 = half = dtype("float16", np.float16, "HalfTensor")
float32 = float = dtype("float32", np.float32, "FloatTensor")
float64 = double = dtype("float64", np.float64, "DoubleTensor")
uint8 = dtype("uint8", np.uint8, "ByteTensor")
int8 = dtype("int8", np.int8, "CharTensor")
int16 = short = dtype("int16", np.int16, "ShortTensor")
int32 = int = dtype("int32", np.int32, "IntTensor")
int64 = long = dtype("int64", np.int64, "LongTensor")
bool = dtype("bool", np.bool_, "BoolTensor")

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The xptorch dtype of a NumPy dtype; TypeError for unsupported ones."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d):
    """Accept an xptorch dtype, a NumPy dtype or a Python type (float, int and bool name float64, int64
    and bool, as in PyTorch); a string is refused, as PyTorch does."""
    if type(d) is dtype:
        return d
    if d is _builtin_float:
        return float64
    if isinstance(d, str):
        raise TypeError(f"argument 'dtype' must be xptorch.dtype, not {type(d).__name__}")
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    return from_numpy_dtype(np.dtype(d))


import builtins as _b  # noqa: E402

_builtin_float, _builtin_int, _builtin_bool = _b.float, _b.int, _b.bool

# Category order for type promotion: bool < integer < floating.
_CATEGORY = {d: (0 if d is bool else 2 if d.is_floating_point else 1) for d in ALL}


def promote_types(a, b):
    """PyTorch's promotion of two tensor dtypes (same as NumPy's within a category)."""
    if a is b:
        return a
    return _BY_NP[np.promote_types(a.np, b.np)] if _PROMO_OK(a, b) else _special_promote(a, b)


def _PROMO_OK(a, b):
    # NumPy widens int64+float16 to float64 and uint8+int8 to int16; PyTorch agrees on the latter only.
    return not ((a.is_floating_point) ^ (b.is_floating_point))


def _special_promote(a, b):
    # Mixed integer/bool and floating: the floating dtype wins unchanged.
    return a if a.is_floating_point else b


def result_type(a, b, a_dim, b_dim):
    """Promotion where 0-d tensors only participate if they are of a higher category."""
    if a is b:
        return a
    if (a_dim == 0) != (b_dim == 0):
        ca, cb = _CATEGORY[a], _CATEGORY[b]
        if a_dim == 0 and ca <= cb:
            return b
        if b_dim == 0 and cb <= ca:
            return a
    return promote_types(a, b)


def scalar_result_type(d, scalar):
    """dtype of `tensor op python_scalar`."""
    t = type(scalar)
    if t is _builtin_float:
        return d if d.is_floating_point else get_default_dtype()
    if t is _builtin_int:
        return int64 if d is bool else d
    if t is _builtin_bool:
        return d
    return d


def is_dtype_arg(d):
    """True for what PyTorch takes as a dtype argument: a dtype or the Python types float, int and bool."""
    return type(d) is dtype or d is _builtin_float or d is _builtin_int or d is _builtin_bool


# The dtype of floating tensors made from Python data or by factories without a dtype. Process-wide,
# as in PyTorch (set_default_dtype affects every thread).
_default_float = [float32]


def get_default_dtype():
    """The default floating-point dtype (float32 unless set_default_dtype changed it)."""
    return _default_float[0]


def set_default_dtype(d):
    """Make d (float16, float32 or float64) the dtype of floating tensors built without one."""
    if type(d) is not dtype:
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float[0] = d
