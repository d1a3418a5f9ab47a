"""Learning-rate schedules against torch 2.13's lr sequences."""
import warnings

import pytest

import xptorch
from xptorch import optim
from xptorch.optim import lr_scheduler

torch = pytest.importorskip("torch")

CASES = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
]


def build(lib, name, kw, opt="SGD"):
    ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
    o = getattr(lib.optim, opt)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=0.1)
    return o, getattr(lib.optim.lr_scheduler, name)(o, **kw)


def sequence(o, s, steps):
    """The lrs of every group after construction and after each step, flattened."""
    out = list(s.get_last_lr())
    for _ in range(steps):
        o.step()
        s.step()
        out.extend(s.get_last_lr())
    return out


@pytest.mark.parametrize("name,kw", CASES, ids=lambda v: str(v))
def test_lr_sequence_matches_torch(name, kw):
    # 35 steps take the cosine schedule past its minimum and back up.
    t = sequence(*build(torch, name, kw), 35)
    x = sequence(*build(xptorch, name, kw), 35)
    assert x == pytest.approx(t, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name,kw", CASES, ids=lambda v: str(v))
def test_optimizer_groups_follow_the_schedule(name, kw):
    o, s = build(xptorch, name, kw)
    sequence(o, s, 6)
    assert [g["lr"] for g in o.param_groups] == s.get_last_lr()
    assert [g["initial_lr"] for g in o.param_groups] == [0.1, 0.5] == s.base_lrs


@pytest.mark.parametrize("name,kw", CASES, ids=lambda v: str(v))
def test_state_dict_round_trip(name, kw):
    to, ts = build(torch, name, kw)
    xo, xs = build(xptorch, name, kw)
    sequence(to, ts, 4)
    sequence(xo, xs, 4)
    assert set(xs.state_dict()) == set(ts.state_dict())
    saved_t, saved_x = ts.state_dict(), xs.state_dict()
    # Fresh schedulers on optimisers that carry on from the same lrs, then restored.
    to2, ts2 = build(torch, name, kw)
    xo2, xs2 = build(xptorch, name, kw)
    for g2, g in zip(to2.param_groups, to.param_groups):
        g2["lr"] = g["lr"]
    for g2, g in zip(xo2.param_groups, xo.param_groups):
        g2["lr"] = g["lr"]
    ts2.load_state_dict(saved_t)
    xs2.load_state_dict(saved_x)
    assert sequence(xo2, xs2, 8) == pytest.approx(sequence(to2, ts2, 8), rel=1e-12)


def test_step_with_epoch_uses_the_closed_form_and_warns():
    to, ts = build(torch, "CosineAnnealingLR", {"T_max": 10})
    xo, xs = build(xptorch, "CosineAnnealingLR", {"T_max": 10})
    to.step()
    xo.step()
    with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        ts.step(7)
    with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        xs.step(7)
    assert xs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)


def test_scheduler_step_before_optimizer_step_warns():
    o, s = build(xptorch, "StepLR", {"step_size": 2})
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        s.step()
    o, s = build(xptorch, "StepLR", {"step_size": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        o.step()
        s.step()


def test_get_lr_outside_step_warns():
    _, s = build(xptorch, "StepLR", {"step_size": 2})
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()


def test_errors():
    with pytest.raises(TypeError, match="^object is not an Optimizer$"):
        lr_scheduler.StepLR(object(), step_size=2)
    p = xptorch.nn.Parameter(xptorch.ones(1))
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        lr_scheduler.StepLR(optim.SGD([p], lr=0.1), step_size=2, last_epoch=3)


def test_works_with_adam():
    t = sequence(*build(torch, "CosineAnnealingLR", {"T_max": 5}, "Adam"), 12)
    x = sequence(*build(xptorch, "CosineAnnealingLR", {"T_max": 5}, "Adam"), 12)
    assert x == pytest.approx(t, rel=1e-12)
