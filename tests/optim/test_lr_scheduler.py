"""Learning-rate schedules against torch 2.13's lr sequences."""
import warnings

import numpy as np
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
    ("LambdaLR", {"lr_lambda": lambda e: 0.95 ** e + 0.01 * (e % 3)}),
    ("LambdaLR", {"lr_lambda": [lambda e: 1.0 / (e + 1), lambda e: 0.5 ** (e // 4)]}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9 if e % 2 else 1.05}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 7}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.2, "end_factor": 0.8, "total_iters": 12}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 20, "power": 2.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.2, "step_size_up": 3, "step_size_down": 5,
                  "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "exp_range", "gamma": 0.95,
                  "cycle_momentum": False}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 36}),
    ("OneCycleLR", {"max_lr": [0.3, 1.0], "epochs": 6, "steps_per_epoch": 6, "anneal_strategy": "linear",
                    "three_phase": True, "pct_start": 0.25}),
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


def _case_id(v):
    """Stable ids (pytest-xdist workers must collect the same names): functions by their place, not address."""
    import re

    return re.sub(r"<function <lambda> at 0x[0-9a-f]+>", "<lambda>", str(v))


@pytest.mark.parametrize("name,kw", CASES, ids=_case_id)
def test_lr_sequence_matches_torch(name, kw):
    # 35 steps take the cosine schedule past its minimum and back up.
    t = sequence(*build(torch, name, kw), 35)
    x = sequence(*build(xptorch, name, kw), 35)
    assert x == pytest.approx(t, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name,kw", CASES, ids=_case_id)
def test_optimizer_groups_follow_the_schedule(name, kw):
    o, s = build(xptorch, name, kw)
    to, ts = build(torch, name, kw)
    sequence(o, s, 6)
    sequence(to, ts, 6)
    assert [g["lr"] for g in o.param_groups] == s.get_last_lr()
    assert [g["initial_lr"] for g in o.param_groups] == [g["initial_lr"] for g in to.param_groups]
    assert s.base_lrs == ts.base_lrs
    # Cyclic schedules move the momentum too.
    assert [g["momentum"] for g in o.param_groups] == pytest.approx([g["momentum"] for g in to.param_groups])


@pytest.mark.parametrize("name,kw", CASES, ids=_case_id)
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


def composite(lib, kind):
    ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
    o = lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=0.1, momentum=0.9)
    S = lib.optim.lr_scheduler
    if kind == "sequential":
        children = [S.LinearLR(o, start_factor=0.1, total_iters=4), S.ExponentialLR(o, gamma=0.9),
                    S.CosineAnnealingLR(o, T_max=6)]
        return o, S.SequentialLR(o, children, milestones=[5, 12])
    if kind == "chained":
        return o, S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=6), S.ExponentialLR(o, gamma=0.93),
                                      S.StepLR(o, step_size=4, gamma=0.7)])
    seq = S.SequentialLR(o, [S.ConstantLR(o, factor=0.2, total_iters=3), S.ExponentialLR(o, gamma=0.9)],
                         milestones=[6])
    return o, S.ChainedScheduler([seq, S.MultiStepLR(o, [4, 9])])


@pytest.mark.parametrize("kind", ["sequential", "chained", "nested"])
def test_composite_schedules_match_torch(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the children's construction-time steps
        to, ts = composite(torch, kind)
    xo, xs = composite(xptorch, kind)
    assert sequence(xo, xs, 30) == pytest.approx(sequence(to, ts, 30), rel=1e-12, abs=1e-15)
    sd = xs.state_dict()
    assert set(sd) == set(ts.state_dict())
    assert [set(c) for c in sd["_schedulers"]] == [set(c) for c in ts.state_dict()["_schedulers"]]


def test_composite_errors_match_torch():
    for lib in (torch, xptorch):
        o, _ = composite(lib, "chained")
        other = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        S = lib.optim.lr_scheduler
        with pytest.raises(ValueError, match="expects at least one scheduler, but got no scheduler"):
            S.SequentialLR(o, [], milestones=[])
        with pytest.raises(ValueError, match="number of schedulers 2 and the number of milestones to be equal to 2"):
            S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], milestones=[1, 2])
        with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau` scheduler"):
            S.ChainedScheduler([S.StepLR(o, 2), S.ReduceLROnPlateau(o)])
        with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
            S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(other, 2)], milestones=[3])


def plateau_run(lib, kw, metrics):
    ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
    o = lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=0.1)
    s = lib.optim.lr_scheduler.ReduceLROnPlateau(o, **kw)
    out = list(s.get_last_lr())
    for m in metrics:
        o.step()
        s.step(m)
        out.extend(s.get_last_lr())
    return out, s


@pytest.mark.parametrize("kw", [{}, {"patience": 2, "factor": 0.5, "cooldown": 1},
                                {"mode": "max", "patience": 1, "threshold": 0.1, "threshold_mode": "abs",
                                 "min_lr": [0.01, 0.2]}])
def test_reduce_lr_on_plateau_matches_torch(kw):
    rng = np.random.default_rng(0)
    metrics = list(np.round(rng.standard_normal(30).cumsum() * 0.1 + 5, 3))
    t, ts = plateau_run(torch, kw, metrics)
    x, xs = plateau_run(xptorch, kw, metrics + [])
    assert x == pytest.approx(t, rel=1e-12)
    assert xs.state_dict() == ts.state_dict()


def test_reduce_lr_on_plateau_errors():
    for lib in (torch, xptorch):
        o = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        S = lib.optim.lr_scheduler
        with pytest.raises(ValueError, match="^Factor should be < 1.0.$"):
            S.ReduceLROnPlateau(o, factor=1.0)
        with pytest.raises(ValueError, match="^mode avg is unknown!$"):
            S.ReduceLROnPlateau(o, mode="avg")
        with pytest.raises(ValueError, match="^expected 1 min_lrs, got 2$"):
            S.ReduceLROnPlateau(o, min_lr=[0, 0])


def test_one_cycle_drives_adams_beta1_like_torch():
    def run(lib):
        o = lib.optim.Adam([lib.nn.Parameter(lib.ones(2))], lr=0.1)
        s = lib.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=20)
        out = []
        for _ in range(19):
            o.step()
            s.step()
            out.extend((s.get_last_lr()[0], *o.param_groups[0]["betas"]))
        with pytest.raises(ValueError, match="^Tried to step 21 times. The specified number of total steps is 20$"):
            o.step()
            s.step()
            s.step()
        return out

    assert run(xptorch) == pytest.approx(run(torch), rel=1e-12)


@pytest.mark.parametrize("name,kw,match", [
    ("ConstantLR", {"factor": 1.5}, "^Constant multiplicative factor expected to be between 0 and 1.$"),
    ("LinearLR", {"start_factor": 0}, "^Starting multiplicative factor expected to be greater than 0"),
    ("LinearLR", {"end_factor": 2.0}, "^Ending multiplicative factor expected to be between 0 and 1.$"),
    ("CosineAnnealingWarmRestarts", {"T_0": 0}, "^Expected positive integer T_0, but got 0$"),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0}, "^Expected integer T_mult >= 1, but got 0$"),
    ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "mode": "zigzag"}, "^mode is invalid and scale_fn is None$"),
    ("CyclicLR", {"base_lr": [0.1], "max_lr": 1.0}, "^base_lr must have the same length as optimizer.param_groups"),
    ("OneCycleLR", {"max_lr": 1.0}, r"^You must define either total_steps OR \(epochs AND steps_per_epoch\)$"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10, "anneal_strategy": "exp"}, "^anneal_strategy must be one of"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10, "pct_start": 1}, "^Expected float between 0 and 1 pct_start"),
    ("LambdaLR", {"lr_lambda": [lambda e: 1.0]}, "^Expected 2 lr_lambdas, but got 1$"),
])
def test_argument_errors_match_torch(name, kw, match):
    for lib in (torch, xptorch):
        with pytest.raises(ValueError, match=match):
            build(lib, name, kw)


def test_cyclic_lr_needs_momentum_like_torch():
    for lib in (torch, xptorch):
        o = lib.optim.Adagrad([lib.nn.Parameter(lib.ones(1))])
        with pytest.raises(ValueError, match="^optimizer must support momentum or beta1 with `cycle_momentum`"):
            lib.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0)


def test_legacy_base_class_name():
    class Halving(lr_scheduler._LRScheduler):
        def get_lr(self):
            return [g["lr"] * (0.5 if self.last_epoch else 1.0) for g in self.optimizer.param_groups]

    o, _ = build(xptorch, "StepLR", {"step_size": 2})
    s = Halving(o)
    o.step()
    s.step()
    assert s.get_last_lr() == [0.05, 0.25]
