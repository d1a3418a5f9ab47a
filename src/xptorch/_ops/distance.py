"""F.normalize, F.cosine_similarity, F.pairwise_distance and F.rms_norm, composed of differentiable ops."""
import numpy as np

from ..amp import _state as _amp

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "rms_norm"]


def _clamped(norm, eps):
    """norm with its value clamped below at eps while its gradient stays that of the unclamped norm."""
    d = norm.detach()
    return norm + (d.clamp_min(eps) - d)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    if _amp.active:
        input, = _amp.cast("normalize", input)
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Sum over dim of (x1 / ||x1||) (x2 / ||x2||), each norm clamped below at eps."""
    if _amp.active:
        x1, x2 = _amp.cast("cosine_similarity", x1, x2)
    from .._functions import broadcast_tensors

    a, b = broadcast_tensors(x1, x2)
    na = _clamped(a.norm(2, dim, keepdim=True), eps)
    nb = _clamped(b.norm(2, dim, keepdim=True), eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    nd = max(x1.dim(), x2.dim(), 1)
    return (x1 - x2 + eps).norm(p, nd - 1, keepdim=keepdim)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2 over the trailing normalized_shape dims) + eps) * weight."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = tuple(normalized_shape)
    n = len(shape)
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
