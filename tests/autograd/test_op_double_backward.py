"""Second derivatives of every differentiable op in the op table (tests/op_db.py), against torch.

For each float64 sample: first gradients with create_graph=True from an upstream gradient that
itself requires grad, then the gradient of a random projection of them with respect to the inputs
and the upstream gradient. Either the result matches torch, or xptorch raises its clear "no second-order rule" error (never a
wrong value). Ops known to refuse are listed in WITHOUT_SECOND_ORDER (an op there that starts to
work fails the test, so the list stays exact); a newly added op that refuses shows as xfail.
The same runs on CUDA (the strict CuPy stand-in without a GPU), and third derivatives are compared
with torch's on the CPU.
"""
import numpy as np
import pytest

import xptorch
from op_db import OPS
from op_harness import flat, materialise
from oracle import to_numpy, torch
from test_op_db import cases

# Ops whose backward has no second-order rule yet (their create_graph gradients refuse to be
# differentiated again). Keep in sorted order.
WITHOUT_SECOND_ORDER = set()
# Ops with a rule that covers only some inputs; elsewhere they refuse like the ops above.
PARTIAL = {}

_NO_RULE = "is not implemented: xptorch has no second-order rule"


def _second(lib, call, fn, seed):
    out = call.run(fn)
    outs = [o for o in flat(out) if isinstance(o, lib.Tensor) and o.requires_grad and o.is_floating_point()]
    if not outs:
        return None
    rng = np.random.default_rng(seed + 3)
    ups = [lib.tensor(rng.uniform(-1, 1, tuple(o.shape)), dtype=o.dtype, device=o.device, requires_grad=True)
           for o in outs]
    leaves = [t for t in call.leaves if t.requires_grad]
    g1 = lib.autograd.grad(outs, leaves, ups, create_graph=True, allow_unused=True)
    proj = [lib.tensor(rng.uniform(-1, 1, tuple(t.shape)), dtype=t.dtype, device=t.device) for t in leaves]
    terms = [(g * p).sum() for g, p in zip(g1, proj) if g is not None and g.requires_grad]
    if not terms:
        return [to_numpy(g.detach()) if g is not None else None for g in g1], []
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    g2 = lib.autograd.grad(s, leaves + ups, allow_unused=True)
    first = [to_numpy(g.detach()) if g is not None else None for g in g1]
    second = [to_numpy(g) if g is not None else np.zeros(tuple(x.shape)) for g, x in zip(g2, leaves + ups)]
    return first, second


def _grad_ops():
    # Entries whose values or first derivatives are marked as known bugs are left to those tests.
    return [pytest.param(op, id=op.name, marks=[pytest.mark.xfail(strict=True, reason=op.xfail[_ME])] if _ME in op.xfail else [])
            for op in OPS if op.grad and op.compare == "values" and op.samples
            and "float64" in op.dtypes and not {"test_values", "test_grads"} & set(op.xfail)]


_ME = "test_second_derivatives_match_torch"


@pytest.mark.parametrize("op", _grad_ops())
def test_second_derivatives_match_torch(op):
    _check(op, None)


# Factories make CPU tensors from no tensor input; __rmatmul__'s entry mixes in a CPU tensor.
_HOST_ONLY = {"cpu", "numpy", "array", "dlpack", "tensor", "__rmatmul__"}


@pytest.mark.parametrize("op", [p for p in _grad_ops() if p.values[0].name not in _HOST_ONLY])
def test_second_derivatives_on_cuda_match_torch(simulated_cuda, op):
    """The same on CUDA (the strict CuPy stand-in without a GPU): the rules use the array module of their inputs."""
    _check(op, "cuda")


def _check(op, device):
    checked = refused = 0
    for label, s, dt, seed in cases(op):
        if dt != "float64" or s.kink:
            continue
        tc, xc = materialise(s, dt, seed, True, device=device)
        try:
            want = _second(torch, tc, op.fn, seed)
        except Exception:  # noqa: BLE001  (samples torch refuses are test_op_db's business)
            continue
        if want is None:
            continue
        try:
            got = _second(xptorch, xc, op.fn, seed)
        except RuntimeError as e:
            if _NO_RULE not in str(e):
                raise
            if op.name not in WITHOUT_SECOND_ORDER and op.name not in PARTIAL:
                # A clear refusal, never a wrong value: reported, and listed once someone looks at it.
                pytest.xfail(f"{op.name}: no second-order rule yet ({e})")
            refused += 1
            continue
        assert op.name not in WITHOUT_SECOND_ORDER or not want[1], \
            f"{op.name} now has second derivatives: remove it from WITHOUT_SECOND_ORDER"
        for a, b in zip(got[0], want[0]):
            if b is None:
                continue
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=f"{label}: first derivative")
        for a, b in zip(got[1], want[1]):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=f"{label}: second derivative")
        checked += 1
    if op.name in WITHOUT_SECOND_ORDER or op.name in PARTIAL:
        assert refused, f"{op.name} is listed without a second-order rule but never refused"
    elif not checked:
        pytest.skip(f"{op.name}: no float64 sample with a differentiable output")


def _third(lib, call, fn, seed):
    """Third derivatives: of the sine of the second derivatives of the squared first ones."""
    out = call.run(fn)
    outs = [o for o in flat(out) if isinstance(o, lib.Tensor) and o.requires_grad and o.is_floating_point()]
    if not outs:
        return None
    rng = np.random.default_rng(seed + 3)
    ups = [lib.tensor(rng.uniform(-1, 1, tuple(o.shape)), dtype=o.dtype, requires_grad=True) for o in outs]
    leaves = [t for t in call.leaves if t.requires_grad]
    xs = leaves + ups
    g1 = lib.autograd.grad(outs, leaves, ups, create_graph=True, allow_unused=True)
    terms = [(g * g).sum() for g in g1 if g is not None and g.requires_grad]
    if not terms:
        return None
    g2 = lib.autograd.grad(sum(terms[1:], terms[0]), xs, create_graph=True, allow_unused=True)
    terms = [g.sin().sum() for g in g2 if g is not None and g.requires_grad]
    if not terms:
        return None
    g3 = lib.autograd.grad(sum(terms[1:], terms[0]), xs, allow_unused=True)
    return [to_numpy(g) if g is not None else np.zeros(tuple(x.shape)) for g, x in zip(g3, xs)]


# torch's hand-written double backward of the normalisations is not itself differentiated correctly
# (test_higher_order.py checks xptorch's third derivatives there against finite differences).
TORCH_THIRD_ORDER_OFF = {"F.batch_norm", "F.layer_norm", "F.instance_norm", "top.norms",
                         "logcumsumexp"}  # torch's has NaN where ours and finite differences are finite


@pytest.mark.parametrize("op", [p for p in _grad_ops() if p.values[0].name not in TORCH_THIRD_ORDER_OFF])
def test_third_derivatives_match_torch(op):
    checked = 0
    for label, s, dt, seed in cases(op):
        if dt != "float64" or s.kink:
            continue
        tc, xc = materialise(s, dt, seed, True)
        try:
            want = _third(torch, tc, op.fn, seed)
        except Exception:  # noqa: BLE001  (torch refuses: nothing to compare)
            continue
        if want is None:
            continue
        try:
            got = _third(xptorch, xc, op.fn, seed)
        except RuntimeError as e:
            if _NO_RULE not in str(e) or op.name not in WITHOUT_SECOND_ORDER and op.name not in PARTIAL:
                raise
            continue
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=f"{label}: third derivative")
        checked += 1
    if not checked:
        pytest.skip(f"{op.name}: no float64 sample with a third derivative in torch")
