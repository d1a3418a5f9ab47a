"""nn.functional: stateless forms of the layers and losses."""
import warnings

from .._functions import sigmoid, tanh  # noqa: F401
from .._ops.linalg import bilinear, linear, linear_relu  # noqa: F401
from .._ops.alpha_dropout import alpha_dropout, feature_alpha_dropout  # noqa: F401
from .._ops.activation import *  # noqa: F401,F403
from .._ops.activation_zoo import *  # noqa: F401,F403
from .._ops.attention import scaled_dot_product_attention  # noqa: F401
from .._ops.distance import cosine_similarity, normalize, pairwise_distance, pdist, rms_norm  # noqa: F401
from .._ops.pixel_shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: F401
from .._ops.sampling import gumbel_softmax  # noqa: F401
from .._ops.conv import *  # noqa: F401,F403
from .._ops.conv_transpose import *  # noqa: F401,F403
from .._ops.feature_dropout import dropout1d, dropout2d, dropout3d  # noqa: F401
from .._ops.embedding_bag import embedding_bag  # noqa: F401
from .._ops.fold import fold, unfold  # noqa: F401
from .._ops.group_norm import group_norm, instance_norm  # noqa: F401
from .._ops.loss import *  # noqa: F401,F403
from .._ops.ctc_loss import ctc_loss  # noqa: F401
from .._ops.likelihood_loss import gaussian_nll_loss, kl_div, poisson_nll_loss  # noqa: F401
from .._ops.margin_loss import *  # noqa: F401,F403
from .._ops.norm import *  # noqa: F401,F403
from .._ops.pad import pad  # noqa: F401
from .._ops.pool import *  # noqa: F401,F403
from .._ops.adaptive_max_pool import adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d  # noqa: F401
from .._ops.adaptive_max_pool import (adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,  # noqa: F401
                                      adaptive_max_pool3d_with_indices)
from .._ops.unpool import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: F401
from .._ops.lp_pool import lp_pool1d, lp_pool2d, lp_pool3d  # noqa: F401
from .._ops.grid_sample import affine_grid, grid_sample  # noqa: F401
from .._ops.upsample import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: F401
from .._ops._common import tensor_args as _tensor_args


@_tensor_args
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    from .._ops.reduce import softmax as _s

    x = input if dtype is None else input.to(dtype)
    return _s(x, dim if dim is not None else _implicit_dim(x, "softmax", _stacklevel))


@_tensor_args
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    from .._ops.reduce import softmax as _s

    x = input if dtype is None else input.to(dtype)
    return _s(x, dim if dim is not None else _implicit_dim(x, "log_softmax", _stacklevel), log=True)


def _implicit_dim(x, name, stacklevel):
    """PyTorch's legacy choice of dimension when none is given, with its deprecation warning."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if x.dim() in (0, 1, 3) else 1


@_tensor_args
def relu(input, inplace=False):
    """max(input, 0), elementwise; inplace=True edits input."""
    from .._functions import relu as _relu

    return input.relu_() if inplace else _relu(input)


@_tensor_args
def relu_(input):
    return input.relu_()


@_tensor_args
def one_hot(tensor, num_classes=-1):
    """int64 class labels to one-hot rows: a new last dimension of size num_classes (max + 1 when -1)."""
    from .._ops.indexing import one_hot as _one_hot

    return _one_hot(tensor, num_classes)


@_tensor_args
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) along dim, computed stably."""
    from .._ops.reduce import logsumexp as _lse

    return _lse(input, dim, keepdim)
