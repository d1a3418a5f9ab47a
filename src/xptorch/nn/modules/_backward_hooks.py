"""Full backward hooks: a module's inputs and outputs pass through one graph group, so a hook
sees every gradient of a call together, as hook(module, grad_input, grad_output)."""
import warnings

import numpy as np

from ..._ops import _common as C
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...backend import array_module, use_device
from ...autograd.node import Node

_TOKEN = np.zeros(())  # what a port passes to its group: only the arrival matters


class BackwardHookFunctionBackward(Node):
    """Identity on one tensor crossing a hooked module's boundary; hands its gradient to the group."""

    __slots__ = ("group", "slot")

    def backward(self, g):
        self.group.grads[self.slot] = g
        return (_TOKEN,)

    def backward_graph(self, g):
        self.group.grads[self.slot] = g
        return (C.const(array_module(g._device).zeros(()), g._device),)


class _HookGroup(Node):
    """Runs after every port of one boundary, so a hook sees all of its gradients together."""

    __slots__ = ("grads", "fire")

    def backward(self, _):
        grads, self.grads = self.grads, [None] * len(self.grads)
        return self.fire(grads)

    backward_graph = backward  # under create_graph the gradients are Tensors, and the hooks' answers stay so


def _through_group(tensors, fire):
    """The tensors again, each through a port into one group node whose edges are the originals'."""
    group = _HookGroup(tuple(C.edge(t) for t in tensors))
    group.grads = [None] * len(tensors)
    group.fire = fire
    out = []
    for i, t in enumerate(tensors):
        port = BackwardHookFunctionBackward((group,))
        port.group, port.slot = group, i
        out.append(C.wrap_grad(t._data, t._device, port))
    return out


class _BackwardHook:
    """One forward call's full backward hooks: pre-hooks see grad_output, hooks see grad_input too.

    As in PyTorch, grad_input has one entry per positional argument (None for non-tensors, zeros for
    tensors no gradient reached) and grad_output one per output (None where none arrived).
    """

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = 0
        self.inputs = self.outputs = None  # [(position, tensor metadata, port slot or None)]

    def _wrap(self, values, fire, every_tensor):
        """Send the values that require grad through one group node; None when none does."""
        if not grad_mode.state.enabled or not any(isinstance(v, Tensor) and v._rg for v in values):
            return None, values
        entries, routed = [], []
        for i, v in enumerate(values):
            if isinstance(v, Tensor) and (v._rg or every_tensor):
                entries.append((i, (v._data.shape, v._data.dtype, v._device), len(routed) if v._rg else None))
                if v._rg:
                    routed.append(v)
        new = list(values)
        for (i, _, _), w in zip((e for e in entries if e[2] is not None), _through_group(routed, fire)):
            new[i] = w
        return entries, type(values)(*new) if type(values) is not tuple else tuple(new)

    def setup_inputs(self, args):
        self.n_inputs = len(args)
        self.inputs, args = self._wrap(args, self._on_inputs, True)
        return args

    def setup_outputs(self, result):
        if not isinstance(result, (Tensor, tuple)):
            warnings.warn(
                "For backward hooks to be called, module output should be a Tensor or a tuple of Tensors "
                f"but received {type(result)}",
                stacklevel=3,
            )
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        self.n_outputs = len(outs)
        self.outputs, outs = self._wrap(outs, self._on_outputs, False)
        return outs[0] if single else outs

    def _on_outputs(self, grads):
        go = _pack(self.outputs, grads, self.n_outputs, zeros=False)
        for hook in self.pre_hooks:
            out = hook(self.module, go)
            if out is None:
                continue
            if len(out) != len(go):
                raise RuntimeError(
                    f"Backward pre hook returned an invalid number of grad_output, got {len(out)}, "
                    f"but expected {len(go)}"
                )
            go = out
        self.grad_outputs = go
        if self.inputs is None:
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module outputs "
                "since no inputs require gradients. See the documentation of "
                "Module.register_full_backward_hook for more details.",
                stacklevel=2,
            )
            gi = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, gi, go)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should always return None "
                        "or None for all gradients."
                    )
            self.grad_outputs = None
        return _unpack(self.outputs, go, _is_graph(grads))

    def _on_inputs(self, grads):
        if self.grad_outputs is None:  # the gradient reached the inputs without passing the outputs
            return grads
        gi = _pack(self.inputs, grads, self.n_inputs, zeros=True)
        for hook in self.hooks:
            out = hook(self.module, gi, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(gi):
                raise RuntimeError(
                    f"Backward hook returned an invalid number of grad_input, got {len(out)}, but expected {len(gi)}"
                )
            gi = out
        self.grad_outputs = None
        return _unpack(self.inputs, gi, _is_graph(grads))


def _is_graph(grads):
    return any(isinstance(g, Tensor) for g in grads)


def _pack(entries, grads, n, zeros):
    """Gradients as a tuple over all n positions, as Tensors a hook may keep."""
    out = [None] * n
    for i, (shape, dtype, dev), slot in entries:
        g = grads[slot] if slot is not None else None
        if g is None and zeros:
            with use_device(dev):
                g = array_module(dev).zeros(shape, dtype)
        out[i] = None if g is None else g if isinstance(g, Tensor) else C.wrap(g, dev)
    return tuple(out)


def _unpack(entries, values, graph):
    """The hooks' answers for the routed tensors, copied: a hook may keep what it saw or returned.
    Under create_graph (graph) they stay Tensors, with their graphs; nothing edits those in place."""
    if graph:
        return [values[i] for i, _, slot in entries if slot is not None]
    return [None if values[i] is None else values[i]._data.copy() for i, _, slot in entries if slot is not None]
