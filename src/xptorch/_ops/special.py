"""The error function and its inverse, each with its closed-form derivative (Normal's cdf and icdf)."""
import math

from . import _common as C
from ._common import get_xp, quiet
from .activation import _P, _Q, _T, _U, _poly, erf as _erf
from .pointwise import LogBackward0, _SavesOut, _float_input, _unary_saving_in, _unary_saving_out

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2


class ErfBackward0(LogBackward0):
    __slots__ = ()

    def backward(self, g):
        a = self.a
        return (g * (_TWO_OVER_SQRT_PI * get_xp(a).exp(-a * a)).astype(a.dtype, copy=False),)

    def backward_graph(self, g):
        a = C.saved_in(self, 0, self.a, g._device)
        return (g * (-a * a).exp() * _TWO_OVER_SQRT_PI,)


class ErfinvBackward0(_SavesOut):
    """d/dx erfinv(x) = sqrt(pi)/2 * exp(erfinv(x)**2), from the output."""

    __slots__ = ()

    def backward(self, g):
        o = self.out
        return (g * quiet(lambda: (_SQRT_PI_OVER_TWO * get_xp(o).exp(o * o)).astype(o.dtype, copy=False)),)

    def backward_graph(self, g):
        o = C.saved_out(self, self.out, g._device)
        return (g * (o * o).exp() * _SQRT_PI_OVER_TWO,)


def _erfc_pos(y):
    """erfc(y) for y >= 0 with its relative accuracy kept where erfc is tiny."""
    xp = get_xp(y)
    s = xp.minimum(y, 1.0)
    small = 1 - s * _poly(s * s, _T) / _poly(s * s, _U)
    b = xp.clip(y, 1.0, 8.0)
    large = xp.exp(-b * b) * _poly(b, _P) / _poly(b, _Q)
    return xp.where(y <= 1, small, large)


def _erfinv(x):
    """Giles' single-precision approximation (2010), then Newton steps in float64: on erf's residual near 0,
    on log erfc's near +-1, where 1 - |x| is exact and erf itself has no digits left."""
    xp = get_xp(x)
    x64 = x.astype("float64")
    ax = xp.abs(x64)
    inside = ax < 1
    a = xp.where(inside, ax, 0.0)
    w = -xp.log((1 - a) * (1 + a))
    wc = w - 2.5
    p_c = _poly(wc, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 2.1858087e-04,
                     -1.25372503e-03, -4.17768164e-03, 2.46640727e-01, 1.50140941))
    wt = xp.sqrt(w) - 3
    p_t = _poly(wt, (-2.00214257e-04, 1.00950558e-04, 1.34934322e-03, -3.67342844e-03, 5.73950773e-03,
                     -7.6224613e-03, 9.43887047e-03, 1.00167406, 2.83297682))
    y = xp.where(w < 5, p_c, p_t) * a
    tail = a >= 0.5
    log_rest = xp.log(xp.where(tail, 1 - a, 1.0))
    for _ in range(3):
        deriv = _TWO_OVER_SQRT_PI * xp.exp(-y * y)
        c = _erfc_pos(y)
        # Near the tails erfc is exponential in y: Newton on its log converges where Newton on it stalls.
        step = xp.where(tail, (log_rest - xp.log(c)) * c, _erf(y) - a)
        y = y - xp.where(deriv > 0, step / xp.where(deriv > 0, deriv, 1.0), 0.0)
    y = xp.where(inside, y, xp.where(ax == 1, math.inf, math.nan))
    y = xp.copysign(y, x64)
    return xp.where(xp.isnan(x64), math.nan, y).astype(x.dtype, copy=False)


def erf(a):
    ad = _float_input(a)
    return _unary_saving_in(a, ad, quiet(_erf, ad), ErfBackward0)


def erfinv(a):
    ad = _float_input(a)
    return _unary_saving_out(a, quiet(_erfinv, ad), ErfinvBackward0)
