"""Reverse-mode automatic differentiation: backward() and grad()."""
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from . import engine as _engine
from . import graph
from .engine import run_backward, run_post_accumulate_hooks
from .function import Function, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .node import AccumulateGrad as _AccumulateGrad
from .node import Node
from .variable import Variable

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "Node", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "Function", "once_differentiable",
           "gradcheck", "gradgradcheck", "Variable", "graph"]


def _as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, (_tensor_cls(), graph.GradientEdge)) else list(x)


_EDGE_MATERIALIZE = "materialize_grads cannot be used when the given input is a GradientEdge"


class _EdgeInput:
    """Stands for a GradientEdge on a computed tensor among `inputs`: the engine captures the
    gradient arriving at its node, as it does for a tensor with that grad_fn."""

    __slots__ = ("grad_fn",)
    _rg = True

    def __init__(self, node):
        self.grad_fn = node


def _resolve_inputs(inputs):
    """inputs with each GradientEdge replaced by what the engine captures: a leaf edge by the leaf, a
    computed one by a tensor of the list with that grad_fn, else an _EdgeInput."""
    if not any(isinstance(t, graph.GradientEdge) for t in inputs):
        return inputs
    by_node = {}
    for t in inputs:
        if not isinstance(t, graph.GradientEdge) and t.grad_fn is not None:
            by_node.setdefault(t.grad_fn, t)
    out = []
    for t in inputs:
        if isinstance(t, graph.GradientEdge):
            node = t.node
            if isinstance(node, _AccumulateGrad):
                t = node.variable
            else:
                t = by_node.get(node)
                if t is None:
                    t = by_node[node] = _EdgeInput(node)
        out.append(t)
    return out


def _array_device(g):
    from .._device import device
    from ..backend import is_device_array

    if not is_device_array(g):
        return device("cpu")
    return device("cuda", int(getattr(getattr(g, "device", None), "id", 0) or 0))


_TENSOR = []


def _tensor_cls():
    if not _TENSOR:
        from .._tensor import Tensor

        _TENSOR.append(Tensor)
    return _TENSOR[0]


def _roots(tensors, grad_tensors):
    Tensor = _tensor_cls()
    roots = []
    for i, t in enumerate(tensors):
        if not t._rg or (t.grad_fn is None and t._cm is not None and t._cm_v is not None):  # a view made under
            # no_grad that requires grad through its base leads nowhere
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        g = grad_tensors[i] if grad_tensors is not None else None
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind != "f":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {t.dtype}"
                )
            ga = _xp(t._data).ones(t._data.shape, dtype=t._data.dtype)
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape of {t.shape}."
                )
            if g._device is not t._device:
                raise RuntimeError(
                    f"invalid gradient at index {i} - expected device {t._device} but got {g._device}"
                )
            ga = g._data
            if ga.dtype != t._data.dtype:
                ga = ga.astype(t._data.dtype)
        target = t.grad_fn if t.grad_fn is not None else t
        roots.append((target, ga))
    return roots


from numpy import ndarray as _ndarray  # noqa: E402

from ..backend import get_array_module as _xp  # noqa: E402


def _graph_roots(roots, tensors, grad_tensors):
    """The roots with Tensor gradients, keeping a given gradient's own graph (create_graph=True)."""
    Tensor = _tensor_cls()
    out = []
    for i, (target, ga) in enumerate(roots):
        g = grad_tensors[i] if grad_tensors is not None else None
        if g is None or g._data is not ga:
            g = Tensor._from_array(ga, tensors[i]._device) if g is None else g.to(tensors[i].dtype)
        out.append((target, g))
    return out


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's .grad."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors)
    roots = _roots(tensors, grad_tensors)
    if create_graph:
        from .higher_order import _accumulate, run_backward_graph, warn_cycle_once

        warn_cycle_once()
        retain = True if retain_graph is None else bool(retain_graph)
        roots = _graph_roots(roots, tensors, grad_tensors)
        if inputs is None:
            run_backward_graph(roots, retain)
            return
        inputs = _resolve_inputs(_as_list(inputs))
        got = run_backward_graph(roots, retain, capture=inputs, accumulate=False)
        for t in inputs:
            g = got.get(id(t))
            if g is not None and t.__class__ is not _EdgeInput:
                _accumulate(t, g)
                if t._post_acc_hooks and t.grad_fn is None:
                    run_post_accumulate_hooks(t)
        return
    if inputs is not None:
        inputs = _resolve_inputs(_as_list(inputs))
        got = run_backward(roots, bool(retain_graph), capture=inputs, accumulate=False)
        for t in inputs:
            g = got.get(id(t))
            if g is not None and t.__class__ is not _EdgeInput:
                t._accumulate_grad(g.copy() if t._grad is None else g)
                if t._post_acc_hooks and t.grad_fn is None:
                    run_post_accumulate_hooks(t)
        return
    run_backward(roots, bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any .grad."""
    from .._tensor import Tensor

    outputs = _as_list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_list(inputs)
    edges = [isinstance(t, graph.GradientEdge) for t in inputs]
    inputs = _resolve_inputs(inputs)
    for i, t in enumerate(inputs):
        if not t._rg:
            raise RuntimeError(f"One of the differentiated Tensors does not require grad")
    grad_outputs = _as_list(grad_outputs)
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    roots = _roots(outputs, grad_outputs)
    if create_graph:
        return _grad_with_graph(outputs, inputs, grad_outputs, roots, retain_graph, allow_unused,
                                materialize_grads, edges)
    _engine.next_task_is_grad()
    got = run_backward(roots, bool(retain_graph), capture=inputs, accumulate=False)
    out = []
    for i, t in enumerate(inputs):
        g = got.get(id(t))
        if g is None:
            if materialize_grads and edges[i]:
                raise RuntimeError(_EDGE_MATERIALIZE)
            if materialize_grads:
                g = _xp(t._data).zeros_like(t._data)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        if g is not None and t.__class__ is _EdgeInput:
            out.append(Tensor._from_array(g.copy(), _array_device(g)))
            continue
        if g is not None and (g.base is not None or g.shape != t._data.shape or g.dtype != t._data.dtype
                              or (type(g) is _ndarray and not g.flags.writeable)):
            g = _xp(g).array(_xp(g).broadcast_to(g, t._data.shape), dtype=t._data.dtype)
        out.append(None if g is None else Tensor._from_array(g, t._device))
    return tuple(out)


def _grad_with_graph(outputs, inputs, grad_outputs, roots, retain_graph, allow_unused, materialize_grads, edges):
    from .higher_order import run_backward_graph

    Tensor = _tensor_cls()
    retain = True if retain_graph is None else bool(retain_graph)
    _engine.next_task_is_grad()
    got = run_backward_graph(_graph_roots(roots, outputs, grad_outputs), retain, capture=inputs,
                             accumulate=False)
    out = []
    for i, t in enumerate(inputs):
        g = got.get(id(t))
        if g is None:
            if materialize_grads and edges[i]:
                raise RuntimeError(_EDGE_MATERIALIZE)
            if materialize_grads:
                g = Tensor._from_array(_xp(t._data).zeros_like(t._data), t._device)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif t.__class__ is not _EdgeInput and g._data.shape != t._data.shape:
            g = g.expand(*t._data.shape)
        out.append(g)
    return tuple(out)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """is_grads_batched: one backward per slice along dim 0 of every grad_output, results stacked."""
    from .._functions import stack

    if grad_outputs is None or any(g is None for g in grad_outputs):
        raise RuntimeError("grad_outputs must be given (one batch per output) when is_grads_batched=True")
    n = grad_outputs[0].shape[0]
    for i, (g, o) in enumerate(zip(grad_outputs, outputs)):
        if g.dim() != o.dim() + 1 or g.shape[0] != n or tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape of "
                f"{o.shape}. If you are using is_grads_batched=True, each grad_output must have a leading "
                "batch dimension."
            )
    per = []
    for k in range(n):
        last = k == n - 1
        keep = (retain_graph if retain_graph is not None else create_graph) if last else True
        per.append(grad(outputs, inputs, [g[k] for g in grad_outputs], retain_graph=keep,
                        create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads))
    out = []
    for j, t in enumerate(inputs):
        col = [p[j] for p in per]
        if all(c is None for c in col):
            out.append(None)
            continue
        col = [c if c is not None else _tensor_cls()._from_array(_xp(t._data).zeros_like(t._data), t._device)
               for c in col]
        out.append(stack(col) if create_graph else _tensor_cls()._from_array(
            _xp(t._data).stack([c._data for c in col]), t._device))
    return tuple(out)


from . import functional  # noqa: E402  (needs grad above)
