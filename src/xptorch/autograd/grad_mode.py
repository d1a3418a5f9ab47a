"""Grad mode lives in thread-local state: each thread starts with gradients enabled."""
import functools
import threading


class _State(threading.local):
    def __init__(self):
        self.enabled = True


state = _State()


def is_grad_enabled():
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

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Mode):
    _target = False


class enable_grad(_Mode):
    _target = True


class set_grad_enabled(_Mode):
    def __init__(self, mode):
        self._target = bool(mode)
        self._prev = state.enabled
        state.enabled = self._target  # takes effect as a function call too, like torch

    def __enter__(self):
        pass

    def __call__(self, fn):
        state.enabled = self._prev
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(no_grad):
    def __init__(self, mode=True):
        self._target = not mode
