"""xptorch.device: a (type, index) pair, interned so hot paths compare by identity."""
import re
import threading

_SPEC = re.compile(r"^(cpu|cuda)(?::(\d+))?$")
_INTERNED = {}


class device:
    """Where a tensor's memory lives: device('cpu'), device('cuda'), device('cuda', 1) or device('cuda:1')."""
    __module__ = "xptorch"
    __slots__ = ("type", "index", "_str", "__weakref__")

    def __new__(cls, type_or_str, index=None):
        if isinstance(type_or_str, device):
            if index is not None:
                raise RuntimeError("device(): a device object takes no index")
            return type_or_str
        if isinstance(type_or_str, int) and not isinstance(type_or_str, bool):
            type_or_str, index = "cuda", type_or_str
        if not isinstance(type_or_str, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(type_or_str).__name__})")
        m = _SPEC.match(type_or_str)
        if m is None:
            if type_or_str.split(":", 1)[0] in ("cpu", "cuda"):
                raise RuntimeError(f"Invalid device string: '{type_or_str}'")
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type_or_str}"
            )
        kind, idx = m.group(1), m.group(2)
        if idx is not None:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed explicitly: {type_or_str}"
                )
            index = int(idx)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        key = (kind, index)
        cached = _INTERNED.get(key)
        if cached is not None:
            return cached
        self = object.__new__(cls)
        self.type = kind
        self.index = index
        self._str = kind if index is None else f"{kind}:{index}"
        _INTERNED[key] = self
        return self

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self._str

    def __eq__(self, other):
        # As in PyTorch, a device never equals a string: compare with device("cpu") or .type.
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self._str,))

    def __enter__(self):
        """`with xptorch.device('cuda'):` makes it the default device of factories inside the block."""
        stack = getattr(_default, "stack", None)
        if stack is None:
            stack = _default.stack = []
        stack.append(getattr(_default, "device", None))
        _default.device = self
        return self

    def __exit__(self, *exc):
        _default.device = _default.stack.pop()
        return False


CPU = device("cpu")

# Per thread, as in PyTorch: where factories put a tensor when no device is given.
_default = threading.local()


def set_default_device(d):
    """Factories called without device= create their tensors on d from now on (None: back to the CPU)."""
    _default.device = None if d is None else device(d) if type(d) is not device else d


def get_default_device():
    """The device factories use when none is given ('cuda' resolved to the current CUDA device)."""
    return canonical(getattr(_default, "device", None))


def set_default():
    """The device given to set_default_device, or None when none is set."""
    return getattr(_default, "device", None)


def default_device():
    """The default device, or CPU fast when none was set."""
    d = getattr(_default, "device", None)
    return CPU if d is None else canonical(d)


def canonical(d):
    """The concrete device tensors live on: 'cuda' means the current CUDA device."""
    if d is None:
        return CPU
    if type(d) is not device:
        d = device(d)
    if d.type == "cpu":
        return CPU
    if d.type == "cuda":
        from . import backend

        if d.index is None:
            return device("cuda", backend.current_cuda_index())
        backend.check_cuda_index(d.index)
        if d.index:
            from .backend import device_guard

            if not device_guard.active[0]:
                device_guard.enable()  # a second device is in use: ops run on their tensors' device
    return d
