"""nn.functional's ops under PyTorch's top-level names and signatures: `torch.conv2d`, `torch.max_pool2d`,
`torch.dropout(input, p, train)`, ... Where the top-level form orders or names its arguments
differently from nn.functional (dropout's `train`, the pools' `stride=()`), these follow it."""
from . import _NN_OPS
from .nn import functional as F

__all__ = list(_NN_OPS)  # the names xptorch/__init__.py loads from here on first use

conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d
cosine_similarity, pairwise_distance = F.cosine_similarity, F.pairwise_distance
pixel_shuffle, pixel_unshuffle = F.pixel_shuffle, F.pixel_unshuffle
prelu, hardshrink, rms_norm, adaptive_avg_pool1d = F.prelu, F.hardshrink, F.rms_norm, F.adaptive_avg_pool1d


for _f in (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, prelu, hardshrink,
           adaptive_avg_pool1d):
    if not (_f.__doc__ or "").strip():
        _f.__doc__ = f"nn.functional.{_f.__name__}, under PyTorch's top-level name."
del _f


def _stride(stride):
    return None if stride == () or stride == [] else stride


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    """nn.functional.avg_pool1d; stride () means the kernel size, as PyTorch's top-level form."""
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """nn.functional.max_pool1d; stride () means the kernel size, as PyTorch's top-level form."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """max_pool1d's values and their indices."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """nn.functional.max_pool2d; stride () means the kernel size, as PyTorch's top-level form."""
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """nn.functional.max_pool3d; stride () means the kernel size, as PyTorch's top-level form."""
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """nn.functional.layer_norm (cudnn_enable is accepted and ignored)."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """nn.functional.group_norm (cudnn_enabled is accepted and ignored)."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def dropout(input, p, train):
    """nn.functional.dropout with PyTorch's top-level arguments: train is required."""
    return F.dropout(input, p, train)


def dropout_(input, p, train):
    """In-place dropout; returns input."""
    return F.dropout(input, p, train, inplace=True)


def celu(input, alpha=1.0):
    """nn.functional.celu."""
    return F.celu(input, alpha)


def celu_(input, alpha=1.0):
    """In-place celu; returns input."""
    return F.celu(input, alpha, inplace=True)


def selu(input):
    """nn.functional.selu."""
    return F.selu(input)


def selu_(input):
    """In-place selu; returns input."""
    return F.selu(input, inplace=True)


def rrelu(input, lower=0.125, upper=1.0 / 3.0, training=False, generator=None):
    """nn.functional.rrelu (the generator argument is accepted; draws use the default one)."""
    return F.rrelu(input, lower, upper, training)


def rrelu_(input, lower=0.125, upper=1.0 / 3.0, training=False, generator=None):
    """In-place rrelu; returns input."""
    return F.rrelu(input, lower, upper, training, inplace=True)


def threshold(input, threshold, value):
    """value where input <= threshold, else input."""
    return F.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    """In-place threshold; returns input."""
    return F.threshold(input, threshold, value, inplace=True)


