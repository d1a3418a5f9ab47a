"""Utilities: data loading, activation checkpointing, hook handles, nested-container helpers."""
from . import hooks

__all__ = ["checkpoint", "data", "hooks"]


def __getattr__(name):
    # checkpoint and data sit above autograd, which imports hooks from here: they load on first use.
    import importlib

    if name in ("checkpoint", "data", "_pytree"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
