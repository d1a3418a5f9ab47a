"""Running work on its tensors' CUDA device, as PyTorch's device guard does.

CuPy launches every kernel on its current device: given arrays of another device it either refuses them
(no peer access) or computes on the current device. PyTorch instead runs each op on its inputs' device,
whatever the current one is. xptorch gets the same by entering ``cupy.cuda.Device(i)`` around a call whose
first tensor lives on CUDA device ``i`` while another device is current.

The guards cost nothing on a machine where only device 0 is ever used: they are put in place (``enable``)
the first time a tensor, a ``device`` or the current device names another CUDA device, around the entry
points of user code: Tensor (and Parameter, Buffer) methods, the functions of ``xptorch``,
``nn.functional``, ``linalg``, ``special``, ``fft``, ``nn.init`` and ``autograd``, ``nn.Module.__call__``,
the optimisers' ``step`` and ``zero_grad`` (GradScaler's too), ``load_state_dict``'s copies, and the
gradient clipping and parameter-vector functions of ``nn.utils``.
Work inside an entry point runs under its guard; the autograd engine also guards each node by the device
of its incoming gradient. ``disable`` takes them away again (done when the array module changes).
"""
import functools
import threading
import types

active = [False]
_lock = threading.Lock()
_tensor_cls = [None]  # xptorch.Tensor, and the array module's runtime, looked up once by enable()
_runtime = [None]
_device_cls = [None]
_installed = []  # (owner, name, original) for disable
_wrappers = {}  # original function -> its guarded wrapper, so one function gets one wrapper


def _cupy_cuda():
    from . import cupy_module

    return cupy_module().cuda


def _current():
    rt = _runtime[0]
    return (rt if rt is not None else _cupy_cuda().runtime).getDevice()


def _enter(idx):
    cls = _device_cls[0]
    return (cls if cls is not None else _cupy_cuda().Device)(idx)


def _index_of(args, kwargs):
    """The CUDA index of the first CUDA tensor among args (or first in a list/tuple of tensors), else None
    (a CPU 0-dim tensor may come first, as in ``cpu_scalar * x``). None too when a device is passed by
    keyword: 'cuda' there means the current device, as in PyTorch."""
    Tensor = _tensor_cls[0]
    if kwargs and kwargs.get("device") is not None:
        return None
    for a in args:
        if isinstance(a, Tensor):
            d = a._device
            if d.type == "cuda":
                return d.index
        elif (a.__class__ is list or a.__class__ is tuple) and a and isinstance(a[0], Tensor):
            for t in a:
                if isinstance(t, Tensor) and t._device.type == "cuda":
                    return t._device.index
    if kwargs:
        return _index_of(tuple(kwargs.values()), None)
    return None


def run_on(idx, fn, *args, **kwargs):
    """fn(*args, **kwargs) with CUDA device idx current (entered only when another one is)."""
    if idx is None or idx == _current():
        return fn(*args, **kwargs)
    with _enter(idx):
        return fn(*args, **kwargs)


def array_index(arr):
    """The CUDA index of a device array, or None for a host array or a Python value."""
    dev = getattr(arr, "device", None)
    return getattr(dev, "id", None)


def _guard(fn, index_of=_index_of):
    w = _wrappers.get(fn)
    if w is not None:
        return w

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        idx = index_of(args, kwargs)
        if idx is None or idx == _current():
            return fn(*args, **kwargs)
        with _enter(idx):
            return fn(*args, **kwargs)

    guarded.__device_guarded__ = fn
    _wrappers[fn] = guarded
    return guarded


def _guard_iterable(fn):
    """fn(parameters, ...) that takes an iterable of tensors (a generator too) first: guarded by its first one."""
    w = _wrappers.get(fn)
    if w is not None:
        return w

    @functools.wraps(fn)
    def guarded(params, *args, **kwargs):
        if not isinstance(params, _tensor_cls[0]):
            try:
                params = list(params)
            except TypeError:  # not iterable: fn gives its own error
                return fn(params, *args, **kwargs)
        idx = _index_of((params,), None)
        if idx is None or idx == _current():
            return fn(params, *args, **kwargs)
        with _enter(idx):
            return fn(params, *args, **kwargs)

    guarded.__device_guarded__ = fn
    _wrappers[fn] = guarded
    return guarded


_ITERABLE_FIRST = ("clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
                   "get_total_norm", "parameters_to_vector", "vector_to_parameters")


def _module_index(args, kwargs):
    idx = _index_of(args[1:], kwargs)
    if idx is None:
        for p in args[0].parameters():
            d = p._device
            return d.index if d.type == "cuda" else None
    return idx


def _scaler_index(args, kwargs):
    return _optimizer_index(args[1:], kwargs) if len(args) > 1 else None


def _target_index(args, kwargs):
    return _index_of(args[2:3], None)


def _optimizer_index(args, kwargs):
    for group in args[0].param_groups:
        for p in group["params"]:
            d = p._device
            return d.index if d.type == "cuda" else None
    return None


_SKIP = frozenset(("__init__", "__new__", "__del__", "__getattr__", "__getattribute__", "__setattr__",
                   "__delattr__", "__init_subclass__", "__class_getitem__", "__torch_function__",
                   "__torch_dispatch__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__",
                   # these resolve 'cuda' to the current device and copy across devices themselves
                   "to", "cuda", "type"))


def _patch(owner, name, value):
    _installed.append((owner, name, owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)))
    setattr(owner, name, value)


def enable():
    """Put the guards in place (once)."""
    with _lock:
        if not active[0]:
            try:
                _enable()
            except BaseException:
                _restore()
                raise
            active[0] = True


def _enable():
    import importlib

    from .. import nn
    from .._tensor import Tensor
    from ..amp.grad_scaler import GradScaler
    from ..nn import parameter, utils
    from ..nn.modules import module
    from ..optim.optimizer import Optimizer

    _tensor_cls[0] = Tensor
    try:
        cuda = _cupy_cuda()
        _runtime[0], _device_cls[0] = cuda.runtime, cuda.Device
    except RuntimeError:  # no CUDA: the guards find no CUDA tensors to act on
        pass
    for cls in (Tensor, parameter.Parameter, parameter.Buffer):
        for name, v in list(cls.__dict__.items()):
            if type(v) is types.FunctionType and name not in _SKIP:
                _patch(cls, name, _guard(v))
    for modname in ("xptorch", "xptorch.nn.functional", "xptorch.linalg", "xptorch.special", "xptorch.fft",
                    "xptorch.nn.init", "xptorch.autograd"):
        try:
            mod = importlib.import_module(modname)
        except ImportError:  # pragma: no cover - a namespace this build lacks
            continue
        for name, v in list(vars(mod).items()):
            if type(v) is types.FunctionType and not name.startswith("_") and \
                    (v.__module__ or "").startswith("xptorch"):
                _patch(mod, name, _guard(v))
    for name in _ITERABLE_FIRST:
        v = getattr(utils, name, None)
        if type(v) is types.FunctionType:
            _patch(utils, name, (_guard if name == "vector_to_parameters" else _guard_iterable)(v))
    _patch(module, "_load_one", _guard(module._load_one, _target_index))  # load_state_dict, per tensor
    _patch(nn.Module, "__call__", _guard(nn.Module.__dict__["__call__"], _module_index))
    for name in ("unscale_", "step"):  # GradScaler: by the optimiser's parameters
        _patch(GradScaler, name, _guard(GradScaler.__dict__[name], _scaler_index))
    seen, todo = set(), [Optimizer]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        for name in ("step", "zero_grad"):
            v = cls.__dict__.get(name)
            if type(v) is types.FunctionType:
                _patch(cls, name, _guard(v, _optimizer_index))


def disable():
    """Take the guards away again."""
    if not active[0]:
        return
    active[0] = False
    _restore()


def _restore():
    while _installed:
        owner, name, value = _installed.pop()
        setattr(owner, name, value)
    _wrappers.clear()
    _runtime[0] = _device_cls[0] = None
