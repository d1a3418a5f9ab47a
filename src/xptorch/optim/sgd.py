"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from .._ops import _common as C
from .._ops.inplace import bump
from ..backend.blas import axpby, axpy
from ._multi_tensor import flat_group
from .optimizer import Optimizer, required

__all__ = ["SGD"]


def _check_flags(foreach, differentiable, fused):
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported: updates run on raw arrays")
    if fused:
        raise NotImplementedError("fused=True is not supported")


# Below this many elements a temporary is cheaper than looking up the scratch buffer.
_SMALL = 4096


class SGD(Optimizer):
    """p <- p - lr * d, where d is the gradient (negated when maximize) plus weight_decay * p,
    passed through the momentum buffer b <- momentum * b + (1 - dampening) * d (b = d on the first
    step) and, with nesterov, d + momentum * b.
    """

    _param_shaped_state = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr is not required and hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(foreach, differentiable, fused)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss if given."""
        loss = self._closure_loss(closure)
        state = self.state
        for index, group in enumerate(self.param_groups):
            lr = float(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            wd = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            # Plain SGD is one update per tensor either way: only the others gather small tensors.
            fg = None
            if momentum != 0 or wd != 0 or maximize:
                fg = flat_group(self, index, group, ("momentum_buffer",) if momentum != 0 else ())
            flat = ()
            if fg is not None:
                _step_flat(fg, lr, momentum, dampening, wd, nesterov, maximize)
                flat = fg.ids
            for p in group["params"]:
                grad = p._grad
                if grad is None or id(p) in flat:
                    continue
                d = p._data
                ga = grad._data
                if wd == 0 and momentum == 0 and not maximize:
                    # Plain SGD: one pass through BLAS's axpy, else a multiply into scratch and a subtract.
                    if not axpy(-lr, ga, d):
                        d -= ga * lr if d.size < _SMALL else C.get_xp(d).multiply(ga, lr, out=self._buffers(p)[0])
                    bump(p)
                    continue
                xp = C.get_xp(d)
                tmp, tmp2 = self._buffers(p)
                # g: the direction before momentum, in tmp unless it is the gradient itself.
                if wd != 0:
                    g = xp.multiply(d, wd, out=tmp)
                    (xp.subtract if maximize else xp.add)(g, ga, out=g)
                elif maximize:
                    g = xp.negative(ga, out=tmp)
                else:
                    g = ga
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        st["momentum_buffer"] = C.wrap(g.copy(), p._device)
                        b = st["momentum_buffer"]._data
                    else:
                        b = buf._data
                        # Large tensors: b <- momentum b + (1 - dampening) g in one BLAS pass.
                        if not axpby(1 - dampening, g, momentum, b):
                            xp.multiply(b, momentum, out=b)
                            if not axpy(1 - dampening, g, b):
                                if dampening != 0:
                                    xp.add(b, xp.multiply(g, 1 - dampening, out=tmp2), out=b)
                                else:
                                    xp.add(b, g, out=b)
                        bump(buf)
                    if nesterov:
                        g = xp.add(g, xp.multiply(b, momentum, out=tmp2), out=tmp2)
                    else:
                        g = b
                if not axpy(-lr, g, d):
                    xp.subtract(d, xp.multiply(g, lr, out=tmp), out=d)
                bump(p)
        return loss


def _step_flat(fg, lr, momentum, dampening, wd, nesterov, maximize):
    """The loop above over a whole group at once: the same operations on flat buffers."""
    xp = fg.xp
    tmp, tmp2 = fg.tmp, fg.tmp2
    g = fg.gather_grads()
    if wd == 0 and momentum == 0 and not maximize:
        fg.apply(-lr, g, tmp)
        return
    if wd != 0:
        xp.multiply(fg.gather_params(tmp), wd, out=tmp)
        (xp.subtract if maximize else xp.add)(tmp, g, out=tmp)
        g = tmp
    elif maximize:
        xp.negative(g, out=g)
    if momentum != 0:
        b = fg.bufs["momentum_buffer"]
        xp.multiply(b, momentum, out=b)
        fg.axpy(1 - dampening, g, b, tmp2)
        fg.bump_state("momentum_buffer")
        if nesterov:
            xp.add(g, xp.multiply(b, momentum, out=tmp2), out=tmp2)
            g = tmp2
        else:
            g = b
    fg.apply(-lr, g, tmp if g is not tmp else tmp2)
