"""optim.swa_utils against torch 2.13: AveragedModel's averages and state_dict, the avg functions, update_bn and
SWALR's learning rates. Models start from torch's weights (copied through its state_dict) and see the same
weight changes, so every average is compared with torch's numerically."""
import warnings

import numpy as np
import pytest

import xptorch
from oracle import check_error

torch = pytest.importorskip("torch")


def make_model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def twin_models(device, make=make_model):
    """A torch model and an xptorch model on `device` with the same weights."""
    torch.manual_seed(0)
    t = make(torch)
    x = make(xptorch)
    x.load_state_dict({k: xptorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return t, x.to(device)


def perturb(t, x, rng, device):
    """The same change in both models: new weights, and BatchNorm statistics as a training batch would move them."""
    with torch.no_grad(), xptorch.no_grad():
        for (name, tv), xv in zip(t.state_dict().items(), x.state_dict().values()):
            if name.endswith("num_batches_tracked"):
                tv.add_(1)
                xv.add_(1)
                continue
            step = rng.uniform(0.5, 1.5, size=tuple(tv.shape)).astype(np.float32)
            if name.endswith("running_var"):
                tv.mul_(torch.tensor(step))
                xv.mul_(xptorch.tensor(step, device=device))
            else:
                tv.sub_(torch.tensor(step))
                xv.sub_(xptorch.tensor(step, device=device))


def assert_state_close(x_module, t_module, rtol=1e-6, atol=1e-6):
    xs, ts = x_module.state_dict(), t_module.state_dict()
    assert list(xs) == list(ts)
    for k in ts:
        assert str(xs[k].dtype) == str(ts[k].dtype).replace("torch", "xptorch"), k
        np.testing.assert_allclose(xs[k].numpy(force=True), ts[k].numpy(), rtol=rtol, atol=atol, err_msg=k)


def averaging(lib, kind):
    su = lib.optim.swa_utils
    return {
        "swa": {},
        "swa_avg_fn": {"avg_fn": su.get_swa_avg_fn()},
        "ema_avg_fn": {"avg_fn": su.get_ema_avg_fn(0.9)},
        "swa_multi": {"multi_avg_fn": su.get_swa_multi_avg_fn()},
        "ema_multi": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
        "ema_multi_low_decay": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.3)},
        "swa_buffers": {"use_buffers": True},
        "ema_multi_buffers": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.75), "use_buffers": True},
        "ema_avg_fn_buffers": {"avg_fn": su.get_ema_avg_fn(0.75), "use_buffers": True},
    }[kind]


@pytest.mark.parametrize("kind", ["swa", "swa_avg_fn", "ema_avg_fn", "swa_multi", "ema_multi", "ema_multi_low_decay",
                                  "swa_buffers", "ema_multi_buffers", "ema_avg_fn_buffers"])
def test_averages_match_torch(device, kind):
    t, x = twin_models(device)
    t_avg = torch.optim.swa_utils.AveragedModel(t, **averaging(torch, kind))
    x_avg = xptorch.optim.swa_utils.AveragedModel(x, **averaging(xptorch, kind))
    rng = np.random.default_rng(1)
    for _ in range(4):
        perturb(t, x, rng, device)
        t_avg.update_parameters(t)
        x_avg.update_parameters(x)
        assert_state_close(x_avg, t_avg)
    # Without a device argument the count stays on the default device, as torch's does.
    assert x_avg.n_averaged.device.type == "cpu" and x_avg.n_averaged.item() == 4
    assert all(p.device.type == device for p in x_avg.parameters())
    # The copy is independent of the model it averages.
    assert all(a is not b for a, b in zip(x_avg.module.parameters(), x.parameters()))


def test_averaged_model_on_another_device(device):
    t, x = twin_models("cpu")
    x_avg = xptorch.optim.swa_utils.AveragedModel(x, device=device)
    t_avg = torch.optim.swa_utils.AveragedModel(t, device="cpu")
    assert x_avg.n_averaged.device.type == device and str(x_avg.n_averaged.dtype) == "xptorch.int64"
    assert all(p.device.type == device for p in x_avg.module.parameters())
    assert all(p.device.type == "cpu" for p in x.parameters())
    rng = np.random.default_rng(2)
    for _ in range(3):
        perturb(t, x, rng, "cpu")
        t_avg.update_parameters(t)
        x_avg.update_parameters(x)  # the CPU model's weights are moved to the average's device
    assert_state_close(x_avg, t_avg)
    assert repr(x_avg) == repr(t_avg).replace("torch", "xptorch")
    batch = rng.normal(size=(3, 3)).astype(np.float32)
    t_avg.eval()
    x_avg.eval()
    np.testing.assert_allclose(x_avg(xptorch.tensor(batch, device=device)).numpy(force=True),
                               t_avg(torch.tensor(batch)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_averaged_model_state_dict_round_trip(device):
    t, x = twin_models(device)
    x_avg = xptorch.optim.swa_utils.AveragedModel(x)
    x_avg.update_parameters(x)
    x_avg.update_parameters(x)
    fresh = xptorch.optim.swa_utils.AveragedModel(x)
    assert fresh.n_averaged.item() == 0
    fresh.load_state_dict(x_avg.state_dict())
    assert fresh.n_averaged.item() == 2
    assert list(fresh.state_dict()) == list(torch.optim.swa_utils.AveragedModel(t).state_dict())


def test_swa_multi_avg_fn_refuses_integer_buffers_as_torch():
    def run(lib):
        t, x = twin_models("cpu")
        model = t if lib is torch else x
        avg = lib.optim.swa_utils.AveragedModel(model, multi_avg_fn=lib.optim.swa_utils.get_swa_multi_avg_fn(),
                                                use_buffers=True)
        avg.update_parameters(model)
        avg.update_parameters(model)

    check_error(lambda: run(torch), lambda: run(xptorch))


def test_avg_fns_on_plain_numbers_match_torch():
    t_su, x_su = torch.optim.swa_utils, xptorch.optim.swa_utils
    for n in (0, 3):
        assert x_su.get_swa_avg_fn()(2.0, 5.0, n) == t_su.get_swa_avg_fn()(2.0, 5.0, n)
        assert x_su.get_ema_avg_fn(0.8)(2.0, 5.0, n) == t_su.get_ema_avg_fn(0.8)(2.0, 5.0, n)


ERRORS = [
    lambda su, m: su.AveragedModel(m, avg_fn=su.get_swa_avg_fn(), multi_avg_fn=su.get_swa_multi_avg_fn()),
    lambda su, m: su.get_ema_avg_fn(1.5),
    lambda su, m: su.get_ema_multi_avg_fn(-0.1),
]


@pytest.mark.parametrize("make", ERRORS)
def test_errors_match_torch(make):
    t, x = twin_models("cpu")
    check_error(lambda: make(torch.optim.swa_utils, t), lambda: make(xptorch.optim.swa_utils, x))


# ---- update_bn --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pairs", [False, True])
def test_update_bn_matches_torch(device, pairs):
    t, x = twin_models(device)
    rng = np.random.default_rng(3)
    perturb(t, x, rng, device)  # running statistics away from their reset values
    t.eval()
    x.eval()
    batches = [rng.normal(size=(n, 3)).astype(np.float32) for n in (4, 6, 5)]
    t_loader = [(torch.tensor(b), 0) if pairs else torch.tensor(b) for b in batches]
    x_loader = [(xptorch.tensor(b), 0) if pairs else xptorch.tensor(b) for b in batches]
    assert torch.optim.swa_utils.update_bn(t_loader, t) is None
    assert xptorch.optim.swa_utils.update_bn(x_loader, x, device=device) is None
    assert_state_close(x, t, rtol=1e-5)
    assert not x.training and x[1].momentum == t[1].momentum == 0.1
    assert all(p.grad is None for p in x.parameters())


def test_update_bn_leaves_instance_norm_statistics_to_the_forward_pass(device):
    # torch's update_bn resets and re-averages BatchNorm only; an InstanceNorm keeps its momentum.
    def make(lib):
        nn = lib.nn
        return nn.Sequential(nn.BatchNorm1d(3, momentum=0.3), nn.InstanceNorm1d(3, track_running_stats=True))

    t, x = twin_models(device, make)
    rng = np.random.default_rng(4)
    batches = [rng.normal(size=(2, 3, 4)).astype(np.float32) for _ in range(3)]
    for b in batches[:1]:
        t(torch.tensor(b))
        x(xptorch.tensor(b, device=device))
    torch.optim.swa_utils.update_bn([torch.tensor(b) for b in batches], t)
    xptorch.optim.swa_utils.update_bn([xptorch.tensor(b, device=device) for b in batches], x)
    assert_state_close(x, t, rtol=1e-5)
    assert x[0].momentum == 0.3 and x[1].momentum == 0.1


def test_update_bn_without_batch_norm_leaves_the_model_alone():
    _, x = twin_models("cpu")
    plain = x[3]
    before = {k: v.clone() for k, v in plain.state_dict().items()}
    plain.eval()
    assert xptorch.optim.swa_utils.update_bn([xptorch.ones(2, 4)], plain) is None
    assert not plain.training
    assert all(xptorch.equal(before[k], v) for k, v in plain.state_dict().items())


def test_update_bn_restores_momentum_when_the_model_fails():
    _, x = twin_models("cpu")
    x.eval()
    with pytest.raises(RuntimeError):
        xptorch.optim.swa_utils.update_bn([xptorch.ones(2, 5)], x)
    assert x[1].momentum == 0.1 and not x.training


# ---- SWALR ------------------------------------------------------------------------------------------------
def build(lib, **kw):
    ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
    o = lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=0.1)
    return o, lib.optim.swa_utils.SWALR(o, **kw)


def lrs(o, s, steps):
    out = list(s.get_last_lr())
    for _ in range(steps):
        o.step()
        s.step()
        out.extend(s.get_last_lr())
    return out


SWALR_CASES = [
    {"swa_lr": 0.05},
    {"swa_lr": 0.05, "anneal_epochs": 3, "anneal_strategy": "linear"},
    {"swa_lr": [0.01, 0.2], "anneal_epochs": 4},
    {"swa_lr": 0.3, "anneal_epochs": 0},
    {"swa_lr": 0.3, "anneal_epochs": 1, "anneal_strategy": "linear"},
]


@pytest.mark.parametrize("kw", SWALR_CASES, ids=str)
def test_swalr_lrs_match_torch(kw):
    (to, ts), (xo, xs) = build(torch, **kw), build(xptorch, **kw)
    assert lrs(xo, xs, 14) == lrs(to, ts, 14)
    assert [g["swa_lr"] for g in xo.param_groups] == [g["swa_lr"] for g in to.param_groups]
    assert [g["lr"] for g in xo.param_groups] == [g["lr"] for g in to.param_groups]


def test_swalr_after_another_schedule_and_state_dict_match_torch():
    def run(lib):
        o, s = build(lib, swa_lr=0.02, anneal_epochs=5)
        lrs(o, s, 2)
        for g in o.param_groups:
            g["lr"] *= 3  # another schedule moved the lrs
        seq = lrs(o, s, 3)
        state = s.state_dict()
        o2, s2 = build(lib, swa_lr=0.02, anneal_epochs=5, anneal_strategy="linear")
        s2.load_state_dict(state)
        for g2, g in zip(o2.param_groups, o.param_groups):
            g2["lr"] = g["lr"]
        return seq + lrs(o2, s2, 4), sorted(state), s2._anneal_strategy

    assert run(xptorch) == run(torch)


def test_swalr_get_lr_outside_step_warns():
    _, s = build(xptorch, swa_lr=0.05)
    with pytest.warns(UserWarning, match="To get the last learning rate computed by the scheduler"):
        s.get_lr()


SWALR_ERRORS = [
    lambda lib, o: lib.optim.swa_utils.SWALR(o, 0.05, anneal_strategy="x"),
    lambda lib, o: lib.optim.swa_utils.SWALR(o, 0.05, anneal_epochs=-1),
    lambda lib, o: lib.optim.swa_utils.SWALR(o, 0.05, anneal_epochs=2.0),
    lambda lib, o: lib.optim.swa_utils.SWALR(o, [0.05, 0.1, 0.2]),
    lambda lib, o: lib.optim.swa_utils.SWALR(None, 0.05),
]


@pytest.mark.parametrize("make", SWALR_ERRORS)
def test_swalr_errors_match_torch(make):
    to, _ = build(torch, swa_lr=0.1)
    xo, _ = build(xptorch, swa_lr=0.1)
    groups = [{k: v for k, v in g.items() if k != "params"} for g in xo.param_groups]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(lambda: make(torch, to), lambda: make(xptorch, xo))
    assert [{k: v for k, v in g.items() if k != "params"} for g in xo.param_groups] == groups  # left untouched
