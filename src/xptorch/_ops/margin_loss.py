"""nn.functional margin losses: ranking, hinge and cosine embedding, soft margin, multi-class and multi-label margins.

The ones PyTorch composes from Tensor ops are composed the same way here (so their gradients, of any order, and
grad_fn names are PyTorch's, also exactly at the margins); soft_margin_loss, multi_margin_loss and
multilabel_margin_loss are PyTorch kernels with their own backward, so they are nodes here, with the kernels'
rule at the kinks (a term counts only where it is > 0).
"""
import numpy as np

from ..amp import _state as _amp
from . import _common as C
from ._common import edge, get_xp, save_check
from .loss import _kind, _no_weight_grad, _reduction, _result, _tensor_arg, _wants_grad, legacy_reduction
from .likelihood_loss import _ENUM, _apply_reduction
from ..autograd.node import Node

__all__ = [
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
]

# PyTorch's EPSILON in cosine_embedding_loss: the float constant 1e-12.
_COS_EPS = float(np.float32(1e-12))


def _enum(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _ENUM[legacy_reduction(size_average, reduce, stacklevel=4)]
    return _ENUM[_reduction(reduction)]


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target·(input1 - input2) + margin)."""
    red = _enum(size_average, reduce, reduction)
    for i, (t, name) in enumerate(((input1, "input1"), (input2, "input2"), (target, "target"))):
        _tensor_arg(t, "margin_ranking_loss", name, i + 1)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    if _amp.active:
        input1, input2, target = _amp.cast("margin_ranking_loss", input1, input2, target)
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1 (both terms elsewhere)."""
    red = _enum(size_average, reduce, reduction)
    _tensor_arg(input, "hinge_embedding_loss", "input", 1)
    _tensor_arg(target, "hinge_embedding_loss", "target", 2)
    if _amp.active:
        input, target = _amp.cast("hinge_embedding_loss", input, target)
    from .._factories import full_like, zeros_like
    from .._functions import where

    zeros = zeros_like(input)
    # margin - input in the input's dtype (an integer input takes the margin truncated), as PyTorch's kernel
    margin_clamp = (full_like(input, margin) - input).clamp_min(0)
    output = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return _apply_reduction(output, red)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1, 0 elsewhere."""
    red = _enum(size_average, reduce, reduction)
    for i, (t, name) in enumerate(((input1, "input1"), (input2, "input2"), (target, "target"))):
        _tensor_arg(t, "cosine_embedding_loss", name, i + 1)
    td = target.dim()
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if td == 1 else 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(
            f"{td}D target tensor expects {want}D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    if _amp.active:
        input1, input2, target = _amp.cast("cosine_embedding_loss", input1, input2, target)
    from .._factories import zeros_like
    from .._functions import where

    prod_sum = (input1 * input2).sum(td)
    mag_square1 = (input1 * input1).sum(td) + _COS_EPS
    mag_square2 = (input2 * input2).sum(td) + _COS_EPS
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = zeros_like(cos)
    output = where(target == 1, 1 - cos, zeros) + where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _apply_reduction(output, red)


# ---- soft margin -------------------------------------------------------------------------------------

class SoftMarginLossBackward0(Node):
    """log(1 + exp(-target·input)): gradient -target·z/(1 + z), z = exp(-target·input), per element."""

    __slots__ = ("x", "y", "reduction")
    saves = ("x", "y")

    def backward(self, g):
        x, y = self.x, self.y
        xp = get_xp(x)
        with np.errstate(over="ignore", invalid="ignore"):
            z = xp.exp(-y * x)
            gx = -y * z / (1 + z)
        if self.reduction == 1 and x.size:
            g = g / x.size
        return ((gx * g).astype(x.dtype, copy=False),)

    def backward_graph(self, g):
        dev = g._device
        x = C.saved_in(self, 0, self.x, dev)
        y = C.const(self.y, dev)
        z = (-y * x).exp()
        gx = -y * z / (1 + z)
        if self.reduction == 1 and self.x.size:
            g = g / self.x.size
        gx = gx * g
        if gx._data.dtype != self.x.dtype:
            from .loss import _to_np_dtype

            gx = _to_np_dtype(gx, self.x.dtype)
        return (gx,)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target·input)), in the input's dtype; the target gets no gradient (as in PyTorch)."""
    red = _enum(size_average, reduce, reduction)
    if _amp.active:
        input, target = _amp.cast("soft_margin_loss", input, target)
    _tensor_arg(input, "soft_margin_loss", "input", 1)
    _tensor_arg(target, "soft_margin_loss", "target", 2)
    x, y = input._data, target._data
    if target._device is not input._device:
        C.device_mismatch(input, target)
    try:
        full = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        C.broadcast_error(x.shape, y.shape)
    if full != x.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape {list(full)}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_kind(input)}")
    _no_weight_grad(target, "soft_margin_loss", "target")
    xp = get_xp(x)
    y = xp.broadcast_to(y.astype(x.dtype, copy=False), x.shape)
    with np.errstate(over="ignore"):
        loss = xp.log1p(xp.exp(-y * x))
    if red == 1:
        out = xp.asarray(loss.mean() if loss.size else xp.nan, dtype=x.dtype)
    elif red == 2:
        out = xp.asarray(loss.sum(), dtype=x.dtype)
    else:
        out = loss
    node = None
    if _wants_grad(input):
        node = SoftMarginLossBackward0((edge(input),))
        node.x, node.y, node.reduction = x, y, red
        save_check(node, (input, x))
    return _result(out, input._device, node)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Mean over classes of -(target·logσ(input) + (1 - target)·logσ(-input)), optionally weighted."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    from .activation_zoo import logsigmoid

    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    n_classes = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / n_classes
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


# ---- multi-class and multi-label margins (PyTorch kernels) -------------------------------------------

def _frames(input):
    """(nframe, dim) of a (N, C), (C,) or 0-d input, with the kernels' shape checks."""
    nd = input._data.ndim
    shape = input._data.shape
    valid = (nd == 2 and shape[1] != 0) or (nd == 1 and shape[0] != 0) or nd == 0
    if not valid:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(shape)}")
    if nd <= 1:
        return 1, (1 if nd == 0 else shape[0])
    return shape[0], shape[1]


def _mm_mask(x, t, margin, w):
    """z = margin - x[target] + x per row, and the per-element weight of the terms that count (z > 0)."""
    xp = get_xp(x)
    n, c = x.shape
    rows = xp.arange(n)
    z = margin - x[rows, t][:, None] + x
    keep = (z > 0) & (xp.arange(c)[None, :] != t[:, None])
    coef = keep.astype(x.dtype) / x.dtype.type(c)
    if w is not None:
        coef = coef * w[t][:, None]
    return z, coef


class MultiMarginLossBackward0(Node):
    """Per row Σ_{j≠t} w[t]·max(0, margin - x[t] + x[j])^p / C; a term counts where it is > 0."""

    __slots__ = ("x", "t", "w", "p", "margin", "reduction", "shape")
    saves = ("x", "t", "w")

    def _scaled(self, g):
        n = self.x.shape[0]
        if self.reduction == 0 and len(g.shape) == 1:
            return g.reshape(n, 1)
        g = g.reshape(1, 1)
        return g / n if self.reduction == 1 else g

    def backward(self, g):
        x, t = self.x, self.t
        xp = get_xp(x)
        z, coef = _mm_mask(x, t, self.margin, self.w)
        h = coef if self.p == 1 else 2 * z * coef
        h = h * self._scaled(g).astype(x.dtype, copy=False)
        h[xp.arange(x.shape[0]), t] = -h.sum(axis=1)
        return (h.reshape(self.shape),)

    def backward_graph(self, g):
        dev = g._device
        x, t = self.x, self.t
        xp = get_xp(x)
        z, coef = _mm_mask(x, t, self.margin, self.w)
        n, c = x.shape
        onehot = xp.zeros((n, c), dtype=x.dtype)
        onehot[xp.arange(n), t] = 1
        h = C.const(coef, dev)
        if self.p == 2:
            xt = C.saved_in(self, 0, x.reshape(self.shape), dev).reshape(n, c)
            zt = float(self.margin) - (xt * C.const(onehot, dev)).sum(1, keepdim=True) + xt
            h = 2 * zt * h
        h = h * self._scaled(g)
        h = h - C.const(onehot, dev) * h.sum(1, keepdim=True)
        return (h.reshape(self.shape),)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-class hinge loss: per sample Σ_{j≠y} w[y]·max(0, margin - x[y] + x[j])^p / C."""
    red = _enum(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if _amp.active:
        input, target, weight = _amp.cast("multi_margin_loss", input, target, weight)
    _tensor_arg(input, "multi_margin_loss", "input", 1)
    _tensor_arg(target, "multi_margin_loss", "target", 2)
    nframe, dim = _frames(input)
    tshape = target._data.shape
    if target._data.ndim > 1 or target._data.size != nframe:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch "
            f"size). Expected target size [{nframe}], but got {list(tshape)}. Input has shape "
            f"{list(input._data.shape)}."
        )
    if weight is not None and weight._data.size != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight._data.shape)}")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"multi_margin_loss_cpu_kernel\" not implemented for '{_kind(input)}'")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_kind(target)}")
    w = None
    if weight is not None:
        if weight._data.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {_kind(input)} but found {_kind(weight)}")
        _no_weight_grad(weight, "multi_margin_loss", "weight")
        w = weight._data
    for other in (target, weight):
        if other is not None and other._device is not input._device:
            C.device_mismatch(input, other)
    xp = get_xp(x)
    x2 = x.reshape(nframe, dim)
    t = target._data.reshape(nframe)
    bad = (t < 0) | (t >= dim)
    if type(t) is not np.ndarray:
        from ..backend.device_assert import expect_false

        expect_false(bad.any(), "multi_margin_loss: target out of range")
        t = xp.clip(t, 0, dim - 1)
    elif t.size and bad.any():
        raise RuntimeError("target out of range")
    margin = x.dtype.type(float(margin))
    if x2.size:
        z, coef = _mm_mask(x2, t, margin, w)
        per = ((z if p == 1 else z * z) * coef).sum(axis=1).astype(x.dtype, copy=False)
    else:
        per = xp.zeros((nframe,), dtype=x.dtype)
    if red == 0:
        out = per if target._data.ndim > 0 else per.reshape(())
    elif red == 2:
        out = xp.asarray(per.sum(), dtype=x.dtype)
    else:
        out = xp.asarray(per.mean() if nframe else 0, dtype=x.dtype)  # PyTorch leaves it unwritten
    node = None
    if _wants_grad(input):
        node = MultiMarginLossBackward0((edge(input),))
        node.x, node.t, node.w, node.p, node.margin = x2, t, w, p, margin
        node.reduction, node.shape = red, x.shape
        save_check(node, (input, x))
    return _result(out, input._device, node)


class MultilabelMarginLossBackward0(Node):
    """Per row Σ_{j in targets} Σ_{d not a target} max(0, 1 - x[j] + x[d]) / C; a term counts where it is > 0."""

    __slots__ = ("m", "reduction", "shape", "dtype")
    saves = ("m",)

    def _scaled(self, g):
        n = self.m.shape[0]
        if self.reduction == 0 and len(g.shape) == 1:
            return g.reshape(n, 1)
        g = g.reshape(1, 1)
        return g / n if self.reduction == 1 else g

    def backward(self, g):
        m = self.m
        return (((m.sum(axis=1) - m.sum(axis=2)) * self._scaled(g)).astype(self.dtype, copy=False)
                .reshape(self.shape),)

    def backward_graph(self, g):
        m = self.m
        gx = C.const(m.sum(axis=1) - m.sum(axis=2), g._device) * self._scaled(g)
        return (gx.reshape(self.shape),)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss; each target row lists class indices up to its first negative entry."""
    red = _enum(size_average, reduce, reduction)
    if _amp.active:
        input, target = _amp.cast("multilabel_margin_loss", input, target)
    _tensor_arg(input, "multilabel_margin_loss", "input", 1)
    _tensor_arg(target, "multilabel_margin_loss", "target", 2)
    nframe, dim = _frames(input)
    td = target._data.ndim
    if input._data.ndim <= 1:
        ok = td <= 1 and target._data.size == dim
    else:
        ok = td == 2 and target._data.shape == (nframe, dim)
    if not ok:
        raise RuntimeError(
            f"inconsistent target size: {list(target._data.shape)} for input of size: {list(input._data.shape)}")
    x = input._data
    xp = get_xp(x)
    if target._device is not input._device:
        C.device_mismatch(input, target)
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"multilabel_margin_loss_forward_out_frame\" not implemented for '{_kind(input)}'")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_kind(target)}")
    t = target._data.reshape(nframe, dim)
    if t.size:
        if type(t) is not np.ndarray:
            from ..backend.device_assert import expect_false

            expect_false(((t < -1) | (t >= dim)).any(), "argument #2 'target' is out of range")
        elif t.min() < -1 or t.max() >= dim:
            raise RuntimeError("argument #2 'target' is out of range")
    x2 = x.reshape(nframe, dim)
    # The targets of a row are its entries before the first negative one (a repeated one counts again).
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)
    counts = xp.zeros((nframe, dim), dtype=x.dtype)
    if t.size:
        rows = xp.broadcast_to(xp.arange(nframe)[:, None], t.shape)
        xp.add.at(counts, (rows[listed], t[listed]), 1)
    is_target = counts > 0
    z = 1 - x2[:, :, None] + x2[:, None, :]  # [row, target j, other d]
    m = (z > 0) & ~is_target[:, None, :]
    m = m.astype(x.dtype) * counts[:, :, None] / x.dtype.type(dim)
    per = (z * m).sum(axis=(1, 2)).astype(x.dtype, copy=False)
    if red == 0 and td > 1:
        out = per
    elif red == 1:
        out = xp.asarray(per.mean() if nframe else 0, dtype=x.dtype)  # PyTorch leaves it unwritten
    else:
        out = xp.asarray(per.sum(), dtype=x.dtype)
    node = None
    if _wants_grad(input):
        node = MultilabelMarginLossBackward0((edge(input),))
        node.m, node.reduction, node.shape, node.dtype = m, red if td > 1 or red else 2, x.shape, x.dtype
        save_check(node, (input, x))
    return _result(out, input._device, node)

