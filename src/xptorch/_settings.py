"""Process-wide switches that PyTorch code sets at start-up: deterministic algorithms and the
float32 matmul precision. xptorch's CPU ops are deterministic whatever the switch says (NumPy and
its BLAS with a fixed thread count); the switches are remembered and validated as PyTorch does."""
import warnings

__all__ = ["are_deterministic_algorithms_enabled", "get_float32_matmul_precision", "is_warn_always_enabled",
           "set_warn_always",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "use_deterministic_algorithms"]

_deterministic = False
_warn_only = False
_precision = "highest"
_warn_always = False


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms (remembered; see the module's note on what xptorch guarantees)."""
    global _deterministic, _warn_only
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
                        f"not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _deterministic, _warn_only = mode, warn_only and mode


def are_deterministic_algorithms_enabled():
    """Whether use_deterministic_algorithms(True) is in force."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled():
    """Whether use_deterministic_algorithms(True, warn_only=True) is in force."""
    return _warn_only


def set_float32_matmul_precision(precision):
    """'highest', 'high' or 'medium', as PyTorch; anything else warns and changes nothing."""
    global _precision
    if not isinstance(precision, str):
        raise TypeError(f"_set_float32_matmul_precision(): argument 'arg0' must be str, not {type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _precision = precision


def get_float32_matmul_precision():
    """'highest', 'high' or 'medium', as last set (xptorch's float32 matmuls are always full precision)."""
    return _precision


def set_warn_always(b):
    """True: warnings PyTorch gives once per process are given every time (for debugging)."""
    global _warn_always
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _warn_always = b


def is_warn_always_enabled():
    """Whether set_warn_always(True) is in force."""
    return _warn_always


def first_warning(seen):
    """True when a once-per-process warning is due: the first time (recorded in the list `seen`), or
    every time under set_warn_always(True), which leaves the once-per-process turn unspent (as torch's)."""
    if _warn_always:
        return True
    if not seen:
        seen.append(True)
        return True
    return False
