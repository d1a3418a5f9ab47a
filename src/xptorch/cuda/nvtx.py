"""torch.cuda.nvtx: NVTX ranges and marks for profilers (Nsight Systems), through CuPy's NVTX
bindings when CuPy has them; without them every call does nothing and range_push/range_pop still
count depth as PyTorch's return values do."""
import contextlib
import threading

__all__ = ["mark", "range", "range_end", "range_pop", "range_push", "range_start"]

_depth = threading.local()
_next_id = [0]


def _nvtx():
    try:
        from cupy.cuda import nvtx
    except Exception:  # no CuPy, or CuPy built without NVTX
        return None
    return nvtx


def range_push(msg):
    """Open a nested range; returns its depth (0-based), as PyTorch."""
    n = _nvtx()
    if n is not None:
        n.RangePush(msg)
    depth = getattr(_depth, "n", 0)
    _depth.n = depth + 1
    return depth


def range_pop():
    """Close the innermost range; returns the depth it had, or -1 when none was open."""
    depth = getattr(_depth, "n", 0)
    if depth == 0:
        return -1
    n = _nvtx()
    if n is not None:
        n.RangePop()
    _depth.n = depth - 1
    return depth - 1


def range_start(msg):
    """Start a range that may end on another thread; returns its id."""
    n = _nvtx()
    if n is not None and hasattr(n, "RangeStartEx"):
        return n.RangeStartEx(msg)
    _next_id[0] += 1
    return _next_id[0]


def range_end(range_id):
    n = _nvtx()
    if n is not None and hasattr(n, "RangeEnd"):
        n.RangeEnd(range_id)


def mark(msg):
    """An instantaneous event in the profile."""
    n = _nvtx()
    if n is not None:
        n.Mark(msg)


@contextlib.contextmanager
def range(msg, *args, **kwargs):  # noqa: A001 - PyTorch's name
    """`with nvtx.range("step {}", i):` pushes msg.format(*args, **kwargs) for the block."""
    range_push(msg.format(*args, **kwargs))
    try:
        yield
    finally:
        range_pop()
