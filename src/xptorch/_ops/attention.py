"""scaled_dot_product_attention, written with the differentiable ops it is made of.

softmax(Q K^T * scale + bias) V, where bias is 0 or -inf from a boolean mask (True takes part),
the mask itself when it is a float tensor, and a lower-triangular -inf pattern when is_causal.
"""
import math

from ..amp import _state as _amp
from ._common import tensor_args


__all__ = ["scaled_dot_product_attention"]


def _mask_bias(mask, like):
    """An additive float bias from a mask: booleans become 0 (True) / -inf (False)."""
    from .._tensor import Tensor

    if mask._data.dtype.kind == "b":
        xp = _xp(like)
        return Tensor._from_array(xp.where(mask._data, 0.0, -math.inf).astype(like._data.dtype), like._device)
    return mask


def _xp(t):
    from ._common import get_xp

    return get_xp(t._data)


def _causal_bias(L, S, like):
    from .._tensor import Tensor

    xp = _xp(like)
    keep = xp.tril(xp.ones((L, S), dtype=bool))
    return Tensor._from_array(xp.where(keep, 0.0, -math.inf).astype(like._data.dtype), like._device)


_NO_VIABLE = ("No viable backend for scaled_dot_product_attention was found. This is likely due to turning off both "
              "the math kernel and the fused kernels.")


def _cpu_flash_refusal(query, key, value, dropout_p):
    """Why torch's CPU flash kernel would refuse these inputs (its first reason), or None."""
    if dropout_p > 0.0:
        return "Both fused kernels do not support non-zero dropout."
    if not query.dim() == key.dim() == value.dim() == 4:
        return ("All fused kernels requires query, key and value to be 4 dimensional, but got Query dim: "
                f"{query.dim()}, Key dim: {key.dim()}, Value dim: {value.dim()} instead.")
    if not query.shape[-1] == key.shape[-1] == value.shape[-1]:
        return (f"Flash attention requires q,k,v to have the same last dimension. Got Query.size(-1): "
                f"{query.shape[-1]}, Key.size(-1): {key.shape[-1]}, Value.size(-1): {value.shape[-1]} instead.")
    return None


def _check_backend(query, key, value, dropout_p):
    """Refuse, as torch does, when nn.attention.sdpa_kernel (or the backends.cuda flags) leave no usable backend.

    This implementation is the math backend; on the CPU it also stands in for torch's flash kernel."""
    from ..backends.cuda import _sdp

    if _sdp["math"]:
        return
    import warnings

    if query.device.type == "cpu":
        if not _sdp["flash"]:
            raise RuntimeError(_NO_VIABLE)
        reason = _cpu_flash_refusal(query, key, value, dropout_p)
        if reason is None:
            return
        warnings.warn("Flash attention kernel not used because:", stacklevel=3)
        warnings.warn(reason, stacklevel=3)
        raise RuntimeError("No available kernel.  Aborting execution.")
    if not (_sdp["flash"] or _sdp["mem_efficient"] or _sdp["cudnn"]):
        raise RuntimeError(_NO_VIABLE)
    for flag, name, disabled in (("mem_efficient", "Memory efficient", "Memory Efficient attention"),
                                 ("flash", "Flash attention", "Flash attention"),
                                 ("cudnn", "CuDNN attention", "CuDNN attention")):
        warnings.warn(f"{name} kernel not used because:", stacklevel=3)
        warnings.warn(f"{disabled} has been runtime disabled." if not _sdp[flag] else
                      f"xptorch has no {name.lower()} kernel on CUDA; only the math backend is implemented.",
                      stacklevel=3)
    raise RuntimeError("No available kernel. Aborting execution.")


@tensor_args
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    if _amp.active:
        query, key, value = _amp.cast("scaled_dot_product_attention", query, key, value)
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead."
        )
    if attn_mask is not None:
        kind = attn_mask._data.dtype.kind
        if kind != "b" and attn_mask._data.dtype != query._data.dtype:
            names = {"int64": "long int", "int32": "int", "float32": "float", "float64": "double",
                     "float16": "c10::Half", "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
                f"{names.get(attn_mask._data.dtype.name, attn_mask._data.dtype.name)} and  query.dtype: "
                f"{names.get(query._data.dtype.name, query._data.dtype.name)} instead."
            )
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    _check_backend(query, key, value, dropout_p)
    if enable_gqa and key.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        reps = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(reps, -3)
        value = value.repeat_interleave(reps, -3)
    L, S = query.shape[-2], key.shape[-2]
    if 0 in query.shape[:-1]:  # no query rows: an empty result, the mask unread (as PyTorch)
        return (query @ key.transpose(-2, -1)) @ value
    factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * factor
    if is_causal:
        scores = scores + _causal_bias(L, S, query)
    elif attn_mask is not None:
        scores = scores + _mask_bias(attn_mask, query)
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        from .activation import dropout

        weights = dropout(weights, dropout_p, True)
    return weights @ value


