"""Matrix products: mm, bmm, matmul and the affine map behind nn.Linear."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..backend import kernels
from ..backend import capture_blas as _cb
from ..autograd.node import Node
from ..amp import _state as _amp
from . import _common as C
from ._common import edge, save_check, wrap, wrap_grad
from ._common import tensor_args


def _dot(a, b):
    """a.dot(b) (the same BLAS call as @ for 2-D operands, with less call overhead); cuBLAS through
    capture_blas while a CUDA graph captures."""
    return a.dot(b) if not _cb.active else _cb.matmul(a, b)


def _shape_str(s):
    return "x".join(str(d) for d in s)


def _check_same(a, b, kind="mm"):
    if b._device is not a._device:
        C.device_mismatch(a, b)
    if a._data.dtype != b._data.dtype:
        _dtype_error(a, b, kind)


def _dtype_error(a, b, kind):
    if kind == "bmm":
        raise RuntimeError(f"expected scalar type {_ln(a)} but found {_ln(b)}")
    if kind == "dot":
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_ln(a)} and {_ln(b)}")
    raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_tn(a)} != {_tn(b)}")


def _tn(t):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "bool": "bool"}.get(t._data.dtype.name, t._data.dtype.name)


def _ln(t):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(t._data.dtype)._legacy[: -len("Tensor")]


class MmBackward0(Node):
    __slots__ = ("a", "b")
    saves = ("b", "a")  # PyTorch's order for saved-tensor hooks: mat2, then self

    def backward(self, g):
        # ndarray.dot: the same BLAS call as @ for 2-D operands, with far less per-call overhead.
        ga = _dot(g, self.b.T) if self.next[0] is not None else None
        gb = _dot(self.a.T, g) if self.next[1] is not None else None
        return (ga, gb)

    def backward_graph(self, g):
        dev = g._device
        ga = g.mm(C.saved_in(self, 1, self.b, dev).t()) if self.next[0] is not None else None
        gb = C.saved_in(self, 0, self.a, dev).t().mm(g) if self.next[1] is not None else None
        return (ga, gb)


def mm(a, b):
    if _amp.active:
        a, b = _amp.cast("mm", a, b)
    ad, bd = a._data, b._data
    if ad.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if bd.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_same(a, b)
    C.no_kernel(a, "addmm_impl_cpu_", ints=True)
    if ad.shape[1] != bd.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(ad.shape)} and {_shape_str(bd.shape)})"
        )
    out = _dot(ad, bd)
    if (a._rg or b._rg) and _grad_state.enabled:
        node = MmBackward0((edge(a), edge(b)))
        _save(node, a, ad, b, bd)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class BmmBackward0(Node):
    __slots__ = ("a", "b")
    saves = ("b", "a")  # PyTorch's order for saved-tensor hooks: mat2, then self

    def backward(self, g):
        xp = C.get_xp(g)
        ga = _cb.product(g, xp.swapaxes(self.b, -1, -2)) if self.next[0] is not None else None
        gb = _cb.product(xp.swapaxes(self.a, -1, -2), g) if self.next[1] is not None else None
        return (ga, gb)

    def backward_graph(self, g):
        dev = g._device
        ga = g.bmm(C.saved_in(self, 1, self.b, dev).transpose(-1, -2)) if self.next[0] is not None else None
        gb = C.saved_in(self, 0, self.a, dev).transpose(-1, -2).bmm(g) if self.next[1] is not None else None
        return (ga, gb)


def bmm(a, b):
    if _amp.active:
        a, b = _amp.cast("bmm", a, b)
    ad, bd = a._data, b._data
    if ad.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if bd.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    C.no_kernel(a, "bmm", ints=True)
    _check_same(a, b, "bmm")
    if ad.shape[0] != bd.shape[0] or ad.shape[2] != bd.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{ad.shape[0]}, {ad.shape[2]}] "
            f"but got: [{bd.shape[0]}, {bd.shape[1]}]."
        )
    out = _cb.product(ad, bd)
    if (a._rg or b._rg) and _grad_state.enabled:
        node = BmmBackward0((edge(a), edge(b)))
        _save(node, a, ad, b, bd)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class MatmulBackward(Node):
    """Broadcasting matmul of 1-D or batched operands; named after the op PyTorch would record."""

    __slots__ = ("a", "b", "sa", "sb", "_name")
    saves = ("a", "b")

    def name(self):
        return self._name

    def backward(self, g):
        a, b, sa, sb = self.a, self.b, self.sa, self.sb
        xp = C.get_xp(g)
        # Restore the dims a 1-D operand lost, so both products are plain (batched) matmuls.
        sa2 = (1,) + sa if len(sa) == 1 else sa
        sb2 = sb + (1,) if len(sb) == 1 else sb
        if len(sa) == 1 and len(sb) == 1:
            g2 = g.reshape(1, 1)
        elif len(sa) == 1:
            g2 = xp.expand_dims(g, -2)
        elif len(sb) == 1:
            g2 = xp.expand_dims(g, -1)
        else:
            g2 = g
        ga = gb = None
        if self.next[0] is not None:
            ga = C.unbroadcast(_cb.product(g2, xp.swapaxes(b.reshape(sb2), -1, -2)), sa2).reshape(sa)
        if self.next[1] is not None:
            gb = C.unbroadcast(_cb.product(xp.swapaxes(a.reshape(sa2), -1, -2), g2), sb2).reshape(sb)
        return (ga, gb)

    def backward_graph(self, g):
        sa, sb, dev = self.sa, self.sb, g._device
        sa2 = (1,) + sa if len(sa) == 1 else sa
        sb2 = sb + (1,) if len(sb) == 1 else sb
        if len(sa) == 1 and len(sb) == 1:
            g2 = g.reshape(1, 1)
        elif len(sa) == 1:
            g2 = g.unsqueeze(-2)
        elif len(sb) == 1:
            g2 = g.unsqueeze(-1)
        else:
            g2 = g
        ga = gb = None
        if self.next[0] is not None:
            b = C.saved_in(self, 1, self.b, dev).reshape(sb2)
            ga = C.sum_to(g2.matmul(b.transpose(-1, -2)), sa2).reshape(sa)
        if self.next[1] is not None:
            a = C.saved_in(self, 0, self.a, dev).reshape(sa2)
            gb = C.sum_to(a.transpose(-1, -2).matmul(g2), sb2).reshape(sb)
        return (ga, gb)


def _save(node, a, ad, b, bd):
    """Keep (and version-check) only the operand each gradient needs: a for b's, b for a's."""
    ea, eb = node.next
    node.a = ad if eb is not None else None
    node.b = bd if ea is not None else None
    if ea is None:
        save_check(node, (a, ad))
    elif eb is None:
        save_check(node, (b, bd))
    else:
        save_check(node, (a, ad), (b, bd))


def _foldable(arr):
    """Whether the leading dims collapse into one without a copy (PyTorch's test before folding)."""
    st, sh = arr.strides, arr.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(arr.ndim - 2))


def _matmul_name(a, b, out):
    """The grad_fn name torch.matmul reports: it depends on which kernel PyTorch dispatches to."""
    ad, bd = a._data, b._data
    d1, d2 = ad.ndim, bd.ndim
    if d1 == 1 and d2 == 1:
        return "DotBackward0"
    if d1 == 2 and d2 == 1:
        return "MvBackward0"
    if d1 == 1 and d2 == 2:
        return "SqueezeBackward4"
    if d1 == 3 and d2 == 3 and ad.shape[0] == 1 and bd.shape[0] != 1:
        d1 = 2  # a single-matrix batch is treated as a matrix
    if d1 == 2 and d2 >= 3 and a._rg:
        # Folded as (b^T a^T)^T: the final transpose needs a copy unless a side has size 1.
        n, m = ad.shape[-2], bd.shape[-1]
        return "TransposeBackward0" if n == 1 or m == 1 or out.size == 0 else "CloneBackward0"
    if d1 >= 3 and d2 == 1 and not b._rg and ad.size and not _foldable(ad):
        return "SqueezeBackward1"
    return "UnsafeViewBackward0"


def _matmul_shape_error(ad, bd):
    d1, d2 = ad.ndim, bd.ndim
    k1 = ad.shape[-1]
    k2 = bd.shape[0] if d2 == 1 else bd.shape[-2]
    if d1 == 1 and d2 == 1:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{k1}] and src [{k2}] to have the same number of "
            f"elements, but got {k1} and {k2} elements respectively"
        )
    if d2 == 1:
        rows = int(np.prod(ad.shape[:-1]))
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k1}), vec ({k2})")
    if d2 == 2:
        rows = int(np.prod(ad.shape[:-1]))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k1} and {_shape_str(bd.shape)})")
    batch = np.broadcast_shapes(ad.shape[:-2], bd.shape[:-2])
    nb = int(np.prod(batch))
    raise RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {k1}] but got: [{nb}, {k2}]."
    )


def matmul(a, b):
    if _amp.active:
        a, b = _amp.cast("matmul", a, b)
    if not isinstance(b, C.Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not {type(b).__name__}")
    ad, bd = a._data, b._data
    if ad.ndim == 2 and bd.ndim == 2:
        return mm(a, b)
    if ad.ndim == 0 or bd.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {ad.ndim}D and {bd.ndim}D"
        )
    if ad.ndim > 2 and bd.ndim > 2:
        try:
            np.broadcast_shapes(ad.shape[:-2], bd.shape[:-2])
        except ValueError:
            C.broadcast_error(ad.shape[:-2], bd.shape[:-2])
    k1 = ad.shape[-1]
    k2 = bd.shape[0] if bd.ndim == 1 else bd.shape[-2]
    if k1 != k2:
        _matmul_shape_error(ad, bd)
    if ad.ndim > 2 and ad.dtype.kind == "b":  # the batched kernel refuses bool before comparing dtypes
        C.no_kernel(a, "bmm")
    _check_same(a, b, "dot" if ad.ndim == 1 and bd.ndim == 1 else "bmm" if ad.ndim > 2 and bd.ndim > 2 else "mm")
    if ad.dtype.kind == "b":
        C.no_kernel(a, "dot" if ad.ndim == 1 and bd.ndim == 1 else "bmm" if ad.ndim > 2 and bd.ndim > 2 else
                    "addmv_impl_cpu" if bd.ndim == 1 else "addmm_impl_cpu_")
    out = _cb.product(ad, bd)
    if (a._rg or b._rg) and _grad_state.enabled:
        node = MatmulBackward((edge(a), edge(b)))
        _save(node, a, ad, b, bd)
        node.sa, node.sb, node._name = ad.shape, bd.shape, _matmul_name(a, b, out)
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


class AddmmBackward0(Node):
    """y = x @ W.T + b (nn.Linear); also covers the fused ReLU variant's affine part."""

    __slots__ = ("x", "w", "lead")
    saves = ("x", "w")

    def backward(self, g):
        x, w = self.x, self.w
        nb, nx, nw = self.next  # PyTorch's order: bias, input, weight (so leaves finish bias first)
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = gw = gb = None
        if nx is not None:
            gx = _dot(g2, w)
            if self.lead is not None:
                gx = gx.reshape(self.lead + (w.shape[1],))
        if nw is not None:
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = _dot(g2.T, x2)
        if nb is not None:
            gb = g2.sum(axis=0)
        return (gb, gx, gw)

    def backward_graph(self, g):
        dev = g._device
        nb, nx, nw = self.next
        g2 = g.reshape(-1, g.shape[-1]) if g.dim() != 2 else g
        gx = gw = gb = None
        if nx is not None:
            gx = g2.mm(C.saved_in(self, 2, self.w, dev))
            if self.lead is not None:
                gx = gx.reshape(self.lead + (self.w.shape[1],))
        if nw is not None:
            x = C.saved_in(self, 1, self.x, dev)
            x2 = x.reshape(-1, x.shape[-1]) if x.dim() != 2 else x
            gw = g2.t().mm(x2)
        if nb is not None:
            gb = g2.sum(dim=0)
        return (gb, gx, gw)


@tensor_args
def linear(input, weight, bias=None):
    """x @ w.T + b with PyTorch's error for mismatched features."""
    x, w, b = input, weight, bias
    if _amp.active:
        x, w, b = _amp.cast("linear", x, w, b)
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
    bd = None
    if b is not None:
        if b._device is not x._device:
            C.device_mismatch(x, b)
        bd = b._data
        if bd.dtype is not xd.dtype and bd.dtype != xd.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_dn(bd)} and {_dn(xd)}")
    out = kernels.linear_forward(xd, wd, bd, relu=False)
    if (x._rg or w._rg or (b is not None and b._rg)) and _grad_state.enabled:
        if b is None:
            cls = LinearNoBiasBackward
        else:
            cls = AddmmBackward0 if xd.ndim == 2 else _LinearNdBackward
        return wrap_grad(out, x._device, _linear_node(cls, x, xd, w, wd, b))
    return wrap(out, x._device)


def _linear_node(cls, x, xd, w, wd, b):
    """The affine node: keeps x only if W needs a gradient and W only if x does (version-checked)."""
    ex = x.grad_fn
    if ex is None and x._rg:
        ex = x
    ew = w.grad_fn
    if ew is None and w._rg:
        ew = w
    eb = None
    if b is not None:
        eb = b.grad_fn
        if eb is None and b._rg:
            eb = b
    node = cls((eb, ex, ew))
    node.lead = xd.shape[:-1] if xd.ndim != 2 else None
    checks = ()
    if ew is not None:
        node.x = xd
        vc = x._vc or C.vcounter(x)
        checks = ((vc, vc[0], x),)
    else:
        node.x = None
    if ex is not None:
        node.w = wd
        vc = w._vc or C.vcounter(w)
        checks += ((vc, vc[0], w),)
    else:
        node.w = None
    node._checks = checks
    return node


def _dn(a):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}.get(a.dtype.name, a.dtype.name)


class _LinearNdBackward(AddmmBackward0):
    __slots__ = ()

    def name(self):
        return "ViewBackward0"


class LinearNoBiasBackward(AddmmBackward0):
    __slots__ = ()

    def name(self):
        # The names of x @ w.T: a matrix, a vector (1-D @ 2-D), or a batch folded into one matrix.
        if self.lead is None:
            return "MmBackward0"
        return "SqueezeBackward4" if self.lead == () else "UnsafeViewBackward0"


class LinearReluBackward(AddmmBackward0):
    """Fused linear + ReLU: the output's sign masks the incoming gradient, then the affine backward."""

    __slots__ = ("out",)
    saves = ("x", "w", "out")

    def name(self):
        return "ReluBackward0"

    def backward(self, g):
        return AddmmBackward0.backward(self, kernels.relu_backward(g, self.out))

    def backward_graph(self, g):
        from .pointwise import where

        return AddmmBackward0.backward_graph(self, where(C.const(~(self.out <= 0), g._device), g, 0.0))


@tensor_args
def linear_relu(input, weight, bias=None):
    """relu(x @ w.T + b): the GEMM, then one epilogue pass for bias and ReLU; one graph node.

    Values are bit-identical to `relu(linear(x, w, b))`; the result shows grad_fn ReluBackward0.
    """
    x, w, b = input, weight, bias
    if _amp.active:
        x, w, b = _amp.cast("linear", x, w, b)
    xd, wd = x._data, w._data
    if (xd.ndim != 2 or w._device is not x._device or (xd.dtype is not wd.dtype and xd.dtype != wd.dtype)
            or xd.shape[1] != wd.shape[1]
            or (b is not None and (b._device is not x._device or b._data.dtype != xd.dtype))):
        return _relu(linear(x, w, b))
    out = kernels.linear_forward(xd, wd, None if b is None else b._data, relu=True)
    if (x._rg or w._rg or (b is not None and b._rg)) and _grad_state.enabled:
        node = _linear_node(LinearReluBackward, x, xd, w, wd, b)
        node.out = out
        t = wrap_grad(out, x._device, node)
        # The output is saved too; its entry names the op instead of holding the tensor (no cycle).
        vc = t._vc = [0]
        node._checks += ((vc, 0, (out.dtype, out.shape, "ReluBackward0", x._device.type == "cuda")),)
        return t
    return wrap(out, x._device)


def _relu(t):
    from .pointwise import relu

    return relu(t)


class MvBackward0(Node):
    __slots__ = ("a", "v")
    saves = ("a", "v")

    def backward(self, g):
        xp = C.get_xp(g)
        ga = xp.multiply.outer(g, self.v) if self.next[0] is not None else None
        gv = _dot(g, self.a) if self.next[1] is not None else None
        return (ga, gv)

    def backward_graph(self, g):
        dev = g._device
        ga = C.saved_in(self, 1, self.v, dev) * g.reshape(-1, 1) if self.next[0] is not None else None
        gv = g @ C.saved_in(self, 0, self.a, dev) if self.next[1] is not None else None
        return (ga, gv)


def mv(a, v):
    """Matrix (n, m) times vector (m,)."""
    ad, vd = a._data, v._data
    if ad.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if ad.ndim != 2 or vd.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {ad.ndim}, {vd.ndim}")
    if v._device is not a._device:
        C.device_mismatch(a, v)
    if ad.shape[1] != vd.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({ad.shape[0]}), mat ({_shape_str(ad.shape)}), vec ({vd.shape[0]})"
        )
    if ad.dtype != vd.dtype:
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {_ln(v)}, {_ln(a)}, and {_ln(v)}"
        )
    out = _dot(ad, vd)
    if (a._rg or v._rg) and _grad_state.enabled:
        node = MvBackward0((edge(a), edge(v)))
        node.a, node.v = ad, vd
        save_check(node, (a, ad), (v, vd))
        return wrap_grad(out, a._device, node)
    return wrap(out, a._device)


def outer(a, b):
    """a[i] * b[j]: PyTorch builds it as a broadcast product, so the gradient is a MulBackward0."""
    for t, name in ((a, "self"), (b, "vec2")):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    from . import pointwise, shape

    return pointwise.mul(shape.reshape(a, -1, 1), b)


# c10's lowercase scalar type names, as PyTorch's bilinear() writes them.
_C10_NAMES = {"float32": "float", "float64": "double", "float16": "half", "int64": "long", "int32": "int",
              "int16": "short", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = Σ_ij input1[..., i]·weight[o, i, j]·input2[..., j] + bias[o], over any matching batch dims."""
    for i, (t, name) in enumerate(((input1, "input1"), (input2, "input2"), (weight, "weight"))):
        C.need_tensor(t, "bilinear", name, i + 1)
    if bias is not None:
        C.need_tensor(bias, "bilinear", "bias", 4)
    ts = [("input1", input1), ("input2", input2), ("weight", weight)] + ([("bias", bias)] if bias is not None else [])
    if len({t._data.dtype for _, t in ts}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got " +
                           ", ".join(f"{n}: {_C10_NAMES.get(t._data.dtype.name, t._data.dtype.name)}" for n, t in ts))
    s1, s2 = tuple(input1.shape), tuple(input2.shape)
    if len(s1) != len(s2):
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {len(s1)} and {len(s2)}")
    for d in range(len(s1) - 1):
        if s1[d] != s2[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {s1[d]} and {s2[d]}")
    n1, n2 = input1.size(-1), input2.size(-1)
    if n1 != weight.size(1):
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {n1} but expected {weight.size(1)}")
    if n2 != weight.size(2):
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {n2} but expected {weight.size(2)}")
    if bias is not None and bias.size(0) != weight.size(0):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.size(0)} but expected {weight.size(0)}")
    if weight.dim() != 3:
        raise RuntimeError("number of dimensions must match")
    a, b = input1.reshape(-1, n1), input2.reshape(-1, n2)
    # (a @ W[o]) · b summed over j, for every o at once: O·N·J memory, not N·O·I·J.
    y = (matmul(a.unsqueeze(0), weight) * b.unsqueeze(0)).sum(-1).t()
    y = y.reshape(*s1[:-1], weight.size(0))
    return y + bias if bias is not None else y
