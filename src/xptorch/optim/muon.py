"""Muon (Jordan et al., 2024): momentum whose update is orthogonalised by a Newton-Schulz iteration, for 2-D
parameters."""
import math

import numpy as np

from .._ops import _common as C
from .._ops.inplace import bump
from ..backend import capture_blas as _cb
from ._state import hyper_value, lerp_, zeros_state
from .optimizer import Optimizer

__all__ = ["Muon"]

# The quintic iteration's coefficients, step count and norm floor of Keller Jordan's Muon.
_NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
_NS_STEPS = 5
_EPS = 1e-7


class Muon(Optimizer):
    """B <- momentum B + (1 - momentum) G  (a lerp towards G);  M = lerp(G, B, momentum) under nesterov, else B;
    O = NS(M): k steps of X <- a X + (b X X^T + c (X X^T)^2) X from X = M / max(||M||_F, eps), in bfloat16
    as PyTorch computes it (the wide side of M stays last);  p <- p (1 - lr weight_decay) - lr' O, with
    lr' = lr sqrt(max(1, A / B)) ('original', the default) or 0.2 lr sqrt(max(A, B)) ('match_rms_adamw')
    for an A x B parameter.

    Only 2-D parameters: other shapes are refused at construction.
    """

    _param_shaped_state = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=_NS_COEFFICIENTS, eps=_EPS, ns_steps=_NS_STEPS, adjust_lr_fn=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        f"Muon only supports 2D parameters whereas we found a parameter with size: {p.size()}")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        # Everything that can be refused is checked first, so a refused step changes nothing.
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if p._grad.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                if group["ns_steps"] >= 100:
                    raise ValueError("Number of steps must be less than 100 for computational efficiency")
                if len(group["ns_coefficients"]) != 3:
                    raise ValueError("Coefficients must be a tuple of exactly 3 values")
        for group in self.param_groups:
            lr = hyper_value(group["lr"])
            momentum = group["momentum"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                st = self.state[p]
                if "momentum_buffer" not in st:
                    st["momentum_buffer"] = zeros_state(p)
                data = p._data
                xp = C.get_xp(data)
                g = p._grad._data
                buf_t = st["momentum_buffer"]
                buf = buf_t._data
                lerp_(buf, g, 1 - momentum, xp)
                bump(buf_t)
                if group["nesterov"]:
                    m = g.copy()
                    lerp_(m, buf, momentum, xp)
                else:
                    m = buf
                o = _newton_schulz(m, group["ns_coefficients"], group["ns_steps"], group["eps"], xp)
                xp.multiply(data, 1 - lr * group["weight_decay"], out=data)
                step = -_adjusted_lr(lr, group["adjust_lr_fn"], data.shape)
                xp.add(data, xp.multiply(o.astype(data.dtype, copy=False), step), out=data)
                bump(p)
        return loss


def _adjusted_lr(lr, adjust_lr_fn, shape):
    """The learning rate scaled for an A x B parameter, so updates of any aspect ratio have a like RMS."""
    a, b = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, a / b))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(a, b))
    else:
        ratio = 1.0
    return lr * ratio  # one rounding in a float32 lr tensor's dtype


def _newton_schulz(m, coefficients, steps, eps, xp):
    """The orthogonalised m: float32 values that are bfloat16 numbers, each product and sum rounded to
    bfloat16 once, as PyTorch's bfloat16 matrix products (float32 accumulation) round them."""
    a, b, c = coefficients
    x = _bf16(m.astype(np.float32), xp)  # a float64 m rounds through float32, as PyTorch's cast does
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    flat = x.reshape(-1)
    norm = _bf16(xp.maximum(xp.sqrt(xp.dot(flat, flat)), eps), xp)
    x = _bf16(xp.divide(x, norm), xp)
    for _ in range(steps):
        gram = _bf16(_cb.product(x, x.T), xp)
        poly = _bf16(xp.add(xp.multiply(gram, b), xp.multiply(_cb.product(gram, gram), c)), xp)
        x = _bf16(xp.add(xp.multiply(x, a), _cb.product(poly, x)), xp)
    return x.T if tall else x


def _bf16(x, xp):
    """float32 x rounded to the nearest bfloat16 (ties to even), still as float32; NaN stays NaN."""
    x = xp.asarray(x)
    bits = x.view(np.uint32)
    rounded = xp.bitwise_and(xp.add(bits, xp.add(xp.bitwise_and(xp.right_shift(bits, 16), 1), 0x7FFF)),
                             np.uint32(0xFFFF0000))
    out = rounded.view(np.float32)
    return xp.where(xp.isnan(x), x, out)
