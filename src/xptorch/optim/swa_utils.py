"""Weight averaging: stochastic weight averaging (SWA) and exponential moving averages (EMA) of a model.

AveragedModel keeps a copy of a model whose parameters are a running average of the model's over
update_parameters() calls; SWALR anneals each group's lr towards a constant swa_lr; update_bn
recomputes BatchNorm statistics for the averaged weights with one pass over the data.
"""
import copy
import math

import numpy as np

from .. import _dtype
from .._factories import tensor
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.instancenorm import _InstanceNorm
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _is_float(t):
    return t.is_floating_point() or t.is_complex()


def _lerp_(averaged, current, weight):
    """averaged <- averaged + weight * (current - averaged), in PyTorch's two-sided form (exact at weight 1).

    The weight is rounded to the precision PyTorch computes in first (float64 for float64, else float32).
    """
    if isinstance(weight, Tensor):
        weight = weight.item()
    w = (np.float64 if averaged.dtype is _dtype.float64 else np.float32)(weight)
    diff = current - averaged
    if abs(w) < 0.5:
        averaged.add_(diff * float(w))
    else:
        averaged.copy_(current - diff * float(w.dtype.type(1) - w))


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place multi_avg_fn for AveragedModel: each average becomes decay * average + (1 - decay) * current."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if _is_float(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                _lerp_(p_ema, p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place multi_avg_fn for AveragedModel: the equal-weight mean of all models seen so far."""

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if _is_float(averaged_param_list[0]):
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                _lerp_(p_avg, p_model, 1 / (num_averaged + 1))
            return
        diffs = [p_model - p_avg for p_avg, p_model in zip(averaged_param_list, current_param_list)]
        for p_avg, d in zip(averaged_param_list, diffs):
            if isinstance(num_averaged, Tensor):
                p_avg.addcdiv_(d, num_averaged + 1)  # refused for integer tensors, as in PyTorch
            else:
                p_avg.add_(d, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An avg_fn for AveragedModel returning decay * average + (1 - decay) * current."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """An avg_fn for AveragedModel returning the running mean: average + (current - average) / (n + 1)."""

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _by_device_and_dtype(averaged, current):
    """Pairs of tensor lists, one pair per (device, dtype) of the averages, in order of first appearance."""
    groups = {}
    for a, c in zip(averaged, current):
        mine, theirs = groups.setdefault((str(a.device), a.dtype), ([], []))
        mine.append(a)
        theirs.append(c)
    return groups


class AveragedModel(Module):
    """A deep copy of `model` (as `self.module`) whose weights average the model's over update_parameters().

    By default the average is SWA's equal-weight mean; `avg_fn(average, current, n_averaged)` returns a new
    value per tensor, `multi_avg_fn(averages, currents, n_averaged)` updates lists of tensors of one device
    and dtype in place (get_ema_multi_avg_fn() for an EMA). The count is the int64 buffer `n_averaged`.
    With use_buffers=True buffers are averaged too; otherwise they are copied from the model.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        super().__init__()
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dtype.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold `model`'s current weights into the average (the first call copies them)."""
        if self.use_buffers:
            mine = [*self.module.parameters(), *self.module.buffers()]
            theirs = [*model.parameters(), *model.buffers()]
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        averaged, current = [], []
        for a, c in zip(mine, theirs):
            averaged.append(a.detach())
            current.append(c.detach().to(a.device))
        with no_grad():
            if bool(self.n_averaged == 0):
                for a, c in zip(averaged, current):
                    a.copy_(c)
            elif self.avg_fn is not None:
                for a, c in zip(averaged, current):
                    a.copy_(self.avg_fn(a, c, self.n_averaged.to(a.device)))
            else:
                for (device, _), (avgs, curs) in _by_device_and_dtype(averaged, current).items():
                    n = self.n_averaged.to(device)
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avgs, curs, n)
                    else:  # PyTorch's CPU path: the running mean, one tensor at a time
                        mean = get_swa_avg_fn()
                        for a, c in zip(avgs, curs):
                            a.copy_(mean(a, c, n))
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_avg.copy_(b_model.detach().to(b_avg.device))
            self.n_averaged += 1


def _batch_norms(model):
    # xptorch's instance norms derive from _BatchNorm; PyTorch's do not, and update_bn leaves them alone.
    return [m for m in model.modules() if isinstance(m, _BatchNorm) and not isinstance(m, _InstanceNorm)]


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every BatchNorm in `model` with one pass over `loader`.

    The statistics are reset and then averaged over all batches (momentum None for the pass); a batch that
    is a list or tuple contributes its first element, moved to `device` when given. Runs without autograd
    and restores the model's training mode and the momenta.
    """
    norms = _batch_norms(model)
    if not norms:
        return
    momenta = {}
    for m in norms:
        m.reset_running_stats()
        momenta[m] = m.momentum
    was_training = model.training
    model.train()
    for m in norms:
        m.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for m, momentum in momenta.items():
            m.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr from its current value to `swa_lr` over `anneal_epochs` steps, then holds it.

    anneal_strategy 'cos' follows (1 - cos(pi t)) / 2 of the way, 'linear' t, with t = step / anneal_epochs.
    swa_lr is one value or one per param group, stored in each group as 'swa_lr'.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        self._set_anneal_func(anneal_strategy)
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The lr that, moved alpha of the way to swa_lr, gives lr: the schedule's start, recovered."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self):
        self._warn_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        groups = self.optimizer.param_groups
        starts = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, starts)]

    def state_dict(self):
        """Every attribute except the optimizer and the annealing function (restored from its name)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
