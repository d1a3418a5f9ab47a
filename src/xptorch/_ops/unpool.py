"""Max unpooling (1-, 2- and 3-d): the partial inverse of max pooling.

Each input value is written into a zero output plane at the flat position its index names (the
indices max_pool*d(return_indices=True) returns); the gradient reads the output's gradient back
from the same positions. 1-d unpooling runs as 2-d over a unit width, as PyTorch's does.
"""
import math

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, tensor_args, wrap, wrap_grad

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _tuple(value, nd):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    return value * nd if len(value) == 1 else value


def _output_size(input, kernel, stride, padding, output_size):
    """The unpooled spatial sizes: the pooling's inverse, or output_size checked to lie within one stride."""
    nd = len(kernel)
    sizes = tuple(input.shape)[-nd:]
    default = [(n - 1) * s + k - 2 * p for n, k, s, p in zip(sizes, kernel, stride, padding)]
    if output_size is None:
        out = default
    else:
        given = output_size
        if len(given) == nd + 2:
            given = given[2:]
        if len(given) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, "
                             f"but it has a length of '{len(given)}'")
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < given[d] < hi:
                raise ValueError(f'invalid output_size "{given}" (dim {d} must be between {lo} and {hi})')
        out = given
    for d in range(nd):
        if out[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, "
                             f"but got output_size[{d}]={out[d]}")
    return tuple(int(o) for o in out)


class MaxUnpool2DBackward0(Node):
    """Each input's gradient is the output gradient at the position it was written to."""

    __slots__ = ("index", "plane", "xshape")
    saves = ("index",)

    def backward(self, g):
        b = self.index[0].shape[0]
        return (g.reshape(b, self.plane)[self.index].reshape(self.xshape),)

    def backward_graph(self, g):
        from .shape import _gather_t

        b = self.index[0].shape[0]
        return (_gather_t(g.reshape(b, self.plane), self.index, True).reshape(self.xshape),)


class MaxUnpool3DBackward0(MaxUnpool2DBackward0):
    __slots__ = ()


def _unpool(x, indices, out, nd, kernel_name, stride=None):
    xd, idx = x._data, indices._data
    if idx.dtype != np.int64:
        got = f" but got: {indices.dtype._legacy[:-6]}" if nd == 2 else ""
        raise RuntimeError(f"elements in indices should be type int64{got}")
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, "
                           f"but got a tensor with {xd.ndim} dimensions.")
    if idx.shape != xd.shape:
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ([{', '.join(map(str, xd.shape))}]) "
            f"but got indices tensor with shape: [{', '.join(map(str, idx.shape))}]")
    if stride is not None and any(v <= 0 for v in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: [{', '.join(map(str, stride))}]")
    C.no_kernel(x, kernel_name)
    xp = get_xp(xd)
    lead = xd.shape[:-nd]
    b = int(math.prod(lead))
    plane = int(math.prod(out))
    flat = idx.reshape(b, int(math.prod(xd.shape[-nd:])))
    bad = (flat < 0) | (flat >= plane)
    if flat.size and bool(bad.any()):
        # PyTorch reports the last offending index in row-major order.
        last = int(flat.size - 1 - int(bad.ravel()[::-1].argmax()))
        raise RuntimeError(f"Found an invalid max index: {int(flat.ravel()[last])} "
                           f"(output volumes are of size {'x'.join(map(str, out))})")
    index = (xp.arange(b)[:, None], flat)
    y = xp.zeros((b, plane), dtype=xd.dtype)
    y[index] = xd.reshape(flat.shape)
    y = y.reshape(lead + out)
    if x._rg and _grad_state.enabled:
        node = (MaxUnpool2DBackward0 if nd == 2 else MaxUnpool3DBackward0)((edge(x),))
        node.index, node.plane, node.xshape = index, plane, xd.shape
        return wrap_grad(y, x._device, node)
    return wrap(y, x._device)


def _args(nd, kernel_size, stride, padding):
    kernel = _tuple(kernel_size, nd)
    stride = kernel if stride is None else _tuple(stride, nd)
    return kernel, stride, _tuple(padding, nd)


@tensor_args
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Places each value of a 1-d max pooling's output at its index in a zero signal."""
    from .shape import squeeze, unsqueeze

    kernel, stride, padding = _args(1, kernel_size, stride, padding)
    out = _output_size(input, kernel, stride, padding, output_size)
    y = _unpool(unsqueeze(input, -1), unsqueeze(indices, -1), out + (1,), 2, "max_unpool2d")
    return squeeze(y, -1)


@tensor_args
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Places each value of a 2-d max pooling's output at its index in a zero plane."""
    kernel, stride, padding = _args(2, kernel_size, stride, padding)
    return _unpool(input, indices, _output_size(input, kernel, stride, padding, output_size), 2, "max_unpool2d")


@tensor_args
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Places each value of a 3-d max pooling's output at its index in a zero volume."""
    kernel, stride, padding = _args(3, kernel_size, stride, padding)
    out = _output_size(input, kernel, stride, padding, output_size)
    return _unpool(input, indices, out, 3, "max_unpool3d", stride)
