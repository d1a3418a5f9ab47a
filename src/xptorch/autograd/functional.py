"""Function transforms built on autograd.grad: vjp, jvp, jacobian, hessian, vhp, hvp.

Each takes a function of Tensors and the point to evaluate it at. Inputs are re-wrapped as fresh
leaves (or, with create_graph=True, as aliases that keep the caller's graph), so nothing about the
caller's tensors changes. Jacobians are built row by row from vector-Jacobian products; forward
products (jvp) use the double-backward trick, so they need the ops' second-order rules.
"""
from .._ops import _common as C
from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, arg_name, fn_name):
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, el in enumerate(xs):
        if not isinstance(el, C.Tensor):
            if is_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                    f"value at index {i} has type {type(el)}."
                )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the given "
                f"{arg_name} has type {type(el)}."
            )
    return is_tuple, xs


def _tuple_postprocess(res, to_unpack):
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(r[0] for r in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _prepare(inputs, create_graph, need_graph):
    """Fresh leaves requiring grad; with create_graph, aliases keeping the inputs' own graph."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _post(xs, create_graph):
    return tuple(x if x is None or create_graph else x.detach() for x in xs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if tuple(el_v.shape) != tuple(el_other.shape):
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_other.shape} but got {el_v.shape}."
            )


def _check_requires_grad(xs, input_type, strict):
    if not strict:
        return
    what = {"outputs": "output", "grad_inputs": "gradient of the output", "hessian": "hessian",
            "double_back": "double backward", "back_trick": "double backward trick"}
    for i, x in enumerate(xs):
        if x is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is not allowed "
                "in strict mode."
            )
        if not x.requires_grad:
            if input_type == "outputs":
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients. The outputs must be "
                    "computed in a differentiable manner from the input when running in strict mode."
                )
            if input_type == "hessian":
                raise RuntimeError(
                    f"The hessian of the user-provided function with respect to input {i} is independent of "
                    "the input. This is not allowed in strict mode. You should ensure that your function is "
                    "thrice differentiable and that the hessian depends on the inputs."
                )
            raise RuntimeError(
                f"The {what[input_type]} of the user-provided function with respect to input {i} does not "
                "require grad. This is not allowed in strict mode."
            )


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad; None where an input is unused."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_out, new_go = [], []
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o.requires_grad:
            new_out.append(o)
            new_go.append(g)
    if not new_out:
        return (None,) * len(inputs)
    return _grad(new_out, inputs, new_go, allow_unused=True, create_graph=create_graph,
                 retain_graph=retain_graph)


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    res = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                if stage == "back":
                    raise RuntimeError(
                        f"The output of the user-provided function is independent of input {i}. This is not "
                        "allowed in strict mode."
                    )
                if stage == "back_trick":
                    raise RuntimeError(
                        f"The gradient with respect to the input is independent of entry {i} in the grad_outputs "
                        "when using the double backward trick to compute forward mode gradients. This is not "
                        "allowed in strict mode."
                    )
                if stage == "double_back":
                    raise RuntimeError(
                        f"The jacobian of the user-provided function is independent of input {i}. This is not "
                        "allowed in strict mode."
                    )
                raise RuntimeError(
                    f"The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
                    "This is not allowed in strict mode as it prevents from using the double backward trick to "
                    "replace forward mode AD."
                )
            g = C.wrap(C.get_xp(r._data).zeros_like(r._data), r._device)
        res.append(g)
    return tuple(res)


def _call(func, inputs, fn_name):
    out = func(*inputs)
    is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", fn_name)
    return is_tuple, outs


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at inputs."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, True)
        is_outputs_tuple, outputs = _call(func, inputs, "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            _validate_v(v, outputs, is_outputs_tuple)
        else:
            if len(outputs) != 1 or outputs[0].numel() != 1:
                raise RuntimeError(
                    "The vector v can only be None if the user-provided function returns a single Tensor with "
                    "a single element."
                )
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_tuple_postprocess(_post(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_post(res, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            _validate_v(v, inputs, is_inputs_tuple)
        else:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function is a single "
                    "Tensor with a single element."
                )
        is_outputs_tuple, outputs = _call(func, inputs, "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        grad_outputs = tuple(C.wrap(C.get_xp(o._data).zeros_like(o._data), o._device).requires_grad_(True)
                             for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
        if create_graph:
            with enable_grad():
                grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
                jvp_res = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
        else:
            grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
            jvp_res = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    return (_tuple_postprocess(_post(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_post(jvp_res, create_graph), is_outputs_tuple))


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """jac[i][j]: d outputs[i] / d inputs[j], shaped outputs[i].shape + inputs[j].shape."""
    from .._functions import stack

    jac = []
    for i, out in enumerate(outputs):
        flat = out.reshape(-1)
        rows = [[] for _ in inputs]
        n = flat._data.shape[0]
        for k in range(n):
            if out.requires_grad:
                vj = _grad(flat[k], inputs, retain_graph=True, create_graph=create_graph, allow_unused=True)
            else:
                vj = (None,) * len(inputs)
            for j, (g, inp) in enumerate(zip(vj, inputs)):
                if g is None:
                    if strict and create_graph and not inp.requires_grad:
                        pass
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input {j}. This is "
                            "not allowed in strict mode."
                        )
                    g = C.wrap(C.get_xp(inp._data).zeros_like(inp._data), inp._device)
                rows[j].append(g)
        res = []
        for j, inp in enumerate(inputs):
            if n:
                r = stack(rows[j]) if create_graph else C.wrap(
                    C.get_xp(inp._data).stack([g._data for g in rows[j]]), inp._device)
            else:
                r = C.wrap(C.get_xp(inp._data).zeros((0,) + tuple(inp._data.shape), dtype=inp._data.dtype),
                           inp._device)
            res.append(r.reshape(tuple(out.shape) + tuple(inp.shape)))
        jac.append(tuple(res))
    return tuple(jac)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs, one reverse pass per output element."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only implemented for "
            "`vectorize=True`."
        )
    if vectorize:
        raise NotImplementedError("jacobian(vectorize=True) is not supported by xptorch; use vectorize=False.")
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, True)
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        jac = _jacobian_rows(outputs, inputs, create_graph, strict)
    jac = tuple(_post(row, create_graph) for row in jac)
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function at inputs: the Jacobian of its gradient."""
    if vectorize:
        raise NotImplementedError("hessian(vectorize=True) is not supported by xptorch; use vectorize=False.")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if outer_jacobian_strategy == "forward-mode":
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only implemented for "
            "`vectorize=True`."
        )
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if is_out_tuple or not isinstance(out, C.Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def jac_func(*inp):
        inp = tuple(t.requires_grad_(True) if not t.requires_grad else t for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar function."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar function (the Hessian of a twice-differentiable function is
    symmetric, so this is the same product as vhp)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, name):
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _prepare(inputs, create_graph, True)
        if v is not None:
            _, v = _as_tuple(v, "v", name)
            _validate_v(v, inputs, is_inputs_tuple)
        else:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function is a single "
                    "Tensor with a single element."
                )
        is_outputs_tuple, outputs = _call(func, inputs, name)
        if is_outputs_tuple or not isinstance(outputs[0], C.Tensor):
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single element")
        _check_requires_grad(outputs, "outputs", strict)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    return (_tuple_postprocess(_post(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_post(res, create_graph), is_inputs_tuple))
