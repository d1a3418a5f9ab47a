"""Inspecting and extending a backward pass while it runs; saved-tensor hooks."""
import contextlib

from . import saved_hooks as _sh
from .engine import queue_callback
from .node import Node, RemovableHandle

__all__ = ["Node", "RemovableHandle", "queue_callback", "saved_tensors_hooks", "save_on_cpu",
           "disable_saved_tensors_hooks"]


class saved_tensors_hooks:
    """Context manager: every tensor a graph node saves for backward goes through pack_hook(tensor)
    when it is saved, and unpack_hook(packed) must give it back (as a Tensor) when backward needs it.

    pack_hook may return any object; unpack_hook is called on each backward pass that uses the
    tensor (again after `retain_graph=True`). Nested contexts: the innermost pair applies. The hooks
    are the current thread's, read when the tensor is saved; a pack hook must not modify its input
    in place.
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        _sh.push(self.pack_hook, self.unpack_hook)

    def __exit__(self, *args):
        _sh.pop()


class save_on_cpu(saved_tensors_hooks):
    """Context manager: tensors saved for backward are kept in host memory and copied back to their
    device when backward needs them (CPU tensors are kept as they are).

    pin_memory: stage the host copies in page-locked memory (faster copies back).
    """

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            return (tensor.device, tensor.cpu().pin_memory() if tensor.is_cuda else tensor.cpu())

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Context manager under which saved-tensor hooks are refused: entering a hook context raises
    RuntimeError(error_message), and so does entering this one while hooks are in effect."""
    st = _sh.state
    if st.stack:
        raise RuntimeError(error_message)
    prev = st.disabled
    st.disabled = error_message
    try:
        yield
    finally:
        st.disabled = prev
