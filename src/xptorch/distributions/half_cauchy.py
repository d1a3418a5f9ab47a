"""HalfCauchy(scale): |X| for X ~ Cauchy(0, scale)."""
import math

from .. import _factories as T
from .cauchy import Cauchy
from .half_normal import _FoldedAtZero


class HalfCauchy(_FoldedAtZero):
    _law = Cauchy

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return T.full(self._extended_shape(), math.inf, dtype=self.scale.dtype, device=self.scale.device)

    @property
    def variance(self):
        return self.base_dist.variance
