"""A CuPy-shaped `cuda` runtime with two devices, for testing xptorch.cuda's bookkeeping without a GPU:
current device per thread, streams, events with host clocks, and a per-device memory pool."""
import itertools
import threading
import time
import types

_ptrs = itertools.count(0x1000, 0x100)


class _State(threading.local):
    def __init__(self):
        self.device = 0
        self.stream = {}


class _PoolMemory:
    def __init__(self, pool, size, device):
        self.pool, self.size, self.device_id = pool, size, device
        self.ptr = next(_ptrs)

    def free(self):
        self.pool.used[self.device_id] -= self.size


def make(n_devices=2):
    st = _State()
    log = []
    m = types.SimpleNamespace(log=log)

    def check(i):
        if not 0 <= i < n_devices:
            raise RuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def props(i):
        check(i)
        return {"name": f"Simulated GPU {i}".encode(), "major": 9, "minor": 0, "totalGlobalMem": (80 + i) << 30,
                "multiProcessorCount": 132, "l2CacheSize": 50 << 20}

    def set_device(i):
        check(i)
        st.device = i

    runtime = types.SimpleNamespace(getDeviceCount=lambda: n_devices, getDevice=lambda: st.device,
                                    setDevice=set_device, getDeviceProperties=props)

    class Device:
        def __init__(self, device=None):
            self.id = st.device if device is None else device
            check(self.id)

        def __enter__(self):
            self._prev = st.device
            st.device = self.id
            return self

        def __exit__(self, *exc):
            st.device = self._prev

        def synchronize(self):
            log.append(("sync", self.id))

    class Stream:
        null = None

        def __init__(self, non_blocking=False, priority=0, ptr=None):
            self.ptr = next(_ptrs) if ptr is None else ptr
            self.device_id = st.device
            self.done = True

        def synchronize(self):
            log.append(("stream_sync", self.ptr))

        def wait_event(self, event):
            log.append(("wait", self.ptr, event))

        def use(self):
            st.stream[st.device] = self

        def __enter__(self):
            self._prev = st.stream.get(st.device)
            self.use()
            return self

        def __exit__(self, *exc):
            st.stream[st.device] = self._prev

        def begin_capture(self, mode=None):
            log.append(("begin_capture", self.ptr))

        def end_capture(self):
            log.append(("end_capture", self.ptr))
            return Graph()

    class Graph:
        def launch(self, stream=None):
            log.append(("launch", None if stream is None else stream.ptr))

        def debug_dot_str(self):
            return "digraph {}"

    Stream.null = Stream(ptr=0)

    class Event:
        def __init__(self, block=False, disable_timing=False, interprocess=False):
            self.timing = not disable_timing
            self.t = None
            self.done = True

        def record(self, stream=None):
            self.t = time.perf_counter()
            log.append(("record", stream.ptr if stream is not None else None))

        def synchronize(self):
            log.append(("event_sync",))

    def elapsed(a, b):
        if not (a.timing and b.timing):
            raise RuntimeError("cudaErrorInvalidResourceHandle")
        return (b.t - a.t) * 1e3

    class MemoryPool:
        def __init__(self):
            self.used = {i: 0 for i in range(n_devices)}
            self.reserved = {i: 0 for i in range(n_devices)}

        def malloc(self, size):
            d = st.device
            self.used[d] += size
            self.reserved[d] = max(self.reserved[d], self.used[d])
            return _PoolMemory(self, size, d)

        def used_bytes(self):
            return self.used[st.device]

        def total_bytes(self):
            return self.reserved[st.device]

        def free_all_blocks(self):
            for d in self.reserved:
                self.reserved[d] = self.used[d]

    pool = MemoryPool()
    allocator = [pool.malloc]

    def set_allocator(fn):
        allocator[0] = fn

    class using_allocator:
        def __init__(self, fn):
            self.fn = fn

        def __enter__(self):
            self.prev = allocator[0]
            allocator[0] = self.fn

        def __exit__(self, *exc):
            allocator[0] = self.prev

    m.cuda = types.SimpleNamespace(runtime=runtime, Device=Device, Stream=Stream, Event=Event,
                                   get_elapsed_time=elapsed, set_allocator=set_allocator,
                                   using_allocator=using_allocator,
                                   get_current_stream=lambda: st.stream.get(st.device, Stream.null),
                                   MemoryPool=MemoryPool)
    m.get_default_memory_pool = lambda: pool
    m.malloc = lambda size: allocator[0](size)
    m.state = st
    return m
