"""xptorch.cuda: devices, streams, events and memory statistics as torch.cuda names them, over CuPy.

Safe to import and query without CuPy or a GPU: is_available() is then False and why_unavailable() says why;
calls that need a device raise RuntimeError with that reason.
"""
import threading

from .. import backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "device", "device_of",
           "get_device_name", "get_device_capability", "get_device_properties", "synchronize", "Stream", "Event",
           "stream", "current_stream", "default_stream", "memory_allocated", "max_memory_allocated",
           "reset_peak_memory_stats", "memory_reserved", "max_memory_reserved", "empty_cache", "manual_seed",
           "manual_seed_all", "seed", "initial_seed", "why_unavailable", "is_bf16_supported", "CUDAGraph", "graph",
           "make_graphed_callables", "graph_pool_handle", "is_current_stream_capturing", "get_rng_state",
           "set_rng_state", "get_rng_state_all", "set_rng_state_all", "mem_get_info", "memory_stats",
           "memory_summary", "is_initialized", "init", "OutOfMemoryError", "reset_max_memory_allocated",
           "set_stream", "amp", "nvtx"]


def is_available():
    ok, _ = backend.cuda_status()
    return ok


def why_unavailable():
    """The reason CUDA cannot be used here ('' when it can)."""
    return backend.cuda_status()[1]


def device_count():
    return backend.device_count()


def _cp():
    return backend.cupy_module()


def _index(dev, optional=True):
    """The CUDA ordinal of dev (int, 'cuda:N', xptorch.device or None for the current one)."""
    if dev is None:
        if optional:
            return current_device()
        raise ValueError("Expected a cuda device, but got: None")
    if isinstance(dev, int) and not isinstance(dev, bool):
        idx = dev
    else:
        from .._device import device as _dev

        d = _dev(dev)
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        idx = current_device() if d.index is None else d.index
    backend.check_cuda_index(idx)
    return idx


def current_device():
    return backend.current_cuda_index()


def set_device(device):
    """Make device the current CUDA device of this thread (a negative index is ignored, as in PyTorch)."""
    if isinstance(device, int) and device < 0:
        return
    backend.set_current_cuda_index(_index(device))


class device:
    """Context manager that makes a CUDA device current and restores the previous one on exit."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = current_device()
            if self.prev_idx != self.idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False


class device_of(device):
    """The device of a tensor made current (a CPU tensor changes nothing)."""

    def __init__(self, obj):
        dev = obj.device
        super().__init__(dev.index if dev.type == "cuda" else None)


# ---------------------------------------------------------------- properties


class _CudaDeviceProperties:
    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count", "L2_cache_size")

    def __init__(self, props):
        name = props["name"]
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.major, self.minor = int(props["major"]), int(props["minor"])
        self.total_memory = int(props["totalGlobalMem"])
        self.multi_processor_count = int(props["multiProcessorCount"])
        self.L2_cache_size = int(props.get("l2CacheSize", 0))

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count}, L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)")


def get_device_properties(device=None):
    return _CudaDeviceProperties(_cp().cuda.runtime.getDeviceProperties(_index(device)))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    p = get_device_properties(device)
    return (p.major, p.minor)


def is_bf16_supported(including_emulation=True):
    # CuPy has no bfloat16 arrays, so xptorch cannot compute in it on any GPU.
    return False


def synchronize(device=None):
    """Wait for all work queued on device (default: the current CUDA device); raises for a failed
    device-side check (see backend.device_assert)."""
    if not is_available():
        return
    _cp().cuda.Device(_index(device)).synchronize()
    backend.device_assert.raise_pending()


# ---------------------------------------------------------------- streams and events


class Stream:
    """A CUDA stream of device (default: the current one); `with xptorch.cuda.stream(s):` makes it current."""

    def __init__(self, device=None, priority=0, **kwargs):
        cp = _cp()
        self.device_index = _index(device)
        with cp.cuda.Device(self.device_index):
            self._stream = kwargs.get("_stream") or cp.cuda.Stream(non_blocking=False, priority=priority)

    @property
    def device(self):
        from .._device import device as _dev

        return _dev("cuda", self.device_index)

    @property
    def cuda_stream(self):
        return self._stream.ptr

    def synchronize(self):
        self._stream.synchronize()

    def query(self):
        return self._stream.done

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def wait_event(self, event):
        self._stream.wait_event(event._event)

    def wait_stream(self, stream):
        self.wait_event(stream.record_event())

    def __eq__(self, other):
        return isinstance(other, Stream) and self._stream.ptr == other._stream.ptr and \
            self.device_index == other.device_index

    def __hash__(self):
        return hash((self._stream.ptr, self.device_index))

    def __repr__(self):
        return f"<xptorch.cuda.Stream device=cuda:{self.device_index} cuda_stream={hex(self._stream.ptr)}>"


class Event:
    """A CUDA event; with enable_timing=True, elapsed_time(end) gives the milliseconds between two records."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        cp = _cp()
        self.enable_timing = enable_timing
        self._event = cp.cuda.Event(block=blocking, disable_timing=not enable_timing, interprocess=interprocess)
        self._recorded = False

    def record(self, stream=None):
        s = current_stream() if stream is None else stream
        self._event.record(s._stream)
        self._recorded = True

    def wait(self, stream=None):
        s = current_stream() if stream is None else stream
        s.wait_event(self)

    def query(self):
        return self._event.done

    def synchronize(self):
        self._event.synchronize()

    def elapsed_time(self, end_event):
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._recorded and end_event._recorded):
            raise ValueError("Both events must be recorded before calculating elapsed time.")
        return float(_cp().cuda.get_elapsed_time(self._event, end_event._event))


def current_stream(device=None):
    cp = _cp()
    idx = _index(device)
    with cp.cuda.Device(idx):
        return Stream(idx, _stream=cp.cuda.get_current_stream())


def default_stream(device=None):
    cp = _cp()
    idx = _index(device)
    return Stream(idx, _stream=cp.cuda.Stream.null)


class StreamContext:
    """Makes stream current (and its device) for the block; stream=None changes nothing."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is None:
            return None
        self._dev = device(self.stream.device_index)
        self._dev.__enter__()
        self._prev = _cp().cuda.get_current_stream()
        self.stream._stream.use()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is None:
            return False
        self._prev.use()
        self._dev.__exit__(*exc)
        return False


def stream(stream):
    return StreamContext(stream)


def set_stream(stream):
    """Make stream the current stream of its device (prefer the `with stream(s):` form)."""
    if stream is None:
        return
    set_device(stream.device_index)
    stream._stream.use()


def is_current_stream_capturing():
    """Whether the current CUDA stream is capturing a CUDA graph (False without CUDA)."""
    if not is_available():
        return False
    return bool(_cp().cuda.get_current_stream().is_capturing())


# ---------------------------------------------------------------- memory


_peaks = {}
_peak_lock = threading.Lock()
_tracking = False


def _pool():
    return _cp().get_default_memory_pool()


def _track():
    """Route CuPy allocations through a wrapper that records each device's peak (from the first stats call on)."""
    global _tracking
    if _tracking:
        return
    cp = _cp()
    pool = _pool()
    if not hasattr(cp.cuda, "set_allocator"):
        _tracking = True
        return

    def malloc(size):
        mem = pool.malloc(size)
        idx = mem.device_id
        used = pool.used_bytes()
        if used > _peaks.get(idx, 0):
            with _peak_lock:
                if used > _peaks.get(idx, 0):
                    _peaks[idx] = used
        return mem

    cp.cuda.set_allocator(malloc)
    _tracking = True


def _on(device, fn):
    if not is_available():
        return 0
    idx = _index(device)
    with _cp().cuda.Device(idx):
        return fn(idx)


def memory_allocated(device=None):
    """Bytes of device memory held by tensors (CuPy's pool, rounded to its 512-byte blocks)."""
    def used(idx):
        _track()
        return _pool().used_bytes()

    return _on(device, used)


def max_memory_allocated(device=None):
    """The peak of memory_allocated since the first memory-statistics call or reset_peak_memory_stats."""
    def peak(idx):
        _track()
        return max(_peaks.get(idx, 0), _pool().used_bytes())

    return _on(device, peak)


def reset_peak_memory_stats(device=None):
    def reset(idx):
        _track()
        _peaks[idx] = _pool().used_bytes()

    _on(device, reset)


def memory_reserved(device=None):
    return _on(device, lambda idx: _pool().total_bytes())


max_memory_reserved = memory_reserved


def reset_max_memory_allocated(device=None):
    """Deprecated alias of reset_peak_memory_stats (which resets every peak), as in PyTorch."""
    import warnings

    warnings.warn("torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device)


def mem_get_info(device=None):
    """(free, total) bytes of the device, from cudaMemGetInfo."""
    def info(idx):
        free, total = _cp().cuda.runtime.memGetInfo()
        return int(free), int(total)

    _need_cuda()
    return _on(device, info)


def memory_stats(device=None):
    """A dict of the allocator's counters under PyTorch's key names (those CuPy's pool can tell)."""
    if not is_available():
        return {}
    cur, peak, reserved = memory_allocated(device), max_memory_allocated(device), memory_reserved(device)
    stats = {}
    for pool in ("all", "large_pool", "small_pool"):
        full = pool == "all"
        stats[f"allocated_bytes.{pool}.current"] = cur if full else 0
        stats[f"allocated_bytes.{pool}.peak"] = peak if full else 0
        stats[f"reserved_bytes.{pool}.current"] = reserved if full else 0
        stats[f"active_bytes.{pool}.current"] = cur if full else 0
    return dict(sorted(stats.items()))


def memory_summary(device=None, abbreviated=False):
    """A short human-readable table of memory_stats()."""
    if not is_available():
        return "No CUDA device is available: " + why_unavailable()
    idx = _index(device)
    rows = [("Allocated memory", memory_allocated(idx), max_memory_allocated(idx)),
            ("Reserved memory", memory_reserved(idx), max_memory_reserved(idx))]
    lines = [f"xptorch CUDA memory summary, device ID {idx}", f"{'':<20}{'Current':>16}{'Peak':>16}"]
    for name, cur, peak in rows:
        lines.append(f"{name:<20}{_human(cur):>16}{_human(peak):>16}")
    return "\n".join(lines) + "\n"


def _human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024


def empty_cache():
    """Return the memory pool's unused blocks to the device."""
    if is_available():
        _pool().free_all_blocks()


# ---------------------------------------------------------------- random numbers


def manual_seed(seed):
    """Seed the generator (shared by CPU and CUDA: same seed, same numbers on both)."""
    from .. import _random

    _random.manual_seed(seed)


manual_seed_all = manual_seed


def seed():
    from .. import _random

    _random.seed()


seed_all = seed


def initial_seed():
    from .. import _random

    return _random.initial_seed()


def _need_cuda():
    if not is_available():
        raise RuntimeError(why_unavailable())


def get_rng_state(device="cuda"):
    """The state of a GPU's default generator, as a uint8 tensor (on the CPU)."""
    from .. import _random

    _need_cuda()
    return _random.default_generator_for(f"cuda:{_index(device)}").get_state()


def set_rng_state(new_state, device="cuda"):
    """Restore a GPU's default generator from get_rng_state()."""
    from .. import _random

    _need_cuda()
    _random.default_generator_for(f"cuda:{_index(device)}").set_state(new_state)


def get_rng_state_all():
    """Every GPU's generator state, in device order."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states):
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def is_initialized():
    """Whether xptorch has set CUDA up in this process (true once a device is usable)."""
    return is_available() and backend.cuda_status()[0]


def init():
    """Set CUDA up now (it is otherwise done on first use); raises if no device is usable."""
    _need_cuda()
    current_device()


def __getattr__(name):
    if name == "OutOfMemoryError":
        return _out_of_memory_error()
    if name in ("amp", "nvtx"):  # submodules, loaded on first use
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in ("CUDAGraph", "graph", "make_graphed_callables", "graph_pool_handle"):
        from .. import _cuda_graphs

        return getattr(_cuda_graphs, name)
    raise AttributeError(f"module 'xptorch.cuda' has no attribute '{name}'")


class _NoDeviceOutOfMemoryError(RuntimeError):
    """Without CuPy no device allocation can fail: a class to name in `except`, never raised."""


def _out_of_memory_error():
    """CuPy's OutOfMemoryError when CuPy is there (the error a failed device allocation raises, so
    `except torch.cuda.OutOfMemoryError` catches it), else a class that is never raised."""
    try:
        import cupy
    except ImportError:
        return _NoDeviceOutOfMemoryError
    return cupy.cuda.memory.OutOfMemoryError

