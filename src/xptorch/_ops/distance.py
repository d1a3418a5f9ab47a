"""F.normalize, F.cosine_similarity, F.pairwise_distance, F.rms_norm, cdist and pdist, composed of differentiable
ops (cdist's matrix-product form for p=2 has PyTorch's own rule)."""
import numpy as np

from ..amp import _state as _amp
from .. import _dtype
from ..autograd.node import Node
from . import _common as C
from ._common import tensor_args

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "rms_norm", "pdist"]


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


# ---- cdist / pdist ---------------------------------------------------------------------------------
_MODES = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


class EuclideanDistBackward0(Node):
    """PyTorch's rule for the matrix-product form of p=2 distances: zero where a distance is zero."""

    __slots__ = ("x1", "x2", "res", "dev")
    saves = ("x1", "x2", "res")

    @staticmethod
    def rule(g, x1, x2, res):
        ratio = (g / res).masked_fill(res == 0, 0)
        return (x1 * ratio.sum(-1, keepdim=True) - ratio.matmul(x2),
                x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT.matmul(x1))

    def backward(self, g):
        from ..autograd.grad_mode import no_grad

        with no_grad():
            g1, g2 = self.rule(*(C.wrap(v, self.dev) for v in (g, self.x1, self.x2, self.res)))
        return tuple(gi._data if e is not None else None for gi, e in zip((g1, g2), self.next))

    def backward_graph(self, g):
        from ..autograd import higher_order as ho

        ins = ho.stand_ins(self.next, [self.x1, self.x2], [g._device, g._device])
        try:
            res = _euclidean(*ins)
            g1, g2 = self.rule(g, ins[0], ins[1], res)
        finally:
            ho.join(self.next, ins)
        return tuple(gi if e is not None else None for gi, e in zip((g1, g2), self.next))


def _euclidean(x1, x2):
    """PyTorch's _euclidean_dist: sqrt(max(|a|^2 - 2 a.b + |b|^2, 0)) by one matrix product."""
    from ..autograd.grad_mode import no_grad
    from ..autograd.grad_mode import state as grad_state
    from .shape import cat

    with no_grad():
        n1 = x1.pow(2).sum(-1, keepdim=True)
        n2 = x2.pow(2).sum(-1, keepdim=True)
        a = cat([x1.mul(-2), n1, n1.new_ones(n1.shape)], -1)
        b = cat([x2, n2.new_ones(n2.shape), n2], -1)
        res = a.matmul(b.mT).clamp_min(0).sqrt()
    if (x1._rg or x2._rg) and grad_state.enabled:
        node = EuclideanDistBackward0((C.edge(x1), C.edge(x2)))
        node.x1, node.x2, node.res, node.dev = x1._data, x2._data, res._data, x1._device
        return C.wrap_grad(res._data, x1._device, node)
    return res


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R)."""
    C.need_tensor(x1, "cdist", "x1", 1)
    C.need_tensor(x2, "cdist", "x2", 2)
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if _amp.active:
        x1, x2 = _amp.cast("cdist", x1, x2)
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {t.dtype._legacy[:-6]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x2._device is not x1._device:
        C.device_mismatch(x1, x2)
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t._data.ndim}D")
    s1, s2 = x1._data.shape, x2._data.shape
    if s1[-1] != s2[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {s1[-1]} X2: {s2[-1]}")
    try:
        batch = tuple(np.broadcast_shapes(s1[:-2], s2[:-2]))
    except ValueError:
        C.broadcast_error(s1[:-2], s2[:-2])
    if not (s1[-2] and s2[-2] and s1[-1]):  # nothing to compute: x1's dtype, no dtype check
        x2 = x2.to(x1.dtype)
    elif x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype._legacy[:-6]} but found {x2.dtype._legacy[:-6]}")
    if x1._data.dtype == np.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    a = x1.expand(*batch, *s1[-2:]) if s1[:-2] != batch else x1
    b = x2.expand(*batch, *s2[-2:]) if s2[:-2] != batch else x2
    mm = compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode in (None, "use_mm_for_euclid_dist_if_necessary") and (s1[-2] > 25 or s2[-2] > 25))
    if p == 2 and mm and s1[-1]:
        return _euclidean(a, b)
    return _norm(a.unsqueeze(-2) - b.unsqueeze(-3), p)


def _norm(diff, p):
    """diff's p-norm over the last dim; p=0 counts nonzeros, with a zero gradient as PyTorch's."""
    if p == 0:
        return (diff != 0).to(diff.dtype).sum(-1) + (diff * 0).sum(-1)
    return diff.norm(p, -1)


def pdist(input, p=2):
    """p-norm distances between the rows of a 2-D input, pair (i, j) for i < j in row-major order."""
    C.need_tensor(input, "pdist", "input", 1)
    if _amp.active:
        input, = _amp.cast("pdist", input)
    nd = input._data.ndim
    if nd != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {nd}D")
    if input._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input._data.shape[0]
    xp = C.get_xp(input._data)
    i, j = np.triu_indices(n, 1)
    i, j = (C.const(xp.asarray(v.astype(np.int64)), input._device) for v in (i, j))
    return _norm(input.index_select(0, i) - input.index_select(0, j), p)
