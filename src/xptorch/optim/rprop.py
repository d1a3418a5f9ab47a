"""Rprop (Riedmiller & Braun, 1993): per-element step sizes adapted from the sign of successive gradients."""
from .._ops.inplace import bump
from ._state import check_lr, each_grad, full_state, scalar_state, zeros_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """s = sign(g * g_prev): the step size is multiplied by etas[1] where s > 0, etas[0] where s < 0, then
    clamped to step_sizes; where s < 0 the gradient counts as 0;  p <- p - sign(g) * step_size; g_prev <- g.
    g is negated when maximize.
    """

    _param_shaped_state = ("prev", "step_size")

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        if capturable:
            raise NotImplementedError("capturable=True is not supported")
        _check_flags(foreach, differentiable, None)
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _new_state(self, p, st, group):
        """The state of a parameter at its first step."""
        st["step"] = scalar_state(0.0)
        st["prev"] = zeros_state(p)
        st["step_size"] = full_state(p, float(group["lr"]))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            lo, hi = group["step_sizes"]
            for p, st, d, xp, g, _ in each_grad(self, group, self._new_state):
                prev = st["prev"]._data
                size = st["step_size"]._data
                s = xp.sign(xp.multiply(g, prev))
                factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1.0)).astype(d.dtype)
                xp.clip(xp.multiply(size, factor), lo, hi, out=size)
                g = xp.where(factor == etaminus, 0, g).astype(d.dtype)
                xp.subtract(d, xp.multiply(xp.sign(g), size), out=d)
                prev[...] = g
                for t in (st["step_size"], st["prev"], p):
                    bump(t)
        return loss
