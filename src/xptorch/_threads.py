"""Thread counts: set_num_threads / get_num_threads control BLAS (through threadpoolctl) and the
random-fill pool together; set_num_interop_threads is accepted and remembered, as in PyTorch.

The default is the number of cores this process may run on, like PyTorch's. threadpoolctl is an
optional dependency (the `threads` extra): without it get_num_threads still answers, and
set_num_threads raises ImportError and changes nothing.
"""
import operator
import threading

from . import _random

__all__ = ["get_num_interop_threads", "get_num_threads", "set_num_interop_threads", "set_num_threads"]

_lock = threading.Lock()
_num_threads = None
_interop = None
_blas_limit = None  # threadpoolctl's limiter, kept so the limit stays applied


def _count(n, fn):
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise RuntimeError(f"{fn} expects an int, but got {type(n).__name__}")
    n = operator.index(n)
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return n


def get_num_threads():
    """Threads used for intra-op work: BLAS and the random fills."""
    return _num_threads if _num_threads is not None else _random._cpu_count()


def set_num_threads(n):
    """Use n threads for BLAS (via threadpoolctl) and for the random-fill pool."""
    global _num_threads, _blas_limit
    n = _count(n, "set_num_threads")
    try:
        import threadpoolctl
    except ImportError as exc:
        raise ImportError(
            "set_num_threads needs threadpoolctl to control the BLAS threads: pip install 'xptorch[threads]' "
            "(or pip install threadpoolctl)"
        ) from exc
    with _lock:
        _blas_limit = threadpoolctl.threadpool_limits(limits=n, user_api="blas")
        _random.set_fill_threads(n)
        _num_threads = n


def limit_for_worker():
    """One thread in a DataLoader worker: BLAS when threadpoolctl is there, the random fills always."""
    global _num_threads
    try:
        set_num_threads(1)
    except ImportError:
        with _lock:
            _random.set_fill_threads(1)
            _num_threads = 1


def get_num_interop_threads():
    """Threads for inter-op parallelism (xptorch runs ops one at a time; the value is kept for callers)."""
    return _interop if _interop is not None else _random._cpu_count()


def set_num_interop_threads(n):
    """Accepted once, like PyTorch (which refuses a second call)."""
    global _interop
    n = _count(n, "set_num_interop_threads")
    with _lock:
        if _interop is not None:
            raise RuntimeError(
                "Error: cannot set number of interop threads after parallel work has started or "
                "set_num_interop_threads called"
            )
        _interop = n
