"""resize_ and resize_as_: a new shape over the tensor's memory, grown when it is too small."""
import operator
import sys

from .. import _layout
from . import _common as C
from .inplace import bump
from .strided import _storage

_SHARED_GROW_MSG = (
    "resize_: cannot grow a tensor past its memory while other tensors view that memory (xptorch cannot move "
    "their memory with it); clone() it first"
)


def _sizes(sizes, fname="resize_"):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    elif len(sizes) == 1 and (isinstance(sizes[0], bool) or not hasattr(sizes[0], "__index__")):
        raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, not {type(sizes[0]).__name__}")
    out = []
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(s).__name__}\"")
        out.append(operator.index(s))
    if any(s < 0 for s in out):
        raise RuntimeError("numel: integer multiplication overflow")
    return tuple(out)


_ORDERS = {"channels_last": (4, (0, 2, 3, 1)), "channels_last_3d": (5, (0, 2, 3, 4, 1))}


def _strides(sizes, memory_format):
    """Element strides of a dense layout: C order, or a channels-last order of the dims."""
    order = tuple(range(len(sizes)))
    if memory_format is not None and memory_format is not _layout.contiguous_format:
        _layout.check(memory_format)
        rank, perm = _ORDERS.get(str(memory_format).rsplit(".", 1)[-1], (None, None))
        if perm is None:  # preserve_format: torch's message, run together as it prints it
            raise RuntimeError("Unsupported memory formatPreserve")
        _layout.rank_error(memory_format, len(sizes))
        order = perm
    strides = [0] * len(sizes)
    step = 1
    for d in reversed(order):
        strides[d] = step
        step *= max(sizes[d], 1)
    return tuple(strides)


def _shared(a):
    """Whether other tensors view a's memory: a is a view, or its views and detached aliases, which share its
    version counter, are alive."""
    return a._base is not None or (a._vc is not None and sys.getrefcount(a._vc) > 2)


def resize_(a, sizes, memory_format=None):
    sizes = _sizes(sizes)
    if a._rg:
        raise RuntimeError("cannot resize variables that require grad")
    ad = a._data
    strides = _strides(sizes, memory_format)
    if ad.shape == sizes and (memory_format is None or tuple(s // ad.itemsize for s in ad.strides) == strides):
        return a  # nothing changes: torch leaves the version alone too
    numel = 1
    for s in sizes:
        numel *= s
    need = 1 + sum((n - 1) * s for n, s in zip(sizes, strides)) if numel else 0
    flat, own = _storage(ad)
    xp = C.get_xp(ad)
    if flat is not None and own + need <= flat.size:
        start = flat[own:]
    else:
        if _shared(a):
            raise RuntimeError(_SHARED_GROW_MSG)
        grown = xp.empty(own + need, dtype=ad.dtype)
        if flat is not None:
            grown[:flat.size] = flat
        else:  # memory not seen whole: keep the elements in order
            grown[own:own + ad.size] = ad.reshape(-1)
        start = grown[own:]
    a._data = xp.lib.stride_tricks.as_strided(start, shape=sizes, strides=tuple(s * ad.itemsize for s in strides))
    bump(a)
    return a


def resize_as_(a, other, memory_format=None):
    if not isinstance(other, C.Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 1) must be Tensor, not {type(other).__name__}")
    return resize_(a, (other._data.shape,), memory_format)
