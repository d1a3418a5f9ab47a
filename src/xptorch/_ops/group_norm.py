"""group_norm and instance_norm: statistics per sample over groups of channels (or single channels).

Both reshape the input so that each normalised group is one trailing row and reuse layer_norm's
fused node for the statistics; the per-channel affine is a broadcast multiply-add.
"""
from ..autograd.grad_mode import no_grad
from ..amp import _state as _amp
from .norm import batch_norm, check_dtypes, layer_norm
from ._common import tensor_args

__all__ = ["group_norm", "instance_norm"]


def _affine(y, weight, bias):
    shape = (1, -1) + (1,) * (y.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


@tensor_args
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if _amp.active:
        input, weight, bias = _amp.cast("group_norm", input, weight, bias)
    if input.dim() < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    shape = tuple(input.shape)
    n, c = shape[:2]
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"[{', '.join(map(str, shape))}] and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.shape[0] != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got {name} "
                f"of shape [{', '.join(map(str, t.shape))}] and input of shape [{', '.join(map(str, shape))}]"
            )
    check_dtypes(input, (weight, bias), "GroupNormKernelImpl")
    per_group = 1
    for s in shape[1:]:
        per_group *= s
    per_group //= num_groups
    y = layer_norm(input.reshape(n, num_groups, per_group), (per_group,), None, None, eps).reshape(shape)
    return _affine(y, weight, bias)


@tensor_args
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    shape = tuple(input.shape)
    spatial = 1
    for s in shape[2:]:
        spatial *= s
    if use_input_stats:
        if spatial <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    n, c = shape[:2]
    check_dtypes(input, (weight, bias, running_mean, running_var), "batch_norm", kernel_first=True)
    flat = input.reshape(n, c, spatial)
    y = layer_norm(flat, (flat.shape[-1],), None, None, eps).reshape(shape)
    if running_mean is not None or running_var is not None:
        with no_grad():
            d = flat.detach()
            m = d.mean(2).mean(0)
            v = d.var(2, unbiased=True).mean(0)
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(m * momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(v * momentum)
    return _affine(y, weight, bias)
