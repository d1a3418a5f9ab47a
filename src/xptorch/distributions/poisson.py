"""Poisson(rate): counts k >= 0 with probability rate^k exp(-rate) / k!."""
import math
import numbers

from .. import _factories as T
from .._ops._common import get_xp, quiet, wrap
from .._ops.gamma import _lgamma64
from .._size import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


def _uniform(shape, dev):
    from .. import _dtype

    return T.rand(shape, dtype=_dtype.float64, device=dev)._data


def poisson_sample(rate):
    return quiet(_poisson_sample, rate)


def _poisson_sample(rate):
    """Counts with mean rate (float64 arrays): Knuth's product of uniforms below 10, Hoermann's transformed
    rejection (PTRS, 1993) from 10 up."""
    dev = rate.device
    lam = rate._data.astype("float64")
    xp = get_xp(lam)
    shape = lam.shape
    small = lam < 10
    out = xp.zeros_like(lam)
    # Knuth: the number of uniforms whose running product stays above exp(-lam).
    limit = xp.exp(-xp.where(small, lam, 0.0))
    prod = xp.ones_like(lam)
    todo = small & (lam > 0)
    while bool(todo.any()):
        prod = prod * _uniform(shape, dev)
        more = todo & (prod > limit)
        out = xp.where(more, out + 1, out)
        todo = more
    big = ~small
    if bool(big.any()):
        lb = xp.where(big, lam, 10.0)
        slam, loglam = xp.sqrt(lb), xp.log(lb)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        todo = big.copy()
        while bool(todo.any()):
            u = _uniform(shape, dev) - 0.5
            v = _uniform(shape, dev)
            us = 0.5 - xp.abs(u)
            k = xp.floor((2 * a / us + b) * u + lb + 0.43)
            quick = (us >= 0.07) & (v <= vr)
            bad = (k < 0) | ((us < 0.013) & (v > us))
            with_log = quiet(lambda: xp.log(v * inv_alpha / (a / (us * us) + b))
                             <= -lb + k * loglam - _lgamma64(xp.maximum(k, 0.0) + 1))
            take = todo & (quick | (~bad & with_log))
            out = xp.where(take, k, out)
            todo = todo & ~take
    out = xp.where(xp.isnan(lam), math.nan, out)
    return wrap(out.astype(rate._data.dtype), dev)


class Poisson(Distribution):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(Size() if isinstance(rate, numbers.Number) else self.rate.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Poisson, _instance)
        batch_shape = Size(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        return self._expanded(new, batch_shape)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=Size()):
        from ..autograd.grad_mode import no_grad

        shape = self._extended_shape(sample_shape)
        with no_grad():
            return poisson_sample(self.rate.expand(shape).contiguous())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()
