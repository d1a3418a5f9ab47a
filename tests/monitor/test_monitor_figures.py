"""Monitor: recorded figures against a NumPy computation by hand, ties, sampling and hooks."""
import math

import numpy as np
import pytest

import xptorch
from xptorch import nn, optim
from xptorch.monitor import DEFAULT_EVERY, FIGURES, Monitor


def tied_mlp(device="cpu"):
    xptorch.manual_seed(0)
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1)).to(device)


def batch(device="cpu", n=16):
    rng = np.random.default_rng(1)
    return (xptorch.tensor(rng.standard_normal((n, 4)).astype(np.float32), device=device),
            xptorch.tensor(rng.standard_normal((n, 1)).astype(np.float32), device=device))


def train_step(model, opt, x, y):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    return loss


def expected(w, g, prev):
    """The figures by hand, in float64."""
    w = np.asarray(w, np.float64).ravel()
    norm = np.sqrt((w ** 2).sum())
    out = {"norm": norm, "mean": w.mean(), "std": w.std(ddof=1) if w.size > 1 else math.nan,
           "min": w.min(), "max": w.max()}
    gn = math.nan if g is None else np.sqrt((np.asarray(g, np.float64) ** 2).sum())
    up = math.nan if prev is None else np.sqrt(((w - np.asarray(prev, np.float64).ravel()) ** 2).sum())
    out.update(grad_norm=gn, grad_to_weight=gn / norm, update=up, update_to_weight=up / norm)
    return out


def check(record, exp):
    for k in FIGURES:
        if math.isnan(exp[k]):
            assert math.isnan(record[k]), k
        else:
            assert record[k] == pytest.approx(exp[k], rel=2e-5, abs=1e-7), k
        assert type(record[k]) is float, k


def test_figures_match_numpy_every_step(device):
    model = tied_mlp(device)
    x, y = batch(device)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    mon = Monitor(model, every=1)
    params = list(model.parameters())
    prev = [p.detach().numpy(force=True).copy() for p in params]
    for step in range(1, 5):
        train_step(model, opt, x, y)
        mon.step()
        recs = mon.last()
        assert len(recs) == len(params) == 6
        for r, p, before in zip(recs, params, prev):
            assert r["step"] == step
            assert r["shape"] == list(p.shape)
            check(r, expected(p.detach().numpy(force=True), p.grad.numpy(force=True), before))
        prev = [p.detach().numpy(force=True).copy() for p in params]


def test_tied_parameters_appear_once_with_every_name():
    model = tied_mlp()
    mon = Monitor(model, every=1)
    x, y = batch()
    train_step(model, optim.SGD(model.parameters(), lr=0.1), x, y)
    mon.step()
    names = [r["names"] for r in mon.records]
    assert names == [["0.weight"], ["0.bias"], ["2.weight", "4.weight"], ["2.bias", "4.bias"],
                     ["6.weight"], ["6.bias"]]
    assert [r["name"] for r in mon.records] == mon.names == ["0.weight", "0.bias", "2.weight", "2.bias",
                                                              "6.weight", "6.bias"]
    # The shared layer's gradient is the sum of both uses: the recorded norm is that sum's.
    shared = model[2].weight
    assert mon.records[2]["grad_norm"] == pytest.approx(float(np.linalg.norm(shared.grad.cpu().numpy())), rel=1e-5)
    assert mon.history("grad_norm", "4.weight") == mon.history("grad_norm", "2.weight")


def test_sampling_and_single_step_updates():
    model = tied_mlp()
    x, y = batch()
    opt = optim.Adam(model.parameters(), lr=0.01)
    mon = Monitor(model, every=4)
    w = model[0].weight
    before = None
    for step in range(1, 13):
        if step % 4 == 0:
            before = w.detach().cpu().numpy().copy()
        train_step(model, opt, x, y)
        mon.step()
        if step % 4 == 0:
            r = [r for r in mon.last() if r["name"] == "0.weight"][0]
            # The change made by this one step, not since the previous record.
            assert r["update"] == pytest.approx(float(np.linalg.norm(w.detach().cpu().numpy() - before)), rel=1e-5)
    assert sorted({r["step"] for r in mon.records}) == [1, 4, 8, 12]
    assert len(mon.records) == 4 * 6


def test_default_sampling():
    assert DEFAULT_EVERY == 10
    model = tied_mlp()
    mon = Monitor(model)
    for _ in range(25):
        mon.step()
    assert sorted({r["step"] for r in mon.records}) == [1, 10, 20]


def test_follows_the_optimizer_until_closed():
    model = tied_mlp()
    x, y = batch()
    opt = optim.SGD(model.parameters(), lr=0.05)
    with Monitor(model, every=2, optimizer=opt) as mon:
        for _ in range(4):
            train_step(model, opt, x, y)
        assert mon.steps == 4
        assert sorted({r["step"] for r in mon.records}) == [1, 2, 4]
    train_step(model, opt, x, y)
    assert mon.steps == 4


def test_missing_values_are_nan():
    model = tied_mlp()
    model[6].weight.requires_grad_(False)
    x, y = batch()
    opt = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    mon = Monitor(model, every=1)
    train_step(model, opt, x, y)
    mon.step()
    by = {r["name"]: r for r in mon.records}
    assert math.isnan(by["6.weight"]["grad_norm"]) and math.isnan(by["6.weight"]["grad_to_weight"])
    assert by["6.weight"]["update"] == 0.0
    assert math.isnan(by["6.bias"]["std"])  # one element: unbiased std undefined, as Tensor.std
    assert not math.isnan(by["6.bias"]["grad_norm"])


def test_std_stays_exact_for_a_large_mean():
    class Offset(nn.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(0)
            self.w = nn.Parameter(xptorch.tensor((1e4 + 1e-2 * rng.standard_normal(1000)).astype(np.float32)))

    m = Offset()
    mon = Monitor(m, every=1)
    mon.step()
    w = m.w.detach().cpu().numpy().astype(np.float64)
    r = mon.records[0]
    assert r["std"] == pytest.approx(w.std(ddof=1), rel=1e-3)
    assert r["norm"] == pytest.approx(np.linalg.norm(w), rel=1e-6)


def test_scalars_from_step_and_log():
    model = tied_mlp()
    x, y = batch()
    opt = optim.SGD(model.parameters(), lr=0.05)
    mon = Monitor(model, every=2)
    losses = []
    for _ in range(4):
        loss = train_step(model, opt, x, y)
        losses.append(loss.item())
        mon.step(loss=loss, lr=0.05)
    assert mon.scalars == [{"step": 1, "loss": pytest.approx(losses[0]), "lr": 0.05},
                           {"step": 2, "loss": pytest.approx(losses[1]), "lr": 0.05},
                           {"step": 4, "loss": pytest.approx(losses[3]), "lr": 0.05}]
    assert type(mon.scalars[0]["loss"]) is float
    mon2 = Monitor(model, every=3, optimizer=opt)
    for _ in range(3):
        loss = train_step(model, opt, x, y)
        mon2.log(loss=loss)
    assert [s["step"] for s in mon2.scalars] == [1, 3]
    assert mon2.scalars[-1]["loss"] == pytest.approx(loss.item())


def test_table_and_history():
    model = tied_mlp()
    mon = Monitor(model, every=1)
    mon.step()
    mon.step()
    text = mon.table()
    assert "2.weight = 4.weight" in text and "8x4" in text
    assert len(text.splitlines()) == 2 + 6 + 1
    steps, vals = mon.history("norm", "0.bias")
    assert steps == [1, 2] and vals[0] == vals[1]  # no optimiser step: weights unchanged
    with pytest.raises(KeyError, match="nope"):
        mon.history("norm", "nope")
    assert set(mon.history("mean")) == set(mon.names)


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_bad_every(every):
    with pytest.raises(ValueError, match="every must be a positive integer"):
        Monitor(tied_mlp(), every=every)


@pytest.mark.cuda
def test_gpu_figures_match_cpu():
    runs = []
    for dev in ("cpu", "cuda"):
        m = tied_mlp(dev)
        mon = Monitor(m, every=1)
        x, y = batch(dev)
        loss = train_step(m, optim.SGD(m.parameters(), lr=0.1), x, y)
        mon.step(loss=loss)
        runs.append(mon)
    cpu, gpu = runs
    for a, b in zip(cpu.records, gpu.records):
        for k in FIGURES:
            assert b[k] == pytest.approx(a[k], rel=1e-4, abs=1e-6, nan_ok=True)
    assert gpu.scalars[0]["loss"] == pytest.approx(cpu.scalars[0]["loss"], rel=1e-5)
