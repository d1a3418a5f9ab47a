"""skip_init: a module with its parameters and buffers allocated but not initialised."""
import inspect


def skip_init(module_cls, *args, **kwargs):
    """module_cls(*args, **kwargs) whose parameters and buffers hold uninitialised memory on ``device``.

    torch builds the module on the meta device, so no initialisation runs; xptorch has no meta device and builds
    it on the CPU, then replaces every tensor with an empty one on ``device`` (same result, the init cost paid).
    """
    from ..modules.module import Module

    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = "cpu"
    return module_cls(*args, **kwargs).to_empty(device=final_device)
