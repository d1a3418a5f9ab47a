"""trapezoid (trapz) and cumulative_trapezoid: the trapezoidal rule along a dim, composed of differentiable ops
as PyTorch writes it (constant spacing: dx * (sum(y) - (y[0] + y[-1]) / 2))."""
from . import _common as C
from .reduce import norm_dim

_SIG = (" * (Tensor y, Tensor x, *, int dim = -1)\n"
        " * (Tensor y, *, Number dx = 1, int dim = -1)\n")


def _slice(t, d, start, stop):
    return t[(slice(None),) * d + (slice(start, stop),)]


def _spacing(y, x, d, fname):
    """x's differences along d, x viewed so they broadcast against y's (PyTorch's rules)."""
    if x._data.dtype.kind == "b" or y._data.dtype.kind == "b":
        raise RuntimeError(f"{fname}: received a bool input for `x` or `y`, but bool is not supported")
    nd = y._data.ndim
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise RuntimeError(f"{fname}: There must be one `x` value for each sample point")
        shape = [1] * nd
        shape[d] = x._data.shape[0]
        x = x.reshape(*shape)
    elif x._data.ndim < nd:
        x = x.reshape(*((1,) * (nd - x._data.ndim) + tuple(x._data.shape)))
    return _slice(x, d, 1, None) - _slice(x, d, 0, -1)


NOT_GIVEN = object()  # x left out (an explicit None is refused, as PyTorch's overloads do)


def _args(name, y, x, dx, dim):
    if not isinstance(y, C.Tensor) or (x is not NOT_GIVEN and (not isinstance(x, C.Tensor) or dx is not None)):
        got = ", ".join([type(y).__name__] + ([type(x).__name__] if x is not NOT_GIVEN else []))
        got += ", dx=" + type(dx).__name__ if dx is not None else ""
        got += ", dim=" + type(dim).__name__ if dim != -1 else ""
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        + _SIG)
    if dx is not None and (isinstance(dx, (bool, complex)) or not isinstance(dx, (int, float))):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")


def _dim(y, dim):
    if y._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return norm_dim(dim, y._data.ndim)


def trapezoid(y, x=NOT_GIVEN, dx=None, dim=-1, _name="trapezoid"):
    _args(_name, y, x, dx, dim)
    d = _dim(y, dim)
    if y._data.shape[d] == 0:
        shape = tuple(s for i, s in enumerate(y._data.shape) if i != d)
        return y.new_zeros(shape)
    if x is not NOT_GIVEN:
        step = _spacing(y, x, d, "trapezoid")
        return (step * (_slice(y, d, 0, -1) + _slice(y, d, 1, None)) / 2.0).sum(d)
    if y._data.dtype.kind == "b":
        raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported")
    first, last = _slice(y, d, 0, 1).squeeze(d), _slice(y, d, -1, None).squeeze(d)
    return (y.sum(d) - (first + last) * 0.5) * float(1 if dx is None else dx)


def cumulative_trapezoid(y, x=NOT_GIVEN, dx=None, dim=-1):
    _args("cumulative_trapezoid", y, x, dx, dim)
    if x is not NOT_GIVEN:
        step = _spacing(y, x, _dim(y, dim), "cumulative_trapezoid")
    else:
        if y._data.dtype.kind == "b":
            raise RuntimeError("cumulative_trapezoid: received a bool input for `y`, but bool is not supported")
        step = float(1 if dx is None else dx)
    if y._data.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, y._data.ndim)
    return (step / 2.0 * (_slice(y, d, 0, -1) + _slice(y, d, 1, None))).cumsum(d)
