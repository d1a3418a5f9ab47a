"""gradcheck / gradgradcheck: autograd's Jacobians against central finite differences.

For each differentiable output o and input x, the numerical Jacobian column for x[k] is
(o(x + eps e_k) - o(x - eps e_k)) / (2 eps); the analytical row for o[j] is the vector-Jacobian
product with the unit vector e_j. They must agree within atol + rtol * |numerical|.
`fast_mode` is accepted and runs the same full check.
"""
import warnings

import numpy as np

from .._ops import _common as C

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _host(arr):
    return arr if isinstance(arr, np.ndarray) else arr.get()


def _diff_inputs(inputs):
    return [i for i, t in enumerate(inputs) if isinstance(t, C.Tensor) and t.requires_grad]


def _outputs(func, inputs):
    return _as_tuple(func(*inputs))


def _numerical(func, inputs, idx, out_idx, eps):
    """One (n_out_elems, n_in_elems) matrix per (input, output) pair, by central differences."""
    jac = {}
    for i in idx:
        x = inputs[i]
        d = x._data
        n_in = d.size
        cols = [[] for _ in out_idx]
        for k in np.ndindex(*d.shape) if d.ndim else [()]:
            orig = d[k].item()
            d[k] = orig + eps
            plus = [_host(o._data).astype(np.float64).ravel() for o in _select(_outputs(func, inputs), out_idx)]
            d[k] = orig - eps
            minus = [_host(o._data).astype(np.float64).ravel() for o in _select(_outputs(func, inputs), out_idx)]
            d[k] = orig
            for c, p, m in zip(cols, plus, minus):
                c.append((p - m) / (2 * eps))
        for j, c in zip(range(len(out_idx)), cols):
            n_out = c[0].size if c else 0
            jac[(i, j)] = np.stack(c, axis=1) if n_in else np.zeros((n_out, 0))
    return jac


def _select(outs, out_idx):
    return [outs[j] for j in out_idx]


def _analytical(func, inputs, idx, out_idx):
    from . import grad as _grad
    from .._factories import zeros_like

    outs = _outputs(func, inputs)
    sel = _select(outs, out_idx)
    jac = {}
    diff_inputs = [inputs[i] for i in idx]
    for j, o in enumerate(sel):
        n_out = o._data.size
        rows = {i: [] for i in idx}
        for e in range(n_out):
            go = zeros_like(o)
            go._data.reshape(-1)[e] = 1
            if not o.requires_grad:
                grads = [None] * len(idx)
            else:
                grads = _grad(o, diff_inputs, grad_outputs=go, retain_graph=True, allow_unused=True)
            for i, g in zip(idx, grads):
                x = inputs[i]
                rows[i].append(np.zeros(x._data.size) if g is None else _host(g._data).astype(np.float64).ravel())
        for i in idx:
            jac[(i, j)] = np.stack(rows[i], axis=0) if n_out else np.zeros((0, inputs[i]._data.size))
    return jac


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Check the gradients of func at inputs against finite differences; True when they agree."""
    inputs = _as_tuple(inputs)
    idx = _diff_inputs(inputs)
    if not idx:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of the them have "
            "requires_grad=True."
        )
    for i in idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                "This check will likely fail if all the inputs are not of double precision floating point or "
                "complex. ",
                UserWarning,
                stacklevel=2,
            )
    if check_forward_ad:
        raise NotImplementedError("gradcheck: check_forward_ad=True needs forward-mode AD, which xptorch lacks")
    outs = _outputs(func, inputs)
    out_idx = [j for j, o in enumerate(outs) if isinstance(o, C.Tensor) and o._data.dtype.kind == "f"]
    if not check_backward_ad:
        return True

    def fail(msg):
        if raise_exception:
            raise GradcheckError(msg)
        return False

    ana = _analytical(func, inputs, idx, out_idx)
    num = _numerical(func, inputs, idx, out_idx, eps)
    for j_pos, j in enumerate(out_idx):
        for i in idx:
            a, n = ana[(i, j_pos)], num[(i, j_pos)]
            # Rows are outputs, columns inputs; PyTorch prints the transpose (inputs down).
            if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
                return fail(
                    f"Jacobian mismatch for output {j_pos} with respect to input {i},\n"
                    f"numerical:{_fmt(n.T)}\nanalytical:{_fmt(a.T)}\n"
                )
    again = _analytical(func, inputs, idx, out_idx)
    for key, a in ana.items():
        if np.abs(again[key] - a).max(initial=0.0) > nondet_tol:
            return fail(
                "Backward is not reentrant, i.e., running backward with same input and grad_output multiple "
                "times gives different values, although analytical gradient matches numerical gradient."
                f"The tolerance for nondeterminism was {nondet_tol}."
            )
    return True


def _fmt(m):
    from .._factories import tensor

    return repr(tensor(m, dtype=None))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """gradcheck of the gradient: second derivatives of func (through create_graph=True)."""
    from . import grad as _grad
    from .._factories import tensor

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        # Fixed random upstream gradients (the global RNG is left alone), themselves differentiated too.
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            tensor(rng.standard_normal(o._data.shape).astype(o._data.dtype), device=o.device, requires_grad=True)
            for o in _outputs(func, inputs)
            if isinstance(o, C.Tensor) and o._data.dtype.kind == "f" and o.requires_grad
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivatives(*args):
        xs, gos = args[:n_in], args[n_in:]
        outs = [o for o in _as_tuple(func(*xs)) if isinstance(o, C.Tensor) and o.requires_grad]
        diff = [x for x in xs if isinstance(x, C.Tensor) and x.requires_grad]
        grads = _grad(outs, diff, grad_outputs=list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, fast_mode=fast_mode)
