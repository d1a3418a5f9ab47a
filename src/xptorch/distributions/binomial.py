"""Binomial(total_count, probs or logits): successes in total_count independent trials."""
import math

from .. import _factories as T
from .._ops._common import get_xp, quiet, wrap
from .._ops.gamma import _lgamma64
from .._size import Size
from . import constraints
from .distribution import Distribution
from .utils import BinaryParams, broadcast_all


def _uniform(shape, dev):
    from .. import _dtype

    return T.rand(shape, dtype=_dtype.float64, device=dev)._data


def binomial_sample(count, probs):
    return quiet(_binomial_sample, count, probs)


def _binomial_sample(count, probs):
    """Binomial draws (float64 arrays in, probs' dtype out): inversion (BINV) where n min(p, 1-p) < 10,
    Hoermann's BTRS (1993) with the exact acceptance test above; p > 1/2 by symmetry."""
    dev = probs.device
    n = count._data.astype("float64")
    p = probs._data.astype("float64")
    xp = get_xp(p)
    shape = p.shape
    flip = p > 0.5
    q = xp.where(flip, 1 - p, p)
    ok = (n > 0) & (q > 0)
    out = xp.zeros_like(p)
    small = ok & (n * q < 10)
    # BINV: walk the cdf from 0 with the pmf ratio (a / k - s).
    qs = xp.where(small, q, 0.25)
    s = qs / (1 - qs)
    a = (n + 1) * s
    r = xp.where(small, (1 - qs) ** xp.where(small, n, 1.0), 1.0)
    u = _uniform(shape, dev)
    todo = small.copy()
    while bool(todo.any()):
        todo = todo & (u > r) & (out < n)
        u = xp.where(todo, u - r, u)
        out = xp.where(todo, out + 1, out)
        r = xp.where(todo, r * (a / xp.where(todo, out, 1.0) - s), r)
    big = ok & ~small
    if bool(big.any()):
        nb = xp.where(big, n, 100.0)
        qb = xp.where(big, q, 0.5)
        spq = xp.sqrt(nb * qb * (1 - qb))
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * qb
        c = nb * qb + 0.5
        v_r = 0.92 - 4.2 / b
        alpha = (2.83 + 5.1 / b) * spq
        lpq = xp.log(qb / (1 - qb))
        m = xp.floor((nb + 1) * qb)
        h = _lgamma64(m + 1) + _lgamma64(nb - m + 1)
        todo = big.copy()
        while bool(todo.any()):
            u = _uniform(shape, dev) - 0.5
            v = _uniform(shape, dev)
            us = 0.5 - xp.abs(u)
            k = xp.floor((2 * a / us + b) * u + c)
            inside = (k >= 0) & (k <= nb)
            quick = inside & (us >= 0.07) & (v <= v_r)
            kk = xp.clip(k, 0, nb)
            exact = quiet(lambda: xp.log(v * alpha / (a / (us * us) + b))
                          <= h - _lgamma64(kk + 1) - _lgamma64(nb - kk + 1) + (kk - m) * lpq)
            take = todo & (quick | (inside & exact))
            out = xp.where(take, k, out)
            todo = todo & ~take
    out = xp.where(flip & (n > 0), n - out, out)
    out = xp.where(xp.isnan(p) | xp.isnan(n), math.nan, out)
    return wrap(out.astype(probs._data.dtype), dev)


def _clamp_by_zero(x):
    """clamp(x, min=0) with gradient 1/2 at 0 (PyTorch's)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(BinaryParams, Distribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        self._expand_params(new, batch_shape)
        return self._expanded(new, batch_shape)

    @constraints.dependent_property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        from ..autograd.grad_mode import no_grad

        shape = self._extended_shape(sample_shape)
        with no_grad():
            return binomial_sample(self.total_count.expand(shape).contiguous(), self.probs.expand(shape).contiguous())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = (n + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_nmk = (n - value + 1).lgamma()
        normalize_term = n * _clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p() - log_factorial_n
        return value * logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = T.arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
