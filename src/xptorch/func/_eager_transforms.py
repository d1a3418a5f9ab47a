"""grad, grad_and_value, vjp, jacrev and hessian built on xptorch's autograd.

Each call wraps the differentiated inputs: a tensor that needs no gradient becomes a fresh leaf owned by the
call, one that already needs a gradient (an outer transform's input, or the user's) is aliased so that the
result stays differentiable with respect to it. Results keep a graph only when it reaches a tensor the call
does not own, so ``grad(grad(f))``, ``jacrev(jacrev(f))`` and ordinary ``backward`` through closed-over
parameters work, while ``grad(f)(x)`` for a plain ``x`` returns a plain tensor, as torch.func does.
"""
import functools

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..autograd.node import Node
from ._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jvp", "jacfwd", "hessian", "linearize"]


class _Level:
    """One transform call: the leaves it created, and which graphs reach beyond them."""

    def __init__(self):
        self.own = {}  # id -> tensor (held, so ids stay unique while the call runs)
        self.memo = {}

    def make_differentiable(self, x):
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if x.requires_grad:
            return x.view_as(x)
        w = x.detach().requires_grad_()
        self.own[id(w)] = w
        return w

    def reaches_outside(self, t):
        """Does t's graph reach a tensor that needs a gradient and is not one of this call's own leaves?"""
        if not isinstance(t, Tensor) or not t.requires_grad:
            return False
        if t.grad_fn is None:
            return id(t) not in self.own
        stack, found = [t.grad_fn], False
        seen = []
        while stack and not found:
            node = stack.pop()
            if id(node) in self.memo:
                found = self.memo[id(node)]
                continue
            seen.append(node)
            for e in getattr(node, "next", ()):
                if e is None:
                    continue
                if isinstance(e, Node):
                    if id(e) not in self.memo or self.memo[id(e)]:
                        stack.append(e)
                elif isinstance(e, Tensor) and id(e) not in self.own:
                    found = True
                    break
        if not found:
            for node in seen:
                self.memo[id(node)] = False
        return found

    def undo(self, tree, keep_graph):
        """Results without this call's own graph: detached unless keep_graph and they reach outside."""
        def f(t):
            if t is None:  # an empty tree, as in torch's pytree
                return t
            if not isinstance(t, Tensor):
                raise RuntimeError(f"Expected tensors, got unsupported type {type(t)}")
            if isinstance(t, Tensor) and t.requires_grad and not (keep_graph and self.reaches_outside(t)):
                return t.detach()
            return t

        return tree_map(f, tree)

    def autograd_grad(self, outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False):
        """d outputs / d inputs, zeros where an input is unused (as functorch's _autograd_grad)."""
        from .. import autograd
        from .._factories import zeros_like

        if grad_outputs is None:
            pairs = [(o, None) for o in outputs if o.requires_grad]
        else:
            pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
        if not pairs:
            return tuple(zeros_like(x) for x in inputs)
        outs = [o for o, _ in pairs]
        gouts = None if grad_outputs is None else [g for _, g in pairs]
        got = autograd.grad(outs, inputs, gouts, retain_graph=retain_graph, create_graph=create_graph,
                            allow_unused=True)
        return tuple(g if g is not None else zeros_like(x) for g, x in zip(got, inputs))


def _validate_and_wrap_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _validate_argnums(argnums, num_args):
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return _validate_and_wrap_argnum(argnums, num_args)
    argnums = tuple(_validate_and_wrap_argnum(a, num_args) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return argnums


def _wrap_args(level, args, argnums):
    """(new args, differentiated leaves, their spec): args[argnums] replaced by differentiable versions."""
    argnums = _validate_argnums(argnums, len(args))
    picked = args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)
    flat, spec = tree_flatten(picked)
    wrapped = [level.make_differentiable(x) for x in flat]
    new = tree_unflatten(wrapped, spec)
    args = list(args)
    if isinstance(argnums, int):
        args[argnums] = new
    else:
        for i, v in zip(argnums, new):
            args[i] = v
    return tuple(args), wrapped, spec


def _grad_and_value_impl(func, argnums, has_aux, args, kwargs):
    outer = is_grad_enabled()
    level = _Level()
    with enable_grad():
        args, wrapped, spec = _wrap_args(level, args, argnums)
        output = func(*args, **kwargs)
        aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError(
                    "grad_and_value(f)(*args): output of function f should be a tuple: (output, aux) "
                    "if has_aux is True"
                )
            output, aux = output
        if not isinstance(output, Tensor):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(
                "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        # The gradient can depend only on what the output depends on.
        keep = outer and level.reaches_outside(output)
        flat_grads = level.autograd_grad([output], wrapped, create_graph=keep)
        grad_input = level.undo(tree_unflatten(list(flat_grads), spec), keep)
        output = level.undo(output, outer)
        aux = level.undo(aux, outer)
    if has_aux:
        return grad_input, (output, aux)
    return grad_input, output


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient of func's scalar output with respect to args[argnums], that output).

    argnums: an int or a tuple of ints (then the gradient is a tuple); the arguments may be nested
    tuples/lists/dicts of tensors, the gradients come back in the same structure. has_aux: func returns
    (output, aux) and the result is (gradient, (output, aux)).
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value_impl(func, argnums, has_aux, args, kwargs)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of func's scalar output with respect to args[argnums] (with has_aux:
    (gradient, aux)); see grad_and_value."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = _grad_and_value_impl(func, argnums, has_aux, args, kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def _check_outputs(flat_out, api="vjp(f, ...)"):
    if not flat_out:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = [])")
    for o in flat_out:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: Expected f(*primals) to return only tensors, got unsupported type {type(o)}")
        if not (o.is_floating_point() or o.is_complex()):
            raise RuntimeError(
                "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor "
                f"with dtype {o.dtype}"
            )


def _split_aux(output, has_aux):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(
            "vjp(f, *primals): output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return output


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) is the tuple of vector-Jacobian products, one per
    primal, for cotangents shaped like the output. vjp_fn can be called more than once."""
    outer = is_grad_enabled()
    level = _Level()
    with enable_grad():
        flat_primals, primals_spec = tree_flatten(primals)
        wrapped = [level.make_differentiable(x) for x in flat_primals]
        output, aux = _split_aux(func(*tree_unflatten(wrapped, primals_spec)), has_aux)
        flat_out, out_spec = tree_flatten(output)
        _check_outputs(flat_out)
        results = level.undo(output, outer)
        aux = level.undo(aux, outer)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_cot, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the "
                f"function. cotangents: {cot_spec}, primal output: {out_spec}"
            )
        if create_graph is None:
            create_graph = is_grad_enabled()
        keep = create_graph and any(level.reaches_outside(o) or level.reaches_outside(c)
                                     for o, c in zip(flat_out, flat_cot))
        with enable_grad():
            got = level.autograd_grad(flat_out, wrapped, flat_cot, retain_graph=retain_graph, create_graph=keep)
        return level.undo(tree_unflatten(list(got), primals_spec), keep)

    if has_aux:
        return results, vjp_fn, aux
    return results, vjp_fn


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of func with respect to args[argnums], by reverse mode: one
    vector-Jacobian product per output element. Each output's Jacobian has shape output.shape + input.shape;
    with a tuple argnums it is a tuple over the inputs; outputs may be nested (the result follows them)."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .._factories import zeros
        from .._functions import stack

        outer = is_grad_enabled()
        level = _Level()
        with enable_grad():
            args, wrapped, spec = _wrap_args(level, args, argnums)
            output, aux = _split_aux(func(*args, **kwargs), has_aux)
            flat_out, out_spec = tree_flatten(output)
            _check_outputs(flat_out)
            keep = outer and any(level.reaches_outside(o) for o in flat_out)
            jacs = []
            for o in flat_out:
                n = o.numel()
                rows = []
                for i in range(n):
                    e = zeros(n, dtype=o.dtype, device=o.device)
                    e[i] = 1
                    rows.append(level.autograd_grad([o], wrapped, [e.view(o.shape)], retain_graph=True,
                                                    create_graph=keep))
                per_input = []
                for j, x in enumerate(wrapped):
                    shape = tuple(o.shape) + tuple(x.shape)
                    if n == 0:
                        per_input.append(zeros(shape, dtype=x.dtype, device=x.device))
                    else:
                        per_input.append(stack([r[j] for r in rows]).reshape(shape))
                jacs.append(level.undo(tree_unflatten(per_input, spec), keep))
            result = tree_unflatten(jacs, out_spec)
            aux = level.undo(aux, outer)
        if has_aux:
            return result, aux
        return result

    return wrapper


def _linearize(level, run, wrapped, has_aux, outer, api):
    """Run run() once; return (outputs, out_spec, aux, us, g, keep) with g = J^T us built with create_graph,
    so that J t = d<g, t>/d us for any tangent t (forward mode from two reverse passes)."""
    from .. import autograd
    from .._factories import zeros_like

    output, aux = _split_aux(run(), has_aux)
    flat_out, out_spec = tree_flatten(output)
    _check_outputs(flat_out, api)
    keep = outer and any(level.reaches_outside(o) for o in flat_out)
    us = []
    for o in flat_out:
        u = zeros_like(o).requires_grad_()
        level.own[id(u)] = u
        us.append(u)
    live = [(o, u) for o, u in zip(flat_out, us) if o.requires_grad]
    if live:
        g = autograd.grad([o for o, _ in live], wrapped, [u for _, u in live], create_graph=True,
                          allow_unused=True)
    else:
        g = [None] * len(wrapped)
    return output, flat_out, out_spec, aux, us, list(g), keep


def _apply_linearized(level, flat_out, us, g, tangents, keep):
    """J t for one tangent per differentiated input: one list per output."""
    from .. import autograd
    from .._factories import zeros_like

    pairs = [(gi, ti) for gi, ti in zip(g, tangents) if gi is not None and gi.requires_grad]
    if not pairs:
        return [zeros_like(o) for o in flat_out]
    got = autograd.grad([gi for gi, _ in pairs], us, [ti for _, ti in pairs], retain_graph=True,
                        create_graph=keep, allow_unused=True)
    return [r if r is not None else zeros_like(o) for r, o in zip(got, flat_out)]


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), the Jacobian-vector product J tangents[, aux]): computed as the derivative of a
    vector-Jacobian product with respect to its cotangent (two reverse passes), not by forward-mode AD."""
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
            f"{p_spec} and tangents with structure {t_spec}"
        )
    outer = is_grad_enabled()
    level = _Level()
    with enable_grad():
        wrapped = [level.make_differentiable(x) for x in flat_p]
        output, flat_out, out_spec, aux, us, g, keep = _linearize(
            level, lambda: func(*tree_unflatten(wrapped, p_spec)), wrapped, has_aux, outer, "jvp(f, primals, tangents)")
        jv = _apply_linearized(level, flat_out, us, g, flat_t, keep)
        result = level.undo(output, outer), level.undo(tree_unflatten(jv, out_spec), keep)
        aux = level.undo(aux, outer)
    return result + (aux,) if has_aux else result


def linearize(func, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the Jacobian-vector product at primals, computed from
    the graph recorded once here (see jvp)."""
    outer = is_grad_enabled()
    level = _Level()
    with enable_grad():
        flat_p, p_spec = tree_flatten(primals)
        wrapped = [level.make_differentiable(x) for x in flat_p]
        output, flat_out, out_spec, _, us, g, keep = _linearize(
            level, lambda: func(*tree_unflatten(wrapped, p_spec)), wrapped, False, outer, "linearize(f, *primals)")
        result = level.undo(output, outer)

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(
                "linearize(f, *primals): Expected tangents to have the same python structure as primals. "
                f"Got primals with structure {p_spec} and tangents with structure {t_spec}"
            )
        with enable_grad():
            jv = _apply_linearized(level, flat_out, us, g, flat_t, keep)
        return level.undo(tree_unflatten(jv, out_spec), keep)

    return result, jvp_fn


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """A function returning the Jacobian of func with respect to args[argnums], one column per input
    element (shapes as jacrev). Each column is a Jacobian-vector product computed with two reverse passes
    (see jvp), so values match torch's forward mode; randomness is accepted for signature compatibility."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .._factories import zeros, zeros_like
        from .._functions import stack

        outer = is_grad_enabled()
        level = _Level()
        with enable_grad():
            args, wrapped, spec = _wrap_args(level, args, argnums)
            _, flat_out, out_spec, aux, us, g, keep = _linearize(
                level, lambda: func(*args, **kwargs), wrapped, has_aux, outer, "jacfwd(f, ...)")
            per_output = [[] for _ in flat_out]
            for k, x in enumerate(wrapped):
                cols = []
                for j in range(x.numel()):
                    t = zeros(x.numel(), dtype=x.dtype, device=x.device)
                    t[j] = 1
                    tangents = [t.view(x.shape) if m == k else zeros_like(w) for m, w in enumerate(wrapped)]
                    cols.append(_apply_linearized(level, flat_out, us, g, tangents, keep))
                for i, o in enumerate(flat_out):
                    shape = tuple(o.shape) + tuple(x.shape)
                    if x.numel() == 0:
                        per_output[i].append(zeros(shape, dtype=o.dtype, device=o.device))
                    else:
                        per_output[i].append(stack([c[i] for c in cols], dim=-1).reshape(shape))
            jacs = [level.undo(tree_unflatten(p, spec), keep) for p in per_output]
            result = tree_unflatten(jacs, out_spec)
            aux = level.undo(aux, outer)
        return (result, aux) if has_aux else result

    return wrapper


def hessian(func, argnums=0):
    """The Hessian of func with respect to args[argnums]: the Jacobian of its Jacobian (reverse over reverse;
    torch uses forward over reverse, same values)."""
    return jacrev(jacrev(func, argnums), argnums)
