"""F.normalize, F.cosine_similarity, F.pairwise_distance and F.rms_norm, composed of differentiable ops."""
import numpy as np

from ..amp import _state as _amp
from .. import _dtype
from . import _common as C
from ._common import tensor_args

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "rms_norm"]


def _clamped(norm, eps):
    """norm with its value clamped below at eps while its gradient stays that of the unclamped norm."""
    d = norm.detach()
    return norm + (d.clamp_min(eps) - d)


@tensor_args
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    if _amp.active:
        input, = _amp.cast("normalize", input)
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


@tensor_args
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Sum over dim of (x1 / ||x1||) (x2 / ||x2||), each norm clamped below at eps."""
    if _amp.active:
        x1, x2 = _amp.cast("cosine_similarity", x1, x2)
    from .._functions import broadcast_tensors

    rt = _dtype.result_type(x1.dtype, x2.dtype, x1.dim(), x2.dim())
    if not rt.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {rt._legacy[:-6]}")
    a, b = broadcast_tensors(x1.to(rt), x2.to(rt))
    na = _clamped(a.norm(2, dim, keepdim=True), eps)
    nb = _clamped(b.norm(2, dim, keepdim=True), eps)
    return ((a / na) * (b / nb)).sum(dim)


@tensor_args
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    nd = max(x1.dim(), x2.dim(), 1)
    return (x1 - x2 + eps).norm(p, nd - 1, keepdim=keepdim)


@tensor_args
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2 over the trailing normalized_shape dims) + eps) * weight."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = tuple(normalized_shape)
    n = len(shape)
    if input.dim() < n:
        raise ValueError(f"Input tensor must have at least {n} dimensions, but got {input.dim()}")
    C.no_kernel(input, "rms_norm")
    if tuple(input.shape[input.dim() - n:]) != shape or input.dim() < n:
        raise RuntimeError(
            f"Given normalized_shape=[{', '.join(map(str, shape))}], expected input with shape "
            f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - n, input.dim()))
    y = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y
