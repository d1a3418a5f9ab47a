"""frexp and ldexp: a float's mantissa and power of two, and the number they make."""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.higher_order import LinearMapBackward
from . import _common as C
from ._common import get_xp


def frexp(a):
    """(mantissa, exponent): a = mantissa * 2 ** exponent, |mantissa| in [0.5, 1); exponent int32.
    The mantissa's gradient is the incoming one over 2 ** exponent (PyTorch's rule)."""
    from ..return_types import frexp as _result

    ad = a._data
    if ad.dtype.kind != "f":
        raise RuntimeError("xptorch.frexp() only supports floating-point dtypes")
    xp = get_xp(ad)
    if ad.dtype == np.float32 and not isinstance(ad, np.ndarray):
        # CuPy builds its kernels flushing float32 subnormals to zero, frexp's input too: split the exact
        # float64 copy, whose mantissa is exact in float32.
        m, e = xp.frexp(ad.astype(np.float64))
        m = m.astype(np.float32)
    else:
        m, e = xp.frexp(ad)
    e = e.astype(np.int32, copy=False)
    if a._rg and _grad_state.enabled:
        with np.errstate(over="ignore"):
            scale = xp.exp2(e.astype(ad.dtype))

        def divide(g):
            return g / scale

        node = LinearMapBackward((C.edge(a),))
        node.op = node.adj = divide
        mt = C.wrap_grad(m, a._device, node)
    else:
        mt = C.wrap(m, a._device)
    return _result(mt, C.wrap(e, a._device))


def ldexp(a, other):
    """a * 2 ** other."""
    C.need_tensor(other, "ldexp", "other", 2)
    return a * other.__rpow__(2.0)


def ldexp_(a, other, _pos=1):
    """a *= 2 ** other in place; the float result must fit a's dtype."""
    C.need_tensor(other, "ldexp_", "other", _pos)
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"ldexp can't be cast to the desired output type {a.dtype._legacy[:-6]}")
    return a.mul_(other.__rpow__(2.0))
