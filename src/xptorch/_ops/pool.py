"""Max, average and adaptive average pooling over 1, 2 or 3 spatial dims.

Windows are strided views of the padded input; leading dims (batch, channels) are folded into one
so batched and unbatched inputs share a path. 1-d pooling runs as 2-d over a unit height and reports
SqueezeBackward1, as PyTorch does.
"""
import math

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..backend.constants import constant
from ..autograd.node import Node
from ._common import edge, get_xp, wrap, wrap_grad
from .conv import crop, pad_zeros, scatter_windows
from . import _common as C
from ._common import tensor_args

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
]

_COUNT = {2: "two", 3: "three"}
_AXES = {2: ("H", "W"), 3: ("T", "H", "W")}


def _arg(value, nd, what, op, verb="must either be", omitted=False):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        more = "omitted, " if omitted else ""
        raise RuntimeError(f"{op}: {what} {verb} {more}a single int, or a tuple of {_COUNT[nd]} ints")
    return value


def _out_size(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    span = n + 2 * p - eff
    o = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _nonempty(shape, nd, op):
    """PyTorch's refusal of an input with a zero-sized dim other than the batch (any dim when unbatched)."""
    batched = len(shape) == nd + 2
    if len(shape) <= nd + 2 and all(n for n in (shape[1:] if batched else shape)):
        return
    dims = ", ".join(map(str, shape))
    if nd == 2:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:[{dims}]")
    name = "max_pool3d_with_indices_out_cpu_template" if op == "max_pool3d" else "avg_pool3d"
    # (PyTorch names dimension 0 whichever dim is empty.)
    raise RuntimeError(f"{name}(): Expected input's non-batch dimensions to have positive length, but input "
                       f"has a shape of [{dims}] and non-batch dimension 0 has length zero!")


def _geometry(xd, nd, kernel, stride, padding, dilation, ceil_mode, op):
    """Validated output sizes and (left, right) pads; right pads cover ceil_mode's partial windows."""
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(s < 0 for s in stride):
        names = "THW" if len(stride) == 3 else "HW"
        raise RuntimeError("stride should be greater than zero, but got " +
                           " ".join(f"d{a}: {s}" for a, s in zip(names, stride)))
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(
            "kernel size should be greater than zero, but got "
            + " ".join(f"k{a}: {k}" for a, k in zip(_AXES[nd], kernel))
        )
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            "dilation should be greater than zero, but got "
            + " ".join(f"dilation{a}: {d}" for a, d in zip(_AXES[nd], dilation))
        )
    if xd.ndim not in (nd + 1, nd + 2) and not (op == "avg_pool2d" and xd.ndim > 4):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    _nonempty(xd.shape, nd, op)
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                f"and dilation={d}"
            )
    sizes = xd.shape[-nd:]
    out = tuple(_out_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        c = xd.shape[-nd - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, (c,) + sizes))}). "
            f"Calculated output size: ({'x'.join(map(str, (c,) + out))}). Output size is too small"
        )
    pads = tuple(
        (p, max(0, (o - 1) * s + d * (k - 1) + 1 - n - p))
        for n, k, s, p, d, o in zip(sizes, kernel, stride, padding, dilation, out)
    )
    return out, pads


# ---- max pooling --------------------------------------------------------------------------------


class MaxPool2DWithIndicesBackward0(Node):
    """The gradient goes to the input element each output took its maximum from."""

    __slots__ = ("idx", "shape", "xshape", "unique")
    saves = ("idx",)

    def backward(self, g):
        xp = get_xp(g)
        b = self.shape[0]
        plane = int(math.prod(self.shape[1:]))
        idx = self.idx.reshape(b, -1)
        gf = g.reshape(b, -1)
        if self.unique:
            gx = xp.zeros((b, plane), dtype=g.dtype)
            gx[xp.arange(b)[:, None], idx] = gf
        else:
            flat = (idx + xp.arange(b, dtype=idx.dtype)[:, None] * plane).ravel()
            if xp is np:
                gx = xp.bincount(flat, weights=gf.ravel(), minlength=b * plane).astype(g.dtype, copy=False)
            else:  # CuPy's bincount reads the largest index back to the host
                gx = xp.zeros(b * plane, dtype=g.dtype)
                xp.add.at(gx, flat, gf.ravel())
        return (gx.reshape(self.xshape),)

    def backward_graph(self, g):
        # The indices are constants: scatter-add g at them, an op whose own gradient gathers there.
        from .shape import _scatter_t

        xp = get_xp(self.idx)
        b = self.shape[0]
        plane = int(math.prod(self.shape[1:]))
        index = (xp.arange(b)[:, None], self.idx.reshape(b, -1))
        return (_scatter_t(g.reshape(b, -1), (b, plane), index, True).reshape(self.xshape),)


class MaxPool3DWithIndicesBackward0(MaxPool2DWithIndicesBackward0):
    __slots__ = ()


def _first_hit(views, vals, shift, xp, inside=None):
    """Shift of the first view equal to vals (PyTorch's tie rule); bool arithmetic beats masked writes."""
    found = xp.zeros(vals.shape, dtype=bool)
    pick = xp.zeros(vals.shape, dtype=np.int64)
    for i, (v, sh) in enumerate(zip(views, shift)):
        hit = v == vals
        if inside is not None:
            hit &= inside[i]
        hit &= ~found
        found |= hit
        if sh:
            pick += hit.astype(np.int64) * sh
    return pick


def _max_pool(x, nd, kernel_size, stride, padding, dilation, ceil_mode, op):
    xd = x._data
    xp = get_xp(xd)
    kernel = _arg(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _arg(stride, nd, "stride", op, omitted=True)
    padding = _arg(padding, nd, "padding", op)
    dilation = _arg(dilation, nd, "dilation", op, verb="must be either")
    out, pads = _geometry(xd, nd, kernel, stride, padding, dilation, ceil_mode, op)
    sizes = xd.shape[-nd:]
    lead = xd.shape[:-nd]
    xb = xd.reshape((-1,) + sizes)
    low = -np.inf if xd.dtype.kind == "f" else np.iinfo(xd.dtype).min
    xpd = pad_zeros(xb, pads, value=low)
    # One strided view per kernel offset: a running maximum, then the first offset that attains it.
    plane = np.cumprod((1,) + sizes[::-1])[::-1][1:]
    offsets = list(np.ndindex(*kernel))
    views = [xpd[(slice(None),) + tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                                        for k, d, s, o in zip(off, dilation, stride, out))] for off in offsets]
    vals = views[0].copy()
    for v in views[1:]:
        xp.maximum(vals, v, out=vals)
    shift = [int(sum(k * d * p for k, d, p in zip(off, dilation, plane))) for off in offsets]
    pick = _first_hit(views, vals, shift, xp)
    on_host = xp is np
    if any(lo or hi for lo, hi in pads) and (not on_host or (vals == low).any()):
        # A maximum equal to the padding value must still point at a real element.
        def masks():
            inside = []
            for off in offsets:
                m = True
                for i, (k, d, s, p, o, n) in enumerate(zip(off, dilation, stride, padding, out, sizes)):
                    pos = np.arange(o) * s - p + k * d
                    m = m & ((pos >= 0) & (pos < n)).reshape((-1,) + (1,) * (nd - 1 - i))
                inside.append(np.asarray(m))
            return tuple(inside)

        key = ("maxpool-inside", tuple(kernel), dilation, stride, padding, out, tuple(sizes))
        pick = _first_hit(views, vals, shift, xp, constant(xp, xd, key, masks))
    if xd.dtype.kind == "f":
        nan = xp.isnan(vals)
        if not on_host or nan.any():
            # A window holding NaN reports its last NaN, as PyTorch's scan does.
            for v, sh in zip(views, shift):
                pick = xp.where(nan & xp.isnan(v), sh, pick)
    def grid():
        base = 0
        for i in range(nd):
            g = (np.arange(out[i]) * stride[i] - padding[i]) * int(plane[i])
            base = base + g.reshape((-1,) + (1,) * (nd - 1 - i))
        return np.asarray(base)

    idx = pick + constant(xp, xd, ("maxpool-base", out, stride, padding, tuple(plane.tolist())), grid)
    vals = vals.reshape(lead + out)
    idx = idx.reshape(lead + out)
    if x._rg and _grad_state.enabled:
        node = (MaxPool2DWithIndicesBackward0 if nd == 2 else MaxPool3DWithIndicesBackward0)((edge(x),))
        node.idx, node.shape, node.xshape = idx, xb.shape, xd.shape
        node.unique = all(s >= d * (kk - 1) + 1 for s, d, kk in zip(stride, dilation, kernel))
        return wrap_grad(vals, x._device, node), wrap(idx, x._device)
    return wrap(vals, x._device), wrap(idx, x._device)


def _max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode, indices=False):
    from .shape import squeeze, unsqueeze

    xd = x._data
    op = "max_pool1d()"
    if indices and xd.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {xd.ndim}-dimensional tensor for argument #1 'self' "
            "(while checking arguments for max_pool1d)"
        )
    if indices:
        _nonempty(xd.shape[:-1] + (1, xd.shape[-1]), 2, "max_pool2d")
    if xd.ndim not in (2, 3) or 0 in xd.shape[xd.ndim - 2:]:
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:[{', '.join(map(str, xd.shape))}]"
        )
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _one(stride, "stride")
    p = _one(padding, "padding")
    d = _one(dilation, "dilation")
    if k <= 0:
        raise RuntimeError(f"{op} kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"{op} stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"{op} padding must be non-negative, but got {p}")
    if d <= 0:
        raise RuntimeError(f"{op} dilation must be greater than zero, but got {d}")
    if p > k // 2:
        raise RuntimeError(
            f"{op} padding should be at most half of kernel size, but got padding={p} and kernel_size={k}"
        )
    o = _out_size(xd.shape[-1], k, s, p, d, ceil_mode)
    if o <= 0:
        raise RuntimeError(f"{op} Invalid computed output size: {o}")
    v, i = _max_pool(unsqueeze(x, -2), 2, (1, k), (1, s), (0, p), (1, d), ceil_mode, "max_pool2d")
    return squeeze(v, -2), squeeze(i, -2)


def _one(value, what):
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = tuple(value)
    if len(value) != 1:
        raise RuntimeError(
            f"max_pool1d() {what} must be an int, list of ints or tuple of ints of size 1 but got size {len(value)}"
        )
    return int(value[0])


@tensor_args
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    C.no_kernel(input, "max_pool2d", ints=True)
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, indices=True)


@tensor_args
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    C.no_kernel(input, "max_pool2d", ints=True)
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")


@tensor_args
def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    C.no_kernel(input, "max_pool3d", ints=True)
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")


@tensor_args
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    C.no_kernel(input, "max_pool1d_impl")
    v, i = _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, indices=return_indices)
    return (v, i) if return_indices else v


@tensor_args
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    C.no_kernel(input, "max_pool2d", ints=True)
    v, i = _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    return (v, i) if return_indices else v


@tensor_args
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    C.no_kernel(input, "max_pool3d", ints=True)
    v, i = _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")
    return (v, i) if return_indices else v


# ---- average pooling ----------------------------------------------------------------------------


def _divisor(sizes, out, kernel, stride, padding, count_include_pad, xp):
    """Per-output window sizes: padding counted but not past it, or real elements only."""
    div = None
    for i, (n, o, k, s, p) in enumerate(zip(sizes, out, kernel, stride, padding)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            cnt = end - start
        else:
            cnt = np.minimum(end, n) - np.maximum(start, 0)
        cnt = cnt.reshape((-1,) + (1,) * (len(out) - 1 - i))
        div = cnt if div is None else div * cnt
    return div


class AvgPool2DBackward0(Node):
    """Each output's gradient, divided by its window size, spreads over its window."""

    __slots__ = ("div", "geom", "xshape")

    def backward(self, g):
        xp = get_xp(g)
        shape, pads, kernel, stride, out = self.geom
        b, nd = shape[0], len(out)
        gd = g.reshape((b,) + out) / self.div
        spread = xp.broadcast_to(gd.reshape((b,) + (1,) * nd + out), (b,) + kernel + out)
        padded = (b,) + tuple(n + lo + hi for n, (lo, hi) in zip(shape[1:], pads))
        gx = crop(scatter_windows(spread, padded, kernel, stride, (1,) * nd, out, lead=1), pads)
        return (gx.reshape(self.xshape),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        return (linear_map(lambda a: self.backward(a)[0], self._pool, g),)

    def _pool(self, x):
        """The forward as a linear map of x: window sums over the zero-padded input, divided."""
        shape, pads, kernel, stride, out = self.geom
        nd = len(out)
        xpd = pad_zeros(x.reshape(shape), pads)
        total = None
        for off in np.ndindex(*kernel):  # one strided view per kernel offset, as the forward sums
            v = xpd[(slice(None),) + tuple(slice(k, k + s * (o - 1) + 1, s) for k, s, o in zip(off, stride, out))]
            total = v.copy() if total is None else total + v
        return (total / self.div).astype(x.dtype, copy=False).reshape(tuple(self.xshape[:-nd]) + tuple(out))


class AvgPool3DBackward0(AvgPool2DBackward0):
    __slots__ = ()


class _TiledAvgPoolBackward(Node):
    """Windows tile the input: each output's gradient, divided by its window size, repeats over its block."""

    __slots__ = ("div", "tiled", "xshape", "_name")

    def name(self):
        return self._name

    def backward(self, g):
        xp = get_xp(g)
        b, out, kernel = self.tiled
        nd = len(out)
        spread = g.reshape((b,) + out) / self.div
        sizes = self.xshape[-nd:]
        if nd == 2 and tuple(o * k for o, k in zip(out, kernel)) == tuple(sizes):
            # Fill one row of each block per kernel column, then copy that row down the block:
            # kh + kw - 1 strided copies, against two repeats' fresh arrays.
            (oh, ow), (kh, kw) = out, kernel
            gx = xp.empty((b, oh, kh, ow, kw), dtype=spread.dtype)
            for j in range(kw):
                gx[:, :, 0, :, j] = spread
            for i in range(1, kh):
                gx[:, :, i] = gx[:, :, 0]
            return (gx.reshape(self.xshape).astype(g.dtype, copy=False),)
        for i, k in enumerate(kernel):
            if k > 1:
                spread = xp.repeat(spread, k, axis=i + 1)
        covered = spread.shape
        if covered[1:] != tuple(sizes):
            gx = xp.zeros((b,) + tuple(sizes), dtype=g.dtype)
            gx[(slice(None),) + tuple(slice(0, c) for c in covered[1:])] = spread
            spread = gx
        return (spread.reshape(self.xshape).astype(g.dtype, copy=False),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        return (linear_map(lambda a: self.backward(a)[0], self._pool, g),)

    def _pool(self, x):
        """The forward as a linear map of x: block sums over the tiled input, divided."""
        b, out, kernel = self.tiled
        nd = len(out)
        xb = x.reshape((b,) + tuple(self.xshape[-nd:]))
        xb = xb[(slice(None),) + tuple(slice(0, o * k) for o, k in zip(out, kernel))]
        total = xb.reshape((b,) + tuple(v for o, k in zip(out, kernel) for v in (o, k)))
        total = total.sum(axis=tuple(2 + 2 * i for i in range(nd)))
        return (total / self.div).astype(x.dtype, copy=False).reshape(tuple(self.xshape[:-nd]) + tuple(out))


def _sum_axis(a, ax, k):
    """a summed over axis ax (length k) as k - 1 elementwise adds."""
    xp = get_xp(a)
    head = (slice(None),) * ax
    if k == 1:
        return a[head + (0,)]
    acc = xp.add(a[head + (0,)], a[head + (1,)])
    for j in range(2, k):
        acc += a[head + (j,)]
    return acc


def _tiled_avg(x, xb, nd, kernel, out, div, lead):
    """Average pooling whose windows tile the input (stride == kernel, no padding): a reshape and a sum."""
    xd = x._data
    b = xb.shape[0]
    covered = tuple(o * k for o, k in zip(out, kernel))
    if covered != tuple(xb.shape[1:]):
        xb = xb[(slice(None),) + tuple(slice(0, c) for c in covered)]
    blocks = (b,) + tuple(v for o, k in zip(out, kernel) for v in (o, k))
    total = xb.reshape(blocks)
    # One kernel axis at a time, last first, as k - 1 adds of strided views: NumPy's reductions over
    # short non-contiguous axes cost far more per element.
    for i in range(nd - 1, -1, -1):
        ax = 2 + 2 * i
        total = _sum_axis(total, ax, kernel[i])
    vals = (total / div).astype(xd.dtype, copy=False) if xd.dtype.kind == "f" else (total / div).astype(xd.dtype)
    vals = vals.reshape(lead + out)
    if x._rg and _grad_state.enabled:
        node = _TiledAvgPoolBackward((edge(x),))
        node._name = "AvgPool2DBackward0" if nd == 2 else "AvgPool3DBackward0"
        node.div, node.tiled, node.xshape = div, (b, out, kernel), xd.shape
        return wrap_grad(vals, x._device, node)
    return wrap(vals, x._device)


def _avg_pool(x, nd, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, op):
    xd = x._data
    xp = get_xp(xd)
    kernel = _arg(kernel_size, nd, "kernel_size", op, verb="must be" if nd == 3 else "must either be")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _arg(stride, nd, "stride", op, omitted=True)
    padding = _arg(padding, nd, "padding", op)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if nd == 2 and xd.ndim < 3:
        from .reduce import norm_dim

        # PyTorch's avg_pool2d reads size(-3) before checking the rank.
        norm_dim(-3, xd.ndim)
    out, pads = _geometry(xd, nd, kernel, stride, padding, (1,) * nd, ceil_mode, op)
    sizes = xd.shape[-nd:]
    lead = xd.shape[:-nd]
    xb = xd.reshape((-1,) + sizes)
    if stride == kernel and not any(lo or hi for lo, hi in pads):
        div = int(divisor_override) if divisor_override is not None else int(math.prod(kernel))
        return _tiled_avg(x, xb, nd, kernel, out, div, lead)
    xpd = pad_zeros(xb, pads)
    # A sum of one strided view per kernel offset (as max pooling does).
    total = None
    for off in np.ndindex(*kernel):
        v = xpd[(slice(None),) + tuple(slice(k, k + s * (o - 1) + 1, s) for k, s, o in zip(off, stride, out))]
        if total is None:
            total = v.astype(xd.dtype if xd.dtype.kind == "f" else np.int64)
        else:
            total += v
    if divisor_override is not None:
        div = int(divisor_override)
    elif count_include_pad and not ceil_mode:
        div = int(math.prod(kernel))
    else:
        def divisor():
            d = _divisor(sizes, out, kernel, stride, padding, count_include_pad, np)
            return d.astype(xd.dtype) if xd.dtype.kind == "f" else d

        key = ("avgpool-div", tuple(sizes), out, kernel, stride, padding, count_include_pad, xd.dtype.str)
        div = constant(xp, xd, key, divisor)
    if xd.dtype.kind == "f":
        vals = total / div
        vals = vals.astype(xd.dtype, copy=False)
    else:
        vals = (total / div).astype(xd.dtype)
    vals = vals.reshape(lead + out)
    if x._rg and _grad_state.enabled:
        node = (AvgPool2DBackward0 if nd == 2 else AvgPool3DBackward0)((edge(x),))
        node.div = div
        node.geom = (xb.shape, pads, kernel, stride, out)
        node.xshape = xd.shape
        return wrap_grad(vals, x._device, node)
    return wrap(vals, x._device)


@tensor_args
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    C.no_kernel(input, "avg_pool2d", ints=True)
    from .shape import squeeze, unsqueeze

    xd = input._data
    if xd.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {xd.ndim}-dimensional tensor for argument #1 'self' "
            "(while checking arguments for avg_pool1d)"
        )
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _one(stride, "stride")
    p = _one(padding, "padding")
    out = _avg_pool(unsqueeze(input, -2), 2, (1, k), (1, s), (0, p), ceil_mode, count_include_pad, None, "avg_pool2d")
    return squeeze(out, -2)


@tensor_args
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    C.no_kernel(input, "avg_pool2d", ints=True)
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                     "avg_pool2d")


@tensor_args
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    C.no_kernel(input, "avg_pool3d_out_frame", ints=True)
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                     "avg_pool3d")


# ---- adaptive average pooling -------------------------------------------------------------------


def _averaging_matrix(n, o):
    """(o, n) matrix whose row i averages PyTorch's adaptive window [floor(i*n/o), ceil((i+1)*n/o))."""
    i = np.arange(o)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return inside / (end - start)[:, None]


def _apply_axes(a, mats, xp, transpose=False):
    lead = a.ndim - len(mats)
    for i, m in enumerate(mats):
        m = xp.asarray(m if not transpose else m.T, dtype=a.dtype)
        a = xp.moveaxis(xp.moveaxis(a, lead + i, -1) @ m.T, -1, lead + i)
    return a


class AdaptiveAvgPool2DBackward0(Node):
    __slots__ = ("mats",)

    def backward(self, g):
        return (_apply_axes(g, self.mats, get_xp(g), transpose=True),)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        return (linear_map(lambda a: self.backward(a)[0], lambda a: _apply_axes(a, self.mats, get_xp(a)), g),)


class AdaptiveAvgPool3DBackward0(AdaptiveAvgPool2DBackward0):
    __slots__ = ()


def _adaptive_avg(x, output_size, nd):
    xd = x._data
    op = f"adaptive_avg_pool{nd}d"
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got [{', '.join(map(str, xd.shape))}]"
        )
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{op}: output_size must be {nd}")
    sizes = xd.shape[-nd:]
    out = tuple(n if o is None else int(o) for n, o in zip(sizes, output_size))
    if any(o < 0 for o in out):
        raise RuntimeError(
            f"{op}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{', '.join(map(str, out))}}}"
        )
    for i in range(1, xd.ndim):
        if xd.shape[i] == 0:
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
                f"[{', '.join(map(str, xd.shape))}] with dimension {i} being empty"
            )
    if all(o == 1 for o in out):
        from .reduce import mean

        return mean(x, tuple(range(-nd, 0)), keepdim=True)
    xp = get_xp(xd)
    mats = tuple(constant(xp, xd, ("adaptive-avg", n, o, xd.dtype.str),
                          lambda n=n, o=o: _averaging_matrix(n, o).astype(xd.dtype)) for n, o in zip(sizes, out))
    y = _apply_axes(xd, mats, xp)
    y = xp.ascontiguousarray(y)
    if x._rg and _grad_state.enabled:
        node = (AdaptiveAvgPool2DBackward0 if nd == 2 else AdaptiveAvgPool3DBackward0)((edge(x),))
        node.mats = mats
        return wrap_grad(y, x._device, node)
    return wrap(y, x._device)


@tensor_args
def adaptive_avg_pool1d(input, output_size):
    C.no_kernel(input, "adaptive_avg_pool2d")
    from .shape import squeeze, unsqueeze

    xd = input._data
    if xd.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {xd.ndim}-dimensional tensor for argument #1 'self' "
            "(while checking arguments for adaptive_avg_pool1d)"
        )
    if not isinstance(output_size, (int, np.integer)):
        output_size = tuple(output_size)
        if len(output_size) != 1:
            raise RuntimeError(
                f"adaptive_avg_pool1d() argument 'output_size' should contain one int (got {len(output_size)})"
            )
        output_size = output_size[0]
    return squeeze(_adaptive_avg(unsqueeze(input, -2), (1, output_size), 2), -2)


def _wrapper_dims(input, output_size):
    """PyTorch's Python wrapper refuses a sequence output_size as long as the input's dims."""
    if isinstance(output_size, (list, tuple)) and input.dim() <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")


def _all_ones(output_size, k):
    """An output of one element per plane: PyTorch takes the mean over the last k dims then, whatever
    the input's rank (and mean's dtype rules)."""
    if isinstance(output_size, (list, tuple)):
        return len(output_size) == k and all(type(o) is int and o == 1 for o in output_size)
    return type(output_size) is int and output_size == 1


@tensor_args
def adaptive_avg_pool2d(input, output_size):
    _wrapper_dims(input, output_size)
    if _all_ones(output_size, 2):
        return input.mean((-1, -2), keepdim=True)
    C.no_kernel(input, "adaptive_avg_pool2d")
    return _adaptive_avg(input, output_size, 2)


@tensor_args
def adaptive_avg_pool3d(input, output_size):
    _wrapper_dims(input, output_size)
    if _all_ones(output_size, 3):
        return input.mean((-1, -2, -3), keepdim=True)
    C.no_kernel(input, "adaptive_avg_pool3d_cpu")
    return _adaptive_avg(input, output_size, 3)
