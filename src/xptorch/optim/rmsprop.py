"""RMSprop (Hinton's lecture 6e), optionally centered (Graves, 2013) and with momentum."""
from .._ops.inplace import bump
from ._state import check_lr, check_nonneg, each_grad, lerp_, scalar_state, zeros_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """v <- alpha v + (1 - alpha) g^2;  centered: m <- lerp(m, g, 1 - alpha), a = sqrt(v - m^2),
    else a = sqrt(v);  momentum: b <- momentum b + g / (a + eps), p <- p - lr b;
    else p <- p - lr g / (a + eps).  g includes weight_decay * p and is negated when maximize.
    """

    _param_shaped_state = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        check_nonneg(eps, "epsilon")
        check_nonneg(momentum, "momentum")
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(alpha, "alpha")
        if capturable:
            raise NotImplementedError("capturable=True is not supported")
        _check_flags(foreach, differentiable, None)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _new_state(self, p, st, group):
        """The state of a parameter at its first step."""
        st["step"] = scalar_state(0.0)
        st["square_avg"] = zeros_state(p)
        if group["momentum"] > 0:
            st["momentum_buffer"] = zeros_state(p)
        if group["centered"]:
            st["grad_avg"] = zeros_state(p)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha, eps, wd = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered = group["momentum"], group["centered"]
            for p, st, d, xp, g, _ in each_grad(self, group, self._new_state):
                if wd != 0:
                    g = xp.add(g, xp.multiply(d, wd))
                v = st["square_avg"]._data
                xp.multiply(v, alpha, out=v)
                xp.add(v, xp.multiply(xp.multiply(g, g), 1 - alpha), out=v)
                bump(st["square_avg"])
                if centered:
                    m = st["grad_avg"]._data
                    lerp_(m, g, 1 - alpha, xp)
                    bump(st["grad_avg"])
                    avg = xp.sqrt(xp.subtract(v, xp.multiply(m, m)))
                else:
                    avg = xp.sqrt(v)
                avg = xp.add(avg, eps)
                if momentum > 0:
                    b = st["momentum_buffer"]._data
                    xp.multiply(b, momentum, out=b)
                    xp.add(b, xp.divide(g, avg), out=b)
                    bump(st["momentum_buffer"])
                    xp.subtract(d, xp.multiply(b, lr), out=d)
                else:
                    xp.add(d, xp.divide(xp.multiply(g, -lr), avg), out=d)
                bump(p)
        return loss
