"""nn.init: in-place initialisers. Each runs under no_grad and returns the tensor it was given.

Random draws go through the tensor's own `uniform_`/`normal_`, so a seed gives the same values
on every device.
"""
import math
import warnings

import numpy as np

from .. import _dtype
from .._ops._common import get_xp
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..backend import use_device

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "masked_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_UNIT_GAIN = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
)
_FAN_MODES = ["fan_in", "fan_out"]


def calculate_gain(nonlinearity, param=None):
    """Gain for an activation: 1 (linear, conv, sigmoid), 5/3 (tanh), √2 (relu), √(2/(1+slope²)) (leaky_relu), 3/4 (selu)."""
    if nonlinearity in _UNIT_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        # Self-normalising networks want unit variance, which 3/4 keeps best in practice.
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = shape[1]·r, fan_out = shape[0]·r, with r = prod(shape[2:]) the receptive field."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    shape = tensor.shape
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    """fan_in or fan_out of the tensor, as `mode` names it."""
    mode = mode.lower()
    if mode not in _FAN_MODES:
        raise ValueError(f"Mode {mode} not supported, please use one of {_FAN_MODES}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """w ~ U(a, b)."""
    with no_grad():
        tensor.uniform_(a, b, generator=generator)
    return tensor


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """w ~ N(mean, std²)."""
    with no_grad():
        tensor.normal_(mean, std, generator=generator)
    return tensor


def constant_(tensor, val):
    """w = val."""
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor):
    """w = 1."""
    with no_grad():
        tensor.fill_(1)
    return tensor


def zeros_(tensor):
    """w = 0."""
    with no_grad():
        tensor.zero_()
    return tensor


def _write(tensor, arr):
    """Copy an array (host or the tensor's device) into the tensor in place."""
    with no_grad():
        tensor.copy_(Tensor._from_array(arr))


def eye_(tensor):
    """w[i, j] = 1 if i == j else 0 (2-D only)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    xp = get_xp(tensor._data)
    with use_device(tensor.device):
        _write(tensor, xp.eye(*tensor.shape, dtype=tensor._data.dtype))
    return tensor


def dirac_(tensor, groups=1):
    """w[g·(out/groups) + d, d, centre...] = 1 for d < min(out/groups, in), else 0: identity convolution per group."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tuple(tensor.shape)
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = shape[0] // groups
    n = min(per_group, shape[1])
    xp = get_xp(tensor._data)
    with use_device(tensor.device):
        arr = xp.zeros(shape, dtype=tensor._data.dtype)
        d = xp.arange(n)
        out_ch = (xp.arange(groups)[:, None] * per_group + d[None, :]).reshape(-1)
        in_ch = xp.tile(d, groups)
        arr[(out_ch, in_ch) + tuple(s // 2 for s in shape[2:])] = 1
        _write(tensor, arr)
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """w ~ U(-a, a), a = gain·√(6/(fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """w ~ N(0, std²), std = gain·√(2/(fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _empty_noop(tensor):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """w ~ U(-bound, bound), bound = gain(nonlinearity, a)·√(3/fan_mode) (He et al., 2015)."""
    if _empty_noop(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """w ~ N(0, std²), std = gain(nonlinearity, a)/√fan_mode (He et al., 2015)."""
    if _empty_noop(tensor):
        return tensor
    return normal_(tensor, 0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """w = mean + std·Φ⁻¹(u), u ~ U(Φ(α), Φ(β)), α = (a-mean)/std, β = (b-mean)/std: N(mean, std²) truncated to [a, b]."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    if not tensor.is_floating_point():
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{tensor.dtype._legacy[:-6]}'")
    alpha = (a - mean) / float(std)
    beta = (b - mean) / float(std)
    # Draw from whichever tail the interval sits in, where Φ keeps its relative precision.
    flip = alpha > 0
    if flip:
        alpha, beta = -beta, -alpha
    lo = 0.5 * math.erfc(-alpha / math.sqrt(2.0))
    hi = 0.5 * math.erfc(-beta / math.sqrt(2.0))
    with no_grad():
        u = tensor.new_empty(tensor.shape, dtype=_dtype.float64).uniform_(lo, hi, generator=generator)._data
        xp = get_xp(u)
        # u = 0 only where the interval reaches -inf; the smallest positive double stands in for it.
        z = _ndtri(xp.maximum(u, np.finfo(np.float64).tiny))
        if flip:
            z = -z
        dt = tensor._data.dtype
        x = (z * float(std) + mean).astype(dt)
        # Clip in the tensor's dtype so rounding cannot step outside [a, b] as that dtype sees them.
        with np.errstate(over="ignore"):
            lo_t, hi_t = dt.type(a), dt.type(b)
        x = xp.clip(x, lo_t, hi_t)
        _write(tensor, x)
    return tensor


def orthogonal_(tensor, gain=1, generator=None):
    """w = gain·Q, Q R = a N(0, 1) matrix, Q's columns signed by diag(R) (Haar-uniform; Saxe et al., 2013)."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with no_grad():
        flat = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator).numpy(force=True)
        wide = rows < cols
        q, r = np.linalg.qr(flat.T if wide else flat)
        q *= np.sign(np.diagonal(r))
        if wide:
            q = q.T
        q = np.ascontiguousarray(q * gain, dtype=flat.dtype).reshape(tuple(tensor.shape))
        _write(tensor, q)
    return tensor


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """w ~ N(0, std²), then ceil(sparsity·rows) random rows of every column set to 0 (Martens, 2010)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        if rows and cols and num_zeros:
            # Sorting uniform keys per column gives an independent random row order for each column.
            keys = tensor.new_empty((rows, cols), dtype=_dtype.float64).uniform_(generator=generator)._data
            xp = get_xp(keys)
            with use_device(tensor.device):
                picked = xp.argsort(keys, axis=0)[:num_zeros]
                mask = xp.zeros((rows, cols), dtype=bool)
                mask[picked, xp.arange(cols)[None, :]] = True
            tensor.masked_fill_(Tensor._from_array(mask, tensor.device), 0)
    return tensor


def masked_uniform_(tensor, a=10.0, threshold=5.0, generator=None):
    """w ~ U(-a, a), then w = 0 where |w| < threshold, in one pass."""
    if not a > 0:
        raise ValueError(f"masked_uniform_ expects a > 0, but got a={a}")
    if not 0 <= threshold <= a:
        raise ValueError(f"masked_uniform_ expects 0 <= threshold <= a, but got threshold={threshold} and a={a}")
    with no_grad():
        tensor._random_fill("masked_uniform", a, threshold, generator)
    return tensor


# Φ⁻¹ by Wichura's rational approximations (Applied Statistics AS 241, 1988), relative error ~1e-16.
_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
      45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727)
_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
      21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561)
_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
      1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4)
_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
      0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)
_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
      0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7)
_F = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
      7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)


def _poly(coef, r):
    acc = coef[-1]
    for c in coef[-2::-1]:
        acc = acc * r + c
    return acc


def _ndtri(p):
    """Φ⁻¹(p) elementwise for a float64 array with 0 < p < 1."""
    xp = get_xp(p)
    q = p - 0.5
    out = xp.empty_like(p)
    central = xp.abs(q) <= 0.425
    qc = q[central]
    r = 0.180625 - qc * qc
    out[central] = qc * _poly(_A, r) / _poly(_B, r)
    tail = ~central
    qt = q[tail]
    r = xp.sqrt(-xp.log(xp.where(qt < 0, p[tail], 1.0 - p[tail])))
    near = r <= 5.0
    v = xp.where(near, _poly(_C, r - 1.6) / _poly(_D, r - 1.6), _poly(_E, r - 5.0) / _poly(_F, r - 5.0))
    out[tail] = xp.where(qt < 0, -v, v)
    return out
