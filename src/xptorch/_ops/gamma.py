"""The gamma family and the modified Bessel functions of order 0 and 1: lgamma, digamma, polygamma, the Hurwitz
zeta function, mvlgamma, i0, i0e, i1, i1e.

NumPy has none of them. Each is computed in float64 (Cephes' series, in PyTorch's arrangement, so poles,
infinities and negative arguments give PyTorch's values) and cast back to the input's dtype.
"""
import math

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, quiet, save_check, wrap, wrap_grad
from . import pointwise as _pw
from .elementwise_math import _A, _unary

_PI = math.pi
_LS2PI = 0.91893853320467274178  # log(sqrt(2 pi))


def _poly(x, coeffs):
    """Horner: coeffs from the highest power down."""
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


def _f64(x):
    return x.astype("float64") if x.dtype != np.float64 else x


# ---- lgamma (Cephes lgam: a rational on [2, 3), recurrence to it below 13, Stirling above) ----------
_STIRLING = (8.11614167470508450300e-4, -5.95061904284301438324e-4, 7.93650340457716943945e-4,
             -2.77777777730099687205e-3, 8.33333333333331927722e-2)
_LG_B = (-1.37825152569120859100e3, -3.88016315134637840924e4, -3.31612992738871184744e5,
         -1.16237097492762307383e6, -1.72173700820839662146e6, -8.53555664245765465627e5)
_LG_C = (1.0, -3.51815701436523470549e2, -1.70642106651881159223e4, -2.20528590553854454839e5,
         -1.13933444367982507207e6, -2.53252307177582951285e6, -2.01889141433532773231e6)


def _by_region(y, regions, rest, rest_safe):
    """fn(y) under the first of regions' (mask, fn, safe) whose mask holds, rest(y) elsewhere.

    NumPy evaluates each piece on its own elements only. Other backends evaluate every piece on all elements
    (safe: a stand-in value outside the piece's region) and select, which needs no device sync.
    """
    xp = get_xp(y)
    if xp is np:
        out = np.empty_like(y)
        left = np.ones(y.shape, dtype=bool)
        for mask, fn, _ in regions:
            m = mask & left
            if m.any():
                out[m] = fn(y[m])
            left &= ~m
        if left.any():
            out[left] = rest(y[left])
        return out
    taken = xp.zeros(y.shape, dtype=bool)
    for mask, _, _ in regions:
        taken = taken | mask
    out = rest(xp.where(taken, rest_safe, y))
    for mask, fn, safe in reversed(regions):
        out = xp.where(mask, fn(xp.where(mask, y, safe)), out)
    return out


def _lgamma_mid(u):
    """log Gamma(u) for u in [0.5, 13): up to [2, 3) (twice at most) or down (ten times at most), then the rational."""
    xp = get_xp(u)
    # u in [0.5, 2): step up once or twice; u - 1 is exact there, so log1p keeps digits near 1.
    up1 = u < 2
    log_up = xp.where(up1, xp.log1p(u - 1), 0.0)
    u = xp.where(up1, u + 1, u)
    up2 = u < 2
    log_up = xp.where(up2, log_up + xp.log(u), log_up)
    u = xp.where(up2, u + 1, u)
    z = xp.ones_like(u)
    for _ in range(10):
        down = u >= 3
        u = xp.where(down, u - 1, u)
        z = xp.where(down, z * u, z)
    t = u - 2
    return xp.log(z) + t * _poly(t, _LG_B) / _poly(t, _LG_C) - log_up


def _lgamma_stirling(y):
    xp = get_xp(y)
    p = 1 / (y * y)
    far = (y - 0.5) * xp.log(y) - y + _LS2PI + _poly(p, _STIRLING) / y
    return xp.where(xp.isinf(y), math.inf, far)


def _lgamma_at2(y):
    # Near the root at 2 the steps above cancel: lgamma(2 + t) = (1 - gamma) t + sum_k (-1)^k (zeta(k) - 1) t^k / k.
    t = y - 2
    return _poly(t, _LG_ROOT2) * t


def _lgamma_at1(y):
    # Near 1: lgamma(1 + t) = lgamma(2 + t) - log1p(t), with t = y - 1 exact.
    t = y - 1
    return _poly(t, _LG_ROOT2) * t - get_xp(y).log1p(t)


def _lgamma_half_up(y):
    """log|Gamma(y)| for y >= 0.5 (float64)."""
    xp = get_xp(y)
    return _by_region(y, [(~(y < 13), _lgamma_stirling, 13.0), (xp.abs(y - 2) < 0.2, _lgamma_at2, 2.0),
                          (xp.abs(y - 1) < 0.2, _lgamma_at1, 1.0)], _lgamma_mid, 2.5)


def _abs_sinpi(x):
    """|sin(pi x)| from x's distance to the nearest integer (exact), so zeros fall on the integers."""
    xp = get_xp(x)
    return xp.abs(xp.sin(_PI * (x - xp.round(x))))


def _lgamma64(x):
    xp = get_xp(x)
    refl = x < 0.5
    y = _lgamma_half_up(xp.where(refl, 1 - x, x))
    # Reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x).
    out = xp.where(refl, xp.log(_PI / _abs_sinpi(x)) - y, y)
    return xp.where(xp.isinf(x), math.inf, out)


# ---- digamma and trigamma (PyTorch's calc_digamma / calc_trigamma) ----------------------------------
_PSI_10 = 2.25175258906672110764
_PSI_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
          -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
          8.33333333333333333333e-2)


def _digamma_asymptotic(y, acc=0.0):
    """acc + digamma(y) for y >= 10, summed in PyTorch's order (it sets the rounding near the root 1.4616)."""
    xp = get_xp(y)
    z = 1 / (y * y)
    tail = xp.where(y < 1e17, z * _poly(z, _PSI_A), 0.0)
    return xp.where(y == 10, acc + _PSI_10, acc + xp.log(y) - 0.5 / y - tail)


def _digamma_up(y):
    """digamma(y) for 0 < y < 10: the recurrence up to 10 (ten steps at most), then the series."""
    xp = get_xp(y)
    acc = xp.zeros_like(y)
    for _ in range(10):
        s = y < 10
        acc = xp.where(s, acc - 1 / y, acc)
        y = xp.where(s, y + 1, y)
    return _digamma_asymptotic(y, acc)


def _digamma64(x):
    xp = get_xp(x)
    neg = x < 0
    frac = x - xp.trunc(x)
    refl = xp.where(neg, -_PI / xp.tan(_PI * frac), 0.0)
    y = xp.where(neg, 1 - x, x)
    out = _by_region(y, [(~(y < 10), _digamma_asymptotic, 10.0)], _digamma_up, 1.0) + refl
    out = xp.where(neg & (x == xp.trunc(x)), math.nan, out)
    return xp.where(x == 0, xp.copysign(math.inf, -x), out)


def _trigamma64(x, native):
    """native: x in the input's dtype; PyTorch takes sin(pi x) in it, which sets the (huge) values at the poles."""
    xp = get_xp(x)
    refl = x < 0.5
    s = xp.sin(native.dtype.type(_PI) * native).astype("float64")
    acc = xp.where(refl, -(_PI * _PI) / (s * s), 0.0)
    y = xp.where(refl, 1 - x, x)
    for _ in range(6):
        acc = acc + 1 / (y * y)
        y = y + 1
    ixx = 1 / (y * y)
    acc = acc + (1 + 1 / (2 * y) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / y
    return xp.where(refl, -acc, acc)


# ---- Hurwitz zeta (Cephes zeta: direct sum, then Euler-Maclaurin), element by element as PyTorch ----
_MACHEP = 1.11022302462515654042e-16
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)
_ZETA_MAX_TERMS = 1 << 20  # the direct sum runs to q + terms > 9: bounded for hugely negative q


def _zeta64(x, q):
    xp = get_xp(x)
    x, q = xp.broadcast_arrays(x, q)
    out = xp.full(x.shape, math.nan)
    q_int = q == xp.floor(q)
    special = xp.where(x == 1, math.inf, xp.where(x < 1, math.nan, xp.where(
        (q <= 0) & q_int, math.inf, math.nan)))
    done = (x == 1) | (x < 1) | ((q <= 0) & (q_int | (x != xp.floor(x))))
    out = xp.where(done, special, out)
    active = ~done
    s = q ** -x
    a = q.copy()
    b = xp.zeros_like(s)
    i = 0
    while i < _ZETA_MAX_TERMS:
        cont = active & ((i < 9) | (a <= 9))
        if not bool(cont.any()):
            break
        i += 1
        a = xp.where(cont, a + 1, a)
        b = xp.where(cont, a ** -x, b)
        s = xp.where(cont, s + b, s)
        conv = cont & (-_MACHEP * s < b) & (b < _MACHEP * s)
        out = xp.where(conv, s, out)
        active = active & ~conv
    w = a
    s = xp.where(active, s + b * w / (x - 1) - 0.5 * b, s)
    fac = xp.ones_like(s)
    k = 0.0
    for coef in _ZETA_A:
        fac = fac * (x + k)
        b = b / w
        t = fac * b / coef
        s = xp.where(active, s + t, s)
        conv = active & (xp.abs(t / s) < _MACHEP)
        out = xp.where(conv, s, out)
        active = active & ~conv
        k += 1
        fac = fac * (x + k)
        b = b / w
        k += 1
    return xp.where(active, s, out)


def _polygamma64(n, x, native):
    if n == 0:
        return _digamma64(x)
    if n == 1:
        return _trigamma64(x, native)
    return (1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0)) * _zeta64(get_xp(x).asarray(n + 1.0), x)


# Taylor coefficients of lgamma about 2, highest power first (|t| < 0.2: the 22nd term is below 1e-17).
_LG_ROOT2 = tuple(float((-1) ** k * _zeta64(np.asarray(float(k)), np.asarray(2.0)) / k) for k in range(22, 1, -1)) + (
    1 - 0.57721566490153286061,)


# ---- modified Bessel functions I0 and I1: power series up to 30, the asymptotic expansion beyond ----------
_BESSEL_SPLIT = 30.0


def _bessel_series(order, scaled, terms):
    """The power series sum (x^2/4)^k / (k! (k+order)!) (x/2)^order, to `terms` terms (|x| small enough)."""
    def f(v):
        xp = get_xp(v)
        q = v * v / 4
        term = xp.ones_like(v) if order == 0 else v / 2
        acc = term
        for k in range(1, terms):
            term = term * q / (k * (k + order))
            acc = acc + term
        return acc * xp.exp(-v) if scaled else acc
    return f


def _bessel_asymptotic(order, scaled):
    """The asymptotic series in 1/(8x) for x > 30: its terms shrink past k = 24."""
    def f(w):
        xp = get_xp(w)
        mu = 4.0 * order * order
        term = xp.ones_like(w)
        series = term
        for k in range(1, 25):
            term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * w)
            series = series + term
        far = series / xp.sqrt(2 * _PI * w)
        return far if scaled else xp.exp(w) * far  # inf * finite / inf: NaN at infinity, as PyTorch's
    return f


def _bessel64(x, order, scaled):
    """I_order(x) (order 0 or 1), times exp(-|x|) when scaled. Series terms: past k = 24 below 1e-17 of the sum
    for |x| <= 4, past k = 80 for |x| <= 30."""
    xp = get_xp(x)
    ax = xp.abs(x)
    out = _by_region(ax, [(~(ax <= _BESSEL_SPLIT), _bessel_asymptotic(order, scaled), 40.0),
                          (ax <= 4, _bessel_series(order, scaled, 24), 1.0)],
                     _bessel_series(order, scaled, 80), 10.0)
    return xp.copysign(out, x) if order == 1 else out


# ---- the ops -------------------------------------------------------------------------------------------

def _in64(fn):
    """fwd(xp, x) for _unary: fn on float64 values, cast back to x's dtype."""
    return lambda xp, x: fn(_f64(x)).astype(x.dtype, copy=False)


def lgamma(a):
    return _unary(a, _in64(_lgamma64), lambda m, x: _digamma64(x) if m is _A else digamma(x), "LgammaBackward0")


def digamma(a):
    return _unary(a, _in64(_digamma64), lambda m, x: _d_polygamma(m, 1, x), "DigammaBackward0")


def _d_polygamma(m, n, x):
    return _polygamma64(n, _f64(x), x).astype(x.dtype, copy=False) if m is _A else polygamma(n, x)


def _check_n(n):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")


def polygamma(n, a):
    _check_n(n)
    n = int(n)
    return _unary(a, lambda xp, x: _polygamma64(n, _f64(x), x).astype(x.dtype, copy=False),
                  lambda m, x: _d_polygamma(m, n + 1, x), "PolygammaBackward0")


def _mvlgamma_check(a, p):
    if a._data.dtype.kind == "b":
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")


def mvlgamma(a, p):
    """sum over i < p of lgamma(a - i/2), plus p(p-1)/4 log(pi); composed, so its gradient is the digammas'."""
    _mvlgamma_check(a, p)
    ad = _pw._float_input(a)
    xp = get_xp(ad)
    shifts = C.const(xp.arange(p, dtype=ad.dtype)[::-1] * -0.5, a._device)
    x = a if a._data.dtype == ad.dtype else a.to(_float_dtype(ad))
    return (x.unsqueeze(-1) + shifts).lgamma().sum(-1) + p * (p - 1) * math.log(_PI) / 4


def mvlgamma_check_inplace(a, p):
    """PyTorch's mvlgamma_ names the types the other way round from every other in-place op."""
    _mvlgamma_check(a, p)
    if a._data.dtype.kind != "f":
        from .inplace import _cast_name

        raise RuntimeError(f"mvlgamma: result type {_cast_name(a._data.dtype)} can't be cast to the desired output "
                           f"type {_cast_name(_pw._float_input(a).dtype)}")


def _float_dtype(ad):
    from .. import _dtype

    return _dtype._BY_NP[ad.dtype]


def _i0_d(m, x):
    return _bessel_arr(x, 1, False) if m is _A else i1(x)


def _i0e_d(m, x):
    if m is _A:
        return _bessel_arr(x, 1, True) - get_xp(x).sign(x) * _bessel_arr(x, 0, True)
    return i1e(x) - x.sgn() * i0e(x)


def _i1_like_d(m, x, scaled):
    """PyTorch's i1/i1e backward: i0(x) - i1(x)/x (i0e(x) - i1e(x)(sgn x + 1/x)), 0.5 where |x| <= eps."""
    eps = float(np.finfo(x.dtype if m is _A else x._data.dtype).eps)
    if m is _A:
        xp = get_xp(x)
        tiny = xp.abs(x) <= eps
        safe = xp.where(tiny, eps, x)
        i0s, i1s = _bessel_arr(safe, 0, scaled), _bessel_arr(x, 1, scaled)
        d = i0s - i1s * ((xp.sign(safe) + 1 / safe) if scaled else 1 / safe)
        return xp.where(tiny, 0.5, d).astype(x.dtype, copy=False)
    tiny = x.abs() <= eps
    safe = _pw.where(tiny, C.const(get_xp(x._data).asarray(eps, dtype=x._data.dtype), x._device), x)
    if scaled:
        d = i0e(safe) - i1e(x) * (safe.sgn() + safe.reciprocal())
    else:
        d = i0(safe) - i1(x) * safe.reciprocal()
    return _pw.where(tiny, C.const(get_xp(x._data).asarray(0.5, dtype=x._data.dtype), x._device), d)


def _bessel_arr(x, order, scaled):
    return _bessel64(_f64(x), order, scaled).astype(x.dtype, copy=False)


def i0(a):
    return _unary(a, lambda xp, x: _bessel_arr(x, 0, False), _i0_d, "I0Backward0")


def i0e(a):
    return _unary(a, lambda xp, x: _bessel_arr(x, 0, True), _i0e_d, "SpecialI0EBackward0")


def i1(a):
    return _unary(a, lambda xp, x: _bessel_arr(x, 1, False), lambda m, x: _i1_like_d(m, x, False),
                  "SpecialI1Backward0")


def i1e(a):
    return _unary(a, lambda xp, x: _bessel_arr(x, 1, True), lambda m, x: _i1_like_d(m, x, True),
                  "SpecialI1EBackward0")


# ---- the regularised incomplete gamma functions (series below a + 1, Lentz's continued fraction above) ----
_IGAM_MAX_TERMS = 100000


def _igam_series(a, x):
    """P(a, x) by its power series (x < a + 1)."""
    xp = get_xp(a)
    term = xp.ones_like(a) / a
    acc = term
    ap = a.copy()
    active = xp.ones(a.shape, dtype=bool)
    n = 0
    while bool(active.any()) and n < _IGAM_MAX_TERMS:
        n += 1
        ap = ap + 1
        term = xp.where(active, term * x / ap, term)
        acc = xp.where(active, acc + term, acc)
        active = active & (xp.abs(term) > xp.abs(acc) * 1e-17)
    return acc * xp.exp(a * xp.log(x) - x - _lgamma64(a))


def _igamc_fraction(a, x):
    """Q(a, x) by Lentz's continued fraction (x >= a + 1)."""
    xp = get_xp(a)
    tiny = 1e-300
    b = x + 1 - a
    c = xp.full(a.shape, 1 / tiny)
    d = 1 / b
    h = d
    active = xp.ones(a.shape, dtype=bool)
    i = 0
    while bool(active.any()) and i < _IGAM_MAX_TERMS:
        i += 1
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1 / d
        delta = d * c
        h = xp.where(active, h * delta, h)
        active = active & (xp.abs(delta - 1) > 1e-16)
    return xp.exp(a * xp.log(x) - x - _lgamma64(a)) * h


def _igam64(a, x, upper):
    """P(a, x), or Q(a, x) = 1 - P when upper, with PyTorch's values at the edges."""
    xp = get_xp(a)
    a, x = xp.broadcast_arrays(a, x)
    ok = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    use_series = x < a + 1
    sa, sx = xp.where(ok & use_series, a, 1.0), xp.where(ok & use_series, x, 0.5)
    fa, fx = xp.where(ok & ~use_series, a, 1.0), xp.where(ok & ~use_series, x, 3.0)
    p_series = _igam_series(sa, sx)
    q_frac = _igamc_fraction(fa, fx)
    p = xp.where(use_series, p_series, 1 - q_frac)
    q = xp.where(use_series, 1 - p_series, q_frac)
    out = q if upper else p
    # edges: x = 0 gives P = 0; a = 0 (x > 0) P = 1; x = inf P = 1; a = inf (finite x) P = 0
    lo, hi = (1.0, 0.0) if upper else (0.0, 1.0)
    out = xp.where((x == 0) & (a > 0), lo, out)
    out = xp.where((a == 0) & (x > 0), hi, out)
    out = xp.where(xp.isinf(x) & (x > 0) & xp.isfinite(a) & (a > 0), hi, out)
    out = xp.where(xp.isinf(a) & xp.isfinite(x) & (x >= 0), lo, out)
    bad = (a < 0) | (x < 0) | xp.isnan(a) | xp.isnan(x) | ((a == 0) & (x == 0)) | (xp.isinf(a) & xp.isinf(x))
    return xp.where(bad, math.nan, out)


def _d_igam(a, x):
    """d/dx P(a, x) = x^(a-1) exp(-x) / Gamma(a)."""
    xp = get_xp(a)
    return xp.exp((a - 1) * xp.log(x) - x - _lgamma64(a))


class _SecondArgBackward(Node):
    """Binary special functions with a derivative only in their second argument (PyTorch's zeta, igamma)."""

    __slots__ = ("x", "q", "sq", "_d", "_dt", "_op", "_name")
    saves = ("x", "q")

    def _refuse(self):
        if self.next[0] is not None:
            raise NotImplementedError(f"the derivative for '{self._op}' is not implemented.")

    def backward(self, g):
        self._refuse()
        d = quiet(lambda: self._d(_f64(self.x), _f64(self.q)))
        return (None, C.unbroadcast((g * d).astype(g.dtype, copy=False), self.sq))

    def backward_graph(self, g):
        self._refuse()
        dev = g._device
        x, q = C.saved_in(self, 0, self.x, dev), C.saved_in(self, 1, self.q, dev)
        return (None, C.sum_to(g * self._dt(x, q), self.sq))

    def name(self):
        return self._name


def _binary_special(x, q, fwd, d, dt, op, name, int_kernel=None):
    """fwd(x, q) on float64 arrays; x or q may be a Python number. int_kernel: PyTorch's kernel name when it
    refuses integer inputs."""
    if not isinstance(x, C.Tensor):
        x = C.const(get_xp(q._data).asarray(x, dtype=_pw._float_input(q).dtype if isinstance(x, float) else None),
                    q._device)
    xd, qd = C.operands(x, q)
    if int_kernel and xd.dtype.kind != "f":
        raise NotImplementedError(f"\"{int_kernel}\" not implemented for '{_pw._dtype_legacy(xd.dtype)}'")
    if xd.dtype.kind != "f":
        xd, qd = _pw._float_input(wrap(xd, x._device)), _pw._float_input(wrap(qd, x._device))
    xd, qd = get_xp(xd).asarray(xd), get_xp(xd).asarray(qd, dtype=xd.dtype)
    try:
        np.broadcast_shapes(xd.shape, qd.shape)
    except ValueError:
        C.broadcast_error(xd.shape, qd.shape)
    out = quiet(lambda: fwd(_f64(xd), _f64(qd)).astype(xd.dtype, copy=False))
    q_t = isinstance(q, C.Tensor)
    if (x._rg or (q_t and q._rg)) and _grad_state.enabled:
        node = _SecondArgBackward((edge(x), edge(q) if q_t else None))
        node.x, node.q, node.sq = xd, qd, qd.shape
        node._d, node._dt, node._op, node._name = d, dt, op, name
        save_check(node, *[(t, a) for t, a in ((x, xd), (q, qd)) if isinstance(t, C.Tensor)])
        return wrap_grad(out, x._device, node)
    return wrap(out, x._device)


def zeta(x, q):
    """Hurwitz zeta: sum over k >= 0 of (k + q) ** -x; d/dq = -x zeta(x + 1, q)."""
    return _binary_special(x, q, _zeta64, lambda x, q: -x * _zeta64(x + 1, q), lambda x, q: -x * zeta(x + 1, q),
                           "zeta", "SpecialZetaBackward0")


def _d_igam_tensor(a, x):
    return ((a - 1) * x.log() - x - a.lgamma()).exp()


def gammainc(a, x):
    """The regularised lower incomplete gamma function P(a, x)."""
    return _binary_special(a, x, lambda a, x: _igam64(a, x, False), _d_igam, _d_igam_tensor,
                           "igamma: input", "IgammaBackward0", "igamma_cpu")


def gammaincc(a, x):
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _binary_special(a, x, lambda a, x: _igam64(a, x, True), lambda a, x: -_d_igam(a, x),
                           lambda a, x: -_d_igam_tensor(a, x), "igammac: input", "IgammacBackward0", "igammac_cpu")
