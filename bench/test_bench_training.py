"""Training and observation: The tour's training loop in xptorch and torch (same model, data,
optimiser; `python bench/ratios.py` prints the ratios), and the cost of a Monitor on that loop.

Monitor overhead is its own group, parametrised by `monitor`: compare the medians of
`off`, `default` (every=DEFAULT_EVERY) and `every1`; the default sampling is chosen so that
`default` stays within 10% of `off`; these rounds time xptorch alone.
"""
import numpy as np
import pytest

from sidebyside import compare, one_sided

STEPS = 50
BATCH = 64


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 4)).astype(np.float32)
    w = np.array([[1.5], [-2.0], [0.5], [1.0]], np.float32)
    y = (np.tanh(x @ w) + 0.5 * x[:, :1] ** 2).astype(np.float32)
    return x, y


def _model(lib):
    nn = lib.nn
    lib.manual_seed(0)
    shared = nn.Linear(8, 8)
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))
    # Same starting weights in both libraries.
    rng = np.random.default_rng(1)
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
    return m


def _loop(lib, opt_name="Adam", monitor=None):
    """One benchmark round: STEPS optimiser steps of the tour's loop over sliced batches."""
    x_np, y_np = _data()
    X, Y = lib.tensor(x_np), lib.tensor(y_np)
    model = _model(lib)
    if opt_name == "Adam":
        opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    else:
        opt = lib.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    loss_fn = lib.nn.MSELoss()
    batches = [(X[i:i + BATCH], Y[i:i + BATCH]) for i in range(0, 512, BATCH)]
    mon = None
    if monitor is not None:
        from xptorch.monitor import Monitor

        mon = Monitor(model, every=monitor, optimizer=opt)

    def run():
        for s in range(STEPS):
            xb, yb = batches[s % len(batches)]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        return loss

    return run, mon


@pytest.mark.parametrize("opt_name", ["Adam", "SGD"])
def test_tour_training_loop(benchmark, opt_name):
    def build(lib):
        return _loop(lib, opt_name)[0]

    compare(benchmark, f"training: tour MLP (tied layer), {opt_name}, {STEPS} steps of batch {BATCH}", build,
            check=lambda a, b: a.item() < 10 and b.item() < 10 or pytest.fail("loss diverged"))


def test_tour_loop_with_dataloader(benchmark):
    def build(lib):
        data = lib.utils.data
        x_np, y_np = _data()
        ds = data.TensorDataset(lib.tensor(x_np), lib.tensor(y_np))
        loader = data.DataLoader(ds, batch_size=BATCH, shuffle=True, generator=lib.Generator().manual_seed(0))
        model = _model(lib)
        opt = lib.optim.Adam(model.parameters(), lr=1e-2)
        loss_fn = lib.nn.MSELoss()

        def epoch():
            for xb, yb in loader:
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
            return loss

        return epoch

    compare(benchmark, f"training: tour loop with DataLoader(shuffle=True), Adam, one epoch of {512 // BATCH} batches",
            build, check=lambda a, b: a.item() < 10 and b.item() < 10 or pytest.fail("loss diverged"))


@pytest.mark.parametrize("monitor", ["off", "default", "every1"])
def test_monitor_overhead(benchmark, monitor):
    import xptorch
    from xptorch.monitor import DEFAULT_EVERY

    every = {"off": None, "default": DEFAULT_EVERY, "every1": 1}[monitor]
    run, mon = _loop(xptorch, "Adam", every)
    one_sided(benchmark, f"training: Monitor overhead on the tour loop, Adam, {STEPS} steps", run, f"monitor {monitor}")
    if mon is not None:
        assert mon.records and mon.records[0]["names"] in (["0.weight"],)
        assert any(r["names"] == ["2.weight", "4.weight"] for r in mon.records)


def test_adam_step_alone(benchmark):
    def build(lib):
        model = _model(lib)
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        for p in model.parameters():
            p.grad = lib.ones_like(p)
        return opt.step

    compare(benchmark, "training: Adam.step() on the tour MLP's 6 parameters", build)
