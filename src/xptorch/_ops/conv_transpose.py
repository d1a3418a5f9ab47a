"""Transposed convolution over 1, 2 or 3 spatial dims: the adjoint of convolution in its input.

Forward multiplies each input position by the transposed weight (one batched matmul) and adds the
resulting kernel-sized patches into the output (col2im). Backward reads the gradient through the
same sliding windows a convolution uses: one matmul for the input's gradient, one for the weight's.
"""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from ..amp import _state as _amp
from . import _common as C
from ._common import edge, get_xp, save_check, wrap, wrap_grad
from .conv import _expand, _type_name, crop, pad_zeros, scatter_windows, windows
from ._common import tensor_args

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

_AXES = ("depth", "height", "width")


class ConvolutionBackward0(Node):
    """Saves the input (for the weight's gradient) and the weight (for the input's)."""

    __slots__ = ("xd", "wd", "geom")
    saves = ("xd", "wd")

    def backward(self, g):
        xp = get_xp(g)
        pads, kernel, stride, dilation, groups, full, xshape, wshape = self.geom
        xd, wd = self.xd, self.wd
        n, cin = xshape[:2]
        oc = g.shape[1]
        spatial = xshape[2:]
        L = int(np.prod(spatial))
        # The output was the full col2im result cropped by the padding: pad the gradient back.
        gfull = pad_zeros(g, tuple((lo, f - o - lo) for (lo, _), f, o in zip(pads, full, g.shape[2:])))
        cols = windows(gfull, kernel, stride, dilation, spatial).reshape(n, groups, -1, L)
        nx, nw, nb = self.next
        gx = gw = gb = None
        if nx is not None:
            gx = xp.matmul(wd.reshape(groups, cin // groups, -1), cols).reshape(xshape)
        if nw is not None:
            x4 = xd.reshape(n, groups, cin // groups, L)
            gw = xp.matmul(x4, cols.swapaxes(2, 3)).sum(axis=0).reshape(wshape)
        if nb is not None:
            gb = g.reshape(n, oc, -1).sum(axis=(0, 2))
        return (gx, gw, gb)

    def backward_graph(self, g):
        """Convolutions of Tensors: the input's gradient convolves g with the weight, the weight's is a
        convolution's weight gradient with g (padded) as the input and x as the upstream gradient."""
        from .conv import _conv_arrays, weight_grad_t
        from .pad import pad

        pads, kernel, stride, dilation, groups, full, xshape, wshape = self.geom
        x, w = self._checks[0][2], self._checks[1][2]  # the inputs, version-checked just before
        nx, nw, nb = self.next
        gx = gw = gb = None
        if nx is not None:
            gx = _conv_arrays(g, w, None, stride, pads, dilation, groups)
        if nw is not None:
            widths = [v for (lo, _), f, o in zip(reversed(pads), reversed(full), reversed(g.shape[2:]))
                      for v in (lo, f - o - lo)]
            gw = weight_grad_t(pad(g, widths), x, kernel, stride, dilation, groups)
        if nb is not None:
            gb = g.sum(dim=(0,) + tuple(range(2, g.dim())))
        return (gx, gw, gb)


def _check(x, w, b, nd, stride, padding, output_padding, dilation, groups):
    xd, wd = x._data, w._data
    if w._device is not x._device:
        C.device_mismatch(x, w)
    if wd.ndim != nd + 2:
        raise RuntimeError(
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input "
            f"[{', '.join(map(str, xd.shape))}], but got {wd.ndim}-dimensional weight of size "
            f"[{', '.join(map(str, wd.shape))}] instead"
        )
    if xd.dtype != wd.dtype:
        raise RuntimeError(
            f"Input type ({_type_name(x)}) and weight type ({_type_name(w)}) should be the same or input "
            "should be a MKLDNN tensor and weight is a dense tensor"
        )
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        axes = _AXES[3 - nd:]
        parts = [f"output_padding_{a}: {v}" for a, v in zip(axes, output_padding)]
        parts += [f"stride_{a}: {v}" for a, v in zip(axes, stride)]
        parts += [f"dilation_{a}: {v}" for a, v in zip(axes, dilation)]
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got " + " ".join(parts)
        )
    shape_w = ", ".join(map(str, wd.shape))
    if wd.shape[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got weight of "
            f"size [{shape_w}] instead"
        )
    if wd.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight "
            f"of size [[{shape_w}]] instead"
        )
    if xd.shape[1] != wd.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size [{shape_w}], expected input[{', '.join(map(str, xd.shape))}] "
            f"to have {wd.shape[0]} channels, but got {xd.shape[1]} channels instead"
        )
    oc = wd.shape[1] * groups
    if b is not None:
        if b._device is not x._device:
            C.device_mismatch(x, b)
        if b._data.ndim != 1 or b._data.shape[0] != oc:
            raise RuntimeError(
                f"Given transposed=1, weight of size [{shape_w}], expected bias to be 1-dimensional with {oc} "
                f"elements, but got bias of size [{', '.join(map(str, b._data.shape))}] instead"
            )
    out = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1
           for i, s, p, d, k, op in zip(xd.shape[2:], stride, padding, dilation, wd.shape[2:], output_padding)]
    if any(o < 0 for o in out):  # an output dim of 0 gives an empty result, as PyTorch
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, xd.shape[2:]))}). Calculated output size per "
            f"channel: ({' x '.join(map(str, out))}). Output size is too small"
        )
    return out


def conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation, nd):
    """N-d transposed convolution of x (N, Cin, *S) or unbatched (Cin, *S) with w (Cin, Cout/groups, *K)."""
    if _amp.active:
        x, w, b = _amp.cast("conv_transpose2d", x, w, b)
    xd = x._data
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to conv_transpose{nd}d, but got input "
            f"of size: [{', '.join(map(str, xd.shape))}]"
        )
    if xd.ndim == nd + 1:
        from .shape import squeeze, unsqueeze

        return squeeze(conv_transpose(unsqueeze(x, 0), w, b, stride, padding, output_padding, groups, dilation,
                                      nd), 0)
    stride = _expand(stride, nd, "stride")
    padding = _expand(padding, nd, "padding")
    output_padding = _expand(output_padding, nd, "output_padding")
    dilation = _expand(dilation, nd, "dilation")
    out = _check(x, w, b, nd, stride, padding, output_padding, dilation, groups)
    wd = w._data
    xp = get_xp(xd)
    n, cin = xd.shape[:2]
    kernel = tuple(wd.shape[2:])
    spatial = tuple(xd.shape[2:])
    oc = wd.shape[1] * groups
    L = int(np.prod(spatial))
    wmat = wd.reshape(groups, cin // groups, -1)
    cols = xp.matmul(wmat.swapaxes(1, 2), xd.reshape(n, groups, cin // groups, L))
    cols = cols.reshape((n, oc) + kernel + spatial)
    full = tuple(o + 2 * p for o, p in zip(out, padding))
    pads = tuple((p, p) for p in padding)
    y = crop(scatter_windows(cols, (n, oc) + full, kernel, stride, dilation, spatial), pads)
    y = xp.ascontiguousarray(y)
    if b is not None:
        y += b._data.reshape((1, oc) + (1,) * nd)
    if (x._rg or w._rg or (b is not None and b._rg)) and _grad_state.enabled:
        ex, ew = edge(x), edge(w)
        node = ConvolutionBackward0((ex, ew, edge(b) if b is not None else None))
        node.xd = xd if ew is not None else None
        node.wd = wd if ex is not None else None
        node.geom = (pads, kernel, stride, dilation, groups, full, xd.shape, wd.shape)
        save_check(node, (x, xd), (w, wd))
        return wrap_grad(y, x._device, node)
    return wrap(y, x._device)


@tensor_args
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if input._data.dtype.kind == "b":
        C.no_kernel(input, "slow_conv_transpose2d_out_cpu")
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)


@tensor_args
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if input._data.dtype.kind == "b":
        C.no_kernel(input, "slow_conv_transpose2d_out_cpu")
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


@tensor_args
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if input._data.dtype.kind == "b":
        C.no_kernel(input, "slow_conv_transpose3d_out_cpu")
    return conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3)
