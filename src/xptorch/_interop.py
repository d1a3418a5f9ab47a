"""DLPack import: zero-copy tensors from NumPy, CuPy, PyTorch or any other DLPack producer."""
import ctypes

import numpy as np

from . import _dtype
from ._device import CPU
from ._device import device as Device
from ._ops import _common as C

# DLDeviceType codes (dlpack.h)
_CPU, _CUDA, _CUDA_MANAGED = 1, 2, 13


def from_dlpack(ext):
    """A tensor sharing memory with ext: an object with __dlpack__/__dlpack_device__, or a DLPack capsule."""
    if not hasattr(ext, "__dlpack__") or not hasattr(ext, "__dlpack_device__"):
        ext = _Capsule(ext)
    kind, index = ext.__dlpack_device__()
    if kind == _CPU:
        arr, dev = np.from_dlpack(ext), CPU
        if type(ext) is _Capsule and not arr.flags.writeable:
            arr = _writable_alias(arr)
    elif kind in (_CUDA, _CUDA_MANAGED):
        from .backend import cupy_module

        arr, dev = cupy_module().from_dlpack(ext), Device("cuda", int(index))
    else:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {int(kind)}")
    _dtype.from_numpy_dtype(arr.dtype)
    return C.wrap(arr, dev)


class _Interface:
    """Carries an __array_interface__ and keeps the array it describes alive."""

    __slots__ = ("__array_interface__", "owner")

    def __init__(self, interface, owner):
        self.__array_interface__ = interface
        self.owner = owner


def _writable_alias(arr):
    # Legacy capsules cannot say whether memory is read-only, so NumPy assumes it is; PyTorch
    # (and its to_dlpack memory) treats it as writable, and so do we.
    iface = dict(arr.__array_interface__)
    iface["data"] = (iface["data"][0], False)
    return np.asarray(_Interface(iface, arr))


class _Capsule:
    """A legacy DLPack capsule dressed as a producer, its device read from the DLTensor it points to."""

    __slots__ = ("capsule", "device")

    def __init__(self, capsule):
        self.capsule = capsule
        self.device = _capsule_device(capsule)

    def __dlpack__(self, stream=None, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return self.device


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


_INVALID = (
    "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, "
    "so you might have already constructed a tensor from it once."
)


def _capsule_device(capsule):
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    is_valid = ctypes.pythonapi.PyCapsule_IsValid
    is_valid.restype, is_valid.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_char_p]
    # DLManagedTensor starts with its DLTensor; the versioned struct puts version, manager,
    # deleter and flags (8 bytes each) first. In DLTensor the device follows the data pointer.
    for name, skip in ((b"dltensor", 0), (b"dltensor_versioned", 32)):
        if type(capsule).__name__ == "PyCapsule" and is_valid(capsule, name):
            ptr = get(capsule, name)
            d = _DLDevice.from_address(ptr + skip + ctypes.sizeof(ctypes.c_void_p))
            return d.device_type, d.device_id
    raise RuntimeError(_INVALID)
