"""Grad mode lives in thread-local state: each thread starts with gradients enabled."""
import functools
import threading


class _State(threading.local):
    def __init__(self):
        self.enabled = True
        self.inference = False


state = _State()


def is_inference_mode_enabled():
    """True inside `inference_mode()` (the current thread's)."""
    return state.inference


def is_grad_enabled():
    """True while operations record gradients (the current thread's grad mode)."""
    return state.enabled


class _Mode:
    """Base for the grad-mode context managers; also usable as decorators."""

    _target = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def _fresh(self):
        """An equivalent manager for one call: the instance's own _prev must not be shared."""
        m = object.__new__(type(self))
        m._target = self._target
        return m

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper


class _BareDecoratable(_Mode):
    """Usable as `@no_grad()` and as bare `@no_grad`, like PyTorch's."""

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is None:
            return self
        return self(orig_func)


class no_grad(_BareDecoratable):
    """Context manager and decorator that turns gradient recording off inside it."""
    _target = False


class enable_grad(_BareDecoratable):
    """Context manager and decorator that turns gradient recording on inside it."""
    _target = True


class set_grad_enabled(_Mode):
    """Turns gradient recording on or off: as a call, a context manager or a decorator."""
    def __init__(self, mode):
        self._target = bool(mode)
        self._prev = state.enabled
        state.enabled = self._target  # takes effect as a function call too, like torch

    def __enter__(self):
        pass

    def __call__(self, fn):
        state.enabled = self._prev
        return super().__call__(fn)

    def _fresh(self):
        m = object.__new__(_Mode)
        m._target = self._target
        return m


class inference_mode(no_grad):
    """Context manager and decorator for inference: no gradient recording inside it."""
    def __new__(cls, mode=True):
        if callable(mode):  # bare @inference_mode
            return super().__new__(cls)(mode)
        return object.__new__(cls)

    _inference = True

    def __init__(self, mode=True):
        if not callable(mode):
            self._target = not mode
            self._inference = bool(mode)

    def __enter__(self):
        super().__enter__()
        self._prev_inference = state.inference
        state.inference = self._inference

    def __exit__(self, *exc):
        state.inference = self._prev_inference
        return super().__exit__(*exc)

    def _fresh(self):
        m = super()._fresh()
        m._inference = self._inference
        return m
