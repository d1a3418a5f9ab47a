"""Layer ops beyond the pointwise basics: GELU, leaky ReLU, dropout and the embedding lookup."""
import math

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, save_check, wrap, wrap_grad
from ._common import tensor_args

__all__ = ["gelu", "leaky_relu", "leaky_relu_", "dropout", "embedding"]

# Cephes' rational approximations (S. L. Moshier): erf on |x| <= 1, erfc on 1 < |x| < 8.
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)


def _poly(x, coef):
    acc = coef[0]
    for c in coef[1:]:
        acc = acc * x + c
    return acc


def erf(a):
    """Vectorised erf, accurate to double precision; beyond |x| = 8 it is ±1 in any float."""
    xp = get_xp(a)
    # Each branch sees only its own range, so neither overflows where the other applies.
    s = xp.clip(a, -1.0, 1.0)
    z = s * s
    small = s * _poly(z, _T) / _poly(z, _U)
    ax = xp.clip(xp.abs(a), 1.0, 8.0)
    erfc = xp.exp(-ax * ax) * _poly(ax, _P) / _poly(ax, _Q)
    large = xp.copysign(1 - erfc, a)
    return xp.where(xp.abs(a) <= 1, small, large).astype(a.dtype, copy=False)


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)


class GeluBackward0(Node):
    __slots__ = ("x", "tanh")
    saves = ("x",)

    def backward(self, g):
        xp = get_xp(g)
        x = self.x
        if self.tanh:
            inner = _TANH_K * (x + 0.044715 * x * x * x)
            t = xp.tanh(inner)
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_K * (1 + 3 * 0.044715 * x * x)
        else:
            d = 0.5 * (1 + erf(x * _SQRT1_2)) + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return ((g * d).astype(g.dtype, copy=False),)

    def backward_graph(self, g):
        dev = g._device
        x = C.saved_in(self, 0, self.x, dev)
        if self.tanh:
            inner = _TANH_K * (x + 0.044715 * x * x * x)
            t = inner.tanh()
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_K * (1 + 3 * 0.044715 * x * x)
            return (g * d,)
        xd = self.x
        d_arr = (0.5 * (1 + erf(xd * _SQRT1_2)) + xd * _INV_SQRT_2PI * get_xp(xd).exp(-0.5 * xd * xd)).astype(xd.dtype)
        if self.next[0] is None:
            return (g * C.const(d_arr, dev),)
        node = GeluDerivativeBackward((self.next[0],))
        node.x = xd
        return (g * wrap_grad(d_arr, dev, node),)


class GeluDerivativeBackward(Node):
    """Gelu's derivative Phi(x) + x phi(x) as an op of its own; its derivative is phi(x) (2 - x^2)."""

    __slots__ = ("x",)

    def backward(self, g):
        x = self.x
        return (g * _INV_SQRT_2PI * get_xp(x).exp(-0.5 * x * x) * (2 - x * x),)

    def backward_graph(self, g):
        x = C.saved_in(self, 0, self.x, g._device)
        return (g * _INV_SQRT_2PI * (-0.5 * x * x).exp() * (2 - x * x),)


@tensor_args
def gelu(input, approximate="none"):
    """x * Phi(x), or its tanh approximation."""
    C.no_kernel(input, "GeluKernelImpl")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    xd = input._data
    xp = get_xp(xd)
    if approximate == "tanh":
        out = 0.5 * xd * (1 + xp.tanh(_TANH_K * (xd + 0.044715 * xd * xd * xd)))
    else:
        out = 0.5 * xd * (1 + erf(xd * _SQRT1_2))
    out = out.astype(xd.dtype, copy=False)
    if input._rg and _grad_state.enabled:
        node = GeluBackward0((edge(input),))
        node.x, node.tanh = xd, approximate == "tanh"
        save_check(node, (input, xd))
        return wrap_grad(out, input._device, node)
    return wrap(out, input._device)


class LeakyReluBackward0(Node):
    """Slope 1 where the saved input is positive, negative_slope elsewhere."""

    __slots__ = ("x", "slope")
    saves = ("x",)

    def backward(self, g):
        xp = get_xp(g)
        return (xp.where(self.x > 0, g, g * self.slope).astype(g.dtype, copy=False),)

    def backward_graph(self, g):
        from .pointwise import where

        if self.slope < 0 and type(self) is not LeakyReluBackward0:
            return (LeakyReluBackward1.backward(self, g._data),)
        return (where(C.const(self.x > 0, g._device), g, g * self.slope),)


class LeakyReluBackward1(LeakyReluBackward0):
    """In-place form: the saved tensor is the result, whose sign matches the input's for slope >= 0."""

    __slots__ = ()

    def backward(self, g):
        if self.slope < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
                "supported. This is caused by calling in-place forward function with a negative slope, please "
                "call out-of-place version instead."
            )
        return LeakyReluBackward0.backward(self, g)


def _leaky(xd, slope):
    xp = get_xp(xd)
    return xp.where(xd > 0, xd, xd * slope).astype(xd.dtype, copy=False)


@tensor_args
def leaky_relu(input, negative_slope=0.01, inplace=False):
    C.no_kernel(input, "leaky_relu_cpu")
    if inplace:
        return leaky_relu_(input, negative_slope)
    xd = input._data
    out = _leaky(xd, negative_slope)
    if input._rg and _grad_state.enabled:
        node = LeakyReluBackward0((edge(input),))
        node.x, node.slope = xd, negative_slope
        save_check(node, (input, xd))
        return wrap_grad(out, input._device, node)
    return wrap(out, input._device)


@tensor_args
def leaky_relu_(input, negative_slope=0.01):
    C.no_kernel(input, "leaky_relu_cpu")
    from . import inplace as _ip

    _ip.check_inplace(input)
    needs = input._rg and _grad_state.enabled
    if needs and input._base is not None:
        raise RuntimeError(
            "in-place operation on a view of a tensor that requires grad is not supported; use the out-of-place op"
        )
    xd = input._data
    xd[...] = _leaky(xd, negative_slope)
    _ip.bump(input)
    if needs:
        node = LeakyReluBackward1((edge(input),))
        node.x, node.slope = xd, negative_slope
        save_check(node, (input, xd))
        _ip.rebase(input, node)  # also points views taken earlier at the new history
    return input


@tensor_args
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training."""
    C.need_tensor(input, "dropout", "input", 1)
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p < 1 and input._data.dtype.kind in "biu":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype._legacy[:-6]}")
    from .._factories import empty_like
    from .pointwise import mul

    if p == 1:
        mask = empty_like(input).zero_()
    else:
        mask = empty_like(input).bernoulli_(1 - p)
        mask._data *= mask._data.dtype.type(1 / (1 - p))
    return input.mul_(mask) if inplace else mul(input, mask)


class EmbeddingBackward0(Node):
    """Rows of the incoming gradient are summed into the weight rows they were looked up from."""

    __slots__ = ("idx", "num", "padding_idx", "scale")
    saves = ("idx",)

    def backward(self, g):
        xp = get_xp(g)
        idx = self.idx.ravel()
        rows = g.reshape(idx.size, -1)
        if self.scale:
            # Counted with add.at, not bincount: CuPy's bincount reads the largest index back to the host.
            counts = xp.zeros(self.num, dtype=g.dtype)
            xp.add.at(counts, idx, 1)
            rows = rows / counts[idx][:, None]
        gw = xp.zeros((self.num, rows.shape[1]), dtype=g.dtype)
        # add.at on both backends (cupyx.scatter_add is deprecated since CuPy 12).
        xp.add.at(gw, idx, rows)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return (gw,)

    def backward_graph(self, g):
        # Linear in g with the indices as constants: a scatter-add whose own gradient gathers rows.
        from .shape import _scatter_t

        xp = get_xp(self.idx)
        idx = self.idx.ravel()
        rows = g.reshape(idx.size, -1)
        scale = xp.ones(idx.size, dtype=g._data.dtype)
        if self.scale:
            counts = xp.zeros(self.num, dtype=g._data.dtype)
            xp.add.at(counts, idx, 1)  # not bincount: a host sync on CUDA
            scale = scale / counts[idx]
        if self.padding_idx is not None:
            scale = scale * (idx != self.padding_idx)
        if self.scale or self.padding_idx is not None:
            rows = rows * C.const(scale.astype(g._data.dtype)[:, None], g._device)
        return (_scatter_t(rows, (self.num, rows.shape[1]), (idx,), True),)


def _renorm_rows(weight, idx, max_norm, norm_type):
    """Scale the looked-up rows whose norm exceeds max_norm back onto it, in place and untracked."""
    wd = weight._data
    xp = get_xp(wd)
    # A row looked up twice is rescaled twice to the same values, so no unique() (a host sync on CUDA).
    rows = idx.ravel()
    sel = wd[rows]
    if norm_type == math.inf:
        norms = xp.abs(sel).max(axis=1)
    else:
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    scale = xp.where(over, max_norm / (norms + 1e-7), 1.0).astype(wd.dtype)
    wd[rows] = sel * scale[:, None]
    from .inplace import bump

    bump(weight)


@tensor_args
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """weight[input]: rows of weight picked by integer indices."""
    wd = weight._data
    idx = input._data
    if wd.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.dtype.kind not in "iu" or idx.dtype.itemsize not in (4, 8):
        from .._dtype import from_numpy_dtype

        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got xptorch.{from_numpy_dtype(idx.dtype)._legacy} instead (while checking arguments for embedding)"
        )
    if sparse:
        raise NotImplementedError("sparse embedding gradients are not supported; use sparse=False")
    if input._device is not weight._device:
        C.device_mismatch(weight, input)
    num = wd.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if not (padding_idx < num):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if not (padding_idx >= -num):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    if idx.size:
        bad = (idx.min() < 0) | (idx.max() >= num)
        if type(idx) is not np.ndarray:
            # A device-side check (PyTorch's CUDA kernel asserts too): raised at the next sync.
            from ..backend.device_assert import expect_false

            expect_false(bad, "embedding: index out of range in self")
        elif bad:
            raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    out = wd[idx]
    if weight._rg and _grad_state.enabled:
        node = EmbeddingBackward0((edge(weight),))
        node.idx, node.num, node.padding_idx, node.scale = idx, num, padding_idx, bool(scale_grad_by_freq)
        save_check(node, (input, idx))
        return wrap_grad(out, weight._device, node)
    return wrap(out, weight._device)
