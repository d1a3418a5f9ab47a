"""In-place shape changes (unsqueeze_, squeeze_, t_, transpose_): the tensor itself takes a new view of its memory.

The values stay, so the tensor's new history is one view node over its old one (torch's set_history, not
the CopySlices rebase of value edits); the version counter, shared with its views, is bumped.
"""
import operator

from ..autograd.grad_mode import state as _grad_state
from . import _common as C
from .inplace import _refresh_views, bump, check_inplace
from .reduce import norm_dim
from .shape import TransposeBackward0, ViewBackward0


class UnsqueezeBackward1(ViewBackward0):
    __slots__ = ()


class SqueezeBackward3(ViewBackward0):
    __slots__ = ()


class SqueezeBackward4(ViewBackward0):
    __slots__ = ()


class SqueezeBackward5(ViewBackward0):
    __slots__ = ()


class TBackward1(TransposeBackward0):
    __slots__ = ()


class TransposeBackward1(TransposeBackward0):
    __slots__ = ()


def int_arg(v, fname, argname, pos=1):
    """An int argument as torch parses it: bools and floats are refused, NumPy ints and 0-d int tensors taken."""
    if not isinstance(v, bool):
        try:
            return operator.index(v)
        except TypeError:
            pass
    raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be int, not {type(v).__name__}")


def restride(a, arr, node_cls, **saved):
    """a's array becomes arr, another view of the same memory; in the graph, node_cls records the change."""
    check_inplace(a)
    if a._rg and _grad_state.enabled:
        node = node_cls((C.edge(a),))
        for k, v in saved.items():
            setattr(node, k, v)
        a.grad_fn = node
    a._data = arr
    bump(a)
    base = a._base
    root = a if base is None else base
    if root._views and a._rg and _grad_state.enabled:
        _refresh_views(root, a)  # as torch, the other views now read their history from the base's
    return a


def unsqueeze_(a, dim):
    dim = int_arg(dim, "unsqueeze_", "dim")
    ad = a._data
    d = norm_dim(dim, ad.ndim + 1)
    return restride(a, C.get_xp(ad).expand_dims(ad, d), UnsqueezeBackward1, shape=ad.shape)


def _squeeze_type_error(dims):
    got = ", ".join(type(d).__name__ for d in dims)
    bad = ", ".join(f"!{type(d).__name__}!" for d in dims)
    raise TypeError(
        f"squeeze_() received an invalid combination of arguments - got ({got}), but expected one of:\n"
        f" * ()\n      didn't match because some of the arguments have invalid types: ({bad})\n"
        f" * (int dim)\n      didn't match because some of the arguments have invalid types: ({bad})\n"
        f" * (tuple of ints dim)\n      didn't match because some of the arguments have invalid types: ({bad})\n"
    )


def squeeze_(a, *dims, **kwargs):
    """squeeze_() / squeeze_(dim) / squeeze_((d0, d1, ...)) / squeeze_(d0, d1, ...)."""
    if kwargs:
        if dims or set(kwargs) != {"dim"}:
            raise TypeError(f"squeeze_() got an unexpected keyword argument '{next(k for k in kwargs if k != 'dim')}'"
                            if set(kwargs) - {"dim"} else "squeeze_() got multiple values for argument 'dim'")
        dims = (kwargs["dim"],)
    ad = a._data
    if not dims:
        return restride(a, ad.squeeze(), SqueezeBackward3, shape=ad.shape)
    if len(dims) == 1 and not isinstance(dims[0], (tuple, list)):
        if isinstance(dims[0], bool):
            _squeeze_type_error(dims)
        try:
            d = operator.index(dims[0])
        except TypeError:
            _squeeze_type_error(dims)
        d = norm_dim(d, ad.ndim)
        arr = ad.squeeze(axis=d) if ad.ndim and ad.shape[d] == 1 else ad.view()
        return restride(a, arr, SqueezeBackward4, shape=ad.shape)
    many = dims[0] if len(dims) == 1 else dims
    ints = []
    for i, d in enumerate(many):
        try:
            if isinstance(d, bool):
                raise TypeError
            ints.append(operator.index(d))
        except TypeError:
            raise TypeError(f"squeeze_(): argument 'dim' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(d).__name__}\"") from None
    axes = [norm_dim(d, ad.ndim) for d in ints]
    seen = set()
    for ax in axes:
        if ax in seen:
            raise RuntimeError(f"dim {ax} appears multiple times in the list of dims")
        seen.add(ax)
    keep = tuple(ax for ax in axes if ad.ndim and ad.shape[ax] == 1)
    arr = ad.squeeze(axis=keep) if keep else ad.view()
    return restride(a, arr, SqueezeBackward5, shape=ad.shape)


def transpose_(a, d0, d1, fname="transpose_", names=("dim0", "dim1")):
    d0 = int_arg(d0, fname, names[0], 1)
    d1 = int_arg(d1, fname, names[1], 2)
    ad = a._data
    n = ad.ndim
    d0, d1 = norm_dim(d0, n), norm_dim(d1, n)
    if n == 0:
        return restride(a, ad.view(), TransposeBackward1, d0=0, d1=0)
    return restride(a, ad.swapaxes(d0, d1), TransposeBackward1, d0=d0, d1=d1)


def t_(a):
    ad = a._data
    if ad.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {ad.ndim}D")
    if ad.ndim < 2:
        return restride(a, ad.view(), TBackward1, d0=0, d1=0)
    return restride(a, ad.T, TBackward1, d0=0, d1=1)
