"""GeneralizedPareto(loc, scale, concentration xi): survival (1 + xi z)^(-1/xi), z = (x - loc) / scale, the
exponential law at xi = 0; support [loc, inf) for xi >= 0, [loc, loc - scale / xi] for xi < 0."""
import math
import numbers

from .. import _factories as T
from .. import _functions as F
from .._size import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


def _is_zero(c):
    """Where c is 0 to within isclose's default absolute tolerance; there the xi -> 0 limits are used."""
    return c.abs() <= 1e-8


class GeneralizedPareto(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        scalar = all(isinstance(v, numbers.Number) for v in (loc, scale, concentration))
        super().__init__(Size() if scalar else self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(GeneralizedPareto, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        return self._expanded(new, batch_shape)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def _safe_concentration(self):
        eq_zero = _is_zero(self.concentration)
        return eq_zero, F.where(eq_zero, T.ones_like(self.concentration), self.concentration)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(T.rand(shape, dtype=self.loc.dtype, device=self.loc.device))

    def log_prob(self, value):
        """-log scale - (1 / xi + 1) log(1 + xi z); -log scale - z at xi = 0."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, c = self._safe_concentration()
        y = 1 / c + T.ones_like(z)
        nonzero = F.where(y == 0, y, y * (c * z).log1p())
        return -self.scale.log() - F.where(eq_zero, z, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, c = self._safe_concentration()
        return F.where(eq_zero, -z, -(c * z).log1p() / c)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        eq_zero, c = self._safe_concentration()
        logu = (-value).log1p()
        nonzero = self.loc + self.scale / c * (-c * logu).expm1()
        return F.where(eq_zero, self.loc - self.scale * logu, nonzero)

    @property
    def mean(self):
        """loc + scale / (1 - xi) for xi < 1, else nan."""
        valid = self.concentration < 1
        c = F.where(valid, self.concentration, T.full_like(self.concentration, 0.5))
        return F.where(valid, self.loc + self.scale / (1 - c), T.full_like(self.loc, math.nan))

    @property
    def variance(self):
        """scale^2 / ((1 - xi)^2 (1 - 2 xi)) for xi < 1/2, else nan."""
        valid = self.concentration < 0.5
        c = F.where(valid, self.concentration, T.full_like(self.concentration, 0.25))
        result = self.scale**2 / ((1 - c) ** 2 * (1 - 2 * c))
        return F.where(valid, result, T.full_like(result, math.nan))

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).expand(self._batch_shape)

    @constraints.dependent_property
    def support(self):
        lower = self.loc
        upper = F.where(self.concentration < 0, lower - self.scale / self.concentration,
                        T.full_like(lower, math.inf))
        return constraints.interval(lower, upper)
