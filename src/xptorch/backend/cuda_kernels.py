"""CuPy launches of the kernels in kernels/*.cu (compiled on first use)."""
import cupy as cp


def relu_forward(x):
    return cp.maximum(x, 0)


def relu_inplace(y):
    cp.maximum(y, 0, out=y)
    return y


def linear_forward(x, w, b, relu=False):
    y = x @ w.T
    if b is not None:
        y += b
    if relu:
        cp.maximum(y, 0, out=y)
    return y


def random_fill(d, kind, args, gen):
    """Return False to let the caller fill from the host stream."""
    return False
