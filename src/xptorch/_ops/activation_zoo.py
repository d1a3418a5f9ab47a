"""Pointwise activations of the model zoo: SiLU, ELU, SELU, CELU, Softplus, Hardtanh/ReLU6, Mish,
Hardswish, Hardsigmoid, LogSigmoid, Softshrink, Hardshrink, Threshold, PReLU and RReLU.

Each op is its forward and, beside it, its derivative as a function of the saved input (and output).
Sigmoids are written through tanh and exponentials are taken only where they cannot overflow.
"""
import numpy as np

from ..amp import _state as _amp
from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, save_check, unbroadcast, wrap, wrap_grad
from ._common import tensor_args

__all__ = ["silu", "elu", "selu", "celu", "softplus", "hardtanh", "relu6", "mish", "hardswish", "hardsigmoid",
           "logsigmoid", "softshrink", "hardshrink", "threshold", "prelu", "softsign", "tanhshrink", "glu",
           "softmin", "elu_", "selu_", "celu_", "hardtanh_", "threshold_", "rrelu", "rrelu_"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(xp, x):
    return 0.5 * xp.tanh(0.5 * x) + 0.5


def _softplus(xp, x):
    return xp.logaddexp(0, x)


class _PointwiseBackward(Node):
    """d out / d in as a function of the saved input x, output y and the op's arguments."""

    __slots__ = ("x", "y", "args")
    saves = ("x", "y")

    @staticmethod
    def derivative(xp, x, y, *args):
        raise NotImplementedError

    def backward(self, g):
        xp = get_xp(g)
        return ((g * self.derivative(xp, self.x, self.y, *self.args)).astype(g.dtype, copy=False),)


def _run(node_cls, forward, input, *args, inplace=False):
    xd = input._data
    xp = get_xp(xd)
    with _quiet(xp):
        out = forward(xp, xd, *args).astype(xd.dtype, copy=False)
    if input._rg and _grad_state.enabled:
        node = node_cls((edge(input),))
        # In place, the input's array is overwritten below: keep a copy of it instead.
        node.x, node.y, node.args = (xd.copy() if inplace else xd), out, args
        if not inplace:
            save_check(node, (input, xd))
        result = wrap_grad(out, input._device, node)
    else:
        result = wrap(out, input._device)
    if inplace:
        return input.copy_(result)
    return result


def _quiet(xp):
    # exp of large inputs in the branch a where() discards must not warn.
    return xp.errstate(over="ignore", invalid="ignore") if hasattr(xp, "errstate") else _Null()


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _graph_rule(tensor_derivative):
    """backward_graph for a pointwise op: g * d(x), with d(x) written in differentiable Tensor ops by
    tensor_derivative (so it differentiates to any order), or constant where the derivative is
    piecewise constant (tensor_derivative=None)."""

    def backward_graph(self, g):
        dev = g._device
        x = self.x
        if tensor_derivative is None or self.next[0] is None:
            d = self.derivative(get_xp(x), x, self.y, *self.args).astype(x.dtype, copy=False)
            return (g * C.const(d, dev),)
        return (g * tensor_derivative(C.saved_in(self, 0, x, dev), *self.args),)

    return backward_graph


_PIECEWISE = object()


def _mark(name, derivative, graph=None):
    """The node class of an op whose derivative is derivative(xp, x, y, *args); graph: the same in
    Tensor ops for create_graph, or _PIECEWISE (a constant derivative), or None (no second-order rule)."""
    attrs = {"__slots__": (), "derivative": staticmethod(derivative)}
    if graph is _PIECEWISE:
        attrs["backward_graph"] = _graph_rule(None)
    elif graph is not None:
        attrs["backward_graph"] = _graph_rule(graph)
    return type(name, (_PointwiseBackward,), attrs)


def _where(cond, a, b):
    from .pointwise import where

    return where(cond, a, b)


# ---- SiLU: x * sigmoid(x) -------------------------------------------------------------------------
def _silu(xp, x):
    return x * _sigmoid(xp, x)


def _d_silu(xp, x, y):
    s = _sigmoid(xp, x)
    return s * (1 + x * (1 - s))


def _dt_silu(x):
    s = x.sigmoid()
    return s * (1 + x * (1 - s))


SiluBackward0 = _mark("SiluBackward0", _d_silu, _dt_silu)


@tensor_args
def silu(input, inplace=False):
    C.no_kernel(input, "silu_cpu")
    return _run(SiluBackward0, _silu, input, inplace=inplace)


# ---- ELU family ---------------------------------------------------------------------------------
def _elu(xp, x, alpha, scale, input_scale):
    neg = alpha * xp.expm1(xp.minimum(x, 0) * input_scale)
    return scale * xp.where(x > 0, x, neg)


def _d_elu(xp, x, y, alpha, scale, input_scale):
    return scale * xp.where(x > 0, 1, alpha * input_scale * xp.exp(xp.minimum(x, 0) * input_scale))


def _dt_elu(x, alpha, scale, input_scale):
    return scale * _where(x > 0, 1.0, alpha * input_scale * (x.clamp(max=0) * input_scale).exp())


EluBackward0 = _mark("EluBackward0", _d_elu, _dt_elu)
CeluBackward0 = _mark("CeluBackward0", _d_elu, _dt_elu)


@tensor_args
def elu(input, alpha=1.0, inplace=False):
    C.no_kernel(input, "elu_cpu")
    return _run(EluBackward0, _elu, input, alpha, 1.0, 1.0, inplace=inplace)


@tensor_args
def elu_(input, alpha=1.0):
    C.no_kernel(input, "elu_cpu")
    return elu(input, alpha, True)


@tensor_args
def selu(input, inplace=False):
    C.no_kernel(input, "elu_cpu")
    return _run(EluBackward0, _elu, input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace=inplace)


@tensor_args
def selu_(input):
    C.no_kernel(input, "elu_cpu")
    return selu(input, True)


@tensor_args
def celu(input, alpha=1.0, inplace=False):
    C.no_kernel(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _run(CeluBackward0, _elu, input, alpha, 1.0, 1.0 / alpha, inplace=inplace)


@tensor_args
def celu_(input, alpha=1.0):
    C.no_kernel(input, "elu_cpu")
    return celu(input, alpha, True)


# ---- Softplus: log(1 + exp(beta x)) / beta, linear past the threshold -----------------------------
def _sp(xp, x, beta, threshold):
    return xp.where(x * beta > threshold, x, _softplus(xp, x * beta) / beta)


def _d_sp(xp, x, y, beta, threshold):
    return xp.where(x * beta > threshold, 1, _sigmoid(xp, x * beta))


def _dt_sp(x, beta, threshold):
    return _where(x * beta > threshold, 1.0, (x * beta).sigmoid())


SoftplusBackward0 = _mark("SoftplusBackward0", _d_sp, _dt_sp)


@tensor_args
def softplus(input, beta=1.0, threshold=20.0):
    C.no_kernel(input, "softplus_cpu")
    return _run(SoftplusBackward0, _sp, input, beta, threshold)


# ---- Hardtanh and ReLU6 -------------------------------------------------------------------------
def _ht(xp, x, lo, hi):
    return xp.clip(x, lo, hi)


def _d_ht(xp, x, y, lo, hi):
    return (x > lo) & (x < hi)


HardtanhBackward0 = _mark("HardtanhBackward0", _d_ht, _PIECEWISE)


@tensor_args
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(HardtanhBackward0, _ht, input, min_val, max_val, inplace=inplace)


@tensor_args
def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


@tensor_args
def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


# ---- Mish: x * tanh(softplus(x)) ----------------------------------------------------------------
def _mish(xp, x):
    return x * xp.tanh(_softplus(xp, x))


def _d_mish(xp, x, y):
    t = xp.tanh(_softplus(xp, x))
    return t + x * _sigmoid(xp, x) * (1 - t * t)


def _dt_mish(x):
    t = softplus(x).tanh()
    return t + x * x.sigmoid() * (1 - t * t)


MishBackward0 = _mark("MishBackward0", _d_mish, _dt_mish)


@tensor_args
def mish(input, inplace=False):
    C.no_kernel(input, "mish_cpu")
    return _run(MishBackward0, _mish, input, inplace=inplace)


# ---- Hardswish, Hardsigmoid ---------------------------------------------------------------------
def _hswish(xp, x):
    return x * xp.clip(x + 3, 0, 6) / 6


def _d_hswish(xp, x, y):
    return xp.where(x < -3, 0, xp.where(x <= 3, x / 3 + 0.5, 1))


def _dt_hswish(x):
    return _where(x < -3, 0.0, _where(x <= 3, x / 3 + 0.5, 1.0))


HardswishBackward0 = _mark("HardswishBackward0", _d_hswish, _dt_hswish)


@tensor_args
def hardswish(input, inplace=False):
    C.no_kernel(input, "hardswish_cpu")
    return _run(HardswishBackward0, _hswish, input, inplace=inplace)


def _hsig(xp, x):
    return xp.clip(x + 3, 0, 6) / 6


_ONE_SIXTH = float(np.float32(1 / 6))  # PyTorch's backward uses the float32 constant for every dtype


def _d_hsig(xp, x, y):
    return ((x > -3) & (x < 3)) * _ONE_SIXTH


HardsigmoidBackward0 = _mark("HardsigmoidBackward0", _d_hsig)  # torch has no second-order rule either


@tensor_args
def hardsigmoid(input, inplace=False):
    C.no_kernel(input, "hardsigmoid_cpu")
    return _run(HardsigmoidBackward0, _hsig, input, inplace=inplace)


# ---- LogSigmoid: -softplus(-x) ------------------------------------------------------------------
def _logsig(xp, x):
    return -_softplus(xp, -x)


def _d_logsig(xp, x, y):
    return _sigmoid(xp, -x)


def _dt_logsig(x):
    return (-x).sigmoid()


LogSigmoidBackward0 = _mark("LogSigmoidBackward0", _d_logsig, _dt_logsig)


@tensor_args
def logsigmoid(input):
    C.no_kernel(input, "log_sigmoid_cpu")
    return _run(LogSigmoidBackward0, _logsig, input)


# ---- shrinkage and threshold --------------------------------------------------------------------
def _softshrink(xp, x, lambd):
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0))


def _hardshrink(xp, x, lambd):
    return xp.where(xp.abs(x) > lambd, x, 0)


def _d_shrink(xp, x, y, lambd):
    return xp.abs(x) > lambd


SoftshrinkBackward0 = _mark("SoftshrinkBackward0", _d_shrink, _PIECEWISE)
HardshrinkBackward0 = _mark("HardshrinkBackward0", _d_shrink, _PIECEWISE)


@tensor_args
def softshrink(input, lambd=0.5):
    C.no_kernel(input, "softshrink_check")
    if lambd < 0:
        top, name = ("1.79769e+308", "Double") if input._data.dtype.itemsize == 8 else ("3.40282e+38", "Float")
        raise RuntimeError(f"lambda must be in range [0, {top}] for input dtype {name}, but found {lambd:g}")
    return _run(SoftshrinkBackward0, _softshrink, input, lambd)


@tensor_args
def hardshrink(input, lambd=0.5):
    C.no_kernel(input, "hardshrink_cpu")
    return _run(HardshrinkBackward0, _hardshrink, input, lambd)


def _threshold(xp, x, th, value):
    return xp.where(x > th, x, value)


def _d_threshold(xp, x, y, th, value):
    return x > th


ThresholdBackward0 = _mark("ThresholdBackward0", _d_threshold, _PIECEWISE)


@tensor_args
def threshold(input, threshold, value, inplace=False):
    C.no_kernel(input, "threshold_cpu", ints=True)
    return _run(ThresholdBackward0, _threshold, input, threshold, value, inplace=inplace)


@tensor_args
def threshold_(input, threshold, value):
    C.no_kernel(input, "threshold_cpu", ints=True)
    return _run(ThresholdBackward0, _threshold, input, threshold, value, inplace=True)


# ---- compositions -------------------------------------------------------------------------------
@tensor_args
def softsign(input):
    return input / (input.abs() + 1)


@tensor_args
def tanhshrink(input):
    return input - input.tanh()


@tensor_args
def glu(input, dim=-1):
    C.no_kernel(input, "glu_cpu")
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    from .reduce import norm_dim

    dim = norm_dim(dim, input.dim())
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {n}")
    a, b = input.split(n // 2, dim) if n else (input, input)
    return a * b.sigmoid()


@tensor_args
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    from ..nn.functional import softmax

    return softmax(-input, dim, _stacklevel + 1, dtype)


# ---- PReLU: a learnt slope per channel ----------------------------------------------------------
class PreluKernelBackward0(Node):
    __slots__ = ("x", "w", "wd", "wshape")
    saves = ("x", "w", "wd")

    def backward(self, g):
        xp = get_xp(g)
        x, w = self.x, self.w
        pos = x > 0
        gx = gw = None
        if self.next[0] is not None:
            gx = xp.where(pos, g, g * w).astype(g.dtype, copy=False)
        if self.next[1] is not None:
            gw = unbroadcast(xp.where(pos, 0, g * x).astype(g.dtype, copy=False), w.shape).reshape(self.wshape)
        return (gx, gw)

    def backward_graph(self, g):
        dev = g._device
        x = C.saved_in(self, 0, self.x, dev)
        w = C.saved_in(self, 1, self.wd, dev).reshape(self.w.shape)
        neg = C.const((self.x <= 0).astype(self.x.dtype), dev)
        gx = g * (1 - neg) + g * neg * w
        gw = g * x * neg
        axes = tuple(i for i in range(gw.dim()) if i >= len(self.w.shape) or self.w.shape[i] == 1)
        if axes:
            gw = gw.sum(axes)
        return (gx, gw.reshape(self.wshape))


@tensor_args
def prelu(input, weight):
    if _amp.active:
        input, weight = _amp.cast("prelu", input, weight)
    xd, wd = input._data, weight._data
    if xd.dtype != wd.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype._legacy[:-6]} and "
                           f"{weight.dtype._legacy[:-6]}")
    n = wd.size
    if wd.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {wd.ndim}")
    if n != 1:
        if xd.ndim == 0:
            raise RuntimeError(
                "Not allow zero-dim input tensor.")
        channels = xd.shape[1] if xd.ndim >= 2 else 1
        if channels != n:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{n} and channel size = {channels}."
            )
        w = wd.reshape((1, n) + (1,) * (xd.ndim - 2)) if xd.ndim >= 2 else wd
    else:
        w = wd.reshape(())
    xp = get_xp(xd)
    out = xp.where(xd > 0, xd, xd * w).astype(xd.dtype, copy=False)
    if (input._rg or weight._rg) and _grad_state.enabled:
        node = PreluKernelBackward0((edge(input), edge(weight)))
        node.x, node.w, node.wd, node.wshape = xd, w, wd, wd.shape
        save_check(node, (input, xd), (weight, wd))
        return wrap_grad(out, input._device, node)
    return wrap(out, input._device)


# ---- randomized leaky ReLU ---------------------------------------------------------------------

class RreluWithNoiseBackward0(Node):
    """The gradient scaled by the saved slopes: 1 where the input was positive, its slope elsewhere."""

    __slots__ = ("noise",)
    saves = ("noise",)

    def backward(self, g):
        return (g * self.noise,)

    def backward_graph(self, g):
        return (g * C.const(self.noise, g._device),)


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    __slots__ = ()


def _rrelu_check(input, lower, upper, training):
    C.need_tensor(input, "rrelu", "input", 1)
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    C.no_kernel(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")


def _rrelu_noise(input, lower, upper, training):
    """Per-element slopes: U(lower, upper) draws where x <= 0 when training, their mean otherwise; 1 where x > 0."""
    xd = input._data
    xp = get_xp(xd)
    if training:
        from .._factories import empty_like

        slopes = empty_like(input).uniform_(lower, upper)._data
    else:
        slopes = xd.dtype.type((lower + upper) / 2)
    return xp.where(xd > 0, xd.dtype.type(1), slopes).astype(xd.dtype, copy=False)


@tensor_args
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """x where x > 0, else a * x with a ~ U(lower, upper) per element when training, (lower + upper) / 2 otherwise."""
    if inplace:
        return rrelu_(input, lower, upper, training)
    _rrelu_check(input, lower, upper, training)
    noise = _rrelu_noise(input, lower, upper, training)
    out = input._data * noise
    if input._rg and _grad_state.enabled:
        node = RreluWithNoiseBackward0((edge(input),))
        node.noise = noise
        return wrap_grad(out, input._device, node)
    return wrap(out, input._device)


@tensor_args
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    from . import inplace as _ip

    _rrelu_check(input, lower, upper, training)
    _ip.check_inplace(input)
    needs = input._rg and _grad_state.enabled
    if needs and input._base is not None:  # copy_ carries the edit into the base's history
        return input.copy_(rrelu(input, lower, upper, training))
    noise = _rrelu_noise(input, lower, upper, training)
    xd = input._data
    xd *= noise
    _ip.bump(input)
    if needs:
        node = RreluWithNoiseBackward1((edge(input),))
        node.noise = noise
        _ip.rebase(input, node)
    return input
