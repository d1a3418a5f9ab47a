"""Averaged SGD (Polyak & Juditsky, 1992): SGD with a decaying step and a running average of the iterates."""
from .._ops import _common as C
from .._ops.inplace import bump
from ._state import check_lr, check_nonneg, device_scalar, scalar_value, zeros_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """p <- p (1 - lambd eta) - eta g;  ax <- ax + mu (p - ax) (ax = p while mu = 1);
    eta <- lr / (1 + lambd lr t) ** alpha;  mu <- 1 / max(1, t - t0).  g includes weight_decay * p and is
    negated when maximize. 'step', 'eta' and 'mu' are scalars on the parameter's device, as PyTorch keeps them.
    """

    _param_shaped_state = ("ax",)

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonneg(weight_decay, "weight_decay")
        if capturable:
            raise NotImplementedError("capturable=True is not supported")
        _check_flags(foreach, differentiable, None)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            lambd, alpha, t0, wd = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["step"] = device_scalar(p, 0.0)
                    st["eta"] = device_scalar(p, lr)
                    st["mu"] = device_scalar(p, 1.0)
                    st["ax"] = zeros_state(p)
                d = p._data
                xp = C.get_xp(d)
                g = p._grad._data
                if group["maximize"]:
                    g = xp.negative(g)
                st["step"]._data += 1
                if wd != 0:
                    g = xp.add(g, xp.multiply(d, wd))
                eta = scalar_value(st["eta"])
                xp.multiply(d, 1 - lambd * eta, out=d)
                xp.subtract(d, xp.multiply(g, eta), out=d)
                ax = st["ax"]._data
                if scalar_value(st["mu"]) != 1:
                    xp.add(ax, xp.multiply(xp.subtract(d, ax), st["mu"]._data), out=ax)
                else:
                    ax[...] = d
                t = scalar_value(st["step"])
                st["eta"]._data[...] = lr / ((1 + lambd * lr * t) ** alpha)
                st["mu"]._data[...] = 1 / max(1, t - t0)
                for name in ("step", "eta", "mu", "ax"):
                    bump(st[name])
                bump(p)
        return loss
