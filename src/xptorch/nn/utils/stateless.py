"""Call a module with other tensors in place of its parameters and buffers (torch.nn.utils.stateless)."""
import contextlib
import warnings

from ._named_member_accessor import NamedMemberAccessor

__all__ = ["functional_call"]


def _untie_named_tensors_map(module, parameters_and_buffers):
    """Extend the given names to every name tied to them (one tensor under several names)."""
    all_named = dict(module.named_parameters(remove_duplicate=False))
    all_named.update(module.named_buffers(remove_duplicate=False))
    names_of = {}  # keyed by tensor identity
    for name, tensor in all_named.items():
        names_of.setdefault(id(tensor), set()).add(name)
    tied_names_map = {}
    for names in names_of.values():
        if len(names) > 1:
            for name in names:
                tied_names_map[name] = names
    given_tied = {name for name in parameters_and_buffers if name in tied_names_map}
    for name in given_tied:
        tied = tied_names_map[name] & given_tied
        if len(tied) > 1 and len({id(parameters_and_buffers[n]) for n in tied}) != 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(tied_names_map[name])}, which are tied. "
                "Consider using tie_weights=False"
            )
    untied = parameters_and_buffers.copy()
    for name in given_tied:
        for tied_name in tied_names_map[name]:
            untied[tied_name] = parameters_and_buffers[name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False, stack_weights=False):
    untied = _untie_named_tensors_map(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    accessor = NamedMemberAccessor(module)
    if strict:
        missing_keys, unexpected_keys = accessor.check_keys(untied)
        error_msgs = []
        if unexpected_keys:
            error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected_keys))}.")
        if missing_keys:
            error_msgs.append(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
        if error_msgs:
            raise RuntimeError(
                "Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(), "\n\t".join(error_msgs))
            )
    orig = {}
    try:
        orig, _ = accessor.swap_tensors_dict(untied, allow_missing=True)
        yield
    finally:
        if stack_weights:
            orig = dict(reversed(orig.items()))
        new, _ = accessor.swap_tensors_dict(orig, allow_missing=True)
        # Tensors the call replaced (e.g. running stats of BatchNorm) are handed back through the dict.
        parameters_and_buffers.update({k: new[k] for k in parameters_and_buffers if k in new})


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """module(*args, **kwargs) with the named tensors of parameters_and_buffers in place of the module's own,
    restored afterwards. Deprecated as in torch: use xptorch.func.functional_call."""
    warnings.warn(
        "`xptorch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a "
        "future version of PyTorch. Please use `xptorch.func.functional_call` instead which is a drop-in "
        "replacement.",
        FutureWarning,
        stacklevel=2,
    )
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
