"""RAdam (Liu et al., 2019): Adam whose adaptive step is rectified for the variance of its early estimates."""

from .._ops.inplace import bump
from ._state import check_betas, check_lr, check_nonneg, each_grad, lerp_, scalar_state, zeros_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """m <- lerp(m, g, 1 - beta1);  v <- beta2 v + (1 - beta2) g^2;  rho_inf = 2 / (1 - beta2) - 1,
    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t);  if rho_t > 5:
    p <- p - lr m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t with
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)),
    else p <- p - lr m / (1 - beta1^t).  Weight decay as in NAdam.
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
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
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, p, st, group):
        """The state of a parameter at its first step."""
        st["step"] = scalar_state(0.0)
        st["exp_avg"] = zeros_state(p)
        st["exp_avg_sq"] = zeros_state(p)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd = group["eps"], group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p, st, d, xp, g, t in each_grad(self, group, self._new_state):
                if wd != 0:
                    if decoupled:
                        xp.multiply(d, 1 - lr * wd, out=d)
                    else:
                        g = xp.add(g, xp.multiply(d, wd))
                m = st["exp_avg"]._data
                v = st["exp_avg_sq"]._data
                lerp_(m, g, 1 - beta1, xp)
                xp.multiply(v, beta2, out=v)
                xp.add(v, xp.multiply(xp.multiply(g, g), 1 - beta2), out=v)
                bump(st["exp_avg"])
                bump(st["exp_avg_sq"])
                bias_correction1 = 1 - beta1 ** t
                bias_correction2 = 1 - beta2 ** t
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
                upd = xp.multiply(xp.divide(m, bias_correction1), lr)
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = xp.divide(bias_correction2 ** 0.5, xp.add(xp.sqrt(v), eps))
                    upd = xp.multiply(xp.multiply(upd, adaptive), rect)
                xp.subtract(d, upd, out=d)
                bump(p)
        return loss
