"""Adaptive max pooling (1-, 2- and 3-d): output cell i of a dim of size L pooled to O covers
[floor(i L / O), ceil((i + 1) L / O)), as PyTorch's windows.

The positions are found on the arrays: every window is read through one gathered view, padded to the
longest window by repeating its last element (which never changes the first maximum), and PyTorch's
choice is kept: the first maximum in row-major order, or the last NaN when the window holds one. The
values are then gathered from the input by those positions, so the gradient goes to exactly the
element PyTorch sends it to, and higher derivatives come from gather's own rules.
"""
import numpy as np

from . import _common as C
from ._common import get_xp, tensor_args


def _windows(n, o):
    """(starts, lengths) of the o adaptive windows over n elements."""
    i = np.arange(o)
    starts = (i * n) // o
    ends = -((-(i + 1) * n) // o)
    return starts, ends - starts


def _window_index(xp, n, o):
    """(o, k) positions along one dim, each window padded to k by repeating its last position."""
    starts, lengths = _windows(n, o)
    k = int(lengths.max()) if o else 1
    j = np.arange(k)
    idx = starts[:, None] + np.minimum(j[None, :], lengths[:, None] - 1)
    return xp.asarray(idx.astype(np.int64)), k


def _positions(xd, out, nd):
    """Flat positions (in the last nd dims of xd) of each output cell's maximum, shape xd.shape[:-nd] + out."""
    xp = get_xp(xd)
    sizes = xd.shape[-nd:]
    lead = xd.shape[:-nd]
    idx, ks = zip(*(_window_index(xp, n, o) for n, o in zip(sizes, out)))
    # Broadcast the per-dim (o, k) indices over one another: dim d's index gets shape
    # (1, .., o_d, k_d, .., 1) in the interleaved order (o_1, k_1, o_2, k_2, ...).
    grids = []
    for d, ix in enumerate(idx):
        shape = [1] * (2 * nd)
        shape[2 * d], shape[2 * d + 1] = ix.shape
        grids.append(ix.reshape(shape))
    win = xd[(Ellipsis,) + tuple(grids)]  # lead + (o_1, k_1, ..., o_nd, k_nd)
    m = len(lead)
    order = tuple(range(m)) + tuple(m + 2 * d for d in range(nd)) + tuple(m + 2 * d + 1 for d in range(nd))
    win = win.transpose(order).reshape(lead + tuple(out) + (-1,))
    first = win.argmax(axis=-1)  # the first maximum; a NaN counts as a maximum there
    if win.dtype.kind == "f":
        nan = xp.isnan(win)
        any_nan = nan.any(axis=-1)
        last_nan = win.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
        first = xp.where(any_nan, last_nan, first)
    # Window-local position -> coordinates per dim -> flat position in the input plane.
    flat = xp.zeros(first.shape, dtype=np.int64)
    rest = first
    coords = []
    for d in reversed(range(nd)):
        coords.append(rest % ks[d])
        rest = rest // ks[d]
    coords.reverse()
    for d in range(nd):
        shape = [1] * (m + nd)
        shape[m + d] = out[d]
        o_of = xp.arange(out[d]).reshape(shape)
        pos = idx[d][o_of, coords[d]]
        flat = flat * sizes[d] + pos
    return flat


def _check(input, output_size, nd, name):
    xd = input._data
    if xd.ndim not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {xd.ndim}-dimensional tensor for argument #1 "
                               f"'self' (while checking arguments for {name})")
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"[{', '.join(map(str, xd.shape))}]")
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        if nd == 1:
            raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got {len(output_size)})")
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    out = tuple(n if o is None else int(o) for n, o in zip(xd.shape[-nd:], output_size))
    if any(o < 0 for o in out):
        shape = list(xd.shape[:-nd]) + list(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"[{', '.join(map(str, shape))}]")
    for i in range(1, xd.ndim):
        if xd.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes [{', '.join(map(str, xd.shape))}] with dimension {i} being empty")
    if xd.dtype.kind not in "f":
        C.no_kernel(input, "adaptive_max_pool2d" if nd <= 2 else "adaptive_max_pool3d_cpu")
    return out


def _pool(input, output_size, return_indices, nd, name):
    if nd > 1:
        from .pool import _wrapper_dims

        _wrapper_dims(input, output_size)
    out = _check(input, output_size, nd, name)
    xd = input._data
    lead = xd.shape[:-nd]
    if 0 in out or (lead and 0 in lead):
        empty = input.new_zeros(lead + out)
        idx = input.new_zeros(lead + out).long()
        return (empty, idx) if return_indices else empty
    flat = _positions(xd, out, nd)
    idx = C.wrap(flat, input._device)
    values = input.flatten(-nd).gather(-1, idx.flatten(-nd)).reshape(lead + out)
    return (values, idx) if return_indices else values


@tensor_args
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over adaptive windows of the last dim; with return_indices, also their positions."""
    return _pool(input, output_size, return_indices, 1, "adaptive_max_pool1d")


@tensor_args
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over adaptive windows of the last two dims; with return_indices, also their flat positions."""
    return _pool(input, output_size, return_indices, 2, "adaptive_max_pool2d")


@tensor_args
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over adaptive windows of the last three dims; with return_indices, also their flat positions."""
    return _pool(input, output_size, return_indices, 3, "adaptive_max_pool3d")


@tensor_args
def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool1d's values and positions, whatever return_indices says."""
    return _pool(input, output_size, True, 1, "adaptive_max_pool1d")


@tensor_args
def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool2d's values and flat positions, whatever return_indices says."""
    return _pool(input, output_size, True, 2, "adaptive_max_pool2d")


@tensor_args
def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool3d's values and flat positions, whatever return_indices says."""
    return _pool(input, output_size, True, 3, "adaptive_max_pool3d")
