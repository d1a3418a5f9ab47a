"""The error function and its relatives, each with its closed-form derivative: erf, erfinv, erfcx, and the standard
normal's cdf (ndtr), log cdf (log_ndtr) and quantile (ndtri); entr."""
import math

from . import _common as C
from ._common import get_xp, quiet, wrap
from .activation import _P, _Q, _T, _U, _poly, erf as _erf
from .pointwise import LogBackward0, _SavesOut, _float_input, _unary_saving_in, _unary_saving_out
from .elementwise_math import _A as _EA, _erfc_array, _unary

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


# ---- erfcx, the normal distribution's cdf, log cdf and quantile, entr ---------------------------------------
_SQRT2 = math.sqrt(2.0)
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_LOG_HALF = math.log(0.5)


def _erfc_series(z):
    """z * sqrt(pi) * exp(z**2) * erfc(z) for z >= 8: the asymptotic series, exact to double in 12 terms."""
    inv = 1.0 / (2.0 * z * z)
    term = acc = 1.0
    for k in range(1, 12):
        term = term * (-(2 * k - 1)) * inv
        acc = acc + term
    return acc


def _erfcx64(x):
    """exp(x**2) erfc(x): the rational of erfc's [1, 8] piece without its exp(-x**2), the series past 8."""
    xp = get_xp(x)
    mid = xp.clip(x, 1.0, 8.0)
    big = xp.maximum(x, 8.0)
    low = xp.minimum(x, 1.0)
    small = xp.exp(low * low) * _erfc_array(low)
    far = _erfc_series(big) / (big * _SQRT_PI)
    return xp.where(x < 1, small, xp.where(x <= 8, _poly(mid, _P) / _poly(mid, _Q), far))


def _log_erfc_pos(z):
    """log erfc(z) for z >= 0, finite far past erfc's underflow."""
    xp = get_xp(z)
    mid = xp.clip(z, 1.0, 8.0)
    big = xp.maximum(z, 8.0)
    near = xp.log(_erfc_pos(xp.minimum(z, 1.0)))
    far = -big * big - xp.log(big * _SQRT_PI) + xp.log(_erfc_series(big))
    return xp.where(z < 1, near, xp.where(z <= 8, -mid * mid + xp.log(_poly(mid, _P) / _poly(mid, _Q)), far))


def _log_ndtr64(x):
    xp = get_xp(x)
    z = x / _SQRT2
    lower = _LOG_HALF + _log_erfc_pos(xp.maximum(-z, 0.0))
    upper = xp.log1p(-0.5 * _erfc_array(xp.maximum(z, 0.0)))
    return xp.where(x < 0, lower, upper)


def _ndtri_tail(p):
    """Abramowitz & Stegun 26.2.23 (error < 4.5e-4), then Newton on log ndtr(y) = log q, q = min(p, 1 - p)."""
    xp = get_xp(p)
    inside = (p > 0) & (p < 1)
    q = xp.where(inside, xp.minimum(p, 1 - p), 0.25)
    t = xp.sqrt(-2 * xp.log(q))
    y = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    log_q = xp.log(q)
    for _ in range(4):
        ln = _log_ndtr64(y)
        # d/dy log ndtr(y) = pdf(y) / ndtr(y) = exp(-y^2/2 - log ndtr(y)) / sqrt(2 pi)
        y = y - (ln - log_q) * _SQRT_2PI * xp.exp(0.5 * y * y + ln)
    y = xp.where(p > 0.5, -y, y)
    return xp.where(inside, y, xp.where(p == 0, -math.inf, xp.where(p == 1, math.inf, math.nan)))


def _ndtri_central(p):
    """From erfinv, whose Newton steps on erf keep relative digits where the result is near 0 (2p - 1 is exact)."""
    return _SQRT2 * _erfinv(2 * p - 1)


def _ndtri64(p):
    from .gamma import _by_region

    return _by_region(p, [(get_xp(p).abs(p - 0.5) < 0.4, _ndtri_central, 0.5)], _ndtri_tail, 0.01)


def _entr64(x):
    xp = get_xp(x)
    pos = xp.where(x > 0, x, 1.0)
    return xp.where(x > 0, -pos * xp.log(pos), xp.where(x == 0, 0.0, xp.where(x < 0, -math.inf, x)))


def _f64_op(fn):
    return lambda xp, x: fn(x.astype("float64")).astype(x.dtype, copy=False)


def _pick(m, array_fn, tensor_fn, x):
    return _f64_op(array_fn)(None, x) if m is _EA else tensor_fn(x)


def erfcx(a):
    return _unary(a, _f64_op(_erfcx64), lambda m, x: 2 * x * _pick(m, _erfcx64, erfcx, x) - _TWO_OVER_SQRT_PI,
                  "SpecialErfcxBackward0")


def ndtr(a):
    """PyTorch's composite (1 + erf(x / sqrt 2)) / 2, its rounding (0 below -8.3) and gradient included."""
    if a._data.dtype.kind != "f":
        a = wrap(_float_input(a), a._device)
    return (1 + erf(a * (1 / _SQRT2))) * 0.5


def log_ndtr(a):
    return _unary(a, _f64_op(_log_ndtr64),
                  lambda m, x: m.exp(-0.5 * x * x - _pick(m, _log_ndtr64, log_ndtr, x)) / _SQRT_2PI,
                  "SpecialLogNdtrBackward0")


def ndtri(a):
    def d(m, x):
        y = _pick(m, _ndtri64, ndtri, x)
        return m.exp(0.5 * y * y) * _SQRT_2PI

    return _unary(a, _f64_op(_ndtri64), d, "SpecialNdtriBackward0")


def entr(a):
    return _unary(a, _f64_op(_entr64), lambda m, x: -(m.log(x) + 1), "SpecialEntrBackward0")
