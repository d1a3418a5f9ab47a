"""torch.backends.cuda: whether the CUDA path is installed (CuPy), and the matmul and attention flags
PyTorch code sets. xptorch's matmuls follow CuPy's defaults whatever the flags say."""
import contextlib
import warnings

from . import _flags


def is_built():
    """True when CuPy, xptorch's CUDA backend, can be imported (a GPU may still be absent)."""
    import importlib.util

    return importlib.util.find_spec("cupy") is not None


class _Matmul:
    __slots__ = ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __setattr__(self, key, value):
        if key in self.__slots__ and not isinstance(value, bool):
            raise RuntimeError(f"{key} expects a bool, but got {type(value).__name__}")
        object.__setattr__(self, key, value)


matmul = _Matmul()
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True, "overrideable": True}
# SDPBackend values, most preferred first (nn.attention.sdpa_kernel(..., set_priority=True) reorders it).
_sdp_priority = [1, 2, 0, 3, 4]
_math_reduction = [True]


def _enable(kind):
    def enable(enabled):
        if not isinstance(enabled, bool):
            raise TypeError(f"enable_{kind}_sdp(): argument 'enabled' must be bool, not {type(enabled).__name__}")
        _sdp[kind] = enabled

    def query():
        return _sdp[kind]

    enable.__name__, query.__name__ = f"enable_{kind}_sdp", f"{kind}_sdp_enabled"
    enable.__doc__ = f"Remember whether the {kind} attention kernel may be used (xptorch has one attention path)."
    query.__doc__ = f"Whether the {kind} attention kernel may be used."
    return enable, query


enable_flash_sdp, flash_sdp_enabled = _enable("flash")
enable_mem_efficient_sdp, mem_efficient_sdp_enabled = _enable("mem_efficient")
enable_math_sdp, math_sdp_enabled = _enable("math")
enable_cudnn_sdp, cudnn_sdp_enabled = _enable("cudnn")


def allow_fp16_bf16_reduction_math_sdp(enabled):
    """Remember whether the math attention path may reduce in half precision (xptorch's does not)."""
    if not isinstance(enabled, bool):
        raise TypeError(f"allow_fp16_bf16_reduction_math_sdp(): argument 'enabled' must be bool, not "
                        f"{type(enabled).__name__}")
    _math_reduction[0] = enabled


def fp16_bf16_reduction_math_sdp_allowed():
    """What allow_fp16_bf16_reduction_math_sdp last set (True by default)."""
    return _math_reduction[0]


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """Deprecated form of xptorch.nn.attention.sdpa_kernel: the backends whose flag is True."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=3)
    from ..nn.attention import SDPBackend, sdpa_kernel

    chosen = [b for on, b in ((enable_flash, SDPBackend.FLASH_ATTENTION), (enable_mem_efficient,
              SDPBackend.EFFICIENT_ATTENTION), (enable_math, SDPBackend.MATH), (enable_cudnn,
              SDPBackend.CUDNN_ATTENTION)) if on]
    with sdpa_kernel(chosen) as context:
        yield context


def preferred_linalg_library(backend=None):
    """'Default': xptorch's GPU linear algebra is CuPy's."""
    return "Default"


del _flags
