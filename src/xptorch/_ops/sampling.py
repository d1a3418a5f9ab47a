"""Random draws whose parameters are tensors: normal, bernoulli, multinomial.

The draws are not reparameterised: their gradient with respect to the parameters is zero, as in
PyTorch (distributions' rsample builds the differentiable path from a standard draw instead).
"""
import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad


class _ZeroGrad(Node):
    """The gradient of a sample with respect to its parameters: zero, broadcast back to each."""

    __slots__ = ("shapes", "_name")

    def name(self):
        return self._name

    def backward(self, g):
        xp = get_xp(g)
        return tuple(None if e is None else xp.zeros(s, dtype=g.dtype) for e, s in zip(self.next, self.shapes))

    def backward_graph(self, g):
        return tuple(None if z is None else wrap(z, g._device) for z in self.backward(g._data))


def _graph(out, dev, params, name):
    tensors = [p for p in params if isinstance(p, C.Tensor)]
    if _grad_state.enabled and any(t._rg for t in tensors):
        node = _ZeroGrad(tuple(edge(t) for t in tensors))
        node.shapes, node._name = tuple(t._data.shape for t in tensors), name
        return wrap_grad(out, dev, node)
    return wrap(out, dev)


def _legacy_name(np_dtype):
    from .._dtype import _BY_NP

    return _BY_NP[np.dtype(np_dtype)]._legacy[: -len("Tensor")]


def _standard_normal(shape, np_dtype, dev, generator):
    from .._dtype import _BY_NP
    from .._factories import randn

    return randn(shape, dtype=_BY_NP[np.dtype(np_dtype)], device=dev, generator=generator)._data


def _uniform(shape, np_dtype, dev, generator):
    from .._dtype import _BY_NP
    from .._factories import rand

    return rand(shape, dtype=_BY_NP[np.dtype(np_dtype)], device=dev, generator=generator)._data


_NORMAL_SIGNATURES = (
    " * (Tensor mean, Tensor std, *, xptorch.Generator generator = None, Tensor out = None)\n"
    " * (Tensor mean, float std = 1, *, xptorch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, Tensor std, *, xptorch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, float std, tuple of ints size, *, xptorch.Generator generator = None, Tensor out = None, "
    "xptorch.dtype dtype = None, xptorch.layout layout = None, xptorch.device device = None, bool pin_memory = False, "
    "bool requires_grad = False)\n"
)


def _bad_normal_call(args, kwargs):
    got = ", ".join([type(a).__name__ if not isinstance(a, C.Tensor) else "Tensor" for a in args]
                    + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    raise TypeError(
        f"normal() received an invalid combination of arguments - got ({got}), but expected one of:\n"
        + _NORMAL_SIGNATURES
    )


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None, layout=None, pin_memory=False):
    mean_t, std_t = isinstance(mean, C.Tensor), isinstance(std, C.Tensor)
    if not mean_t and not std_t:
        if size is None:
            _bad_normal_call((mean, std), {})
        from .._factories import empty

        t = empty(size, dtype=dtype, device=device)
        t.normal_(mean, std, generator=generator)
        t._rg = bool(requires_grad)
        return t
    if size is not None:
        _bad_normal_call((mean, std), {"size": size})
    ref = mean if mean_t else std
    np_dtype = ref._data.dtype
    if np_dtype.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{_legacy_name(np_dtype)}'")
    md = mean._data if mean_t else mean
    sd = std._data if std_t else std
    if std_t:
        if sd.size and bool((sd < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if mean_t and std_t:
        if std._device is not mean._device:
            C.device_mismatch(mean, std)
        try:
            shape = np.broadcast_shapes(md.shape, sd.shape)
        except ValueError:
            C.broadcast_error(md.shape, sd.shape)
        name = "NormalBackward3"
    else:
        shape = ref._data.shape
        name = "NormalBackward1" if mean_t else "NormalBackward2"
    z = _standard_normal(shape, np_dtype, ref._device, generator)
    if std_t and sd.dtype != np_dtype:
        sd = sd.astype(np_dtype)
    if mean_t and md.dtype != np_dtype:
        md = md.astype(np_dtype)
    res = (z * sd + md).astype(np_dtype, copy=False)
    return _graph(res, ref._device, (mean, std), name)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability input (or p), else 0, in input's dtype and shape."""
    xd = input._data
    if xd.dtype.kind != "f":
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_self_\" not implemented for '{_legacy_name(xd.dtype)}'")
    if p is not None:
        out = input.new_empty(xd.shape)
        return out.bernoulli_(p, generator=generator)
    if xd.size and not bool(((xd >= 0) & (xd <= 1)).all()):
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  "
            "If so, please report an enhancement request to PyTorch.)"
        )
    u = _uniform(xd.shape, xd.dtype, input._device, generator)
    res = (u < xd).astype(xd.dtype)
    return _graph(res, input._device, (input,), "BernoulliBackward0")


def _check_rows(w, bad, total):
    """PyTorch's CPU check for draws with replacement: row by row, each entry, then the row's sum."""
    row_bad = bad.any(axis=1) | (total[:, 0] <= 0)
    if not row_bad.any():
        return
    r = int(row_bad.argmax())
    if bad[r].any():
        entry = w[r, int(bad[r].argmax())]
        what = "< 0" if not entry >= 0 else "= infinity or NaN"
        raise RuntimeError(f"invalid multinomial distribution (encountering probability entry {what})")
    raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn from each row of (unnormalised) non-negative weights."""
    xd = input._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_legacy_name(xd.dtype)}")
    if xd.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = xd.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    xp = get_xp(xd)
    w = xd.reshape(xd.shape[0] if xd.ndim == 2 else 1, n_cat).astype(np.float64)
    bad = ~(xp.isfinite(w) & (w >= 0))
    total = w.sum(axis=1, keepdims=True)
    if replacement and num_samples > 1 and input._device.type == "cpu":
        _check_rows(w, bad, total)
    if w.size and bool(bad.any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if w.shape[0] and bool((total <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = w.shape[0]
    if replacement:
        u = _uniform((rows, num_samples), np.float64, input._device, generator)
        cdf = w.cumsum(axis=1) / total
        cdf[:, n_cat - 1:] = 1.0  # a slice: shape (0, 0) has no last column
        # Offset each row by its number so one sorted search serves all rows.
        offs = xp.arange(rows, dtype=np.float64).reshape(-1, 1)
        pos = xp.searchsorted((cdf + offs).reshape(-1), (u + offs).reshape(-1), side="right")
        idx = pos.reshape(rows, num_samples) - (offs.astype(np.int64) * n_cat)
        idx = xp.minimum(idx, n_cat - 1)
    else:
        # Exponential races: the category with the smallest -log(u) / w comes first; zero weights last.
        keys = C.quiet(lambda: -xp.log(_uniform((rows, n_cat), np.float64, input._device, generator)) / w)
        idx = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64)
    if xd.ndim == 1:
        idx = idx.reshape(num_samples)
    return wrap(idx, input._device)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) along dim, g ~ Gumbel(0, 1) per element; hard: the one-hot of its argmax
    with the soft sample's gradient (straight-through)."""
    import warnings

    from .._factories import rand_like

    C.need_tensor(logits, "gumbel_softmax", "logits", 1)
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if logits._data.dtype.kind != "f":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {logits.dtype._legacy[:-6]}")
    gumbels = -(-(-rand_like(logits)).log1p()).log()  # -log(Exponential(1)), the exponential by inversion
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = logits.new_zeros(logits.shape).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
