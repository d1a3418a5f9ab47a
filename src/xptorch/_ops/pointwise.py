"""Elementwise ops with broadcasting: arithmetic, activations, comparisons."""
import math
import operator

import numpy as np

from .. import _dtype
from ..autograd.grad_mode import state as _grad_state
from ..backend import kernels
from ..autograd.node import Node
from ..amp import _state as _amp
from . import _common as C
from ._common import (
    broadcast_error,
    edge,
    operands,
    quiet,
    save_check,
    save_output_check,
    unbroadcast,
    wrap,
    wrap_grad,
)


_xp = C.get_xp


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

    def backward_graph(self, g):
        gb = None
        if self.next[1] is not None:
            gb = C.sum_to(g if self.alpha == 1 else g * self.alpha, self.sb)
        return (C.sum_to(g, self.sa) if self.next[0] is not None else None, gb)


class SubBackward0(Node):
    __slots__ = ("sa", "sb", "alpha")

    def backward(self, g):
        gb = None
        if self.next[1] is not None:
            gb = unbroadcast(-g if self.alpha == 1 else g * -self.alpha, self.sb)
        return (unbroadcast(g, self.sa) if self.next[0] is not None else None, gb)

    def backward_graph(self, g):
        gb = None
        if self.next[1] is not None:
            gb = C.sum_to(-g if self.alpha == 1 else g * -self.alpha, self.sb)
        return (C.sum_to(g, self.sa) if self.next[0] is not None else None, gb)


class RsubBackward1(Node):
    __slots__ = ("alpha",)

    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha,)

    backward_graph = backward


def _check_alpha(ad, alpha):
    if isinstance(alpha, float) and ad.dtype.kind != "f":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def add(a, b, alpha=1):
    ad, bd = operands(a, b)
    if alpha != 1:
        _check_alpha(ad, alpha)
    try:
        out = ad + bd if alpha == 1 else ad + bd * alpha
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        node = AddBackward0(_binary_edges(a, b))
        node.sa, node.sb, node.alpha = ad.shape, np.shape(bd), alpha
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _is_bool(x):
    return x.__class__ is bool or (isinstance(x, C.Tensor) and x._data.dtype.kind == "b")


def _bool_sub_error(a, b):
    """PyTorch refuses `-` when either side is bool."""
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    raise RuntimeError(
        "Subtraction, the `-` operator, with a bool tensor is not supported. "
        "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
    )


def sub(a, b, alpha=1):
    if a._data.dtype.kind == "b" or _is_bool(b):
        _bool_sub_error(a, b)
    ad, bd = operands(a, b)
    if alpha != 1:
        _check_alpha(ad, alpha)
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
    if a._data.dtype.kind == "b" or b.__class__ is bool:
        _bool_sub_error(a, b)
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
    saves = ("b", "a")  # PyTorch's order: other, then self

    def backward(self, g):
        ga = gb = None
        if self.next[0] is not None:
            ga = unbroadcast(g * self.b, self.sa)
        if self.next[1] is not None:
            gb = unbroadcast(g * self.a, self.sb)
        return (ga, gb)

    def backward_graph(self, g):
        ga = gb = None
        dev = g._device
        if self.next[0] is not None:
            ga = C.sum_to(g * C.saved_in(self, 1, self.b, dev), self.sa)
        if self.next[1] is not None:
            gb = C.sum_to(g * C.saved_in(self, 0, self.a, dev), self.sb)
        return (ga, gb)


def mul(a, b):
    ad, bd = operands(a, b)
    try:
        out = ad * bd
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if (a._rg or (isinstance(b, C.Tensor) and b._rg)) and _grad_state.enabled:
        return wrap_grad(out, a._device, _mul_node(a, ad, b, bd))
    return wrap(out, a._device)


def _mul_node(a, ad, b, bd):
    """Save only what the other side's gradient needs, and version-check exactly that."""
    ea = edge(a)
    if isinstance(b, C.Tensor):
        eb = edge(b)
        node = MulBackward0((ea, eb))
        node.sa, node.sb = ad.shape, bd.shape
        checks = ()
        if ea is not None:
            node.b = bd
            checks = ((C.vcounter(b), b._vc[0], b),)
        else:
            node.b = None
        if eb is not None:
            node.a = ad
            checks += ((C.vcounter(a), a._vc[0], a),)
        else:
            node.a = None
        node._checks = checks
        return node
    node = MulBackward0((ea, None))
    node.sa, node.sb, node.b, node.a = ad.shape, (), bd, None
    return node


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

    def backward_graph(self, g):
        ga = gb = None
        b = C.saved_in(self, 1, self.b, g._device)
        q = g / b
        if self.next[0] is not None:
            ga = C.sum_to(q, self.sa)
        if self.next[1] is not None:
            gb = C.sum_to(-q * C.saved_in(self, 0, self.a, g._device) / b, self.sb)
        return (ga, gb)


def _true_div_operands(a, b):
    ad, bd = operands(a, b)
    if ad.dtype.kind != "f":
        # Integer true division gives the default float dtype, as in PyTorch.
        ad = ad.astype(_dtype.get_default_dtype().np)
        if hasattr(bd, "dtype") and bd.dtype.kind != "f":
            bd = bd.astype(ad.dtype)
    return ad, bd


def div(a, b, rounding_mode=None):
    if rounding_mode is not None:
        return _div_rounded(a, b, rounding_mode)
    ad, bd = _true_div_operands(a, b)
    try:
        out = quiet(operator.truediv, ad, bd)
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


def _float_divmod(xp, x, y):
    """(x // y, x % y) of floats by NumPy's and PyTorch's rule (from fmod: exact quotients, NaN from an infinite
    x, -1 for 1 // -inf), or None where NumPy's own ufuncs run or the operands are integers. CuPy's ufuncs
    compute floor(x / y) and x - floor(x / y) * y, which differ."""
    if xp is np:
        return None
    dt = np.result_type(x.dtype, y.dtype if hasattr(y, "dtype") else y)
    if dt.kind != "f":
        return None
    work = np.float32 if dt.itemsize < 4 else dt  # NumPy computes float16 in float32
    x = x.astype(work, copy=False)
    scalar = not isinstance(y, type(x))
    y = work.type(y) if scalar else y.astype(work, copy=False)
    mod = xp.fmod(x, y)
    div = (x - mod) / y
    fix = (mod != 0) & ((mod < 0) != (bool(y < 0) if scalar else y < 0))
    div = xp.where(fix, div - 1, div)
    mod = xp.where(fix, mod + y, xp.where(mod != 0, mod, xp.copysign(xp.zeros_like(mod), y)))
    low = xp.floor(div)
    snapped = xp.where(div - low > 0.5, low + 1, low)
    q = xp.where(div != 0, snapped, xp.copysign(xp.zeros_like(div), x / y))
    if not scalar:
        zero = y == 0
        q = xp.where(zero, x / y, q)
        mod = xp.where(zero, work.type(np.nan), mod)
    elif y == 0:
        q, mod = x / y, xp.full_like(mod, np.nan)
    return q.astype(dt, copy=False), mod.astype(dt, copy=False)


def floor_divide_arrays(xp, x, y):
    """x // y with NumPy's values on either backend."""
    r = None if xp is np else quiet(_float_divmod, xp, x, y)
    return quiet(xp.floor_divide, x, y) if r is None else r[0]


def _divmod_arrays(xp, x, y):
    """(x // y or None, x % y) with NumPy's values on either backend; the quotient comes free on CuPy."""
    r = None if xp is np else quiet(_float_divmod, xp, x, y)
    return (None, quiet(xp.remainder, x, y)) if r is None else r


def _div_rounded(a, b, mode, name="DivBackward2"):
    if mode not in ("floor", "trunc"):
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{mode}'"
        )
    ad, bd = operands(a, b)
    xp = _xp(ad)
    integral = ad.dtype.kind in "iub" and _xp(bd).asarray(bd).dtype.kind in "iub"
    if integral and not (bd != 0 if type(bd) is int else bool((bd != 0).all())):
        raise RuntimeError("ZeroDivisionError")
    try:
        if mode == "floor":
            out = floor_divide_arrays(xp, ad, bd)
        elif integral:  # exact for integers past 2**53, where x / y in floating point is not
            if ad.dtype.kind == "b":  # bool // int: NumPy has no sign() of bools
                ad = ad.astype(np.int64)
            out = quiet(lambda x, y: xp.floor_divide(xp.abs(x), xp.abs(y)) * (xp.sign(x) * xp.sign(y)), ad, bd)
        else:
            out = quiet(lambda x, y: xp.trunc(x / y), ad, bd)
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        return _zero_grad_result(out, a, b, name)
    return wrap(out, a._device)


class ZeroGradBackward(Node):
    """Rounding ops (sign, floor, ceil, round, rounded division): zero gradient almost everywhere."""

    __slots__ = ("shapes", "_name")

    def backward(self, g):
        xp = _xp(g)
        return tuple(None if s is None else xp.zeros(s, dtype=g.dtype) for s in self.shapes)

    def backward_graph(self, g):
        return tuple(None if a is None else C.const(a, g._device) for a in self.backward(g._data))

    def name(self):
        return self._name


class NotImplementedBackward(Node):
    """An op PyTorch records but cannot differentiate (floor_divide): backward refuses."""

    __slots__ = ("op",)

    def backward(self, g):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")

    def name(self):
        return "torch::autograd::NotImplemented"


def _zero_grad_result(out, a, b, name):
    edges = _binary_edges(a, b) if b is not None else (edge(a),)
    if name == "NotImplemented":
        node = NotImplementedBackward(edges)
        node.op = "floor_divide"
    else:
        node = ZeroGradBackward(edges)
        node.shapes = tuple(None if e is None else t._data.shape for e, t in zip(edges, (a, b)))
        node._name = name
    return wrap_grad(out, a._device, node)


def rounding(a, fn, name):
    """sign/floor/ceil/round/trunc: values from fn, and a zero gradient where a is in the graph."""
    ad = a._data
    out = fn(_xp(ad), ad)
    if a._rg and _grad_state.enabled:
        return _zero_grad_result(out, a, None, name)
    return wrap(out, a._device)


def sign(a):
    def f(xp, d):
        if d.dtype.kind == "b":
            return d.copy()
        out = xp.sign(d)
        if d.dtype.kind == "f":
            out = xp.where(d == d, out, 0).astype(d.dtype)  # sign(nan) is 0 in PyTorch
        return out

    return rounding(a, f, "SignBackward0")


class RemainderBackward(Node):
    """a % b = a - floor(a / b) * b: d/da = 1, d/db = -floor(a / b)."""

    __slots__ = ("sa", "sb", "q", "_name")

    def backward(self, g):
        ga = unbroadcast(g, self.sa) if self.next[0] is not None else None
        gb = unbroadcast(-g * self.q, self.sb) if self.next[1] is not None else None
        return (ga, gb)

    def backward_graph(self, g):
        # floor(a / b) is piecewise constant: its own derivative is zero.
        ga = C.sum_to(g, self.sa) if self.next[0] is not None else None
        gb = C.sum_to(-g * C.const(self.q, g._device), self.sb) if self.next[1] is not None else None
        return (ga, gb)

    def name(self):
        return self._name


def remainder(a, b):
    ad, bd = operands(a, b)
    xp = _xp(ad)
    if ad.dtype.kind in "iub" and _xp(bd).asarray(bd).dtype.kind in "iub":
        if not (bd != 0 if type(bd) is int else bool((bd != 0).all())):
            raise RuntimeError("ZeroDivisionError")
    try:
        q, out = _divmod_arrays(xp, ad, bd)
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    if _wants_grad(a, b):
        edges = _binary_edges(a, b)
        node = RemainderBackward(edges)
        node.sa, node.sb = ad.shape, np.shape(bd)
        if edges[1] is not None:
            node.q = floor_divide_arrays(xp, ad, bd) if q is None else q
        else:
            node.q = None
        node._name = "RemainderBackward0" if edges[1] is None and not isinstance(b, C.Tensor) else "RemainderBackward1"
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class _RdivBackward(Node):
    """b / a for a Python scalar b: PyTorch records it as reciprocal times b."""

    __slots__ = ("a", "b")
    saves = ("a",)

    def backward(self, g):
        a = self.a
        return (-g * self.b / (a * a),)

    def backward_graph(self, g):
        a = C.saved_in(self, 0, self.a, g._device)
        return (-g * self.b / (a * a),)

    def name(self):
        return "MulBackward0"


def rdiv(a, b):
    """b / a for a Python scalar b."""
    ad, bd = _true_div_operands(a, b)
    out = quiet(operator.truediv, bd, ad)
    if a._rg and _grad_state.enabled:
        node = _RdivBackward((edge(a),))
        node.a, node.b = ad, bd
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


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
        if e == 0.5:  # PyTorch's x ** -0.5 is rsqrt: signed zeros and -inf follow 1 / sqrt(x)
            return (g * (0.5 / _xp(self.a).sqrt(self.a)),)
        return (g * (e * self.a ** (e - 1)),)

    def backward_graph(self, g):
        e = self.e
        if e == 0:
            return (g * 0,)
        a = C.saved_in(self, 0, self.a, g._device)
        if e == 2:
            return (g * (2 * a),)
        if e == 0.5:
            return (g * (0.5 / a.sqrt()),)
        return (g * (e * a ** (e - 1)),)


class PowBackward1(Node):
    __slots__ = ("a", "b", "out", "sa", "sb")
    saves = ("a", "b", "out")

    def backward(self, g):
        ga = gb = None
        a, b = self.a, self.b
        xp = _xp(a)
        if self.next[0] is not None:
            # A zero exponent gives a zero gradient even where a ** (b - 1) is infinite.
            ga = unbroadcast(xp.where(b == 0, 0, g * b * a ** (b - 1)).astype(g.dtype, copy=False), self.sa)
        if self.next[1] is not None:
            la = xp.log(xp.where(a > 0, a, 1))
            # d/db a**b at a == 0 is 0 for b >= 0 (PyTorch's convention), nan below.
            la = xp.where(a > 0, la, xp.where((a == 0) & (b >= 0), 0, np.nan)).astype(g.dtype, copy=False)
            gb = unbroadcast(g * self.out * la, self.sb)
        return (ga, gb)

    def backward_graph(self, g):
        ga = gb = None
        dev = g._device
        a, b = C.saved_in(self, 0, self.a, dev), C.saved_in(self, 1, self.b, dev)
        if self.next[0] is not None:
            ga = C.sum_to(where(C.const(self.b == 0, dev), 0.0, g * b * a ** (b - 1)), self.sa)
        if self.next[1] is not None:
            ad = self.a
            pos = C.const(ad > 0, dev)
            la = where(pos, where(pos, a, 1.0).log(),
                       C.const(_xp(ad).where((ad == 0) & (self.b >= 0), 0, np.nan).astype(ad.dtype), dev))
            gb = C.sum_to(g * C.saved_out(self, self.out, dev) * la, self.sb)
        return (ga, gb)


class PowBackward2(Node):
    __slots__ = ("out", "log_base")
    saves = ("out",)

    def backward(self, g):
        if self.log_base == -math.inf:  # 0 ** x: zero gradient for x >= 0 (where out is 0 or 1), as PyTorch
            out = self.out
            return (_xp(g).where(out <= 1, 0, quiet(lambda: g * out * self.log_base)).astype(g.dtype, copy=False),)
        return (g * self.out * self.log_base,)

    def backward_graph(self, g):
        out = C.saved_out(self, self.out, g._device)
        if self.log_base == -math.inf:  # PyTorch's where(x >= 0, 0, ...): its second derivative is NaN there
            return ((g * out * self.log_base).masked_fill(C.const(self.out <= 1, g._device), 0.0),)
        return (g * out * self.log_base,)


def _int_pow(xp, base, exp):
    """Integer powers as PyTorch takes them: a negative exponent gives 1 for base 1, +-1 for base -1, else 0."""
    neg = exp < 0
    out = base ** xp.where(neg, 0, exp)
    special = xp.where(base == 1, 1, xp.where(base == -1, xp.where(exp % 2 == 0, 1, -1), 0))
    return xp.where(neg, special, out).astype(out.dtype, copy=False)


def pow(a, e):
    if _amp.active:
        a, = _amp.cast("pow", a)
    if isinstance(e, C.Tensor):
        ad, ed = operands(a, e)
        try:
            if ad.dtype.kind in "iu" and ed.dtype.kind in "iu":
                out = _int_pow(_xp(ad), ad, ed)
            else:
                out = quiet(operator.pow, ad, ed)
        except ValueError:
            broadcast_error(ad.shape, ed.shape)
        if _wants_grad(a, e):
            node = PowBackward1(_binary_edges(a, e))
            node.a, node.b, node.out, node.sa, node.sb = ad, ed, out, ad.shape, ed.shape
            save_check(node, (a, ad), (e, ed))
            return wrap_grad(out, a._device, node)
        return wrap(out, a._device)
    ad, ev = operands(a, C.scalar_of(e))
    if ad.dtype.kind in "iub" and isinstance(ev, int) and not isinstance(ev, bool) and ev < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if ev == 2 and ad.dtype.kind == "f":
        out = quiet(operator.mul, ad, ad)
    elif ad.dtype.kind == "b":
        # bool ** bool stays bool (x ** True is x, x ** False is True); an int exponent gives int64.
        out = (ad | (not ev)) if isinstance(ev, bool) else ad.astype(np.int64) ** ev
    else:
        out = quiet(operator.pow, ad, ev)
    if a._rg and _grad_state.enabled:
        node = PowBackward0((edge(a),))
        node.a, node.e = ad, ev
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def rpow(a, base):
    """base ** a for a Python scalar base."""
    base = C.scalar_of(base)
    ad, bd = operands(a, base)
    if ad.dtype.kind in "iu" and isinstance(bd, (int, np.integer)):
        out = _int_pow(_xp(ad), bd, ad)
    else:
        out = quiet(operator.pow, bd, ad)
    if a._rg and _grad_state.enabled:
        node = PowBackward2((edge(a),))
        # A Python float keeps the gradient in the output's dtype.
        node.log_base = math.log(base) if base > 0 else (-math.inf if base == 0 else math.nan)
        node.out = out
        t = wrap_grad(out, a._device, node)
        save_output_check(node, t)
        return t
    return wrap(out, a._device)


# ---- unary ----------------------------------------------------------------------------------

class NegBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (-g,)

    backward_graph = backward


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
        a = self.a
        # sign(nan) is 0 in PyTorch, nan in NumPy.
        return (g * ((a > 0).astype(g.dtype) - (a < 0)),)

    def backward_graph(self, g):
        a = self.a
        return (g * C.const((a > 0).astype(g._data.dtype) - (a < 0), g._device),)


def abs(a):
    ad = a._data
    if ad.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return _unary_saving_in(a, ad, ad.__abs__(), AbsBackward0)


def _float_input(a):
    """Integer and bool inputs compute in the default float dtype."""
    ad = a._data
    if ad.dtype.kind != "f":
        ad = ad.astype(_dtype.get_default_dtype().np)
    return ad


class _SavesOut(Node):
    __slots__ = ("out",)
    saves = ("out",)


class ExpBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        return (g * self.out,)

    def backward_graph(self, g):
        return (g * C.saved_out(self, self.out, g._device),)


class SigmoidBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        o = self.out
        if type(g) is np.ndarray and type(o) is np.ndarray and g.dtype == o.dtype and g.shape == o.shape and o.ndim:
            # torch's order, g * (1 - o) * o, in one buffer
            t = np.subtract(1, o)
            np.multiply(g, t, out=t)
            return (np.multiply(t, o, out=t),)
        return (g * (1 - o) * o,)

    def backward_graph(self, g):
        o = C.saved_out(self, self.out, g._device)
        return (g * (1 - o) * o,)


class TanhBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        o = self.out
        return (g * (1 - o * o),)

    def backward_graph(self, g):
        o = C.saved_out(self, self.out, g._device)
        return (g * (1 - o * o),)


class SqrtBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        return (g / (2 * self.out),)

    def backward_graph(self, g):
        return (g / (2 * C.saved_out(self, self.out, g._device)),)


class RsqrtBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        o = self.out
        return (g * -0.5 * o * o * o,)

    def backward_graph(self, g):
        o = C.saved_out(self, self.out, g._device)
        return (g * -0.5 * o * o * o,)


class ReciprocalBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        o = self.out
        return (-g * o * o,)

    def backward_graph(self, g):
        o = C.saved_out(self, self.out, g._device)
        return (-g * o * o,)


class ReluBackward0(_SavesOut):
    __slots__ = ()

    def backward(self, g):
        # The output is the mask (out <= 0 blocks, NaN passes): no separate boolean array is kept.
        out = self.out
        if out.ndim == 0:  # the kernels take arrays of at least one dim
            return (kernels.relu_backward(g.reshape(1), out.reshape(1)).reshape(g.shape),)
        return (kernels.relu_backward(g, out),)

    def backward_graph(self, g):
        # The mask is a constant: relu's second derivative is zero almost everywhere.
        return (where(C.const(~(self.out <= 0), g._device), g, 0.0),)


def _unary_saving_in(a, ad, out, cls):
    """Wrap a unary op's result whose backward needs the input array ad (version-checked)."""
    if a._rg and _grad_state.enabled:
        node = cls((edge(a),))
        node.a = ad
        save_check(node, (a, ad))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _unary_saving_out(a, out, cls):
    if a._rg and _grad_state.enabled:
        node = cls((edge(a),))
        node.out = out
        t = wrap_grad(out, a._device, node)
        save_output_check(node, t)
        return t
    return wrap(out, a._device)


def exp(a):
    if _amp.active:
        a, = _amp.cast("exp", a)
    ad = _float_input(a)
    return _unary_saving_out(a, quiet(_xp(ad).exp, ad), ExpBackward0)


def sqrt(a):
    ad = _float_input(a)
    return _unary_saving_out(a, quiet(_xp(ad).sqrt, ad), SqrtBackward0)


def rsqrt(a):
    ad = _float_input(a)
    xp = _xp(ad)
    return _unary_saving_out(a, quiet(lambda x: 1 / xp.sqrt(x), ad), RsqrtBackward0)


def reciprocal(a):
    ad = _float_input(a)
    return _unary_saving_out(a, quiet(_xp(ad).reciprocal, ad), ReciprocalBackward0)


def tanh(a):
    ad = _float_input(a)
    return _unary_saving_out(a, _xp(ad).tanh(ad), TanhBackward0)


# -log2(e) in float32: exp(-x) as exp2(x * _NEG_LOG2E)
_NEG_LOG2E = np.float32(-1.4426950408889634)


def _sigmoid(x):
    xp = _xp(x)

    def f():
        # exp(-x) may overflow to inf for very negative x; 1 / inf is the right 0.
        if not x.ndim:
            return 1 / (1 + xp.exp(-x))
        if xp is np and x.dtype == np.float16:
            # torch computes half in float32 (exp(-x) overflows float16 for x < -11.1)
            return _sigmoid(x.astype(np.float32)).astype(np.float16)
        if xp is np and x.dtype == np.float32:
            # NumPy's float32 exp2 runs about twice as fast as its exp here. Rounding x * log2(e) to
            # float32 costs a relative error of at most |x| * 2**-24 in exp(-x) (about 30 ulp in the
            # far tail, x < -20, where the result is below 2e-9; within 1e-7 absolute everywhere).
            e = np.multiply(x, _NEG_LOG2E)
            np.exp2(e, out=e)
            e += 1
            return np.divide(1, e, out=e)
        e = xp.negative(x)
        xp.exp(e, out=e)
        e += 1
        return xp.reciprocal(e, out=e)

    return quiet(f)


def sigmoid(a):
    return _unary_saving_out(a, _sigmoid(_float_input(a)), SigmoidBackward0)


def relu(a):
    if a._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    ad = a._data
    out = kernels.relu_forward(ad) if ad.ndim else kernels.relu_forward(ad.reshape(1)).reshape(())
    return _unary_saving_out(a, out, ReluBackward0)


class LogBackward0(Node):
    __slots__ = ("a",)
    saves = ("a",)

    def backward(self, g):
        return (g / self.a,)

    def backward_graph(self, g):
        return (g / C.saved_in(self, 0, self.a, g._device),)


def log(a):
    if _amp.active:
        a, = _amp.cast("log", a)
    ad = _float_input(a)
    return _unary_saving_in(a, ad, quiet(_xp(ad).log, ad), LogBackward0)


class SinBackward0(LogBackward0):
    __slots__ = ()

    def backward(self, g):
        return (g * _xp(self.a).cos(self.a),)

    def backward_graph(self, g):
        return (g * C.saved_in(self, 0, self.a, g._device).cos(),)


class CosBackward0(LogBackward0):
    __slots__ = ()

    def backward(self, g):
        return (-g * _xp(self.a).sin(self.a),)

    def backward_graph(self, g):
        return (-g * C.saved_in(self, 0, self.a, g._device).sin(),)


def sin(a):
    ad = _float_input(a)
    return _unary_saving_in(a, ad, quiet(_xp(ad).sin, ad), SinBackward0)


def cos(a):
    ad = _float_input(a)
    return _unary_saving_in(a, ad, quiet(_xp(ad).cos, ad), CosBackward0)


# ---- clamp, maximum, minimum, where --------------------------------------------------------------

class ClampBackward1(Node):
    """Gradient passes to x where min <= x <= max (boundaries included, as in PyTorch), and to a
    tensor bound where it was the value taken."""

    __slots__ = ("mask", "shape", "lo_mask", "hi_mask", "lo_shape", "hi_shape", "_name")
    saves = ("mask", "lo_mask", "hi_mask")

    def backward(self, g):
        # where, not multiply: an infinite gradient must not become inf * 0 = nan.
        xp = _xp(g)
        out = [unbroadcast(xp.where(self.mask, g, 0), self.shape)]
        if len(self.next) > 1:
            for m, shape in ((self.lo_mask, self.lo_shape), (self.hi_mask, self.hi_shape)):
                out.append(None if m is None else unbroadcast(xp.where(m, g, 0), shape))
        return tuple(out)

    def backward_graph(self, g):
        dev = g._device
        out = [C.sum_to(where(C.const(self.mask, dev), g, 0.0), self.shape)]
        if len(self.next) > 1:
            for m, shape in ((self.lo_mask, self.lo_shape), (self.hi_mask, self.hi_shape)):
                out.append(None if m is None else C.sum_to(where(C.const(m, dev), g, 0.0), shape))
        return tuple(out)

    def name(self):
        return self._name


_CLAMP_NAMES = {
    (False, "both"): "ClampBackward1",
    (False, "min"): "ClampMinBackward0",
    (False, "max"): "ClampMaxBackward0",
    (True, "both"): "ClampBackward0",
    (True, "min"): "ClampMinBackward1",
    (True, "max"): "ClampMaxBackward1",
}


def clamp(a, min=None, max=None, _which="both"):
    if min is None and max is None:
        raise RuntimeError("xptorch.clamp: At least one of 'min' or 'max' must not be None")
    ad = a._data
    lo_t, hi_t = isinstance(min, C.Tensor), isinstance(max, C.Tensor)
    tensor_bounds = lo_t or hi_t
    lo = min._data if lo_t else C.scalar_of(min)
    hi = max._data if hi_t else C.scalar_of(max)
    if ad.dtype.kind != "f" or tensor_bounds:
        ad = _clamp_operand(a, ad, lo, hi, min, max)
    xp = _xp(ad)
    out = ad
    try:
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
    except ValueError:  # tensor bounds that do not broadcast: PyTorch's RuntimeError, not NumPy's
        for bound in (lo, hi):
            if bound is not None and np.shape(bound) != ():
                try:
                    np.broadcast_shapes(ad.shape, np.shape(bound))
                except ValueError:
                    broadcast_error(ad.shape, np.shape(bound))
        raise
    if out is ad:
        out = ad.copy()
    out = out.astype(ad.dtype, copy=False)
    bounds_rg = (lo_t and min._rg) or (hi_t and max._rg)
    if (a._rg or bounds_rg) and _grad_state.enabled:
        edges = (edge(a),)
        if tensor_bounds:
            edges += (edge(min) if lo_t else None, edge(max) if hi_t else None)
        node = ClampBackward1(edges)
        mask = True
        if lo is not None:
            mask = ad >= lo
        if hi is not None:
            mask = mask & (ad <= hi)
        node.mask, node.shape = mask, a._data.shape
        node.lo_mask = node.hi_mask = node.lo_shape = node.hi_shape = None
        if tensor_bounds:
            _clamp_bound_masks(node, ad, lo, hi, min, max)
        node._name = _CLAMP_NAMES[(tensor_bounds, _which)]
        save_check(node, (a, ad))  # PyTorch saves the input: an in-place edit of it is refused at backward
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def _clamp_bound_masks(node, ad, lo, hi, min, max):
    """Where each tensor bound was the value taken (min wins only while min < max)."""
    if lo is not None and node.next[1] is not None:
        m = ad < lo
        if hi is not None:
            m = m & (lo < hi)
        node.lo_mask, node.lo_shape = m, min._data.shape
    if hi is not None and node.next[2] is not None:
        m = ad > hi
        if lo is not None:
            m = m | (hi < lo)
        node.hi_mask, node.hi_shape = m, max._data.shape


def _clamp_operand(a, ad, lo, hi, min, max):
    """Integer and bool inputs promote with their bounds, as `a + bound` would."""
    rt = _dtype._BY_NP[ad.dtype]
    for bound, arr in ((min, lo), (max, hi)):
        if bound is None:
            continue
        if isinstance(bound, C.Tensor):
            rt = _dtype.result_type(rt, _dtype._BY_NP[arr.dtype], ad.ndim, arr.ndim)
        else:
            rt = _dtype.scalar_result_type(rt, arr)
    if rt is _dtype.bool and not isinstance(min, C.Tensor) and not isinstance(max, C.Tensor):
        kind = "clamp_scalar_cpu" if min is not None and max is not None else (
            "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu")
        raise NotImplementedError(f"\"{kind}\" not implemented for 'Bool'")
    return ad.astype(rt.np) if rt.np != ad.dtype else ad


class MaximumBackward0(Node):
    """Ties split the gradient evenly between both inputs."""

    __slots__ = ("a", "b", "sa", "sb", "take_max")
    saves = ("a", "b")

    def backward(self, g):
        a, b = self.a, self.b
        xp = _xp(g)
        half = g.dtype.type(0.5)
        tie = a == b
        # A side loses only where the other is strictly better; with a NaN both get the gradient.
        a_loses, b_loses = (a < b, a > b) if self.take_max else (a > b, a < b)
        ga = gb = None
        if self.next[0] is not None:
            ga = unbroadcast(xp.where(a_loses, 0, xp.where(tie, g * half, g)), self.sa)
        if self.next[1] is not None:
            gb = unbroadcast(xp.where(b_loses, 0, xp.where(tie, g * half, g)), self.sb)
        return (ga, gb)

    def backward_graph(self, g):
        a, b, dev = self.a, self.b, g._device
        tie = C.const(a == b, dev)
        a_loses, b_loses = (a < b, a > b) if self.take_max else (a > b, a < b)
        shared = where(tie, g * 0.5, g)
        ga = gb = None
        if self.next[0] is not None:
            ga = C.sum_to(where(C.const(a_loses, dev), 0.0, shared), self.sa)
        if self.next[1] is not None:
            gb = C.sum_to(where(C.const(b_loses, dev), 0.0, shared), self.sb)
        return (ga, gb)


class MinimumBackward0(MaximumBackward0):
    __slots__ = ()


def _extremum(a, b, take_max):
    if not isinstance(b, C.Tensor):
        raise TypeError(
            f"{'maximum' if take_max else 'minimum'}(): argument 'other' (position 2) must be Tensor, "
            f"not {type(b).__name__}"
        )
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
        xp = _xp(g)
        ga = unbroadcast(xp.where(c, g, 0), self.sa) if self.next[0] is not None else None
        gb = unbroadcast(xp.where(c, 0, g), self.sb) if self.next[1] is not None else None
        return (ga, gb)

    def backward_graph(self, g):
        c = C.const(self.cond, g._device)
        ga = C.sum_to(where(c, g, 0.0), self.sa) if self.next[0] is not None else None
        gb = C.sum_to(where(c, 0.0, g), self.sb) if self.next[1] is not None else None
        return (ga, gb)


def where(cond, a, b):
    cd = cond._data
    if cd.dtype.kind != "b":
        name = _dtype_legacy(cd.dtype)
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {name}")
    a_t, b_t = isinstance(a, C.Tensor), isinstance(b, C.Tensor)
    if a_t:
        dev = a._device
        ad, bd = operands(a, b)
    elif b_t:
        dev = b._device
        bd, ad = operands(b, a)
    else:
        from .._factories import tensor as _tensor

        a = _tensor(a, device=cond._device)
        dev = cond._device
        ad, bd = operands(a, b)
    if cond._device is not dev:
        C.device_mismatch(cond, a if a_t else b)
    try:
        out = _xp(cd).where(cd, ad, bd)
    except ValueError:
        _where_broadcast_error(cd.shape, np.shape(ad), np.shape(bd))
    if (a_t and a._rg or b_t and b._rg) and _grad_state.enabled:
        node = WhereBackward0((edge(a) if a_t else None, edge(b) if b_t else None))
        node.cond, node.sa, node.sb = cd, np.shape(ad), np.shape(bd)
        return wrap_grad(out, dev, node)
    return wrap(out, dev)


def _where_broadcast_error(sc, sa, sb):
    try:
        sca = np.broadcast_shapes(sc, sa)
    except ValueError:
        broadcast_error(sc, sa)
    broadcast_error(sca, sb)


def _dtype_legacy(np_dtype):
    from .._dtype import _BY_NP

    return _BY_NP[np_dtype]._legacy[: -len("Tensor")]


# ---- comparisons and logic (no gradient) -------------------------------------------------------

def compare(a, b, op):
    ad, bd = operands(a, b)
    try:
        out = op(ad, bd)
    except ValueError:
        broadcast_error(ad.shape, np.shape(bd))
    return wrap(out, a._device)


def logical(a, b, fn):
    """fn(a, b) on the arrays: b a tensor on a's device (or a 0-d CPU one), or a Python scalar."""
    ad = a._data
    if isinstance(b, C.Tensor):
        bd = b._data
        if b._device is not a._device:
            bd = C._scalar_from_other_device(a, b)
    else:
        bd = b
    try:
        out = fn(ad, bd)
    except ValueError:
        C.broadcast_error(ad.shape, getattr(bd, "shape", ()))
        raise
    return wrap(out, a._device)


def bitwise(a, b, fn, name):
    ad, bd = operands(a, b)
    if ad.dtype.kind == "f":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_dtype_legacy(ad.dtype)}'")
    try:
        out = fn(ad, bd)
    except ValueError:
        C.broadcast_error(ad.shape, getattr(bd, "shape", ()))
        raise
    return wrap(out, a._device)


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def check_lerp(a, end):
    """lerp takes `end` (a tensor) of the input's dtype only."""
    if isinstance(end, C.Tensor) and end._data.dtype != a._data.dtype:
        raise RuntimeError(f"expected dtype {_CPP_NAMES[a._data.dtype.name]} for `end` but got dtype "
                           f"{_CPP_NAMES[end._data.dtype.name]}")
