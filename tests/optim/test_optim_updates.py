"""SGD, Adam, AdamW and Adafactor against torch 2.13: same parameters and gradients in, same parameters out."""
import copy

import numpy as np
import pytest

import xptorch
from xptorch import optim

torch = pytest.importorskip("torch")

SHAPES = [(5, 3), (3,), (2, 2, 2), ()]


def make_pair(shapes=SHAPES, seed=0, dtype=np.float32, device=None):
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in shapes]
    tp = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    xp = [xptorch.nn.Parameter(xptorch.tensor(a, device=device)) for a in arrays]
    return tp, xp


def make_grads(shapes=SHAPES, steps=6, seed=1, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [[np.asarray(rng.standard_normal(s), dtype=dtype) for s in shapes] for _ in range(steps)]


def run(tp, xp, ot, ox, grads):
    for gs in grads:
        for p, q, g in zip(tp, xp, gs):
            p.grad = torch.tensor(g)
            q.grad = xptorch.tensor(g, device=q.device)
        ot.step()
        ox.step()


def assert_params_close(tp, xp, rtol=1e-5, atol=1e-6):
    for p, q in zip(tp, xp):
        np.testing.assert_allclose(q.detach().numpy(force=True), p.detach().cpu().numpy(), rtol=rtol, atol=atol)


SGD_CASES = [
    {},
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.05},
    {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True},
    {"lr": 0.1, "maximize": True},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01, "maximize": True},
]
ADAM_CASES = [
    {},
    {"lr": 0.05},
    {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.05, "amsgrad": True},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.05, "maximize": True},
    {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True},
    {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
]
ADAMW_CASES = [
    {},
    {"lr": 0.05, "weight_decay": 0.3},
    {"lr": 0.05, "amsgrad": True, "maximize": True},
]
ADAFACTOR_CASES = [
    {},
    {"lr": 0.05, "weight_decay": 0.2, "d": 2.0},
    {"beta2_decay": -0.6, "eps": (1e-4, 1e-2), "maximize": True},
]


@pytest.mark.parametrize("kw", SGD_CASES, ids=str)
def test_sgd_matches_torch(kw, device):
    tp, xp = make_pair(device=device)
    run(tp, xp, torch.optim.SGD(tp, **kw), optim.SGD(xp, **kw), make_grads())
    assert_params_close(tp, xp)


@pytest.mark.parametrize("kw", ADAM_CASES, ids=str)
def test_adam_matches_torch(kw, device):
    tp, xp = make_pair(device=device)
    run(tp, xp, torch.optim.Adam(tp, **kw), optim.Adam(xp, **kw), make_grads(steps=8))
    assert_params_close(tp, xp)


@pytest.mark.parametrize("kw", ADAMW_CASES, ids=str)
def test_adamw_matches_torch(kw, device):
    tp, xp = make_pair(device=device)
    run(tp, xp, torch.optim.AdamW(tp, **kw), optim.AdamW(xp, **kw), make_grads(steps=8))
    assert_params_close(tp, xp)


@pytest.mark.parametrize("kw", ADAFACTOR_CASES, ids=str)
def test_adafactor_matches_torch(kw, device):
    """Matrices and the (2, 2, 2) tensor keep factored second moments, vectors and scalars full ones."""
    tp, xp = make_pair(device=device)
    run(tp, xp, torch.optim.Adafactor(tp, **kw), optim.Adafactor(xp, **kw), make_grads(steps=8))
    assert_params_close(tp, xp)


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
                                     ("Adam", {"lr": 0.01, "amsgrad": True}),
                                     ("AdamW", {"lr": 0.01}),
                                     ("Adafactor", {"lr": 0.05, "weight_decay": 0.1})])
def test_float64_parameters(name, kw):
    tp, xp = make_pair(dtype=np.float64)
    run(tp, xp, getattr(torch.optim, name)(tp, **kw), getattr(optim, name)(xp, **kw),
        make_grads(dtype=np.float64))
    assert_params_close(tp, xp, rtol=1e-12, atol=1e-12)
    assert all(q.dtype == xptorch.float64 for q in xp)


def test_param_groups_with_their_own_options():
    tp, xp = make_pair()
    groups = lambda ps: [{"params": ps[:2], "lr": 0.5, "momentum": 0.5},
                         {"params": ps[2:], "weight_decay": 0.1}]
    ot = torch.optim.SGD(groups(tp), lr=0.1, momentum=0.9)
    ox = optim.SGD(groups(xp), lr=0.1, momentum=0.9)
    run(tp, xp, ot, ox, make_grads())
    assert_params_close(tp, xp)


def test_parameters_without_grad_are_skipped_and_get_no_state():
    tp, xp = make_pair()
    ot, ox = torch.optim.Adam(tp, lr=0.1), optim.Adam(xp, lr=0.1)
    for gs in make_grads(steps=3):
        for p, q, g in list(zip(tp, xp, gs))[:2]:
            p.grad = torch.tensor(g)
            q.grad = xptorch.tensor(g, device=q.device)
        ot.step()
        ox.step()
    assert_params_close(tp, xp)
    assert len(ox.state) == len(ot.state) == 2
    assert xp[2] not in ox.state


@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.2}),
    ("Adafactor", {"lr": 0.02, "weight_decay": 0.2}),
])
def test_state_dict_round_trip_continues_like_torch(name, kw):
    """Save after k steps, load into a fresh optimiser, continue: torch doing the same agrees."""
    tp, xp = make_pair()
    grads = make_grads(steps=10)
    ot, ox = getattr(torch.optim, name)(tp, **kw), getattr(optim, name)(xp, **kw)
    run(tp, xp, ot, ox, grads[:4])
    sd_t = copy.deepcopy(ot.state_dict())
    sd_x = copy.deepcopy(ox.state_dict())
    # The layout is torch's: same group options, same state keys, integer indices.
    assert sd_x["param_groups"] == sd_t["param_groups"]
    assert sd_x["state"].keys() == sd_t["state"].keys()
    for i in sd_t["state"]:
        assert sd_x["state"][i].keys() == sd_t["state"][i].keys()
        for k, v in sd_t["state"][i].items():
            np.testing.assert_allclose(sd_x["state"][i][k].cpu().numpy(), v.cpu().numpy(), rtol=1e-5, atol=1e-6)
            assert sd_x["state"][i][k].dtype == getattr(xptorch, str(v.dtype).split(".")[1])
    # Fresh optimisers with other options; loading restores options and state.
    ot2 = getattr(torch.optim, name)(tp, lr=0.5)
    ox2 = getattr(optim, name)(xp, lr=0.5)
    ot2.load_state_dict(sd_t)
    ox2.load_state_dict(sd_x)
    assert ox2.param_groups[0]["lr"] == kw["lr"]
    assert ox2.param_groups[0]["params"][0] is xp[0]
    run(tp, xp, ot2, ox2, grads[4:])
    assert_params_close(tp, xp)


def test_loaded_state_is_a_copy_on_the_parameters_device(simulated_cuda):
    _, xp = make_pair(device=simulated_cuda)
    ox = optim.Adam(xp, lr=0.1)
    for q in xp:
        q.grad = xptorch.ones_like(q)
    ox.step()
    sd = ox.state_dict()
    ox2 = optim.Adam(xp, lr=0.1)
    ox2.load_state_dict(sd)
    st = ox2.state[xp[0]]
    assert st["exp_avg"].device == xp[0].device
    assert st["step"].device == xptorch.device("cpu")
    assert st["exp_avg"].data_ptr() != sd["state"][0]["exp_avg"].data_ptr()
    before = sd["state"][0]["exp_avg"].clone()
    ox2.step()
    assert xptorch.equal(sd["state"][0]["exp_avg"], before)


def test_state_tensors_live_on_the_parameters_device(device):
    _, xp = make_pair(device=device)
    ox = optim.Adam(xp, lr=0.1, amsgrad=True)
    osgd = optim.SGD(xp, lr=0.1, momentum=0.9)
    for q in xp:
        q.grad = xptorch.ones_like(q)
    ox.step()
    osgd.step()
    for q in xp:
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert ox.state[q][key].device == q.device
            assert ox.state[q][key].shape == q.shape
        assert osgd.state[q]["momentum_buffer"].device == q.device
        assert ox.state[q]["step"].item() == 1.0


def test_update_is_in_place_and_bumps_the_version():
    _, xp = make_pair()
    ptrs = [q.data_ptr() for q in xp]
    versions = [q._version for q in xp]
    ox = optim.Adam(xp, lr=0.1)
    for q in xp:
        q.grad = xptorch.ones_like(q)
    ox.step()
    assert [q.data_ptr() for q in xp] == ptrs
    assert all(q._version > v for q, v in zip(xp, versions))
    assert all(q.requires_grad and q.grad_fn is None for q in xp)


def test_saved_parameter_modified_by_step_is_detected():
    """A step between forward and backward changes a saved tensor: backward must refuse, as torch."""
    w = xptorch.nn.Parameter(xptorch.ones(3))
    opt = optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    w.grad = xptorch.ones(3)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_training_a_tied_mlp_matches_torch():
    """The tour's model: a layer used twice gets one update from the summed gradient."""
    def build(lib):
        nn = lib.nn
        shared = nn.Linear(8, 8)
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))

    tm, xm = build(torch), build(xptorch)
    with xptorch.no_grad():
        for (n, p), (_, q) in zip(tm.named_parameters(), xm.named_parameters()):
            q.copy_(xptorch.tensor(p.detach().cpu().numpy()))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 4)).astype(np.float32)
    Y = rng.standard_normal((32, 1)).astype(np.float32)
    ot = torch.optim.Adam(tm.parameters(), lr=0.01)
    # The duplicated listing (every name of the tied layer) is deduplicated.
    ox = optim.Adam([p for _, p in xm.named_parameters(remove_duplicate=False)], lr=0.01)
    assert len(ox.param_groups[0]["params"]) == 6
    for _ in range(20):
        for o, m, lib in ((ot, tm, torch), (ox, xm, xptorch)):
            o.zero_grad()
            loss = ((m(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean()
            loss.backward()
            o.step()
    for (n, p), (_, q) in zip(tm.named_parameters(), xm.named_parameters()):
        np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().cpu().numpy(), rtol=1e-4, atol=1e-5, err_msg=n)


@pytest.mark.cuda
@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
                                     ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1})])
def test_gpu_updates_match_torch_cpu(name, kw):
    tp, xp = make_pair(device="cuda")
    run(tp, xp, getattr(torch.optim, name)(tp, **kw), getattr(optim, name)(xp, **kw), make_grads())
    assert_params_close(tp, xp, rtol=1e-5, atol=1e-5)
    assert all(type(q._data).__module__.startswith("cupy") for q in xp)
