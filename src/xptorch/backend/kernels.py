"""Hot kernels, one formula each: its twin here runs on NumPy arrays (and on CuPy arrays of dtypes without a
kernel); float32/float64 CuPy arrays go to the CUDA kernels of kernels/*.cu through cuda_kernels.py."""
import numpy as np

from . import get_array_module

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_BITS = {2: np.int16, 4: np.int32, 8: np.int64}
# Below this many elements a boolean-mask store beats the branch-free integer multiply.
_SMALL = 1 << 15


def _has_kernel(a):
    return type(a) is not np.ndarray and a.dtype in _KERNEL_DTYPES


def _bits(a):
    """Floats as same-width integers: multiplying those by a 0/1 mask copies or zeroes each one exactly."""
    return a.view(_BITS[a.dtype.itemsize]) if a.dtype.kind == "f" else a


def _keep(xp, a, cmp):
    """not cmp(a, 0) as a bool array (0-d included: ufuncs would hand back a scalar)."""
    keep = xp.empty(a.shape, bool)
    cmp(a, 0, out=keep)
    return xp.logical_not(keep, out=keep)


def relu_forward(x):
    """x < 0 ? +0 : x. NaN and -0.0 pass through as in torch (np.maximum would turn -0.0 into +0.0)."""
    if _has_kernel(x):
        from . import cuda_kernels

        return cuda_kernels.relu_forward(x)
    if x.dtype.kind == "b":
        return x.copy()
    if x.size < _SMALL:
        y = x.copy()
        y[y < 0] = 0  # NaN and -0.0 compare False, so they stay
        return y
    xp = get_array_module(x)
    y = xp.empty(x.shape, x.dtype)
    # Integer multiply by the mask: branch-free, and exact for NaN payloads and signed zeros.
    xp.multiply(_bits(x), _keep(xp, x, xp.less), out=_bits(y))
    return y


def relu_inplace(y):
    """relu_forward written into y."""
    if _has_kernel(y):
        from . import cuda_kernels

        return cuda_kernels.relu_inplace(y)
    if y.dtype.kind != "b" and y.size < _SMALL:
        y[y < 0] = 0
    elif y.dtype.kind != "b":
        xp = get_array_module(y)
        yb = _bits(y)
        xp.multiply(yb, _keep(xp, y, xp.less), out=yb)
    return y


def relu_backward(g, out):
    """out <= 0 ? +0 : g, the gradient of relu from its output; a NaN output passes g, as in torch."""
    if _has_kernel(out) and g.dtype == out.dtype:
        from . import cuda_kernels

        return cuda_kernels.relu_backward(g, out)
    if g.shape == out.shape and out.size < _SMALL:
        gx = g.copy()
        gx[out <= 0] = 0
        return gx
    xp = get_array_module(out)
    gx = xp.empty(np.broadcast_shapes(g.shape, out.shape), g.dtype)
    xp.multiply(_bits(g), _keep(xp, out, xp.less_equal), out=_bits(gx))
    return gx


def linear_forward(x, w, b, relu=False):
    """x @ w.T, then one pass adding b and, when relu, applying relu_forward's rule."""
    if type(x) is not np.ndarray and _has_kernel(x) and w.dtype == x.dtype and (
            b is None or (b.dtype == x.dtype and b.shape == w.shape[:1])):
        from . import cuda_kernels

        return cuda_kernels.linear_forward(x, w, b, relu)
    # ndarray.dot is the same BLAS GEMM as @ for 2-D operands, with a fraction of its call overhead.
    y = x.dot(w.T) if x.ndim == 2 else x @ w.T
    if b is not None:
        y += b
    if relu:
        if y.size < _SMALL:
            y[y < 0] = 0
        else:
            relu_inplace(y)
    return y


def random_fill(t, kind, args, gen):
    """Fill t's array in place from gen's counter-based stream (same bits on every device)."""
    d = t._data
    if type(d) is not np.ndarray:
        from . import cuda_kernels

        if cuda_kernels.random_fill(d, kind, args, gen):
            return
    if type(d) is np.ndarray and kind in ("uniform", "normal") and d.dtype in _KERNEL_DTYPES and \
            d.flags.c_contiguous and d.flags.writeable:
        # Filled in place: no second pass copying a fresh array in.
        fill = gen.uniform if kind == "uniform" else gen.normal
        fill(d.shape, args[0], args[1], dtype=d.dtype, out=d)
        return
    host = _host_random(d.shape, d.dtype, kind, args, gen)
    if type(d) is np.ndarray:
        d[...] = host
    else:
        from . import transfer
        from .._device import CPU

        d[...] = transfer(host, CPU, t._device)


def _host_random(shape, dtype, kind, args, gen):
    if dtype == np.float16:
        # Half precision draws the float32 stream and rounds, so it shares float32's reproducibility.
        return _host_random(shape, np.dtype(np.float32), kind, args, gen).astype(np.float16)
    if kind == "uniform":
        return gen.uniform(shape, args[0], args[1], dtype=dtype)
    if kind == "normal":
        return gen.normal(shape, args[0], args[1], dtype=dtype)
    if kind == "masked_uniform":
        return gen.masked_uniform(shape, args[0], args[1], dtype=dtype)
    if kind == "bernoulli":
        return gen.bernoulli(shape, args[0], dtype=dtype)
    raise ValueError(f"unknown random fill {kind!r}")
