"""Spatial-transformer sampling: affine_grid builds sampling grids from affine matrices, grid_sample
reads an input at a grid's points (bilinear, nearest or bicubic; zeros, border or reflection padding).

Both are built from differentiable ops, so the input's and the grid's gradients (and higher ones)
follow from those ops' rules. The integer parts of the sampling positions are constants; where a
position is clipped or reflected, the exact coordinate is kept as the value and the slope PyTorch
uses (0 at and beyond a border, +-1 inside) as the gradient.
"""
import itertools
import math
import warnings

import numpy as np

from ._common import get_xp, wrap

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify "
    "align_corners=True if the old behavior is desired. See the documentation of grid_sample for details."
)
_A = -0.75  # the cubic convolution's parameter, as PyTorch's bicubic sampling


def _sizes(t):
    return "[" + ", ".join(map(str, t.shape)) + "]"


# ---- affine_grid --------------------------------------------------------------------------------


def _steps(n, align_corners, theta):
    """n points spanning [-1, 1] (corner centres), or the centres of n cells covering it; 0 for n <= 1.
    Computed in theta's dtype the way PyTorch does, so points on pixel centres round alike."""
    from .._factories import linspace, zeros

    if n <= 1:
        return zeros(1, dtype=theta.dtype, device=theta.device)
    r = linspace(-1, 1, n, dtype=theta.dtype, device=theta.device)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) or (N, D, H, W, 3) of theta (N, 2, 3) or (N, 3, 4) applied to the
    normalised output coordinates of size (N, C, H, W) or (N, C, D, H, W)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got {theta.shape}.")
        spatial = tuple(size[-2:])
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got {theta.shape}.")
        spatial = tuple(size[-3:])
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    nd = len(spatial)
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {nd + 1}] "
                           f"but got: [{theta.shape[0]}, {nd + 1}].")
    # Output coordinates x (the last dim), y[, z], each shaped to broadcast over the output's dims;
    # each grid component is their affine combination, summed in PyTorch's order.
    axes = []
    for i, n in enumerate(spatial[::-1]):
        shape = [1] * (nd + 1)
        shape[nd - i] = int(n)
        axes.append(_steps(int(n), align_corners, theta).reshape(shape))
    n = theta.shape[0]
    parts = []
    for j in range(nd):
        row = theta[:, j].reshape((n,) + (1,) * nd + (nd + 1,))
        acc = None
        for k, a in enumerate(axes):
            term = a * row[..., k]
            acc = term if acc is None else acc + term
        parts.append(acc + row[..., nd])
    from .._functions import stack

    return stack(parts, -1).expand((n,) + tuple(int(v) for v in spatial) + (nd,))


# ---- grid_sample: source coordinates ------------------------------------------------------------


def _fma(a, b, c):
    """a * b + c rounded once (as a fused multiply-add), for an array a and Python floats b, c."""
    xp = get_xp(a)
    if a.dtype != np.float64:
        return (a.astype(np.float64) * b + c).astype(a.dtype)
    # Dekker's exact product p + e, then one sum: correctly rounded but for ties of ties.
    split = 134217729.0  # 2**27 + 1
    p = a * b
    t = a * split
    ah = t - (t - a)
    al = a - ah
    bh = (b * split) - ((b * split) - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    z = s - p
    err = (p - (s - z)) + (c - z)
    return s + (err + e)


def _unnormalize(coord, size, align_corners, planar):
    """[-1, 1] to pixel coordinates: -1 and 1 are the corner pixels' centres, or the image's edges.
    Planar (4-d) sampling rounds as PyTorch's CPU kernel for it: (coord + 1) times half the size, less
    a half in the same (fused) operation, so coordinates on pixel centres land where PyTorch's do."""
    if planar:
        if align_corners:
            return (coord + 1) * ((size - 1) / 2)
        from .._functions import where

        shifted = coord + 1
        a = shifted._data
        xp = get_xp(a)
        exact = wrap(_fma(a, size / 2, -0.5), coord._device)
        finite = wrap(xp.isfinite(a), coord._device)
        return where(finite, (shifted - shifted.detach()) * (size / 2) + exact, shifted * (size / 2) - 0.5)
    if align_corners:
        return ((coord + 1) / 2) * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip_array(a, size):
    xp = get_xp(a)
    return xp.clip(a, 0, size - 1)


def _reflect_array(a, twice_low, twice_high):
    """a reflected into [low, high] by its borders, and the slope (+-1) of that map."""
    xp = get_xp(a)
    if twice_low == twice_high:
        return xp.zeros_like(a), xp.zeros_like(a)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    d = a - low
    sign = xp.where(d < 0, -1, 1).astype(a.dtype)
    d = xp.abs(d)
    extra = xp.fmod(d, span)
    even = xp.floor(d / span) % 2 == 0
    return xp.where(even, extra + low, span - extra + low).astype(a.dtype), xp.where(even, sign, -sign)


def _pad_array(a, size, padding_mode, align_corners):
    """Coordinates (an array) moved inside per the padding mode, as integer sample positions are."""
    if padding_mode == "border":
        return _clip_array(a, size)
    if padding_mode == "reflection":
        bounds = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        return _clip_array(_reflect_array(a, *bounds)[0], size)
    return a


def _pad_coord(ix, size, padding_mode, align_corners):
    """_pad_array on a tensor: the exact moved coordinate, with PyTorch's slope as its gradient."""
    from .._functions import where

    if padding_mode == "zeros":
        return ix
    a = ix._data
    dev = ix._device
    if padding_mode == "reflection":
        bounds = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        r, slope = _reflect_array(a, *bounds)
        ix = (ix - ix.detach()) * wrap(slope, dev) + wrap(r, dev)
        a = r
    # Clipping: slope 1 strictly inside, 0 at and beyond the borders.
    inside = (a > 0) & (a < size - 1)
    return where(wrap(inside, dev), ix, wrap(_clip_array(a, size), dev))


def _tap(inp, pos, sizes, zero):
    """inp (N, C, *spatial) at integer positions pos (one array per dim, x first, each (N, *out)):
    (N, C, *out), zero where a position falls outside."""
    from .._functions import gather, where

    xp = get_xp(pos[0])
    n, c = inp.shape[0], inp.shape[1]
    out = pos[0].shape[1:]
    valid = None
    flat = None
    stride = 1
    for p, size in zip(pos, sizes):
        ok = (p >= 0) & (p < size)
        valid = ok if valid is None else valid & ok
        q = xp.clip(p, 0, size - 1) * stride
        flat = q if flat is None else flat + q
        stride *= size
    npts = int(math.prod(out))
    index = xp.broadcast_to(flat.reshape(n, 1, npts), (n, c, npts))
    vals = gather(inp.reshape(n, c, stride), 2, wrap(index, inp._device))
    vals = where(wrap(valid.reshape(n, 1, npts), inp._device), vals, zero)
    return vals.reshape((n, c) + tuple(out))


# ---- grid_sample --------------------------------------------------------------------------------


def _check(input, grid, mode):
    from . import _common as C

    C.need_tensor(input, "grid_sampler", "input", 1)
    C.need_tensor(grid, "grid_sampler", "grid", 2)
    if input.dim() == 0 or grid.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but got "
                           f"grid with sizes {_sizes(grid)}")
    for i in range(2, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {_sizes(input)} with dimension {i} being empty")
    want = 4 if input.dim() == 4 else 5
    if input.dim() != want or grid.dim() != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of dimensions, but got "
                           f"input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if want == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    C.no_kernel(input, "grid_sampler_2d_cpu_kernel_impl" if want == 4 else "grid_sampler3d_cpu")
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy[:-6]} but found {grid.dtype._legacy[:-6]}")


def _cubic_coefficients(t):
    """The four cubic-convolution weights of taps -1, 0, 1, 2 at fraction t."""
    def near(x):  # |x| <= 1
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """input (N, C, H, W) or (N, C, D, H, W) read at grid's points (N, H', W', 2) or (N, D', H', W', 3),
    given as (x, y[, z]) in [-1, 1]; points outside take the padding mode's values."""
    from .._functions import where

    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    _check(input, grid, mode)
    nd = input.dim() - 2
    sizes = tuple(input.shape[2:])[::-1]  # x (width) first, as the grid's last dim
    dev = input._device
    zero = wrap(get_xp(input._data).zeros((), dtype=input._data.dtype), dev)
    coords = [_unnormalize(grid[..., d], sizes[d], align_corners, nd == 2) for d in range(nd)]
    if mode == "bicubic":
        base = [get_xp(c._data).floor(c._data) for c in coords]
        wx, wy = (_cubic_coefficients(c - wrap(b, dev)) for c, b in zip(coords, base))
        out = None
        for i in range(4):
            y = _pad_array(base[1] + (i - 1), sizes[1], padding_mode, align_corners).astype(np.int64)
            row = None
            for k in range(4):
                x = _pad_array(base[0] + (k - 1), sizes[0], padding_mode, align_corners).astype(np.int64)
                term = _tap(input, (x, y), sizes, zero) * wx[k].unsqueeze(1)
                row = term if row is None else row + term
            term = row * wy[i].unsqueeze(1)
            out = term if out is None else out + term
        return out
    coords = [_pad_coord(c, n, padding_mode, align_corners) for c, n in zip(coords, sizes)]
    if mode == "nearest":
        pos = [get_xp(c._data).rint(c._data).astype(np.int64) for c in coords]
        out = _tap(input, pos, sizes, zero)
        if grid.requires_grad:
            # The grid's gradient is zero, not absent, as PyTorch's: a where() that never picks it.
            never = wrap(get_xp(grid._data).zeros((1,) * out.dim(), dtype=bool), grid._device)
            out = where(never, grid[..., 0].unsqueeze(1), out)
        return out
    base = [get_xp(c._data).floor(c._data) for c in coords]
    frac = [c - wrap(b, dev) for c, b in zip(coords, base)]
    out = None
    # Corners in PyTorch's order: the last coordinate's (z, then y) offset varies slowest.
    for bits in itertools.product((0, 1), repeat=nd):
        bits = bits[::-1]  # (bx, by[, bz])
        w = None
        for f, b in zip(frac, bits):
            f = f if b else 1 - f
            w = f if w is None else w * f
        pos = [(b0 + b).astype(np.int64) for b0, b in zip(base, bits)]
        term = _tap(input, pos, sizes, zero) * w.unsqueeze(1)
        out = term if out is None else out + term
    return out
