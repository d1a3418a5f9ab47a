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
    """CuPy (or the module installed by simulate_cuda), or RuntimeError naming what is missing."""
    if _simulated is not None:
        return _simulated
    ok, reason = cuda_status()
    if not ok:
        raise RuntimeError(f"CUDA is not available: {reason}")
    return _cupy


def device_count():
    if _simulated is numpy:
        return 1
    if _simulated is not None:
        return _simulated.cuda.runtime.getDeviceCount()
    ok, _ = cuda_status()
    return _cupy.cuda.runtime.getDeviceCount() if ok else 0


def current_cuda_index():
    if _simulated is numpy:
        return 0
    return cupy_module().cuda.runtime.getDevice()


def set_current_cuda_index(idx):
    """Make CUDA device idx current for this thread (as cudaSetDevice does)."""
    check_cuda_index(idx)
    if idx and not device_guard.active[0]:
        device_guard.enable()
    cupy_module().cuda.runtime.setDevice(idx)


def check_cuda_index(idx):
    """RuntimeError unless idx names a visible CUDA device; the message says how many there are."""
    if _simulated is None and idx < _real_count[0]:
        return  # the visible devices do not change within a process
    n = device_count()
    if 0 <= idx < n:
        if _simulated is None:
            _real_count[0] = n
        return
    if n == 0:
        raise RuntimeError(f"CUDA is not available: {cuda_status()[1]}")
    visible = "cuda:0" if n == 1 else f"cuda:0 to cuda:{n - 1}"
    raise RuntimeError(f"CUDA error: invalid device ordinal: cuda:{idx} was requested, but this machine has {n} "
                       f"CUDA device{'s' if n > 1 else ''} ({visible})")


def array_module(dev):
    """The array library for an xptorch device."""
    if dev.type == "cpu":
        return numpy
    return _simulated or cupy_module()


# The module standing in for CuPy while simulate_cuda is on (None: the real CuPy, if any).
_simulated = None
_real_count = [0]


def simulate_cuda(module):
    """Testing hook: serve 'cuda:0' from a CuPy-like module instead of CuPy and a GPU.

    ``simulate_cuda(m)`` makes ``m`` the array module of every 'cuda' tensor (``m.ndarray`` its array type,
    ``m.cuda`` with its runtime, devices and streams, ``m.asnumpy`` and the routines xptorch calls, with CuPy's
    signatures), and the kernel launches of cuda_kernels.py go through ``m.cuda.nvrtc`` and
    ``m.cuda.function``. The test suite installs a strict CPU stand-in (tests/strict_cupy.py) that enforces
    CuPy's rules, counts host syncs and can offer several devices. ``simulate_cuda(numpy)`` keeps 'cuda:0'
    tensors in plain NumPy arrays (one device, no CuPy rules). ``simulate_cuda(None)`` goes back to the
    real CuPy.
    Arrays made under one module must not be used after switching to another.
    """
    global _simulated
    if module is True or (module is not None and module is not False and not hasattr(module, "ndarray")):
        raise TypeError("simulate_cuda() takes a CuPy-like module (with an ndarray type) or None")
    device_guard.disable()
    _simulated = module or None


def is_device_array(array):
    """Whether array lives on a CUDA device (a CuPy array, or the simulated module's)."""
    t = type(array)
    if t is numpy.ndarray:
        return False
    if _simulated is not None and t is _simulated.ndarray:
        return True
    return t.__module__.startswith("cupy")


def get_array_module(array):
    """numpy or cupy (or the simulated module), from an array instance."""
    t = type(array)
    if t is numpy.ndarray:
        return numpy
    if _simulated is not None and t is _simulated.ndarray:
        return _simulated
    if t.__module__.startswith("cupy"):
        return _cupy
    return numpy


def transfer(array, src, dst):
    """Copy an array from device src to device dst (same device returns the input)."""
    if src is dst:
        return array
    if _simulated is numpy:
        return array.copy()
    cp = cupy_module()
    if dst.type == "cpu":
        out = cp.asnumpy(array)
        if _checks._pending:
            _checks.raise_pending()
        return out
    if src.type != "cpu":  # between GPUs: a device-to-device copy
        with cp.cuda.Device(dst.index):
            return array.copy()
    with cp.cuda.Device(dst.index):
        return cp.asarray(array)


def use_device(dev):
    """Context manager making dev current for array allocation (no-op on CPU)."""
    if dev.type == "cpu" or _simulated is numpy:
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


def pinned_copy(array):
    """A copy of a host array in page-locked memory (CuPy's pinned pool); a plain copy under simulation."""
    if _simulated is not None:
        return numpy.array(array, copy=True)
    cp = cupy_module()
    mem = cp.cuda.alloc_pinned_memory(max(array.nbytes, 1))
    out = numpy.frombuffer(mem, array.dtype, array.size).reshape(array.shape)
    out[...] = array
    return out


from . import device_assert as _checks  # noqa: E402
from . import device_guard  # noqa: E402
