"""Batch and layer normalisation: y = (x - mean) / sqrt(var + eps) * weight + bias.

Both backwards use the closed form gx = invstd * (gh - mean(gh) - xhat * mean(gh * xhat)) with
gh = g * weight and the means over the normalised elements; in eval mode batch norm's statistics
are constants, so its input gradient is just g * weight * invstd.
"""
import math

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from ..amp import _state as _amp
from . import _common as C
from ._common import edge, get_xp, save_check, wrap, wrap_grad
from ._common import tensor_args

__all__ = ["batch_norm", "layer_norm", "local_response_norm"]


def _vec(t):
    return None if t is None else t._data


class NativeBatchNormBackward0(Node):
    """Saves the centred input xc = x - mean (xhat = xc * invstd) as (N, C, L), invstd and weight.

    With s = weight * invstd and M elements per channel, training mode's input gradient is
    gx = s * g - (s * invstd^2 * sum(g * xc) / M) * xc - s * sum(g) / M, three passes over memory.
    """

    __slots__ = ("xc", "invstd", "w", "training")
    saves = ("xc", "invstd", "w")

    def backward(self, g):
        xp = get_xp(g)
        xc, invstd = self.xc, self.invstd
        shape = g.shape
        g3 = g.reshape(xc.shape)
        nx, nw, nb = self.next
        gx = gw = gb = None
        need_gxc = nw is not None or (nx is not None and self.training)
        sum_g = _channel_sum(xp, g3) if nb is not None or (nx is not None and self.training) else None
        if need_gxc:
            sum_gxc = _channel_sum(xp, g3, xc)
        if nw is not None:
            gw = sum_gxc * invstd
        if nb is not None:
            gb = sum_g
        if nx is not None:
            scale = invstd if self.w is None else invstd * self.w
            gx = xp.multiply(g3, scale[:, None])
            if self.training:
                m = xc.shape[0] * xc.shape[2]
                tmp = _tmp(xp, xc.shape, xc.dtype)
                xp.multiply(xc, (scale * invstd * invstd * sum_gxc / m)[:, None], out=tmp)
                gx -= tmp
                gx -= (scale * sum_g / m)[:, None]
            gx = gx.reshape(shape)
        return (gx, gw, gb)

    def backward_graph(self, g):
        axes = (0,) + tuple(range(2, g.dim()))
        bshape = (1, -1) + (1,) * (g.dim() - 2)
        xhat = (self.xc * self.invstd[:, None]).reshape(tuple(g.shape))
        return _norm_grads_t(self, g, axes, axes, self.invstd.reshape(bshape), bshape, self.training, xhat)


def _channel_sum(xp, a, b=None):
    """Per-channel sums of a (or of a * b) over axes 0 and 2 of (N, C, L) arrays.

    On the CPU as per-row dot products through BLAS (a matmul of length-L rows), which reads each
    operand once and writes no (N, C, L) temporary: several times faster than NumPy's reduction
    over two axes."""
    if not _blas_sums(xp, a):
        return (a if b is None else a * b).sum(axis=(0, 2))
    if b is None:
        b = _ones(a.shape[2], a.dtype)[:, None]
        return np.matmul(a, b).sum(axis=(0, 2))
    return np.matmul(a[:, :, None, :], b[:, :, :, None]).sum(axis=(0, 2, 3))


def _blas_sums(xp, a):
    return xp is np and (a.dtype == np.float32 or a.dtype == np.float64) and a.shape[2] >= 16


_ONES = {}


def _ones(n, dtype):
    key = (n, dtype)
    v = _ONES.get(key)
    if v is None:
        v = np.ones(n, dtype)
        v.flags.writeable = False
        if len(_ONES) < 64:
            _ONES[key] = v
    return v


def _tmp(xp, shape, dtype):
    if xp is np:
        from ..backend.workspace import scratch

        return scratch("batch_norm.tmp", shape, dtype)
    return xp.empty(shape, dtype)


def check_dtypes(input, params, kernel, kernel_first=False):
    """PyTorch's CPU rules for a normalisation's input and parameters: one dtype (a half input may take float32
    parameters), and a floating input."""
    if kernel_first:
        C.no_kernel(input, kernel)
    xd = input._data.dtype
    for t in params:
        if t is not None and t._data.dtype != xd and not (xd == np.float16 and t._data.dtype == np.float32):
            if xd == np.float32 and t._data.dtype.kind == "f":
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    C.no_kernel(input, kernel)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalise over every dim but 1 (channels); training updates the running statistics in place."""
    # positions as in PyTorch's message (those of torch.batch_norm underneath)
    for v, name, pos in ((input, "input", 1), (running_mean, "running_mean", 4), (running_var, "running_var", 5),
                         (weight, "weight", 2), (bias, "bias", 3)):
        if v is not None and not isinstance(v, C.Tensor):
            raise TypeError(f"batch_norm(): argument '{name}' (position {pos}) must be Tensor, not {type(v).__name__}")
    if input is None:
        raise TypeError("batch_norm(): argument 'input' (position 1) must be Tensor, not NoneType")
    xd = input._data
    xp = get_xp(xd)
    from .reduce import norm_dim

    if xd.ndim < 2 and (training or (running_mean is None and running_var is None and weight is None and bias is None)):
        norm_dim(1, xd.ndim)
    c = xd.shape[1] if xd.ndim > 1 else 0  # PyTorch counts no channels below 2 dims
    if training and xd.ndim > 1:
        per_channel = xd.shape[0] * int(math.prod(xd.shape[2:]))
        if per_channel == 1:
            from .._size import Size

            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {Size(xd.shape)!r}"
            )
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None:
            if t._device is not input._device:
                C.device_mismatch(input, t)
            if t._data.size != c:
                raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    check_dtypes(input, (weight, bias, running_mean, running_var), "batch_norm", kernel_first=True)
    if xd.size == 0:  # an empty batch: nothing to normalise, the running statistics stay
        return input.clone()
    # (N, C, L) so every per-channel statistic is one reduction over axes 0 and 2.
    x3 = xd.reshape(xd.shape[0], c, -1)
    if training:
        if _blas_sums(xp, x3):
            m = x3.shape[0] * x3.shape[2]
            mean = _channel_sum(xp, x3) / x3.dtype.type(m)
            xc = x3 - mean[:, None]
            var = _channel_sum(xp, xc, xc) / x3.dtype.type(m)
        else:
            mean = x3.mean(axis=(0, 2))
            xc = x3 - mean[:, None]
            sq = _tmp(xp, xc.shape, xc.dtype)
            xp.multiply(xc, xc, out=sq)
            var = sq.mean(axis=(0, 2))
        if running_mean is not None:
            n = xd.size // c
            rm, rv = running_mean._data, running_var._data
            rm *= 1 - momentum
            rm += (momentum * mean).astype(rm.dtype, copy=False)
            rv *= 1 - momentum
            rv += (momentum * var * (n / max(n - 1, 1))).astype(rv.dtype, copy=False)
    else:
        mean = running_mean._data.astype(xd.dtype, copy=False)
        var = running_var._data.astype(xd.dtype, copy=False)
        xc = x3 - mean[:, None]
    invstd = (1 / xp.sqrt(var + eps)).astype(xd.dtype, copy=False)
    scale = invstd if weight is None else invstd * weight._data.astype(xd.dtype, copy=False)
    out = xp.multiply(xc, scale[:, None])
    if bias is not None:
        out += bias._data.astype(xd.dtype, copy=False)[:, None]
    out = out.reshape(xd.shape)
    if (input._rg or (weight is not None and weight._rg) or (bias is not None and bias._rg)) and _grad_state.enabled:
        node = NativeBatchNormBackward0((edge(input), edge(weight) if weight is not None else None,
                                         edge(bias) if bias is not None else None))
        node.xc, node.invstd, node.w, node.training = xc, invstd, _vec(weight), bool(training)
        checks = [(input, xd)] + ([(weight, weight._data)] if weight is not None else [])
        save_check(node, *checks)
        return wrap_grad(out, input._device, node)
    return wrap(out, input._device)


class NativeLayerNormBackward0(Node):
    __slots__ = ("xhat", "invstd", "w", "k")
    saves = ("xhat", "invstd", "w")

    def backward(self, g):
        xhat, invstd = self.xhat, self.invstd
        inner = tuple(range(g.ndim - self.k, g.ndim))
        outer = tuple(range(g.ndim - self.k))
        nx, nw, nb = self.next
        gx = gw = gb = None
        if nw is not None:
            gw = (g * xhat).sum(axis=outer)
        if nb is not None:
            gb = g.sum(axis=outer)
        if nx is not None:
            gh = g if self.w is None else g * self.w
            gm = gh.mean(axis=inner, keepdims=True)
            gxm = (gh * xhat).mean(axis=inner, keepdims=True)
            gx = (invstd * (gh - gm - xhat * gxm)).astype(g.dtype, copy=False)
        return (gx, gw, gb)

    def backward_graph(self, g):
        n = g.dim()
        inner = tuple(range(n - self.k, n))
        outer = tuple(range(n - self.k))
        return _norm_grads_t(self, g, inner, outer, self.invstd, None, True)


def _norm_grads_t(node, g, axes, waxes, invstd, wshape, training, xhat=None):
    """The closed-form normalisation backward in Tensor ops (second-order rule of both norms).

    The input is rebuilt as xhat / invstd: it differs from x by the mean (a constant shift in eval
    mode), and normalisation does not see shifts, so every derivative through it is x's.
    """
    dev = g._device
    xhat_a = node.xhat if xhat is None else xhat
    nx, nw, nb = node.next
    x = C.on_edge(xhat_a / invstd, dev, nx)
    if training:
        d = x - x.mean(dim=axes, keepdim=True)
        var_a = ((xhat_a / invstd) ** 2).mean(axis=axes, keepdims=True)
        # (var + c) ** -0.5 with c = eps recovered from the saved invstd: values as saved, derivatives exact.
        inv = (d.pow(2).mean(dim=axes, keepdim=True) + C.const(1 / (invstd * invstd) - var_a, dev)).rsqrt()
        xh = d * inv
    else:
        inv = C.const(invstd, dev)
        xh = x * inv
    gx = gw = gb = None
    if nw is not None:
        gw = (g * xh).sum(dim=waxes)
    if nb is not None:
        gb = g.sum(dim=waxes)
    if nx is not None:
        gh = g
        if node.w is not None:
            w = C.saved_in(node, 1, node.w, dev)
            gh = g * (w if wshape is None else w.reshape(wshape))
        if training:
            gx = inv * (gh - gh.mean(dim=axes, keepdim=True) - xh * (gh * xh).mean(dim=axes, keepdim=True))
        else:
            gx = gh * inv
    return (gx, gw, gb)


def _dims(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


@tensor_args
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims given by normalized_shape."""
    if _amp.active:
        input, weight, bias = _amp.cast("layer_norm", input, weight, bias)
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError(
            "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"
        )
    shape = tuple(int(s) for s in normalized_shape)
    xd = input._data
    xp = get_xp(xd)
    k = len(shape)
    if k == 0:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, "
            "but got normalized_shape = []"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            if t._device is not input._device:
                C.device_mismatch(input, t)
            if tuple(t._data.shape) != shape:
                raise RuntimeError(
                    f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                    f"{_dims(t._data.shape)} and normalized_shape = {_dims(shape)}"
                )
    if xd.ndim < k or tuple(xd.shape[xd.ndim - k:]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={_dims(shape)}, expected input with shape [*, {', '.join(map(str, shape))}], "
            f"but got input of size{_dims(xd.shape)}"
        )
    check_dtypes(input, (weight, bias), "LayerNormKernelImpl")
    inner = tuple(range(xd.ndim - k, xd.ndim))
    mean = xd.mean(axis=inner, keepdims=True)
    centered = xd - mean
    var = (centered * centered).mean(axis=inner, keepdims=True)
    invstd = (1 / xp.sqrt(var + eps)).astype(xd.dtype, copy=False)
    xhat = centered * invstd
    out = xhat
    if weight is not None:
        out = out * weight._data
    if bias is not None:
        out = out + bias._data
    if out is xhat:
        out = xhat.copy()
    if (input._rg or (weight is not None and weight._rg) or (bias is not None and bias._rg)) and _grad_state.enabled:
        node = NativeLayerNormBackward0((edge(input), edge(weight) if weight is not None else None,
                                         edge(bias) if bias is not None else None))
        node.xhat, node.invstd, node.w, node.k = xhat, invstd, _vec(weight), k
        checks = [(input, xd)] + ([(weight, weight._data)] if weight is not None else [])
        save_check(node, *checks)
        return wrap_grad(out, input._device, node)
    return wrap(out, input._device)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean of input^2 over `size` neighbouring channels) ** beta, as PyTorch composes it
    (the window zero-padded by size // 2 before and (size - 1) // 2 after each channel)."""
    from .pad import pad
    from .shape import stack

    C.need_tensor(input, "local_response_norm", "input", 1)
    nd = input.dim()
    if nd < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {nd} dimensions)")
    if input.numel() == 0:
        return input
    if input._data.dtype.kind == "b":  # PyTorch's average pooling has no bool kernel
        raise NotImplementedError(f"\"{'avg_pool2d' if nd == 3 else 'avg_pool3d_out_frame'}\" not implemented for 'Bool'")
    sizes = input.shape
    sq = input.mul(input).reshape(sizes[0], 1, sizes[1], -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    win = stack([sq[:, :, i:i + sizes[1]] for i in range(size)], 0).sum(0) / size
    div = win.reshape(sizes).mul(alpha).add(k).pow(beta)
    return input / div
