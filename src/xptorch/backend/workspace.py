"""Reusable scratch buffers for large temporaries on CPU (im2col columns, padded copies).

A fresh multi-megabyte NumPy array costs a page fault per 4 KiB whenever the C allocator has handed
the previous one back to the system, which on a training step happens every call; a buffer kept per
thread and per role is faulted in once. A scratch array must not outlive the call that took it, and
one role serves one array at a time.
"""
import threading

import numpy

# Temporaries above this size are allocated normally (kept buffers would pin too much memory).
LIMIT_BYTES = 1 << 28

_local = threading.local()


def scratch(role, shape, dtype):
    """An uninitialised C-contiguous NumPy array of shape and dtype, backed by role's kept buffer."""
    dtype = numpy.dtype(dtype)
    n = dtype.itemsize
    for s in shape:
        n *= s
    if n > LIMIT_BYTES or n == 0:
        return numpy.empty(shape, dtype)
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    buf = bufs.get(role)
    if buf is None or buf.nbytes < n:
        buf = bufs[role] = numpy.empty(n, numpy.uint8)
    return buf[:n].view(dtype).reshape(shape)


def scratch_zeros(role, shape, dtype):
    out = scratch(role, shape, dtype)
    out.fill(0)
    return out


def release():
    """Drop this thread's kept buffers."""
    _local.bufs = {}
