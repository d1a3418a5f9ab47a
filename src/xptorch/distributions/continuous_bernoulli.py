"""ContinuousBernoulli(probs or logits): density C(p) p^x (1 - p)^(1 - x) on [0, 1] (Loaiza-Ganem and Cunningham,
2019). Near p = 1/2, inside lims, the closed forms lose precision, so Taylor expansions around 1/2 are used."""
import math
import numbers

from .. import _factories as T
from .. import _functions as F
from .._size import Size
from . import constraints
from .bernoulli import _bce_with_logits
from .distribution import Distribution
from .utils import BinaryParams, broadcast_all, clamp_probs, lazy_property, logits_to_probs


class ContinuousBernoulli(BinaryParams, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
            # checked before the clamp below, which would otherwise hide invalid values (as PyTorch, only when
            # validate_args is given explicitly)
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        self._lims = lims
        super().__init__(Size() if scalar else self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = Size(batch_shape)
        self._expand_params(new, batch_shape)
        return self._expanded(new, batch_shape)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        """probs, with the values near 1/2 moved to lims[0] so the closed forms stay finite there."""
        return F.where(self._outside_unstable_region(), self.probs, T.full_like(self.probs, self._lims[0]))

    def _cont_bern_log_norm(self):
        """log C(p) = log |log(1 - p) - log p| - log |1 - 2p|; log 2 + 4/3 x + 104/45 x^2, x = (p - 1/2)^2, near 1/2."""
        p = self._cut_probs()
        below = F.where(p <= 0.5, p, T.zeros_like(p))
        above = F.where(p >= 0.5, p, T.ones_like(p))
        log_norm = ((-p).log1p() - p.log()).abs().log() - F.where(p <= 0.5, (-2.0 * below).log1p(),
                                                                   (2.0 * above - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return F.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        p = self._cut_probs()
        mus = p / (2.0 * p - 1.0) + 1.0 / ((-p).log1p() - p.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return F.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return self.variance.sqrt()

    @property
    def variance(self):
        p = self._cut_probs()
        var = p * (p - 1.0) / (1.0 - 2.0 * p).pow(2) + 1.0 / ((-p).log1p() - p.log()).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return F.where(self._outside_unstable_region(), var, taylor)

    def sample(self, sample_shape=Size()):
        from ..autograd.grad_mode import no_grad

        shape = self._extended_shape(sample_shape)
        u = T.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=Size()):
        """The inverse cdf at a uniform draw, differentiable in probs."""
        shape = self._extended_shape(sample_shape)
        return self.icdf(T.rand(shape, dtype=self.probs.dtype, device=self.probs.device))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value) + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        cdfs = (p.pow(value) * (1.0 - p).pow(1.0 - value) + p - 1.0) / (2.0 * p - 1.0)
        unbounded = F.where(self._outside_unstable_region(), cdfs, value)
        return F.where(value <= 0.0, T.zeros_like(value),
                       F.where(value >= 1.0, T.ones_like(value), unbounded))

    def icdf(self, value):
        p = self._cut_probs()
        closed = ((-p + value * (2.0 * p - 1.0)).log1p() - (-p).log1p()) / (p.log() - (-p).log1p())
        return F.where(self._outside_unstable_region(), closed, value)

    def entropy(self):
        log_probs0 = (-self.probs).log1p()
        log_probs1 = self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0
