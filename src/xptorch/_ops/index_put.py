"""index_put and put: values written (or added) at the elements named by index tensors.

Both find the flat positions they write, check everything, then run a differentiable scatter (or index_add when
accumulating) over the flattened tensor, so gradients of self and values, and their higher derivatives, come from
those ops: self's gradient is zero where a value was written, values' is the gradient read at its positions.
"""
import warnings

import numpy as np

from . import _common as C
from ._common import get_xp, wrap

_INDEX_KINDS = (np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.bool_))


def _shape(s):
    return "[" + ", ".join(map(str, s)) + "]"


def _name(t):
    return t.dtype._legacy[:-6]


def _expand_masks(a, indices):
    """The index arrays of PyTorch's indices tuple, each bool (or uint8) mask replaced by its nonzero coordinates."""
    shape = a._data.shape
    nd = len(shape)
    if len(indices) > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd} (got {len(indices)})")
    for t in indices:
        if t._data.dtype not in _INDEX_KINDS:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if t._device is not a._device and not (t._device.type == "cpu" and t._data.ndim == 0):
            C.device_mismatch(a, t)
    arrays = []
    for t in indices:
        d = t._data
        if d.dtype.kind == "i":
            arrays.append(d)
            continue
        if d.dtype == np.uint8:
            warnings.warn("indexing with dtype xptorch.uint8 is now deprecated, please use a dtype xptorch.bool "
                          "instead.", UserWarning, stacklevel=4)
        for j in range(d.ndim):
            src = len(arrays) + j
            if src >= nd:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {src})")
            if d.shape[j] != shape[src]:
                raise IndexError(f"The shape of the mask {_shape(d.shape)} at index {j} does not match the shape of "
                                 f"the indexed tensor {_shape(shape)} at index {src}")
        arrays.extend(get_xp(d).nonzero(d.astype(bool, copy=False)))
    if len(arrays) > nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {nd})")
    try:
        np.broadcast_shapes(*(x.shape for x in arrays))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(_shape(x.shape) for x in arrays)) from None
    return arrays


def _check_range(arrays, shape):
    """PyTorch's refusal of an index outside [-size, size); a device-side assert on CUDA (no sync)."""
    for dim, (x, size) in enumerate(zip(arrays, shape)):
        if x.size == 0:
            continue
        if type(x) is not np.ndarray:
            from ..backend.device_assert import expect_false

            expect_false((x.min() < -size) | (x.max() >= size), f"index out of bounds for dimension {dim} with size {size}")
            continue
        bad = (x < -size) | (x >= size)
        if bool(bad.any()):
            first = int(x.reshape(-1)[int(bad.reshape(-1).argmax())])
            raise IndexError(f"index {first} is out of bounds for dimension {dim} with size {size}")


def _write(a, pos, vals, accumulate):
    """a with vals (flat, matching pos) written or added at the flat positions pos (an int64 array)."""
    idx = wrap(pos.reshape(-1), a._device)
    flat = a.reshape(-1)
    out = flat.index_add(0, idx, vals) if accumulate else flat.scatter(0, idx, vals)
    return out.reshape(a._data.shape)


def _add_whole_rows(a, arrays, values, res):
    """a with values added to the whole trailing blocks its index arrays name, on NumPy (indexing._add_rows: the
    same additions in the same order as add.at, several times faster); recorded as a linear map in values, whose
    adjoint reads the gradient's rows back."""
    from ..autograd.higher_order import linear_map
    from .indexing import _add_rows

    shape = a._data.shape
    k = len(arrays)
    inner = 1
    for s in shape[k:]:
        inner *= s
    rows = 0
    for d, x in enumerate(arrays):
        x = x.astype(np.int64, copy=False)
        rows = rows * shape[d] + np.where(x < 0, x + shape[d], x)
    rows = np.broadcast_to(rows, np.broadcast_shapes(*(x.shape for x in arrays))).reshape(-1)
    a2 = a.reshape(-1, inner)
    nrows = a2._data.shape[0]

    def op(v):
        out = np.zeros((nrows, inner), dtype=v.dtype)
        _add_rows(out, rows, v)
        return out

    added = linear_map(op, lambda g: g[rows], values.expand(*res).reshape(-1, inner))
    return (a2 + added).reshape(shape)


def index_put(a, indices, values, accumulate=False, _fname="index_put", _pos=1):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{_fname}(): argument 'indices' (position {_pos}) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    C.need_tensors(indices, _pos - 1)
    C.need_tensor(values, _fname, "values", _pos + 1)
    if not indices:  # PyTorch reaches an undefined tensor here; its words
        if not accumulate and values._data.size == 1 and a._data.ndim == 0:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype nullptr (uninitialized)")
        raise RuntimeError("sym_strides() called on an undefined Tensor")
    shape = a._data.shape
    xp = get_xp(a._data)
    if len(indices) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {len(indices)})")
    whole = len(indices) == 1 and indices[0]._data.ndim == 0 and indices[0]._data.dtype in (np.bool_, np.uint8)
    if whole:  # a 0-d mask names all of a (under a new leading dim of 1) or nothing
        arrays = []
        res = (int(bool(indices[0]._data)),) + shape
    else:
        arrays = _expand_masks(a, list(indices))
        res = np.broadcast_shapes(*(x.shape for x in arrays)) + shape[len(arrays):]
    vs = values._data.shape
    if len(vs) > len(res) or any(v != r and v != 1 for v, r in zip(vs[::-1], res[::-1])):
        raise RuntimeError(f"shape mismatch: value tensor of shape {_shape(vs)} cannot be broadcast to indexing "
                           f"result of shape {_shape(res)}")
    single_mask = len(indices) == 1 and indices[0]._data.dtype in (np.bool_, np.uint8)
    if not accumulate and single_mask and values._data.size == 1:
        if values._rg and a._data.dtype.kind != "f" and C._grad_state.enabled:
            raise RuntimeError(f"Autograd not support dtype: {_name(a)}")
        values = values.reshape(()).to(a.dtype)  # PyTorch fills through masked_fill here: any dtype
    if values._data.dtype != a._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {_name(a)} for the "
                           f"destination and {_name(values)} for the source.")
    if values._device is not a._device:
        C.device_mismatch(a, values)
    _check_range(arrays, shape)
    if accumulate and not whole and xp is np and len(arrays) < len(shape) and a._data.dtype.kind == "f" \
            and a._data.size >= 16 * max(a._data.shape[0], 1) and values._data.size > 1:
        return _add_whole_rows(a, arrays, values, res)  # whole rows of 16+ elements: added row by row
    if whole:
        pos = xp.arange(a._data.size * res[0], dtype=np.int64)
    else:
        pos = _flat_positions(xp, arrays, shape)
    return _write(a, pos, values.expand(*res).reshape(-1), accumulate)


def _flat_positions(xp, arrays, shape):
    """C-order flat positions of a[arrays] (arrays indexing the leading dims), in the result's shape; memory of
    the result's size, not of a's."""
    k = len(arrays)
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    base = None
    for d, x in enumerate(arrays):
        x = x.astype(np.int64, copy=False)
        term = xp.where(x < 0, x + shape[d], x) * strides[d]
        base = term if base is None else base + term
    inner = 1
    for s in shape[k:]:
        inner *= s
    lead = np.broadcast_shapes(*(x.shape for x in arrays))
    base = xp.broadcast_to(base, lead).reshape(lead + (1,) * (len(shape) - k))
    return base + xp.arange(inner, dtype=np.int64).reshape(shape[k:])


def put(a, index, source, accumulate=False, _pos=1):
    C.need_tensor(index, "put", "index", _pos)
    C.need_tensor(source, "put", "source", _pos + 1)
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_name(index)}")
    if source._data.dtype != a._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_name(a)} and source.dtype = {_name(source)}")
    n = a._data.size
    if idx.size != source._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {idx.size}")
    if n == 0 and idx.size:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    for t in (index, source):
        if t._device is not a._device:
            C.device_mismatch(a, t)
    if idx.size and type(idx) is np.ndarray:
        lo, hi = int(idx.min()), int(idx.max())
        bad = hi if hi >= n else (lo if lo < -n else None)
        if bad is not None:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    elif idx.size:
        from ..backend.device_assert import expect_false

        expect_false((idx.min() < -n) | (idx.max() >= n), "put_(): index out of range")
    xp = get_xp(idx)
    return _write(a, xp.where(idx < 0, idx + n, idx), source.reshape(-1), accumulate)
