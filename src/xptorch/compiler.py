"""torch.compile and torch.compiler for code written against PyTorch 2.x.

xptorch runs every op eagerly on NumPy/CuPy and has no graph compiler: `xptorch.compile(model)`
checks its arguments as PyTorch does and returns `model` itself. Unlike PyTorch's OptimizedModule
wrapper, the returned module is the original one, so its state_dict keys carry no `_orig_mod.`
prefix and a checkpoint loads into the compiled and the plain model alike.
"""

__all__ = ["allow_in_graph", "compile", "disable", "is_compiling", "is_dynamo_compiling", "list_backends", "reset"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("cudagraphs", "inductor", "eager", "aot_eager")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """Return `model` unchanged (xptorch runs eagerly), after PyTorch's argument checks; with no
    model, a decorator that does the same: `@xptorch.compile` and `@xptorch.compile(mode=...)` both work."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise RuntimeError(
            f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available backends.")
    if model is None:
        def decorate(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                           disable=disable)

        return decorate
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model


def is_compiling():
    """False: nothing in xptorch runs under a graph compiler."""
    return False


is_dynamo_compiling = is_compiling


def disable(fn=None, recursive=True, *, reason=None):
    """The function itself (nothing is compiled to be excluded from); usable as a decorator."""
    if fn is None:
        return lambda f: f
    return fn


def allow_in_graph(fn):
    return fn


def reset():
    """Nothing cached to clear."""


def list_backends(exclude_tags=("debug", "experimental")):
    """The backend names compile() accepts, as PyTorch lists its non-debug ones."""
    return sorted(b for b in _BACKENDS if b not in ("eager", "aot_eager"))
