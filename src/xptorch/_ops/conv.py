"""Convolution over 1, 2 or 3 spatial dims: im2col windows and one batched matmul.

Forward views the padded input as sliding windows (no copy), gathers them into columns (one copy)
and multiplies them by the weight. Backward multiplies by the transposed weight and adds the
columns back into place (col2im), looping over kernel offsets only, never over output pixels.
2-D stride-1 convolutions on the CPU copy windows over whole padded rows instead (see pad_rows),
where that pays. Non-zero padding modes (reflect, replicate, circular) are a separate gather with its
own node.
"""
import math
import warnings

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..backend.constants import constant
from ..autograd.node import Node
from ..amp import _state as _amp
from ..backend import capture_blas as _cb
from ..backend import quiet
from ..backend.workspace import scratch
from . import _common as C
from ._common import edge, get_xp, save_check, wrap, wrap_grad
from ._common import tensor_args

__all__ = ["conv1d", "conv2d", "conv3d"]


def _type_name(t):
    kind = "cuda." if t._device.type == "cuda" else ""
    from .._dtype import from_numpy_dtype

    return f"xptorch.{kind}{from_numpy_dtype(t._data.dtype)._legacy}"


def _expand(value, n, name):
    """An int or a sequence of 1 or n ints, as an n-tuple."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the convolution "
            f"dimensions, but got {name}=[{', '.join(map(str, value))}]"
        )
    return value


def same_padding(kernel, dilation):
    """(left, right) per dim for padding='same': the odd extra element goes on the right."""
    out = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def columns(xpd, kernel, stride, dilation, out, groups, role=None, win=None):
    """im2col: (N, groups, C/groups * prod(kernel), prod(out)) copy of xpd's windows.

    win, when given, is windows(...) of a larger array that xpd is a batch slice of (sl), passed as
    (win, sl) so chunked callers build the strided view once. With a role (CPU only), the columns
    live in that scratch buffer and must not outlive the caller.
    """
    if win is None:
        win = windows(xpd, kernel, stride, dilation, out)
    else:
        win, sl = win
        win = win[sl]
    xp = get_xp(win)
    n = win.shape[0]
    L = 1
    for o in out:
        L *= o
    if role is None or xp is not np:
        return win.reshape(n, groups, -1, L)
    buf = scratch(role, win.shape, win.dtype)
    np.copyto(buf, win)
    return buf.reshape(n, groups, -1, L)


def windows(xpd, kernel, stride, dilation, out, lead=2):
    """Strided view (*lead, *kernel, *out) of xpd's trailing spatial dims; nothing is copied."""
    xp = get_xp(xpd)
    s = xpd.strides
    sp = s[lead:]
    shape = xpd.shape[:lead] + tuple(kernel) + tuple(out)
    strides = s[:lead] + tuple(a * d for a, d in zip(sp, dilation)) + tuple(a * t for a, t in zip(sp, stride))
    return xp.lib.stride_tricks.as_strided(xpd, shape, strides)


def pad_zeros(xd, pads, value=0, role=None):
    """xd with (left, right) pads on its trailing len(pads) dims, filled with value.

    With a role (CPU only), the result lives in that scratch buffer and must not outlive the caller.
    """
    if not any(lo or hi for lo, hi in pads):
        return xd
    xp = get_xp(xd)
    lead = xd.ndim - len(pads)
    shape = xd.shape[:lead] + tuple(n + lo + hi for n, (lo, hi) in zip(xd.shape[lead:], pads))
    if role is not None and xp is np:
        out = scratch(role, shape, xd.dtype)
        out.fill(value)
    else:
        out = xp.full(shape, value, dtype=xd.dtype) if value else xp.zeros(shape, dtype=xd.dtype)
    out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(xd.shape[lead:], pads))] = xd
    return out


def scatter_windows(gw, shape, kernel, stride, dilation, out, lead=2):
    """Adjoint of `windows`: sum gw (*lead, *kernel, *out) back into a zero array of shape.

    One spatial dim at a time, last first: folding kernel axis m into output axis m takes
    kernel[m] strided adds, so the whole scatter costs sum(kernel) adds rather than prod(kernel).
    """
    xp = get_xp(gw)
    nd = len(kernel)
    head = (slice(None),) * lead
    a = gw
    for m in range(nd - 1, -1, -1):
        k, s, d, o = kernel[m], stride[m], dilation[m], out[m]
        # a: (*lead, *kernel[:m+1], *out[:m+1], *shape[lead+m+1:])
        new_shape = a.shape[:lead] + a.shape[lead:lead + m] + a.shape[lead + m + 1:lead + 2 * m + 1] \
            + (shape[lead + m],) + a.shape[lead + 2 * m + 2:]
        acc = xp.zeros(new_shape, dtype=gw.dtype)
        pre = head + (slice(None),) * (2 * m)
        for j in range(k):
            acc[pre + (slice(j * d, j * d + s * (o - 1) + 1, s),)] += a[head + (slice(None),) * m + (j,)]
        a = acc
    return a


def _crop_mid(gx, pads):
    """Crop (left, right) pads from the spatial dims of a (C, *spatial, N) array."""
    if not any(lo or hi for lo, hi in pads):
        return gx
    return gx[(slice(None),) + tuple(slice(lo, n - hi) for n, (lo, hi) in zip(gx.shape[1:-1], pads))]


def crop(gx, pads):
    if not any(lo or hi for lo, hi in pads):
        return gx
    lead = gx.ndim - len(pads)
    return gx[(slice(None),) * lead + tuple(slice(lo, n - hi) for n, (lo, hi) in zip(gx.shape[lead:], pads))]


# ---- 2-D stride-1 convolutions on the CPU: windows over whole padded rows --------------------------
#
# A window's rows sit one padded row (Wp elements) apart, so for kernel offset (i, j) the inputs of
# all oh x Wp positions (h, w) are one contiguous run of the flattened plane starting at i * Wp + j.
# The columns then copy runs of oh * Wp elements instead of ow, and the product computes Wp - ow
# extra positions per row, which are dropped. The padded plane carries a zero tail of (kw - 1) * dw
# elements, the furthest the last window reads past it.


_ROWS = True  # the tests switch the whole-row path off to compare it with plain im2col


def _rows_pay(xp, kernel, stride, ocg, ck, ow, wp):
    """Whether whole-row columns pay: the copy they save outweighs the extra (wp - ow) / ow of the
    product, which grows with the output channels per group (measured on LeNet, ResNet and VGG layers)."""
    return (_ROWS and xp is np and len(kernel) == 2 and stride[0] == 1 and stride[1] == 1
            and ocg * (wp - ow) <= 8 * ow and ck >= ocg)


def pad_rows(xd, pads, tail, role=None):
    """xd (N, C, H, W) zero-padded by pads into a C-contiguous array followed by `tail` zeros in memory.

    With a role, the result lives in that scratch buffer and must not outlive the caller.
    """
    n, c, h, w = xd.shape
    (t, b), (lft, r) = pads
    hp, wp = h + t + b, w + lft + r
    m = n * c * hp * wp
    flat = scratch(role, (m + tail,), xd.dtype) if role is not None else np.empty(m + tail, xd.dtype)
    xpd = flat[:m].reshape(n, c, hp, wp)
    if t:
        xpd[:, :, :t] = 0
    if b:
        xpd[:, :, hp - b:] = 0
    if lft:
        xpd[:, :, t:hp - b, :lft] = 0
    if r:
        xpd[:, :, t:hp - b, wp - r:] = 0
    xpd[:, :, t:t + h, lft:lft + w] = xd
    flat[m:] = 0
    return xpd


def row_windows(xpd, kernel, dilation, oh):
    """(N, C, kh, kw, oh * Wp) strided view of xpd (a pad_rows result): whole padded rows per offset."""
    s = xpd.strides
    shape = xpd.shape[:2] + tuple(kernel) + (oh * xpd.shape[3],)
    strides = (s[0], s[1], s[2] * dilation[0], s[3] * dilation[1], s[3])
    return np.lib.stride_tricks.as_strided(xpd, shape, strides)


def _row_chunks(win, groups, ck, per_image, ones=False):
    """(batch slice, columns (nb, groups, ck, oh * Wp) in scratch) for each chunk of win's images;
    with ones, each group's columns end in a row of ones (nb, groups, ck + 1, oh * Wp)."""
    n, lr = win.shape[0], win.shape[-1]
    for sl in _chunks(np, n, per_image):
        part = win[sl]
        nb = part.shape[0]
        if not ones:
            cols = scratch("conv.cols", part.shape, part.dtype)
            np.copyto(cols, part)
            yield sl, cols.reshape(nb, groups, ck, lr)
            continue
        cols = scratch("conv.cols", (nb, groups, ck + 1, lr), part.dtype)
        split = (nb, groups, part.shape[1] // groups) + part.shape[2:]
        np.copyto(cols[:, :, :ck].reshape(split), part.reshape(split))
        cols[:, :, ck] = 1
        yield sl, cols


def _conv_rows(xpd, wmat, kernel, dilation, out, groups, dtype, bias=None):
    """y (N, groups, OC/groups, oh, ow) of the stride-1 convolution of xpd (a pad_rows result), plus
    bias (OC,) when given: a column of the product (against a row of ones), not another pass over y.

    Callers run it quiet: the dropped positions may meet an inf of the input's neighbouring row."""
    n, wp = xpd.shape[0], xpd.shape[3]
    oh, ow = out
    ocg, ck = wmat.shape[1], wmat.shape[2]
    lr = oh * wp
    win = row_windows(xpd, kernel, dilation, oh)
    ones = bias is not None
    if ones:
        wmat = np.concatenate([wmat, bias.reshape(groups, ocg, 1)], axis=2)
    r = _block_rows(ocg * (ck + ones), oh, wp)
    if r < oh:
        return _conv_row_blocks(win, wmat, groups, out, r, ones, dtype)
    # All products land in one whole-row buffer, cropped to ow in one pass at the end: one strided
    # copy of the batch costs less than a short one per chunk.
    yr = scratch("conv.rows", (n, groups, ocg, lr), dtype)
    for sl, cols in _row_chunks(win, groups, ck, groups * (ck + ones) * lr * yr.itemsize, ones):
        np.matmul(wmat, cols, out=yr[sl])
    y = np.empty((n, groups, ocg, oh, ow), dtype)
    np.copyto(y, yr.reshape(n, groups, ocg, oh, wp)[..., :ow])
    return y


def _conv_row_blocks(win, wmat, groups, out, r, ones, dtype):
    """_conv_rows with each image's product split over blocks of r output rows (r * Wp columns), all of
    a chunk's blocks in one batched product; wmat (groups, ocg, ck + ones) ends in the bias column
    when ones, matched by a row of ones in the columns."""
    n, c = win.shape[:2]
    kernel = win.shape[2:4]
    oh, ow = out
    ocg, ckb = wmat.shape[1], wmat.shape[2]
    ck = ckb - ones
    wp = win.shape[-1] // oh
    nblk, bw = oh // r, r * wp
    # (N, blocks, groups, cg, kh, kw, r * Wp): the whole-row windows split into blocks (a view)
    win = win.reshape(win.shape[:4] + (nblk, bw)).transpose(0, 4, 1, 2, 3, 5)
    y = np.empty((n, groups, ocg, oh, ow), dtype)
    for sl in _chunks(np, n, groups * ckb * oh * wp * y.itemsize):
        nb = sl.stop - sl.start
        cols = scratch("conv.cols", (nb, nblk, groups, ckb, bw), dtype)
        split = (nb, nblk, groups, c // groups) + tuple(kernel) + (bw,)
        np.copyto(cols[:, :, :, :ck].reshape(split), win[sl].reshape(split))
        if ones:
            cols[:, :, :, ck] = 1
        z = scratch("conv.rows", (nb, nblk, groups, ocg, bw), dtype)
        np.matmul(wmat, cols, out=z)
        # crop the extra positions while putting the blocks back in row order
        np.copyto(y[sl].reshape(nb, groups, ocg, nblk, r, ow),
                  z.reshape(nb, nblk, groups, ocg, r, wp).transpose(0, 2, 3, 1, 4, 5)[..., :ow])
    return y


# OpenBLAS multiplies products of up to 1e6 multiply-adds (m * n * k) with its small-matrix kernels,
# which skip packing the operands: for a flat (ocg, ck) @ (ck, L) product with few output channels
# that is up to 1.4x faster than one larger product (measured on 16 channels, 3x3 and 5x5, 32x32).
SMALL_GEMM = 1_000_000
_MIN_BLOCK = 128  # narrower blocks lose more to per-product overhead than packing saves (32 channels: 68)


def _block_rows(mk, oh, wp):
    """Output rows per block of the row products: all oh, unless a whole image's product (mk * oh * wp
    multiply-adds) is past SMALL_GEMM and the largest divisor r of oh whose block is not still gives
    a block of at least _MIN_BLOCK positions."""
    if mk * oh * wp <= SMALL_GEMM:
        return oh
    r = min(oh, SMALL_GEMM // (mk * wp))
    while r > 1 and oh % r:
        r -= 1
    return r if r >= 1 and r * wp >= _MIN_BLOCK and mk * r * wp <= SMALL_GEMM else oh


def _weight_grad_rows(xpd, g4, kernel, dilation, out, groups, ck, gr=None):
    """(groups, ck, OC/groups) from xpd (a pad_rows result): the output gradient is widened to whole
    padded rows with zeros, so the extra positions of the row columns add nothing where xpd is finite
    (with a non-finite xpd the result may hold NaNs that torch's has not). gr, when given, is that
    widened gradient (N, groups, OC/groups, oh * Wp) already (see widened_rows)."""
    n, wp = xpd.shape[0], xpd.shape[3]
    oh, ow = out
    ocg = g4.shape[2]
    lr = oh * wp
    if gr is None:
        gr = scratch("conv.grows", (n, groups, ocg, oh, wp), g4.dtype)
        gr[..., ow:] = 0
        gr[..., :ow] = g4.reshape(n, groups, ocg, oh, ow)
        gr = gr.reshape(n, groups, ocg, lr)
    cg = xpd.shape[1] // groups
    if cg >= _SHIFT_MIN and ocg >= _SHIFT_MIN:
        return _weight_grad_shifts(xpd, gr, kernel, dilation, oh, groups, ck)
    gw = None
    win = row_windows(xpd, kernel, dilation, oh)
    for sl, cols in _row_chunks(win, groups, ck, groups * ck * lr * g4.itemsize):
        # (ck, L) @ (L, oc): BLAS runs this orientation about twice as fast as (oc, L) @ (L, ck).
        part = np.matmul(cols, gr[sl].swapaxes(2, 3)).sum(axis=0)
        gw = part if gw is None else gw.__iadd__(part)
    return gw


_SHIFT_MIN = 8  # channels per group on both sides from which _weight_grad_shifts pays


def widened_rows(gpd, gpads, groups, out, wp):
    """The output gradient widened to whole rows of width wp (N, groups, OC/groups, oh * wp) as a view of
    gpd, the gradient as the input gradient's gather padded it (pad_rows, by gpads), or None where its
    rows have another width. With wp == gpd's width, row h of the view runs from gpd's (gt + h, gl) to
    just before (gt + h + 1, gl): past the gradient's ow values it reads the right and left padding,
    and for the last row of the last plane pad_rows' zero tail (at least gl long), all zeros."""
    n, oc, _, wpg = gpd.shape
    if wpg != wp:
        return None
    oh = out[0]
    (gt, _), (gl, _) = gpads
    s = gpd.strides
    flat = gpd.reshape(-1)[gt * wpg + gl:]
    return np.lib.stride_tricks.as_strided(flat, (n, groups, oc // groups, oh * wp),
                                           (s[0], s[1] * (oc // groups), s[1], s[3]))


def _weight_grad_shifts(xpd, gr, kernel, dilation, oh, groups, ck):
    """The row weight gradient without columns: for each kernel offset, the widened gradient
    (N, groups, ocg, oh * Wp) times the padded input read at that offset as a strided view
    (N, groups, oh * Wp, cg), one batched product per offset, summed over the images. With at least
    8 channels on both sides this beats copying columns (ResNet's 16-channel 3x3: 2.4 vs 4.7 ms);
    with fewer it does not (LeNet's layers), and those keep the columns."""
    n, c, _, wp = xpd.shape
    cg = c // groups
    ocg, lr = gr.shape[2], gr.shape[3]
    kh, kw = kernel
    s = xpd.strides
    # Views past a plane's end read the next plane or, for the last one, pad_rows' zero tail after
    # xpd: those meet the zero-widened gradient columns only.
    # One view (kh, kw, N, groups, oh * Wp, cg) for every offset: as_strided costs microseconds a call.
    views = np.lib.stride_tricks.as_strided(
        xpd.reshape(-1), (kh, kw, n, groups, lr, cg),
        (s[3] * dilation[0] * wp, s[3] * dilation[1], s[0], s[1] * cg, s[3], s[1]))
    res = np.empty((groups, ocg, cg, kh, kw), gr.dtype)
    per_offset = n * groups * ocg * cg * gr.itemsize
    if kh * kw * per_offset <= _SHIFT_PARTS_BYTES:
        # Every offset's products in one call and one sum (two NumPy calls instead of 2 * kh * kw),
        # image by image: one image's gradient and input rows stay in cache for all its offsets
        # (0.88-0.92x the time of offset by offset with cold caches on a loaded host).
        parts = scratch("conv.parts", (kh, kw, n, groups, ocg, cg), gr.dtype)
        np.matmul(gr[:, None, None], views.transpose(2, 0, 1, 3, 4, 5), out=parts.transpose(2, 0, 1, 3, 4, 5))
        parts.sum(axis=2, out=res.transpose(3, 4, 0, 1, 2))
    else:
        for i in range(kh):
            for j in range(kw):
                np.matmul(gr, views[i, j]).sum(axis=0, out=res[:, :, :, i, j])
    return res.reshape(groups, ocg, ck).swapaxes(1, 2)


_SHIFT_PARTS_BYTES = 1 << 22


# Images per im2col chunk are chosen so one chunk's columns stay near this size: the columns are
# written and read back while still in cache, and never kept for backward (rebuilt from the padded
# input there, which is the cheaper trip through memory).
CHUNK_BYTES = 1 << 20


def _chunks(xp, n, per_image_bytes):
    """Batch slices for chunked im2col (one slice on the GPU, where the columns stay on the device)."""
    if xp is not np:
        return [slice(0, n)]
    step = max(1, CHUNK_BYTES // max(per_image_bytes, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


class ConvolutionBackward0(Node):
    """Saves the padded input (for the weight's gradient) and the weight (for the input's)."""

    __slots__ = ("xpd", "wmat", "geom", "rows")
    saves = ("xpd", "wmat")

    def backward(self, g):
        xp = get_xp(g)
        xshape, pads, kernel, stride, dilation, out, groups = self.geom
        n, oc = g.shape[:2]
        L = int(math.prod(out))
        g4 = g.reshape(n, groups, oc // groups, L)
        nx, nw, nb = self.next
        gx = gw = gb = None
        # The row shifts and the gather multiply the weight by zeros (widened rows, padding): a
        # non-finite weight on the CPU takes the col2im path, whose products are torch's.
        if (nx is not None and xp is np and len(kernel) == 2 and all(t == 1 for t in stride)
                and _scatter_rows_pay(xp, kernel, oc // groups, xshape[1] // groups)
                and np.isfinite(self.wmat.sum())):
            need_w = nw is not None and np.isfinite(self.xpd.sum())
            gx, gw = _grads_row_shifts(g, self.wmat, self.xpd, xshape, pads, kernel, dilation, groups, need_w)
        gr = None
        if nx is not None and gx is None:
            full = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
            if (all(t == 1 for t in stride) and all(lo <= f and hi <= f for (lo, hi), f in zip(pads, full))
                    and (xp is not np or np.isfinite(self.wmat.sum()))):
                gx, gpd = _input_grad_gather(xp, g, self.wmat, xshape, pads, kernel, dilation, groups, full)
                if gpd is not None and nw is not None and gw is None and self.rows:
                    gpads = tuple((f - lo, f - hi) for f, (lo, hi) in zip(full, pads))
                    gr = widened_rows(gpd, gpads, groups, out, self.xpd.shape[3])
            else:
                gx = _input_grad_scatter(xp, g, self.wmat, xshape, pads, kernel, stride, dilation, out, groups)
        if nw is not None and gw is None:
            xpd = self.xpd
            ck = self.wmat.shape[2] if self.wmat is not None else xshape[1] // groups * int(math.prod(kernel))
            if self.rows:
                # The row product meets the padded input's extra positions with zeros: a finite result
                # shows none of them held an inf or NaN, otherwise the columns give torch's products.
                gw = quiet(_weight_grad_rows, xpd, g4, kernel, dilation, out, groups, ck, gr)
                if not np.isfinite(gw).all():
                    gw = _weight_grad(xp, xpd, g4, kernel, stride, dilation, out, groups, ck)
            else:
                gw = _weight_grad(xp, xpd, g4, kernel, stride, dilation, out, groups, ck)
            gw = gw.swapaxes(1, 2).reshape((oc, xshape[1] // groups) + tuple(kernel))
        if nb is not None:
            gb = g4.sum(axis=(0, 3)).reshape(oc)
        return (gx, gw, gb)

    def backward_graph(self, g):
        """Both gradients as convolutions of Tensors: the input's a transposed convolution of g with
        the weight, the weight's a convolution of the padded input with g (stride and dilation swap)."""
        from .conv_transpose import conv_transpose
        from .pad import pad

        xshape, pads, kernel, stride, dilation, out, groups = self.geom
        x, w = self._checks[0][2], self._checks[1][2]  # the inputs, version-checked just before
        nx, nw, nb = self.next
        nd = len(kernel)
        gx = gw = gb = None
        if nx is not None:
            full = conv_transpose(g, w, None, stride, (0,) * nd, (0,) * nd, groups, dilation, nd)
            widths = []
            for (lo, _), n, f in zip(reversed(pads), reversed(xshape[2:]), reversed(full.shape[2:])):
                widths += [-lo, lo + n - f]
            gx = pad(full, widths)
        if nw is not None:
            gw = weight_grad_t(pad(x, [v for lo_hi in reversed(pads) for v in lo_hi]), g, kernel, stride, dilation,
                               groups)
        if nb is not None:
            gb = g.sum(dim=(0,) + tuple(range(2, g.dim())))
        return (gx, gw, gb)


def _weight_grad(xp, xpd, g4, kernel, stride, dilation, out, groups, ck):
    """(groups, ck, OC/groups): the padded input's columns times the output gradient, chunk by chunk."""
    n, L = g4.shape[0], g4.shape[3]
    gw = None
    win = windows(xpd, kernel, stride, dilation, out)
    for sl in _chunks(xp, n, groups * ck * L * g4.itemsize):
        cols = columns(None, kernel, stride, dilation, out, groups, role="conv.cols", win=(win, sl))
        # (ck, L) @ (L, oc): BLAS runs this orientation about twice as fast as (oc, L) @ (L, ck).
        part = _cb.product(cols, g4[sl].swapaxes(2, 3)).sum(axis=0)
        gw = part if gw is None else gw.__iadd__(part)
    return gw


def _input_grad_gather(xp, g, wmat, xshape, pads, kernel, dilation, groups, full):
    """Stride 1: the input's gradient is the full convolution of g with the flipped, transposed kernel.

    That is a gather (windows of the padded gradient, one batched matmul), the same data movement as
    the forward, instead of a scatter-add of columns. Returns (gx, gpd): gpd is the padded gradient
    where the row path made one (a scratch buffer, valid until the next convolution), else None.
    """
    n, oc = g.shape[:2]
    nd = len(kernel)
    cg = xshape[1] // groups
    ocg = oc // groups
    w = wmat.reshape((groups, ocg, cg) + tuple(kernel))
    flip = (slice(None),) * 3 + (slice(None, None, -1),) * nd
    wt = xp.ascontiguousarray(w[flip].swapaxes(1, 2)).reshape(groups, cg, -1)
    gpads = tuple((f - lo, f - hi) for f, (lo, hi) in zip(full, pads))
    size = tuple(xshape[2:])
    if nd == 2 and _rows_pay(xp, kernel, (1, 1), cg, wt.shape[2], size[1], size[1] + gpads[1][0] + gpads[1][1]):
        gpd = pad_rows(g, gpads, (kernel[1] - 1) * dilation[1], role="conv.pad")
        gx = quiet(_conv_rows, gpd, wt, kernel, dilation, size, groups, g.dtype)
        return gx.reshape(xshape), gpd
    gpd = pad_zeros(g, gpads, role="conv.pad")
    Lx = int(math.prod(size))
    gx = xp.empty((n, groups, cg, Lx), dtype=g.dtype)
    win = windows(gpd, kernel, (1,) * nd, dilation, size)
    for sl in _chunks(xp, n, oc * int(math.prod(kernel)) * Lx * g.itemsize):
        cols = columns(None, kernel, (1,) * nd, dilation, size, groups, role="conv.cols", win=(win, sl))
        _cb.product(wt, cols, out=gx[sl])
    return gx.reshape(xshape), None


def _scatter_rows_pay(xp, kernel, ocg, cg):
    """Whether the stride-1 gradients pay as _grads_row_shifts rather than the row gather: the
    gather's product has only cg rows (the input channels) against ocg * kh * kw columns of copied
    windows, which BLAS runs far below its peak when cg is small (LeNet's 6-channel conv2)."""
    return _ROWS and xp is np and len(kernel) == 2 and cg < ocg and cg <= 8


def _grads_row_shifts(g, wmat, xpd, xshape, pads, kernel, dilation, groups, need_w):
    """Stride 1 (CPU, 2-D), few input channels per group: both gradients from the output gradient
    widened to whole padded rows with zeros and shifted right by j * dw for each kernel column j,
    images inside the rows: A (groups, kw * ocg, N * oh * Wp), rows (j, o).

    The input's gradient on the padded plane is sum_i T_i shifted down i * dh rows, where
    T = W' (kh * cg, kw * ocg) @ A: the product sums over the output channels and kernel columns
    (K = kw * ocg rather than ocg for a scatter-add per offset), leaving kh whole-row adds. The
    weight's is B @ A^T with B the padded input's rows at each kernel row (cg * kh, N * oh * Wp);
    A^T is built position-major from a position-major copy of the gradient, since BLAS runs the
    product of two position-contiguous operands at half speed. Both products go one image at a
    time: OpenBLAS's small-matrix kernels beat its packed path about 1.3-2x at these sizes.
    A shifted read that falls off a row's start lands in the previous row's widened zeros (or the
    leading zeros), so every extra product has a zero factor: the weight (for the input's gradient)
    and xpd (for the weight's, when need_w) must be finite.
    """
    n, oc, oh, ow = g.shape
    c = xshape[1]
    cg, ocg = c // groups, oc // groups
    kh, kw = kernel
    dh, dw = dilation
    (t, b), (lft, r) = pads
    h, w = xshape[2], xshape[3]
    hp, wp = h + t + b, w + lft + r
    lr = oh * wp
    lead = (kw - 1) * dw
    dt = g.dtype
    # (groups, kh * cg, kw * ocg): rows (i, c), columns (j, o)
    w2 = np.ascontiguousarray(wmat.reshape(groups, ocg, cg, kh, kw).transpose(0, 3, 2, 4, 1))
    w2 = w2.reshape(groups, 1, kh * cg, kw * ocg)
    gx = np.empty((n, c, h, w), dt)
    gw = None
    if need_w:
        s = xpd.strides
        gw = np.zeros((groups, cg * kh, kw * ocg), dt)
    for sl in _chunks(np, n, (2 * kw * oc + kh * c) * lr * g.itemsize // 4):
        nb = sl.stop - sl.start
        L = nb * lr
        buf = scratch("conv.grows", (oc, lead + L), dt)
        buf[:, :lead] = 0
        body = buf[:, lead:].reshape(oc, nb, oh, wp)
        body[..., ow:] = 0
        body[..., :ow] = g[sl].transpose(1, 0, 2, 3)
        buf = buf.reshape(groups, ocg, lead + L)
        a = scratch("conv.cols", (groups, kw, ocg, L), dt)
        for j in range(kw):
            o0 = lead - j * dw
            a[:, j] = buf[..., o0:o0 + L]
        per_image = a.reshape(groups, kw * ocg, nb, lr).transpose(0, 2, 1, 3)
        z = scratch("conv.rows", (groups, kh * cg, nb, lr), dt)
        np.matmul(w2, per_image, out=z.transpose(0, 2, 1, 3))
        z = z.reshape(groups, kh, cg, nb, oh, wp)
        acc = scratch("conv.pad", (groups, cg, nb, hp, wp), dt)
        acc.fill(0)
        for i in range(kh):
            y0 = i * dh
            acc[:, :, :, y0:y0 + oh] += z[:, i]
        gx[sl] = acc[..., t:t + h, lft:lft + w].reshape(c, nb, h, w).transpose(1, 0, 2, 3)
        if need_w:
            # gt: the widened gradient position-major (lead + L, OC); A^T[m, (kw-1-j, o)] = gt[m + (kw-1-j) * dw, o]
            gt = scratch("conv.gpos", (lead + L, oc), dt)
            gt[:lead] = 0
            gbody = gt[lead:].reshape(nb, oh, wp, oc)
            gbody[:, :, ow:] = 0
            gbody[:, :, :ow] = g[sl].transpose(0, 2, 3, 1)
            q = gt.strides
            at = scratch("conv.apos", (groups, L, kw, ocg), dt)
            np.copyto(at, np.lib.stride_tricks.as_strided(gt, (groups, L, kw, ocg),
                                                          (q[1] * ocg, q[0], q[0] * dw, q[1])))
            v = np.lib.stride_tricks.as_strided(xpd[sl], (groups, cg, kh, nb, oh, wp),
                                                (s[1] * cg, s[1], s[2] * dh, s[0], s[2], s[3]))
            rows = scratch("conv.xrows", v.shape, dt)
            np.copyto(rows, v)
            rows = rows.reshape(groups, cg * kh, nb, lr).transpose(0, 2, 1, 3)
            gw += np.matmul(rows, at.reshape(groups, nb, lr, kw * ocg)).sum(axis=1)
    if gw is not None:
        # (groups, cg, kh, kw reversed, ocg) -> (OC, cg, kh, kw)
        gw = gw.reshape(groups, cg, kh, kw, ocg)[:, :, :, ::-1].transpose(0, 4, 1, 2, 3).reshape(oc, cg, kh, kw)
    return gx, gw


def _input_grad_scatter(xp, g, wmat, xshape, pads, kernel, stride, dilation, out, groups):
    """Strided convolutions: multiply by the transposed weight, then add the columns back (col2im)."""
    n, oc = g.shape[:2]
    L = int(math.prod(out))
    # Batch-last columns (*out, C, *kernel, N): each small matmul is one output position, and the
    # scatter below adds runs of out[-1] * N contiguous elements instead of out[-1].
    nd = len(out)
    gt = xp.ascontiguousarray(g.reshape(n, oc, L).transpose(2, 1, 0)).reshape(L, groups, oc // groups, n)
    gcols = _cb.product(wmat.swapaxes(1, 2), gt).reshape(tuple(out) + (xshape[1],) + tuple(kernel) + (n,))
    order = (nd,) + tuple(range(nd + 1, 2 * nd + 1)) + tuple(range(nd)) + (2 * nd + 1,)
    padded = (xshape[1],) + tuple(s + lo + hi for s, (lo, hi) in zip(xshape[2:], pads)) + (n,)
    gx = scatter_windows(gcols.transpose(order), padded, kernel, stride, dilation, out, lead=1)
    gx = _crop_mid(gx, pads)
    return xp.ascontiguousarray(xp.moveaxis(gx, -1, 0))


def weight_grad_t(xp_, g, kernel, stride, dilation, groups):
    """A convolution's weight gradient as a convolution of Tensors: the zero-padded input xp_ (batch and
    channels swapped) convolved with g as the kernel, stride and dilation exchanged, cropped to kernel."""
    from .shape import cat

    nd = len(kernel)
    cg, og = xp_.shape[1] // groups, g.shape[1] // groups
    keep = (slice(None), slice(None)) + tuple(slice(0, k) for k in kernel)
    parts = []
    for i in range(groups):
        xi = xp_[:, i * cg:(i + 1) * cg].transpose(0, 1)
        gi = g[:, i * og:(i + 1) * og].transpose(0, 1)
        r = _conv_arrays(xi, gi, None, dilation, ((0, 0),) * nd, stride, 1)
        parts.append(r[keep].transpose(0, 1))
    return parts[0] if groups == 1 else cat(parts, 0)


def _check(x, w, b, nd, stride, padding, dilation, groups):
    xd, wd = x._data, w._data
    if w._device is not x._device:
        C.device_mismatch(x, w)
    if wd.ndim != nd + 2:
        raise RuntimeError(
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input "
            f"[{', '.join(map(str, xd.shape))}], but got {wd.ndim}-dimensional weight of size "
            f"[{', '.join(map(str, wd.shape))}] instead"
        )
    if xd.dtype != wd.dtype:
        raise RuntimeError(
            f"Input type ({_type_name(x)}) and weight type ({_type_name(w)}) should be the same or input "
            "should be a MKLDNN tensor and weight is a dense tensor"
        )
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        raise RuntimeError("negative padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    shape_w = ", ".join(map(str, wd.shape))
    if wd.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight "
            f"of size [[{shape_w}]] instead"
        )
    if xd.shape[1] != wd.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size [{shape_w}], expected input[{', '.join(map(str, xd.shape))}] "
            f"to have {wd.shape[1] * groups} channels, but got {xd.shape[1]} channels instead"
        )
    if b is not None:
        if b._device is not x._device:
            C.device_mismatch(x, b)
        if b._data.ndim != 1 or b._data.shape[0] != wd.shape[0]:
            raise RuntimeError(
                f"Given weight of size [{shape_w}], expected bias to be 1-dimensional with {wd.shape[0]} elements, "
                f"but got bias of size [{', '.join(map(str, b._data.shape))}] instead"
            )
        if b._data.dtype != xd.dtype:
            raise RuntimeError(
                f"Input type ({_c_name(xd.dtype)}) and bias type ({_c_name(b._data.dtype)}) should be the same"
            )
    padded = [s + lo + hi for s, (lo, hi) in zip(xd.shape[2:], padding)]
    eff = [d * (k - 1) + 1 for k, d in zip(wd.shape[2:], dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size"
        )


def _c_name(dt):
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(dt.name, dt.name)


_SAME_WARNING = [
    "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of the "
    "input be created"
]


def _padding(padding, nd, stride, kernel, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # Like PyTorch, say once per process that uneven padding costs a padded copy.
            if _SAME_WARNING and any(d % 2 and k % 2 == 0 for k, d in zip(kernel, dilation)):
                warnings.warn(_SAME_WARNING.pop(), UserWarning, stacklevel=4)
            return same_padding(kernel, dilation)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    return tuple((p, p) for p in _expand(padding, nd, "padding"))


def convolution(x, w, b, stride, padding, dilation, groups, nd):
    """N-d convolution of x (N, C, *S) or unbatched (C, *S) with w (OC, C/groups, *K)."""
    if _amp.active:
        x, w, b = _amp.cast("conv2d", x, w, b)
    xd = x._data
    if xd.dtype.kind == "b" and nd < 3:
        C.no_kernel(x, "slow_conv2d_cpu")
    if xd.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to conv{nd}d, but got input of size: "
            f"[{', '.join(map(str, xd.shape))}]"
        )
    if xd.ndim == nd + 1:
        from .shape import squeeze, unsqueeze

        return squeeze(convolution(unsqueeze(x, 0), w, b, stride, padding, dilation, groups, nd), 0)
    stride = _expand(stride, nd, "stride")
    dilation = _expand(dilation, nd, "dilation")
    kernel = tuple(w._data.shape[2:]) if w._data.ndim == nd + 2 else (1,) * nd
    pads = _padding(padding, nd, stride, kernel, dilation)
    _check(x, w, b, nd, stride, pads, dilation, groups)
    return _conv_arrays(x, w, b, stride, pads, dilation, groups)


def _conv_arrays(x, w, b, stride, pads, dilation, groups):
    xd, wd = x._data, w._data
    xp = get_xp(xd)
    kernel = wd.shape[2:]
    n = xd.shape[0]
    oc = wd.shape[0]
    needs_grad = (x._rg or w._rg or (b is not None and b._rg)) and _grad_state.enabled
    out = tuple((n_ + lo + hi - d * (k - 1) - 1) // s + 1
                for n_, (lo, hi), k, s, d in zip(xd.shape[2:], pads, kernel, stride, dilation))
    L = 1
    for o in out:
        L *= o
    ck = wd[0].size
    keep_xpd = needs_grad and w._rg
    wmat = wd.reshape(groups, oc // groups, ck)
    rows = len(kernel) == 2 and _rows_pay(xp, kernel, stride, oc // groups, ck, out[-1],
                                          xd.shape[-1] + pads[-1][0] + pads[-1][1])
    if rows:
        xpd = pad_rows(xd, pads, (kernel[1] - 1) * dilation[1], role=None if keep_xpd else "conv.pad")
        # A non-finite bias stays a separate add: in the product, BLAS's padding lanes would meet it
        # with zeros and raise NumPy's invalid-value warning.
        rows_b = b is not None and bool(np.isfinite(b._data).all())
        y = quiet(_conv_rows, xpd, wmat, kernel, dilation, out, groups, xd.dtype, b._data if rows_b else None)
    else:
        xpd = pad_zeros(xd, pads, role=None if keep_xpd else "conv.pad")
        y = xp.empty((n, groups, oc // groups, L), dtype=xd.dtype)
        win = windows(xpd, kernel, stride, dilation, out)
        for sl in _chunks(xp, n, groups * ck * L * xd.itemsize):
            cols = columns(None, kernel, stride, dilation, out, groups, role="conv.cols", win=(win, sl))
            _cb.product(wmat, cols, out=y[sl])
    y = y.reshape((n, oc) + out)
    if b is not None and not (rows and rows_b):
        y += b._data.reshape((1, oc) + (1,) * len(out))
    if needs_grad:
        ex, ew = edge(x), edge(w)
        node = ConvolutionBackward0((ex, ew, edge(b) if b is not None else None))
        node.xpd = xpd if keep_xpd else None
        node.wmat = wmat if ex is not None else None
        node.geom = (xd.shape, pads, kernel, stride, dilation, out, groups)
        node.rows = rows
        save_check(node, (x, xd), (w, wd))
        return wrap_grad(y, x._device, node)
    return wrap(y, x._device)


@tensor_args
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return convolution(input, weight, bias, stride, padding, dilation, groups, 1)


@tensor_args
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return convolution(input, weight, bias, stride, padding, dilation, groups, 2)


@tensor_args
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return convolution(input, weight, bias, stride, padding, dilation, groups, 3)


# ---- padding modes other than zeros -------------------------------------------------------------


def _source_index(n, lo, hi, mode):
    """For each padded position along one dim, the input position it copies."""
    p = np.arange(-lo, n + hi)
    if mode == "reflect":
        return (n - 1) - np.abs((n - 1) - np.abs(p))
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    return p % n


class ReflectionPadBackward(Node):
    """Each padded position copies one input position: the gradient sums back per axis."""

    __slots__ = ("maps", "_name")

    def name(self):
        return self._name

    def backward(self, g):
        xp = get_xp(g)
        lead = g.ndim - len(self.maps)
        for i, m in enumerate(self.maps):
            ax = lead + i
            g = xp.moveaxis(_cb.product(xp.moveaxis(g, ax, -1), xp.asarray(m, dtype=g.dtype)), -1, ax)
        return (g,)

    def backward_graph(self, g):
        from ..autograd.higher_order import linear_map

        return (linear_map(lambda a: self.backward(a)[0], self._pad, g),)

    def _pad(self, x):
        """The forward as a linear map: each padded position copies its input position."""
        xp = get_xp(x)
        lead = x.ndim - len(self.maps)
        for i, m in enumerate(self.maps):
            ax = lead + i
            x = xp.moveaxis(_cb.product(xp.moveaxis(x, ax, -1), xp.asarray(m, dtype=x.dtype).T), -1, ax)
        return x


_PAD_NAMES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
              "circular": "xptorch::autograd::CopySlices"}


def pad_mode(x, pads, mode):
    """x padded by (left, right) per trailing dim with mode 'reflect', 'replicate' or 'circular'."""
    xd = x._data
    xp = get_xp(xd)
    nd = len(pads)
    sizes = xd.shape[xd.ndim - nd:]
    for i, (n, (lo, hi)) in enumerate(zip(sizes, pads)):
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({lo}, {hi}) at dimension {xd.ndim - nd + i} of input {list(xd.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    idx = [_source_index(n, lo, hi, mode) for n, (lo, hi) in zip(sizes, pads)]
    key = ("pad", mode, tuple(sizes), tuple(pads))
    out = xd[(Ellipsis,) + tuple(constant(xp, xd, key, lambda: tuple(np.ix_(*idx))))]
    if x._rg and _grad_state.enabled:
        node = ReflectionPadBackward((edge(x),))
        # One-hot (padded, input) matrices turn the scatter-add into a matmul per axis.
        node.maps = constant(xp, xd, key + ("maps", xd.dtype.str),
                             lambda: tuple(np.eye(n, dtype=xd.dtype)[i] for n, i in zip(sizes, idx)))
        node._name = _PAD_NAMES[mode].format(nd)
        return wrap_grad(out, x._device, node)
    return wrap(out, x._device)
