"""nn.functional ops: losses. Each hot loss is one Node holding its forward's saved values and its backward."""
import math
import warnings

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from ..amp import _state as _amp
from . import _common as C
from ._common import edge, get_xp, operands, save_check, wrap, wrap_grad

__all__ = [
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# ---- shared checks and reductions ----------------------------------------------------------------

def legacy_reduction(size_average, reduce, stacklevel=3):
    """The reduction string the deprecated size_average/reduce flags stand for."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.", stacklevel=stacklevel
    )
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce, stacklevel=4)
    if reduction in _REDUCTIONS:
        return reduction
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=3)
        return "mean"
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _tensor_arg(x, fname, name, pos):
    if not isinstance(x, C.Tensor):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _kind(t):
    """PyTorch's scalar type name: 'Float', 'Double', 'Long', ..."""
    return t.dtype._legacy[:-6]


def _same_size(input, target):
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}) is not "
            "supported: broadcasting would likely give incorrect results. Please ensure they have the same size."
        )


def _broadcast_pair(input, target):
    """PyTorch's pointwise losses warn about a target of another size, then broadcast the pair (or fail to)."""
    if input._data.shape == target._data.shape:
        return input, target
    warnings.warn(
        f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). This will "
        "likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
        stacklevel=3,
    )
    from .._functions import broadcast_tensors

    return broadcast_tensors(input, target)


def _no_weight_grad(w, fname, name):
    if w is not None and w._rg and _grad_state.enabled:
        raise RuntimeError(
            f"The function '{fname}' is not differentiable with respect to argument '{name}'. "
            "This input cannot have requires_grad True."
        )


def _same_device(a, b):
    if b._device is not a._device:
        C.device_mismatch(a, b)


def _broadcast_to_input(w, shape, weight_first=False):
    """A weight array that broadcasts to the input's shape without growing it."""
    try:
        full = np.broadcast_shapes(w.shape, shape)
    except ValueError:
        C.broadcast_error(*((w.shape, shape) if weight_first else (shape, w.shape)))
    if full != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
    return w


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    xp = get_xp(loss)
    if reduction == "sum":
        return xp.asarray(loss.sum(), dtype=loss.dtype)
    if loss.size == 0:
        return xp.full((), xp.nan, dtype=loss.dtype)
    return xp.asarray(loss.mean(), dtype=loss.dtype)


def _reduce_grad(g, reduction, n):
    """The upstream gradient as seen by each element: g, or g/n for a mean."""
    return g / n if reduction == "mean" and n else g


def _result(out, dev, node):
    return wrap(out, dev) if node is None else wrap_grad(out, dev, node)


def _wants_grad(*tensors):
    return _grad_state.enabled and any(t is not None and t._rg for t in tensors)


# ---- regression losses on d = input - target ----------------------------------------------------

class _PairLoss(Node):
    """Shared backward of losses of d = input - target: gradient +f'(d) to input, -f'(d) to target."""

    __slots__ = ("d", "param", "reduction", "dtypes")
    saves = ("d",)

    def backward(self, g):
        gd = self.dloss(self.d, self.param) * _reduce_grad(g, self.reduction, self.d.size)
        gi = gd.astype(self.dtypes[0], copy=False) if self.next[0] is not None else None
        gt = (-gd).astype(self.dtypes[1], copy=False) if self.next[1] is not None else None
        return (gi, gt)

    def backward_graph(self, g):
        from .pointwise import SubBackward0

        # d = input - target as a Tensor whose gradient reaches both inputs.
        d = self.d
        sub = SubBackward0(self.next)
        sub.sa = sub.sb = d.shape
        sub.alpha = 1
        dt = wrap_grad(d, g._device, sub)
        gd = self.dloss_t(dt, self.param) * (g / d.size if self.reduction == "mean" and d.size else g)
        gi = _to_np_dtype(gd, self.dtypes[0]) if self.next[0] is not None else None
        gt = _to_np_dtype(-gd, self.dtypes[1]) if self.next[1] is not None else None
        return (gi, gt)


class MseLossBackward0(_PairLoss):
    __slots__ = ()

    @staticmethod
    def loss(d, param):
        return d * d

    @staticmethod
    def dloss(d, param):
        return 2 * d

    @staticmethod
    def dloss_t(d, param):
        return 2 * d


class HuberLossBackward0(_PairLoss):
    __slots__ = ()

    @staticmethod
    def loss(d, delta):
        a = abs(d)
        return get_xp(d).where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))

    @staticmethod
    def dloss(d, delta):
        return get_xp(d).clip(d, -delta, delta)

    @staticmethod
    def dloss_t(d, delta):
        return d.clamp(-delta, delta)


class SmoothL1LossBackward0(_PairLoss):
    __slots__ = ()

    @staticmethod
    def loss(d, beta):
        a = abs(d)
        return get_xp(d).where(a < beta, (0.5 / beta) * d * d, a - 0.5 * beta)

    @staticmethod
    def dloss(d, beta):
        return get_xp(d).clip(d / beta, -1.0, 1.0)

    @staticmethod
    def dloss_t(d, beta):
        return (d / beta).clamp(-1.0, 1.0)


def _to_np_dtype(t, np_dtype):
    if t._data.dtype == np_dtype:
        return t
    from .._dtype import from_numpy_dtype

    return t.to(from_numpy_dtype(np_dtype))


def _pair_loss(cls, fname, input, target, reduction, param=None, promote=True):
    if promote:
        ad, bd = operands(input, target)
    else:
        # The input's dtype wins, as in PyTorch's huber_loss.
        _same_device(input, target)
        ad, bd = input._data, target._data.astype(input._data.dtype, copy=False)
    if ad.dtype.kind != "f":
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_kind(input)}'")
    d = ad - bd
    out = _reduce(cls.loss(d, param), reduction)
    node = None
    if _wants_grad(input, target):
        node = cls((edge(input), edge(target)))
        node.d, node.param, node.reduction = d, param, reduction
        node.dtypes = (input._data.dtype, target._data.dtype)
    return _result(out, input._device, node)


def _weighted(elementwise, weight, input, reduction, mean_by_weight=True):
    """Elementwise loss times a same-size weight, reduced by Tensor ops so the weight gets a gradient too."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = elementwise * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean/sum/none of (input - target)²; with weight, Σ w·(input - target)² / Σ w for 'mean'."""
    if _amp.active:
        input, target, weight = _amp.cast("mse_loss", input, target, weight)
    _tensor_arg(input, "mse_loss", "input", 1)
    _tensor_arg(target, "mse_loss", "target", 2)
    red = _reduction(reduction, size_average, reduce)
    if weight is not None:
        _same_size(input, target)
        return _weighted((input - target) ** 2, weight, input, red)
    input, target = _broadcast_pair(input, target)
    return _pair_loss(MseLossBackward0, "mse_loss", input, target, red)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean/sum/none of |input - target|; with weight, Σ w·|input - target| / Σ w for 'mean'."""
    if _amp.active:
        input, target, weight = _amp.cast("l1_loss", input, target, weight)
    _tensor_arg(input, "l1_loss", "input", 1)
    _tensor_arg(target, "l1_loss", "target", 2)
    red = _reduction(reduction, size_average, reduce)
    if weight is not None:
        _same_size(input, target)
    else:
        input, target = _broadcast_pair(input, target)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, input, red)
    return loss if red == "none" else loss.sum() if red == "sum" else loss.mean()


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5·d² where |d| < delta, else delta·(|d| - delta/2), d = input - target."""
    if _amp.active:
        input, target, weight = _amp.cast("huber_loss", input, target, weight)
    _tensor_arg(input, "huber_loss", "input", 1)
    _tensor_arg(target, "huber_loss", "target", 2)
    red = _reduction(reduction)
    if not delta > 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(huber_loss(input, target, "none", delta), weight, input, red, mean_by_weight=False)
    input, target = _broadcast_pair(input, target)
    return _pair_loss(HuberLossBackward0, "huber_loss", input, target, red, float(delta), promote=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5·d²/beta where |d| < beta, else |d| - beta/2, d = input - target; beta = 0 is the L1 loss."""
    if _amp.active:
        input, target = _amp.cast("smooth_l1_loss", input, target)
    _tensor_arg(input, "smooth_l1_loss", "input", 1)
    _tensor_arg(target, "smooth_l1_loss", "target", 2)
    red = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _broadcast_pair(input, target)
    if beta == 0:
        return l1_loss(input, target, reduction=red)
    return _pair_loss(SmoothL1LossBackward0, "smooth_l1_loss", input, target, red, float(beta))


# ---- binary cross entropy --------------------------------------------------------------------

# PyTorch's clamp is the float32 constant 1e-12, in every dtype.
_BCE_EPS = float(np.float32(1e-12))


def _clamped_logs(x):
    xp = get_xp(x)
    with np.errstate(divide="ignore"):
        return xp.maximum(xp.log(x), -100), xp.maximum(xp.log1p(-x), -100)


class BinaryCrossEntropyBackward0(Node):
    """-w·(y·log x + (1-y)·log(1-x)), each log clamped to >= -100 so x = 0 or 1 stays finite."""

    __slots__ = ("x", "y", "w", "reduction")
    saves = ("x", "y", "w")

    def backward(self, g):
        x, y, w = self.x, self.y, self.w
        xp = get_xp(x)
        gr = _reduce_grad(g, self.reduction, x.size)
        if w is not None:
            gr = gr * w
        gx = gy = None
        if self.next[0] is not None:
            gx = gr * (x - y) / xp.maximum((1 - x) * x, _BCE_EPS)
        if self.next[1] is not None:
            logx, log1mx = _clamped_logs(x)
            gy = gr * (log1mx - logx)
        return (gx, gy)

    def backward_graph(self, g):
        dev = g._device
        x, y = C.saved_in(self, 0, self.x, dev), C.saved_in(self, 1, self.y, dev)
        gr = g / self.x.size if self.reduction == "mean" and self.x.size else g
        if self.w is not None:
            gr = gr * C.const(self.w, dev)
        gx = gy = None
        if self.next[0] is not None:
            gx = gr * (x - y) / ((1 - x) * x).clamp(min=_BCE_EPS)
        if self.next[1] is not None:
            gy = gr * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return (gx, gy)


def _in_unit_interval(a, what):
    """Raise unless 0 <= a <= 1 (NaN fails both comparisons, as it should); a device-side check on CUDA."""
    if a.size == 0:
        return
    ok = (a.min() >= 0) & (a.max() <= 1)
    message = f"all elements of {what} should be between 0 and 1"
    if type(a) is not np.ndarray:
        from ..backend.device_assert import expect_false

        expect_false(~ok, message)
    elif not ok:
        raise RuntimeError(message)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w·(y·log x + (1-y)·log(1-x)) for probabilities x, logs clamped to >= -100."""
    if _amp.active:
        input, target, weight = _amp.cast("binary_cross_entropy", input, target, weight)
    _tensor_arg(input, "binary_cross_entropy", "input", 1)
    _tensor_arg(target, "binary_cross_entropy", "target", 2)
    red = _reduction(reduction, size_average, reduce)
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}) is "
            "deprecated. Please ensure they have the same size."
        )
    x, y = input._data, target._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"Found dtype {_kind(target)} but expected {_kind(input)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{_kind(input)}'")
    _same_device(input, target)
    w = None
    if weight is not None:
        _same_device(input, weight)
        _no_weight_grad(weight, "binary_cross_entropy", "weight")
        w = _broadcast_to_input(weight._data, x.shape).astype(x.dtype, copy=False)
    _in_unit_interval(x, "input")
    _in_unit_interval(y, "target")
    logx, log1mx = _clamped_logs(x)
    loss = (y - 1) * log1mx - y * logx
    if w is not None:
        loss *= w
    out = _reduce(loss, red)
    node = None
    if _wants_grad(input, target):
        node = BinaryCrossEntropyBackward0((edge(input), edge(target)))
        node.x, node.y, node.w, node.reduction = x, y, w, red
        save_check(node, (input, x), (target, y))
    return _result(out, input._device, node)


class BinaryCrossEntropyWithLogitsBackward0(Node):
    """-w·(p·y·log σ(x) + (1-y)·log(1-σ(x))) from logits x, with p = pos_weight (1 when absent)."""

    __slots__ = ("x", "y", "w", "pw", "reduction", "dtypes")
    saves = ("x", "y", "w", "pw")

    def backward(self, g):
        x, y, w, pw = self.x, self.y, self.w, self.pw
        xp = get_xp(x)
        gr = _reduce_grad(g, self.reduction, x.size)
        if w is not None:
            gr = gr * w
        gx = gy = None
        if self.next[0] is not None:
            e = xp.exp(-abs(x))
            sig = xp.where(x >= 0, 1, e) / (1 + e)
            gx = gr * (sig - y) if pw is None else gr * (sig * (1 + (pw - 1) * y) - pw * y)
            gx = gx.astype(self.dtypes[0], copy=False)
        if self.next[1] is not None:
            if pw is None:
                gy = gr * -x
            else:
                soft = xp.log1p(xp.exp(-abs(x)))
                gy = gr * (pw * (soft + xp.maximum(-x, 0)) - (soft + xp.maximum(x, 0)))
            gy = gy.astype(self.dtypes[1], copy=False)
        return (gx, gy)

    def backward_graph(self, g):
        dev = g._device
        x, y = C.saved_in(self, 0, self.x, dev), C.saved_in(self, 1, self.y, dev)
        pw = None if self.pw is None else C.const(self.pw, dev)
        gr = g / self.x.size if self.reduction == "mean" and self.x.size else g
        if self.w is not None:
            gr = gr * C.const(self.w, dev)
        gx = gy = None
        if self.next[0] is not None:
            sig = x.sigmoid()
            gx = _to_np_dtype(gr * (sig - y) if pw is None else gr * (sig * (1 + (pw - 1) * y) - pw * y),
                              self.dtypes[0])
        if self.next[1] is not None:
            if pw is None:
                gy = gr * -x
            else:
                soft = ((-x.abs()).exp() + 1).log()
                gy = gr * (pw * (soft + (-x).clamp(min=0)) - (soft + x.clamp(min=0)))
            gy = _to_np_dtype(gy, self.dtypes[1])
        return (gx, gy)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """w·((1-y)·x + (1 + (p-1)·y)·(log(1 + e^-|x|) + max(-x, 0))): BCE of σ(x) without overflow."""
    if _amp.active:
        input, target, weight, pos_weight = _amp.cast("binary_cross_entropy_with_logits", input, target, weight, pos_weight)
    _tensor_arg(input, "binary_cross_entropy_with_logits", "input", 1)
    _tensor_arg(target, "binary_cross_entropy_with_logits", "target", 2)
    for t, name, pos in ((weight, "weight", 3), (pos_weight, "pos_weight", 4)):
        if t is not None:
            _tensor_arg(t, "binary_cross_entropy_with_logits", name, pos)
    red = _reduction(reduction, size_average, reduce)
    if input._data.shape != target._data.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    C.no_kernel(input, "log_sigmoid_cpu")
    if input._data.dtype.kind != "f" or target._data.dtype.kind != "f":
        raise RuntimeError(
            "binary_cross_entropy_with_logits expects floating point input and target, but got input dtype "
            f"{_kind(input)} and target dtype {_kind(target)}"
        )
    x, y = operands(input, target)
    xi = input._data
    xp = get_xp(x)
    w = pw = None
    if weight is not None:
        _same_device(input, weight)
        _no_weight_grad(weight, "binary_cross_entropy_with_logits", "weight")
        w = _broadcast_to_input(weight._data, x.shape).astype(x.dtype, copy=False)
    if pos_weight is not None:
        _same_device(input, pos_weight)
        _no_weight_grad(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
        pw = _broadcast_to_input(pos_weight._data, x.shape, weight_first=True).astype(x.dtype, copy=False)
    # Terms of the input alone stay in its dtype, as in PyTorch, before mixing with a wider target.
    soft = xp.log1p(xp.exp(-abs(xi))) + xp.maximum(-xi, 0)
    if pw is not None:
        soft = soft * (1 + (pw - 1) * y)
    loss = (1 - y) * x + soft
    if w is not None:
        loss *= w
    out = _reduce(loss, red)
    node = None
    if _wants_grad(input, target):
        node = BinaryCrossEntropyWithLogitsBackward0((edge(input), edge(target)))
        node.x, node.y, node.w, node.pw, node.reduction = x, y, w, pw, red
        node.dtypes = (input._data.dtype, target._data.dtype)
        checks = [(t, a) for t, a in ((input, x), (target, y)) if a is t._data]
        if checks:
            save_check(node, *checks)
    return _result(out, input._device, node)


# ---- negative log likelihood and cross entropy with class indices ------------------------------

class NllLossBackward0(Node):
    """Per sample -(1-ε)·w[t]·z[t] - (ε/C)·Σ_c w[c]·z[c] over log-probabilities z (ε: label smoothing).

    With `p` set, z = log_softmax(input) was computed here from logits and p = softmax(input), so the
    gradient goes straight to the logits: p·Σ_c a_c - a, with a = ∂loss/∂z.
    """

    __slots__ = ("p", "t", "wt", "valid", "w", "eps", "reduction", "scale", "shape")
    saves = ("p", "t", "wt", "valid", "w")

    def name(self):
        # PyTorch routes spatial inputs through nll_loss2d, viewing 3-D and 5-D+ inputs as 4-D.
        if self.eps:
            return "AddBackward0"
        nd = len(self.shape)
        if nd <= 2:
            return "NllLossBackward0"
        return "ViewBackward0" if nd != 4 and self.reduction == "none" else "NllLoss2DBackward0"

    def backward(self, g):
        t, wt = self.t, self.wt
        xp = get_xp(wt)
        n, s = t.shape
        gi = g.reshape(n, s) if self.reduction == "none" else g * self.scale
        k = wt * gi
        if self.eps:
            k = k * (1 - self.eps)
        rows, cols = xp.arange(n)[:, None], xp.arange(s)[None, :]
        p = self.p
        if p is None:
            grad = xp.zeros((n, self.shape[1 if len(self.shape) > 1 else 0], s), dtype=wt.dtype)
            grad[rows, t, cols] = -k
            return (grad.reshape(self.shape),)
        if self.eps:
            c = p.shape[1]
            v = self.valid * gi * (self.eps / c)
            w = self.w
            total = k + v * (c if w is None else w.sum())
            grad = p * total[:, None, :]
            grad -= v[:, None, :] if w is None else v[:, None, :] * w[None, :, None]
        else:
            grad = p * k[:, None, :]
        grad[rows, t, cols] -= k
        return (grad.reshape(self.shape),)

    def backward_graph(self, g):
        """The same formula in Tensor ops; the softmax is rebuilt from log(p) (shift-invariant)."""
        t, wt, dev = self.t, self.wt, g._device
        xp = get_xp(wt)
        n, s = t.shape
        c = self.shape[1] if len(self.shape) > 1 else self.shape[0]
        gi = g.reshape(n, s) if self.reduction == "none" else g * C.const(xp.asarray(self.scale, dtype=wt.dtype), dev)
        k = gi * C.const(wt, dev)
        if self.eps:
            k = k * (1 - self.eps)
        onehot = xp.zeros((n, c, s), dtype=wt.dtype)
        onehot[xp.arange(n)[:, None], t, xp.arange(s)[None, :]] = 1
        grad = -(C.const(onehot, dev) * k.unsqueeze(1))
        if self.p is not None:
            with _quiet_log():
                logp = xp.log(self.p)
            from .reduce import softmax

            logp = logp.reshape(self.shape)
            x = C.on_edge(logp, dev, self.next[0])
            p = softmax(x.reshape(n, c, s), 1)
            if self.eps:
                v = gi * C.const(self.valid.astype(wt.dtype), dev) * (self.eps / c)
                w = self.w
                total = k + v * (c if w is None else float(w.sum()))
                grad = grad + p * total.unsqueeze(1)
                grad = grad - (v.unsqueeze(1) if w is None else v.unsqueeze(1) * C.const(w[None, :, None], dev))
            else:
                grad = grad + p * k.unsqueeze(1)
        return (grad.reshape(self.shape),)


def _quiet_log():
    return np.errstate(divide="ignore")


def _shape_note(input, target):
    return (
        f" (input: shape {list(input._data.shape)}, dtype {_kind(input)}; "
        f"target: shape {list(target._data.shape)}, dtype {_kind(target)})"
    )


def _check_class_target(input, target):
    """PyTorch's checks on a class-index target, in its order; messages name both tensors."""
    nd, td = input._data.ndim, target._data.ndim
    ishape, tshape = input._data.shape, target._data.shape
    note = _shape_note(input, target)
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd == 1:
        if td == 1 and tshape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {tshape[0]}" + note)
    elif td == 0 or ishape[0] != tshape[0]:
        raise ValueError(
            f"Expected input batch_size ({ishape[0]}) to match target batch_size ({tshape[0] if td else 0})." + note
        )
    if nd <= 2 and td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported" + note)
    if nd == 4:
        if td != 3:
            raise RuntimeError(
                f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {td}" + note
            )
        if tshape[1:] != ishape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(ishape)} , target: {list(tshape)}" + note)
    elif nd > 2:
        expected = (ishape[0],) + ishape[2:]
        if tshape != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(tshape)}" + note)
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_kind(target)}" + note)


def _check_class_weight(input, weight, n_classes, prefix=""):
    if weight._data.ndim != 1 or weight._data.shape[0] != n_classes:
        raise RuntimeError(
            f"{prefix}weight tensor should be defined either for all {n_classes} classes or no classes but got "
            f"weight tensor of shape: {list(weight._data.shape)}"
        )
    _same_device(input, weight)


def _class_nll(input, target, weight, ignore_index, reduction, eps, fused, fname):
    _check_class_target(input, target)
    ad = input._data
    if ad.dtype.kind != "f":
        raise NotImplementedError(f"\"{fname}\" not implemented for '{_kind(input)}'")
    _same_device(input, target)
    shape = ad.shape
    n_classes = shape[1] if ad.ndim > 1 else shape[0]
    w = None
    if weight is not None:
        _check_class_weight(input, weight, n_classes)
        if weight._data.dtype != ad.dtype:
            raise RuntimeError(f"expected scalar type {_kind(input)} but found {_kind(weight)}")
        _no_weight_grad(weight, "nll_loss_forward", "weight")
        w = weight._data
    n = shape[0] if ad.ndim > 1 else 1
    s = math.prod(shape[2:])
    x = ad.reshape(n, n_classes, s)
    xp = get_xp(ad)
    t = target._data.reshape(n, s).astype(np.int64, copy=False)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if type(t) is not np.ndarray:
        # On CUDA, PyTorch asserts this on the device: checked at the next sync, no host round trip here.
        from ..backend.device_assert import expect_false

        expect_false(bad.any(), "nll_loss: Assertion `t >= 0 && t < n_classes` failed (a target is out of bounds)")
    elif bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    t = xp.where(valid, t, 0)
    wt = valid.astype(ad.dtype) if w is None else w[t] * valid
    need = _wants_grad(input)
    p = None
    if fused:
        z = x - x.max(axis=1, keepdims=True)
        e = xp.exp(z)
        se = e.sum(axis=1, keepdims=True)
        z -= xp.log(se)
        if need:
            e /= se
            p = e
        x = z
    rows, cols = xp.arange(n)[:, None], xp.arange(s)[None, :]
    loss = -(x[rows, t, cols] * wt)
    if eps:
        smooth = -(x.sum(axis=1) if w is None else (x * w[None, :, None]).sum(axis=1))
        loss = loss * (1 - eps) + smooth * valid * (eps / n_classes)
    scale = 1
    if reduction == "none":
        out = loss.reshape(target._data.shape if ad.ndim > 1 else ())
    elif reduction == "sum":
        out = xp.asarray(loss.sum(), dtype=ad.dtype)
    else:
        total = wt.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = xp.asarray(loss.sum() / total, dtype=ad.dtype)
        # Every target ignored: the loss is NaN, but no element receives a gradient.
        scale = (total != 0) / xp.where(total == 0, 1, total)
    node = None
    if need:
        node = NllLossBackward0((edge(input),))
        node.p, node.t, node.wt, node.valid, node.w = p, t, wt, valid, w
        node.eps, node.reduction, node.scale, node.shape = eps, reduction, scale, shape
        if not fused:
            save_check(node, (input, ad))
    return _result(out, input._device, node)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-w[t]·input[t] per sample (input: log-probabilities); 'mean' divides by Σ w[t] over non-ignored samples."""
    if _amp.active:
        input, target, weight = _amp.cast("nll_loss", input, target, weight)
    _tensor_arg(input, "nll_loss", "input", 1)
    _tensor_arg(target, "nll_loss", "target", 2)
    red = _reduction(reduction, size_average, reduce)
    return _class_nll(input, target, weight, ignore_index, red, 0.0, False, "nll_loss")


# ---- cross entropy with class probabilities -----------------------------------------------------

class _SoftCrossEntropyBackward(Node):
    """-Σ_c w[c]·y'[c]·log_softmax(x)[c], y' = (1-ε)·y + ε/C: gradients to logits, target and weight."""

    __slots__ = ("logp", "y", "w", "eps", "reduction", "n", "axis", "dtypes")
    saves = ("logp", "y", "w")

    def name(self):
        return "DivBackward1" if self.reduction == "mean" and self.n else "NegBackward0"

    def backward(self, g):
        logp, y, w, axis = self.logp, self.y, self.w, self.axis
        xp = get_xp(logp)
        if self.reduction == "none":
            gi = xp.expand_dims(g, axis)
        else:
            gi = _reduce_grad(g, self.reduction, self.n)
        wb = None if w is None else w.reshape((-1,) + (1,) * (logp.ndim - axis - 1))
        gx = gy = gw = None
        if self.next[0] is not None:
            a = y * gi if wb is None else y * wb * gi
            gx = (xp.exp(logp) * a.sum(axis=axis, keepdims=True) - a).astype(self.dtypes[0], copy=False)
        if self.next[1] is not None:
            gy = -(logp * gi if wb is None else logp * wb * gi)
            if self.eps:
                gy *= 1 - self.eps
            gy = gy.astype(self.dtypes[1], copy=False)
        if self.next[2] is not None:
            other = tuple(i for i in range(logp.ndim) if i != axis)
            gw = (-(logp * y * gi).sum(axis=other)).astype(self.dtypes[2], copy=False)
        return (gx, gy, gw)

    def backward_graph(self, g):
        """The same formulas in Tensor ops; the logits are rebuilt as log-probabilities (a per-sample
        shift of them, which softmax and log_softmax do not see)."""
        from .reduce import softmax

        dev, axis = g._device, self.axis
        x = C.on_edge(self.logp, dev, self.next[0])
        logp = softmax(x, axis, log=True)
        y = C.saved_in(self, 1, self.y, dev)
        gi = g.unsqueeze(axis) if self.reduction == "none" else (
            g / self.n if self.reduction == "mean" and self.n else g)
        wb = None
        if self.w is not None:
            wb = C.saved_in(self, 2, self.w, dev).reshape((-1,) + (1,) * (self.logp.ndim - axis - 1))
        gx = gy = gw = None
        if self.next[0] is not None:
            a = y * gi if wb is None else y * wb * gi
            gx = _to_np_dtype(softmax(x, axis) * a.sum(dim=axis, keepdim=True) - a, self.dtypes[0])
        if self.next[1] is not None:
            gy = -(logp * gi if wb is None else logp * wb * gi)
            if self.eps:
                gy = gy * (1 - self.eps)
            gy = _to_np_dtype(gy, self.dtypes[1])
        if self.next[2] is not None:
            other = tuple(i for i in range(self.logp.ndim) if i != axis)
            gw = _to_np_dtype(-(logp * y * gi).sum(dim=other), self.dtypes[2])
        return (gx, gy, gw)


def _soft_cross_entropy(input, target, weight, ignore_index, reduction, eps):
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got {_kind(target)}")
    if ignore_index != -100:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"cross_entropy\" not implemented for '{_kind(input)}'")
    _same_device(input, target)
    x = input._data
    y = target._data
    dt = np.result_type(x.dtype, y.dtype)
    axis = 1 if x.ndim > 1 else 0
    n_classes = x.shape[axis] if x.ndim else 1
    w = None
    if weight is not None:
        _check_class_weight(input, weight, n_classes, "cross_entropy: ")
        w = weight._data.astype(dt, copy=False)
    xp = get_xp(x)
    # log_softmax in the input's dtype, as in PyTorch; the product with the target promotes.
    z = x - x.max(axis=axis, keepdims=True)
    z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    if eps:
        y = y * (1 - eps) + eps / n_classes
    prod = z * y
    if w is not None:
        prod *= w.reshape((-1,) + (1,) * (x.ndim - axis - 1))
    n = x.size // n_classes if x.size else 0
    if reduction == "none":
        out = -prod.sum(axis=axis)
    elif reduction == "sum":
        out = xp.asarray(-prod.sum(), dtype=dt)
    elif n == 0:
        out = xp.full((), xp.nan, dtype=dt)
    else:
        out = xp.asarray(-prod.sum() / n, dtype=dt)
    node = None
    if _wants_grad(input, target, weight):
        node = _SoftCrossEntropyBackward((edge(input), edge(target), edge(weight) if weight is not None else None))
        node.logp, node.y, node.w, node.eps, node.reduction, node.n, node.axis = z, y, w, eps, reduction, n, axis
        node.dtypes = (input._data.dtype, target._data.dtype, None if weight is None else weight._data.dtype)
    return _result(out, input._device, node)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """nll_loss(log_softmax(input, 1), target) for class indices, or -Σ_c w[c]·y[c]·log_softmax(input)[c] for
    class probabilities (target shaped like input); label smoothing mixes in the uniform distribution."""
    if _amp.active:
        input, target, weight = _amp.cast("cross_entropy", input, target, weight)
    _tensor_arg(input, "cross_entropy_loss", "input", 1)
    _tensor_arg(target, "cross_entropy_loss", "target", 2)
    red = _reduction(reduction, size_average, reduce)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    eps = float(label_smoothing) if label_smoothing > 0 else 0.0
    if input._data.shape == target._data.shape:
        return _soft_cross_entropy(input, target, weight, ignore_index, red, eps)
    if input._data.ndim == 0:  # PyTorch's log_softmax over dim 1 comes before its target checks
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    return _class_nll(input, target, weight, ignore_index, red, eps, True, "cross_entropy")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(margin + d(anchor, positive) - d(anchor, negative), 0) with d the pairwise p-distance (swap: the
    smaller of d(anchor, negative) and d(positive, negative)), reduced."""
    from .distance import pairwise_distance

    for i, (name, t) in enumerate((("anchor", anchor), ("positive", positive), ("negative", negative))):
        _tensor_arg(t, "triplet_margin_loss", name, i + 1)
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    from ..amp import _state as _amp

    if _amp.active:
        anchor, positive, negative = _amp.cast("triplet_margin_loss", anchor, positive, negative)
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    out = (margin + d_pos - d_neg).clamp_min(0)
    if reduction == "mean":
        return out.mean()
    return out.sum() if reduction == "sum" else out


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """max(margin + d(anchor, positive) - d(anchor, negative), 0) for any distance function d (pairwise
    2-norm distance by default; swap: the smaller of d(anchor, negative) and d(positive, negative)), reduced."""
    from .distance import pairwise_distance

    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")
    d = pairwise_distance if distance_function is None else distance_function
    d_pos = d(anchor, positive)
    d_neg = d(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(d(positive, negative))
    out = (margin + d_pos - d_neg).clamp_min(0)
    if reduction == "sum":
        return out.sum()
    return out.mean() if reduction == "mean" else out
