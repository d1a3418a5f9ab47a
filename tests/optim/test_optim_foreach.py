"""The multi-tensor path (small tensors' state in flat buffers per group) against the loop and torch.

foreach=True and the default must give the loop's bits exactly, whatever mix of tensor sizes a
group holds (large ones stay in the loop), and torch's values within float32 tolerance; the state stays per parameter as
state_dict() shows it, and anything that changes under the flat buffers (a parameter's .data, a
state tensor, which parameters have a gradient) is picked up.
"""
import copy
import io

import numpy as np
import pytest

import xptorch
from xptorch import optim
from xptorch.backend import blas

from test_optim_updates import ADAFACTOR_CASES, ADAM_CASES, ADAMW_CASES, SGD_CASES

torch = pytest.importorskip("torch")

# Small tensors and one above blas.MIN_SIZE: both arithmetic paths in one group.
SHAPES = [(5, 3), (3,), (2, 2, 2), (), (200, 150), (7,)]
CASES = ([("SGD", kw) for kw in SGD_CASES] + [("Adam", kw) for kw in ADAM_CASES]
         + [("AdamW", kw) for kw in ADAMW_CASES] + [("Adafactor", kw) for kw in ADAFACTOR_CASES[:2]])
IDS = [f"{n}-{sorted(kw.items())}" for n, kw in CASES]


def _grads(steps, shapes=SHAPES, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]


def _params(lib, shapes=SHAPES, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.nn.Parameter(lib.tensor(rng.standard_normal(s).astype(np.float32))) for s in shapes]


def _run(lib, name, kw, foreach, grads, shapes=SHAPES):
    ps = _params(lib, shapes)
    opt = getattr(lib.optim, name)(ps, foreach=foreach, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = lib.tensor(g)
        opt.step()
    return ps, opt


def _np(ps):
    return [p.detach().cpu().numpy().copy() for p in ps]


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_foreach_gives_the_loops_bits_and_torchs_values(name, kw):
    assert 200 * 150 >= blas.MIN_SIZE
    grads = _grads(5)
    loop, loop_opt = _run(xptorch, name, kw, False, grads)
    for foreach in (None, True):
        ps, opt = _run(xptorch, name, kw, foreach, grads)
        for a, b in zip(_np(loop), _np(ps)):
            np.testing.assert_array_equal(a, b)
        for i, st in opt.state_dict()["state"].items():
            for key, val in st.items():
                np.testing.assert_array_equal(val.cpu().numpy(), loop_opt.state_dict()["state"][i][key].cpu().numpy())
    ref, ref_opt = _run(torch, name, kw, True, grads)
    for a, b in zip(_np(loop), _np(ref)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    ours = opt.state_dict()["state"]
    theirs = ref_opt.state_dict()["state"]
    assert sorted(ours) == sorted(theirs)
    for i in theirs:
        assert sorted(ours[i]) == sorted(theirs[i])
        for key, val in theirs[i].items():
            assert tuple(ours[i][key].shape) == tuple(val.shape)
            np.testing.assert_allclose(ours[i][key].cpu().numpy(), val.cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_default_takes_the_flat_path_for_small_tensors():
    ps, opt = _run(xptorch, "Adam", {}, None, _grads(3, SHAPES[:4]), SHAPES[:4])
    assert opt._flat, "the default keeps small tensors' state in flat buffers"
    st = opt.state[ps[0]]
    assert st["exp_avg"]._data.base is not None
    ps, opt = _run(xptorch, "Adam", {}, False, _grads(3, SHAPES[:4]), SHAPES[:4])
    assert not opt._flat


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05, amsgrad=True))])
def test_changes_under_the_flat_buffers(name, kw):
    """Missing gradients, a replaced .data, tied parameters and load_state_dict, as torch does them."""
    grads = _grads(9)
    results = []
    for lib, foreach in ((xptorch, True), (xptorch, False), (torch, True)):
        ps = _params(lib)
        # Listed twice, a parameter is one parameter (torch only warns: it gets the plain list).
        tied = [ps[0], *ps, ps[2]] if lib is xptorch else ps
        opt = getattr(lib.optim, name)(tied, foreach=foreach, **kw)
        for k, gs in enumerate(grads):
            for i, (p, g) in enumerate(zip(ps, gs)):
                p.grad = None if (k in (3, 4) and i in (1, 4)) else lib.tensor(g)
            if k == 7:
                with lib.no_grad():
                    ps[3].data = ps[3].data * 2
            if k == 6:
                sd = copy.deepcopy(opt.state_dict())
                opt = getattr(lib.optim, name)(tied, foreach=foreach, **kw)
                opt.load_state_dict(sd)
            opt.step()
        results.append(_np(ps))
    for a, b in zip(results[0], results[1]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(results[0], results[2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_state_tensors_stay_the_users_and_are_followed():
    ps, opt = _run(xptorch, "Adam", dict(lr=0.05), True, _grads(2))
    held = opt.state[ps[1]]["exp_avg"]
    before = held.cpu().numpy().copy()
    opt.step()
    assert opt.state[ps[1]]["exp_avg"] is held
    assert not np.array_equal(held.cpu().numpy(), before), "the tensor a user holds sees the update"
    # A state tensor replaced by the user is used from then on.
    loop, loop_opt = _run(xptorch, "Adam", dict(lr=0.05), False, _grads(2))
    loop_opt.step()
    for o, p in ((opt, ps[1]), (loop_opt, loop[1])):
        o.state[p]["exp_avg"] = xptorch.zeros(3)
        o.step()
    for a, b in zip(_np(ps), _np(loop)):
        np.testing.assert_array_equal(a, b)


def test_mixed_dtypes_fall_back_to_the_loop():
    grads = _grads(3, [(4,), (3,)])
    ps = [xptorch.nn.Parameter(xptorch.ones(4)), xptorch.nn.Parameter(xptorch.ones(3, dtype=xptorch.float64))]
    tp = [torch.nn.Parameter(torch.ones(4)), torch.nn.Parameter(torch.ones(3, dtype=torch.float64))]
    opt = optim.Adam(ps, lr=0.1, foreach=True)
    topt = torch.optim.Adam(tp, lr=0.1, foreach=True)
    for gs in grads:
        for p, q, g in zip(ps, tp, gs):
            p.grad = xptorch.tensor(g, dtype=p.dtype)
            q.grad = torch.tensor(g, dtype=q.dtype)
        opt.step()
        topt.step()
    assert not opt._flat
    for p, q in zip(ps, tp):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().cpu().numpy(), rtol=1e-6)


def test_pickled_and_saved_state_round_trips():
    grads = _grads(6)
    ps, opt = _run(xptorch, "AdamW", dict(lr=0.05, amsgrad=True), True, grads[:3])
    buf = io.BytesIO()
    xptorch.save(opt.state_dict(), buf)
    buf.seek(0)
    saved = xptorch.load(buf)
    clone_ps = [xptorch.nn.Parameter(p.detach().clone()) for p in ps]
    clone = optim.AdamW(clone_ps, lr=0.05, amsgrad=True, foreach=True)
    clone.load_state_dict(saved)
    deep = copy.deepcopy((ps, opt))
    for gs in grads[3:]:
        for group in (ps, clone_ps, deep[0]):
            for p, g in zip(group, gs):
                p.grad = xptorch.tensor(g)
        opt.step()
        clone.step()
        deep[1].step()
    for a, b, c in zip(_np(ps), _np(clone_ps), _np(deep[0])):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
