"""Optimizer base: parameter groups, per-parameter state, state_dict and step hooks."""
import copy
import functools
from collections import OrderedDict
import itertools

from .._ops import _common as C
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..utils.hooks import RemovableHandle
from ..backend import transfer, use_device

__all__ = ["Optimizer", "required"]



class _Required:
    """Marks a hyper-parameter that every parameter group must set."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _typename(obj):
    """PyTorch's typename: 'xptorch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return f"xptorch.{obj.dtype._legacy}"
    mod = type(obj).__module__
    return type(obj).__qualname__ if mod == "builtins" else f"{mod}.{type(obj).__qualname__}"


def _with_hooks(step):
    """Run the step hooks around a subclass's step and record that a step happened."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self._in_step:  # a subclass's step calling super().step(): hooks run once, outside
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            return _hooked(self, args, kwargs)
        finally:
            self._in_step = False

    def _hooked(self, args, kwargs):
        for hook in tuple(self._step_pre_hooks.values()):
            res = hook(self, args, kwargs)
            if res is not None:
                args, kwargs = res
        out = step(self, *args, **kwargs)
        self._opt_called = True
        for hook in tuple(self._step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper._xp_hooked = True
    return wrapper


class Optimizer:
    """Holds parameter groups (dicts of 'params' plus hyper-parameters) and per-parameter state.

    `params` is an iterable of tensors, of (name, tensor) pairs, or of dicts, each dict a group
    whose missing options are taken from `defaults`.
    """

    # State entries shaped like their parameter, checked by load_state_dict (subclasses name theirs).
    _param_shaped_state = ()

    _in_step = False
    _opt_called = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Every concrete step() gets the hooks, whatever subclass defines it.
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_xp_hooked", False):
            cls.step = _with_hooks(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._step_pre_hooks = OrderedDict()
        self._step_post_hooks = OrderedDict()
        self._scratch = {}
        self._flat = {}  # group index -> _FlatGroup (multi-tensor updates)
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {_typename(params)}"
            )
        self.state = _State()
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ---- groups ---------------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Validate a group, fill in the defaults and append it; the dict is updated in place."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not (p.grad_fn is None or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        # A tied parameter listed twice is one parameter: keep its first occurrence.
        seen = set()
        keep = []
        for i, p in enumerate(tensors):
            if id(p) not in seen:
                seen.add(id(p))
                keep.append(i)
        if len(keep) != len(tensors):
            tensors = [tensors[i] for i in keep]
            names = [names[i] for i in keep] if names else names
        for k, default in self.defaults.items():
            if default is required and k not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {k}"
                )
        for group in self.param_groups:
            if ("param_names" in group) != bool(names):
                kind = "with names" if names else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {kind} to the optimizer"
                )
            if any(id(p) in seen for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names
        for k, default in self.defaults.items():
            param_group.setdefault(k, default)
        self.param_groups.append(param_group)

    # ---- gradients -------------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Drop (default) or zero every parameter's .grad."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p.__dict__.pop("_grad", None)
                else:
                    g.grad_fn = None
                    g._rg = False
                    g._data[...] = 0
                    _bump(g)

    def step(self, closure=None):
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- hooks -----------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) before each step; it may return new (args, kwargs)."""
        handle = RemovableHandle(self._step_pre_hooks)
        self._step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) after each step."""
        handle = RemovableHandle(self._step_post_hooks)
        self._step_post_hooks[handle.id] = hook
        return handle

    # ---- state_dict ------------------------------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}.

        Parameters are numbered in group order; state values are the live tensors (not copies).
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                ids.append(index.setdefault(id(p), len(index)))
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)] if isinstance(p, Tensor) else p: s for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore groups and state saved by state_dict(); checked fully before anything changes."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
            raise TypeError(f"Expected state_dict to be dict-like with 'state' and 'param_groups', got {type(state_dict)}.")
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = dict(zip(itertools.chain.from_iterable(s["params"] for s in saved_groups),
                          itertools.chain.from_iterable(g["params"] for g in groups)))
        new_state = _State()
        for k, v in state_dict["state"].items():
            p = id_map.get(k)
            if p is None:
                new_state[k] = copy.deepcopy(v)
            else:
                new_state[p] = {key: _cast_state(p, key, val) for key, val in v.items()}
                for key, shape in self._state_shapes(p).items():
                    val = new_state[p].get(key)
                    if isinstance(val, Tensor) and val.shape != shape:
                        raise RuntimeError(
                            f"loaded optimizer state {key!r} of parameter {k} has shape {list(val.shape)}, "
                            f"but the parameter has shape {list(p.shape)}"
                        )
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            g = {k: copy.deepcopy(v) for k, v in saved.items() if k not in ("params", "param_names")}
            g["params"] = group["params"]
            if "param_names" in group:
                g["param_names"] = group["param_names"]
            new_groups.append(g)
        self.state = new_state
        self.param_groups = new_groups

    def _state_shapes(self, p):
        """{state name: the shape it must have} for parameter p, checked by load_state_dict."""
        return {key: p.shape for key in self._param_shaped_state}

    # ---- printing and pickling -------------------------------------------------------------------
    def __repr__(self):
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += "\n" if i == 0 else "\n\n"
            out += f"Parameter Group {i}"
            for key in sorted(group):
                if key != "params":
                    out += f"\n    {key}: {group[key]}"
        return out + "\n)"

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_scratch"] = {}
        d["_flat"] = {}
        d["_step_pre_hooks"] = OrderedDict()
        d["_step_post_hooks"] = OrderedDict()
        return d

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_flat", {})

    # ---- scratch space for updates ---------------------------------------------------------------
    def _buffers(self, p):
        """Two reusable work arrays shaped like parameter p's (same backend, device and dtype).

        One flat pair per (backend, device, dtype), sized to the largest parameter, serves them
        all, so a step allocates nothing after the first.
        """
        arr = p._data
        key = (type(arr), p._device, arr.dtype)
        n = arr.size
        bufs = self._scratch.get(key)
        if bufs is None or bufs[0].size < n:
            xp = C.get_xp(arr)
            with use_device(p._device):
                bufs = (xp.empty(n, arr.dtype), xp.empty(n, arr.dtype))
            self._scratch[key] = bufs
        shape = arr.shape
        return bufs[0][:n].reshape(shape), bufs[1][:n].reshape(shape)


class _State(dict):
    """Per-parameter state: {parameter: {name: value}} (a parameter's hash is its id)."""

    def __missing__(self, key):
        value = self[key] = {}
        return value


def _bump(t):
    from .._ops.inplace import bump

    bump(t)


def _cast_state(param, key, value):
    """A copy of a saved state value on the parameter's device, in its dtype when it is a float
    ('step' stays as saved)."""
    if isinstance(value, Tensor):
        arr = value._data
        if key == "step":
            return C.wrap(arr.copy(), value._device)
        if param._data.dtype.kind == "f" and arr.dtype != param._data.dtype:
            arr = arr.astype(param._data.dtype)
        if value._device is not param._device:
            arr = transfer(arr, value._device, param._device)
        if arr is value._data:
            arr = arr.copy()
        return C.wrap(arr, param._device)
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v) for k, v in value.items()}
    return copy.deepcopy(value)
