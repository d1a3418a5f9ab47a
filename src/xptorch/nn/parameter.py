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


# ---- lazy parameters and buffers --------------------------------------------------------------
_SHAPE_MSG = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
    "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call `forward` "
    "to initialize the parameters before accessing their attributes."
)
# Public methods an uninitialised tensor still answers: type and device moves, identity, copy.
_ALLOWED = frozenset((
    "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char", "short", "int",
    "long", "cuda", "cpu", "to", "get_device", "materialize", "cls_to_become", "share_memory_",
))


class UninitializedTensorMixin:
    """A tensor whose shape is not known yet: it holds an empty array until `materialize(shape)`.

    Only dtype and device moves work before then; any other method raises ValueError, and
    `.shape` raises RuntimeError, as in PyTorch.
    """

    __slots__ = ()
    _is_lazy = True

    def __getattribute__(self, name):
        if name[0] != "_" and name not in _ALLOWED:
            attr = getattr(type(self), name, None)
            if callable(attr) and not isinstance(attr, type):
                raise _use_error(type(self), name)
        return object.__getattribute__(self, name)

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor an (uninitialised) array of `shape` and turn it into its plain class, in place."""
        from .._factories import empty

        if device is None:
            device = self._device
        if dtype is None:
            dtype = _dtype_of(self)
        new = empty(tuple(shape), device=device, dtype=dtype)
        self._data, self._device = new._data, new._device
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_MSG)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize the "
            "parameters before calling `module.share_memory()`."
        )

    def _keep_lazy(self, moved):
        """Dtype and device moves of a buffer stay uninitialised; a parameter's give a plain tensor, whose
        array Module._apply puts into the parameter."""
        if not isinstance(self, Tensor) or isinstance(self, Parameter):
            return moved
        out = _uninitialized(type(self), self._rg, moved._device, moved._data)
        for key in ("persistent", "_is_buffer"):
            if key in self.__dict__:
                out.__dict__[key] = self.__dict__[key]
        return out

    def to(self, *args, **kwargs):
        return self._keep_lazy(Tensor.to(self, *args, **kwargs))

    def cpu(self):
        return self._keep_lazy(Tensor.cpu(self))

    def cuda(self, device=None, non_blocking=False):
        return self._keep_lazy(Tensor.cuda(self, device))

    def float(self):
        return self._keep_lazy(Tensor.float(self))

    def double(self):
        return self._keep_lazy(Tensor.double(self))

    def half(self):
        return self._keep_lazy(Tensor.half(self))

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (type(self), (self._rg,))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = type(self)(self._rg, self._device, _dtype_of(self))
        memo[id(self)] = out
        return out


def _use_error(cls, name):
    return ValueError(
        f"Attempted to use an uninitialized parameter in <method '{name}' of 'xptorch.Tensor' objects>. "
        "This error happens when you are using a `LazyModule` or explicitly manipulating "
        f"`xptorch.nn.parameter.{cls.__name__}` objects. When using LazyModules Call `forward` "
        "with a dummy batch to initialize the parameters before calling xptorch functions"
    )


def _refuse(name):
    def method(self, *args, **kwargs):
        raise _use_error(type(self), name)

    return method


# Operators bypass __getattribute__; each refuses through the method it stands for.
for _op, _name in (("add", "add"), ("radd", "add"), ("sub", "sub"), ("rsub", "sub"), ("mul", "mul"),
                   ("rmul", "mul"), ("truediv", "div"), ("rtruediv", "div"), ("matmul", "matmul"),
                   ("rmatmul", "matmul"), ("pow", "pow"), ("rpow", "pow"), ("neg", "neg"), ("getitem", "select"),
                   ("iadd", "add_"), ("isub", "sub_"), ("imul", "mul_"), ("itruediv", "div_"), ("lt", "lt"),
                   ("le", "le"), ("gt", "gt"), ("ge", "ge"), ("abs", "abs"), ("float", "item"), ("int", "item"),
                   ("bool", "item"), ("iter", "unbind")):
    setattr(UninitializedTensorMixin, f"__{_op}__", _refuse(_name))


def _dtype_of(t):
    from .. import _dtype

    return _dtype._BY_NP[t._data.dtype]


def _uninitialized(cls, requires_grad, device, arr):
    self = object.__new__(cls)
    self._data = arr
    self._device = device
    self._rg = bool(requires_grad)
    self.grad_fn = None
    if cls is UninitializedBuffer:
        self.persistent = True
        self._is_buffer = True
    return self


def is_lazy(param):
    """True for an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape a lazy module infers from its first input."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._factories import empty

        data = empty(0, device=device, dtype=dtype)
        if requires_grad and data._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        return _uninitialized(cls, requires_grad, data._device, data._data)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape a lazy module infers from its first input."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._factories import empty

        data = empty(0, device=device, dtype=dtype)
        self = _uninitialized(cls, requires_grad, data._device, data._data)
        self.persistent = persistent
        return self

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    @property
    def data(self):
        return self._keep_lazy(Tensor.data.fget(self))

    @data.setter
    def data(self, value):
        Tensor.data.fset(self, value)
