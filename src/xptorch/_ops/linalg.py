"""Matrix products: mm, bmm, matmul and the affine map behind nn.Linear."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, save_check, wrap, wrap_grad


def _shape_str(s):
    return "x".join(str(d) for d in s)


def _check_same(a, b):
    if b._device is not a._device:
        C.device_mismatch(a, b)
    if a._data.dtype is not b._data.dtype and a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name_torch()} != {b.dtype.name_torch()}"
            if False else
            f"expected mat1 and mat2 to have the same dtype, but got: {_tn(a)} != {_tn(b)}"
        )


def _tn(t):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "bool": "bool"}.get(t._data.dtype.name, t._data.dtype.name)


class MmBackward0(Node):
    __slots__ = ("a", "b")
    saves = ("a", "b")

    def backward(self, g):
        ga = g @ self.b.T if self.next[0] is not None else None
        gb = self.a.T @ g if self.next[1] is not None else None
        return (ga, gb)


def mm(a, b):
    ad, bd = a._data, b._data
    if ad.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if bd.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    _check_same(a, b)
    if ad.shape[1] != bd.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(ad.shape)} and {_shape_str(bd.shape)})"
        )
    out = ad @ bd
    if (a._rg or b._rg) and _grad_state.enabled:
        ea, eb = edge(a), edge(b)
        node = MmBackward0((ea, eb))
        node.a = ad if eb is not None else None
        node.b = bd if ea is not None else None
        save_check(node, (a, ad), (b, bd))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class BmmBackward0(Node):
    __slots__ = ("a", "b")
    saves = ("a", "b")

    def backward(self, g):
        xp = C.get_xp(g)
        ga = g @ xp.swapaxes(self.b, -1, -2) if self.next[0] is not None else None
        gb = xp.swapaxes(self.a, -1, -2) @ g if self.next[1] is not None else None
        return (ga, gb)


def bmm(a, b):
    ad, bd = a._data, b._data
    if ad.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if bd.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    _check_same(a, b)
    if ad.shape[0] != bd.shape[0] or ad.shape[2] != bd.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{ad.shape[0]}, {ad.shape[2]}] "
            f"but got: [{bd.shape[0]}, {bd.shape[1]}]."
        )
    out = ad @ bd
    if (a._rg or b._rg) and _grad_state.enabled:
        node = BmmBackward0((edge(a), edge(b)))
        node.a, node.b = ad, bd
        save_check(node, (a, ad), (b, bd))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class MatmulBackward(Node):
    """General broadcasting matmul; reported under the op PyTorch would have used."""

    __slots__ = ("a", "b", "_name")
    saves = ("a", "b")

    def name(self):
        return self._name

    def backward(self, g):
        a, b = self.a, self.b
        xp = C.get_xp(g)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if self.next[0] is not None:
            ga = C.unbroadcast(g2 @ xp.swapaxes(b2, -1, -2), a2.shape)
            if a.ndim == 1:
                ga = ga.reshape(a.shape)
        if self.next[1] is not None:
            gb = C.unbroadcast(xp.swapaxes(a2, -1, -2) @ g2, b2.shape)
            if b.ndim == 1:
                gb = gb.reshape(b.shape)
        return (ga, gb)


def matmul(a, b):
    if not isinstance(b, C.Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not {type(b).__name__}")
    ad, bd = a._data, b._data
    if ad.ndim == 2 and bd.ndim == 2:
        return mm(a, b)
    if ad.ndim == 0 or bd.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {ad.ndim}D and {bd.ndim}D"
        )
    _check_same(a, b)
    k_a = ad.shape[-1]
    k_b = bd.shape[0] if bd.ndim == 1 else bd.shape[-2]
    if k_a != k_b:
        if ad.ndim == 1 and bd.ndim == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{ad.shape[0]}] and src [{bd.shape[0]}] to have the same number of elements, but got {ad.shape[0]} and {bd.shape[0]} elements respectively"
            )
        sa = ad.shape if ad.ndim > 1 else (1,) + ad.shape
        sa2 = (int(np.prod(sa[:-1])), sa[-1])
        sb = bd.shape if bd.ndim > 1 else bd.shape + (1,)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa2 if bd.ndim == 2 else sa[-2:])} and {_shape_str(sb[-2:])})"
        )
    try:
        out = ad @ bd
    except ValueError:
        C.broadcast_error(ad.shape[:-2], bd.shape[:-2])
    if (a._rg or b._rg) and _grad_state.enabled:
        node = MatmulBackward((edge(a), edge(b)))
        node.a, node.b = ad, bd
        if ad.ndim == 1 and bd.ndim == 1:
            node._name = "DotBackward0"
        elif ad.ndim == 2 and bd.ndim == 1:
            node._name = "MvBackward0"
        elif ad.ndim == 3 and bd.ndim == 3 and ad.shape[0] == bd.shape[0]:
            node._name = "BmmBackward0"
        elif bd.ndim <= 2:
            node._name = "UnsafeViewBackward0" if ad.ndim > 2 else "SqueezeBackward4"
        else:
            node._name = "UnsafeViewBackward0"
        save_check(node, (a, ad), (b, bd))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class AddmmBackward0(Node):
    """y = x @ W.T + b (nn.Linear); also covers the fused ReLU variant's affine part."""

    __slots__ = ("x", "w", "lead")
    saves = ("x", "w")

    def backward(self, g):
        x, w = self.x, self.w
        nx, nw, nb = self.next
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = gw = gb = None
        if nx is not None:
            gx = g2 @ w
            if self.lead is not None:
                gx = gx.reshape(self.lead + (w.shape[1],))
        if nw is not None:
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = g2.T @ x2
        if nb is not None:
            gb = g2.sum(axis=0)
        return (gx, gw, gb)


class MvLinearBackward(AddmmBackward0):
    __slots__ = ()

    def name(self):
        return "ViewBackward0"


def linear(x, w, b=None):
    """x @ w.T + b with PyTorch's error for mismatched features."""
    xd, wd = x._data, w._data
    if w._device is not x._device:
        C.device_mismatch(x, w)
    if xd.dtype is not wd.dtype and xd.dtype != wd.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dn(xd)} and {_dn(wd)}")
    if xd.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    if xd.shape[-1] != wd.shape[-1]:
        rows = int(np.prod(xd.shape[:-1])) if xd.ndim > 1 else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xd.shape[-1]} and {wd.shape[1]}x{wd.shape[0]})"
        )
    from ..backend import kernels

    bd = None
    if b is not None:
        if b._device is not x._device:
            C.device_mismatch(x, b)
        bd = b._data
    out = kernels.linear_forward(xd, wd, bd, relu=False)
    if (x._rg or w._rg or (b is not None and b._rg)) and _grad_state.enabled:
        edges = (edge(x), edge(w), edge(b) if b is not None else None)
        if b is None:
            node = LinearNoBiasBackward(edges)
        else:
            node = AddmmBackward0(edges) if xd.ndim == 2 else _LinearNdBackward(edges)
        node.x = xd if edges[1] is not None else None
        node.w = wd if edges[0] is not None else None
        node.lead = xd.shape[:-1] if xd.ndim != 2 else None
        save_check(node, (x, xd), (w, wd))
        return wrap_grad(out, x._device, node)
    return wrap(out, x._device)


def _dn(a):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}.get(a.dtype.name, a.dtype.name)


class _LinearNdBackward(AddmmBackward0):
    __slots__ = ()

    def name(self):
        return "ViewBackward0"


class LinearNoBiasBackward(AddmmBackward0):
    __slots__ = ()

    def name(self):
        return "MmBackward0" if self.lead is None else "UnsafeViewBackward0"


class LinearReluBackward(AddmmBackward0):
    """Fused linear + ReLU: the output's sign masks the incoming gradient."""

    __slots__ = ("out",)
    saves = ("x", "w", "out")

    def name(self):
        return "ReluBackward0"

    def backward(self, g):
        return AddmmBackward0.backward(self, g * (self.out > 0))


def linear_relu(x, w, b=None):
    """relu(x @ w.T + b) in one epilogue pass on CUDA; same values as the unfused ops."""
    if not (x._rg or w._rg or (b is not None and b._rg)) or not _grad_state.enabled:
        lin = linear(x, w, b)
        from ..backend import kernels

        lin._data = kernels.relu_inplace(lin._data)
        return lin
    xd, wd = x._data, w._data
    y = linear(x, w, b)
    from ..backend import kernels

    out = kernels.relu_inplace(y._data)
    inner = y.grad_fn
    node = LinearReluBackward(inner.next)
    node.x, node.w, node.lead, node.out = inner.x, inner.w, inner.lead, out
    node._checks = inner._checks
    t = wrap_grad(out, x._device, node)
    return t
