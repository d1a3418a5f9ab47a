"""Monitor follows the model as it is now, refuses bad scalars whole, and takes float16 figures in float32."""
import math

import numpy as np
import pytest

import xptorch
from xptorch import nn, optim
from xptorch.monitor import Monitor


def step(model, opt, mon=None, **scalars):
    opt.zero_grad()
    loss = model(xptorch.ones(4, 3)).pow(2).mean()
    loss.backward()
    opt.step()
    if mon is not None:
        mon.step(**scalars)
    return loss


def test_replaced_layer_is_recorded_instead_of_the_old_one():
    xptorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    mon = Monitor(model, every=1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    step(model, opt, mon)
    new = nn.Linear(3, 4)
    with xptorch.no_grad():
        new.weight.fill_(0.5)
    model[0] = new
    opt = optim.SGD(model.parameters(), lr=0.1)
    step(model, opt, mon)
    last = {r["name"]: r for r in mon.last()}
    w = new.weight.detach().cpu().numpy().astype(np.float64)
    assert last["0.weight"]["norm"] == pytest.approx(float(np.linalg.norm(w)), rel=1e-6)
    assert last["0.weight"]["max"] == pytest.approx(float(w.max()))
    # The replaced layer has no snapshot from the previous step: its update is unknown, not wrong.
    assert math.isnan(last["0.weight"]["update"])
    assert not math.isnan(last["2.weight"]["update"])


def test_bad_scalar_is_refused_before_anything_is_written():
    xptorch.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    mon = Monitor(model, every=1)
    step(model, opt, mon, loss=1.0)
    records, scalars, steps = list(mon.records), [dict(r) for r in mon.scalars], mon.steps
    with pytest.raises(TypeError, match="Monitor scalar 'loss' must be a number or a one-element tensor, got 'not a number'"):
        mon.step(loss="not a number")
    with pytest.raises(ValueError, match=r"Monitor scalar 'acc' must have one element, got a tensor of shape \[2\]"):
        mon.step(acc=xptorch.ones(2))
    with pytest.raises(TypeError, match="Monitor scalar 'lr'"):
        mon.log(lr=object())
    assert mon.records == records and mon.scalars == scalars and mon.steps == steps


def test_float16_parameters_give_finite_figures():
    model = nn.Linear(64, 64).to(xptorch.float16)
    with xptorch.no_grad():
        model.weight.fill_(300.0)  # squares overflow float16 (max 65504)
    mon = Monitor(model, every=1)
    model.weight.grad = xptorch.full((64, 64), 100.0, dtype=xptorch.float16)
    mon.step()
    rec = {r["name"]: r for r in mon.last()}["weight"]
    assert rec["norm"] == pytest.approx(300.0 * 64, rel=1e-3)
    assert rec["grad_norm"] == pytest.approx(100.0 * 64, rel=1e-3)
    assert rec["std"] == pytest.approx(0.0, abs=1e-3)
