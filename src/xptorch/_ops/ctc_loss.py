"""nn.functional.ctc_loss: connectionist temporal classification (Graves et al., 2006).

The targets are extended with blanks (l' = blank, l1, blank, l2, ..., blank, length 2S+1); the forward variables
alpha and the backward variables beta run in log space over all batch entries and positions at once, one step
per time frame. The gradient is PyTorch's: the derivative with respect to the unnormalised logits of
log_probs = log_softmax(logits), exp(lp) - exp(log sum_{s: l'(s)=c} alpha_t(s) beta_t(s) + nll - lp),
zero past each input length.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import state as _grad_state
from . import _common as C
from .loss import _reduction

__all__ = ["ctc_loss"]

_NEG = -np.inf


def _logaddexp(xp, *terms):
    """log(sum(exp(terms))) elementwise, -inf where every term is -inf, without warnings."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    safe = xp.where(xp.isinf(m), 0, m)
    total = sum(xp.exp(t - safe) for t in terms)
    return xp.log(total) + safe


def _shift(xp, a, k):
    """a moved k places along the last axis (right for k > 0, left for k < 0), -inf filling the gap."""
    out = xp.full_like(a, _NEG)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _extended(xp, targets, offsets, tl, blank, smax):
    """The blank-extended labels [N, 2 smax + 1] (blank past each target's end) and where a label may be reached
    from two places back (a label different from the one before it)."""
    n = len(tl)
    pos = np.arange(smax)
    idx = np.asarray(offsets)[:, None] + pos  # into the flattened targets
    valid = pos < np.asarray(tl)[:, None]
    flat = targets.reshape(-1)
    labels = xp.where(xp.asarray(valid), flat[xp.asarray(np.where(valid, idx, 0))].astype(np.int64), blank) \
        if smax else xp.zeros((n, 0), np.int64)
    ext = xp.full((n, 2 * smax + 1), blank, np.int64)
    ext[:, 1::2] = labels
    skip = xp.zeros(ext.shape, bool)
    if smax > 1:
        skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    return ext, skip


def _alpha_beta(xp, lp, ext, skip, il, tl):
    """alpha and beta [T, N, L] (both holding lp at their frame), and the negative log-likelihoods [N]."""
    T, N = lp.shape[:2]
    L = ext.shape[1]
    lpe = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (T, N, L)), axis=2)
    il_d, tl_d = xp.asarray(il), xp.asarray(tl)
    s = xp.arange(L)
    inside = s[None, :] < (2 * tl_d[:, None] + 1)
    neg = lp.dtype.type(_NEG)
    alpha = xp.full((T, N, L), neg, lp.dtype)
    beta = xp.full((T, N, L), neg, lp.dtype)
    if T == 0 or N == 0:
        return alpha, beta, xp.where(tl_d == 0, 0, np.inf).astype(lp.dtype)
    a = xp.where(s[None, :] < xp.minimum(2, 2 * tl_d[:, None] + 1), lpe[0], neg)
    alpha[0] = a
    for t in range(1, T):
        prev = _logaddexp(xp, a, _shift(xp, a, 1), xp.where(skip, _shift(xp, a, 2), neg))
        a = xp.where((t < il_d)[:, None] & inside, lpe[t] + prev, a)
        alpha[t] = a
    last = xp.maximum(il_d - 1, 0)
    end = 2 * tl_d
    a_last = alpha[last, xp.arange(N)]
    ll = _logaddexp(xp, xp.take_along_axis(a_last, end[:, None], 1)[:, 0],
                    xp.where(tl_d > 0, xp.take_along_axis(a_last, xp.maximum(end - 1, 0)[:, None], 1)[:, 0], neg))
    ll = xp.where(il_d == 0, xp.where(tl_d == 0, 0, neg), ll)
    skip_up = xp.zeros_like(skip)
    skip_up[:, :-2] = skip[:, 2:]  # s may take the step s + 2 -> s backwards
    b = xp.full((N, L), neg, lp.dtype)
    for t in range(T - 1, -1, -1):
        nxt = _logaddexp(xp, b, _shift(xp, b, -1), xp.where(skip_up, _shift(xp, b, -2), neg))
        start = (s[None, :] == end[:, None]) | ((s[None, :] == end[:, None] - 1) & (tl_d[:, None] > 0))
        b = xp.where((t == il_d - 1)[:, None], xp.where(start, lpe[t], neg),
                     xp.where((t < il_d - 1)[:, None] & inside, lpe[t] + nxt, neg))
        beta[t] = b
    return alpha, beta, -ll


class _CtcLoss(Function):
    @staticmethod
    def forward(ctx, log_probs, targets, il, tl, offsets, smax, blank, zero_infinity):
        lp = log_probs._data
        xp = C.get_xp(lp)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            ext, skip = _extended(xp, targets._data, offsets, tl, blank, smax)
            alpha, beta, nll = _alpha_beta(xp, lp, ext, skip, il, tl)
        ctx.saved = (lp, ext, alpha, beta, nll, il, zero_infinity)
        return C.wrap(nll, log_probs._device)

    @staticmethod
    def backward(ctx, g):
        lp, ext, alpha, beta, nll, il, zero_infinity = ctx.saved
        xp = C.get_xp(lp)
        T, N, Cn = lp.shape
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            ab = alpha + beta
            m = ab.max(axis=2, keepdims=True) if ab.shape[2] else xp.full((T, N, 1), _NEG, lp.dtype)
            m = xp.where(xp.isinf(m), 0, m)
            onehot = (ext[:, :, None] == xp.arange(Cn)).astype(lp.dtype)  # [N, L, C]
            summed = xp.matmul(xp.exp(ab - m).transpose(1, 0, 2), onehot).transpose(1, 0, 2)  # [T, N, C]
            lcab = xp.log(summed) + m
            grad = xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)
        keep = xp.arange(T)[:, None] < xp.asarray(il)[None, :]
        if zero_infinity:
            keep = keep & ~xp.isinf(nll)[None, :]
        grad = xp.where(keep[:, :, None], grad * g._data[None, :, None], 0).astype(lp.dtype)
        if _grad_state.enabled:  # create_graph: recorded, but (as in PyTorch) not differentiable again
            from .pointwise import NotImplementedBackward

            node = NotImplementedBackward(())
            node.op = "_ctc_loss_backward"
            return (C.wrap_grad(grad, g._device, node),) + (None,) * 7
        return C.wrap(grad, g._device), None, None, None, None, None, None, None


def _node_name(fn_cls, name):
    for cls in (fn_cls._backward_cls, fn_cls._output_cls):
        cls.__name__ = cls.__qualname__ = name


_node_name(_CtcLoss, "CtcLossBackward0")


def _lengths(v, name):
    """A tensor or sequence of lengths as a list of Python ints (read on the host, as PyTorch does)."""
    if isinstance(v, C.Tensor):
        if v._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        a = v._data
        return [int(x) for x in (np.asarray(a) if isinstance(a, np.ndarray) else C.get_xp(a).asnumpy(a)).reshape(-1)]
    return [int(x) for x in v]


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss of log_probs [T, N, C] (or unbatched [T, C]) against targets, padded [N, S] or concatenated
    [sum(target_lengths)]: per entry -log p(target | input), 'mean' dividing each by its target length (at least
    1) before averaging over the batch; zero_infinity replaces infinite losses (and their gradients) with zero."""
    from .._functions import where
    from .._factories import tensor

    reduction = _reduction(reduction)
    kinds = [isinstance(v, C.Tensor) or (isinstance(v, (tuple, list)) and all(isinstance(e, int) for e in v))
             for v in (input_lengths, target_lengths)]
    if not all(kinds) or isinstance(input_lengths, C.Tensor) != isinstance(target_lengths, C.Tensor):
        got = ", ".join(type(v).__name__ for v in (log_probs, targets, input_lengths, target_lengths))
        raise TypeError(f"ctc_loss() received an invalid combination of arguments - got ({got}, int, int, bool), "
                        "but expected one of:\n * (Tensor log_probs, Tensor targets, tuple of ints input_lengths, "
                        "tuple of ints target_lengths, int blank = 0, int reduction = at::Reduction::Mean, "
                        "bool zero_infinity = False)\n * (Tensor log_probs, Tensor targets, Tensor input_lengths, "
                        "Tensor target_lengths, int blank = 0, int reduction = at::Reduction::Mean, "
                        "bool zero_infinity = False)")
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    if log_probs._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{log_probs.dtype._legacy[:-6]}'")
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    # Unbatched (T, C) is a batch of one; its 1-D targets then read as concatenated ones.
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    tg = targets
    fn = "ctc_loss_allocate_outputs"
    if lp.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.dim()}-dimensional tensor for argument #1 "
                           f"'log_probs' (while checking arguments for {fn})")
    T, N, Cn = lp.shape
    if not 0 <= blank < Cn:
        raise RuntimeError("blank must be in label range")
    if tg.dim() not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {tg.dim()}-dimensional tensor for argument #2 "
                           f"'targets' (while checking arguments for {fn})")
    if len(il) != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tl) != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for v in tl:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {v} (while "
                               f"checking arguments for {fn})")
    smax = max(tl, default=0)
    if tg.dim() == 1:
        offsets = list(np.cumsum([0] + tl[:-1])) if N else []
        if tg.shape[0] != sum(tl):
            raise RuntimeError(f"Expected tensor to have size {sum(tl)} at dimension 0, but got size {tg.shape[0]} "
                               f"for argument #2 'targets' (while checking arguments for {fn})")
    else:
        if tg.shape[0] != N:
            raise RuntimeError(f"Expected tensor to have size {N} at dimension 0, but got size {tg.shape[0]} for "
                               f"argument #2 'targets' (while checking arguments for {fn})")
        if tg.shape[1] < smax:
            raise RuntimeError(f"Expected tensor to have size at least {smax} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for {fn})")
        offsets = [i * tg.shape[1] for i in range(N)]
    for v in il:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {v} (while "
                               f"checking arguments for {fn})")
        if v > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {v} (while "
                               f"checking arguments for {fn})")
    tg = tg.contiguous()
    res = _CtcLoss.apply(lp, tg.detach(), il, tl, [int(o) for o in offsets], smax, int(blank), bool(zero_infinity))
    if zero_infinity:
        res = where(res == float("inf"), res.new_zeros(()), res)
    if reduction == "mean":
        lengths = tensor(tl, dtype=res.dtype, device=res.device).clamp_min(1)
        return (res / lengths).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)
