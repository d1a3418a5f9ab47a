"""Gradient clipping: scale all gradients so their global norm is at most max_norm."""
import math

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...backend import capture_blas as _cb


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
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
                "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                "`error_if_nonfinite=False`"
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
        total = _cb.stack(xp, [xp.abs(g._data).max().astype("float64") for g in grads]).max()
    else:
        total = _cb.stack(xp, [(xp.abs(g._data.astype("float64")) ** norm_type).sum() for g in grads]).sum()
        total = total ** (1.0 / norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
    return wrap(total.astype("float32"), first._device)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated spelling of clip_grad_norm_ (warns as torch)."""
    import warnings

    warnings.warn(
        "`xptorch.nn.utils.clip_grad_norm` is now deprecated in favor of `xptorch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of ``tensors`` (as if all were one vector), on the first tensor's device."""
    from ..._factories import tensor
    from ..._functions import stack
    from ...linalg import vector_norm

    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    first_device = tensors[0].device
    with no_grad():
        norms = [vector_norm(t, norm_type).to(first_device) for t in tensors]
        total_norm = vector_norm(stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return total_norm


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` by min(1, max_norm / (total_norm + 1e-6)); no host sync."""
    from ..._functions import clamp

    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p._grad for p in parameters if p._grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        coef = clamp(max_norm / (total_norm + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.device))
