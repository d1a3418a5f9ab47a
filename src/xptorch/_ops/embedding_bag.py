"""F.embedding_bag: sums, means or maxima of bags of embedding rows, bags given by offsets or by the rows of a
2-D input.

The bags are found on index arrays (which elements count, which bag each belongs to, which row holds each max);
the values are then gathered and summed with differentiable ops (index_select, index_add, gather), so the
gradients of weight and per_sample_weights, and their higher derivatives, come from those ops.
"""
import warnings

import numpy as np

from . import _common as C
from ._common import get_xp, wrap

__all__ = ["embedding_bag"]

_FLOATS = ("float16", "float32", "float64")


def _type(t):
    return f"xptorch.{t.dtype._legacy}"


def _check_native(input, weight, offsets, psw, padding_idx, include_last_offset):
    """PyTorch's kernel checks, in its order; returns padding_idx made non-negative (or None)."""
    if weight._data.dtype.name not in _FLOATS:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, "
                           f"BFloat16, Float, Double; but got {_type(weight)} instead (while checking arguments for "
                           "embedding_bag)")
    for name, t in (("indices", input), ("offsets", offsets)):
        if t._data.dtype.kind not in "iu" or t._data.dtype.itemsize not in (4, 8):
            raise RuntimeError(f"Expected tensor for argument #1 '{name}' to have one of the following scalar types: "
                               f"Long, Int; but got {_type(t)} instead (while checking arguments for embedding_bag)")
    if psw is not None and psw._data.dtype != weight._data.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {_type(weight)} does not equal {_type(psw)} (while "
                           "checking arguments for embedding_bag)")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-num} through {num - 1}, but "
                               f"got {padding_idx}")
        padding_idx %= num
    od, n = offsets._data, input._data.size
    if od.size:
        first = int(od[0])
        if first != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                               f"position 0. However, got {first}\n[ {_type(offsets)}{{}} ]")
        last = int(od[-1])
        if last > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {last}")
    idx = input._data
    if idx.size and od.size:  # with no bags PyTorch reads no index
        bad = (idx < 0) | (idx >= num)
        if bool(bad.any()):
            k = int(get_xp(bad).argmax(bad))  # (torch's float32 sum/mean kernel words it differently)
            raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
                               f"{int(idx[k])}")
    return padding_idx


def _bags(xp, idx, od, include_last_offset, padding_idx):
    """(positions that count, the bag of each, number of bags, elements per bag)."""
    n = idx.size
    starts = od[:-1] if include_last_offset else od
    nbags = starts.size
    pos = xp.arange(n, dtype=np.int64)
    bag = xp.searchsorted(starts.astype(np.int64), pos, side="right") - 1
    keep = bag >= 0
    if include_last_offset and od.size:  # the last bag ends at offsets[-1] (torch's float32 kernel; its float64
        keep &= pos < od[-1]             # one runs on to the end of input)
    if padding_idx is not None:
        keep &= idx != padding_idx
    pos = xp.nonzero(keep)[0]
    bag = bag[pos]
    counts = xp.zeros(nbags, dtype=np.int64)
    xp.add.at(counts, bag, 1)
    return pos, bag, nbags, counts


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Per bag, the sum, mean or max of weight's rows named by input's indices (padding_idx's not counted);
    per_sample_weights scale each row ('sum' only)."""
    from .activation import _renorm_rows

    C.need_tensor(input, "embedding_bag", "input", 1)
    C.need_tensor(weight, "embedding_bag", "weight", 2)
    if weight._data.dtype == np.int64 and input._data.dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, "
                      "...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    psw = per_sample_weights
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then it must have the same "
                         f"shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    xp = get_xp(input._data)
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             f"length sequences. However, found offsets of type {type(offsets)}")
        step = max(input.shape[1], 1)
        offsets = wrap(xp.arange(0, input.numel(), step, dtype=input._data.dtype)
                       if input.shape[1] else xp.zeros(input.shape[0], dtype=input._data.dtype), input._device)
        input = input.reshape(-1)
        if psw is not None:
            psw = psw.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if sparse:
        raise NotImplementedError("sparse embedding gradients are not supported; use sparse=False")
    if max_norm is not None:
        _renorm_rows(weight, input._data, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    for t in (input, offsets) + ((psw,) if psw is not None else ()):
        if t._device is not weight._device:
            C.device_mismatch(weight, t)
    padding_idx = _check_native(input, weight, offsets, psw, padding_idx, include_last_offset)
    idx = input._data
    pos, bag, nbags, counts = _bags(xp, idx, offsets._data, include_last_offset, padding_idx)
    dev = weight._device
    dim = weight._data.shape[1]
    sel = idx[pos].astype(np.int64)
    rows = weight.index_select(0, wrap(sel, dev))
    if scale_grad_by_freq and sel.size:  # the gradient of each row over its index's count in the input
        freq = xp.zeros(weight._data.shape[0], dtype=weight._data.dtype)
        xp.add.at(freq, idx.astype(np.int64), 1)
        flat = rows.detach()
        rows = flat + (rows - flat) * wrap((1 / freq[sel])[:, None], dev)
    if psw is not None:
        rows = rows * psw.index_select(0, wrap(pos, dev)).unsqueeze(1)
    if mode == "max":
        return _bag_max(xp, rows, bag, nbags, counts, dim, dev)
    out = _bag_sum(xp, rows, bag, nbags)
    if mode == "mean":
        out = out / wrap(xp.maximum(counts, 1).astype(weight._data.dtype)[:, None], dev)
    return out


def _bag_sum(xp, rows, bag, nbags):
    """Per bag, the sum of its rows (bag ids ascend: contiguous runs), recorded as a linear map whose adjoint
    reads each bag's gradient back to its rows."""
    from ..autograd.higher_order import linear_map

    k = rows.shape[0]
    even = nbags and k % nbags == 0 and k and bool((bag == xp.arange(k) // (k // nbags)).all())

    def op(r):
        if even:  # bags of one length, in order (a 2-D input, even offsets): one reshaped sum
            return r.reshape((nbags, k // nbags) + r.shape[1:]).sum(1)
        out = xp.zeros((nbags,) + r.shape[1:], dtype=r.dtype)
        if r.shape[0] == 0:
            return out
        if xp is np:  # one pass over each run: several times faster than add.at
            starts = np.flatnonzero(np.concatenate(([True], bag[1:] != bag[:-1])))
            out[bag[starts]] = np.add.reduceat(r, starts, axis=0)
        else:
            xp.add.at(out, bag, r)
        return out

    return linear_map(op, lambda g: g[bag], rows)


def _bag_max(xp, rows, bag, nbags, counts, dim, dev):
    """Per bag and column, the first row holding the maximum (gathered, so its gradient goes there); 0 for an
    empty bag."""
    k = rows.shape[0]
    if k == 0:
        return rows.new_zeros((nbags, dim))
    r = rows._data
    best = xp.full((nbags, dim), -np.inf, dtype=r.dtype)
    if xp is np:
        np.maximum.at(best, bag, r)
    else:  # CuPy's maximum.at rounds float64 through float32: the exact one over flat positions
        flat = (bag[:, None] * dim + xp.arange(dim, dtype=np.int64)).reshape(-1)
        C.ufunc_at("maximum", best.reshape(-1), flat, r.reshape(-1))
    at = xp.where(r == best[bag], xp.arange(k, dtype=np.int64)[:, None], k)
    first = xp.full((nbags, dim), k, dtype=np.int64)
    if xp is np:
        np.minimum.at(first, bag, at)
    else:
        C.ufunc_at("minimum", first.reshape(-1), flat, at.reshape(-1))
    filled = first < k
    out = rows.gather(0, wrap(xp.where(filled, first, 0), dev))
    return out * wrap(filled.astype(r.dtype), dev)

