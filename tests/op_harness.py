"""Turning op_db samples into identical torch and xptorch calls, and comparing their results."""
import numpy as np

import xptorch
from op_db import T
from oracle import assert_same_error, assert_same_tensor, to_numpy, torch


def _array(spec, dtype, rng):
    dt = np.dtype(spec.dtype or dtype)
    shape = spec.shape
    if spec.view == "t":
        shape = shape[::-1]
    elif spec.view == "expand":
        shape = (1,) + shape[1:]
    elif spec.view == "step":
        shape = shape[:-1] + (shape[-1] * 2,)
    if spec.values is not None:
        return np.array(spec.values, dtype=dt).reshape(shape)
    if dt.kind == "f":
        return rng.uniform(spec.low, spec.high, size=shape).astype(dt)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    lo, hi = int(np.floor(spec.low)) - 2, int(np.ceil(spec.high)) + 3
    return rng.integers(lo, hi, size=shape).astype(dt)


def view_of(t, spec):
    if spec.view == "t":
        return t.permute(*reversed(range(t.dim())))
    if spec.view == "expand":
        return t.expand(*spec.shape)
    if spec.view == "step":
        return t[..., ::2]
    return t


class Call:
    """One sample materialised for one library: args, kwargs and the leaves behind the tensors."""

    def __init__(self, lib, args, kwargs, leaves, specs):
        self.lib, self.args, self.kwargs, self.leaves, self.specs = lib, args, kwargs, leaves, specs

    def run(self, fn):
        return fn(self.lib, *self.args, **self.kwargs)


def materialise(sample, dtype, seed, requires_grad, device=None):
    """(torch Call, xptorch Call) on identical data; device: where xptorch's tensors are made (default cpu)."""
    rng = np.random.default_rng(seed)
    arrays = []

    def walk(a):
        if isinstance(a, T):
            arrays.append(_array(a, dtype, rng))
            return ("T", len(arrays) - 1, a)
        if isinstance(a, (list, tuple)) and any(isinstance(e, T) for e in a):
            return (type(a), [walk(e) for e in a])
        return ("V", a)

    plan_args = [walk(a) for a in sample.args]
    plan_kwargs = {k: walk(v) for k, v in sample.kwargs.items()}

    def build(lib):
        leaves, specs = [], []

        def make(p):
            if p[0] == "T":
                arr, spec = arrays[p[1]], p[2]
                rg = requires_grad and spec.grad and arr.dtype.kind == "f"
                if device is None or lib is torch:
                    leaf = lib.tensor(arr.copy(), requires_grad=rg)
                else:
                    leaf = lib.tensor(arr.copy(), requires_grad=rg, device=device)
                leaves.append(leaf)
                specs.append(spec)
                return view_of(leaf, spec)
            if p[0] == "V":
                return p[1]
            return p[0](make(e) for e in p[1])

        args = [make(p) for p in plan_args]
        kwargs = {k: make(p) for k, p in plan_kwargs.items()}
        return Call(lib, args, kwargs, leaves, specs)

    return build(torch), build(xptorch)


def flat(out):
    """Outputs as a flat list (nested tuples such as (values, indices) pairs included)."""
    if isinstance(out, (tuple, list)):
        return [y for x in out for y in flat(x)]
    return [out]


def snapshot(call):
    """Data, version and grad_fn of every leaf: a failed or out-of-place call must not change them."""
    return [(to_numpy(t).copy(), t._version, t.grad_fn) for t in call.leaves]


def assert_unchanged(before, call, what):
    for i, ((arr, ver, fn), t) in enumerate(zip(before, call.leaves)):
        np.testing.assert_array_equal(to_numpy(t), arr, err_msg=f"{what}: input {i} changed")
        assert t._version == ver, f"{what}: input {i} version {t._version} != {ver}"
        assert t.grad_fn is fn, f"{what}: input {i} grad_fn replaced"


def compare_outputs(x_out, t_out, op, what="output"):
    xs, ts = flat(x_out), flat(t_out)
    assert len(xs) == len(ts), f"{what}: {len(xs)} outputs, torch gives {len(ts)}"
    for i, (x, t) in enumerate(zip(xs, ts)):
        w = f"{what} {i}"
        if op.compare == "meta" and isinstance(t, torch.Tensor):
            assert isinstance(x, xptorch.Tensor), w
            assert tuple(x.shape) == tuple(t.shape), f"{w} shape {tuple(x.shape)} != {tuple(t.shape)}"
            assert str(x.dtype) == str(t.dtype).replace("torch", "xptorch"), f"{w} dtype {x.dtype} != {t.dtype}"
        elif isinstance(t, (list, tuple)):
            compare_outputs(x, t, op, w)
            continue
        else:
            assert_same_tensor(x, t, op.rtol, op.atol, what=w)
        if isinstance(t, torch.Tensor):
            assert x.requires_grad == t.requires_grad, f"{w} requires_grad {x.requires_grad} != {t.requires_grad}"
            assert (x.grad_fn is None) == (t.grad_fn is None), f"{w} grad_fn {x.grad_fn} vs torch {t.grad_fn}"


def backward_both(x_out, t_out, seed):
    """Backward from one random upstream gradient per differentiable output.

    False: no differentiable output; "raised": torch's backward raised and xptorch's raised alike.
    """
    rng = np.random.default_rng(seed + 1)
    xr, xg, tr, tg = [], [], [], []
    for x, t in zip(flat(x_out), flat(t_out)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            g = rng.uniform(-1, 1, size=tuple(t.shape)).astype(to_numpy(t).dtype)
            tr.append(t)
            tg.append(torch.tensor(g))
            xr.append(x)
            xg.append(xptorch.tensor(g, device=x.device if isinstance(x, xptorch.Tensor) else None))
    if not tr:
        return False
    try:
        torch.autograd.backward(tr, tg)
    except RuntimeError as e:  # torch records the op but cannot differentiate it: neither may we
        assert_same_error(e, lambda: xptorch.autograd.backward(xr, xg), exact=False)
        return "raised"
    xptorch.autograd.backward(xr, xg)
    return True


def compare_grads(xc, tc, op, what="grad"):
    for i, (x, t) in enumerate(zip(xc.leaves, tc.leaves)):
        if not t.requires_grad:
            continue
        w = f"{what} of input {i}"
        if t.grad is None:
            assert x.grad is None, f"{w}: torch has none, xptorch {x.grad}"
            continue
        assert x.grad is not None, f"{w} is None, torch has one"
        assert_same_tensor(x.grad, t.grad, op.rtol, op.atol, what=w)


def raises_like(t_exc, fn, exact=True):
    return assert_same_error(t_exc, fn, exact)
