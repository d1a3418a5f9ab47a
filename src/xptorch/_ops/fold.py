"""F.unfold (im2col) and F.fold (col2im): sliding 2-D blocks to columns and back.

Each is the other's adjoint, so both are recorded as one linear map whose gradient is the other (and whose
higher derivatives follow); the windows and their scatter are conv.py's.
"""
import numpy as np

from ..autograd.higher_order import linear_map
from . import _common as C
from .conv import crop, pad_zeros, scatter_windows, windows

__all__ = ["unfold", "fold"]

_NUM = (int, np.integer)


def _pair(value, fname, name, pos):
    if isinstance(value, _NUM) and not isinstance(value, bool):
        return (int(value),) * 2
    if isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            if not isinstance(v, _NUM) or isinstance(v, bool):
                raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be tuple of ints, but found "
                                f"element of type {type(v).__name__} at pos {i}")
        value = tuple(int(v) for v in value)
        if len(value) == 1:
            return value * 2
        if len(value) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
        return value
    if value is None or isinstance(value, float):  # read as a one-element list
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be tuple of ints, but found element of "
                        f"type {type(value).__name__} at pos 0")
    raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be tuple of ints, not {type(value).__name__}")


def _params(fname, first, kernel_size, dilation, padding, stride):
    """The four pairs, checked in the order PyTorch checks them (col2im: stride before dilation)."""
    k = _pair(kernel_size, fname, "kernel_size", 2 + (fname == "col2im"))
    d = _pair(dilation, fname, "dilation", 3 + (fname == "col2im"))
    p = _pair(padding, fname, "padding", 4 + (fname == "col2im"))
    s = _pair(stride, fname, "stride", 5 + (fname == "col2im"))
    checks = {
        "kernel": (k[0] > 0 and k[1] > 0, f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
                                          f"kernel_width: {k[1]}"),
        "dilation": (d[0] > 0 and d[1] > 0, f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                                            f"dilation_width: {d[1]}"),
        "padding": (p[0] >= 0 and p[1] >= 0, f"padding should be non-negative, but got pad_height: {p[0]} "
                                             f"pad_width: {p[1]}"),
        "stride": (s[0] > 0 and s[1] > 0, f"stride should be greater than zero, but got stride_height: {s[0]} "
                                          f"stride_width: {s[1]}"),
    }
    for key in first:
        ok, msg = checks[key]
        if not ok:
            raise RuntimeError(msg)
    return k, d, p, s


def _blocks(size, k, d, p, s):
    """Sliding blocks per spatial dim (floor division: fewer than one block shows as 0 or less)."""
    return tuple((n + 2 * pp - (dd * (kk - 1) + 1)) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s))


def _need_float(t, kernel):
    if t._data.dtype.kind in "iu":  # bool passes: blocks summed by logical or
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{t.dtype._legacy[:-6]}'")


def _im2col(xd, k, d, p, s, out):
    """(N, C, H, W) -> (N, C * kh * kw, L)."""
    n, c = xd.shape[:2]
    win = windows(pad_zeros(xd, ((p[0], p[0]), (p[1], p[1]))), k, s, d, out)
    return win.reshape(n, c * k[0] * k[1], out[0] * out[1])


def _col2im(cd, size, k, d, p, s, out):
    """(N, C * kh * kw, L) -> (N, C, H, W), overlapping blocks summed."""
    n = cd.shape[0]
    c = cd.shape[1] // (k[0] * k[1])
    g = cd.reshape((n, c) + tuple(k) + tuple(out))
    padded = (n, c, size[0] + 2 * p[0], size[1] + 2 * p[1])
    return crop(scatter_windows(g, padded, k, s, d, out), ((p[0], p[0]), (p[1], p[1])))


def _dim_error(nd, dim):
    if nd == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")


def _shape(s):
    return "[" + ", ".join(map(str, s)) + "]"


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding kernel_size blocks of a (N, C, H, W) or (C, H, W) input as columns: (N, C * prod(kernel_size), L),
    L the number of blocks."""
    C.need_tensor(input, "im2col", "input", 1)
    k, d, p, s = _params("im2col", ("kernel", "dilation", "padding", "stride"), kernel_size, dilation, padding,
                         stride)
    shape = input._data.shape
    nd = len(shape)
    if nd < 3:
        _dim_error(nd, (-1, -2, 2)[nd])  # the first size PyTorch reads that is not there
    ok = (nd == 3 and all(shape)) or (nd == 4 and all(shape[1:]))
    if not ok:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {_shape(shape)}")
    out = _blocks(shape[-2:], k, d, p, s)
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"Given input with spatial size ({shape[-2]}, {shape[-1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({out[0]}, {out[1]}), but its components must be at least one.")
    _need_float(input, "im2col_out_cpu")
    x = input if nd == 4 else input.unsqueeze(0)
    size = x._data.shape[2:]
    cols = linear_map(lambda a: _im2col(a, k, d, p, s, out),
                      lambda g: _col2im(g, size, k, d, p, s, out), x)
    return cols if nd == 4 else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C * prod(kernel_size), L) summed back into a (N, C, *output_size) image (overlaps add up);
    unfold's adjoint."""
    C.need_tensor(input, "col2im", "input", 1)
    size = _pair(output_size, "col2im", "output_size", 2)
    k, d, p, s = _params("col2im", ("kernel", "stride", "dilation", "padding"), kernel_size, dilation, padding,
                         stride)
    shape = input._data.shape
    nd = len(shape)
    ok = (nd == 2 and all(shape)) or (nd == 3 and all(shape[1:]))
    if not ok:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {_shape(shape)}")
    kk = k[0] * k[1]
    if shape[-2] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={shape[-2]} and kernel_size=({k[0]}, {k[1]}).")
    out = _blocks(size, k, d, p, s)
    if out[0] < 1 or out[1] < 1 or out[0] * out[1] != shape[-1]:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks {out[0]} * "
                           f"{out[1]} = {out[0] * out[1]}, but got input.size(2)={shape[-1]}.")
    _need_float(input, "col2im_out_cpu")
    x = input if nd == 3 else input.unsqueeze(0)
    img = linear_map(lambda a: _col2im(a, size, k, d, p, s, out),
                     lambda g: _im2col(g, k, d, p, s, out), x)
    return img if nd == 3 else img.squeeze(0)
