"""Generic tests driven by the op table (tests/op_db.py), each compared with torch 2.13."""
import math
import warnings

import numpy as np
import pytest

import xptorch
from op_db import OPS, T
from op_harness import (
    assert_unchanged,
    backward_both,
    compare_grads,
    compare_outputs,
    flat,
    materialise,
    raises_like,
    snapshot,
    view_of,
)
from oracle import to_numpy, torch


def _params(test, pred=lambda op: True):
    out = []
    for op in OPS:
        if not pred(op):
            continue
        marks = []
        if test in op.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=op.xfail[test]))
        out.append(pytest.param(op, id=op.name, marks=marks))
    return out


def _fixed(sample):
    """True when every tensor of the sample has its own dtype (then one run covers it)."""
    ts = []

    def walk(a):
        if isinstance(a, T):
            ts.append(a)
        elif isinstance(a, (list, tuple)):
            for e in a:
                walk(e)

    for a in list(sample.args) + list(sample.kwargs.values()):
        walk(a)
    return bool(ts) and all(t.dtype is not None for t in ts)


def _nonfinite(sample):
    return any(isinstance(a, T) and a.values is not None and not all(map(math.isfinite, a.values)) for a in sample.args)


def cases(op, samples=None):
    """(label, sample, dtype, seed) for every sample and dtype of an entry."""
    for i, s in enumerate(op.samples if samples is None else samples):
        dts = s.dtypes or op.dtypes
        if _fixed(s) or not any(isinstance(a, T) for a in s.args):
            dts = dts[:1] if s.dtypes is None else dts
        if _nonfinite(s):  # NaN and inf exist only in floating dtypes
            dts = tuple(d for d in dts if d.startswith("float")) or ("float32",)
        for dt in dts:
            yield f"{op.name} sample {i} {s!r} {dt}", s, dt, 1000 + i


def _run(call, fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            return call.run(fn), None, [x.category for x in w]
        except Exception as e:  # noqa: BLE001  (compared with the other library's exception)
            return None, e, [x.category for x in w]


def _forward(op, label, s, dt, seed, requires_grad):
    tc, xc = materialise(s, dt, seed, requires_grad)
    before = snapshot(xc)
    t_out, t_exc, t_w = _run(tc, op.fn)
    if t_exc is not None:
        raises_like(t_exc, lambda: xc.run(op.fn), exact=False)
        assert_unchanged(before, xc, label)
        return None
    x_out, x_exc, x_w = _run(xc, op.fn)
    if x_exc is not None:
        raise AssertionError(f"{label}: xptorch raised {type(x_exc).__name__}: {x_exc}; torch gave a result") from x_exc
    assert x_w == t_w, f"{label}: warnings {x_w} != torch's {t_w}"
    compare_outputs(x_out, t_out, op, what=label)
    assert_unchanged(before, xc, label)
    return tc, xc, t_out, x_out


@pytest.mark.parametrize("op", _params("test_values"))
def test_values(op):
    for label, s, dt, seed in cases(op):
        _forward(op, label, s, dt, seed, op.grad)


@pytest.mark.parametrize("op", _params("test_grads", lambda op: op.grad and op.samples and op.compare == "values"))
def test_grads(op):
    checked = 0
    for label, s, dt, seed in cases(op):
        r = _forward(op, label, s, dt, seed, True)
        if r is None:
            continue
        tc, xc, t_out, x_out = r
        done = backward_both(x_out, t_out, seed)
        if done is True:
            compare_grads(xc, tc, op, what=label)
        checked += bool(done)
    assert checked, f"{op.name}: no sample had a differentiable output in torch; give the entry grad=False"


def _small(s):
    n = 0
    for a in list(s.args) + list(s.kwargs.values()):
        for t in a if isinstance(a, (list, tuple)) else [a]:
            if isinstance(t, T):
                if t.values is not None:
                    return False
                n += int(np.prod(t.shape)) if t.shape else 1
    return 0 < n <= 40


def _has_fd_case(op):
    return any(dt == "float64" and _small(s) for _, s, dt, _ in cases(op))


@pytest.mark.parametrize("op", _params("test_fd", lambda op: op.grad and op.fd and op.compare == "values" and _has_fd_case(op)))
def test_fd(op):
    """xptorch's gradients against float64 central differences (no torch involved)."""
    eps = 1e-6
    checked = 0
    for label, s, dt, seed in cases(op):
        if dt != "float64" or not _small(s):
            continue
        _, xc = materialise(s, dt, seed, True)
        try:
            out = xc.run(op.fn)
        except Exception:  # noqa: BLE001  (error samples are test_values' business)
            continue
        tensors = [o for o in flat(out) if isinstance(o, xptorch.Tensor)]
        picked = [i for i, o in enumerate(tensors) if o.requires_grad]  # float outputs that may not (lu's P)
        outs = [tensors[i] for i in picked]
        if not outs or any(o.dtype != xptorch.float64 for o in outs):  # differences need float64 outputs
            continue
        rng = np.random.default_rng(seed + 7)
        gs = [rng.uniform(-1, 1, size=tuple(o.shape)) for o in outs]
        xptorch.autograd.backward(outs, [xptorch.tensor(g) for g in gs])

        def f():
            with xptorch.no_grad():
                o2 = [o for o in flat(xc.run(op.fn)) if isinstance(o, xptorch.Tensor)]
                o2 = [o2[i] for i in picked]
            return sum(float(np.sum(to_numpy(o) * g)) for o, g in zip(o2, gs))

        for k, leaf in enumerate(xc.leaves):
            if not leaf.requires_grad:
                continue
            arr = leaf.data.numpy().reshape(-1) if leaf.numel() else None
            num = np.zeros(leaf.numel())
            for i in range(leaf.numel()):
                old = arr[i]
                arr[i] = old + eps
                plus = f()
                arr[i] = old - eps
                minus = f()
                arr[i] = old
                num[i] = (plus - minus) / (2 * eps)
            got = to_numpy(leaf.grad).reshape(-1) if leaf.grad is not None else np.zeros(leaf.numel())
            np.testing.assert_allclose(got, num, rtol=1e-4, atol=1e-6, err_msg=f"{label}: input {k}")
            checked += 1
    if not checked:
        pytest.skip(f"{op.name}: no small float64 sample with a differentiable float64 output")


def _first_tensor_arg(call):
    return call.specs and call.args and call.args[0] is not None and isinstance(call.args[0], type(call.leaves[0]))


@pytest.mark.parametrize("op", _params("test_inplace", lambda op: op.inplace is not None))
def test_inplace(op):
    for label, s, dt, seed in cases(op):
        # 1. on plain tensors: same result as torch and as the out-of-place op, returns self, bumps version
        tc, xc = materialise(s, dt, seed, False)
        before = snapshot(xc)
        t_out, t_exc, _ = _run(tc, op.inplace)
        if t_exc is not None:
            raises_like(t_exc, lambda: xc.run(op.inplace), exact=False)
            assert_unchanged(before, xc, label)
            continue
        target = xc.args[0]
        v0 = target._version
        x_out = xc.run(op.inplace)
        assert x_out is target, f"{label}: in-place op did not return self"
        assert target._version > v0, f"{label}: version not bumped"
        compare_outputs(x_out, t_out, op, what=label)
        if op.compare == "meta":
            continue
        _, xc2 = materialise(s, dt, seed, False)
        oop = xc2.run(op.fn)
        assert x_out.dtype == oop.dtype and x_out.shape == oop.shape, f"{label}: in-place {x_out} vs out-of-place {oop}"
        np.testing.assert_allclose(to_numpy(x_out), to_numpy(oop), rtol=1e-6, atol=1e-6, equal_nan=True,
                                   err_msg=f"{label} in-place vs out-of-place")
        if dt not in ("float32", "float64") or not _first_tensor_arg(xc):
            continue
        # 2. in the graph: the edited tensor is a view of a non-leaf; gradients as torch (or its error)
        _graph_case(op, label, s, dt, seed, before_view=False)
        # 3. a view taken from the base before the in-place edit sees the edit and its gradient
        if s.args[0].view is None:
            _graph_case(op, label, s, dt, seed, before_view=True)


def _graph_case(op, label, s, dt, seed, before_view):
    label = f"{label} ({'view before edit' if before_view else 'edit through view'})"
    tc, xc = materialise(s, dt, seed, True)
    results = []
    for call in (tc, xc):
        lib = call.lib
        try:
            base = call.leaves[0] * 1
            if before_view:
                watched = base[0] if base.dim() and base.shape[0] else base.view(base.shape)
                args = [base] + list(call.args[1:])
            else:
                watched = base
                args = [view_of(base, call.specs[0])] + list(call.args[1:])
            op.inplace(lib, *args, **call.kwargs)
            g = np.random.default_rng(seed + 3).uniform(-1, 1, size=tuple(watched.shape))
            loss = (watched * lib.tensor(g.astype(dt))).sum() + (base * 0.5).sum()
            loss.backward()
            results.append((None, call))
        except Exception as e:  # noqa: BLE001  (compared across libraries below)
            results.append((e, call))
    (t_exc, _), (x_exc, _) = results
    if t_exc is not None:
        assert x_exc is not None, f"{label}: torch raised {type(t_exc).__name__}: {t_exc}; xptorch did not"
        assert isinstance(x_exc, _builtin(type(t_exc))), (
            f"{label}: {type(x_exc).__name__} ({x_exc}) where torch raised {type(t_exc).__name__}: {t_exc}"
        )
        return
    assert x_exc is None, f"{label}: xptorch raised {type(x_exc).__name__}: {x_exc}"
    compare_grads(xc, tc, op, what=label)


@pytest.mark.parametrize("op", _params("test_errors", lambda op: op.errors))
def test_errors(op):
    for label, s, dt, seed in cases(op, op.errors):
        tc, xc = materialise(s, dt, seed, op.grad)
        _, t_exc, _ = _run(tc, op.fn)
        assert t_exc is not None, f"{label}: torch does not raise here; not an error case"
        before = snapshot(xc)
        if s.msg == "type":
            with pytest.raises(Exception) as ei:
                xc.run(op.fn)
            assert isinstance(ei.value, _builtin(type(t_exc))), f"{label}: {type(ei.value).__name__}: {ei.value}"
        else:
            raises_like(t_exc, lambda: xc.run(op.fn), exact=s.msg == "exact")
        assert_unchanged(before, xc, label)


def _builtin(k):
    for c in k.__mro__:
        if c.__module__ == "builtins":
            return c
    return k
