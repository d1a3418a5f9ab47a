"""Alpha dropout (for SELU networks): dropped units take SELU's negative saturation value, and an affine map
keeps the mean and variance; feature_alpha_dropout drops whole channels.

As PyTorch: with alpha = 1.7580993408473766 (SELU's scale times alpha), a = ((alpha²·p + 1)·(1 - p))^-1/2 and
a Bernoulli(1 - p) mask m, the output is input·(m·a) + (m - 1)·alpha·a + alpha·a·p.
"""
import math

from ._common import need_tensor, tensor_args

__all__ = ["alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _alpha(input, p, train, feature, inplace):
    if p == 0 or not train or input.numel() == 0:
        return input
    from .._factories import empty, zeros

    if p == 1:
        z = zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(z) if inplace else input * z
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        shape = tuple(input.shape)
    if input._data.dtype.kind in "biu":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype._legacy[:-6]}")
    noise = empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = (noise - 1) * (_ALPHA * a) + _ALPHA * a * p
    noise = noise * a
    return input.mul_(noise).add_(b) if inplace else input * noise + b


@tensor_args
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of each element with probability p while training; identity otherwise."""
    _check_p(p)
    need_tensor(input, "alpha_dropout", "input", 1)
    return _alpha(input, p, training, False, inplace)


@tensor_args
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (one draw per sample and channel of an (N, C, *) input)."""
    _check_p(p)
    need_tensor(input, "feature_alpha_dropout", "input", 1)
    return _alpha(input, p, training, True, inplace)

