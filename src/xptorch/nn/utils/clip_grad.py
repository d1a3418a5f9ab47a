"""Gradient clipping: scale all gradients so their global norm is at most max_norm."""
import math

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    from ..._factories import tensor

    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return tensor(0.0)
    if grads[0]._device.type != "cpu":
        return _clip_on_device(grads, float(max_norm), norm_type, error_if_nonfinite)
    with no_grad():
        if norm_type == math.inf:
            total = max(float(abs(g._data).max()) for g in grads)
        else:
            total = sum(float((abs(g._data.astype("float64")) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
        if error_if_nonfinite and not math.isfinite(total):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be clipped."
            )
        coef = max_norm / (total + 1e-6)
        if coef < 1:
            for g in grads:
                g._data *= g._data.dtype.type(coef)
    return tensor(total, device=grads[0].device)


def _clip_on_device(grads, max_norm, norm_type, error_if_nonfinite):
    """The norm stays on the device and every gradient is scaled by min(1, coef): no host sync, as in PyTorch
    (error_if_nonfinite reads the norm back, there as in PyTorch)."""
    from ..._ops._common import get_xp, wrap

    first = grads[0]
    xp = get_xp(first._data)
    for g in grads[1:]:
        if g._device is not first._device:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, {first.device} and {g.device}!")
    if norm_type == math.inf:
        total = xp.stack([xp.abs(g._data).max().astype("float64") for g in grads]).max()
    else:
        total = xp.stack([(xp.abs(g._data.astype("float64")) ** norm_type).sum() for g in grads]).sum()
        total = total ** (1.0 / norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be clipped."
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
    return wrap(total.astype("float32"), first._device)


def clip_grad_value_(parameters, clip_value, foreach=None):
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
