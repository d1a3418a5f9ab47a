"""Array backends: NumPy for 'cpu', CuPy for 'cuda:N'. The only module that decides which."""
import numpy

_cupy = None
_cupy_error = None


def _load_cupy():
    """Import CuPy once; remember why it failed so every later call can say so."""
    global _cupy, _cupy_error
    if _cupy is not None or _cupy_error is not None:
        return _cupy
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        _cupy_error = (
            "CuPy is not installed: install xptorch with the 'cuda12' or 'cuda13' extra "
            "(pip install 'xptorch[cuda12]') to match your CUDA driver"
            f" ({type(exc).__name__}: {exc})"
        )
        return None
    _cupy = cupy
    return cupy


def cuda_status():
    """(ok, reason): whether a CUDA device can be used, and if not, which part is missing."""
    if _simulated is not None:
        return True, ""
    cp = _load_cupy()
    if cp is None:
        return False, _cupy_error
    try:
        n = cp.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, (
            "CuPy is installed but no CUDA driver could be used "
            f"({type(exc).__name__}: {exc}); install an NVIDIA driver matching the CuPy package's CUDA major"
        )
    if n == 0:
        return False, "CuPy and the CUDA driver are present but no CUDA GPU was found"
    return True, ""


def cupy_module():
    """CuPy, or RuntimeError naming what is missing (CuPy, the driver or a GPU)."""
    ok, reason = cuda_status()
    if not ok:
        raise RuntimeError(f"CUDA is not available: {reason}")
    return _cupy


def device_count():
    if _simulated is not None:
        return 1
    ok, _ = cuda_status()
    return _cupy.cuda.runtime.getDeviceCount() if ok else 0


def current_cuda_index():
    if _simulated is not None:
        return 0
    cp = cupy_module()
    return cp.cuda.runtime.getDevice()


def array_module(dev):
    """The array library for an xptorch device."""
    if dev.type == "cpu":
        return numpy
    return _simulated or cupy_module()


# Tests may map 'cuda' to a NumPy stand-in to exercise device logic on machines without a GPU.
_simulated = None


def simulate_cuda(enabled):
    """Let 'cuda:0' tensors live in NumPy arrays: device bookkeeping without a GPU (tests only)."""
    global _simulated
    _simulated = numpy if enabled else None


def get_array_module(array):
    """numpy or cupy, from an array instance."""
    if type(array).__module__.startswith("cupy"):
        return _cupy
    return numpy


def transfer(array, src, dst):
    """Copy an array from device src to device dst (same device returns the input)."""
    if src is dst:
        return array
    if _simulated is not None:
        return array.copy()
    cp = cupy_module()
    if dst.type == "cpu":
        return cp.asnumpy(array)
    with cp.cuda.Device(dst.index):
        return cp.asarray(array)


def use_device(dev):
    """Context manager making dev current for array allocation (no-op on CPU)."""
    if dev.type == "cpu" or _simulated is not None:
        return _NULL
    return cupy_module().cuda.Device(dev.index)


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL = _Null()


try:  # the context variable behind np.errstate, set without its per-call setup cost
    from numpy._core.umath import _extobj_contextvar as _fp_state
    from numpy._core.umath import _make_extobj

    _FP_QUIET = _make_extobj(all="ignore")

    def quiet(fn, *args):
        """fn(*args) without NumPy's floating-point warnings: PyTorch returns inf/nan silently."""
        token = _fp_state.set(_FP_QUIET)
        try:
            return fn(*args)
        finally:
            _fp_state.reset(token)

except ImportError:  # pragma: no cover - other NumPy layouts

    def quiet(fn, *args):
        with numpy.errstate(all="ignore"):
            return fn(*args)
