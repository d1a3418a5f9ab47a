"""Anomaly detection: with check_nan on, backward names the first op whose gradient holds a NaN."""
import functools
import threading


class _State:
    # Process-wide, as in PyTorch: a debugging switch, not per-thread state.
    enabled = False
    check_nan = True


state = _State()
_lock = threading.Lock()


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off; takes effect at once, and undoes itself as a context manager."""

    def __init__(self, mode, check_nan=True):
        with _lock:
            self._prev = (state.enabled, state.check_nan)
            state.enabled, state.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        with _lock:
            state.enabled, state.check_nan = self._prev
        return False


class detect_anomaly:
    """Context manager (or decorator) enabling anomaly detection inside it."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._mode = set_detect_anomaly(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        return self._mode.__exit__(*exc)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper
