"""Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and Adafactor against torch 2.13: trajectories,
state_dict exchange in both directions, repr and argument errors."""
import numpy as np
import pytest

import xptorch
from xptorch import optim

torch = pytest.importorskip("torch")
from oracle import to_torch, to_xp  # noqa: E402

SHAPES = [(4, 3), (3,), ()]

CASES = [
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.3,
                 "eps": 1e-6, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True, "foreach": False}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True, "foreach": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 3, "weight_decay": 0.1, "maximize": True}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.1, "beta2_decay": -0.5, "eps": (1e-3, 1e-2), "d": 1.5, "weight_decay": 0.1,
                   "maximize": True, "foreach": True}),
]
NAMES = sorted({name for name, _ in CASES})


def make_pair(seed=0, device=None):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in SHAPES]
    return ([torch.nn.Parameter(torch.tensor(a)) for a in arrays],
            [xptorch.nn.Parameter(xptorch.tensor(a, device=device)) for a in arrays])


def run(tp, xp, ot, ox, steps, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for p, q in zip(tp, xp):
            g = rng.standard_normal(tuple(p.shape))
            p.grad = torch.tensor(g)
            q.grad = xptorch.tensor(g, device=q.device)
        ot.step()
        ox.step()


def assert_close(tp, xp, tol=1e-6):
    for p, q in zip(tp, xp):
        assert q.dtype == xptorch.float64
        np.testing.assert_allclose(q.detach().numpy(force=True), p.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name,kw", CASES, ids=str)
def test_trajectory_matches_torch(name, kw, device):
    # 10 steps take RAdam past its rectification threshold (rho_t > 5 from step 7 with beta2 = 0.999).
    tp, xp = make_pair(device=device)
    ot, ox = getattr(torch.optim, name)(tp, **kw), getattr(optim, name)(xp, **kw)
    run(tp, xp, ot, ox, 10)
    assert_close(tp, xp)
    st_t, st_x = ot.state_dict()["state"], ox.state_dict()["state"]
    assert st_x.keys() == st_t.keys()
    for i in st_t:
        assert list(st_x[i]) == list(st_t[i])
        for k, v in st_t[i].items():
            assert str(st_x[i][k].dtype).split(".")[1] == str(v.dtype).split(".")[1], k
            # Scalar state stays on the CPU, except ASGD's, which lives with the parameter.
            on_cpu = v.dim() == 0 and k in ("step", "mu_product") and name != "ASGD"
            assert st_x[i][k].device.type == ("cpu" if on_cpu else device)
            np.testing.assert_allclose(st_x[i][k].numpy(force=True), v.numpy(), rtol=1e-6, atol=1e-7, err_msg=k)



@pytest.mark.parametrize("name,kw", [c for c in CASES if c[1]], ids=str)
def test_state_dict_exchange_with_torch(name, kw, device):
    """torch's state_dict loads into xptorch's optimiser (and xptorch's into torch's): both continue as one."""
    tp, xp = make_pair(device=device)
    ot, ox = getattr(torch.optim, name)(tp, **kw), getattr(optim, name)(xp, **kw)
    run(tp, xp, ot, ox, 4)
    sd_t, sd_x = ot.state_dict(), ox.state_dict()
    assert sd_x["param_groups"] == sd_t["param_groups"]
    # Fresh optimisers with other options take the other library's state and options.
    ot2, ox2 = getattr(torch.optim, name)(tp, lr=0.3), getattr(optim, name)(xp, lr=0.3)
    ox2.load_state_dict(to_xp(sd_t))
    ot2.load_state_dict(to_torch(sd_x))
    assert ox2.param_groups[0]["lr"] == ot2.param_groups[0]["lr"] == kw.get("lr", ot.defaults["lr"])
    assert all(t.device == q.device for q in xp for k, t in ox2.state[q].items() if t.dim())
    run(tp, xp, ot2, ox2, 6, seed=2)
    assert_close(tp, xp)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_repr_match_torch(name):
    def build(lib):
        ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
        return getattr(lib.optim, name)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}])

    ot, ox = build(torch), build(xptorch)
    assert ox.defaults == ot.defaults
    assert repr(ox) == repr(ot)


def test_adagrad_state_exists_before_the_first_step():
    def build(lib):
        return lib.optim.Adagrad([lib.nn.Parameter(lib.ones(2))], initial_accumulator_value=0.25)

    sd_t, sd_x = build(torch).state_dict(), build(xptorch).state_dict()
    assert list(sd_x["state"][0]) == list(sd_t["state"][0]) == ["step", "sum"]
    assert sd_x["state"][0]["sum"].tolist() == sd_t["state"][0]["sum"].tolist() == [0.25, 0.25]


BAD = [
    ("Adagrad", {"lr": -1}), ("Adagrad", {"lr_decay": -0.1}), ("Adagrad", {"weight_decay": -0.1}),
    ("Adagrad", {"initial_accumulator_value": -1.0}), ("Adagrad", {"eps": -1e-3}),
    ("RMSprop", {"lr": -1}), ("RMSprop", {"eps": -1.0}), ("RMSprop", {"momentum": -0.5}),
    ("RMSprop", {"weight_decay": -1}), ("RMSprop", {"alpha": -0.1}),
    ("Adadelta", {"lr": -1}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"eps": -1.0}),
    ("Adadelta", {"weight_decay": -1}),
    ("Adamax", {"lr": -1}), ("Adamax", {"betas": (1.0, 0.9)}), ("Adamax", {"betas": (0.9, -0.1)}),
    ("Adamax", {"eps": -1.0}), ("Adamax", {"weight_decay": -1}),
    ("NAdam", {"lr": -1}), ("NAdam", {"momentum_decay": -1.0}), ("NAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"lr": -1}), ("RAdam", {"eps": -1.0}), ("RAdam", {"weight_decay": -1}),
    ("Rprop", {"lr": -1}), ("Rprop", {"etas": (1.2, 0.5)}), ("Rprop", {"etas": (0.0, 1.2)}),
    ("ASGD", {"lr": -1}), ("ASGD", {"weight_decay": -1}),
    ("Adafactor", {"lr": -1}), ("Adafactor", {"beta2_decay": 0.5}), ("Adafactor", {"eps": (-1.0, 1e-3)}),
    ("Adafactor", {"eps": (None, -1e-3)}), ("Adafactor", {"d": 0.5}), ("Adafactor", {"weight_decay": -1}),
]


@pytest.mark.parametrize("name,kw", BAD, ids=str)
def test_bad_arguments_raise_torchs_value_error(name, kw):
    with pytest.raises(ValueError) as et:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kw)
    with pytest.raises(ValueError) as ex:
        getattr(optim, name)([xptorch.nn.Parameter(xptorch.ones(2))], **kw)
    assert str(ex.value) == str(et.value)


@pytest.mark.parametrize("name", NAMES)
def test_training_a_small_model_matches_torch(name):
    """A two-layer float64 model trained 15 steps with a closure ends where torch's does."""
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 1)).double()

    tm, xm = build(torch), build(xptorch)
    with xptorch.no_grad():
        for p, q in zip(tm.parameters(), xm.parameters()):
            q.copy_(xptorch.tensor(p.detach().numpy()))
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    kw = {"lr": 0.05} if name != "Adadelta" else {}
    ot, ox = getattr(torch.optim, name)(tm.parameters(), **kw), getattr(optim, name)(xm.parameters(), **kw)
    for _ in range(15):
        for o, m, lib in ((ot, tm, torch), (ox, xm, xptorch)):
            def closure():
                o.zero_grad()
                loss = ((m(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean()
                loss.backward()
                return loss
            o.step(closure)
    assert_close(list(tm.parameters()), list(xm.parameters()))
