"""Finding and counting elements: nonzero, argwhere, unique, unique_consecutive, isin, bincount, histc, take,
take_along_dim, tril_indices, triu_indices. Results whose size depends on the values read them back from the
device (a sync on CUDA, as in PyTorch)."""
import numpy as np

from . import _common as C
from ._common import get_xp, wrap
from .reduce import norm_dim
from .sorting import sort_key as _sort_key


def nonzero(a, as_tuple=False):
    ad = a._data
    xp = get_xp(ad)
    if as_tuple:
        nz = xp.nonzero(ad.reshape(1) if ad.ndim == 0 else ad)
        return tuple(wrap(i.astype(np.int64), a._device) for i in nz)
    if ad.ndim == 0:
        n = int(bool(ad))
        return wrap(xp.zeros((n, 0), dtype=np.int64), a._device)
    nz = xp.nonzero(ad)
    return wrap(xp.stack([i.astype(np.int64) for i in nz], axis=1) if nz else xp.zeros((0, 0), np.int64), a._device)


def argwhere(a):
    return nonzero(a)


def is_nonzero(a):
    n = a._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(a._data.reshape(-1)[0])


def _unique_dim(dim, ad):
    if ad.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return norm_dim(dim, ad.ndim)


def unique_consecutive(a, return_inverse=False, return_counts=False, dim=None):
    ad = a._data
    xp = get_xp(ad)
    if dim is None:
        flat = ad.reshape(-1)
        if flat.size:
            change = xp.concatenate([xp.ones(1, dtype=bool), flat[1:] != flat[:-1]])
        else:
            change = xp.zeros(0, dtype=bool)
        vals = flat[change]
        inv = (xp.cumsum(change) - 1).astype(np.int64).reshape(ad.shape)
    else:
        d = _unique_dim(dim, ad)
        m = xp.moveaxis(ad, d, 0)
        n = m.shape[0]
        rows = m.reshape(n, int(np.prod(m.shape[1:])))
        change = xp.concatenate([xp.ones(min(n, 1), dtype=bool), (rows[1:] != rows[:-1]).any(axis=1)])
        vals = xp.moveaxis(m[change], 0, d)
        inv = (xp.cumsum(change) - 1).astype(np.int64)
    starts = xp.nonzero(change)[0]
    total = change.shape[0]
    counts = xp.diff(xp.concatenate([starts, xp.asarray([total])])).astype(np.int64)
    out = [wrap(xp.ascontiguousarray(vals), a._device)]
    if return_inverse:
        out.append(wrap(inv, a._device))
    if return_counts:
        out.append(wrap(counts, a._device))
    return out[0] if len(out) == 1 else tuple(out)


def unique(a, sorted=True, return_inverse=False, return_counts=False, dim=None):
    ad = a._data
    xp = get_xp(ad)
    if dim is None:
        flat = ad.reshape(-1)
        order = xp.argsort(flat, kind="stable") if xp is np else xp.argsort(_sort_key(flat))
        s = flat[order]
        if s.size:
            change = xp.concatenate([xp.ones(1, dtype=bool), s[1:] != s[:-1]])
        else:
            change = xp.zeros(0, dtype=bool)
        vals = s[change]
        group = (xp.cumsum(change) - 1).astype(np.int64)
        inv = xp.zeros(flat.shape, dtype=np.int64)
        inv[order] = group
        inv = inv.reshape(ad.shape)
        starts = xp.nonzero(change)[0]
        counts = xp.diff(xp.concatenate([starts, xp.asarray([s.shape[0]])])).astype(np.int64)
    else:
        d = _unique_dim(dim, ad)
        m = xp.moveaxis(ad, d, 0)
        n = m.shape[0]
        if m.size == 0 and n:
            raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be applied ")
        rows = m.reshape(n, int(np.prod(m.shape[1:])))
        keys = [rows[:, j] for j in range(rows.shape[1] - 1, -1, -1)]
        order = xp.lexsort(xp.stack(keys)) if keys else xp.arange(n)
        s = rows[order]
        change = xp.concatenate([xp.ones(min(n, 1), dtype=bool), (s[1:] != s[:-1]).any(axis=1)])
        group = (xp.cumsum(change) - 1).astype(np.int64)
        inv = xp.zeros(n, dtype=np.int64)
        inv[order] = group
        vals = xp.moveaxis(m[order][change], 0, d)
        starts = xp.nonzero(change)[0]
        counts = xp.diff(xp.concatenate([starts, xp.asarray([n])])).astype(np.int64)
    out = [wrap(xp.ascontiguousarray(vals), a._device)]
    if return_inverse:
        out.append(wrap(inv, a._device))
    if return_counts:
        out.append(wrap(counts, a._device))
    return out[0] if len(out) == 1 else tuple(out)


def isin(elements, test_elements, assume_unique=False, invert=False):
    if not isinstance(elements, C.Tensor) and not isinstance(test_elements, C.Tensor):
        raise TypeError("isin() received an invalid combination of arguments")
    for v in (elements, test_elements):
        if not isinstance(v, (C.Tensor, int, float, bool)):
            got = ", ".join("Tensor" if isinstance(x, C.Tensor) else type(x).__name__ for x in (elements, test_elements))
            raise TypeError(f"isin() received an invalid combination of arguments - got ({got})")
        if isinstance(v, C.Tensor) and v._data.dtype.kind == "b":
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    like = elements if isinstance(elements, C.Tensor) else test_elements
    xp = get_xp(like._data)
    e = elements._data if isinstance(elements, C.Tensor) else xp.asarray(elements)
    t = test_elements._data if isinstance(test_elements, C.Tensor) else xp.asarray(test_elements)
    t = xp.sort(t.reshape(-1))
    if t.size == 0:
        out = xp.zeros(e.shape, dtype=bool)
    else:
        pos = xp.clip(xp.searchsorted(t, e.reshape(-1)), 0, t.size - 1)
        out = (t[pos] == e.reshape(-1)).reshape(e.shape)
    return wrap(~out if invert else out, like._device)


def bincount(a, weights=None, minlength=0):
    ad = a._data
    if ad.ndim != 1 or ad.dtype.kind not in "iub":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = get_xp(ad)
    if ad.size and int(ad.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None:
        C.need_tensor(weights, "bincount", "weights", 2)
        wd = weights._data
        if ad.size == 0:
            return wrap(xp.zeros(minlength, dtype=wd.dtype if wd.dtype.kind == "f" else np.float64), a._device)
        if wd.ndim != 1 or wd.shape[0] != ad.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out = xp.bincount(ad.astype(np.int64), weights=wd, minlength=minlength)
        dt = wd.dtype if wd.dtype.kind == "f" else np.float64
        if wd.dtype == np.float32:
            dt = np.float32
        return wrap(out.astype(dt if wd.dtype.kind == "f" else np.float64), a._device)
    return wrap(xp.bincount(ad.astype(np.int64), minlength=minlength).astype(np.int64), a._device)


def histc(a, bins=100, min=0, max=0):
    ad = a._data
    if ad.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{a.dtype._legacy[:-6]}'")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0, but got " + str(bins) + " for dimension 0")
    xp = get_xp(ad)
    lo, hi = float(min), float(max)
    flat = ad.reshape(-1)
    if lo == hi and flat.size:
        lo, hi = float(flat.min()), float(flat.max())
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    inside = (flat >= lo) & (flat <= hi)
    v = flat[inside]
    pos = ((v - lo) * bins / (hi - lo)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    return wrap(xp.bincount(pos, minlength=bins).astype(ad.dtype), a._device)


def take(a, index):
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype._legacy[:-6]}")
    n = a._data.size
    idx = index._data
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        bad = hi if hi >= n else (lo if lo < -n else None)
        if bad is not None:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return a.reshape(-1).gather(0, wrap(xp_mod(idx, n), a._device).reshape(-1)).reshape(tuple(idx.shape))


def xp_mod(idx, n):
    xp = get_xp(idx)
    return xp.where(idx < 0, idx + n, idx)


def take_along_dim(a, indices, dim=None):
    if indices._data.dtype.kind not in "iu":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be int64 but got "
                           f"{indices.dtype._legacy[:-6]} instead")
    if dim is None:
        return a.reshape(-1).gather(0, indices.reshape(-1))
    nd = a._data.ndim
    if nd != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {nd} dimensions for input, and {indices._data.ndim} "
                           f"dimensions for indices")
    d = norm_dim(dim, nd)
    sa, si = list(a._data.shape), list(indices._data.shape)
    sa_b, si_b = list(sa), list(si)
    sa_b[d], si_b[d] = 1, 1
    try:
        shape = list(np.broadcast_shapes(tuple(sa_b), tuple(si_b)))
    except ValueError:
        C.broadcast_error(tuple(sa_b), tuple(si_b))
    ta, ti = list(shape), list(shape)
    ta[d], ti[d] = sa[d], si[d]
    return a.expand(*ta).gather(d, indices.expand(*ti))


def tri_indices(row, col, offset, lower, dtype, device):
    from .._factories import tensor
    from .. import _dtype

    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else f"col must be non-negative, got{col}")
    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    return tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or _dtype.int64, device=device)


def _index_mask(a, dim, index, name):
    nd = a._data.ndim
    d = norm_dim(dim, nd)
    if not isinstance(index, C.Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    n = a._data.shape[d] if nd else 1
    xp = get_xp(a._data)
    flat = idx.reshape(-1)
    if flat.size and (int(flat.max()) >= n or int(flat.min()) < -n):
        bad = int(flat.max()) if int(flat.max()) >= n else int(flat.min())
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    m = xp.zeros(n, dtype=bool)
    m[xp.where(flat < 0, flat + n, flat)] = True
    return m.reshape((n,) + (1,) * (nd - d - 1)) if nd else m.reshape(()), d


def index_fill(a, dim, index, value):
    m, _ = _index_mask(a, dim, index, "index_fill_")
    return a.masked_fill(wrap(m, a._device), value)


def index_copy(a, dim, index, source):
    if not isinstance(source, C.Tensor):
        raise TypeError(f"index_copy(): argument 'source' (position 3) must be Tensor, not {type(source).__name__}")
    sn, an = source._data.ndim, a._data.ndim
    if sn and an and sn != an:
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({sn}), destination dimensionality ({an})")
    d = norm_dim(dim, max(an, 1))
    dst = [s for i, s in enumerate(a._data.shape) if i != d]
    src = [s for i, s in enumerate(source._data.shape) if i != d] if sn else []
    if sn and dst != src:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                           f"shape: {' '.join(map(str, dst))} at dimension {d} and source slice shape: "
                           f"{' '.join(map(str, src))} at dimension 0.")
    if isinstance(index, C.Tensor) and sn and index._data.size != source._data.shape[norm_dim(dim, sn)]:
        raise IndexError(f"index_copy_(): Number of indices ({index._data.size}) should be equal to source.size(dim) "
                         f"({source._data.shape[norm_dim(dim, sn)]})")
    m, d = _index_mask(a, dim, index, "index_copy_")
    if source._data.dtype != a._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{a.dtype._legacy[:-6]} and (source) {source.dtype._legacy[:-6]}")
    cleared = a.masked_fill(wrap(m, a._device), 0)
    return cleared.index_add(d, index, source)


def masked_scatter(a, mask, source):
    """a with source's leading elements written, in order, where mask (broadcast to a) is True."""
    if not isinstance(mask, C.Tensor):
        raise TypeError(f"masked_scatter(): argument 'mask' (position 1) must be Tensor, not {type(mask).__name__}")
    if not isinstance(source, C.Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' (position 2) must be Tensor, not "
                        f"{type(source).__name__}")
    if mask._data.dtype.kind != "b":
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype._legacy[:-6]}")
    if source._data.dtype != a._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{a.dtype._legacy[:-6]} and {source.dtype._legacy[:-6]}")
    xp = get_xp(a._data)
    try:
        shape = np.broadcast_shapes(a._data.shape, mask._data.shape)
    except ValueError:
        C.broadcast_error(a._data.shape, mask._data.shape)
    m = xp.broadcast_to(mask._data, shape)
    base = a if tuple(a._data.shape) == shape else a.expand(*shape)
    flat = m.reshape(-1)
    k = int(flat.sum())
    if k > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if source._data.size == 0:  # nothing to take; source still gets its (empty) gradient
        return base + source.sum() * 0
    pick = xp.maximum(xp.cumsum(flat) - 1, 0).astype(np.int64)
    taken = source.reshape(-1).gather(0, wrap(pick, a._device)).reshape(shape)
    return taken.where(wrap(xp.ascontiguousarray(m), a._device), base)
