"""xptorch: PyTorch's Tensor, autograd and nn on NumPy (CPU) and CuPy (CUDA)."""
from ._version import __version__
import warnings as _warnings

# PyTorch computes inf and NaN silently. NumPy's floating-point warnings raised inside xptorch's own
# arithmetic ("invalid value encountered in add" for inf + -inf, ...) are dropped; the rest of the
# process keeps NumPy's behaviour. Put in front, so that `python -W error` does not turn them into errors;
# filters installed later (pytest's per-test ones) still come first.
_warnings.filterwarnings("ignore", message=r"(invalid value|overflow|divide by zero|underflow) encountered in",
                         category=RuntimeWarning, module=r"xptorch\.")
from . import _dtype
from ._dtype import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from ._dtype import get_default_dtype, set_default_dtype
from ._type_info import can_cast, finfo, iinfo, promote_types, result_type
from ._device import device, get_default_device, set_default_device
from ._size import Size
from ._tensor import Tensor
from ._tensor_str import set_printoptions, get_printoptions, printoptions
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                                 set_grad_enabled)
from ._factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    asarray,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from ._windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window  # noqa: F401
from ._functions import *  # noqa: F401,F403  (sum, cat, where, ...: plain forms of Tensor methods)
from ._functions import max, min, sum, abs, pow, t, all, any  # noqa: F401  (shadowed builtins, exported on purpose)
from ._linalg_top import (cholesky, cholesky_inverse, cholesky_solve, lu, lu_solve, lu_unpack, matrix_exp,  # noqa: F401
                          qr, svd, triangular_solve)
from ._random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._threads import get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads
from . import autograd, backend, cuda, random  # noqa: E402
from .backend.allocator import keep_freed_memory as _keep_freed_memory  # noqa: E402

_keep_freed_memory()  # multi-megabyte temporaries reuse mapped pages (XPTORCH_MALLOC_KEEP=0: off)
from .serialization import load, save  # noqa: E402
from .compiler import compile  # noqa: E402,F401  (runs eagerly: returns its argument)
from ._layout import channels_last, channels_last_3d, contiguous_format, layout, memory_format  # noqa: E402,F401
from ._layout import preserve_format, strided  # noqa: E402,F401
from ._settings import (are_deterministic_algorithms_enabled, get_float32_matmul_precision,  # noqa: E402,F401
                        is_deterministic_algorithms_warn_only_enabled, is_warn_always_enabled,
                        set_float32_matmul_precision, set_warn_always, use_deterministic_algorithms)

float = _dtype.float32
int = _dtype.int32
bool = _dtype.bool


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over a batch dimension of its inputs (the same as xptorch.func.vmap)."""
    from .func import vmap as _vmap

    return _vmap(func, in_dims, out_dims, randomness, chunk_size=chunk_size)


def from_dlpack(ext):
    """Zero-copy import of any DLPack producer (NumPy, CuPy, PyTorch, ...)."""
    from ._interop import from_dlpack as _f

    return _f(ext)


_NN_OPS = ("avg_pool1d", "celu", "celu_", "conv1d", "conv2d",
           "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cosine_similarity", "dropout",
           "dropout_", "group_norm", "hardshrink", "layer_norm", "max_pool1d",
           "max_pool1d_with_indices", "max_pool2d", "max_pool3d", "pairwise_distance", "pixel_shuffle",
           "pixel_unshuffle", "prelu", "rms_norm", "rrelu", "rrelu_", "selu", "selu_", "threshold", "threshold_",
           "adaptive_avg_pool1d")


def __dir__():
    return sorted(set(globals()) | set(_NN_OPS))


def __getattr__(name):
    # nn, optim and friends load on first use so `import xptorch` stays light.
    import importlib

    if name in _NN_OPS:  # torch.conv2d and friends: nn.functional's ops, loaded with nn
        return getattr(importlib.import_module("._nn_ops", __name__), name)

    if name in ("autocast", "is_autocast_enabled", "get_autocast_dtype"):
        return getattr(importlib.import_module(".amp", __name__), name)

    if name in ("nn", "optim", "utils", "monitor", "testing", "distributions", "amp", "distributed", "linalg",
                "backends", "compiler", "special", "func"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'xptorch' has no attribute '{name}'")
