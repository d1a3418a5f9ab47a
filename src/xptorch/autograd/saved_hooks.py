"""Saved-tensor hooks: what a graph node keeps for backward passes through pack and unpack.

`ACTIVE` holds one entry per hook context entered on any thread, so the ops' only cost while no
context is open is one truthiness test (in `_ops._common.wrap_grad` and `inplace.rebase`). A node
packs when it is attached to its output: every array named in its `saves` goes to the innermost
pack hook of the current thread, and the slot is emptied. The backward engines call `unpack`
before running such a node and `clear` after it, so node code never sees the difference.
"""
import threading

from . import grad_mode as _gm

ACTIVE = []  # one entry per open hook context, any thread


class _HookState(threading.local):
    def __init__(self):
        self.stack = []  # (pack_hook, unpack_hook), innermost last
        self.disabled = None  # the message to raise while hooks are disabled


state = _HookState()

_INPLACE_MSG = (
    "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
    "cannot be modified by in-place operations as this can lead to unexpected side-effects. Please open "
    "an issue if you need to perform in-place operations on the input to a pack hook."
)


def push(pack_hook, unpack_hook):
    if state.disabled is not None:
        raise RuntimeError(state.disabled)
    state.stack.append((pack_hook, unpack_hook))
    ACTIVE.append(None)


def pop():
    state.stack.pop()
    ACTIVE.pop()


def current():
    """The innermost (pack, unpack) pair of this thread, or None."""
    stack = state.stack
    return stack[-1] if stack else None


def _is_array(v):
    return hasattr(v, "dtype") and hasattr(v, "shape") and hasattr(v, "strides")


def call_pack(pack_hook, t):
    """pack_hook(t) without recording, refusing a hook that writes into t."""
    from .._ops._common import vcounter

    vc = vcounter(t)
    before = vc[0]
    prev = _gm.state.enabled
    _gm.state.enabled = False
    try:
        obj = pack_hook(t)
    finally:
        _gm.state.enabled = prev
    if vc[0] != before:
        raise RuntimeError(_INPLACE_MSG)
    return obj


def call_unpack(unpack_hook, obj):
    """unpack_hook(obj), checked to be a Tensor; in the caller's grad mode (on under create_graph)."""
    from .._tensor import Tensor

    r = unpack_hook(obj)
    if not isinstance(r, Tensor):
        raise TypeError(
            f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type {type(r).__name__}"
        )
    return r


def pack_node(node, out, dev):
    """Pack the arrays node saves (called as node's output `out` is made, on device `dev`)."""
    hooks = current()
    saves = node.saves
    if hooks is None or not saves:
        return
    pack_hook, unpack_hook = hooks
    from .._ops._common import wrap

    # The tensors the saved arrays came from, so the hook sees the caller's own objects.
    known = {id(out._data): out}
    checks = node._checks
    if checks:
        for _, _, who in checks:
            if not isinstance(who, tuple):
                known[id(who._data)] = who
    for e in node.next:
        if e is not None and hasattr(e, "_data"):
            known.setdefault(id(e._data), e)

    def one(arr):
        t = known.get(id(arr))
        if t is None:
            t = wrap(arr, _device_of(arr, dev))
        return call_pack(pack_hook, t)

    entries = []
    for attr in saves:
        v = getattr(node, attr, None)
        if _is_array(v):
            entries.append((attr, False, one(v), unpack_hook))
        elif isinstance(v, (tuple, list)) and v and any(_is_array(x) for x in v):
            seq = [(True, one(x)) if _is_array(x) else (False, x) for x in v]
            entries.append((attr, type(v), seq, unpack_hook))
        else:
            continue
        setattr(node, attr, None)
    if entries:
        prev = node._packed
        node._packed = tuple(entries) if prev is None else prev + tuple(entries)


def _device_of(arr, dev):
    from ..backend import is_device_array

    if is_device_array(arr) == (dev.type == "cuda"):
        return dev
    from .._device import device

    return device("cuda") if dev.type == "cpu" else device("cpu")


def unpack(node, grad_mode=False):
    """Put the unpacked arrays back into node's slots for one backward call (first-order backward
    unpacks with grad mode off, create_graph with it on, as PyTorch's engine runs them)."""
    prev = _gm.state.enabled
    _gm.state.enabled = grad_mode
    try:
        _unpack(node)
    finally:
        _gm.state.enabled = prev


def _unpack(node):
    for attr, kind, obj, unpack_hook in node._packed:
        if kind is False:
            setattr(node, attr, call_unpack(unpack_hook, obj)._data)
        else:
            vals = [call_unpack(unpack_hook, x)._data if is_packed else x for is_packed, x in obj]
            setattr(node, attr, kind(vals))


def clear(node):
    """Drop the unpacked arrays again (the packed objects stay for a retained graph)."""
    packed = node._packed
    if packed is not None:
        for attr, _, _, _ in packed:
            setattr(node, attr, None)
