"""Elementwise math beyond the basics: inverse trig, log/exp variants, erf, rounding parts, float tests and
two-input functions (atan2, hypot, logaddexp, xlogy, fmod, copysign, heaviside).

Each derivative is written once, as a formula over a math namespace: on arrays for backward, on Tensors
for the second-order rule, so both come from the same line.
"""
import math

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, quiet, save_check, unbroadcast, wrap, wrap_grad
from . import pointwise as _pw
from .activation import erf as _erf_array


class _ArrayMath:
    """The derivative formulas' functions on NumPy/CuPy arrays."""

    sqrt = staticmethod(lambda x: get_xp(x).sqrt(x))
    exp = staticmethod(lambda x: get_xp(x).exp(x))
    exp2 = staticmethod(lambda x: get_xp(x).exp2(x))
    log = staticmethod(lambda x: get_xp(x).log(x))
    sin = staticmethod(lambda x: get_xp(x).sin(x))
    cos = staticmethod(lambda x: get_xp(x).cos(x))
    tan = staticmethod(lambda x: get_xp(x).tan(x))
    trunc = staticmethod(lambda x: get_xp(x).trunc(x))
    sigmoid = staticmethod(_pw._sigmoid)
    isfinite = staticmethod(lambda x: get_xp(x).isfinite(x))
    isnan = staticmethod(lambda x: get_xp(x).isnan(x))
    where = staticmethod(lambda c, a, b: get_xp(c).where(c, a, b))
    one = staticmethod(lambda x: get_xp(x).ones_like(x))
    zero = staticmethod(lambda x: get_xp(x).zeros_like(x))


class _TensorMath:
    """The same functions on Tensors (differentiable: the second-order rules)."""

    sqrt = staticmethod(_pw.sqrt)
    exp = staticmethod(_pw.exp)
    exp2 = staticmethod(lambda x: exp2(x))
    log = staticmethod(_pw.log)
    sin = staticmethod(_pw.sin)
    cos = staticmethod(_pw.cos)
    tan = staticmethod(lambda x: tan(x))
    trunc = staticmethod(lambda x: trunc(x))
    sigmoid = staticmethod(_pw.sigmoid)
    isfinite = staticmethod(lambda x: x.isfinite())
    isnan = staticmethod(lambda x: x.isnan())
    where = staticmethod(lambda c, a, b: _pw.where(c, a, b))
    one = staticmethod(lambda x: C.const(get_xp(x._data).ones_like(x._data), x._device))
    zero = staticmethod(lambda x: C.const(get_xp(x._data).zeros_like(x._data), x._device))


_A, _T = _ArrayMath, _TensorMath


def _cast(d, like):
    return d.astype(like.dtype, copy=False) if d.dtype != like.dtype else d


class UnaryMathBackward(Node):
    """g * d(x): d is the op's derivative formula over a math namespace."""

    __slots__ = ("a", "_d", "_name")
    saves = ("a",)

    def backward(self, g):
        return (quiet(lambda: _cast(g * self._d(_A, self.a), g)),)

    def backward_graph(self, g):
        return (g * self._d(_T, C.saved_in(self, 0, self.a, g._device)),)

    def name(self):
        return self._name


def _unary(a, fwd, d, name, ad=None):
    """fwd(xp, array) of a's values (as float), recorded with derivative d."""
    if ad is None:
        ad = _pw._float_input(a)
    out = quiet(fwd, get_xp(ad), ad)
    if a._rg and _grad_state.enabled:
        node = UnaryMathBackward((edge(a),))
        node.a, node._d, node._name = ad, d, name
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_2_SQRTPI = 2.0 / math.sqrt(math.pi)


def asin(a):
    return _unary(a, lambda xp, x: xp.arcsin(x), lambda m, x: 1 / m.sqrt(1 - x * x), "AsinBackward0")


def acos(a):
    return _unary(a, lambda xp, x: xp.arccos(x), lambda m, x: -1 / m.sqrt(1 - x * x), "AcosBackward0")


def atan(a):
    return _unary(a, lambda xp, x: xp.arctan(x), lambda m, x: 1 / (1 + x * x), "AtanBackward0")


def tan(a):
    return _unary(a, lambda xp, x: xp.tan(x), lambda m, x: 1 + m.tan(x) * m.tan(x), "TanBackward0")


def asinh(a):
    return _unary(a, lambda xp, x: xp.arcsinh(x), lambda m, x: 1 / m.sqrt(x * x + 1), "AsinhBackward0")


def acosh(a):
    return _unary(a, lambda xp, x: xp.arccosh(x), lambda m, x: 1 / m.sqrt((x - 1) * (x + 1)), "AcoshBackward0")


def atanh(a):
    return _unary(a, lambda xp, x: xp.arctanh(x), lambda m, x: 1 / (1 - x * x), "AtanhBackward0")


def log10(a):
    return _unary(a, lambda xp, x: xp.log10(x), lambda m, x: 1 / (x * _LN10), "Log10Backward0")


def log2(a):
    return _unary(a, lambda xp, x: xp.log2(x), lambda m, x: 1 / (x * _LN2), "Log2Backward0")


def log1p(a):
    return _unary(a, lambda xp, x: xp.log1p(x), lambda m, x: 1 / (x + 1), "Log1PBackward0")


def expm1(a):
    return _unary(a, lambda xp, x: xp.expm1(x), lambda m, x: m.exp(x), "Expm1Backward0")


def exp2(a):
    return _unary(a, lambda xp, x: xp.exp2(x), lambda m, x: m.exp2(x) * _LN2, "Exp2Backward0")


def _erfc_array(x):
    """erfc with its relative precision kept for large x (1 - erf(x) would lose it past x ~ 3)."""
    xp = get_xp(x)
    ax = xp.abs(x)
    mid = xp.clip(ax, 1.0, 8.0)
    from .activation import _P, _Q, _poly

    tail = xp.exp(-mid * mid) * _poly(mid, _P) / _poly(mid, _Q)
    # Beyond 8 the asymptotic series exp(-x^2)/(x sqrt(pi)) * sum (-1)^k (2k-1)!! / (2x^2)^k is exact to
    # double precision within its first 12 terms.
    big = xp.maximum(ax, 8.0)
    inv = 1.0 / (2.0 * big * big)
    term = xp.ones_like(big)
    acc = xp.ones_like(big)
    for k in range(1, 12):
        term = term * (-(2 * k - 1)) * inv
        acc = acc + term
    far = xp.exp(-big * big) / (big * math.sqrt(math.pi)) * acc
    pos = xp.where(ax < 1, 1 - _erf_array(ax), xp.where(ax <= 8, tail, far))
    return xp.where(x < 0, 2 - pos, pos).astype(x.dtype, copy=False)


def erf(a):
    return _unary(a, lambda xp, x: _erf_array(x), lambda m, x: _2_SQRTPI * m.exp(-(x * x)), "ErfBackward0")


def erfc(a):
    return _unary(a, lambda xp, x: _erfc_array(x), lambda m, x: -_2_SQRTPI * m.exp(-(x * x)), "ErfcBackward0")


def _sinc_d(m, x):
    px = x * math.pi
    return m.where(x == 0, m.zero(x), (m.cos(px) * px - m.sin(px)) / (px * x))


def _sinc_values(xp, x):
    """sin(pi x) / (pi x) in x's dtype, 1 at 0: NumPy's formula, which PyTorch's values match. CuPy's sinc differs
    (1 at NaN, an exact 0 at the integers), so on a device the formula runs as NumPy writes it."""
    if xp is np:
        return np.sinc(x)
    px = x * x.dtype.type(math.pi)
    y = xp.where(px != 0, px, np.finfo(x.dtype).eps)
    return xp.sin(y) / y


def sinc(a):
    return _unary(a, _sinc_values, _sinc_d, "SincBackward0")


def deg2rad(a):
    return _unary(a, lambda xp, x: x * (math.pi / 180.0), lambda m, x: m.one(x) * (math.pi / 180.0), "Deg2RadBackward0")


def rad2deg(a):
    return _unary(a, lambda xp, x: x * (180.0 / math.pi), lambda m, x: m.one(x) * (180.0 / math.pi), "Rad2DegBackward0")


def trunc(a):
    C.no_kernel(a, "trunc_vml_cpu", ints=True)
    if a._data.dtype.kind in "iu":
        return _pw.rounding(a, lambda xp, d: d.copy(), "TruncBackward0")
    return _pw.rounding(a, lambda xp, d: xp.trunc(d), "TruncBackward0")


def frac(a):
    C.no_kernel(a, "frac_cpu")
    ad = a._data
    return _unary(a, lambda xp, x: x - xp.trunc(x), lambda m, x: m.one(x), "FracBackward0", ad)


def sgn(a):
    return _pw.sign(a) if not (a._rg and _grad_state.enabled) else _renamed(_pw.sign(a), "SgnBackward0")


def _renamed(t, name):
    t.grad_fn._name = name
    return t


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    ad = a._data
    xp = get_xp(ad)
    if ad.dtype.kind != "f":
        return wrap(ad.copy(), a._device)
    info = np.finfo(ad.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf

    def fwd(xp, x):
        out = xp.where(x != x, xp.asarray(nan, dtype=x.dtype), x)
        out = xp.where(x == math.inf, xp.asarray(hi, dtype=x.dtype), out)
        return xp.where(x == -math.inf, xp.asarray(lo, dtype=x.dtype), out)

    return _unary(a, fwd, lambda m, x: m.where(m.isfinite(x), m.one(x), m.zero(x)), "NanToNumBackward0", ad)


def signbit(a):
    ad = a._data
    if ad.dtype.kind == "b":
        return wrap(get_xp(ad).zeros(ad.shape, dtype=bool), a._device)
    return wrap(get_xp(ad).signbit(ad), a._device)


def isinf(a):
    ad = a._data
    xp = get_xp(ad)
    return wrap(xp.isinf(ad) if ad.dtype.kind == "f" else xp.zeros(ad.shape, dtype=bool), a._device)


def isposinf(a):
    ad = a._data
    xp = get_xp(ad)
    return wrap(ad == math.inf if ad.dtype.kind == "f" else xp.zeros(ad.shape, dtype=bool), a._device)


def isneginf(a):
    ad = a._data
    xp = get_xp(ad)
    return wrap(ad == -math.inf if ad.dtype.kind == "f" else xp.zeros(ad.shape, dtype=bool), a._device)


def isreal(a):
    ad = a._data
    return wrap(get_xp(ad).ones(ad.shape, dtype=bool), a._device)


# ---- two inputs ----------------------------------------------------------------------------------

class BinaryMathBackward(Node):
    """g * da(a, b) to a and g * db(a, b) to b (each summed back to its shape); b may be a number."""

    __slots__ = ("a", "b", "sa", "sb", "_da", "_db", "_name")
    saves = ("a", "b")

    def backward(self, g):
        ga = gb = None
        if self.next[0] is not None:
            ga = quiet(lambda: unbroadcast(_cast(g * self._da(_A, self.a, self.b), g), self.sa))
        if len(self.next) > 1 and self.next[1] is not None:
            gb = quiet(lambda: unbroadcast(_cast(g * self._db(_A, self.a, self.b), g), self.sb))
        return (ga, gb) if len(self.next) > 1 else (ga,)

    def backward_graph(self, g):
        dev = g._device
        a = C.saved_in(self, 0, self.a, dev)
        b = C.saved_in(self, 1, self.b, dev) if len(self.next) > 1 else self.b
        ga = gb = None
        if self.next[0] is not None:
            ga = C.sum_to(g * self._da(_T, a, b), self.sa)
        if len(self.next) > 1 and self.next[1] is not None:
            gb = C.sum_to(g * self._db(_T, a, b), self.sb)
        return (ga, gb) if len(self.next) > 1 else (ga,)

    def name(self):
        return self._name


def _binary(a, b, ad, bd, out, da, db, name):
    """Wrap out = op(a, b); b a Tensor or a Python number (then only a has an edge)."""
    b_t = isinstance(b, C.Tensor)
    if (a._rg or (b_t and b._rg)) and _grad_state.enabled:
        edges = (edge(a), edge(b)) if b_t else (edge(a),)
        node = BinaryMathBackward(edges)
        node.a, node.b, node.sa, node.sb = ad, bd, ad.shape, np.shape(bd)
        node._da, node._db, node._name = da, db, name
        pairs = [(a, ad)] + ([(b, bd)] if b_t else [])
        save_check(node, *pairs)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _float_operands(a, b):
    """Promoted operands, integers and bools computed in float32 (PyTorch's int-to-float ops)."""
    ad, bd = C.operands(a, b)
    if ad.dtype.kind != "f":
        ad = ad.astype(np.float32)
    if isinstance(bd, C.Tensor) or hasattr(bd, "dtype"):
        if bd.dtype.kind != "f":
            bd = bd.astype(ad.dtype)
    return ad, bd


def _run(fn, ad, bd):
    try:
        return quiet(fn, ad, bd)
    except ValueError:
        C.broadcast_error(ad.shape, np.shape(bd))


def _float_only(a, b, kernel):
    ad, bd = C.operands(a, b)
    if ad.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_pw._dtype_legacy(ad.dtype)}'")
    return ad, bd


def atan2(a, b):
    ad, bd = _float_operands(a, b)
    out = _run(get_xp(ad).arctan2, ad, bd)
    return _binary(a, b, ad, bd, out, lambda m, x, y: y / (x * x + y * y), lambda m, x, y: -x / (x * x + y * y),
                   "Atan2Backward0")


def hypot(a, b):
    ad, bd = _float_only(a, b, "hypot_cpu")
    out = _run(get_xp(ad).hypot, ad, bd)
    return _binary(a, b, ad, bd, out, lambda m, x, y: x / m.sqrt(x * x + y * y),
                   lambda m, x, y: y / m.sqrt(x * x + y * y), "HypotBackward0")


def logaddexp(a, b):
    ad, bd = _float_only(a, b, "logaddexp_cpu")
    out = _run(get_xp(ad).logaddexp, ad, bd)
    return _binary(a, b, ad, bd, out, lambda m, x, y: m.sigmoid(x - y), lambda m, x, y: m.sigmoid(y - x),
                   "LogaddexpBackward0")


def logaddexp2(a, b):
    ad, bd = _float_only(a, b, "logaddexp2_cpu")
    out = _run(get_xp(ad).logaddexp2, ad, bd)
    return _binary(a, b, ad, bd, out, lambda m, x, y: m.sigmoid((x - y) * _LN2),
                   lambda m, x, y: m.sigmoid((y - x) * _LN2), "Logaddexp2Backward0")


def _log_number(y):
    return math.log(y) if y > 0 else (-math.inf if y == 0 else math.nan)


def _xlogy_fwd(x, y):
    xp = get_xp(x)
    if not hasattr(y, "dtype"):
        y = float(y)
        return xp.where(x == 0, xp.zeros_like(x), x * _log_number(y)) if y == y else x * math.nan
    out = x * xp.log(y)
    out = xp.where(x == 0, xp.zeros_like(out), out)
    return xp.where(y != y, y, out)


def _xlogy_da(m, x, y):
    # PyTorch's rule is log(y) everywhere, x == 0 included
    return m.one(x) * _log_number(float(y)) if isinstance(y, (int, float)) else m.log(y) + m.zero(x)


def xlogy(a, b):
    ad, bd = _float_operands(a, b)
    out = _run(_xlogy_fwd, ad, bd)
    return _binary(a, b, ad, bd, out, _xlogy_da, lambda m, x, y: x / y, "XlogyBackward0")


def _xlog1py_fwd(x, y):
    xp = get_xp(x)
    if not hasattr(y, "dtype"):
        y = float(y)
        ly = math.log1p(y) if y > -1 else (-math.inf if y == -1 else math.nan)
        return xp.where(x == 0, xp.zeros_like(x), x * ly) if y == y else x * math.nan
    out = x * xp.log1p(y)
    out = xp.where(x == 0, xp.zeros_like(out), out)
    return xp.where(y != y, y, out)


def _xlog1py_da(m, x, y):
    # PyTorch's rule: log1p(y), except 0 where x == 0 and y <= -1
    if isinstance(y, (int, float)):
        ly = math.log1p(y) if y > -1 else (-math.inf if y == -1 else math.nan)
        return m.one(x) * ly if y > -1 else m.where(x == 0, m.zero(x), m.one(x) * ly)
    ly = get_xp(y).log1p(y) if m is _A else log1p(y)
    return m.where((x == 0) & (y <= -1), m.zero(x) + m.zero(y), ly + m.zero(x))


def xlog1py(a, b):
    ad, bd = _float_operands(a, b)
    out = _run(_xlog1py_fwd, ad, bd)
    return _binary(a, b, ad, bd, out, _xlog1py_da, lambda m, x, y: x / (y + 1), "SpecialXlog1PyBackward0")


def logit(a, eps=None):
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps is given (no gradient outside)."""
    if eps is None:
        fwd = lambda xp, x: xp.log(x / (1 - x))  # noqa: E731

        def d(m, x):
            return m.where((x < 0) | (x > 1), m.one(x) * math.nan, 1 / (x * (1 - x)))
    else:
        lo, hi = float(eps), 1 - float(eps)

        def fwd(xp, x):
            z = xp.clip(x, lo, hi)
            return xp.where(x != x, x, xp.log(z / (1 - z)))

        def d(m, x):
            # PyTorch's two rules differ at NaN: its kernel (first order) keeps NaN, its differentiable form gives 0
            if m is _A:
                return m.where((x < lo) | (x > hi), m.zero(x), 1 / (x * (1 - x)))
            return m.where((x >= lo) & (x <= hi), 1 / (x * (1 - x)), m.zero(x))

    return _unary(a, fwd, d, "LogitBackward0")


def fmod(a, b):
    ad, bd = C.operands(a, b)
    xp = get_xp(ad)
    if ad.dtype.kind in "iub" and get_xp(bd).asarray(bd).dtype.kind in "iub":
        if not (bd != 0 if type(bd) is int else bool((bd != 0).all())):
            raise RuntimeError("ZeroDivisionError")
    out = _run(xp.fmod, ad, bd)
    if ad.dtype.kind != "f":
        return wrap(out, a._device)
    return _binary(a, b, ad, bd, out, lambda m, x, y: m.one(x),
                   lambda m, x, y: -m.trunc(x / y), "FmodBackward0" if not isinstance(b, C.Tensor) else "FmodBackward1")


def copysign(a, b):
    ad, bd = _float_operands(a, b)
    out = _run(get_xp(ad).copysign, ad, bd)

    def da(m, x, y):
        # d|x|*sign(y)/dx: sign(x) * sign(out), zero at x == 0 (PyTorch's rule)
        r = m.where(x == 0, m.zero(x), m.one(x))
        s = m.where((x < 0) != (_signbit(m, y, x)), -r, r)
        return s

    return _binary(a, b, ad, bd, out, da, lambda m, x, y: m.zero(y) if not isinstance(y, (int, float)) else None,
                   "CopysignBackward0" if isinstance(b, C.Tensor) else "CopysignBackward1")


def _signbit(m, y, like):
    if isinstance(y, (int, float)):
        return math.copysign(1.0, y) < 0
    if m is _A:
        return get_xp(y).signbit(y)
    return signbit(y)


def heaviside(a, values):
    if a._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    ad, vd = C.operands(a, values)
    out = _run(lambda x, v: get_xp(x).where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False), ad, vd)
    if (a._rg or values._rg) and _grad_state.enabled:
        node = _pw.NotImplementedBackward((edge(a), edge(values)))
        node.op = "heaviside"
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _fminmax(a, b, fwd, first, name):
    """fmax/fmin: NaN loses to a number. The gradient goes where the value came from: to a where
    first(x, y) holds or y is NaN, else to b (PyTorch's rule)."""
    ad, bd = C.operands(a, b)
    out = _run(getattr(get_xp(ad), fwd), ad, bd)

    def da(m, x, y):
        return m.where(first(x, y) | m.isnan(y), m.one(x), m.zero(x))

    def db(m, x, y):
        return m.where(first(x, y) | m.isnan(y), m.zero(y), m.one(y))

    return _binary(a, b, ad, bd, out, da, db, f"{name}Backward0")


def fmax(a, b):
    return _fminmax(a, b, "fmax", lambda x, y: x >= y, "Fmax")


def fmin(a, b):
    return _fminmax(a, b, "fmin", lambda x, y: x <= y, "Fmin")


def _integer_only(a, b, kernel):
    ad, bd = C.operands(a, b)
    if ad.dtype.kind not in "iu":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_pw._dtype_legacy(ad.dtype)}'")
    return ad, bd


def gcd(a, b):
    ad, bd = _integer_only(a, b, "gcd_cpu")
    return wrap(_run(get_xp(ad).gcd, ad, bd), a._device)


def lcm(a, b):
    ad, bd = _integer_only(a, b, "lcm_cpu")
    return wrap(_run(get_xp(ad).lcm, ad, bd), a._device)


def nextafter(a, b):
    """The next float after a towards b; PyTorch's derivative: 1 for a, 0 for b."""
    ad, bd = _float_only(a, b, "nextafter_cpu")
    out = _run(get_xp(ad).nextafter, ad, bd)
    return _binary(a, b, ad, bd, out, lambda m, x, y: m.one(x), lambda m, x, y: m.zero(y), "NextafterBackward0")


def need_other(x, fname, name="other"):
    C.need_tensor(x, fname, name, 1)
    return x


def float_power(a, e):
    """a ** e computed in float64 (PyTorch's float_power); either side may be a Python number."""
    from .._dtype import float64

    for x in (a, e):
        if not isinstance(x, (C.Tensor, int, float)):
            got = ", ".join(type(v).__name__ if not isinstance(v, C.Tensor) else "Tensor" for v in (a, e))
            raise TypeError(f"float_power() received an invalid combination of arguments - got ({got}), but expected "
                            "one of:\n * (Tensor input, Tensor exponent, *, Tensor out = None)\n * (Number self, "
                            "Tensor exponent, *, Tensor out = None)\n * (Tensor input, Number exponent, *, Tensor out "
                            "= None)\n")
    if isinstance(a, C.Tensor):
        base = a if a._data.dtype == np.float64 else a.to(float64)
        exp = e.to(float64) if isinstance(e, C.Tensor) and e._data.dtype != np.float64 else e
        if not isinstance(exp, C.Tensor):
            exp = float(exp)
        return _pw.pow(base, exp)
    return _pw.rpow(e if e._data.dtype == np.float64 else e.to(float64), float(a))


def check_float_power_(a, e):
    if a._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_pw._dtype_legacy(a._data.dtype)} but the "
                           "operation's result requires dtype Double")


def _zero_graph(res, a, other, name):
    other_t = other if isinstance(other, C.Tensor) else None
    if (a._rg or (other_t is not None and other_t._rg)) and _grad_state.enabled:
        return _pw._zero_grad_result(res._data, a, other_t, name)
    return res


def compare_(a, other, op, name):
    """eq_/lt_/...: the comparison's 0/1 stored in a's own dtype; in the graph, a zero gradient."""
    from . import inplace as _ip

    return _ip.apply(a, lambda x, o: _zero_graph(_pw.compare(x, o, op), x, o, name), other)


def logical_(a, other, method):
    from . import inplace as _ip

    if other is None:
        return _ip.apply(a, lambda x: method(x))
    return _ip.apply(a, lambda x, o: method(x, o), other)


_BITWISE = {"and": ("bitwise_and", "bitwise_and_cpu"), "or": ("bitwise_or", "bitwise_or_cpu"),
            "xor": ("bitwise_xor", "bitwise_xor_cpu"), "left_shift": ("left_shift", "lshift_cpu"),
            "right_shift": ("right_shift", "rshift_cpu")}


def bitwise(a, b, op):
    ufunc, kernel = _BITWISE[op]
    ad, bd = C.operands(a, b)
    if ad.dtype.kind == "b" and type(bd) is int:  # a bool tensor with an int promotes to int64
        ad = ad.astype(np.int64)
    k = ad.dtype.kind
    if k == "f" or (k == "b" and op.endswith("shift")):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_pw._dtype_legacy(ad.dtype)}'")
    xp = get_xp(ad)
    if op.endswith("shift"):
        bits = ad.dtype.itemsize * 8
        sh = xp.asarray(bd)
        if op == "left_shift":
            fn = lambda x, y: xp.where((y < 0) | (y >= bits), xp.zeros((), x.dtype), xp.left_shift(x, xp.clip(y, 0, bits - 1).astype(x.dtype)))
        else:
            fn = lambda x, y: xp.where((y < 0) | (y >= bits), xp.where(x < 0, -1, 0).astype(x.dtype),
                                       xp.right_shift(x, xp.clip(y, 0, bits - 1).astype(x.dtype)))
        out = _run(fn, ad, sh)
    else:
        out = _run(getattr(xp, ufunc), ad, bd)
    return wrap(out, a._device)


def bitwise_not(a):
    ad = a._data
    if ad.dtype.kind == "f":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_pw._dtype_legacy(ad.dtype)}'")
    return wrap(~ad, a._device)


def bitwise_(a, other, op):
    from . import inplace as _ip

    if op == "not":
        return _ip.apply(a, bitwise_not)
    return _ip.apply(a, lambda x, o: bitwise(x, o, op), other)


# ---- fused multiply-adds: compositions of differentiable ops (gradients by construction) ----------

def _need(x, fname, name, pos):
    C.need_tensor(x, fname, name, pos)


def _broadcast_in_order(*ts):
    """PyTorch's TensorIterator broadcasts its operands left to right: its error names the first clash."""
    shape = tuple(ts[0]._data.shape)
    for t in ts[1:]:
        if isinstance(t, C.Tensor):
            try:
                shape = np.broadcast_shapes(shape, t._data.shape)
            except ValueError:
                C.broadcast_error(shape, t._data.shape)


def addcmul(a, t1, t2, value=1):
    _need(t1, "addcmul", "tensor1", 2)
    _need(t2, "addcmul", "tensor2", 3)
    _broadcast_in_order(a, t1, t2)
    prod = _pw.mul(t1, t2)
    return _pw.add(a, prod if value == 1 else _pw.mul(prod, value))


def addcdiv(a, t1, t2, value=1):
    _need(t1, "addcdiv", "tensor1", 2)
    _need(t2, "addcdiv", "tensor2", 3)
    check_addcdiv_dtypes(t1, t2)
    _broadcast_in_order(a, t1, t2)
    q = _pw.div(t1, t2)
    return _pw.add(a, q if value == 1 else _pw.mul(q, value))


def check_addcdiv_dtypes(t1, t2):
    """PyTorch refuses an integer quotient (it once truncated, and will divide exactly)."""
    if t1._data.dtype.kind in "iub" and t2._data.dtype.kind in "iub":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
            "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as "
            "(input + value * xptorch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
            "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes.")


def lerp(a, end, weight):
    _need(end, "lerp", "end", 2)
    _pw.check_lerp(a, end)
    if a._data.dtype.kind != "f":
        kern = "lerp_kernel_tensor" if isinstance(weight, C.Tensor) else "lerp_kernel_scalar"
        raise NotImplementedError(f"\"{kern}\" not implemented for '{_pw._dtype_legacy(a._data.dtype)}'")
    if isinstance(weight, C.Tensor) and weight._data.dtype != a._data.dtype:
        raise RuntimeError(f"expected dtype {_pw._CPP_NAMES[a._data.dtype.name]} for `weight` but got dtype "
                           f"{_pw._CPP_NAMES[weight._data.dtype.name]}")
    _broadcast_in_order(a, end, weight)
    return _pw.add(a, _pw.mul(_pw.sub(end, a), weight))


def _scaled(t, k):
    return t if k == 1 else _pw.mul(t, k)


def _fused(inp, prod, beta, alpha, fname):
    """beta * input + alpha * prod, input broadcast to prod's shape (PyTorch ignores input when beta == 0)."""
    from . import shape as _sh

    shp = tuple(prod._data.shape)
    if tuple(inp._data.shape) != shp:
        try:
            np.broadcast_shapes(inp._data.shape, shp)
            ok = np.broadcast_shapes(inp._data.shape, shp) == shp
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"The expanded size of the tensor ({shp[-1] if shp else 1}) must match the existing size "
                f"({inp._data.shape[-1] if inp._data.ndim else 1}) at non-singleton dimension {len(shp) - 1}.  "
                f"Target sizes: [{', '.join(map(str, shp))}].  Tensor sizes: [{', '.join(map(str, inp._data.shape))}]")
    if prod._data.dtype.kind in "iu":
        if fname == "addr":
            for name, k in (("beta", beta), ("alpha", alpha)):
                if isinstance(k, float):
                    raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point "
                                       "number.")
        else:  # PyTorch's integer kernels take the scalars as integers (0.5 -> 0)
            beta, alpha = (int(k) if isinstance(k, float) else k for k in (beta, alpha))
    if beta == 0:
        # input's values are ignored (NaN too), its gradient is zero: a where() that never picks it
        never = C.const(get_xp(inp._data).zeros((), dtype=bool), inp._device)
        return _pw.where(never, inp, _scaled(prod, alpha))
    return _pw.add(_scaled(inp, beta), _scaled(prod, alpha))


def _same_dtype_as_mat2(inp, m2):
    if inp._data.dtype != m2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_pw._dtype_legacy(inp._data.dtype)} and "
                           f"{_pw._dtype_legacy(m2._data.dtype)}")


def addmm(inp, m1, m2, beta=1, alpha=1):
    from .linalg import mm

    _need(m1, "addmm", "mat1", 2)
    _need(m2, "addmm", "mat2", 3)
    _same_dtype_as_mat2(inp, m2)
    if m1._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {m1._data.ndim}-D tensor")
    if m2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {m2._data.ndim}-D tensor")
    return _fused(inp, mm(m1, m2), beta, alpha, "addmm")


def addmv(inp, mat, vec, beta=1, alpha=1):
    from .linalg import mv

    _need(mat, "addmv", "mat", 2)
    _need(vec, "addmv", "vec", 3)
    md, vd, idd = mat._data, vec._data, inp._data
    if not idd.dtype == md.dtype == vd.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{', '.join(_pw._dtype_legacy(d.dtype) for d in (idd, md))}, and {_pw._dtype_legacy(vd.dtype)}")
    if md.ndim == 2 and vd.ndim == 1 and (md.shape[1] != vd.shape[0] or idd.ndim > 1 or
                                          (idd.ndim == 1 and idd.shape[0] not in (1, md.shape[0]))):
        n = idd.shape[0] if idd.ndim == 1 else ("x".join(map(str, idd.shape)) if idd.ndim else "")
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({md.shape[0]}x{md.shape[1]}), vec ({vd.shape[0]})")
    return _fused(inp, mv(mat, vec), beta, alpha, "addmv")


def addr(inp, v1, v2, beta=1, alpha=1):
    from .linalg import outer

    _need(v1, "addr", "vec1", 2)
    _need(v2, "addr", "vec2", 3)
    return _fused(inp, outer(v1, v2), beta, alpha, "addr")


def baddbmm(inp, b1, b2, beta=1, alpha=1):
    from .linalg import bmm

    _need(b1, "baddbmm", "batch1", 2)
    _need(b2, "baddbmm", "batch2", 3)
    if not inp._data.dtype == b1._data.dtype == b2._data.dtype:
        cpp = _pw._CPP_NAMES
        raise RuntimeError(f"Input dtypes must be the same, got: input {cpp[inp._data.dtype.name]}, batch1: "
                           f"{cpp[b1._data.dtype.name]}, batch2: {cpp[b2._data.dtype.name]}")
    return _fused(inp, bmm(b1, b2), beta, alpha, "baddbmm")


def addbmm(inp, b1, b2, beta=1, alpha=1):
    from .linalg import bmm
    from .reduce import sum as _sum

    _need(b1, "addbmm", "batch1", 2)
    _need(b2, "addbmm", "batch2", 3)
    _same_dtype_as_mat2(inp, b2)
    return _fused(inp, _sum(bmm(b1, b2), 0, False, None), beta, alpha, "addbmm")


class InplaceNotImplementedBackward(Node):
    """An in-place op PyTorch records but cannot differentiate: backward refuses, as PyTorch's does."""

    __slots__ = ("op", "_name")

    def backward(self, g):
        raise NotImplementedError(f"the derivative for 'inplace version of {self.op}' is not implemented.")

    def name(self):
        return self._name


def no_inplace_derivative(fn, op):
    """fn's result recorded with a node that refuses backward (asinh_, acosh_, atanh_ in PyTorch)."""
    def run(a):
        res = fn(a)
        if res.grad_fn is not None:
            node = InplaceNotImplementedBackward((edge(a),))
            node.op, node._name = op, res.grad_fn.name()[:-1] + "1"
            res.grad_fn = node
        return res

    return run


def fused_(a, fn, op):
    """addmm_ and friends: the result must have a's shape (PyTorch does not grow a in place)."""
    from . import inplace as _ip

    def run(x):
        res = fn(x)
        if tuple(res._data.shape) != tuple(a._data.shape):
            if op == "addr_" and a._data.ndim != 2:
                raise RuntimeError(f"2D tensor expected, got {a._data.ndim}D tensor for input")
            raise RuntimeError(f"Bad in-place call: input tensor size [{', '.join(map(str, a._data.shape))}] and "
                               f"output tensor size [{', '.join(map(str, res._data.shape))}] should match")
        return res

    return _ip.apply(a, run)
