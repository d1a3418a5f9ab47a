"""nn.Parameter: a Tensor that a Module registers as learnable."""
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
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(C.wrap(self._data.copy(), self._device), self._rg)
        if self._grad is not None:
            out._grad = C.wrap(self._grad._data.copy(), self._device)
        memo[id(self)] = out
        return out


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marker accepted by Module.__setattr__ to register a buffer (as torch.nn.Buffer)."""

    __slots__ = ()

    def __new__(cls, data=None, *, persistent=True):
        t = object.__new__(Tensor)
        t._data = data._data
        t._device = data._device
        t._rg = False
        t.grad_fn = None
        t._buffer_persistent = persistent
        return t
