"""Work handles: what an `async_op=True` collective returns; every wait has a deadline."""
import time


class DistError(RuntimeError):
    """Base of the errors raised by xptorch.distributed (a RuntimeError, as in PyTorch)."""


class DistBackendError(DistError):
    """A collective failed or timed out in its backend."""


class DistStoreError(DistError):
    """The key-value store failed or timed out."""


class DistNetworkError(DistError):
    """A socket could not be reached in time."""


def poll(done, deadline, what):
    """Call done() until it returns True; raise DistBackendError once the deadline has passed.

    Spins first (a collective of small messages finishes in microseconds), then yields the CPU
    between tests, and after a few thousand tests sleeps 100 us at a time, so that waiting ranks
    leave the cores to the ranks still computing without adding milliseconds of latency.
    """
    spins = 0
    while not done():
        spins += 1
        if spins > 200:
            if time.monotonic() > deadline[0]:
                raise DistBackendError(f"Timed out after {deadline[1]:g} s waiting for {what}")
            time.sleep(0 if spins < 3000 else 1e-4)


class Work:
    """One collective in flight: `wait()` blocks until it is done (or times out)."""

    __slots__ = ("_done_fn", "_finish", "_completed", "_timeout", "_what", "_exc")

    def __init__(self, done_fn, finish=None, timeout=1800.0, what="a collective"):
        self._done_fn, self._finish = done_fn, finish
        self._completed = False
        self._timeout, self._what = timeout, what

    def _complete(self):
        if not self._completed:
            self._completed = True
            if self._finish is not None:
                self._finish()

    def is_completed(self):
        if not self._completed and self._done_fn():
            self._complete()
        return self._completed

    def is_success(self):
        return self.is_completed()

    def wait(self, timeout=None):
        if not self._completed:
            t = _seconds(timeout) if timeout is not None else self._timeout
            poll(self._done_fn, (time.monotonic() + t, t), self._what)
            self._complete()
        return True

    def __repr__(self):
        return f"<xptorch.distributed.Work {self._what}{' (completed)' if self._completed else ''}>"


def _seconds(t):
    return t.total_seconds() if hasattr(t, "total_seconds") else float(t)


def completed_work():
    w = Work(lambda: True)
    w._completed = True
    return w
