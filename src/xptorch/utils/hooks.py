"""Hook handles: what every register_*hook returns, and the markers for hooks that are not saved."""
import warnings
import weakref
from collections import OrderedDict

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


class RemovableHandle:
    """A handle whose remove() deletes its hook from the registry it was added to.

    hooks_dict: the registry, a dict of hooks keyed by handle id (held weakly: a handle does not
    keep its module or tensor alive).  extra_dict: a dict, or list of dicts, whose entry under the
    same id goes too.  Usable as a context manager, which removes the hook on exit.  A pickled
    handle carries its registry, so a handle pickled with its module still removes from the copy.
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (weakref.ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)
        else:
            self.extra_dict_ref = ()

    def remove(self):
        """Delete the hook; a second call, or one after the registry is gone, does nothing."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            store = ref()
            if store is not None:
                store.pop(self.id, None)

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        # A registry that was gone when pickled comes back as a dead reference.
        self.hooks_dict_ref = weakref.ref(OrderedDict() if state[0] is None else state[0])
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extra = state[2] if len(state) > 2 else None
        self.extra_dict_ref = () if extra is None else tuple(weakref.ref(d) for d in extra)

    def __enter__(self):
        return self

    def __exit__(self, type, value, tb):
        self.remove()


def unserializable_hook(f):
    """Decorator marking a hook as not meant to be saved, which silences warn_if_has_hooks for it."""
    f.__torch_unserializable__ = True
    return f


def _tensor_hooks(tensor):
    leaf = tensor._leaf_hooks
    if leaf:
        return list(leaf.values())
    fn = tensor.grad_fn
    hooks = getattr(fn, "_hooks", None)
    return list(hooks.values()) if hooks else []


def warn_if_has_hooks(tensor):
    """Warn, once per hook, that the tensor's backward hooks are not saved with it."""
    for hook in _tensor_hooks(tensor):
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.  If this is expected, you "
                          "can decorate the function with @torch.utils.hooks.unserializable_hook to suppress this "
                          "warning", stacklevel=2)
