"""Hostile calls derived from the op table: each entry's first sample, bent into the mistakes users make.

`mutations(op, base)` yields (kind, sample) pairs bent from one base sample (the entry's first by default;
`bases(op)` lists them all); kinds are listed in KINDS. The calls are deterministic (seeded) and cheap (each
sample's first dtype only).
"""
import copy
import math

from op_db import S, T

KINDS = ("str", "none", "list", "int_dtype", "bool_dtype", "mixed_dtype", "broadcast", "dim_hi", "dim_lo",
         "empty", "ndim_up", "ndim_down", "neg_int", "index_oob")


def _t(spec, **changes):
    t = copy.copy(spec)
    for k, v in changes.items():
        setattr(t, k, v)
    if "shape" in changes and spec.values is not None:
        n = 1
        for d in t.shape:
            n *= d
        t.values = [spec.values[i % len(spec.values)] for i in range(n)] if spec.values else [0] * n
    return t


def _finite(values):
    """Literal values for an integer copy: small finite ones kept, the rest zero."""
    return None if values is None else [v if math.isfinite(v) and abs(v) < 1e6 else 0.0 for v in values]


def _slots(sample):
    """Where the sample's arguments are: ("a", i) positional, ("k", name) keyword, ("l", i, j) in a list."""
    out = [("a", i) for i in range(len(sample.args))] + [("k", k) for k in sample.kwargs]
    for i, a in enumerate(sample.args):
        if isinstance(a, (list, tuple)) and any(isinstance(e, T) for e in a):
            out += [("l", i, j) for j in range(len(a))]
    return out


def _get(sample, slot):
    if slot[0] == "a":
        return sample.args[slot[1]]
    if slot[0] == "k":
        return sample.kwargs[slot[1]]
    return sample.args[slot[1]][slot[2]]


def _with(sample, slot, value):
    args, kwargs = list(sample.args), dict(sample.kwargs)
    if slot[0] == "a":
        args[slot[1]] = value
    elif slot[0] == "k":
        kwargs[slot[1]] = value
    else:
        seq = list(args[slot[1]])
        seq[slot[2]] = value
        args[slot[1]] = type(args[slot[1]])(seq)
    out = S(*args, **kwargs)
    out.dtypes, out.msg = sample.dtypes, sample.msg
    return out


def _base(op):
    for s in op.samples:
        if any(isinstance(_get(s, sl), T) for sl in _slots(s)):
            return s
    return op.samples[0] if op.samples else None


def bases(op):
    """The samples hostile calls start from: the first with a tensor, then every other one with a tensor."""
    first = _base(op)
    out = [] if first is None else [first]
    return out + [s for s in op.samples if s is not first and any(isinstance(_get(s, sl), T) for sl in _slots(s))]


def mutations(op, base=None):
    s = _base(op) if base is None else base
    if s is None:
        return
    slots = _slots(s)
    tslots = [sl for sl in slots if isinstance(_get(s, sl), T)]
    # float tensors (the ones the entry's dtypes fill), index tensors (literal int64 values)
    fslots = [sl for sl in tslots if _get(s, sl).dtype is None]
    ixslots = [sl for sl in tslots if _get(s, sl).dtype == "int64" and _get(s, sl).values]
    for sl in tslots:
        yield "str", _with(s, sl, "a")
        yield "none", _with(s, sl, None)
        yield "list", _with(s, sl, [1.0, 2.0])
    if fslots:
        first = _get(s, fslots[0])
        yield "int_dtype", _with(s, fslots[0], _t(first, dtype="int64", values=_finite(first.values)))
        yield "bool_dtype", _with(s, fslots[0], _t(first, dtype="bool", values=_finite(first.values)))
        if len(fslots) > 1:
            other = "float64" if op.dtypes[0] == "float32" else "float32"
            yield "mixed_dtype", _with(s, fslots[1], _t(_get(s, fslots[1]), dtype=other))
    if len(tslots) > 1:
        a, b = _get(s, tslots[0]), _get(s, tslots[1])
        used = {d for sl in tslots for d in _get(s, sl).shape}
        k = next(n for n in range(5, 20) if n not in used)
        if a.shape and b.shape:
            yield "broadcast", _with(s, tslots[1], _t(b, shape=b.shape[:-1] + (k,), view=None))
    for sl in slots:
        v = _get(s, sl)
        if isinstance(v, int) and not isinstance(v, bool) and not (sl[0] == "a" and sl[1] == 0 and not tslots):
            yield "dim_hi", _with(s, sl, 5)
            yield "dim_lo", _with(s, sl, -6)
        if isinstance(v, int) and not isinstance(v, bool):
            yield "neg_int", _with(s, sl, -1)
    if tslots:
        sl = tslots[0]
        a = _get(s, sl)
        if a.shape:
            yield "empty", _with(s, sl, _t(a, shape=(0,) + a.shape[1:], view=None))
        yield "ndim_up", _with(s, sl, _t(a, shape=(2,) + a.shape + (2,), view=None))
        if a.shape:
            yield "ndim_down", _with(s, sl, _t(a, shape=(), view=None))
    for sl in ixslots:
        a = _get(s, sl)
        yield "index_oob", _with(s, sl, _t(a, values=[99] + list(a.values[1:])))
        yield "index_oob", _with(s, sl, _t(a, values=[-99] + list(a.values[1:])))
