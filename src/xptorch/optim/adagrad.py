"""Adagrad (Duchi et al., 2011): per-element step sizes from the running sum of squared gradients."""
from .._ops.inplace import bump
from ._state import check_lr, check_nonneg, each_grad, full_state, scalar_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """g <- g + weight_decay p (g negated when maximize); clr = lr / (1 + (t - 1) lr_decay);
    s <- s + g^2;  p <- p - clr g / (sqrt(s) + eps).

    The state is created for every parameter at construction, as PyTorch does.
    """

    _param_shaped_state = ("sum",)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check_nonneg(lr_decay, "lr_decay")
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(initial_accumulator_value, "initial_accumulator_value")
        check_nonneg(eps, "epsilon")
        _check_flags(foreach, differentiable, fused)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p)

    def _init_state(self, st, p):
        st["step"] = scalar_state(0.0)
        st["sum"] = full_state(p, self.defaults["initial_accumulator_value"])

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            wd, lr_decay, eps = group["weight_decay"], group["lr_decay"], group["eps"]
            for p, st, d, xp, g, t in each_grad(self, group, lambda p, st, group: self._init_state(st, p)):
                if wd != 0:
                    g = xp.add(g, xp.multiply(d, wd))
                clr = lr / (1 + (t - 1) * lr_decay)
                s = st["sum"]._data
                xp.add(s, xp.multiply(g, g), out=s)
                bump(st["sum"])
                std = xp.add(xp.sqrt(s), eps)
                xp.add(d, xp.divide(xp.multiply(g, -clr), std), out=d)
                bump(p)
        return loss
