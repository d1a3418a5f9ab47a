"""NegativeBinomial(total_count, probs or logits): successes before total_count failures, each trial a success
with probability probs; sampled as Poisson(Gamma(total_count, exp(-logits)))."""
from .._size import Size
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .poisson import poisson_sample
from .utils import BinaryParams, broadcast_all, lazy_property


def _logsigmoid(x):
    from ..nn import functional as NF

    return NF.logsigmoid(x)


class NegativeBinomial(BinaryParams, Distribution):
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
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
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        self._expand_params(new, batch_shape)
        return self._expanded(new, batch_shape)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=(-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=Size()):
        from ..autograd.grad_mode import no_grad

        with no_grad():
            rate = self._gamma.sample(sample_shape)
            return poisson_sample(rate.contiguous())

    def log_prob(self, value):
        """r log(1 - p) + k log p + log C(k + r - 1, k), with 0 for r = k = 0."""
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized = self.total_count * _logsigmoid(-self.logits) + value * _logsigmoid(self.logits)
        log_normalization = -(self.total_count + value).lgamma() + (1.0 + value).lgamma() + self.total_count.lgamma()
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized - log_normalization
