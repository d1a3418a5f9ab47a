"""y += alpha * x (axpy) and y = alpha * x + beta * y (axpby) in one pass through the BLAS NumPy itself
loaded, when it can be found.

NumPy has no fused multiply-add ufunc, so `y -= lr * g` costs two passes over memory; the optimisers'
updates are memory-bound, and BLAS's axpy does the same update in one. Found through the OpenBLAS
that NumPy's wheels bundle (its symbols carry a scipy_ prefix and 64-bit integers); anywhere else
`axpy` and `axpby` return False and the caller takes the two-pass NumPy path. axpby is an OpenBLAS
extension (also in MKL and BLIS): where only axpy is found, `axpby` returns False.
"""
import ctypes

import numpy

_FUNCS = None
# Below this many elements the ctypes call costs more than the pass it saves.
MIN_SIZE = 1 << 14


def _find():
    """{dtype: cblas ?axpy} from the OpenBLAS mapped into this process, or {}."""
    paths = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.rsplit(" ", 1)[-1].strip()
                if "openblas" in p.lower() and ".so" in p and p not in paths:
                    paths.append(p)
    except OSError:
        return {}
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, itype in (("scipy_cblas_", ctypes.c_int64), ("cblas_", ctypes.c_int)):
            for suffix in ("64_", ""):
                try:
                    s = getattr(lib, f"{prefix}saxpy{suffix}")
                    d = getattr(lib, f"{prefix}daxpy{suffix}")
                except AttributeError:
                    continue
                if (suffix == "64_") != (itype is ctypes.c_int64):
                    continue
                s.argtypes = [itype, ctypes.c_float, ctypes.c_void_p, itype, ctypes.c_void_p, itype]
                d.argtypes = [itype, ctypes.c_double, ctypes.c_void_p, itype, ctypes.c_void_p, itype]
                s.restype = d.restype = None
                funcs = {numpy.dtype(numpy.float32): s, numpy.dtype(numpy.float64): d}
                try:
                    sb = getattr(lib, f"{prefix}saxpby{suffix}")
                    db = getattr(lib, f"{prefix}daxpby{suffix}")
                except AttributeError:
                    return funcs
                f, dd = ctypes.c_float, ctypes.c_double
                sb.argtypes = [itype, f, ctypes.c_void_p, itype, f, ctypes.c_void_p, itype]
                db.argtypes = [itype, dd, ctypes.c_void_p, itype, dd, ctypes.c_void_p, itype]
                sb.restype = db.restype = None
                funcs[(numpy.dtype(numpy.float32), "axpby")] = sb
                funcs[(numpy.dtype(numpy.float64), "axpby")] = db
                return funcs
    return {}


def axpy(alpha, x, y):
    """y += alpha * x in place (x, y C-contiguous NumPy arrays of one float dtype); False if not done."""
    global _FUNCS
    if y.size < MIN_SIZE or type(y) is not numpy.ndarray or type(x) is not numpy.ndarray:
        return False
    if _FUNCS is None:
        _FUNCS = _find()
    fn = _FUNCS.get(y.dtype)
    if fn is None or x.dtype != y.dtype or x.shape != y.shape or not (
            x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable):
        return False
    fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    return True


def axpby(alpha, x, beta, y):
    """y = alpha * x + beta * y in place (as axpy's operands); False if not done."""
    global _FUNCS
    if y.size < MIN_SIZE or type(y) is not numpy.ndarray or type(x) is not numpy.ndarray:
        return False
    if _FUNCS is None:
        _FUNCS = _find()
    fn = _FUNCS.get((y.dtype, "axpby"))
    if fn is None or x.dtype != y.dtype or x.shape != y.shape or not (
            x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable):
        return False
    fn(y.size, alpha, x.ctypes.data, 1, beta, y.ctypes.data, 1)
    return True
