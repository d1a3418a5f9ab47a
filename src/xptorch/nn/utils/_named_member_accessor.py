"""Swap a module's tensors by dotted name (``'0.weight'``), as torch.nn.utils._named_member_accessor.

A parameter or buffer slot takes any tensor (or None) without re-registration; any other name goes through
setattr (so a parametrized name runs its right_inverse, as in torch)."""
from ..._tensor import Tensor
from ..modules.module import Module

_MISSING = object()


def _check_name(name, what="tensor"):
    if "." in name:
        raise KeyError(f'{what} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{what} name can\'t be empty string ""')


def swap_tensor(module, name, tensor, allow_missing=False):
    """Put tensor (or _MISSING: remove) under module.<name>; return what was there (or _MISSING)."""
    if not isinstance(module, Module):
        raise TypeError(f"{module} is not an instance of xptorch.nn.Module")
    if tensor is not _MISSING and not isinstance(tensor, Tensor) and tensor is not None:
        raise TypeError(f"{tensor} is not an instance of xptorch.Tensor")
    _check_name(name)
    for store in (module._parameters, module._buffers):
        if name in store:
            orig = store[name]
            if tensor is not _MISSING:
                store[name] = tensor
            else:
                del store[name]
            return orig
    if hasattr(module, name):
        orig = getattr(module, name)
    else:
        if not allow_missing:
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        orig = _MISSING
    if orig is not _MISSING and not isinstance(orig, Tensor) and orig is not None:
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of xptorch.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return orig


class NamedMemberAccessor:
    """Get and swap tensors of a module tree by their dotted names; submodules are looked up once."""

    def __init__(self, module):
        self.module = module
        self.memo = {}

    def get_submodule(self, name):
        if not name:
            return self.module
        if name in self.memo:
            return self.memo[name]
        prefix, dot, attr = name.rpartition(".")
        module = self.get_submodule(prefix) if dot else self.module
        try:
            submodule = getattr(module, attr)
        except AttributeError as ex:
            raise AttributeError(f"{module._get_name()} has no attribute `{attr}`") from ex
        if not isinstance(submodule, Module):
            raise TypeError(f"submodule `{name}`: {submodule} is not an instance of xptorch.nn.Module")
        self.memo[name] = submodule
        return submodule

    def swap_tensor(self, name, value, allow_missing=False):
        prefix, _, attr = name.rpartition(".")
        return swap_tensor(self.get_submodule(prefix), attr, value, allow_missing=allow_missing)

    def swap_tensors_dict(self, named_tensors, allow_missing=False):
        """Swap all; on any error put back what was swapped and raise. Returns (originals, missing names)."""
        orig_named_tensors, missing_keys = {}, []
        try:
            for name, tensor in named_tensors.items():
                orig = self.swap_tensor(name, tensor, allow_missing=True)
                if orig is _MISSING:
                    missing_keys.append(name)
                orig_named_tensors[name] = orig
        except Exception:
            for name, orig in orig_named_tensors.items():
                self.swap_tensor(name, orig, allow_missing=True)
            raise
        if missing_keys and not allow_missing:
            for name, orig in orig_named_tensors.items():
                self.swap_tensor(name, orig, allow_missing=True)
            raise RuntimeError(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
        return orig_named_tensors, missing_keys

    def named_tensors(self, remove_duplicate=True):
        yield from self.module.named_parameters(remove_duplicate=remove_duplicate)
        yield from self.module.named_buffers(remove_duplicate=remove_duplicate)

    def check_keys(self, keys):
        keys = set(keys)
        valid = {name for name, _ in self.named_tensors(remove_duplicate=False)}
        return sorted(valid - keys), sorted(keys - valid)
