"""nn.Module: registration, traversal, state_dict, device moves and hooks."""
import collections
import warnings
from collections import OrderedDict

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..._ops.inplace import bump
from ...utils.hooks import RemovableHandle
from ..parameter import Buffer, Parameter
from ._backward_hooks import _BackwardHook

_EXTRA_STATE = "_extra_state"


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    pad = " " * n
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _typename(value):
    """torch.typename: 'xptorch.FloatTensor', 'xptorch.cuda.FloatTensor', 'int', 'pkg.mod.Class'."""
    if isinstance(value, Tensor):
        return f"xptorch.{'cuda.' if value._device.type == 'cuda' else ''}{value.dtype._legacy}"
    if hasattr(value, "__qualname__"):
        module, qualname = getattr(value, "__module__", "") or "", value.__qualname__
    else:
        module, qualname = type(value).__module__ or "", type(value).__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _forward_unimplemented(self, *input):
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class for all layers: assign Parameters, buffers and Modules as attributes to register them."""

    training: bool
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if not self.call_super_init and kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'"
            )
        if not self.call_super_init and args:
            raise TypeError(
                f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        # Hook stores, each {id: entry}; full backward hooks and their pre-hooks share one store so
        # that __call__ decides "no hooks" from three lookups.
        d["_forward_pre_hooks"] = OrderedDict()  # (hook, with_kwargs)
        d["_forward_hooks"] = OrderedDict()  # (hook, with_kwargs, always_call)
        d["_backward_hooks"] = OrderedDict()  # (hook, is_pre_hook)
        d["_state_dict_pre_hooks"] = OrderedDict()
        d["_state_dict_hooks"] = OrderedDict()  # (hook, from_public_api)
        d["_load_state_dict_pre_hooks"] = OrderedDict()  # (hook, with_module)
        d["_load_state_dict_post_hooks"] = OrderedDict()
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    forward = _forward_unimplemented

    # ---- registration --------------------------------------------------------------------------
    def _check_new_name(self, kind, store, name):
        """PyTorch's checks, in its order, before a parameter or buffer is registered."""
        if store not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in self.__dict__[store]:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        self._check_new_name("parameter", "_parameters", name)
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(xptorch.nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                f"explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                "the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._check_new_name("buffer", "_buffers", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' (xptorch Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name, module):
        self.add_module(name, module)

    def __getattr__(self, name):
        d = self.__dict__
        if "_parameters" in d:
            p = d["_parameters"]
            if name in p:
                return p[name]
            b = d["_buffers"]
            if name in b:
                return b[name]
            m = d["_modules"]
            if name in m:
                return m[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, d, d["_buffers"], d["_modules"], d["_non_persistent_buffers_set"])
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(xptorch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(name, d, params, d["_buffers"], d["_non_persistent_buffers_set"])
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' (xptorch.nn.Module or None expected)"
                )
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' "
                    "(xptorch.nn.Buffer, xptorch.Tensor or None expected)"
                )
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in d["_non_persistent_buffers_set"]
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        d = self.__dict__
        if "_parameters" not in d:
            object.__delattr__(self, name)
        elif name in d["_parameters"]:
            del d["_parameters"][name]
        elif name in d["_buffers"]:
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d["_modules"]:
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(k for k in keys if not k[0].isdigit()))

    # ---- traversal ---------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Depth first, parent before children; iterative so deep nests never hit the recursion limit."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if mod in memo:
                continue
            if remove_duplicate:
                memo.add(mod)
            yield name, mod
            children = [
                (name + ("." if name else "") + k, m) for k, m in mod._modules.items() if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate=True):
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and m not in seen:
                seen.add(m)
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix="", recurse=True, remove_duplicate=True):
        """One walker for parameters and buffers; the memo is by identity, so ties are listed once."""
        memo = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for k, v in mod.__dict__[store].items():
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (mod_prefix + ("." if mod_prefix else "") + k), v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        name = atoms[-1]
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        p = getattr(mod, name)
        if not isinstance(p, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return p

    def get_buffer(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    def get_extra_state(self):
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. Override "
            "get_extra_state() in the Module subclass that stores extra state."
        )

    def set_extra_state(self, state):
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. Override "
            "set_extra_state() in the Module subclass that stores extra state."
        )

    # ---- state_dict ----------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        nonpersistent = self._non_persistent_buffers_set
        for name, b in self._buffers.items():
            if b is not None and name not in nonpersistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Per module: parameters, persistent buffers, then children; values are detached aliases."""
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict "
                "for details.",
                FutureWarning,
                stacklevel=2,
            )
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = collections.OrderedDict()
            destination._metadata = collections.OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook, public in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if public:
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Validate every key, shape and type first, then copy in place: on any error nothing changes."""
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = collections.OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata
        missing, errors, actions, claimed = [], [], [], set()
        visits = self._plan_load(state_dict, metadata, assign, missing, errors, actions, claimed)
        unexpected = [] if len(claimed) == len(state_dict) else _unexpected_keys(self, state_dict, visits, claimed)
        keys = _IncompatibleKeys(missing, unexpected)
        post_hooked = [m for m in visits.values() if m._load_state_dict_post_hooks]
        # Post hooks may clear missing/unexpected keys in place, so with hooks the copy comes first.
        if not errors and (post_hooked or not strict or not (missing or unexpected)):
            with no_grad():
                for mod, name, target, src in actions:
                    _load_one(mod, name, target, src, assign)
            for mod in reversed(post_hooked):
                for hook in mod._load_state_dict_post_hooks.values():
                    if hook(mod, keys) is not None:
                        raise AssertionError(
                            "Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                            "to return new values, if incompatible_keys need to be modified, it should be "
                            "done inplace."
                        )
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(_quoted(unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(_quoted(missing)))
            hint = _prefix_hint(missing, unexpected)
            if hint:
                errors.append(hint)
        if errors:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(type(self).__name__, "\n\t".join(errors))
            )
        return keys

    def _plan_load(self, state_dict, metadata, assign, missing, errors, actions, claimed):
        """Visit modules in PyTorch's order (shared ones once per name); return {prefix: module}.

        claimed collects the keys some module takes; only the others can be unexpected.
        """
        visits = {}
        stack = [("", self)]
        while stack:
            prefix, mod = stack.pop()
            visits[prefix] = mod
            local_metadata = dict(metadata.get(prefix[:-1], {})) if metadata is not None else {}
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            for hook, with_module in mod._load_state_dict_pre_hooks.values():
                args = (state_dict, prefix, local_metadata, True, missing, [], errors)
                hook(mod, *args) if with_module else hook(*args)
            for name, target in _local_state(mod).items():
                key = prefix + name
                if key not in state_dict:
                    missing.append(key)
                    continue
                claimed.add(key)
                src = state_dict[key]
                if not isinstance(src, Tensor):
                    errors.append(
                        f'While copying the parameter named "{key}", expected xptorch.Tensor or Tensor-like '
                        f"object from checkpoint but received {type(src)}"
                    )
                    continue
                if target._data.ndim == 0 and src._data.shape == (1,):
                    src = src.detach().reshape(())
                if src._data.shape != target._data.shape:
                    errors.append(
                        f"size mismatch for {key}: copying a param with shape {src.shape} from checkpoint, "
                        f"the shape in current model is {target.shape}."
                    )
                    continue
                if assign and isinstance(target, Parameter) and target._rg and src._data.dtype.kind != "f":
                    errors.append(
                        f'While copying the parameter named "{key}", whose dimensions in the model are '
                        f"{target.size()} and whose dimensions in the checkpoint are {src.size()}, an exception "
                        "occurred : ('Only Tensors of floating point and complex dtype can require gradients',)."
                    )
                    continue
                actions.append((mod, name, target, src))
            if type(mod).set_extra_state is not Module.set_extra_state:
                key = prefix + _EXTRA_STATE
                if key in state_dict:
                    claimed.add(key)
                    actions.append((mod, None, None, state_dict[key]))
                else:
                    missing.append(key)
            kids = [(prefix + name + ".", m) for name, m in mod._modules.items() if m is not None]
            stack.extend(reversed(kids))
        return visits

    # ---- device and dtype moves ----------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        """Children first; parameters keep their object (ties and optimiser references survive), buffers are
        replaced."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            with no_grad():
                new = fn(p)
            if new is not p:
                p._data, p._device = new._data, new._device
            g = p._grad
            if g is not None:
                with no_grad():
                    new = fn(g)
                if new is not g:
                    g._data, g._device = new._data, new._device
        buffers = self._buffers
        for key, b in buffers.items():
            if b is not None:
                buffers[key] = fn(b)
        return self

    def to(self, *args, **kwargs):
        from ..._tensor import _parse_to

        probe = _Probe()
        dev, dt, _ = _parse_to(probe, args, dict(kwargs))
        if dt is not None and not dt.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dt}"
            )
        if dev is probe._device:
            dev = None

        def convert(t):
            target_dt = dt if (dt is not None and t.is_floating_point()) else None
            if dev is None and target_dt is None:
                return t
            return t.to(dev if dev is not None else t._device, target_dt if target_dt is not None else t.dtype)

        return self._apply(convert)

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def to_empty(self, *, device, recurse=True):
        from ..._factories import empty_like

        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            g = p._grad
            if g is not None:
                if set_to_none:
                    p.__dict__.pop("_grad", None)
                else:
                    g.grad_fn = None
                    g._rg = False
                    g.zero_()

    def share_memory(self):
        return self

    # ---- calling -----------------------------------------------------------------------------
    def _call_impl(self, *args, **kwargs):
        d = self.__dict__
        if not (d["_forward_pre_hooks"] or d["_forward_hooks"] or d["_backward_hooks"]):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    __call__ = _call_impl

    def _call_with_hooks(self, args, kwargs):
        d = self.__dict__
        called = set()
        result = None
        try:
            for hook, with_kwargs in list(d["_forward_pre_hooks"].values()):
                if with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError(
                                "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                f"but got {res}."
                            )
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            backward = list(d["_backward_hooks"].values())
            tap = None
            if backward:
                tap = _BackwardHook(self, [h for h, pre in backward if not pre], [h for h, pre in backward if pre])
                args = tap.setup_inputs(args)
            result = self.forward(*args, **kwargs)
            for key, (hook, with_kwargs, always) in list(d["_forward_hooks"].items()):
                if always:
                    called.add(key)
                res = hook(self, args, kwargs, result) if with_kwargs else hook(self, args, result)
                if res is not None:
                    result = res
            if tap is not None:
                result = tap.setup_outputs(result)
            return result
        except Exception:
            for key, (hook, with_kwargs, always) in list(d["_forward_hooks"].items()):
                if always and key not in called:
                    try:
                        res = hook(self, args, kwargs, result) if with_kwargs else hook(self, args, result)
                        if res is not None:
                            result = res
                    except Exception as e:
                        warnings.warn(
                            "module forward hook with ``always_call=True`` raised an exception that was "
                            f"silenced as another error was raised in forward: {e}",
                            stacklevel=2,
                        )
            raise

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        return _add_hook(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        return _add_hook(self._forward_hooks, (hook, with_kwargs, always_call), prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) -> None or a replacement grad_input tuple."""
        return _add_hook(self._backward_hooks, (hook, False), prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) -> None or a replacement grad_output tuple."""
        return _add_hook(self._backward_hooks, (hook, True), prepend)

    def register_state_dict_pre_hook(self, hook):
        return _add_hook(self._state_dict_pre_hooks, hook, False)

    def register_state_dict_post_hook(self, hook):
        return _add_hook(self._state_dict_hooks, (hook, True), False)

    def _register_state_dict_hook(self, hook):
        return _add_hook(self._state_dict_hooks, (hook, False), False)

    def register_load_state_dict_pre_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata, strict, missing, unexpected, error_msgs)."""
        return _add_hook(self._load_state_dict_pre_hooks, (hook, True), False)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        return _add_hook(self._load_state_dict_pre_hooks, (hook, with_module), False)

    def register_load_state_dict_post_hook(self, hook):
        """hook(module, incompatible_keys), run after the copy; may edit the key lists in place."""
        return _add_hook(self._load_state_dict_post_hooks, hook, False)

    # ---- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state):
        self.__dict__.update(state)
        for key in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_state_dict_pre_hooks",
                    "_state_dict_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"):
            self.__dict__.setdefault(key, OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())


class _Probe:
    _device = object()


def _remove_from(name, *stores):
    for store in stores:
        if name in store:
            if isinstance(store, set):
                store.discard(name)
            else:
                del store[name]


def _add_hook(store, value, prepend):
    handle = RemovableHandle(store)
    key = handle.id
    store[key] = value
    if prepend:
        items = list(store.items())
        store.clear()
        store[key] = value
        store.update((k, v) for k, v in items if k != key)
    return handle


# ---- load_state_dict helpers ---------------------------------------------------------------------
def _local_state(mod):
    """What a module itself contributes to a state_dict: parameters, then persistent buffers."""
    out = {n: p for n, p in mod._parameters.items() if p is not None}
    skip = mod._non_persistent_buffers_set
    out.update((n, b) for n, b in mod._buffers.items() if b is not None and n not in skip)
    return out


def _quoted(keys):
    return ", ".join(f'"{k}"' for k in keys)


def _unexpected_keys(root, state_dict, visits, claimed):
    """Keys no module claims, in PyTorch's order: by the module that rejects them, then by position."""
    order = {prefix: i for i, prefix in enumerate(visits)}
    local = {}
    found = []
    for pos, key in enumerate(state_dict):
        if key in claimed:
            continue
        mod, prefix = root, ""
        while True:
            head, dot, _ = key[len(prefix):].partition(".")
            if dot:
                if head not in mod._modules:
                    found.append((order[prefix], 1, pos, key))
                    break
                child = mod._modules[head]
                if child is None:  # an unset child takes nothing and rejects nothing
                    break
                mod, prefix = child, prefix + head + "."
                continue
            if head == _EXTRA_STATE:
                if type(mod).set_extra_state is Module.set_extra_state:
                    found.append((order[prefix], 0, pos, key))
            else:
                names = local.get(prefix)
                if names is None:
                    names = local[prefix] = _local_state(mod)
                if head not in names:
                    found.append((order[prefix], 1, pos, key))
            break
    found.sort()
    return [k for *_, k in found]


def _load_one(mod, name, target, src, assign):
    if name is None:
        mod.set_extra_state(src)
    elif assign:
        if isinstance(target, Parameter):
            if isinstance(src, Parameter):
                src.requires_grad_(target._rg)
            else:
                src = Parameter(src, requires_grad=target._rg)
        setattr(mod, name, src)
    else:
        if src._device is not target._device or src._data.dtype != target._data.dtype:
            src = src.to(target._device, target.dtype)
        target._data[...] = src._data
        bump(target)


def _prefix_hint(missing, unexpected):
    """Name a wrapper prefix ('module.') when stripping or adding it is what the keys disagree on."""
    for extra, lacking, text in (
        (unexpected, missing, "Hint: the checkpoint's keys carry an extra '{head}.' prefix (e.g. \"{a}\" vs "
                              "\"{b}\"); strip it before loading."),
        (missing, unexpected, "Hint: the model's keys carry a '{head}.' prefix that the checkpoint lacks "
                              "(e.g. \"{a}\" vs \"{b}\")."),
    ):
        if not extra or not lacking:
            continue
        head = extra[0].partition(".")[0]
        if not all(k.startswith(head + ".") for k in extra):
            continue
        lacking_set = set(lacking)
        for k in extra:
            if k[len(head) + 1:] in lacking_set:
                return text.format(head=head, a=k, b=k[len(head) + 1:])
    return ""

