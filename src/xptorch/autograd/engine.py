"""Backward pass: Kahn's algorithm over the graph, iterative, so depth is unlimited."""
import itertools
import re
import threading

import numpy as np

from ..backend import device_guard, quiet
from . import anomaly_mode, saved_hooks
from .node import FREED_MSG, Node

_GUARDS = device_guard.active

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

    Firing order: a leaf is finished the moment its last contribution in this backward arrives
    (a Parameter used twice, after both uses): its tensor hooks run, its `.grad` is updated, then
    its post-accumulate-grad hooks run, before any further node. Leaves finished by the same node
    go in the order of that node's inputs (a Linear's node lists bias, input, weight, as PyTorch's
    AddmmBackward0 does, so its bias comes first).
    Nodes run depth-first: of the nodes one node makes ready, the one on its last input runs
    first. PyTorch runs the most recently created ready node first; the two agree on chains of
    layers (MLPs, CNNs, tied layers reused in sequence) and can differ where one op takes several
    computed inputs. Callbacks queued with `autograd.graph.queue_callback` run last, in the order
    they were queued, once every leaf is done.
    """
    stack = _tls.stack
    stack.append(None)  # becomes a list when a callback is queued
    _tls.tasks.append(None)
    try:
        # NumPy warns on inf/nan in gradients (0 * inf, x / 0); PyTorch propagates them silently.
        out = quiet(_run, roots, retain_graph, capture, accumulate)
        callbacks = stack[-1]
        if callbacks is not None:
            i = 0
            while i < len(callbacks):  # a callback may queue further callbacks
                callbacks[i]()
                i += 1
    finally:
        stack.pop()
        _tls.tasks.pop()
    return out


def with_final_callbacks(fn, *args):
    """fn(*args) as one backward pass: callbacks queued during it run once at its end."""
    stack = _tls.stack
    stack.append(None)
    _tls.tasks.append(None)
    try:
        out = fn(*args)
        callbacks = stack[-1]
        if callbacks is not None:
            i = 0
            while i < len(callbacks):
                callbacks[i]()
                i += 1
    finally:
        stack.pop()
        _tls.tasks.pop()
    return out


class _ThreadState(threading.local):
    def __init__(self):
        self.stack = []  # one entry per backward running on this thread: its queued callbacks
        # Per backward running on this thread: (task id, reachable nodes (and leaves), leaves
        # accumulate, captured inputs or None, serves autograd.grad); set once the graph is counted.
        self.tasks = []
        self.grad_next = False  # set by autograd.grad just before it runs a backward


_task_ids = itertools.count()


def next_task_is_grad():
    """The next backward on this thread serves autograd.grad (not backward(inputs=...))."""
    _tls.grad_next = True


def begin_task(deps, accumulate, capture):
    """Record the backward now running (its reachable graph) for hooks that ask about it."""
    tls = _tls
    is_grad = tls.grad_next
    if is_grad:
        tls.grad_next = False
    tasks = tls.tasks
    if tasks:
        tasks[-1] = (next(_task_ids), deps, accumulate, capture, is_grad)


def current_task():
    """The record of the innermost backward running on this thread, or None."""
    tasks = _tls.tasks
    return tasks[-1] if tasks else None


def will_execute(t):
    """Whether the running backward will compute the gradient of tensor t (and run its hooks)."""
    task = current_task()
    if task is None:
        return False
    _, deps, accumulate, capture, is_grad = task
    fn = t.grad_fn
    if fn is not None:
        return fn in deps
    if is_grad:
        raise RuntimeError(
            "A leaf node was passed to _will_engine_execute_node but we are currently running "
            "autograd.grad(). This is currently not supported."
        )
    if not accumulate and (capture is None or not any(c is t for c in capture)):
        return False
    if t in deps:
        return True
    return any(e is t for n in deps if isinstance(n, Node) for e in n.next)


_tls = _ThreadState()


def queue_callback(fn):
    """Run fn() once at the end of the backward pass now running on this thread."""
    stack = _tls.stack
    if not stack:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    if stack[-1] is None:
        stack[-1] = []
    stack[-1].append(fn)


def _run(roots, retain_graph, capture, accumulate):
    # Count, for every reachable node and leaf, the edges that point at it.
    deps = {}
    stack = []
    root_leaves = None
    for target, _ in roots:
        if isinstance(target, Node):
            if target not in deps:
                deps[target] = 0
                stack.append(target)
        elif target not in deps:
            deps[target] = 0
            root_leaves = True
    while stack:
        for e in stack.pop().next:
            if e is not None:
                c = deps.get(e)
                if c is None:
                    deps[e] = 1
                    if e.__class__ is not _TENSOR and isinstance(e, Node):
                        stack.append(e)
                else:
                    deps[e] = c + 1

    begin_task(deps, accumulate, capture)
    capture_nodes = None
    captured = capture_ids = None
    if capture is not None:
        captured = {}
        capture_nodes = {t.grad_fn: t for t in capture if t.grad_fn is not None}
        capture_ids = {id(t) for t in capture}
    plain = accumulate and capture is None

    check_nan = anomaly_mode.state.enabled and anomaly_mode.state.check_nan
    # Arrays that must not become a .grad uncopied: given by the caller, already some leaf's
    # .grad, or a node's incoming gradient passed on unchanged (it may be pending elsewhere).
    shared = set()
    pending = {}
    leaf_grads = {}
    ready = []
    for target, g in roots:
        shared.add(id(g))
        if isinstance(target, Node):
            prev = pending.get(target)
            pending[target] = g if prev is None else prev + g
            if deps[target] == 0 and target not in ready:
                ready.append(target)
        else:
            prev = leaf_grads.get(target)
            leaf_grads[target] = g if prev is None else prev + g
    if root_leaves:
        for t in [t for t, n in deps.items() if n == 0 and not isinstance(t, Node)]:
            _finish(t, leaf_grads.pop(t), shared, captured, capture_ids, accumulate)

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
            packed = node._packed
            checks = node._checks
            if checks and packed is None:  # PyTorch checks no versions of what hooks packed
                for vc, then, who in checks:
                    if vc[0] != then:
                        _version_error(vc[0], then, who)
            edges = node.next
            if _GUARDS[0]:  # several CUDA devices in use: the node runs on its gradient's device
                grads = _guarded_backward(node, g, packed)
            elif packed is None:
                grads = node.backward(g)
            else:
                grads = _backward_unpacked(node, g)
            if node.next is not edges:  # a node that finds its leaves in backward (checkpoint)
                _recount(deps, edges, node.next)
            if check_nan:
                _check_nan(node, grads)
            if not retain_graph and node.saves:
                node.release()
        for e, gi in zip(node.next, grads):
            if e is None:
                continue
            left = deps[e] - 1
            deps[e] = left
            if e.__class__ is _TENSOR or not isinstance(e, Node):
                # A leaf: finished (hooks, .grad, post-accumulate hooks) at its last contribution.
                if left:
                    if gi is not None:
                        prev = leaf_grads.get(e)
                        if prev is None:
                            if gi is g:  # this node's own input, passed on: it may be pending elsewhere
                                shared.add(id(gi))
                            leaf_grads[e] = gi
                        else:
                            leaf_grads[e] = prev + gi if not _GUARDS[0] else _guarded_add(prev, gi)
                    continue
                if leaf_grads:
                    prev = leaf_grads.pop(e, None)
                    if prev is not None:
                        gi = prev if gi is None else prev + gi if not _GUARDS[0] else _guarded_add(prev, gi)
                if gi is None:
                    continue
                if plain and e._leaf_hooks is None and e._post_acc_hooks is None:
                    if e._grad is None and id(gi) in shared:
                        gi = gi.copy()
                    shared.add(id(gi))
                    e._accumulate_grad(gi)
                else:
                    if gi is g:
                        shared.add(id(gi))  # a hook may edit .grad in place: never alias g
                    _finish(e, gi, shared, captured, capture_ids, accumulate)
                continue
            if gi is not None:
                prev = pending.get(e)
                pending[e] = gi if prev is None else prev + gi if not _GUARDS[0] else _guarded_add(prev, gi)
            if left == 0:
                ready.append(e)
    return captured


def _guarded_add(a, b):
    return device_guard.run_on(device_guard.array_index(b), a.__add__, b)


def _guarded_backward(node, g, packed):
    idx = None
    for a in (g if type(g) is tuple or type(g) is list else (g,)):
        idx = device_guard.array_index(a)
        if idx is not None:
            break
    if packed is None:
        return device_guard.run_on(idx, node.backward, g)
    return device_guard.run_on(idx, _backward_unpacked, node, g)


def _backward_unpacked(node, g):
    saved_hooks.unpack(node)
    try:
        return node.backward(g)
    finally:
        saved_hooks.clear(node)


def _recount(deps, old, new):
    """Edges replaced during backward: count the new ones instead of the old (leaves only)."""
    for e in old:
        if e is not None:
            deps[e] -= 1
    for e in new:
        if e is not None:
            deps[e] = deps.get(e, 0) + 1


def _finish(t, g, shared, captured, capture_ids, accumulate):
    """A leaf's end of backward: tensor hooks, capture, `.grad` update, post-accumulate hooks."""
    if not accumulate and id(t) not in capture_ids:
        return  # autograd.grad: a leaf nobody asked about
    hooks = t._leaf_hooks
    if hooks:
        for hook in tuple(hooks.values()):
            out = _apply_hook(hook, g, t)
            if out is not g:
                shared.add(id(out))
            g = out
    if captured is not None and id(t) in capture_ids:
        captured[id(t)] = g
    if accumulate:
        if t._grad is None and id(g) in shared:
            g = g.copy()
        shared.add(id(g))
        t._accumulate_grad(g)
        if t._post_acc_hooks:
            run_post_accumulate_hooks(t)


def run_post_accumulate_hooks(t):
    from .._tensor import Tensor

    for hook in tuple(t._post_acc_hooks.values()):
        out = hook(t)
        if out is not None:
            if isinstance(out, Tensor):
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
            raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")


def _node_extras(node, g, capture_nodes, captured):
    """Tensor hooks, retain_grad and autograd.grad captures on a non-leaf's gradient."""
    if node._hooks:
        for hook in tuple(node._hooks.values()):
            g = _apply_hook(hook, g)
    if node._retain is not None:
        t = node._retain()
        if t is not None:
            t._set_grad_array(g)
    if capture_nodes and node in capture_nodes:
        captured[id(capture_nodes[node])] = g
    return g


_TENSOR = None


def _bind_tensor_class(cls):
    global _TENSOR
    _TENSOR = cls


def _apply_hook(hook, g, owner=None):
    from .._tensor import Tensor

    out = hook(Tensor._from_array(g, owner.device if owner is not None else None))
    return g if out is None else out._data
