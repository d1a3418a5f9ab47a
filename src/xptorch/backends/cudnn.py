"""torch.backends.cudnn: xptorch does not use cuDNN (convolutions are GEMMs through CuPy/NumPy).
The flags are kept so code that sets them runs; cuDNN reports unavailable."""
from . import _flags


def is_available():
    """False: xptorch's GPU path is CuPy, without cuDNN."""
    return False


def version():
    """None, as PyTorch answers without cuDNN."""
    return None


def is_acceptable(tensor):
    return False


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the cuDNN flags within a `with` block (values restored after it)."""
    import sys

    return _flags.set_flags(sys.modules[__name__], enabled=enabled, benchmark=benchmark,
                            deterministic=deterministic, allow_tf32=allow_tf32)


_flags.install(__name__, {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True},
               {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
                "deterministic": "set_deterministic_cudnn", "allow_tf32": "set_allow_tf32_cublas"})  # sic: PyTorch 2.13 names cuBLAS
