"""`autograd.Variable`: the pre-0.4 name of Tensor, kept for code written against it."""
from . import engine


class _ExecutionEngine:
    """What code written for PyTorch reaches as `Variable._execution_engine`."""

    @staticmethod
    def queue_callback(callback):
        engine.queue_callback(callback)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .._tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Variable(data, requires_grad=False): a new leaf sharing data's memory; every Tensor is a Variable."""

    _execution_engine = _ExecutionEngine()

    def __new__(cls, data, requires_grad=False, volatile=False):
        from .._tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
