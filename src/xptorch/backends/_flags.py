"""A backend module whose flags are properties: a wrong type is refused as PyTorch refuses it."""
import contextlib
import sys
import types


class FlagModule(types.ModuleType):
    """Module type with bool flags: `cudnn.benchmark = "x"` raises RuntimeError as PyTorch's does."""

    _flags = {}  # attribute -> name in PyTorch's error message

    def __init__(self, name, doc, flags):
        super().__init__(name, doc)
        object.__setattr__(self, "_values", dict(flags))

    def __getattr__(self, key):
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        raise AttributeError(f"module {self.__name__!r} has no attribute {key!r}")

    def __setattr__(self, key, value):
        if key in self._values:
            if not isinstance(value, bool):
                raise RuntimeError(f"{self._setter_names[key]} expects a bool, but got {type(value).__name__}")
            self._values[key] = value
        else:
            super().__setattr__(key, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._values))


def install(module_name, flags, setter_names):
    """Turn the module `module_name` into a FlagModule holding `flags`, keeping its functions."""
    old = sys.modules[module_name]
    new = FlagModule(module_name, old.__doc__, flags)
    object.__setattr__(new, "_setter_names", setter_names)
    for key, value in vars(old).items():
        if key not in ("__class__",):
            types.ModuleType.__setattr__(new, key, value)
    sys.modules[module_name] = new
    return new


@contextlib.contextmanager
def set_flags(module, **values):
    """Set some flags for the duration of a block, then put the old values back."""
    given = {k: v for k, v in values.items() if v is not None}
    old = {k: getattr(module, k) for k in given}
    for k, v in given.items():
        setattr(module, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(module, k, v)
