"""Hot kernels with one NumPy twin each; CUDA versions compile lazily from kernels/*.cu."""
import numpy as np


def _is_numpy(a):
    return type(a) is np.ndarray


def relu_forward(x):
    if _is_numpy(x):
        return np.maximum(x, 0) if x.dtype.kind != "b" else x.copy()
    from . import cuda_kernels

    return cuda_kernels.relu_forward(x)


def relu_inplace(y):
    if _is_numpy(y):
        np.maximum(y, 0, out=y)
        return y
    from . import cuda_kernels

    return cuda_kernels.relu_inplace(y)


def linear_forward(x, w, b, relu=False):
    """y = x @ w.T + b (then ReLU): the GEMM, then one epilogue pass."""
    if _is_numpy(x):
        y = x @ w.T
        if b is not None:
            y += b
        if relu:
            np.maximum(y, 0, out=y)
        return y
    from . import cuda_kernels

    return cuda_kernels.linear_forward(x, w, b, relu)


def random_fill(t, kind, args, gen):
    """Fill t's array in place from gen's counter-based stream (same bits on every device)."""
    d = t._data
    if not _is_numpy(d):
        from . import cuda_kernels

        if cuda_kernels.random_fill(d, kind, args, gen):
            return
    host = _host_random(d.shape, d.dtype, kind, args, gen)
    if _is_numpy(d):
        d[...] = host
    else:
        from . import transfer
        from .._device import CPU

        d[...] = transfer(host, CPU, t._device)


def _host_random(shape, dtype, kind, args, gen):
    if kind == "uniform":
        return gen.uniform(shape, args[0], args[1], dtype=dtype)
    if kind == "normal":
        return gen.normal(shape, args[0], args[1], dtype=dtype)
    if kind == "masked_uniform":
        return gen.masked_uniform(shape, args[0], args[1], dtype=dtype)
    if kind == "bernoulli":
        return gen.bernoulli(shape, args[0], dtype=dtype)
    raise ValueError(f"unknown random fill {kind!r}")
