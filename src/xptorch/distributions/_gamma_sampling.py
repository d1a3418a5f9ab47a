"""Standard Gamma samples (Marsaglia and Tsang, 2000) with the implicit reparameterisation gradient
dx/dalpha = -(dP(alpha, x)/dalpha) / p(x; alpha), P the regularised lower incomplete gamma function.

The gradient's series: dx/dalpha = -sum_n x^(n+1) / (alpha)_(n+1) * (log x - digamma(alpha + n + 1)), summed in
float64 until its terms fall below 1e-17 of the sum (a few terms for x << alpha, about x - alpha + 10 sqrt(x)
beyond).
"""
import math

from .. import _factories as T
from ..autograd.grad_mode import no_grad, state as _grad_state
from ..autograd.node import Node
from .._ops._common import edge, get_xp, quiet, wrap, wrap_grad
from .._ops.gamma import _digamma64

_MAX_TERMS = 100000


def standard_gamma_grad(alpha, x):
    """dx/dalpha of a Gamma(alpha, 1) sample x (float64 arrays)."""
    return quiet(_standard_gamma_grad, alpha, x)


def _standard_gamma_grad(alpha, x):
    xp = get_xp(alpha)
    logx = xp.log(x)
    term = x / alpha
    psi = _digamma64(alpha + 1)
    acc = -term * (logx - psi)
    active = xp.ones(alpha.shape, dtype=bool) & (x > 0)
    n = 0
    while bool(active.any()) and n < _MAX_TERMS:
        n += 1
        psi = psi + 1 / (alpha + n)
        term = term * x / (alpha + n)
        step = -term * (logx - psi)
        acc = xp.where(active, acc + step, acc)
        # Past the peak (alpha + n > x) the terms fall geometrically: stop once they are negligible.
        active = active & ~((alpha + n > x) & (xp.abs(step) <= 1e-17 * xp.abs(acc)))
    return xp.where(x > 0, acc, 0.0)


class StandardGammaBackward0(Node):
    __slots__ = ("alpha", "x")
    saves = ("alpha", "x")

    def backward(self, g):
        a, x = self.alpha, self.x
        d = standard_gamma_grad(a.astype("float64"), x.astype("float64"))
        return ((g * d).astype(g.dtype, copy=False),)


def standard_gamma(concentration):
    """Gamma(concentration, 1) samples of concentration's shape, differentiable in concentration."""
    alpha = concentration._data
    dev = concentration.device
    xp = get_xp(alpha)
    a = alpha.astype("float64")
    boost = a < 1
    d = xp.where(boost, a + 1, a) - 1.0 / 3.0
    c = 1.0 / xp.sqrt(9.0 * d)
    out = xp.zeros_like(a)
    todo = a > 0
    with no_grad():
        while bool(todo.any()):
            z = T.randn(a.shape, dtype=T_float64(), device=dev)._data
            u = T.rand(a.shape, dtype=T_float64(), device=dev)._data
            v = (1 + c * z) ** 3
            ok = quiet(lambda: (v > 0) & (xp.log(u) < 0.5 * z * z + d - d * v + d * xp.log(xp.where(v > 0, v, 1.0))))
            take = todo & ok
            out = xp.where(take, d * v, out)
            todo = todo & ~take
        u = T.rand(a.shape, dtype=T_float64(), device=dev)._data
        out = quiet(lambda: xp.where(boost, out * u ** (1.0 / xp.where(boost, a, 1.0)), out))
    out = xp.where(a > 0, out, math.nan)
    tiny = float(xp.finfo(alpha.dtype).tiny)
    sample = xp.maximum(out.astype(alpha.dtype), tiny)
    if concentration._rg and _grad_state.enabled:
        node = StandardGammaBackward0((edge(concentration),))
        node.alpha, node.x = alpha, sample
        return wrap_grad(sample, dev, node)
    return wrap(sample, dev)


def T_float64():
    from .. import _dtype

    return _dtype.float64
