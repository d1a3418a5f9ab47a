"""Multinomial(total_count, probs or logits): category counts of total_count categorical draws."""
from .. import _factories as T
from .. import _functions as F
from .._size import Size
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all, finfo, lgamma


class Multinomial(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int) or isinstance(total_count, bool):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        return self._expanded(new, batch_shape, self.event_shape)

    @constraints.dependent_property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        sample_shape = Size(sample_shape)
        samples = self._categorical.sample(Size((self.total_count,)) + sample_shape)
        order = list(range(samples.dim()))
        order.append(order.pop(0))  # the draws' dim goes last, where the counts are taken
        samples = samples.permute(*order)
        counts = T.zeros(self._extended_shape(sample_shape), dtype=samples.dtype, device=samples.device)
        counts.scatter_add_(-1, samples, T.ones_like(samples))
        return counts.type_as(self.probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = lgamma(value.sum(-1) + 1)
        log_factorial_xs = lgamma(value + 1).sum(-1)
        # 0 * log(0) counts as 0: an impossible category drawn zero times costs nothing.
        logits = F.where((value == 0) & (logits == float("-inf")), T.zeros_like(logits), logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

    def entropy(self):
        n = self.total_count
        cat_entropy = self._categorical.entropy()
        log_n_factorial = float(lgamma(T.tensor(float(n + 1))).item())
        term1 = n * cat_entropy - log_n_factorial
        # E[sum_i log x_i!] with each count x_i ~ Binomial(n, p_i), over the support 1..n.
        p = self.probs
        batch_ndim = p.dim()
        k = T.arange(1, n + 1, dtype=p.dtype, device=p.device).reshape((n,) + (1,) * batch_ndim)
        eps = float(finfo(p).eps)
        pc = p.clamp(min=eps, max=1 - eps)
        log_binom = (log_n_factorial - lgamma(k + 1) - lgamma(n - k + 1)
                     + k * pc.log() + (n - k) * (1 - pc).log())
        term2 = (log_binom.exp() * lgamma(k + 1)).sum([0, -1])
        return term1 + term2
