"""Helpers shared by the per-tensor optimisers: argument checks, state creation, in-place updates."""
import numpy as np

from .. import _dtype
from .._device import CPU
from .._ops import _common as C
from .._ops.inplace import bump
from ..backend import use_device

__all__ = ["check_lr", "check_nonneg", "check_betas", "scalar_state", "zeros_state", "full_state", "lerp_",
           "set_", "scalar_value", "each_grad", "hyper_value"]


def check_lr(lr):
    if hasattr(lr, "numel") and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonneg(value, what):
    """PyTorch's check of a hyper-parameter that must be >= 0 ('epsilon', 'weight_decay', ...)."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what} value: {value}")


def check_betas(betas):
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def hyper_value(x):
    """A hyper-parameter as the scalar the update computes with: a tensor's value keeps its dtype, so a float32
    lr tensor makes float32 step sizes, as PyTorch's arithmetic with 0-d tensors does."""
    if hasattr(x, "numel"):
        return np.dtype(x.dtype.np).type(x.item())
    return float(x)


def scalar_state(value):
    """A CPU scalar such as 'step', in float64 when that is the default dtype, else float32 (as PyTorch)."""
    dt = np.float64 if _dtype.get_default_dtype() is _dtype.float64 else np.float32
    return C.wrap(np.array(value, dt), CPU)


def full_state(p, value):
    """A tensor shaped like parameter p, on its device and in its dtype, filled with value."""
    d = p._data
    xp = C.get_xp(d)
    with use_device(p._device):
        arr = xp.zeros_like(d) if value == 0 else xp.full_like(d, value)
    return C.wrap(arr, p._device)


def zeros_state(p):
    return full_state(p, 0)


def each_grad(optimizer, group, init):
    """The per-tensor loop over the parameters of `group` that have a gradient, in order, yielding
    (p, state, data, xp, grad, step): the state made by init(p, state, group) on first use, the gradient
    negated under `maximize`, the state's 'step' advanced (its value returned as a float)."""
    maximize = group.get("maximize", False)
    for p in group["params"]:
        if p._grad is None:
            continue
        st = optimizer.state[p]
        if not st:
            init(p, st, group)
        d = p._data
        xp = C.get_xp(d)
        g = p._grad._data
        if maximize:
            g = xp.negative(g)
        step = st["step"]
        step._data += 1
        bump(step)
        yield p, st, d, xp, g, float(step._data)


def lerp_(a, b, w, xp):
    """a <- a + w (b - a) in place, in PyTorch's two-sided form (exact at w = 0 and w = 1)."""
    if abs(w) < 0.5:
        xp.add(a, xp.multiply(xp.subtract(b, a), w), out=a)
    else:
        xp.subtract(b, xp.multiply(xp.subtract(b, a), 1 - w), out=a)


def set_(t, arr):
    """Write arr into tensor t's array in place and count the change."""
    t._data[...] = arr
    bump(t)


def scalar_value(t):
    """A scalar state tensor (maybe on a device after load_state_dict) as a Python float."""
    if t._device is CPU:
        return float(t._data)
    return t.item()


def device_scalar(p, value):
    """A scalar state tensor on parameter p's device (ASGD keeps 'step', 'eta' and 'mu' there)."""
    dt = np.float64 if _dtype.get_default_dtype() is _dtype.float64 else np.float32
    xp = C.get_xp(p._data)
    with use_device(p._device):
        arr = xp.full((), value, dt)
    return C.wrap(arr, p._device)
