"""xptorch.cuda: availability and device queries, safe to call without CuPy or a GPU."""
from . import backend


def is_available():
    ok, _ = backend.cuda_status()
    return ok


def device_count():
    return backend.device_count()


def current_device():
    return backend.current_cuda_index()


def why_unavailable():
    """The reason CUDA cannot be used here ('' when it can)."""
    return backend.cuda_status()[1]


def synchronize(device=None):
    """Wait for all work queued on device (default: the current CUDA device)."""
    if backend._simulated is not None:
        return
    if is_available():
        cp = backend.cupy_module()
        idx = None if device is None else _index(device)
        cp.cuda.Device(idx).synchronize()


def _index(device):
    if isinstance(device, int):
        return device
    from ._device import device as _dev

    d = _dev(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return d.index


def manual_seed(seed):
    from . import _random

    _random.manual_seed(seed)


manual_seed_all = manual_seed


def get_device_name(device=None):
    cp = backend.cupy_module()
    idx = 0 if device is None else (device if isinstance(device, int) else (device.index or 0) if hasattr(device, "index") else int(str(device).split(":")[-1]) if ":" in str(device) else 0)
    props = cp.cuda.runtime.getDeviceProperties(idx)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def memory_allocated(device=None):
    if not is_available() or backend._simulated is not None:
        return 0
    return backend.cupy_module().get_default_memory_pool().used_bytes()
