"""Graph nodes: one small class per op holds what its backward needs.

A node's `next` holds one edge per differentiable input: None (no gradient wanted), another
Node (the input was produced by an op), or the leaf Tensor itself (its gradient accumulates
into `.grad`). Nodes keep arrays, never their output Tensor, so graphs form no reference cycles.
Rarely used state (hooks, version checks) lives in the instance dict, so creating a node costs
one slot assignment plus its saved values.
"""

from collections import OrderedDict

from ..utils.hooks import RemovableHandle

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Node:
    __slots__ = ("next", "__dict__", "__weakref__")
    saves = ()  # slots holding saved arrays, dropped after backward
    _checks = None  # ((version_counter, version_at_save, tensor or output info), ...)
    _hooks = None
    _retain = None
    _packed = None  # saved arrays given to saved-tensor hooks (saved_hooks.py)
    _freed = False
    # Second-order rule: backward written in differentiable Tensor ops, used under create_graph=True
    # (see higher_order.py). None: the op has none, and its create_graph gradients refuse to be
    # differentiated again.
    backward_graph = None

    def __init__(self, next_edges):
        self.next = next_edges

    def backward(self, grad):
        """Return one gradient array (or None) per edge in `next`."""
        raise NotImplementedError

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def release(self):
        if self.saves:
            for attr in self.saves:
                setattr(self, attr, None)
            self._freed = True
            if self._packed is not None:
                self._packed = None
        if self._checks is not None:
            self._checks = None

    @property
    def next_functions(self):
        out = []
        for e in self.next:
            if e is None or isinstance(e, Node):
                out.append((e, 0))
            else:
                out.append((AccumulateGrad(e), 0))
        return tuple(out)

    def register_hook(self, fn):
        if self._hooks is None:
            self._hooks = OrderedDict()
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    @property
    def metadata(self):
        return {}


class AccumulateGrad:
    """What `next_functions` shows for a leaf; the engine accumulates into leaves directly."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"
