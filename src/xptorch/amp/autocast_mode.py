"""xptorch.autocast: regions where matmul, linear and convolutions run in float16 and the precision-sensitive
ops (losses; on CUDA also softmax, norms, reductions and exp/log/pow) in float32, as in PyTorch's lists."""
import functools
import warnings

from . import _state

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype"]

_DEVICE_TYPES = ("cpu", "cuda")


def is_autocast_available(device_type):
    return device_type in _DEVICE_TYPES


def _default_dtype(device_type):
    from .. import _dtype

    # PyTorch's CPU default is bfloat16, which xptorch lacks (see autocast's docstring).
    return _dtype.float16 if device_type == "cuda" else None


def is_autocast_enabled(device_type="cuda"):
    mode = _state.settings().get(device_type)
    return bool(mode and mode[0])


def get_autocast_dtype(device_type):
    mode = _state.settings().get(device_type)
    if mode is None:
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
    return mode[1] if mode[1] is not None else _default_dtype(device_type)


class autocast:
    """Context manager (and decorator) for mixed precision on device_type 'cpu' or 'cuda'.

    Inside, each op of PyTorch's lower-precision list casts its floating inputs (not float64) to dtype and
    each op of the float32 list casts them to float32; other ops run in their inputs' dtype. Casts of
    parameters are made once per outermost region. dtype defaults to float16 on CUDA. xptorch has no
    bfloat16 (NumPy has no such type and CuPy does not support one), so CPU regions need
    dtype=xptorch.float16; without it, or with another dtype, the region is disabled with a warning.
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        from .. import _dtype, cuda

        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        name = device_type.upper()
        if enabled:
            if device_type == "cuda" and not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                enabled = False
            elif self.fast_dtype is not _dtype.float16:
                wanted = "bfloat16 (the default on CPU)" if self.fast_dtype is None else str(self.fast_dtype)
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                              f"{name} Autocast in xptorch supports only xptorch.float16; {wanted} is not "
                              "available.", stacklevel=2)
                enabled = False
        self._enabled = bool(enabled)

    def __enter__(self):
        s = _state.settings()
        mode = s[self.device]
        self._prev = (mode[0], mode[1], s.get("cache_enabled", True))
        mode[0], mode[1] = self._enabled, self.fast_dtype if self._enabled else mode[1]
        s["cache_enabled"] = self._cache_enabled
        s["depth"] += 1
        if self._enabled:
            with _state._lock:
                _state.active += 1
        return self

    def __exit__(self, *exc):
        s = _state.settings()
        mode = s[self.device]
        mode[0], mode[1], s["cache_enabled"] = self._prev
        s["depth"] -= 1
        if s["depth"] == 0:
            s["cache"].clear()
        if self._enabled:
            with _state._lock:
                _state.active -= 1
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, dtype=self.fast_dtype, enabled=self._enabled, cache_enabled=self._cache_enabled):
                return func(*args, **kwargs)

        return wrapper


def _cast_inputs(value, device_type, dtype):
    """Floating tensors on device_type cast to dtype, through lists, tuples and dicts (PyTorch's rule)."""
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        ok = value.is_floating_point() and value.device.type == device_type and value.dtype != dtype
        return value.to(dtype) if ok else value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_inputs(v, device_type, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast_inputs(v, device_type, dtype) for k, v in value.items()}
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom Function's forward: it runs under the caller's autocast state, or, with
    cast_inputs, with autocast off and its floating inputs cast to that dtype; custom_bwd then runs
    backward under the state forward saw."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast_inputs(args, device_type, cast_inputs),
                           **_cast_inputs(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom Function's backward: it runs under the autocast state its forward ran in."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd
