"""Matrix products while a CUDA graph is being captured.

CuPy refuses every cuBLAS call made while a stream captures (its cublas.setStream raises
NotImplementedError), although cuBLAS itself can be captured. While xptorch.cuda.graph / CUDAGraph
captures, xptorch's matrix products on CuPy arrays come here instead: cuBLAS is called directly through
ctypes, with a handle of our own bound to the capturing stream and a workspace set before capture, so that
cuBLAS allocates nothing inside the graph. float16, float32 and float64 are handled; other dtypes go to
CuPy, whose integer products are its own kernels and need no cuBLAS.

The call sites read ``active`` first, so outside a capture they cost one global lookup.
"""
import ctypes
import os
import threading

import numpy as np

active = 0  # captures in progress in this process
_threads = {}  # thread id -> captures it has in progress: other threads' products stay with CuPy

_OP_N, _OP_T = 0, 1
_CUDA_R_16F, _CUDA_R_32F, _CUBLAS_COMPUTE_32F, _GEMM_DEFAULT = 2, 0, 68, -1
_TF32_TENSOR_OP_MATH = 3
_WORKSPACE = 32 << 20  # bytes; what cuBLAS recommends for Hopper

_lock = threading.Lock()
_lib = None
_handles = {}  # device id -> [handle, workspace]


def _find_library():
    """The libcublas CuPy has loaded (so both use the same build), else the first the loader finds."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if line.strip() else ""
                if "/libcublas.so" in path:
                    return path
    except OSError:
        pass
    for name in ("libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"):
        try:
            ctypes.CDLL(name)
            return name
        except OSError:
            continue
    raise RuntimeError("CUDA graph capture of a matrix product needs cuBLAS, and no libcublas could be loaded")


def _library(cp):
    global _lib
    if _lib is None:
        # One product outside the capture loads cuBLAS into the process and lets CuPy create its handle.
        a = cp.ones((1, 1), np.float32)
        a @ a
        lib = ctypes.CDLL(_find_library())
        vp, i, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
        lib.cublasCreate_v2.argtypes = [ctypes.POINTER(vp)]
        lib.cublasDestroy_v2.argtypes = [vp]
        lib.cublasSetStream_v2.argtypes = [vp, vp]
        lib.cublasSetMathMode.argtypes = [vp, i]
        if hasattr(lib, "cublasSetWorkspace_v2"):
            lib.cublasSetWorkspace_v2.argtypes = [vp, vp, sz]
        gemm = [vp, i, i, i, i, i, vp, vp, i, vp, i, vp, vp, i]
        lib.cublasSgemm_v2.argtypes = gemm
        lib.cublasDgemm_v2.argtypes = gemm
        lib.cublasGemmEx.argtypes = [vp, i, i, i, i, i, vp, vp, i, i, vp, i, i, vp, vp, i, i, i, i]
        for fn in ("cublasCreate_v2", "cublasSetStream_v2", "cublasSgemm_v2", "cublasDgemm_v2", "cublasGemmEx",
                   "cublasSetMathMode", "cublasDestroy_v2"):
            getattr(lib, fn).restype = i
        if hasattr(lib, "cublasSetWorkspace_v2"):
            lib.cublasSetWorkspace_v2.restype = i
        _lib = lib
    return _lib


def _check(status, what):
    if status != 0:
        raise RuntimeError(f"cuBLAS returned status {status} from {what} while capturing a CUDA graph")


def begin(cp, stream):
    """Prepare the current device's handle for a capture on stream (called before capture starts)."""
    global active
    from . import _simulated

    me = threading.get_ident()
    if _simulated is not None:  # a CPU stand-in for CuPy: its own emulation of cuBLAS serves the products
        with _lock:
            active += 1
            _threads[me] = _threads.get(me, 0) + 1
        return
    with _lock:
        lib = _library(cp)
        dev = cp.cuda.Device().id
        entry = _handles.get(dev)
        if entry is None:
            h = ctypes.c_void_p()
            _check(lib.cublasCreate_v2(ctypes.byref(h)), "cublasCreate")
            workspace = cp.cuda.memory.alloc(_WORKSPACE)
            if hasattr(lib, "cublasSetWorkspace_v2"):
                _check(lib.cublasSetWorkspace_v2(h, ctypes.c_void_p(workspace.ptr), _WORKSPACE), "cublasSetWorkspace")
            # CuPy's switch for TF32 products, honoured here too.
            if os.environ.get("CUPY_TF32", "0") == "1":
                _check(lib.cublasSetMathMode(h, _TF32_TENSOR_OP_MATH), "cublasSetMathMode")
            entry = _handles[dev] = [h, workspace]
        _check(lib.cublasSetStream_v2(entry[0], ctypes.c_void_p(stream.ptr)), "cublasSetStream")
        active += 1
        _threads[me] = _threads.get(me, 0) + 1


def end():
    global active
    me = threading.get_ident()
    with _lock:
        if _threads.get(me):
            _threads[me] -= 1
            if not _threads[me]:
                del _threads[me]
            active = max(active - 1, 0)


def _mine():
    """Whether the calling thread is capturing (the products of other threads are not in its graph)."""
    return threading.get_ident() in _threads


def _operand(cp, x, rows, cols):
    """(array, op, leading dimension) describing x (rows x cols, row-major semantics) to column-major cuBLAS."""
    item = x.itemsize
    s0, s1 = x.strides
    if (s1 == item or cols == 1) and s0 % item == 0 and s0 // item >= max(cols, 1):
        return x, _OP_N, s0 // item
    if (s0 == item or rows == 1) and s1 % item == 0 and s1 // item >= max(rows, 1):
        return x, _OP_T, s1 // item
    x = cp.ascontiguousarray(x)
    return x, _OP_N, max(cols, 1)


def _gemm2d(cp, a, b, c):
    """c (C-contiguous m x n) = a (m x k) @ b (k x n)."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        c.fill(0)
        return
    a, op_a, lda = _operand(cp, a, m, k)
    b, op_b, ldb = _operand(cp, b, k, n)
    from . import _simulated

    if _simulated is not None:
        emulate = getattr(_simulated, "cublas_gemm", None)
        if emulate is None:
            c[...] = a @ b
        else:  # the stand-in computes exactly what cuBLAS would from these arguments
            emulate(op_b, op_a, n, m, k, b, ldb, a, lda, c, n)
        return
    lib = _lib
    h = _handles[cp.cuda.Device().id][0]
    # Row-major C = A @ B is column-major C^T = B^T @ A^T: b goes first.
    pa, pb, pc = ctypes.c_void_p(a.data.ptr), ctypes.c_void_p(b.data.ptr), ctypes.c_void_p(c.data.ptr)
    dt = c.dtype
    if dt == np.float64:
        one, zero = ctypes.c_double(1.0), ctypes.c_double(0.0)
        _check(lib.cublasDgemm_v2(h, op_b, op_a, n, m, k, ctypes.byref(one), pb, ldb, pa, lda, ctypes.byref(zero),
                                  pc, n), "cublasDgemm")
    elif dt == np.float32:
        one, zero = ctypes.c_float(1.0), ctypes.c_float(0.0)
        _check(lib.cublasSgemm_v2(h, op_b, op_a, n, m, k, ctypes.byref(one), pb, ldb, pa, lda, ctypes.byref(zero),
                                  pc, n), "cublasSgemm")
    else:  # float16, float32 accumulation as CuPy's default
        one, zero = ctypes.c_float(1.0), ctypes.c_float(0.0)
        _check(lib.cublasGemmEx(h, op_b, op_a, n, m, k, ctypes.byref(one), pb, _CUDA_R_16F, ldb, pa, _CUDA_R_16F,
                                lda, ctypes.byref(zero), pc, _CUDA_R_16F, n, _CUBLAS_COMPUTE_32F, _GEMM_DEFAULT),
               "cublasGemmEx")


_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def matmul(a, b, out=None):
    """a @ b with NumPy's matmul rules (1-D operands, broadcast batch dimensions); cuBLAS during capture."""
    if type(a) is np.ndarray or a.dtype != b.dtype or a.dtype not in _DTYPES or not active or not _mine():
        if out is None:
            return a @ b
        from . import get_array_module

        return get_array_module(a).matmul(a, b, out=out)
    from . import cupy_module

    cp = cupy_module()

    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        return a @ b  # CuPy's own error
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    m, n = a2.shape[-2], b2.shape[-1]
    c = cp.empty(batch + (m, n), a.dtype)
    with a.device:
        if batch:
            ab = cp.broadcast_to(a2, batch + a2.shape[-2:])
            bb = cp.broadcast_to(b2, batch + b2.shape[-2:])
            for idx in np.ndindex(*batch):
                _gemm2d(cp, ab[idx], bb[idx], c[idx])
        else:
            _gemm2d(cp, a2, b2, c)
    if a.ndim == 1:
        c = c[..., 0, :]
    if b.ndim == 1:
        c = c[..., 0]
    if out is not None:
        out[...] = c
        return out
    return c


def product(a, b, out=None):
    """a @ b of arrays (into out when given) for the ops' call sites: outside a capture one global lookup
    more than the plain product; while one captures, matmul above."""
    if active:
        return matmul(a, b, out=out)
    if out is None:
        return a @ b
    from . import get_array_module

    return get_array_module(a).matmul(a, b, out=out)


def gemm_into(a, b, c):
    """c[...] = a @ b for 2-D CuPy operands and a C-contiguous c of the same float dtype, during capture."""
    from . import cupy_module

    cp = cupy_module()
    if c.dtype not in _DTYPES or a.dtype != c.dtype or b.dtype != c.dtype or not c.flags.c_contiguous or \
            not _mine():
        cp.matmul(a, b, out=c)
        return
    with c.device:
        _gemm2d(cp, a, b, c)


def concatenate(xp, arrays, axis=0, out=None):
    """xp.concatenate; while a graph captures, one copy per array: CuPy joins more than 8 small arrays with
    one kernel whose table of pointers it uploads from the host, and capture forbids that upload."""
    if not active or len(arrays) <= 8 or xp is np or not _mine():
        return xp.concatenate(arrays, axis=axis) if out is None else xp.concatenate(arrays, axis=axis, out=out)
    first = arrays[0]
    ax = axis % first.ndim
    total = sum(a.shape[ax] for a in arrays)
    shape = first.shape[:ax] + (total,) + first.shape[ax + 1:]
    if out is None:
        out = xp.empty(shape, xp.result_type(*arrays))
    index = [slice(None)] * len(shape)
    at = 0
    for a in arrays:
        index[ax] = slice(at, at + a.shape[ax])
        out[tuple(index)] = a
        at += a.shape[ax]
    return out


def stack(xp, arrays, axis=0):
    """xp.stack, capture-safe as concatenate."""
    if not active or len(arrays) <= 8 or xp is np or not _mine():
        return xp.stack(arrays, axis=axis)
    ax = axis % (arrays[0].ndim + 1)
    return concatenate(xp, [xp.expand_dims(a, ax) for a in arrays], axis=ax)
