"""nn.Parameter and nn.Buffer: the tensors a Module registers as learnable or as state."""
from .._ops import _common as C
from .._tensor import Tensor
from .. import _tensor_str
from .._device import CPU


class Parameter(Tensor):
    """A leaf tensor with requires_grad=True by default, even when created under no_grad."""

    __slots__ = ()
    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        if requires_grad and data._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self = object.__new__(cls)
        self._data = data._data
        self._device = data._device
        self._rg = bool(requires_grad)
        self.grad_fn = None
        return self

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        d = self._data
        host = d if type(d).__module__ == "numpy" else d.get()
        return _tensor_str.format_parameter(
            host,
            dtype_name=d.dtype.name,
            device=None if self._device is CPU else str(self._device),
            requires_grad=self._rg,
        )

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (Tensor.detach(self), self._rg))

    def __deepcopy__(self, memo):
        # As PyTorch: values and requires_grad are copied, .grad is not.
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(C.wrap(self._data.copy(), self._device), self._rg)
        memo[id(self)] = out
        return out


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    # A Buffer is a plain Tensor marked for registration, so isinstance looks at the mark.
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and getattr(obj, "_is_buffer", False)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Assigning `Buffer(t, persistent=...)` to a Module attribute registers t as a buffer."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._factories import empty

            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
