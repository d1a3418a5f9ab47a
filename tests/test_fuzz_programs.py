"""Differential fuzzer: random short programs of ops, views and in-place edits, in torch and xptorch.

Each program starts from one or two leaves and applies steps to a pool of live tensors; every step
must give the same values (or raise the same exception type) in both libraries, and at the end
the gradients of a weighted sum of everything in the pool must match, including which leaves get
none. CI runs a fixed, derandomised budget; XPTORCH_FUZZ_EXAMPLES=2000 (say) runs longer.
"""
import os
import warnings

import numpy as np
import pytest

import xptorch
from oracle import to_numpy, torch
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXAMPLES = int(os.environ.get("XPTORCH_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _other(pool, j):
    return pool[j % len(pool)]


# name -> fn(lib, pool, i, j, k): returns a new tensor for the pool, or None for an in-place edit.
# i picks the operand, j a second operand, k a small integer parameter.
def _dim(t, k):
    return k % t.dim() if t.dim() else 0


STEPS = {
    # pointwise
    "exp": lambda lib, p, i, j, k: p[i].tanh().exp(),
    "sigmoid": lambda lib, p, i, j, k: p[i].sigmoid(),
    "relu": lambda lib, p, i, j, k: p[i].relu(),
    "abs": lambda lib, p, i, j, k: p[i].abs(),
    "square": lambda lib, p, i, j, k: p[i] * p[i],
    "sqrt": lambda lib, p, i, j, k: (p[i].abs() + 0.5).sqrt(),
    "log": lambda lib, p, i, j, k: (p[i].abs() + 0.5).log(),
    "clamp": lambda lib, p, i, j, k: p[i].clamp(-0.5, 0.8),
    "floor": lambda lib, p, i, j, k: p[i].floor(),
    "sign": lambda lib, p, i, j, k: p[i].sign() * p[i],
    "pow": lambda lib, p, i, j, k: p[i] ** (k % 3 + 1),
    "add": lambda lib, p, i, j, k: p[i] + _other(p, j),
    "mul": lambda lib, p, i, j, k: p[i] * _other(p, j),
    "sub_scalar": lambda lib, p, i, j, k: 1.5 - p[i],
    "div": lambda lib, p, i, j, k: p[i] / (_other(p, j).abs() + 1.0),
    "maximum": lambda lib, p, i, j, k: lib.maximum(p[i], _other(p, j)),
    "where": lambda lib, p, i, j, k: lib.where(p[i] > 0, p[i], _other(p, j)),
    # reductions and scans
    "sum_dim": lambda lib, p, i, j, k: p[i].sum(_dim(p[i], k), keepdim=bool(k & 1)),
    "mean": lambda lib, p, i, j, k: p[i].mean(),
    "max": lambda lib, p, i, j, k: p[i].max(),
    "amax_dim": lambda lib, p, i, j, k: p[i].amax(_dim(p[i], k)),
    "norm": lambda lib, p, i, j, k: p[i].norm(),
    "std": lambda lib, p, i, j, k: p[i].std(),
    "cumsum": lambda lib, p, i, j, k: p[i].cumsum(_dim(p[i], k)),
    "softmax": lambda lib, p, i, j, k: p[i].softmax(_dim(p[i], k)),
    "matmul": lambda lib, p, i, j, k: p[i] @ _other(p, j),
    # views
    "t": lambda lib, p, i, j, k: p[i].t(),
    "transpose": lambda lib, p, i, j, k: p[i].transpose(0, -1),
    "select": lambda lib, p, i, j, k: p[i][k % 2],
    "slice": lambda lib, p, i, j, k: p[i][k % 2:],
    "step": lambda lib, p, i, j, k: p[i][..., ::2],
    "flatten": lambda lib, p, i, j, k: p[i].reshape(-1),
    "view": lambda lib, p, i, j, k: p[i].view(-1),
    "unsqueeze": lambda lib, p, i, j, k: p[i].unsqueeze(0),
    "expand": lambda lib, p, i, j, k: p[i].unsqueeze(0).expand(2, *p[i].shape),
    "repeat": lambda lib, p, i, j, k: p[i].repeat(2, *([1] * p[i].dim())),
    "cat": lambda lib, p, i, j, k: lib.cat([p[i], _other(p, j)]),
    "clone": lambda lib, p, i, j, k: p[i].clone(),
    # in-place edits (return None)
    "mul_": lambda lib, p, i, j, k: p[i].mul_(2.0) and None,
    "add_": lambda lib, p, i, j, k: p[i].add_(_other(p, j)) and None,
    "exp_": lambda lib, p, i, j, k: p[i].tanh_().exp_() and None,
    "relu_": lambda lib, p, i, j, k: p[i].relu_() and None,
    "clamp_": lambda lib, p, i, j, k: p[i].clamp_(-0.3, 0.6) and None,
    "masked_fill_": lambda lib, p, i, j, k: p[i].masked_fill_(p[i] > 0.5, 0.0) and None,
    "zero_": lambda lib, p, i, j, k: p[i].zero_() and None,
    "fill_": lambda lib, p, i, j, k: p[i].fill_(0.25) and None,
    "copy_": lambda lib, p, i, j, k: p[i].copy_(_other(p, j)) and None,
    "setitem": lambda lib, p, i, j, k: p[i].__setitem__(k % 2, _other(p, j)[..., :1].sum()),
    "setitem_slice": lambda lib, p, i, j, k: p[i].__setitem__((Ellipsis, slice(0, 1)), 0.5),
}
NAMES = sorted(STEPS)

step = st.tuples(st.sampled_from(NAMES), st.integers(0, 7), st.integers(0, 7), st.integers(0, 7))
shape = st.sampled_from([(3, 4), (4,), (2, 3), (3, 3), (), (2, 1, 3)])


def _run(lib, arrays, steps):
    """The program in one library: (pool, leaves, trace of (values or exception type) per step)."""
    leaves = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    pool = [leaves[0] * 1.0, leaves[-1] * 1.0] + list(leaves)
    trace = []
    for name, i, j, k in steps:
        i = i % len(pool)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = STEPS[name](lib, pool, i, j, k)
        except Exception as e:  # noqa: BLE001  (compared with the other library)
            trace.append(_kind(e))
            continue
        if out is not None:
            pool.append(out)
            trace.append(("new", to_numpy(out).copy()))
        else:
            trace.append(("edit", to_numpy(pool[i]).copy()))
    return pool, leaves, trace


def _kind(e):
    for k in type(e).__mro__:
        if k.__module__ == "builtins":
            return ("raise", k.__name__)
    return ("raise", type(e).__name__)


def _loss(lib, pool, weights):
    total = None
    for t, w in zip(pool, weights):
        if t.requires_grad and t.is_floating_point():
            term = (t * lib.tensor(w[: t.numel()].reshape(tuple(t.shape)), dtype=t.dtype)).sum()
            total = term if total is None else total + term
    return total


@FUZZ
@given(shapes=st.lists(shape, min_size=1, max_size=2), steps=st.lists(step, min_size=1, max_size=6),
       seed=st.integers(0, 2 ** 16))
def test_programs_agree_with_torch(shapes, steps, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.5, 1.5, size=s) for s in shapes]
    t_pool, t_leaves, t_trace = _run(torch, arrays, steps)
    x_pool, x_leaves, x_trace = _run(xptorch, arrays, steps)
    for n, (s, a, b) in enumerate(zip(steps, x_trace, t_trace)):
        what = f"step {n} {s}: {steps}"
        assert a[0] == b[0], f"{what}: xptorch {a[0]} {a[1] if a[0] == 'raise' else ''} vs torch {b}"
        if a[0] == "raise":
            assert a[1] == b[1], f"{what}: xptorch raised {a[1]}, torch {b[1]}"
        else:
            assert a[1].shape == b[1].shape and a[1].dtype == b[1].dtype, f"{what}: {a[1].shape} vs {b[1].shape}"
            np.testing.assert_allclose(a[1], b[1], rtol=1e-7, atol=1e-9, equal_nan=True, err_msg=what)
    for n, (x, t) in enumerate(zip(x_pool, t_pool)):
        assert x.requires_grad == t.requires_grad, f"pool {n}: requires_grad {x.requires_grad} vs {t.requires_grad}"
    weights = [rng.uniform(-1, 1, size=max(1, int(np.prod(t.shape)))) for t in t_pool]
    t_loss, x_loss = _loss(torch, t_pool, weights), _loss(xptorch, x_pool, weights)
    if t_loss is None:
        assert x_loss is None
        return
    try:
        t_loss.backward()
    except Exception as e:  # noqa: BLE001
        with pytest.raises(Exception) as xe:
            x_loss.backward()
        assert _kind(xe.value) == _kind(e), f"backward: xptorch {xe.value!r}, torch {e!r}"
        return
    x_loss.backward()
    for n, (x, t) in enumerate(zip(x_leaves, t_leaves)):
        if t.grad is None:
            assert x.grad is None, f"leaf {n}: torch has no gradient, xptorch {x.grad}"
        else:
            assert x.grad is not None, f"leaf {n}: no gradient, torch has one"
            np.testing.assert_allclose(to_numpy(x.grad), to_numpy(t.grad), rtol=1e-7, atol=1e-9, equal_nan=True,
                                       err_msg=f"leaf {n} gradient: {steps}")
