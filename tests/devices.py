"""The oracle check on a device: xptorch's arguments move there, its outputs come back to the CPU
(both moves are differentiable, so gradients reach the CPU leaves compared with torch's)."""
import xptorch
from oracle import check_op


def _to(x, device):
    if isinstance(x, xptorch.Tensor):
        return x.to(device)
    if isinstance(x, (tuple, list)) and x and all(isinstance(e, xptorch.Tensor) for e in x):
        return type(x)(e.to(device) for e in x) if type(x) in (tuple, list) else tuple(e.to(device) for e in x)
    return x


def on(device, fn):
    """fn with its tensor arguments on device and its tensor results checked to be there, then on the CPU."""
    if device == "cpu":
        return fn

    def run(*args):
        out = fn(*[_to(a, device) for a in args])
        outs = out if isinstance(out, (tuple, list)) else (out,)
        for o in outs:
            if isinstance(o, xptorch.Tensor):
                assert o.device.type == device, f"result on {o.device}, expected {device}"
        return _to(out, "cpu")

    return run


def check(device, inputs, torch_fn, xp_fn, **kw):
    """check_op on device; grad_fn names are compared on the CPU run, where no move is recorded."""
    if device != "cpu":
        kw["check_grad_fn"] = False
    return check_op(inputs, torch_fn, on(device, xp_fn), **kw)
