"""Adafactor (Shazeer & Stern, 2018): second moments kept as row and column factors, relative step sizes."""
import numpy as np

from .._ops import _common as C
from .._ops.inplace import bump
from ..backend import use_device
from ._state import each_grad, hyper_value, lerp_, scalar_state, zeros_state
from .optimizer import Optimizer

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """At step t, with G the gradient (negated when maximize): beta2_t = 1 - t^beta2_decay,
    rho_t = min(lr, 1 / sqrt(t)), alpha_t = max(eps2, RMS(p)) rho_t;  p <- p (1 - lr weight_decay).
    A tensor of two or more dims keeps R and C, the running means of G^2 over its last and its
    next-to-last dim, and estimates V = R C / max(mean of R over the next-to-last dim, eps1);
    a vector or scalar keeps V itself as the running mean of G^2.
    U = G / sqrt(max(V, eps1^2));  p <- p - alpha_t U / max(1, RMS(U) / d).
    eps1 = None means the machine epsilon of the group's first parameter that has a gradient.

    foreach is accepted; both settings compute the same update.
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _state_shapes(self, p):
        return _state_shapes(tuple(p.shape))

    @staticmethod
    def _new_state(p, st, group):
        """The state of a parameter at its first step: factors for 2+ dims, a full variance otherwise."""
        st["step"] = scalar_state(0.0)
        if p._grad.ndim > 1:
            shapes = _state_shapes(tuple(p.shape))
            st["row_var"] = _zeros(p, shapes["row_var"])
            st["col_var"] = _zeros(p, shapes["col_var"])
        else:
            st["variance"] = zeros_state(p)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = hyper_value(group["lr"])
            beta2_decay, clip, wd = group["beta2_decay"], group["d"], group["weight_decay"]
            eps1, eps2 = group["eps"]
            for p, st, data, xp, g, t in each_grad(self, group, self._new_state):
                if eps1 is None:
                    eps1 = float(np.finfo(data.dtype).eps)
                weight = t ** beta2_decay  # 1 - beta2_t
                rho = min(lr, 1 / (t ** 0.5))
                # alpha_t uses the parameter before weight decay, as PyTorch computes it.
                alpha = max(eps2, _norm(data, xp) / (data.size ** 0.5)) * rho
                if wd != 0:
                    xp.multiply(data, 1 - lr * wd, out=data)
                if g.ndim > 1:
                    r_t, c_t = st["row_var"], st["col_var"]
                    sq = xp.multiply(g, g)
                    lerp_(r_t._data, xp.mean(sq, axis=-1, keepdims=True), weight, xp)
                    lerp_(c_t._data, xp.mean(sq, axis=-2, keepdims=True), weight, xp)
                    bump(r_t)
                    bump(c_t)
                    row = r_t._data
                    # R C is an outer product over the last two dims: one product per element.
                    var = xp.multiply(row, c_t._data)
                    xp.divide(var, xp.maximum(xp.mean(row, axis=-2, keepdims=True), eps1), out=var)
                else:
                    v_t = st["variance"]
                    lerp_(v_t._data, xp.multiply(g, g), weight, xp)
                    bump(v_t)
                    var = v_t._data.copy()
                upd = xp.sqrt(xp.maximum(var, eps1 * eps1, out=var), out=var)
                xp.multiply(xp.divide(1, upd, out=upd), g, out=upd)  # rsqrt(V) G, as PyTorch rounds it
                denom = max(1.0, _norm(upd, xp) / ((upd.size ** 0.5) * clip))
                xp.add(data, xp.multiply(upd, -alpha / denom, out=upd), out=data)
                bump(p)
        return loss


def _state_shapes(shape):
    """The shapes of the second-moment state of a parameter of this shape: R and C from 2 dims on."""
    if len(shape) < 2:
        return {"variance": shape}
    return {"row_var": shape[:-1] + (1,), "col_var": shape[:-2] + (1, shape[-1])}


def _zeros(p, shape):
    """Zeros of the given shape on parameter p's device, in its dtype."""
    d = p._data
    xp = C.get_xp(d)
    with use_device(p._device):
        return C.wrap(xp.zeros(shape, d.dtype), p._device)


def _norm(arr, xp):
    """The 2-norm of all of arr's elements as a Python float."""
    flat = arr.reshape(-1)
    return float(xp.sqrt(xp.dot(flat, flat)))
