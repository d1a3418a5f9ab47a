"""In-place ops: checked first, written second, so a failing op leaves the tensor unchanged."""
import numpy as np

from .. import _dtype
from ..autograd.grad_mode import state as _grad_state
from . import _common as C

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace(a):
    """PyTorch's refusal to edit a leaf that requires grad while grad mode is on."""
    if a._rg and _grad_state.enabled:
        if a.grad_fn is None:
            raise RuntimeError(_LEAF_MSG)
        base = a._base
        if base is not None and base._rg and base.grad_fn is None:
            raise RuntimeError(_VIEW_MSG)


def bump(a):
    vc = a._vc
    if vc is None:
        a._vc = [1]
    else:
        vc[0] += 1


_KIND_NAME = {"f": "Float", "i": "Long", "b": "Bool", "u": "Byte"}


def _cast_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short"}[d.name]


def check_cast(a, result_np_dtype):
    """An in-place result must be castable to the tensor's own dtype (no float into int)."""
    own = a._data.dtype
    if own == result_np_dtype:
        return
    src = _dtype._BY_NP[np.dtype(result_np_dtype)]
    dst = _dtype._BY_NP[own]
    if _dtype._CATEGORY[src] > _dtype._CATEGORY[dst]:
        raise RuntimeError(f"result type {_cast_name(src)} can't be cast to the desired output type {_cast_name(dst)}")


def apply(a, fn, other=None):
    """Run out-of-place `fn(a, other)` then store its values into a, keeping a's dtype and memory.

    Autograd: when the result needs a graph, a takes the new node as its grad_fn (history rebase).
    """
    check_inplace(a)
    if other is not None and isinstance(other, C.Tensor):
        if other._device is not a._device:
            C.device_mismatch(a, other)
        # Broadcasting must not grow a.
        try:
            shape = np.broadcast_shapes(a._data.shape, other._data.shape)
        except ValueError:
            C.broadcast_error(a._data.shape, other._data.shape)
        if shape != a._data.shape:
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, a._data.shape))}] doesn't match the broadcast shape "
                f"[{', '.join(map(str, shape))}]"
            )
    res = fn(a, other) if other is not None else fn(a)
    check_cast(a, res._data.dtype)
    if res.grad_fn is not None:
        if a._base is not None:
            raise RuntimeError(
                "in-place operation on a view of a tensor that requires grad is not supported; "
                "use the out-of-place op"
            )
        a.grad_fn = res.grad_fn
        a._rg = True
    ad = a._data
    rd = res._data
    if ad.ndim == 0 and not isinstance(ad, np.ndarray):
        ad[...] = rd
    else:
        ad[...] = rd
    bump(a)
    return a
