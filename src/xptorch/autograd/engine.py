"""Backward pass: Kahn's algorithm over the graph, iterative, so depth is unlimited."""
import re

import numpy as np

from ..backend import quiet
from . import anomaly_mode
from .node import FREED_MSG, Node

_VERSION_MSG = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [xptorch.{legacy} [{shape}]]{which} is at version {now}; expected version {then} instead. "
    "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
    "xptorch.autograd.set_detect_anomaly(True, check_nan=False)."
)
_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")


def _version_error(now, then, who):
    """PyTorch's message: the saved tensor's type and shape, and the op whose output it is."""
    from .._dtype import from_numpy_dtype

    if isinstance(who, tuple):  # an op's own output: (dtype, shape, node name, on cuda)
        dtype, shape, name, cuda = who
    else:  # an input tensor: its current producer, as PyTorch reports it
        dtype, shape, cuda = who._data.dtype, who._data.shape, who._device.type == "cuda"
        name = who.grad_fn.name() if who.grad_fn is not None else None
    legacy = ("cuda." if cuda else "") + from_numpy_dtype(dtype)._legacy
    which = f", which is output 0 of {_BACKWARD_SUFFIX.sub('', name)}," if name else ""
    raise RuntimeError(
        _VERSION_MSG.format(legacy=legacy, shape=", ".join(map(str, shape)), which=which, now=now, then=then)
    )


def _check_nan(node, grads):
    for i, gi in enumerate(grads):
        if gi is not None and gi.dtype.kind == "f" and bool(np.isnan(gi).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def run_backward(roots, retain_graph=False, capture=None, accumulate=True):
    """Propagate gradients from roots: a list of (Node or leaf Tensor, gradient array).

    capture: tensors whose incoming gradient is returned, keyed by id (for autograd.grad);
    accumulate: whether leaves' `.grad` is updated.
    """
    # NumPy warns on inf/nan in gradients (0 * inf, x / 0); PyTorch propagates them silently.
    return quiet(_run, roots, retain_graph, capture, accumulate)


def _run(roots, retain_graph, capture, accumulate):
    # Count, for every reachable node, the edges that point at it.
    deps = {}
    stack = []
    for target, _ in roots:
        if isinstance(target, Node) and target not in deps:
            deps[target] = 0
            stack.append(target)
    while stack:
        for e in stack.pop().next:
            if e is not None and e.__class__ is not _TENSOR and isinstance(e, Node):
                c = deps.get(e)
                if c is None:
                    deps[e] = 1
                    stack.append(e)
                else:
                    deps[e] = c + 1

    capture_nodes = None
    captured = capture_ids = None
    if capture is not None:
        captured = {}
        capture_nodes = {t.grad_fn: t for t in capture if t.grad_fn is not None}
        capture_ids = {id(t) for t in capture}

    check_nan = anomaly_mode.state.enabled and anomaly_mode.state.check_nan
    pending = {}
    leaf_grads = {}
    ready = []
    for target, g in roots:
        if isinstance(target, Node):
            prev = pending.get(target)
            pending[target] = g if prev is None else prev + g
            if deps[target] == 0 and target not in ready:
                ready.append(target)
        else:
            _leaf_arrive(leaf_grads, target, g)

    while ready:
        node = ready.pop()
        g = pending.pop(node, None)
        if g is None:
            # Nothing flowed into this node: only release the count on its inputs.
            grads = (None,) * len(node.next)
        else:
            if node._hooks is not None or node._retain is not None or capture_nodes:
                g = _node_extras(node, g, capture_nodes, captured)
            if node._freed:
                raise RuntimeError(FREED_MSG)
            checks = node._checks
            if checks:
                for vc, then, who in checks:
                    if vc[0] != then:
                        _version_error(vc[0], then, who)
            grads = node.backward(g)
            if check_nan:
                _check_nan(node, grads)
            if not retain_graph and node.saves:
                node.release()
        for e, gi in zip(node.next, grads):
            if e is None:
                continue
            if e.__class__ is _TENSOR or not isinstance(e, Node):
                if gi is not None:
                    prev = leaf_grads.get(e)
                    leaf_grads[e] = gi if prev is None else prev + gi
                continue
            if gi is not None:
                prev = pending.get(e)
                pending[e] = gi if prev is None else prev + gi
            left = deps[e] - 1
            deps[e] = left
            if left == 0:
                ready.append(e)

    # An array reaching two leaves (x + y), or given by the caller, must not become a .grad twice.
    shared = {id(g) for _, g in roots}
    for t, g in leaf_grads.items():
        hooks = t._leaf_hooks
        if hooks:
            for hook in hooks:
                out = _apply_hook(hook, g, t)
                if out is not g:
                    shared.add(id(out))
                g = out
        if captured is not None and id(t) in capture_ids:
            captured[id(t)] = g
        if accumulate:
            gid = id(g)
            if gid in shared and t._grad is None:
                g = g.copy()
                gid = id(g)
            shared.add(gid)
            t._accumulate_grad(g)
    return captured


def _node_extras(node, g, capture_nodes, captured):
    """Tensor hooks, retain_grad and autograd.grad captures on a non-leaf's gradient."""
    if node._hooks:
        for hook in node._hooks:
            g = _apply_hook(hook, g)
    if node._retain is not None:
        t = node._retain()
        if t is not None:
            t._set_grad_array(g)
    if capture_nodes and node in capture_nodes:
        captured[id(capture_nodes[node])] = g
    return g


def _leaf_arrive(leaf_grads, t, g):
    # Tensors hash by identity, so a leaf can key the dict directly.
    prev = leaf_grads.get(t)
    leaf_grads[t] = g if prev is None else prev + g


_TENSOR = None


def _bind_tensor_class(cls):
    global _TENSOR
    _TENSOR = cls


def _apply_hook(hook, g, owner=None):
    from .._tensor import Tensor

    out = hook(Tensor._from_array(g, owner.device if owner is not None else None))
    return g if out is None else out._data
