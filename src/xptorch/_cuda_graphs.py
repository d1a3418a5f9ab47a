"""CUDA graphs through CuPy's stream capture: xptorch.cuda.CUDAGraph, graph and make_graphed_callables.

Memory allocated while capturing comes from a pool private to the graph and stays reserved for it, so a
replay never writes into memory handed to someone else. Every CUDA tensor alive when capture starts is
recorded with its storage; the graph keeps those storages alive (a replay cannot read freed memory) and a
replay refuses to run if one of those tensors has since been given new storage (`.data = ...`, `.to()`
into a new array, load_state_dict replacing the array), because the graph would read the old one.
"""
import gc
import weakref

from . import backend
from .backend import capture_blas

__all__ = ["CUDAGraph", "graph", "make_graphed_callables", "graph_pool_handle"]


def _cp():
    return backend.cupy_module()


def _ptr(t):
    return t.data_ptr()


def graph_pool_handle():
    """A memory pool that several graphs may share (pass it as pool=)."""
    return _cp().cuda.MemoryPool()


class CUDAGraph:
    """One captured sequence of device work, replayed with replay()."""

    def __init__(self, keep_graph=False):
        self._graph = None
        self._stream = None
        self._pool = None
        self._watched = []
        self._kept = []
        self._capturing = False

    def capture_begin(self, pool=None, capture_error_mode="global"):
        from . import cuda

        if not cuda.is_available():
            raise RuntimeError("CUDA graphs need a CUDA device: " + (cuda.why_unavailable() or "none found"))
        if self._graph is not None or self._capturing:
            raise RuntimeError("This CUDAGraph instance already owns a captured graph. To capture a new graph, "
                               "create a new instance.")
        cp = _cp()
        from ._tensor import Tensor

        # Inputs: every CUDA tensor alive now. Their storages are kept so the graph never reads freed memory.
        for obj in gc.get_objects():
            # issubclass on the exact type: isinstance would ask lazy modules for __class__.
            if issubclass(type(obj), Tensor):
                dev = obj._device
                if dev.type == "cuda":
                    self._watched.append((weakref.ref(obj), _ptr(obj)))
                    self._kept.append(obj._data)
        self._pool = pool if pool is not None else cp.cuda.MemoryPool()
        self._stream = cp.cuda.Stream(non_blocking=True)
        self._alloc = cp.cuda.using_allocator(self._pool.malloc)
        self._alloc.__enter__()
        self._stream.__enter__()
        try:
            # Matrix products go to cuBLAS through xptorch's own handle (CuPy refuses them in capture).
            capture_blas.begin(cp, self._stream)
            self._blas = True
            self._stream.begin_capture()
        except Exception:
            self._end_blas()
            self._stream.__exit__(None, None, None)
            self._alloc.__exit__(None, None, None)
            raise
        self._capturing = True

    def _end_blas(self):
        if getattr(self, "_blas", False):
            self._blas = False
            capture_blas.end()

    def capture_end(self):
        if not self._capturing:
            raise RuntimeError("capture_end() called without a matching capture_begin()")
        try:
            self._graph = self._stream.end_capture()
        finally:
            self._capturing = False
            self._end_blas()
            self._stream.__exit__(None, None, None)
            self._alloc.__exit__(None, None, None)

    def _check_inputs(self):
        for i, (ref, ptr) in enumerate(self._watched):
            t = ref()
            if t is not None and (t._device.type != "cuda" or _ptr(t) != ptr):
                shape = tuple(t.shape)
                raise RuntimeError(
                    f"CUDA graph replayed after one of its inputs was reallocated: a tensor of shape {shape} "
                    "captured by the graph now has new storage, and the graph would read the old one. Copy new "
                    "values into the captured tensor in place (static_input.copy_(new)) instead of replacing it, "
                    "or capture a new graph.")

    def replay(self):
        if self._graph is None:
            raise RuntimeError("Called CUDAGraph::replay without a preceding successful capture.")
        self._check_inputs()
        self._graph.launch(_cp().cuda.get_current_stream())

    def reset(self):
        self._graph = None
        self._watched, self._kept = [], []
        self._pool = None

    def pool(self):
        return self._pool

    def debug_dump(self, path):
        with open(path, "w") as f:
            f.write(self._graph.debug_dot_str() if self._graph is not None else "")


class graph:
    """Context manager capturing the block's device work into cuda_graph (as torch.cuda.graph)."""

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
        self.cuda_graph = cuda_graph
        self.pool = pool
        self.capture_error_mode = capture_error_mode

    def __enter__(self):
        from . import cuda

        cuda.synchronize()
        gc.collect()
        self.cuda_graph.capture_begin(pool=self.pool, capture_error_mode=self.capture_error_mode)

    def __exit__(self, *exc):
        self.cuda_graph.capture_end()
        return False


def make_graphed_callables(callables, sample_args, num_warmup_iters=3, allow_unused_input=False, pool=None):
    """Capture each callable's forward (with sample_args) into a CUDA graph; returns callables that copy their
    arguments into the captured inputs and replay. Forward only: gradients are not captured, so the inputs and
    parameters must not require grad (call under no_grad, or use it for inference and evaluation)."""
    from . import no_grad
    from ._tensor import Tensor

    single = not isinstance(callables, tuple)
    if single:
        callables, sample_args = (callables,), (sample_args,)
    out = []
    for fn, args in zip(callables, sample_args):
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        for a in args:
            if not isinstance(a, Tensor):
                raise TypeError("In the beta API, sample_args for each callable must contain only Tensors. "
                                "Other types are not allowed.")
            if a.requires_grad:
                raise RuntimeError("xptorch's make_graphed_callables captures forward passes only: sample_args "
                                   "must not require grad")
        if hasattr(fn, "parameters") and any(p.requires_grad for p in fn.parameters()):
            raise RuntimeError("xptorch's make_graphed_callables captures forward passes only: call "
                               "module.requires_grad_(False) first")
        with no_grad():
            for _ in range(num_warmup_iters):
                fn(*args)
            g = CUDAGraph()
            with graph(g, pool=pool):
                static_out = fn(*args)
        out.append(_Graphed(g, args, static_out))
    return out[0] if single else tuple(out)


class _Graphed:
    def __init__(self, g, static_args, static_out):
        self.graph, self.static_args, self.static_out = g, static_args, static_out

    def __call__(self, *args):
        if len(args) != len(self.static_args):
            raise TypeError(f"graphed callable takes {len(self.static_args)} tensors, got {len(args)}")
        from . import no_grad

        with no_grad():
            for s, a in zip(self.static_args, args):
                if a is not s:
                    s.copy_(a)
        self.graph.replay()
        return self.static_out
