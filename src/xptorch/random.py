"""xptorch.random: the default generator's seed and state, and fork_rng to put them back afterwards.

The functions are the ones xptorch exports at the top level (``xptorch.random.manual_seed is
xptorch.manual_seed``); CUDA generators are reached through xptorch.cuda.
"""
import contextlib
import warnings

from ._random import default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng", "thread_safe_generator"]

_warned_many_devices = False


def _device_module(device_type):
    if device_type == "cuda":
        from . import cuda

        return cuda
    from ._device import device

    device(device_type)  # an unknown type raises here, as torch.device would
    raise RuntimeError(f"Device '{device_type}' does not have a corresponding module registered as "
                       f"'torch.{device_type}'.")


def _many_devices_message(kind, count, caller, devices_kw):
    return (
        f"{kind} reports that you have {count} available devices, and you have used {caller} without explicitly "
        f"specifying which devices are being used. For safety, we initialize *every* {kind} device by default, "
        f"which can be quite slow if you have a lot of {kind}s. If you know that you are only making use of a few "
        f"{kind} devices, set the environment variable {kind}_VISIBLE_DEVICES or the '{devices_kw}' keyword "
        f"argument of {caller} with the set of devices you are actually using. For example, if you are using CPU "
        f"only, set device.upper()_VISIBLE_DEVICES= or devices=[]; if you are using device 0 only, set "
        f"{kind}_VISIBLE_DEVICES=0 or devices=[0].  To initialize all devices and suppress this warning, set the "
        f"'{devices_kw}' keyword argument to `range(torch.{kind.lower()}.device_count())`."
    )


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Context manager that restores the CPU generator's state, and that of the given CUDA devices, on exit.

    devices: the device indices whose generators are saved; None means every visible device, with a
    warning (once per process) when there are several.  enabled=False makes it do nothing.
    device_type: 'cuda' (the default) or 'meta' (nothing to save).
    """
    if device_type == "meta":
        yield
        return
    device_type = device_type or "cuda"
    mod = _device_module(device_type)
    if not enabled:
        yield
        return
    global _warned_many_devices
    if devices is None:
        count = mod.device_count()
        if count > 1 and not _warned_many_devices:
            warnings.warn(_many_devices_message(device_type.upper(), count, _caller, _devices_kw), stacklevel=3)
            _warned_many_devices = True
        devices = list(range(count))
    else:
        devices = list(devices)  # walked twice: a generator would be spent after the first
    cpu_state = get_rng_state()
    device_states = [mod.get_rng_state(d) for d in devices]
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        for d, state in zip(devices, device_states):
            mod.set_rng_state(state, d)


def thread_safe_generator():
    """The DataLoader thread worker's own Generator; None elsewhere (xptorch's workers are processes, so always None)."""
    from .utils.data import get_worker_info

    info = get_worker_info()
    if info is not None and getattr(info, "worker_method", None) == "thread" and getattr(info, "rng", None) is not None:
        return info.rng.torch_generator
    return None
