"""MultiheadAttention: projections into num_heads subspaces, scaled dot-product attention in each,
and an output projection. Parameter names, shapes and initialisation are PyTorch's."""
import math
import warnings

from ..._factories import empty, zeros
from ..._functions import cat
from ..._ops.activation import dropout as _dropout
from ..._ops.linalg import linear
from .. import init
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["MultiheadAttention"]


def _float_mask(mask, dtype, name):
    """A boolean mask (True = masked out) as an additive float mask; float masks pass through."""
    if mask is None:
        return None
    if mask._data.dtype.kind == "b":
        from ..._tensor import Tensor
        from ..._ops._common import get_xp

        xp = get_xp(mask._data)
        return Tensor._from_array(xp.where(mask._data, -math.inf, 0.0).astype(dtype.np), mask._device)
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


class MultiheadAttention(Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        kw = dict(device=device, dtype=dtype)
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def _projections(self):
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            return (w[:E], bq), (w[E:2 * E], bk), (w[2 * E:], bv)
        return (self.q_proj_weight, bq), (self.k_proj_weight, bk), (self.v_proj_weight, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = query.dim() == 3
        if not batched:
            if query.dim() != 2:
                raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
                                     "query tensor")
            if key.dim() != 2 or value.dim() != 2:
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                    f"{key.dim()}-D and {value.dim()}-D tensors respectively"
                )
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
        L, N, E = query.shape
        S = key.shape[0]
        H, hd = self.num_heads, self.head_dim
        if E != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {E}")
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if key_padding_mask is not None and key_padding_mask.shape[0] != N:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {N}, but got {key_padding_mask.shape[0]}")
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
                "`generate_square_subsequent_mask` to create this mask."
            )
        if (attn_mask is not None and key_padding_mask is not None
                and (attn_mask._data.dtype.kind == "b") != (key_padding_mask._data.dtype.kind == "b")):
            warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for "
                          "both instead.", stacklevel=2)
        dt = query.dtype
        key_padding_mask = _float_mask(key_padding_mask, dt, "key_padding_mask")
        attn_mask = _float_mask(attn_mask, dt, "attn_mask")
        if attn_mask is not None:
            if attn_mask.dim() == 2:
                if tuple(attn_mask.shape) != (L, S):
                    raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(L, S)}.")
                attn_mask = attn_mask.unsqueeze(0)
            elif attn_mask.dim() == 3:
                if tuple(attn_mask.shape) != (N * H, L, S):
                    raise RuntimeError(
                        f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be {(N * H, L, S)}.")
            else:
                raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
        (wq, bq), (wk, bk), (wv, bv) = self._projections()
        q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(1, N, E)])
            v = cat([v, self.bias_v.expand(1, N, E)])
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        q = q.reshape(L, N * H, hd).transpose(0, 1)
        k = k.reshape(k.shape[0], N * H, hd).transpose(0, 1)
        v = v.reshape(v.shape[0], N * H, hd).transpose(0, 1)
        if self.add_zero_attn:
            z = zeros((N * H, 1, hd), dtype=dt, device=q.device)
            k, v = cat([k, z], 1), cat([v, z], 1)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        S = k.shape[1]
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (N, S):
                raise AssertionError(
                    f"expecting key_padding_mask shape of {(N, S)}, but got {key_padding_mask.shape}")
            kpm = key_padding_mask.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
            attn_mask = kpm if attn_mask is None else attn_mask + kpm
        p = self.dropout if self.training else 0.0
        scores = (q * math.sqrt(1.0 / hd)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)
        if p > 0.0:
            weights = _dropout(weights, p, True)
        out = (weights @ v).transpose(0, 1).reshape(L * N, E)
        out = linear(out, self.out_proj.weight, self.out_proj.bias).reshape(L, N, E)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        if not need_weights:
            return (out if batched else out.squeeze(1)), None
        weights = weights.reshape(N, H, L, S)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            return out.squeeze(1), weights.squeeze(0)
        return out, weights


def _pad_last(mask):
    if mask is None:
        return None
    from ..._ops.pad import pad

    return pad(mask, (0, 1))


