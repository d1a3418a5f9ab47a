"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad (1d, 2d, 3d)."""
from ..._ops.pad import pad
from .module import Module

_KINDS = ("Zero", "Constant", "Reflection", "Replication", "Circular")
__all__ = [f"{k}Pad{n}d" for k in _KINDS for n in (1, 2, 3)]


def _widths(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    return tuple(padding)


class _PadNd(Module):
    _n = 0
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._n)

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _make(kind, n):
    base = {"Zero": _ZeroPadNd, "Constant": _ConstantPadNd}.get(kind, _PadNd)
    mode = {"Reflection": "reflect", "Replication": "replicate", "Circular": "circular"}.get(kind, "constant")
    return type(f"{kind}Pad{n}d", (base,), {"_n": n, "_mode": mode, "__module__": __name__})


for _k in _KINDS:
    for _n in (1, 2, 3):
        globals()[f"{_k}Pad{_n}d"] = _make(_k, _n)
