"""The backward pass that records a graph of its own (create_graph=True).

Gradients travel as Tensors and every node runs its `backward_graph` rule, written in
differentiable Tensor ops, with grad mode on: the gradients it returns can be differentiated
again. The first-order engine (engine.py) stays on plain arrays and is untouched by this path.

A node class without a second-order rule still gives correct first-order gradients here: they
are computed on arrays and marked with a node that raises as soon as anything differentiates
through them, so a higher-order result is either right or an error, never silently wrong.
"""
from .. import _ops  # noqa: F401  (package import keeps _common importable)
from .._ops import _common as C
from ..backend import quiet
from . import anomaly_mode, grad_mode, saved_hooks
from .engine import _version_error, begin_task, run_post_accumulate_hooks, with_final_callbacks
from .node import FREED_MSG, Node


class NoSecondOrderBackward(Node):
    """Marks a gradient computed by an op that has no second-order rule."""

    __slots__ = ("op",)

    def name(self):
        return "NotImplemented"

    def backward(self, g):
        raise RuntimeError(
            f"the derivative for '{self.op}' is not implemented: xptorch has no second-order rule for "
            "this op, so a gradient computed with create_graph=True cannot be differentiated through it."
        )

    backward_graph = backward


class LinearMapBackward(Node):
    """An op y = A x given only as array functions (op for A, adj for its adjoint): the usual
    second-order rule of a linear op's gradient, whose own derivative is the op again."""

    __slots__ = ("op", "adj")

    def name(self):
        return "LinearMapBackward"

    def backward(self, g):
        return (self.adj(g),)

    def backward_graph(self, g):
        return (linear_map(self.adj, self.op, g),)


def linear_map(op, adj, t):
    """op applied to Tensor t's array, recorded so that gradients flow back through adj."""
    out = op(t._data)
    if t._rg and grad_mode.state.enabled:
        node = LinearMapBackward((C.edge(t),))
        node.op, node.adj = op, adj
        return C.wrap_grad(out, t._device, node)
    return C.wrap(out, t._device)


def _take(lin, shape, size, acc):
    def take(a):
        return a.reshape(-1)[lin].reshape(shape)

    def add(b):  # take's adjoint: positions may repeat, so their gradients add up
        xp = C.get_xp(b)
        out = xp.zeros(size, dtype=b.dtype)
        xp.add.at(out, lin, b.reshape(-1))
        return out.reshape(acc)

    return take, add


def put_at(t, lin, shape):
    """zeros(shape) with t's elements added at flat positions lin, recorded: its gradient reads
    them back."""
    lin = lin.reshape(-1)
    size = 1
    for s in shape:
        size *= s
    take, add = _take(lin, t._data.shape, size, tuple(shape))
    return linear_map(add, take, t)


def take_at(t, lin, shape):
    """The elements of t at flat positions lin (which may repeat), shaped `shape`, recorded: its
    gradient adds them back where they came from."""
    lin = lin.reshape(-1)
    take, add = _take(lin, tuple(shape), t._data.size, t._data.shape)
    return linear_map(take, add, t)


class StandIn(Node):
    """An input of a node whose forward is being recomputed: the recomputed graph's gradient stops
    here, and afterwards `join` links it to the input's own edge, so that the gradient taken
    through the recomputation can be differentiated on into the input's history."""

    __slots__ = ()

    def name(self):
        return "AliasBackward0"

    def backward(self, g):
        return (g,)

    backward_graph = backward


def stand_ins(edges, arrays, devs):
    """One Tensor per input array (on devs, one device per array): on a StandIn where its edge
    wants a gradient, else a constant."""
    ins = []
    for e, arr, dev in zip(edges, arrays, devs):
        if arr is None:
            ins.append(None)
        elif e is None:
            ins.append(C.wrap(arr, dev))
        else:
            ins.append(C.wrap_grad(arr, dev, StandIn(())))
    return ins


def join(edges, ins):
    for e, t in zip(edges, ins):
        if t is not None and t._rg:
            t.grad_fn.next = (e,)


def grad_by_recompute(node, forward, arrays, g):
    """A second-order rule for a fused node: forward(*inputs) rebuilds the node's output from its
    inputs with differentiable ops, and the gradient through that graph, itself recorded, is the
    node's. Returns one gradient (or None) per edge of node."""
    ins = stand_ins(node.next, arrays, [g._device] * len(arrays))
    try:
        out = forward(*ins)
        wanted = [t for t in ins if t is not None and t._rg]
        got = run_backward_graph([(out.grad_fn, g)], True, capture=wanted, accumulate=False)
    finally:
        join(node.next, ins)
    return tuple(got.get(id(t)) if t is not None and t._rg else None for t in ins)


_warned = []


def warn_cycle_once():
    """backward(create_graph=True) ties each parameter to its gradient's graph; PyTorch warns once."""
    from .._settings import first_warning

    if first_warning(_warned):
        import warnings

        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the parameter and "
            "its gradient which can cause a memory leak. We recommend using autograd.grad when creating the "
            "graph to avoid this. If you have to use this function, make sure to reset the .grad fields of your "
            "parameters to None after use to break the cycle and avoid the leak.",
            UserWarning,
            stacklevel=3,
        )


def _first_order_fallback(node, g):
    grads = node.backward(g._data)
    out = []
    for e, gi in zip(node.next, grads):
        if gi is None or e is None:
            out.append(None)
            continue
        if gi.__class__ in C._NP_SCALARS:
            gi = C._asarray(gi)
        err = NoSecondOrderBackward(())
        err.op = node.name()
        out.append(C.wrap_grad(gi, g._device, err))
    return tuple(out)


def run_backward_graph(roots, retain_graph, capture=None, accumulate=True):
    """Like engine.run_backward, with Tensor gradients: roots are (Node or leaf, gradient Tensor)."""
    state = grad_mode.state
    prev = state.enabled
    state.enabled = True
    try:
        # inf/nan in gradients propagate silently, as on the first-order path.
        return with_final_callbacks(quiet, _run, roots, retain_graph, capture, accumulate)
    finally:
        state.enabled = prev


def _run(roots, retain_graph, capture, accumulate):
    Tensor = C.Tensor
    deps = {}
    stack = []
    for target, _ in roots:
        if isinstance(target, Node) and target not in deps:
            deps[target] = 0
            stack.append(target)
    while stack:
        for e in stack.pop().next:
            if e is not None and isinstance(e, Node):
                c = deps.get(e)
                if c is None:
                    deps[e] = 1
                    stack.append(e)
                else:
                    deps[e] = c + 1

    begin_task(deps, accumulate, capture)
    captured = capture_nodes = capture_ids = None
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
            p = pending.get(target)
            pending[target] = g if p is None else p + g
            if deps[target] == 0 and target not in ready:
                ready.append(target)
        else:
            p = leaf_grads.get(target)
            leaf_grads[target] = g if p is None else p + g

    while ready:
        node = ready.pop()
        g = pending.pop(node, None)
        if g is None:
            grads = (None,) * len(node.next)
        else:
            if node._hooks:
                for hook in tuple(node._hooks.values()):
                    out = hook(g)
                    if out is not None:
                        g = out
            if node._retain is not None:
                t = node._retain()
                if t is not None:
                    t._grad = g
            if capture_nodes and node in capture_nodes:
                captured[id(capture_nodes[node])] = g
            if node._freed:
                raise RuntimeError(FREED_MSG)
            packed = node._packed
            checks = node._checks
            if checks and packed is None:
                for vc, then, who in checks:
                    if vc[0] != then:
                        _version_error(vc[0], then, who)
            rule = node.backward_graph
            if packed is not None:
                saved_hooks.unpack(node, True)
            try:
                grads = rule(g) if rule is not None else _first_order_fallback(node, g)
            finally:
                if packed is not None:
                    saved_hooks.clear(node)
            if check_nan:
                from .engine import _check_nan

                _check_nan(node, [None if x is None else x._data for x in grads])
            if not retain_graph and node.saves:
                node.release()
        for e, gi in zip(node.next, grads):
            if e is None:
                continue
            if isinstance(e, Tensor):
                if gi is not None:
                    p = leaf_grads.get(e)
                    leaf_grads[e] = gi if p is None else p + gi
                continue
            if gi is not None:
                p = pending.get(e)
                pending[e] = gi if p is None else p + gi
            left = deps[e] - 1
            deps[e] = left
            if left == 0:
                ready.append(e)

    for t, g in leaf_grads.items():
        hooks = t._leaf_hooks
        if hooks:
            for hook in tuple(hooks.values()):
                out = hook(g)
                if out is not None:
                    g = out
        if captured is not None and id(t) in capture_ids:
            captured[id(t)] = g
        if accumulate:
            _accumulate(t, g)
            if t._post_acc_hooks:  # here once all leaves are done; first-order backward fires them on time
                run_post_accumulate_hooks(t)
    return captured


def _accumulate(t, g):
    """With create_graph, .grad keeps the gradient's own graph; a second backward adds out of place."""
    d = t._data
    if g._data.dtype != d.dtype:
        g = g.to(C._dtype._BY_NP[d.dtype])
    if g._data.shape != d.shape:
        g = g.expand(*d.shape)
    if not g._rg:  # a plain array may be shared with another leaf or the caller: own a copy
        g = C.wrap(g._data.copy(), g._device)
    cur = t._grad
    t._grad = g if cur is None else cur + g
