"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum schedule."""
from .._ops.inplace import bump
from ._state import check_betas, check_lr, check_nonneg, each_grad, lerp_, scalar_state, scalar_value, zeros_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """mu_t = beta1 (1 - 0.96^(t psi) / 2) with psi = momentum_decay, P_t = prod mu_i;
    m <- lerp(m, g, 1 - beta1);  v <- beta2 v + (1 - beta2) g^2;  d = sqrt(v / (1 - beta2^t)) + eps;
    p <- p - lr (1 - mu_t) / (1 - P_t) g / d - lr mu_{t+1} / (1 - P_t mu_{t+1}) m / d.
    weight_decay adds weight_decay * p to g, or with decoupled_weight_decay scales p by
    1 - lr * weight_decay first.
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_nonneg(eps, "epsilon")
        check_betas(betas)
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(momentum_decay, "momentum_decay")
        if capturable:
            raise NotImplementedError("capturable=True is not supported")
        _check_flags(foreach, differentiable, None)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, p, st, group):
        """The state of a parameter at its first step."""
        st["step"] = scalar_state(0.0)
        st["mu_product"] = scalar_state(1.0)
        st["exp_avg"] = zeros_state(p)
        st["exp_avg_sq"] = zeros_state(p)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, psi = group["eps"], group["weight_decay"], group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p, st, d, xp, g, t in each_grad(self, group, self._new_state):
                bias_correction2 = 1 - beta2 ** t
                if wd != 0:
                    if decoupled:
                        xp.multiply(d, 1 - lr * wd, out=d)
                    else:
                        g = xp.add(g, xp.multiply(d, wd))
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
                # mu_product is a scalar tensor: the product rounds in its dtype, as PyTorch's does.
                mp = st["mu_product"]
                mp._data *= mu
                bump(mp)
                mu_product = scalar_value(mp)
                m = st["exp_avg"]._data
                v = st["exp_avg_sq"]._data
                lerp_(m, g, 1 - beta1, xp)
                xp.multiply(v, beta2, out=v)
                xp.add(v, xp.multiply(xp.multiply(g, g), 1 - beta2), out=v)
                bump(st["exp_avg"])
                bump(st["exp_avg_sq"])
                denom = xp.add(xp.sqrt(xp.divide(v, bias_correction2)), eps)
                mu_product_next = mu_product * mu_next
                xp.add(d, xp.divide(xp.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product)), denom), out=d)
                xp.add(d, xp.divide(xp.multiply(m, (-lr * mu_next) / (1.0 - mu_product_next)), denom), out=d)
                bump(p)
        return loss
