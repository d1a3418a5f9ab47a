"""Device-side asserts: the validity checks PyTorch's CUDA kernels make on the device, without host syncs.

A CUDA op whose operands can only be validated by looking at their values (integer indices in range, loss
targets within the classes, BCE inputs within [0, 1]) queues a 0-d boolean device array that is True when
the check failed, and goes on (CuPy wraps out-of-range indices, so no memory outside the array is touched).
Nothing is read back then. The queued flags are read in one copy at the next call that synchronises with the
host anyway (``item()``, ``tolist()``, ``numpy()``, ``bool()``, printing, a copy to the CPU,
``xptorch.cuda.synchronize()``), which raises ``RuntimeError`` naming the first failed check, as PyTorch
reports a device-side assert at its next synchronisation. Results computed between the failed op and that
point are as unreliable as after a device-side assert in PyTorch.

``xptorch.autograd.set_detect_anomaly(True)`` (or ``XPTORCH_SYNC_CHECKS=1`` in the environment) makes every
check synchronous: the error is raised by the op that failed it, at the cost of a host sync per check.
"""
import os
import threading

_lock = threading.Lock()
_pending = []  # (flag, message): flag a 0-d bool device array, True when the check failed
_SYNC = os.environ.get("XPTORCH_SYNC_CHECKS", "0") not in ("", "0")
# Flags folded into one after this many, so a loop that never synchronises keeps a bounded queue.
_FOLD = 64


def expect_false(flag, message):
    """Queue flag (a 0-d bool device array, True = violated); raised as RuntimeError(message) at the next sync."""
    from ..autograd.anomaly_mode import state

    if _SYNC or state.enabled:
        if bool(flag):
            raise RuntimeError(message)
        return
    with _lock:
        _pending.append((flag, message))
        if len(_pending) >= _FOLD:
            _fold()


def index_in_range(idx, size, message):
    """Queue the check -size <= idx < size for a device integer array idx (nothing queued when it is empty)."""
    if idx.size == 0:
        return
    lo, hi = idx.min(), idx.max()
    expect_false((lo < -size) | (hi >= size), message)


def _fold():
    """Combine queued flags of one message into one (device ops only; called under the lock)."""
    by_msg = {}
    for flag, msg in _pending:
        key = (msg, flag.device.id)
        prev = by_msg.get(key)
        by_msg[key] = flag if prev is None else (prev | flag)
    _pending[:] = [(f, m) for (m, _), f in by_msg.items()]


def raise_pending():
    """Read the queued flags back (one copy per device) and raise for the first that is set."""
    if not _pending:
        return
    with _lock:
        queued = _pending[:]
        _pending.clear()
    from . import get_array_module

    by_dev = {}
    for flag, msg in queued:
        by_dev.setdefault(flag.device.id, []).append((flag, msg))
    for items in by_dev.values():
        xp = get_array_module(items[0][0])
        with items[0][0].device:
            host = xp.stack([f.reshape(()) for f, _ in items]).get()
        for bad, (_, msg) in zip(host.tolist(), items):
            if bad:
                raise RuntimeError(f"CUDA error: device-side assert triggered: {msg}")


def pending():
    """Number of queued checks (for tests)."""
    return len(_pending)


def clear():
    """Drop the queued checks without reading them."""
    with _lock:
        _pending.clear()
