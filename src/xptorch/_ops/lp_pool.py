"""Power-average pooling: (sum of x**p over each window) ** (1/p), for 1, 2 or 3 spatial dims.

Built as PyTorch defines it, from average pooling of x**p times the window size, with the window sum
passed through sign(s) * relu(|s|) first: its gradient is then zero where the sum is zero, and
the gradients everywhere follow from the pieces' own rules. p = +-inf is max pooling of |x|.
"""
import math

import numpy as np

from . import pool as _pool
from ._common import tensor_args

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    size = kernel_size
    if nd > 1:
        k = (kernel_size,) * nd if isinstance(kernel_size, (int, np.integer)) else kernel_size
        if nd == 2:
            kw, kh = k  # PyTorch's unpacking, and its ValueError for a wrong length
            size = kw * kh
        else:
            kd, kw, kh = k
            size = kd * kw * kh
    avg = getattr(_pool, f"avg_pool{nd}d")
    mx = getattr(_pool, f"max_pool{nd}d")
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        if norm_type > 0:
            return mx(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -mx(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is None:
        out = avg(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    else:
        out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(size).pow(1.0 / norm_type)


@tensor_args
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x**norm_type over each window of the last dim) ** (1/norm_type)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


@tensor_args
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x**norm_type over each window of the last two dims) ** (1/norm_type)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


@tensor_args
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x**norm_type over each window of the last three dims) ** (1/norm_type)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)
