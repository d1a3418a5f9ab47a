"""interpolate: nearest, nearest-exact, linear, bilinear, bicubic, trilinear and area resizing of (N, C, *spatial) inputs.

Every supported mode is separable and linear in the input: each spatial axis is resized by a small
(out, in) matrix, so forward applies the matrices axis by axis and backward applies their transposes.
"""
import math
import warnings

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad
from ._common import tensor_args

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def _matrix(n_in, n_out, mode, align_corners, scale):
    """(n_out, n_in) float64 resize matrix along one axis."""
    m = np.zeros((n_out, n_in))
    dst = np.arange(n_out, dtype=np.float64)
    # PyTorch's source coordinate: a user-given scale factor is used as 1/scale, else the size ratio.
    ratio = (1.0 / scale) if scale is not None else n_in / n_out
    if mode in ("nearest", "nearest-exact"):
        src = np.floor((dst + 0.5) * ratio) if mode == "nearest-exact" else np.floor(dst * ratio)
        src = np.minimum(src.astype(np.int64), n_in - 1)
        m[np.arange(n_out), src] = 1.0
        return m
    if mode == "area":
        # Adaptive average pooling: output i averages inputs floor(i n/o) .. ceil((i+1) n/o) - 1.
        for i in range(n_out):
            lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
            m[i, lo:hi] = 1.0 / (hi - lo)
        return m
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = (dst + 0.5) * ratio - 0.5
        if mode != "bicubic":
            src = np.maximum(src, 0.0)
    if mode == "bicubic":
        # Keys' cubic convolution (A = -0.75) over the 4 nearest inputs, indices clamped at the borders.
        base = np.floor(src).astype(np.int64)
        t = src - base
        A = -0.75
        near = lambda x: ((A + 2) * x - (A + 3)) * x * x + 1  # noqa: E731  |x| <= 1
        far = lambda x: ((A * x - 5 * A) * x + 8 * A) * x - 4 * A  # noqa: E731  1 < |x| < 2
        for off, w in ((-1, far(t + 1)), (0, near(t)), (1, near(1 - t)), (2, far(2 - t))):
            np.add.at(m, (np.arange(n_out), np.clip(base + off, 0, n_in - 1)), w)
        return m
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    np.add.at(m, (np.arange(n_out), i0), 1 - lam)
    np.add.at(m, (np.arange(n_out), i1), lam)
    return m


def _apply(a, mats, xp, transpose=False):
    """Resize each trailing axis of a by its matrix (or the transpose)."""
    nd = len(mats)
    for k, m in enumerate(mats):
        axis = a.ndim - nd + k
        mm = m.T if transpose else m
        a = xp.moveaxis(xp.tensordot(mm, a, axes=([1], [axis])), 0, axis)
    return xp.ascontiguousarray(a)


class UpsampleBackward(Node):
    """Backward of a resize by matrices: the transposed matrices. Itself linear, so its own rule is the
    forward resize again (second order comes for free)."""

    __slots__ = ("mats", "fn_name", "transposed")

    def name(self):
        return self.fn_name

    def backward(self, g):
        return (_apply(g, self.mats, get_xp(g), transpose=not self.transposed).astype(g.dtype, copy=False),)

    def backward_graph(self, g):
        return (_resize(g, self.mats, not self.transposed, self.fn_name),)


def _resize(t, mats, transposed, fn_name):
    """t resized by mats (or their transposes), recorded for autograd."""
    xd = t._data
    y = _apply(xd, mats, get_xp(xd), transpose=transposed).astype(xd.dtype, copy=False)
    if t._rg and _grad_state.enabled:
        node = UpsampleBackward((edge(t),))
        node.mats, node.fn_name, node.transposed = mats, fn_name, transposed
        return wrap_grad(y, t._device, node)
    return wrap(y, t._device)


def _node_name(mode, nd):
    if mode == "area":
        return f"AdaptiveAvgPool{nd}DBackward0" if nd > 1 else "SqueezeBackward1"
    kind = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear", "bilinear": "Bilinear",
            "bicubic": "Bicubic", "trilinear": "Trilinear"}[mode]
    return f"Upsample{kind}{nd}DBackward0"


# The CPU kernel PyTorch names when it refuses an integer or bool input, by (spatial dims, mode) or mode.
_KERNELS = {
    (2, "nearest"): "upsample_nearest2d_channels_last", (2, "nearest-exact"): "upsample_nearest2d_channels_last",
    (2, "bilinear"): "upsample_bilinear2d_channels_last", (1, "area"): "adaptive_avg_pool2d",
    (2, "area"): "adaptive_avg_pool2d", (3, "area"): "adaptive_avg_pool3d_cpu",
    "nearest": "compute_indices_weights_nearest", "nearest-exact": "compute_indices_weights_nearest",
    "linear": "compute_indices_weights_linear", "trilinear": "compute_indices_weights_linear",
    "bicubic": "compute_indices_weights_cubic",
}


@tensor_args
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    nd = input.dim() - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
                "trilinear"
            )
    elif align_corners is None:
        align_corners = False
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(spatial)} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            out = tuple(int(s) for s in size)
        else:
            out = (int(size),) * nd
        scales = (None,) * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(spatial)} and scale_factor of shape {scale_factor}. Please provide "
                    "input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
                )
            factors = tuple(float(s) for s in scale_factor)
        else:
            factors = (float(scale_factor),) * nd
        out = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        scales = (None,) * nd if recompute_scale_factor else factors
    else:
        raise ValueError("either size or scale_factor should be defined")
    # The sizes' count is checked first, then the input's rank (PyTorch's order).
    if mode in _LINEAR and nd in (1, 2, 3) and _LINEAR[mode] != nd:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input")
    if mode not in _MODES or nd not in (1, 2, 3) or (mode == "bicubic" and nd != 2):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})"
        )
    if any(o <= 0 for o in out):
        names = ("D", "H", "W")[3 - nd:]
        sin = ", ".join(f"{k}: {n}" for k, n in zip(names, spatial))
        sout = ", ".join(f"{k}: {n}" for k, n in zip(names, out))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({sin})"
                           f"{' and' if nd == 1 else ''} output ({sout})")
    xd = input._data
    if xd.dtype.kind != "f":
        C.no_kernel(input, _KERNELS.get((nd, mode)) or _KERNELS[mode])
    xp = get_xp(xd)
    mats = [xp.asarray(_matrix(n, o, mode, align_corners, s).astype(xd.dtype))
            for n, o, s in zip(spatial, out, scales)]
    return _resize(input, mats, False, _node_name(mode, nd))


def _deprecated(name):
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


@tensor_args
def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


@tensor_args
def upsample_nearest(input, size=None, scale_factor=None):
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


@tensor_args
def upsample_bilinear(input, size=None, scale_factor=None):
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
