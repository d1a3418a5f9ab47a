"""nn.functional losses of distributions: kl_div, poisson_nll_loss, gaussian_nll_loss.

Each is composed from differentiable Tensor ops in PyTorch's order, so values, gradients (of every order, also at
zero targets and clamped variances) and grad_fn names follow PyTorch's.
"""
import math
import warnings

import numpy as np

from ..amp import _state as _amp
from .loss import _reduction, _tensor_arg, legacy_reduction

__all__ = ["gaussian_nll_loss", "kl_div", "poisson_nll_loss"]

_ENUM = {"none": 0, "mean": 1, "sum": 2}


def _apply_reduction(loss, reduction):
    """PyTorch's apply_loss_reduction on its integer enum: 1 mean, 2 sum, anything else none."""
    if reduction == 1:
        return loss.mean()
    if reduction == 2:
        return loss.sum()
    return loss


def _int_reduction(fname, reduction, pos):
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"{fname}(): argument 'reduction' (position {pos}) must be int, not {type(reduction).__name__}")


def kl_div_enum(input, target, reduction=1, log_target=False):
    """torch.kl_div: the pointwise KL terms target·(log target - input), reduced by the integer enum."""
    if _amp.active:
        input, target = _amp.cast("kl_div", input, target)
    _tensor_arg(input, "kl_div", "input", 1)
    _tensor_arg(target, "kl_div", "target", 2)
    _int_reduction("kl_div", reduction, 3)
    kinds = (input._data.dtype.kind, target._data.dtype.kind)
    if "c" in kinds:
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if not all(k == "f" for k in kinds):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    from .._functions import xlogy

    if log_target:
        out = target.exp() * (target - input)
    else:
        # xlogy makes a zero target contribute 0 (and its input gradient 0), as PyTorch.
        out = xlogy(target, target) - target * input
    return _apply_reduction(out, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of target from input (log-probabilities): target·(log target - input)."""
    if size_average is not None or reduce is not None:
        enum = _ENUM[legacy_reduction(size_average, reduce)]
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                stacklevel=2,
            )
        enum = 2 if reduction == "batchmean" else _ENUM[_reduction(reduction)]
    reduced = kl_div_enum(input, target, enum, log_target=log_target)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    return reduced


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target·input (log_input), else input - target·log(input + eps); full adds Stirling's
    target·log(target) - target + log(2π·target)/2 where target > 1."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not a valid value for reduction")
    if _amp.active:
        input, target = _amp.cast("poisson_nll_loss", input, target)
    _tensor_arg(input, "poisson_nll_loss", "input", 1)
    _tensor_arg(target, "poisson_nll_loss", "target", 2)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # 0·log 0 is masked below, silently as in PyTorch
            stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, _ENUM[reduction])


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log(max(var, eps)) + (input - target)² / max(var, eps)) / 2, plus log(2π)/2 when full; the clamp is
    invisible to the gradient, as in PyTorch."""
    from .. import _factories, _functions as Fn
    from ..autograd.grad_mode import no_grad

    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _factories.ones_like(input)
    elif Fn.any(var < 0):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(y for x, y in zip(input.size(), var.size()) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss

