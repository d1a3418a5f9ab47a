"""Splitting, stacking and products of tensors, built from differentiable primitives (their gradients and
second-order rules come with them): tensor_split, h/v/dsplit, h/v/dstack, column_stack, atleast_nd, tile,
ravel, rot90, kron, block_diag, cartesian_prod, tensordot, inner, cross, diff."""
import operator

from . import _common as C
from .reduce import norm_dim


def _cat(ts, dim):
    from .shape import cat

    return cat(ts, dim)


def _slice(t, d, start, stop):
    return t[(slice(None),) * d + (slice(start, stop),)]


def tensor_split(a, indices_or_sections, dim=0):
    nd = a._data.ndim
    if nd == 0:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = norm_dim(dim, nd)
    n = a._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, C.Tensor):
        if ios._data.dtype.kind not in "iu" or ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have integer dtype and be a "
                               "0-D or 1-D tensor")
        ios = int(ios.item()) if ios._data.ndim == 0 else [int(v) for v in ios.tolist()]
    if isinstance(ios, int) or hasattr(ios, "__index__") and not isinstance(ios, (list, tuple)):
        k = operator.index(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds, start = [], 0
        for i in range(k):
            size = q + (1 if i < r else 0)
            bounds.append((start, start + size))
            start += size
    else:
        idx = [operator.index(i) for i in ios]
        edges = [0] + idx + [n]
        bounds = [(max(0, min(lo if lo >= 0 else lo + n, n)), max(0, min(hi if hi >= 0 else hi + n, n)))
                  for lo, hi in zip(edges[:-1], edges[1:])]
        bounds = [(lo, max(lo, hi)) for lo, hi in bounds]
    return tuple(_slice(a, d, lo, hi) for lo, hi in bounds)


def _split_n(a, ios, dim, name, need):
    nd = a._data.ndim
    if nd < need:
        raise RuntimeError(f"xptorch.{name} requires a tensor with at least {need} dimension, but got a tensor with "
                           f"{nd} dimensions!")
    if isinstance(ios, int):
        n = a._data.shape[dim]
        if ios == 0 or n % ios:
            raise RuntimeError(f"xptorch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {n} is not divisible by the split_size {ios}!")
    return tensor_split(a, ios, dim)


def hsplit(a, ios):
    return _split_n(a, ios, 1 if a._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(a, ios):
    return _split_n(a, ios, 0, "vsplit", 2)


def dsplit(a, ios):
    return _split_n(a, ios, 2, "dsplit", 3)


def atleast(a, n):
    shape = tuple(a._data.shape)
    if len(shape) >= n:
        return a
    if n == 3 and len(shape) == 2:
        return a.reshape(shape + (1,))
    if n == 3 and len(shape) == 1:
        return a.reshape((1,) + shape + (1,))
    return a.reshape((1,) * (n - len(shape)) + shape)


def atleast_any(args, n):
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        C.need_tensors(args[0], 0)
        return tuple(atleast(t, n) for t in args[0])
    if len(args) == 1:
        if not isinstance(args[0], C.Tensor):
            raise TypeError(f"atleast_{n}d() received an invalid combination of arguments - got "
                            f"({type(args[0]).__name__}), but expected one of:\n * (Tensor input)\n"
                            " * (tuple of Tensors tensors)\n")
        return atleast(args[0], n)
    C.need_tensors(args, 0)
    return tuple(atleast(t, n) for t in args)


def _need_seq(tensors, name):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    C.need_tensors(tensors, 0)


def hstack(tensors):
    _need_seq(tensors, "hstack")
    ts = [atleast(t, 1) for t in tensors]
    return _cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    _need_seq(tensors, "vstack")
    return _cat([atleast(t, 2) for t in tensors], 0)


def dstack(tensors):
    _need_seq(tensors, "dstack")
    return _cat([atleast(t, 3) for t in tensors], 2)


def column_stack(tensors):
    _need_seq(tensors, "column_stack")
    ts = [t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return _cat(ts, 1)


def tile(a, dims):
    dims = tuple(dims)
    nd = a._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return a.repeat(*dims)


def rot90(a, k=1, dims=(0, 1)):
    dims = list(dims)
    nd = a._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = norm_dim(dims[0], nd), norm_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return a.flip(d1).transpose(d0, d1)
    if k == 2:
        return a.flip(d0, d1)
    if k == 3:
        return a.flip(d0).transpose(d0, d1)
    return a.clone()


def kron(a, b):
    na, nb = a._data.ndim, b._data.ndim
    n = max(na, nb)
    sa = (1,) * (n - na) + tuple(a._data.shape)
    sb = (1,) * (n - nb) + tuple(b._data.shape)
    ea = a.reshape(tuple(x for s in sa for x in (s, 1)))
    eb = b.reshape(tuple(x for s in sb for x in (1, s)))
    return (ea * eb).reshape(tuple(x * y for x, y in zip(sa, sb)))


def block_diag(tensors):
    from .pad import pad as _pad  # noqa: F401  (kept local: pad imports nn-level helpers)
    from .._factories import zeros

    C.need_tensors(tensors, 0)
    mats = []
    for i, t in enumerate(tensors):
        nd = t._data.ndim
        if nd > 2:
            raise RuntimeError(f"xptorch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{nd} dimensions")
        mats.append(t.reshape(1, -1) if nd == 1 else (t.reshape(1, 1) if nd == 0 else t))
    if not mats:
        return zeros(1, 0)
    from .. import _dtype

    dt = mats[0].dtype
    for m in mats[1:]:
        dt = _dtype.result_type(dt, m.dtype, 2, 2) if m.dtype is not dt else dt
    total = sum(m._data.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m._data.shape
        parts = []
        if left:
            parts.append(zeros(r, left, dtype=dt, device=m.device))
        parts.append(m.to(dt) if m.dtype is not dt else m)
        if total - left - c:
            parts.append(zeros(r, total - left - c, dtype=dt, device=m.device))
        rows.append(_cat(parts, 1) if len(parts) > 1 else parts[0])
        left += c
    return _cat(rows, 0)


def cartesian_prod(tensors):
    from .shape import stack

    C.need_tensors(tensors, 0)
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    from .._functions import meshgrid

    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def tensordot(a, b, dims=2):
    from .linalg import mm

    C.need_tensor(a, "tensordot", "input", 1)
    C.need_tensor(b, "tensordot", "other", 2)

    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, C.Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(na - dims, na)), list(range(dims))
        shown = list(range(-dims, 0))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError(f"both dimension lists should have same length")
        shown = list(da)
        da = [norm_dim(d, na) for d in da]
        db = [norm_dim(d, nb) for d in db]
    for x, y, s in zip(da, db, shown):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a._data.shape[x]} in dim "
                               f"{s} and second has size {b._data.shape[y]} in dim {y}")
    fa = [d for d in range(na) if d not in da]
    fb = [d for d in range(nb) if d not in db]
    k = 1
    for d in da:
        k *= a._data.shape[d]
    ma = a.permute(*(fa + da)).reshape(-1, k)
    mb = b.permute(*(db + fb)).reshape(k, -1)
    out_shape = [a._data.shape[d] for d in fa] + [b._data.shape[d] for d in fb]
    return mm(ma, mb).reshape(out_shape)


def inner(a, b):
    if a._data.ndim == 0 or b._data.ndim == 0:
        return a * b
    if a._data.shape[-1] != b._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a._data.shape)} and {list(b._data.shape)}")
    return tensordot(a, b, ([-1], [-1]))


_default_dim_warned = []


def cross(a, b, dim=None, _stacklevel=3):
    """PyTorch's order: without dim, its once-per-process deprecation note, then the first dim of size 3
    of input (not of the broadcast shape); then ranks, the sizes at dim, broadcasting, dtypes."""
    if dim is None:
        from .._settings import first_warning

        if first_warning(_default_dim_warned):
            import warnings

            warnings.warn("Using xptorch.cross without specifying the dim arg is deprecated.\n"
                          "Please either pass the dim explicitly or simply use xptorch.linalg.cross.\n"
                          "The default value of dim will change to agree with that of linalg.cross in a future release.",
                          UserWarning, stacklevel=_stacklevel)
        cands = [i for i, s in enumerate(a._data.shape) if s == 3]
        if not cands:
            raise RuntimeError("no dimension of size 3 in input")
        dim = cands[0]
    na, nb = a._data.ndim, b._data.ndim
    if na != nb:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = norm_dim(dim, na)
    if not na:  # input.size(dim) of a 0-d tensor
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if a._data.shape[d] != 3 or b._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a._data.shape[d]} and {b._data.shape[d]}")
    import numpy as np

    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        C.broadcast_error(a._data.shape, b._data.shape)
    C.no_kernel(a, "cross", ints=True)
    if a._data.dtype != b._data.dtype:
        from .pointwise import _dtype_legacy

        raise RuntimeError(f"expected scalar type {_dtype_legacy(a._data.dtype)} but found "
                           f"{_dtype_legacy(b._data.dtype)}")

    def comp(t, i):
        return t.select(d, i)

    from .shape import stack

    a0, a1, a2 = (comp(a, i) for i in range(3))
    b0, b1, b2 = (comp(b, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def diff(a, n=1, dim=-1, prepend=None, append=None):
    nd = a._data.ndim
    if nd == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = norm_dim(dim, nd)
    for name, p in (("prepend", prepend), ("append", append)):
        if p is not None:
            if not isinstance(p, C.Tensor):
                raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(p).__name__}")
            if p._data.ndim != nd:
                raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    parts = [p for p in (prepend, a, append) if p is not None]
    if len(parts) > 1:
        a = _cat(parts, d)
    for _ in range(n):
        size = a._data.shape[d]
        if size == 0:
            break
        hi, lo = _slice(a, d, 1, size), _slice(a, d, 0, size - 1)
        a = hi ^ lo if a._data.dtype.kind == "b" else hi - lo
    return a


def combinations(a, r=2, with_replacement=False):
    """The length-r combinations of a 1-D tensor's elements (with repeats when with_replacement), one per row in
    lexicographic order of their positions; gathered, so gradients flow back to the elements."""
    import itertools

    import numpy as np

    C.need_tensor(a, "combinations", "input", 1)
    if a._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(a._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:  # a new empty tensor, outside the graph
        return C.wrap(a._data[:0].copy(), a._device)
    make = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(make(range(a._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    xp = C.get_xp(a._data)
    return a.index_select(0, C.const(xp.asarray(idx.reshape(-1)), a._device)).reshape(-1, r)


def vander(x, N=None, increasing=False):
    """Columns x**(N-1), ..., x**0 (or rising when increasing), by a running product as PyTorch; integer and bool
    inputs give int64."""
    from .. import _dtype

    C.need_tensor(x, "vander", "x", 1)
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x._data.dtype.kind in "biu":
        x = x.to(_dtype.int64)
    ones = x.new_ones((x._data.shape[0], min(n, 1)))
    if n > 1:
        out = _cat([ones, x.unsqueeze(1).expand(x._data.shape[0], n - 1).cumprod(1)], 1)
    else:
        out = ones
    return out if increasing else out.flip(1)
