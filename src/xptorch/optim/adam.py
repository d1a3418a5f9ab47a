"""Adam (Kingma & Ba, 2015), with AMSGrad and either L2 or decoupled weight decay."""

from .._ops import _common as C
from .._ops.inplace import bump
from ..backend import use_device
from ..backend.blas import axpby, axpy
from ._multi_tensor import flat_group
from ._state import scalar_state
from .optimizer import Optimizer
from .sgd import _check_flags

__all__ = ["Adam"]


class Adam(Optimizer):
    """m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps),
    with v replaced by its running maximum under amsgrad. weight_decay adds weight_decay * p to g,
    or with decoupled_weight_decay scales p by 1 - lr * weight_decay first (AdamW).
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError("betas must be either both floats or both Tensors")
        _check_flags(foreach, differentiable, fused)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _refuse_graph_capture(self):
        # The step count and bias corrections are host values: a captured step would replay them frozen.
        first = next((p for g in self.param_groups for p in g["params"]), None)
        if first is None or first._device.type != "cuda":
            return
        from .. import cuda

        if cuda.is_current_stream_capturing() and not all(g["capturable"] for g in self.param_groups):
            raise RuntimeError(f"Attempting CUDA graph capture of step() for an instance of {type(self).__name__} "
                               "but param_groups' capturable is False.")

    @staticmethod
    def _init_state(st, p, amsgrad):
        d = p._data
        xp = C.get_xp(d)
        dev = p._device
        # 'step' lives on the CPU as a float32 scalar (float64 under that default dtype), as PyTorch keeps it.
        st["step"] = scalar_state(0.0)
        with use_device(dev):
            st["exp_avg"] = C.wrap(xp.zeros_like(d), dev)
            st["exp_avg_sq"] = C.wrap(xp.zeros_like(d), dev)
            if amsgrad:
                st["max_exp_avg_sq"] = C.wrap(xp.zeros_like(d), dev)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        self._refuse_graph_capture()
        loss = self._closure_loss(closure)
        state = self.state
        for index, group in enumerate(self.param_groups):
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            wd = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            if group["capturable"]:
                self._step_capturable(group)
                continue
            names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
            fg = flat_group(self, index, group, names, step=True)
            flat = ()
            if fg is not None:
                _step_flat(fg, lr, beta1, beta2, eps, wd, amsgrad, maximize, decoupled)
                flat = fg.ids
            for p in group["params"]:
                grad = p._grad
                if grad is None or id(p) in flat:
                    continue
                d = p._data
                ga = grad._data
                xp = C.get_xp(d)
                st = state[p]
                if not st:
                    self._init_state(st, p, amsgrad)
                step_t = st["step"]
                step_t._data += 1
                bump(step_t)
                t = float(step_t._data)
                tmp, tmp2 = self._buffers(p)
                if maximize:
                    g = xp.negative(ga, out=tmp)
                else:
                    g = ga
                decay = None  # AdamW's factor on p, applied with the update
                if wd != 0:
                    if decoupled:
                        decay = 1 - lr * wd
                    else:
                        g = xp.add(g, xp.multiply(d, wd, out=tmp2), out=tmp)
                m_t = st["exp_avg"]
                v_t = st["exp_avg_sq"]
                m = m_t._data
                v = v_t._data
                bias_correction1 = 1 - beta1 ** t
                bias_correction2 = 1 - beta2 ** t
                step_size = lr / bias_correction1
                bc2_sqrt = bias_correction2 ** 0.5
                vmax_t = st["max_exp_avg_sq"] if amsgrad else None
                # Large tensors: each moment in one BLAS pass (axpby), AdamW's decay folded into the
                # last one; the NumPy steps below are what the flat path repeats for small tensors.
                if axpby(1 - beta1, g, beta1, m):
                    sq = xp.multiply(g, g, out=tmp2)
                    if not axpby(1 - beta2, sq, beta2, v):
                        xp.multiply(v, beta2, out=v)
                        xp.add(v, xp.multiply(sq, 1 - beta2, out=tmp2), out=v)
                    if amsgrad:
                        v = xp.maximum(vmax_t._data, v, out=vmax_t._data)
                    # m / (sqrt(v) / c + eps) * step == m / (sqrt(v) + eps c) * (step c), c = bc2_sqrt:
                    # one pass less.
                    denom = xp.sqrt(v, out=tmp2)
                    xp.add(denom, eps * bc2_sqrt, out=denom)
                    upd = xp.divide(m, denom, out=tmp2)
                    alpha = -step_size * bc2_sqrt
                    if not (axpy(alpha, upd, d) if decay is None else axpby(alpha, upd, decay, d)):
                        if decay is not None:
                            xp.multiply(d, decay, out=d)
                        xp.subtract(d, xp.multiply(upd, step_size * bc2_sqrt, out=upd), out=d)
                else:
                    # m <- m + (1 - beta1) (g - m): the lerp form keeps m exact when g == m.
                    diff = xp.subtract(g, m, out=tmp2)
                    if not axpy(1 - beta1, diff, m):
                        xp.add(m, xp.multiply(diff, 1 - beta1, out=tmp2), out=m)
                    xp.multiply(v, beta2, out=v)
                    sq = xp.multiply(g, g, out=tmp2)
                    if not axpy(1 - beta2, sq, v):
                        xp.add(v, xp.multiply(sq, 1 - beta2, out=tmp2), out=v)
                    if amsgrad:
                        v = xp.maximum(vmax_t._data, v, out=vmax_t._data)
                    denom = xp.sqrt(v, out=tmp2)
                    xp.divide(denom, bc2_sqrt, out=denom)
                    xp.add(denom, eps, out=denom)
                    upd = xp.divide(m, denom, out=tmp2)
                    if decay is not None:
                        xp.multiply(d, decay, out=d)
                    if not axpy(-step_size, upd, d):
                        xp.subtract(d, xp.multiply(upd, step_size, out=upd), out=d)
                bump(m_t)
                bump(v_t)
                if amsgrad:
                    bump(vmax_t)
                bump(p)
        return loss

    def _step_capturable(self, group):
        """capturable=True: the step count lives on the parameter's device and the bias corrections are computed
        there, so the whole update is device work that a CUDA graph can capture and replay (no host values that
        a replay would freeze). The same update as the default path; rounding differs in the last bits."""
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        wd = group["weight_decay"]
        amsgrad = group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            d = p._data
            xp = C.get_xp(d)
            dev = p._device
            if dev.type != "cuda":
                raise AssertionError(
                    "If capturable=True, params and state_steps must be on supported devices: ['cuda'].")
            st = self.state[p]
            if not st:
                self._init_state(st, p, amsgrad)
            step_t = st["step"]
            if step_t._device is not dev:  # first step, or a loaded state dict: the count moves to the device
                st["step"] = step_t = step_t.to(dev)
            s = step_t._data
            with use_device(dev):
                xp.add(s, 1, out=s)
                g = grad._data
                if group["maximize"]:
                    g = xp.negative(g)
                if wd != 0:
                    if decoupled:
                        xp.multiply(d, 1 - lr * wd, out=d)
                    else:
                        g = xp.add(g, xp.multiply(d, wd))
                m = st["exp_avg"]._data
                v = st["exp_avg_sq"]._data
                xp.add(m, xp.multiply(xp.subtract(g, m), 1 - beta1), out=m)
                xp.multiply(v, beta2, out=v)
                xp.add(v, xp.multiply(xp.multiply(g, g), 1 - beta2), out=v)
                if amsgrad:
                    vmax = st["max_exp_avg_sq"]._data
                    v = xp.maximum(vmax, v, out=vmax)
                step_size = xp.divide(lr, xp.subtract(1, xp.power(beta1, s)))
                bc2_sqrt = xp.sqrt(xp.subtract(1, xp.power(beta2, s)))
                denom = xp.add(xp.divide(xp.sqrt(v), bc2_sqrt), eps)
                xp.subtract(d, xp.multiply(xp.divide(m, denom), step_size).astype(d.dtype, copy=False), out=d)
            bump(step_t)
            bump(st["exp_avg"])
            bump(st["exp_avg_sq"])
            if amsgrad:
                bump(st["max_exp_avg_sq"])
            bump(p)


def _step_flat(fg, lr, beta1, beta2, eps, wd, amsgrad, maximize, decoupled):
    """Adam.step's loop over a whole group at once: the same operations on flat buffers."""
    xp = fg.xp
    tmp, tmp2 = fg.tmp, fg.tmp2
    g = fg.gather_grads()
    t = fg.bump_steps()
    if maximize:
        xp.negative(g, out=g)
    params = None
    if wd != 0:
        if decoupled:
            params = fg.gather_params(tmp)  # written back at the end
            xp.multiply(params, 1 - lr * wd, out=params)
        else:
            xp.multiply(fg.gather_params(tmp2), wd, out=tmp2)
            xp.add(g, tmp2, out=tmp)
            g = tmp
    m = fg.bufs["exp_avg"]
    v = fg.bufs["exp_avg_sq"]
    xp.subtract(g, m, out=tmp2)
    fg.axpy(1 - beta1, tmp2, m, tmp2)
    xp.multiply(v, beta2, out=v)
    xp.multiply(g, g, out=tmp2)
    fg.axpy(1 - beta2, tmp2, v, tmp2)
    fg.bump_state("exp_avg")
    fg.bump_state("exp_avg_sq")
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    step_size = lr / bias_correction1
    bc2_sqrt = bias_correction2 ** 0.5
    if amsgrad:
        vmax = fg.bufs["max_exp_avg_sq"]
        xp.maximum(vmax, v, out=vmax)
        fg.bump_state("max_exp_avg_sq")
        v = vmax
    xp.sqrt(v, out=tmp2)
    xp.divide(tmp2, bc2_sqrt, out=tmp2)
    xp.add(tmp2, eps, out=tmp2)
    xp.divide(m, tmp2, out=tmp2)  # the update direction
    if params is None:
        fg.apply(-step_size, tmp2, tmp)
        return
    fg.axpy(-step_size, tmp2, params, tmp2)
    fg.scatter_params(params)
