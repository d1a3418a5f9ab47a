"""Parameter helpers shared by the distributions: broadcasting, probs <-> logits, lazy properties."""
import numbers

import numpy as np

from .. import _functions as F
from .._tensor import Tensor


def broadcast_all(*values):
    """Tensors of one broadcast shape; Python numbers become tensors of the others' dtype and device
    (float32 on the CPU when every value is a number)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, xptorch.Tensor or objects "
                         "implementing __torch_function__.")
    from .._factories import tensor

    ref = next((v for v in values if isinstance(v, Tensor)), None)
    if ref is None:
        return tuple(tensor(float(v)) for v in values)
    dtype, device = ref.dtype, ref.device
    vals = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype, device=device) for v in values]
    return F.broadcast_tensors(*vals)


def finfo(t):
    return np.finfo(t._data.dtype)


def clamp_probs(probs):
    eps = float(finfo(probs).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    p = clamp_probs(probs)
    return p.log() - (1 - p).log() if is_binary else p.log()


def logits_to_probs(logits, is_binary=False):
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def lgamma(t):
    """log Gamma of a tensor's values, as a constant (counts in Multinomial are never differentiated)."""
    import math

    host = t.detach().cpu().numpy().astype(np.float64)
    out = np.vectorize(math.lgamma, otypes=[np.float64])(host) if host.size else host
    from .._factories import tensor

    return tensor(out, dtype=t.dtype if t.is_floating_point() else None, device=t.device)


class lazy_property:
    """Computed on first access, then stored on the instance (probs from logits and back)."""

    def __init__(self, fn):
        self.wrapped = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


class BinaryParams:
    """probs and logits of a two-outcome law (Bernoulli, Binomial, NegativeBinomial, ...): the one given is stored,
    with _param naming it; the other is derived on first use."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    def _expand_params(self, new, batch_shape):
        """new's probs or logits (whichever this one stores) expanded to batch_shape; _param follows."""
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(batch_shape)


def sum_rightmost(value, dim):
    """value summed over its dim rightmost dims (log densities of reinterpreted batch dims)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)
