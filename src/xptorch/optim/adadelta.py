"""Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of updates and of gradients."""
from .._ops.inplace import bump
from ._state import check_lr, check_nonneg, each_grad, scalar_state, zeros_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """v <- rho v + (1 - rho) g^2;  delta = sqrt(u + eps) / sqrt(v + eps) g;
    u <- rho u + (1 - rho) delta^2;  p <- p - lr delta.  g includes weight_decay * p and is negated
    when maximize.
    """

    _param_shaped_state = ("square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonneg(eps, "epsilon")
        check_nonneg(weight_decay, "weight_decay")
        if capturable:
            raise NotImplementedError("capturable=True is not supported")
        _check_flags(foreach, differentiable, None)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, p, st, group):
        """The state of a parameter at its first step."""
        st["step"] = scalar_state(0.0)
        st["square_avg"] = zeros_state(p)
        st["acc_delta"] = zeros_state(p)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            rho, eps, wd = group["rho"], group["eps"], group["weight_decay"]
            for p, st, d, xp, g, _ in each_grad(self, group, self._new_state):
                if wd != 0:
                    g = xp.add(g, xp.multiply(d, wd))
                v = st["square_avg"]._data
                u = st["acc_delta"]._data
                xp.multiply(v, rho, out=v)
                xp.add(v, xp.multiply(xp.multiply(g, g), 1 - rho), out=v)
                std = xp.sqrt(xp.add(v, eps))
                delta = xp.multiply(xp.divide(xp.sqrt(xp.add(u, eps)), std), g)
                xp.multiply(u, rho, out=u)
                xp.add(u, xp.multiply(xp.multiply(delta, delta), 1 - rho), out=u)
                bump(st["square_avg"])
                bump(st["acc_delta"])
                xp.subtract(d, xp.multiply(delta, lr), out=d)
                bump(p)
        return loss
