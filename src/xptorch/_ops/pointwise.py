"""Elementwise ops with broadcasting: arithmetic, activations, comparisons."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..backend import kernels
from ..autograd.node import Node
from . import _common as C
from ._common import broadcast_error, edge, operands, save_check, unbroadcast, wrap, wrap_grad


def _shape_of(b):
    return b._data.shape if isinstance(b, C.Tensor) else None


def _binary_edges(a, b):
    eb = edge(b) if isinstance(b, C.Tensor) else None
    return (edge(a), eb)


def _check_saved(node, a, ad, b, bd):
    """Version-check exactly the tensors whose arrays the node kept."""
    pairs = []
    if node.a is not None:
        pairs.append((a, ad))
    if isinstance(b, C.Tensor) and node.b is not None:
        pairs.append((b, bd))
    if pairs:
        save_check(node, *pairs)


def _wants_grad(a, b):
    return (a._rg or (isinstance(b, C.Tensor) and b._rg)) and _grad_state.enabled


# ---- add / sub -------------------------------------------------------------------------------

class AddBackward0(Node):
    __slots__ = ("sa", "sb", "alpha")

    def backward(self, g):
        gb = None
        if self.next[1] is not None:
            gb = unbroadcast(g if self.alpha == 1 else g * self.alpha, self.sb)
        return (unbroadcast(g, self.sa) if self.next[0] is not None else None, gb)


class SubBackward0(Node):
    __slots__ = ("sa", "sb", "alpha")

    def backward(self, g):
        gb = None
        if self.next[1] is not None:
            gb = unbroadcast(-g if self.alpha == 1 else g * -self.alpha, self.sb)
        return (unbroadcast(g, self.sa) if self.next[0] is not None else None, gb)


class RsubBackward1(Node):
    __slots__ = ("alpha",)

    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha,)


def add(a, b, alpha=1):
    ad, bd = operands(a, b)
    try:
        out = ad + bd if alpha == 1 else ad + bd * alpha
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        node = AddBackward0(_binary_edges(a, b))
        node.sa, node.sb, node.alpha = ad.shape, np.shape(bd), alpha
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def sub(a, b, alpha=1):
    ad, bd = operands(a, b)
    if ad.dtype.kind == "b" and (isinstance(b, C.Tensor) and bd.dtype.kind == "b"):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    try:
        out = ad - bd if alpha == 1 else ad - bd * alpha
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        node = SubBackward0(_binary_edges(a, b))
        node.sa, node.sb, node.alpha = ad.shape, np.shape(bd), alpha
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def rsub(a, b, alpha=1):
    """b - alpha * a for a Python scalar b."""
    ad, bd = operands(a, b)
    out = bd - ad if alpha == 1 else bd - ad * alpha
    if a._rg and _grad_state.enabled:
        node = RsubBackward1((edge(a),))
        node.alpha = alpha
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


# ---- mul / div --------------------------------------------------------------------------------

class MulBackward0(Node):
    __slots__ = ("a", "b", "sa", "sb")
    saves = ("a", "b")

    def backward(self, g):
        ga = gb = None
        if self.next[0] is not None:
            ga = unbroadcast(g * self.b, self.sa)
        if self.next[1] is not None:
            gb = unbroadcast(g * self.a, self.sb)
        return (ga, gb)


def mul(a, b):
    ad, bd = operands(a, b)
    try:
        out = ad * bd
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        edges = _binary_edges(a, b)
        node = MulBackward0(edges)
        node.sa, node.sb = ad.shape, np.shape(bd)
        # Save only what the other side's gradient needs.
        node.b = bd if edges[0] is not None else None
        node.a = ad if edges[1] is not None else None
        _check_saved(node, a, ad, b, bd)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class DivBackward0(Node):
    __slots__ = ("a", "b", "sa", "sb")
    saves = ("a", "b")

    def backward(self, g):
        ga = gb = None
        q = g / self.b
        if self.next[0] is not None:
            ga = unbroadcast(q, self.sa)
        if self.next[1] is not None:
            gb = unbroadcast(-q * self.a / self.b, self.sb)
        return (ga, gb)


def _true_div_operands(a, b):
    ad, bd = operands(a, b)
    if ad.dtype.kind != "f":
        # Integer true division gives the default float dtype, as in PyTorch.
        ad = ad.astype(np.float32)
        if isinstance(bd, np.ndarray) or hasattr(bd, "dtype"):
            if bd.dtype.kind != "f":
                bd = bd.astype(np.float32)
    return ad, bd


def div(a, b, rounding_mode=None):
    if rounding_mode is not None:
        return _div_rounded(a, b, rounding_mode)
    ad, bd = _true_div_operands(a, b)
    try:
        out = ad / bd
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        edges = _binary_edges(a, b)
        node = DivBackward0(edges)
        node.sa, node.sb = ad.shape, np.shape(bd)
        node.b = bd
        node.a = ad if edges[1] is not None else None
        _check_saved(node, a, ad, b, bd)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _div_rounded(a, b, mode):
    ad, bd = operands(a, b)
    if mode == "floor":
        out = ad // bd if ad.dtype.kind in "iub" else np.floor(ad / bd)
    elif mode == "trunc":
        out = np.trunc(ad / bd).astype(ad.dtype) if ad.dtype.kind in "iu" else np.trunc(ad / bd)
    else:
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{mode}'"
        )
    return wrap(out, a._device)


class ReciprocalBackward0(Node):
    __slots__ = ("out",)
    saves = ("out",)

    def backward(self, g):
        return (-g * self.out * self.out,)


def rdiv(a, b):
    """b / a for a Python scalar b."""
    ad, bd = _true_div_operands(a, b)
    out = bd / ad
    if a._rg and _grad_state.enabled:
        node = _RdivBackward((edge(a),))
        node.a, node.b = ad, bd
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class _RdivBackward(Node):
    __slots__ = ("a", "b")
    saves = ("a",)

    def backward(self, g):
        return (-g * self.b / (self.a * self.a),)

    def name(self):
        return "MulBackward0"


# ---- pow ----------------------------------------------------------------------------------

class PowBackward0(Node):
    __slots__ = ("a", "e")
    saves = ("a",)

    def backward(self, g):
        e = self.e
        if e == 0:
            return (g * 0,)
        if e == 2:
            return (g * (2 * self.a),)
        return (g * (e * self.a ** (e - 1)),)


class PowBackward1(Node):
    __slots__ = ("a", "b", "out", "sa", "sb")
    saves = ("a", "b", "out")

    def backward(self, g):
        ga = gb = None
        a, b = self.a, self.b
        if self.next[0] is not None:
            ga = unbroadcast(g * b * a ** (b - 1), self.sa)
        if self.next[1] is not None:
            xp = np if isinstance(a, np.ndarray) else _xp(a)
            la = xp.log(xp.where(a > 0, a, 1))
            gb = unbroadcast(g * self.out * xp.where(a > 0, la, xp.where(a == 0, 0, np.nan)), self.sb)
        return (ga, gb)


class PowBackward2(Node):
    __slots__ = ("out", "base")
    saves = ("out",)

    def backward(self, g):
        return (g * self.out * np.log(self.base),)


def _xp(arr):
    from ..backend import get_array_module

    return get_array_module(arr)


def pow(a, e):
    if isinstance(e, C.Tensor):
        ad, ed = operands(a, e)
        out = ad ** ed
        if _wants_grad(a, e):
            node = PowBackward1(_binary_edges(a, e))
            node.a, node.b, node.out, node.sa, node.sb = ad, ed, out, ad.shape, ed.shape
            save_check(node, (a, ad), (e, ed))
            return wrap_grad(out, a._device, node)
        return wrap(out, a._device)
    ad, ev = operands(a, C.scalar_of(e))
    if ad.dtype.kind in "iu" and isinstance(ev, int) and ev < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    out = ad * ad if ev == 2 else ad ** ev
    if a._rg and _grad_state.enabled:
        node = PowBackward0((edge(a),))
        node.a, node.e = ad, ev
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def rpow(a, base):
    """base ** a for a Python scalar base."""
    ad, bd = operands(a, C.scalar_of(base))
    out = bd ** ad
    if ad.dtype.kind != "f" and isinstance(base, float):
        out = out.astype(np.float32)
    if a._rg and _grad_state.enabled:
        node = PowBackward2((edge(a),))
        node.out, node.base = out, base
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


# ---- unary ----------------------------------------------------------------------------------

class NegBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (-g,)


def neg(a):
    ad = a._data
    if ad.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    out = -ad
    if a._rg and _grad_state.enabled:
        return wrap_grad(out, a._device, NegBackward0((edge(a),)))
    return wrap(out, a._device)


class AbsBackward0(Node):
    __slots__ = ("a",)
    saves = ("a",)

    def backward(self, g):
        xp = _xp(self.a)
        return (g * xp.sign(self.a),)


def abs(a):
    ad = a._data
    out = ad if ad.dtype.kind == "b" else (ad.__abs__())
    if a._rg and _grad_state.enabled:
        node = AbsBackward0((edge(a),))
        node.a = ad
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _float_input(a, what):
    ad = a._data
    if ad.dtype.kind != "f":
        ad = ad.astype(np.float32)
    return ad


class _SavesOut(Node):
    __slots__ = ("out",)
    saves = ("out",)


class ExpBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        return (g * self.out,)


class SigmoidBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        o = self.out
        return (g * o * (1 - o),)


class TanhBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        o = self.out
        return (g * (1 - o * o),)


class SqrtBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        return (g / (2 * self.out),)


class ReluBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        # The output's sign is the mask: no separate boolean array is kept.
        return (g * (self.out > 0),)


def _unary_saving_out(a, out, cls):
    if a._rg and _grad_state.enabled:
        node = cls((edge(a),))
        node.out = out
        t = wrap_grad(out, a._device, node)
        node._checks = ((C.vcounter(t), 0, out),)
        return t
    return wrap(out, a._device)


def _ufunc(a, name):
    ad = _float_input(a, name)
    return getattr(_xp(ad), name)(ad)


def exp(a):
    return _unary_saving_out(a, _ufunc(a, "exp"), ExpBackward0)


def sqrt(a):
    return _unary_saving_out(a, _ufunc(a, "sqrt"), SqrtBackward0)


def tanh(a):
    return _unary_saving_out(a, _ufunc(a, "tanh"), TanhBackward0)


def sigmoid(a):
    ad = _float_input(a, "sigmoid")
    xp = _xp(ad)
    # Split by sign so exp never overflows.
    e = xp.exp(-xp.abs(ad))
    out = xp.where(ad >= 0, 1 / (1 + e), e / (1 + e)).astype(ad.dtype, copy=False)
    return _unary_saving_out(a, out, SigmoidBackward0)


def relu(a):
    out = kernels.relu_forward(a._data)
    return _unary_saving_out(a, out, ReluBackward0)


class LogBackward0(Node):
    __slots__ = ("a",)
    saves = ("a",)

    def backward(self, g):
        return (g / self.a,)


def log(a):
    ad = _float_input(a, "log")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _xp(ad).log(ad)
    if a._rg and _grad_state.enabled:
        node = LogBackward0((edge(a),))
        node.a = ad
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class ClampBackward1(Node):
    __slots__ = ("mask",)
    saves = ("mask",)

    def backward(self, g):
        return (g * self.mask,)


def clamp(a, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None".replace("torch", "xptorch"))
    ad = a._data
    lo = min._data if isinstance(min, C.Tensor) else min
    hi = max._data if isinstance(max, C.Tensor) else max
    if ad.dtype.kind != "f" and (isinstance(lo, float) or isinstance(hi, float)):
        ad = ad.astype(np.float32)
    xp = _xp(ad)
    out = ad
    if lo is not None:
        out = xp.maximum(out, lo)
    if hi is not None:
        out = xp.minimum(out, hi)
    if out is ad:
        out = ad.copy()
    if a._rg and _grad_state.enabled:
        node = ClampBackward1((edge(a),))
        mask = True
        if lo is not None:
            mask = ad >= lo
        if hi is not None:
            mask = mask & (ad <= hi)
        node.mask = mask
        return wrap_grad(out.astype(ad.dtype, copy=False), a._device, node)
    return wrap(out.astype(ad.dtype, copy=False), a._device)


class MaximumBackward0(Node):
    __slots__ = ("a", "b", "sa", "sb", "take_max")
    saves = ("a", "b")

    def backward(self, g):
        a, b = self.a, self.b
        first = (a > b) if self.take_max else (a < b)
        tie = (a == b) * 0.5
        wa = first + tie
        wb = (1 - first.astype(g.dtype)) - tie
        ga = unbroadcast(g * wa, self.sa) if self.next[0] is not None else None
        gb = unbroadcast(g * wb, self.sb) if self.next[1] is not None else None
        return (ga, gb)


class MinimumBackward0(MaximumBackward0):
    __slots__ = ()


def _extremum(a, b, take_max):
    ad, bd = operands(a, b)
    xp = _xp(ad)
    try:
        out = xp.maximum(ad, bd) if take_max else xp.minimum(ad, bd)
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        node = (MaximumBackward0 if take_max else MinimumBackward0)(_binary_edges(a, b))
        node.a, node.b, node.sa, node.sb, node.take_max = ad, bd, ad.shape, np.shape(bd), take_max
        save_check(node, (a, ad), (b, bd))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def maximum(a, b):
    return _extremum(a, b, True)


def minimum(a, b):
    return _extremum(a, b, False)


class WhereBackward0(Node):
    __slots__ = ("cond", "sa", "sb")
    saves = ("cond",)

    def backward(self, g):
        c = self.cond
        ga = unbroadcast(g * c, self.sa) if self.next[0] is not None else None
        gb = unbroadcast(g * ~c, self.sb) if self.next[1] is not None else None
        return (ga, gb)


def where(cond, a, b):
    if not isinstance(a, C.Tensor):
        if not isinstance(b, C.Tensor):
            from .._factories import tensor as _t

            a = _t(a, device=cond._device)
        else:
            a = C.Tensor._from_array(_xp(b._data).asarray(a, dtype=b._data.dtype if isinstance(a, (int, float)) and b._data.dtype.kind == "f" else None), b._device)
    cd = cond._data
    if cd.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {C.Tensor._from_array(cd).dtype.name.capitalize()}")
    if cond._device is not a._device:
        C.device_mismatch(cond, a)
    ad, bd = operands(a, b)
    xp = _xp(ad)
    try:
        out = xp.where(cd, ad, bd)
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        node = WhereBackward0(_binary_edges(a, b))
        node.cond, node.sa, node.sb = cd, ad.shape, np.shape(bd)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


# ---- comparisons and logic (no gradient) -------------------------------------------------------

def compare(a, b, op):
    ad, bd = operands(a, b)
    try:
        out = op(ad, bd)
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    return wrap(out, a._device)


def logical(a, b, fn):
    ad = a._data
    bd = b._data if isinstance(b, C.Tensor) else b
    return wrap(fn(ad, bd), a._device)


def bitwise(a, b, fn, name):
    ad, bd = operands(a, b)
    if ad.dtype.kind == "f":
        raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")
    return wrap(fn(ad, bd), a._device)
