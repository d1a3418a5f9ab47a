"""Activation checkpointing: keep a segment's inputs, drop its activations, recompute them in backward.

`checkpoint(fn, *args)` runs fn once to produce its outputs and drops the graph it built (with the
activations that graph held). The outputs hang off one CheckpointBackward node, which keeps only
the inputs and the random-number state. When backward reaches it, fn runs again from the same
inputs and the same RNG state (so dropout draws the same mask), and the gradient flows through
that fresh graph to the inputs and to every leaf fn used, such as module parameters; those
leaves become edges of the node only then. Tensors fn closes over should be leaves (parameters)
or be passed as arguments: a non-leaf reached from outside is backpropagated through by the
recomputation and cannot be backpropagated through again.
"""
import warnings

from .._ops import _common as C
from ..autograd import grad_mode
from ..autograd.engine import run_backward
from ..autograd.function import _Grads
from ..autograd.node import Node

__all__ = ["checkpoint", "checkpoint_sequential"]


def _rng_devices(args):
    devs = {"cpu"}
    for a in args:
        if isinstance(a, C.Tensor):
            devs.add(str(a.device))
    return sorted(devs)


def _get_states(devs):
    from .._random import default_generator_for

    return [(d, default_generator_for(d).get_state()) for d in devs]


def _set_states(states):
    from .._random import default_generator_for

    for d, s in states:
        default_generator_for(d).set_state(s)


class CheckpointBackward(Node):
    """Recomputes its segment in backward; `next` gains the segment's leaves when it runs."""

    __slots__ = ("fn", "args", "kwargs", "rng", "n_in", "out_meta", "dev", "check")

    def name(self):
        return "CheckpointBackward"

    def _recompute(self, args=None):
        if args is None:
            args = tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, C.Tensor) else a
                         for a in self.args)
        state = grad_mode.state
        prev = state.enabled
        saved = _get_states([d for d, _ in self.rng]) if self.rng else None
        try:
            if self.rng:
                _set_states(self.rng)
            state.enabled = True
            out = self.fn(*args, **self.kwargs)
        finally:
            state.enabled = prev
            if saved is not None:
                _set_states(saved)
        outs = out if isinstance(out, tuple) else (out,)
        if self.check:
            meta = tuple((tuple(o.shape), o.dtype) if isinstance(o, C.Tensor) else None for o in outs)
            if meta != self.check:
                raise RuntimeError(
                    "xptorch.utils.checkpoint: Recomputed values have different metadata than during the "
                    f"forward pass: {self.check} during forward, {meta} when recomputed."
                )
        return args, outs

    def _grads(self, g):
        return g.grads if len(self.out_meta) != 1 else [g]

    def _roots(self, outs, g):
        """(node or leaf, gradient) of each recomputed output that takes part in the backward."""
        return [(o.grad_fn if o.grad_fn is not None else o, gi) for o, gi in zip(outs, self._grads(g))
                if gi is not None and isinstance(o, C.Tensor) and o.requires_grad]

    def backward(self, g):
        args, outs = self._recompute()
        roots = self._roots(outs, g)
        leaves = _leaves(outs, args)
        inputs = [a for a in args if isinstance(a, C.Tensor)]
        got = run_backward(roots, False, capture=inputs + leaves, accumulate=False) if roots else {}
        # The inputs' own edges first (fixed at forward), then the leaves found now.
        self.next = self.next[: self.n_in] + tuple(leaves)
        res = [got.get(id(a)) if a.requires_grad else None for a in inputs]
        res += [got.get(id(leaf)) for leaf in leaves]
        return tuple(res)

    def backward_graph(self, g):
        # As backward, with the gradient through the recomputed graph recorded: each input is a
        # stand-in joined to its own edge afterwards, so the result differentiates on past the segment.
        from ..autograd.higher_order import join, run_backward_graph, stand_ins

        edges = self.next[: self.n_in]
        tensors = [a for a in self.args if isinstance(a, C.Tensor)]
        ins = iter(stand_ins(edges, [a._data for a in tensors], [a._device for a in tensors]))
        args = tuple(next(ins) if isinstance(a, C.Tensor) else a for a in self.args)
        inputs = [a for a in args if isinstance(a, C.Tensor)]
        try:
            args, outs = self._recompute(args)
            roots = self._roots(outs, g)
            leaves = _leaves(outs, args)
            wanted = [a for a in inputs if a.requires_grad]
            got = run_backward_graph(roots, True, capture=wanted + leaves, accumulate=False) if roots else {}
        finally:
            join(edges, inputs)
        self.next = edges + tuple(leaves)
        res = [got.get(id(a)) if a.requires_grad else None for a in inputs]
        res += [got.get(id(leaf)) for leaf in leaves]
        return tuple(res)


def _leaves(outs, args):
    """Leaves requiring grad reachable from the recomputed outputs, other than the inputs."""
    skip = {id(a) for a in args if isinstance(a, C.Tensor)}
    seen, found, stack = set(), [], []
    for o in outs:
        if isinstance(o, C.Tensor) and o.grad_fn is not None:
            stack.append(o.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for e in node.next:
            if e is None:
                continue
            if isinstance(e, Node):
                stack.append(e)
            elif id(e) not in skip and id(e) not in seen:
                seen.add(id(e))
                found.append(e)
    return found


class _CheckpointOutput(Node):
    __slots__ = ("idx", "n")

    def name(self):
        return "CheckpointBackward"

    def backward(self, g):
        return (_Grads.one(self.n, self.idx, g),)

    backward_graph = backward


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               early_stop=True, preserve_rng_state=True, **kwargs):
    """Run function(*args, **kwargs) without keeping its activations; recompute them in backward."""
    if use_reentrant is None:
        warnings.warn(
            "xptorch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "use_reentrant=False is recommended.",
            UserWarning,
            stacklevel=2,
        )
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    if not grad_mode.state.enabled:
        return function(*args, **kwargs)
    rng = _get_states(_rng_devices(args)) if preserve_rng_state else None
    # Run once with the graph on, to learn which outputs require grad; that graph is dropped here.
    out = function(*args, **kwargs)
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    if not any(isinstance(o, C.Tensor) and o.requires_grad for o in outs):
        return out
    node = CheckpointBackward(tuple(C.edge(a) for a in args if isinstance(a, C.Tensor)))
    node.fn, node.args, node.kwargs, node.rng = function, args, kwargs, rng
    node.n_in = len(node.next)
    node.out_meta = tuple((tuple(o.shape), o.dtype) if isinstance(o, C.Tensor) else None for o in outs)
    node.check = node.out_meta if determinism_check == "default" else None
    n = len(outs)
    res = []
    for i, o in enumerate(outs):
        if isinstance(o, C.Tensor) and o.requires_grad:
            fn = node
            if n != 1:
                fn = _CheckpointOutput((node,))
                fn.idx, fn.n = i, n
            o = C.wrap_grad(o._data, o._device, fn)
        res.append(o)
    return res[0] if single else tuple(res)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Split a Sequential (or list of modules) into segments and checkpoint all but the last."""
    if isinstance(functions, (list, tuple)):
        functions = list(functions)
    else:
        functions = list(functions.children())

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(functions) - 1)(input)
