"""Adamax (Kingma & Ba, 2015, section 7): Adam with the infinity norm in place of the second moment."""
from .._ops.inplace import bump
from ._state import check_betas, check_lr, check_nonneg, each_grad, lerp_, scalar_state, zeros_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """m <- lerp(m, g, 1 - beta1);  u <- max(beta2 u, |g| + eps);
    p <- p - lr / (1 - beta1^t) m / u.  g includes weight_decay * p and is negated when maximize.
    """

    _param_shaped_state = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonneg(eps, "epsilon")
        check_betas(betas)
        check_nonneg(weight_decay, "weight_decay")
        if capturable:
            raise NotImplementedError("capturable=True is not supported")
        _check_flags(foreach, differentiable, None)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _new_state(self, p, st, group):
        """The state of a parameter at its first step."""
        st["step"] = scalar_state(0.0)
        st["exp_avg"] = zeros_state(p)
        st["exp_inf"] = zeros_state(p)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd = group["eps"], group["weight_decay"]
            for p, st, d, xp, g, t in each_grad(self, group, self._new_state):
                if wd != 0:
                    g = xp.add(g, xp.multiply(d, wd))
                m = st["exp_avg"]._data
                u = st["exp_inf"]._data
                lerp_(m, g, 1 - beta1, xp)
                xp.multiply(u, beta2, out=u)
                xp.maximum(u, xp.add(xp.abs(g), eps), out=u)
                bump(st["exp_avg"])
                bump(st["exp_inf"])
                clr = lr / (1 - beta1 ** t)
                xp.add(d, xp.divide(xp.multiply(m, -clr), u), out=d)
                bump(p)
        return loss
