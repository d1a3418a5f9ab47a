"""Inspecting and extending a backward pass while it runs; saved-tensor hooks."""
import contextlib
import threading
from typing import NamedTuple, Optional

from . import engine as _engine
from . import saved_hooks as _sh
from .engine import queue_callback
from .node import AccumulateGrad, Node, RemovableHandle

__all__ = ["Node", "RemovableHandle", "queue_callback", "saved_tensors_hooks", "save_on_cpu",
           "disable_saved_tensors_hooks", "GradientEdge", "get_gradient_edge", "increment_version",
           "register_multi_grad_hook"]


class GradientEdge(NamedTuple):
    """Where the gradient of a tensor is computed in the graph: its producing node (AccumulateGrad
    for a leaf) and which of that node's outputs it is. Accepted as `inputs` by autograd.grad and
    backward; get one with get_gradient_edge(tensor)."""

    node: object
    output_nr: int
    ownership_token: Optional[object] = None


def get_gradient_edge(tensor):
    """The GradientEdge of tensor: `autograd.grad(loss, get_gradient_edge(x))` equals
    `autograd.grad(loss, x)`."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "It is not possible to get the gradient edge for a Tensor that does not require gradients"
        )
    node = tensor.grad_fn
    if node is None:
        node = AccumulateGrad(tensor)
    return GradientEdge(node, 0)


def increment_version(tensor):
    """Mark tensor (or each tensor of an iterable) as modified in place, as an in-place op would: a
    graph that saved it refuses to backward. For writes autograd cannot see (a kernel given the
    data pointer); bumping more than once per write is harmless."""
    from .._ops.inplace import bump
    from .._tensor import Tensor

    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        bump(t)


class _MultiHandle(RemovableHandle):
    """Handle of a multi-grad hook: remove() detaches it from every tensor."""

    __slots__ = ("handles",)

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Call fn once per backward pass over several tensors.

    mode="all": once every tensor of `tensors` that this backward reaches has its gradient,
    fn(grads) gets one entry per tensor (None where none was computed). mode="any": fn(grad) on the
    first gradient computed among them. fn must not modify its arguments. Returns a handle whose
    remove() detaches the hook.
    """
    modes = ("all", "any")
    if mode not in modes:
        raise ValueError(f"Expects mode to be one of {modes} but got {mode}")
    tensors = list(tensors)
    lock = threading.Lock()
    if mode == "all":
        for t in tensors:
            if not t.requires_grad:
                raise AssertionError("Expected gradient function to be set")
        n = len(tensors)
        calls = {}  # task id -> [gradients seen, expected count, buffer]

        def inner(i):
            def hook(grad):
                task = _engine.current_task()
                with lock:
                    rec = calls.get(task[0])
                    if rec is None:
                        rec = calls[task[0]] = [0, sum(map(_engine.will_execute, tensors)), [None] * n]
                    rec[0] += 1
                    rec[2][i] = grad
                    done = rec[0] == rec[1]
                    if done:
                        del calls[task[0]]
                if done:
                    fn(rec[2])

            return hook

        return _MultiHandle(tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors)))

    ran = set()  # task ids whose first gradient has been seen

    def first(grad):
        task = _engine.current_task()
        with lock:
            if task[0] in ran:
                return
            ran.add(task[0])
        fn(grad)

    return _MultiHandle(tuple(t.register_hook(first) for t in tensors if t.requires_grad))


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
