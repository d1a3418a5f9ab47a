"""nn.Module: registration, traversal, state_dict, device moves and hooks."""
import collections
import itertools

from ... import _dtype
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..._ops import _common as C
from ...autograd.node import Node, RemovableHandle
from ..parameter import Parameter

_hook_ids = itertools.count()


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


def _type_name(value):
    """PyTorch's legacy type string for error messages: 'xptorch.FloatTensor', 'int', ..."""
    if isinstance(value, Tensor):
        return f"xptorch.{value.dtype._legacy}"
    return type(value).__name__


class Module:
    """Base class for all layers: assign Parameters, buffers and Modules as attributes to register them."""

    training: bool
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'"
                if kwargs else f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = {}
        d["_forward_hooks"] = {}
        d["_backward_hooks"] = {}
        d["_state_dict_hooks"] = {}
        d["_load_state_dict_pre_hooks"] = {}

    forward = None

    # ---- registration --------------------------------------------------------------------------
    def _check_new_name(self, kind, store, name):
        """PyTorch's checks, in its order, before a parameter or buffer is registered."""
        if store not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
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
                f"cannot assign '{_type_name(param)}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)".replace("torch.nn", "xptorch.nn")
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
                f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' (torch Tensor or None required)".replace("torch Tensor", "xptorch Tensor")
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_type_name(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

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
            _remove_from(d, name, "_buffers", "_modules", "_non_persistent_buffers_set")
            d.pop(name, None)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as parameter '{name}' "
                    "(xptorch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(d, name, "_parameters", "_buffers", "_non_persistent_buffers_set")
            d.pop(name, None)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as child module '{name}' (xptorch.nn.Module or None expected)"
                )
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as buffer '{name}' (xptorch.Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                del store[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
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
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield name, mod
            children = [
                (name + ("." if name else "") + k, m) for k, m in mod._modules.items() if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
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
                if v is None:
                    continue
                if remove_duplicate:
                    if id(v) in memo:
                        continue
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
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(f"{type(mod).__name__} has no attribute `{name}`")
        p = getattr(mod, name)
        if not isinstance(p, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return p

    def get_buffer(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return mod._buffers[name]

    # ---- state_dict ----------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        if args:
            destination = args[0] if len(args) > 0 else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = collections.OrderedDict()
        stack = [(prefix, self)]
        while stack:
            pre, mod = stack.pop()
            for name, p in mod._parameters.items():
                if p is not None:
                    destination[pre + name] = p if keep_vars else p.detach()
            nonpersistent = mod._non_persistent_buffers_set
            for name, b in mod._buffers.items():
                if b is not None and name not in nonpersistent:
                    destination[pre + name] = b if keep_vars else b.detach()
            for hook in mod._state_dict_hooks.values():
                hook(mod, destination, pre, {})
            kids = [(pre + name + ".", m) for name, m in mod._modules.items() if m is not None]
            stack.extend(reversed(kids))
        return destination

    def _load_plan(self, state_dict, strict):
        """Match every key, shape and dtype first; return (copies, missing, unexpected, errors)."""
        copies, missing, errors = [], [], []
        expected = set()
        for prefix, mod in self.named_modules(remove_duplicate=False):
            pre = prefix + "." if prefix else ""
            for hook in mod._load_state_dict_pre_hooks.values():
                hook(state_dict, pre, {}, strict, missing, [], errors)
            locals_ = [(n, p) for n, p in mod._parameters.items() if p is not None]
            locals_ += [
                (n, b) for n, b in mod._buffers.items()
                if b is not None and n not in mod._non_persistent_buffers_set
            ]
            for name, target in locals_:
                key = pre + name
                expected.add(key)
                if key not in state_dict:
                    missing.append(key)
                    continue
                src = state_dict[key]
                if not isinstance(src, Tensor):
                    errors.append(
                        f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                        f"object from checkpoint but received {type(src)}".replace("torch.Tensor", "xptorch.Tensor")
                    )
                    continue
                if src.shape != target.shape:
                    errors.append(
                        f"size mismatch for {key}: copying a param with shape {src.shape} from checkpoint, "
                        f"the shape in current model is {target.shape}."
                    )
                    continue
                copies.append((mod, name, target, src))
        unexpected = [k for k in state_dict if k not in expected]
        return copies, missing, unexpected, errors

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Validate every key and shape, then copy in place; on any error nothing is changed."""
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        copies, missing, unexpected, errors = self._load_plan(state_dict, strict)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
            hint = _prefix_hint(missing, unexpected)
            if hint:
                errors.append(hint)
        if errors:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(type(self).__name__, "\n\t".join(errors))
            )
        with no_grad():
            for mod, name, target, src in copies:
                if assign:
                    _assign(mod, name, target, src)
                else:
                    _copy_into(target, src)
        return _IncompatibleKeys(missing, unexpected)

    # ---- device and dtype moves ----------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        """Swap arrays inside the existing Parameter objects so ties and optimiser references survive."""
        seen = set()
        for mod in self.modules() if recurse else [self]:
            for key, p in mod._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                with no_grad():
                    new = fn(p)
                p._data, p._device = new._data, new._device
                if p._grad is not None:
                    g = fn(p._grad)
                    p._grad._data, p._grad._device = g._data, g._device
            for key, b in mod._buffers.items():
                if b is None:
                    continue
                if id(b) in seen:
                    continue
                seen.add(id(b))
                new = fn(b)
                b._data, b._device = new._data, new._device
        return self

    def to(self, *args, **kwargs):
        from ..._tensor import _parse_to

        probe = _Probe()
        dev, dt, _ = _parse_to(probe, args, dict(kwargs))
        if dt is not None and not dt.is_floating_point:
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype="
                f"{dt}"
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
        return self.to("cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device))

    def cpu(self):
        return self.to("cpu")

    def type(self, dst_type):
        return self._apply(lambda t: t.to(dst_type))

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p._grad is not None:
                if set_to_none:
                    p._grad = None
                else:
                    p._grad.grad_fn = None
                    p._grad._rg = False
                    p._grad.zero_()

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
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw = list(self._backward_hooks.values())
        if bw:
            tap = _FullBackwardHook(self, bw)
            args = tap.wrap_inputs(args)
        out = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            res = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if res is not None:
                out = res
        if bw:
            out = tap.wrap_output(out)
        return out

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        return _add_hook(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        return _add_hook(self._forward_hooks, (hook, with_kwargs), prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        return _add_hook(self._backward_hooks, hook, prepend)

    def register_state_dict_hook(self, hook):
        return _add_hook(self._state_dict_hooks, hook, False)

    def register_load_state_dict_pre_hook(self, hook):
        return _add_hook(self._load_state_dict_pre_hooks, hook, False)

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


class _Probe:
    _device = object()


def _remove_from(d, name, *stores):
    for s in stores:
        store = d.get(s)
        if store is not None and name in store:
            if isinstance(store, set):
                store.discard(name)
            else:
                del store[name]


def _add_hook(store, value, prepend):
    key = next(_hook_ids)
    store[key] = value
    if prepend:
        items = list(store.items())
        store.clear()
        store[key] = value
        store.update((k, v) for k, v in items if k != key)
    return RemovableHandle(store, key)


def _prefix_hint(missing, unexpected):
    """Name a wrapper prefix such as 'module.' when it explains the mismatch."""
    if not missing or not unexpected:
        return ""
    for k in unexpected:
        head, dot, rest = k.partition(".")
        if dot and rest in missing:
            return (f"Hint: the checkpoint's keys carry an extra '{head}.' prefix (e.g. \"{k}\" vs \"{rest}\"); "
                    f"strip it before loading.")
    for k in missing:
        head, dot, rest = k.partition(".")
        if dot and rest in unexpected:
            return (f"Hint: the model's keys carry a '{head}.' prefix that the checkpoint lacks "
                    f"(e.g. \"{k}\" vs \"{rest}\").")
    return ""


def _copy_into(target, src):
    if src._device is not target._device or src._data.dtype != target._data.dtype:
        src = src.to(target._device, target.dtype)
    target._data[...] = src._data
    from ..._ops.inplace import bump

    bump(target)


def _assign(mod, name, target, src):
    if name in mod._parameters:
        new = src if isinstance(src, Parameter) else Parameter(src.detach(), requires_grad=target._rg)
        mod._parameters[name] = new
    else:
        mod._buffers[name] = src.detach()


class BackwardHookFunctionBackward(Node):
    """Identity node that reports the gradient passing through it."""

    __slots__ = ("callback",)

    def backward(self, g):
        self.callback(g)
        return (g,)


def _tap(t, callback):
    node = BackwardHookFunctionBackward((C.edge(t),))
    node.callback = callback
    return C.wrap_grad(t._data, t._device, node)


class _FullBackwardHook:
    """Calls hook(module, grad_input, grad_output) once the inputs' gradients are known."""

    def __init__(self, module, hooks):
        self.module, self.hooks = module, hooks
        self.grad_output = None

    def wrap_inputs(self, args):
        self.grad_input = [None] * len(args)
        self.waiting = 0
        out = []
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a._rg:
                self.waiting += 1
                out.append(_tap(a, lambda g, i=i: self._got_input(i, g)))
            else:
                out.append(a)
        return tuple(out)

    def wrap_output(self, out):
        if not isinstance(out, Tensor) or not out._rg:
            return out
        return _tap(out, self._got_output)

    def _got_output(self, g):
        self.grad_output = (Tensor._from_array(g),)
        if self.waiting == 0:
            self._fire()

    def _got_input(self, i, g):
        self.grad_input[i] = g
        self.waiting -= 1
        if self.waiting == 0:
            self._fire()

    def _fire(self):
        gin = tuple(None if g is None else Tensor._from_array(g) for g in self.grad_input)
        for hook in self.hooks:
            res = hook(self.module, gin, self.grad_output)
            if res is not None:
                gin = res
