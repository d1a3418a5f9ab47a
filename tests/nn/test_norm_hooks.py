"""The hook forms nn.utils.weight_norm / remove_weight_norm and nn.utils.spectral_norm / remove_spectral_norm
against torch 2.13: parameters and buffers, values and gradients over several steps, state_dict keys and
metadata, the deprecation warning, errors (nothing changed by a failed call), removal, .to and deepcopy."""
import copy
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import _warning_list, check_error, to_numpy  # noqa: E402
from nn.test_parametrize import close, same_grads, same_repr, same_state, twin  # noqa: E402


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


def steps(t_m, x_m, device, shape, n=2):
    xin = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    for _ in range(n):
        t_out = t_m(torch.tensor(xin))
        x_out = x_m(xptorch.tensor(xin, device=device))
        close(x_out, t_out, what="output")
        t_out.square().sum().backward()
        x_out.square().sum().backward()
        close(x_m.weight, t_m.weight, what="weight attribute")
    same_grads(x_m, t_m)
    same_state(x_m, t_m)


# ---- weight_norm ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm(device, dim):
    def build(lib):
        return quiet(lib.nn.utils.weight_norm, lib.nn.Conv1d(2, 3, 2), dim=dim)

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    assert list(x_m.state_dict()) == ["bias", "weight_g", "weight_v"] == list(t_m.state_dict())
    assert tuple(x_m.weight_g.shape) == tuple(t_m.weight_g.shape)
    assert not isinstance(x_m.weight, nn.Parameter) and "weight" not in dict(x_m.named_parameters())
    same_repr(x_m, t_m)
    steps(t_m, x_m, device, (2, 2, 5))
    for m, lib in ((t_m, torch), (x_m, xptorch)):
        lib.nn.utils.remove_weight_norm(m)
    assert [n for n, _ in x_m.named_parameters()] == ["bias", "weight"] == [n for n, _ in t_m.named_parameters()]
    assert not x_m._forward_pre_hooks
    same_state(x_m, t_m)


def test_weight_norm_warns_as_torch():
    with warnings.catch_warnings(record=True) as t_w:
        warnings.simplefilter("always")
        torch.nn.utils.weight_norm(torch.nn.Linear(2, 2))
    with warnings.catch_warnings(record=True) as x_w:
        warnings.simplefilter("always")
        nn.utils.weight_norm(nn.Linear(2, 2))
    assert _warning_list(x_w) == _warning_list(t_w) and len(x_w) == 1
    assert x_w[0].filename == __file__  # points at the caller
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.utils.remove_weight_norm(quiet(nn.utils.weight_norm, nn.Linear(2, 2)))


def test_weight_norm_errors_change_nothing():
    def twice(lib, m):
        quiet(lib.nn.utils.weight_norm, m)

    def remove_missing(lib, m):
        lib.nn.utils.remove_weight_norm(m, "bias")

    def missing_name(lib, m):
        quiet(lib.nn.utils.weight_norm, m, "nope")

    for case in (twice, remove_missing, missing_name):
        t_m = quiet(torch.nn.utils.weight_norm, torch.nn.Linear(2, 3))
        x_m = quiet(nn.utils.weight_norm, nn.Linear(2, 3))
        before = {k: to_numpy(v).copy() for k, v in x_m.state_dict().items()}
        check_error(lambda: case(torch, t_m), lambda: case(xptorch, x_m))
        assert {k: to_numpy(v).tolist() for k, v in x_m.state_dict().items()} == \
            {k: v.tolist() for k, v in before.items()}
        assert len(x_m._forward_pre_hooks) == 1


# ---- spectral_norm -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linear", "conv", "convT", "iters3"])
def test_spectral_norm(device, kind):
    def build(lib):
        sn = lib.nn.utils.spectral_norm
        if kind == "linear":
            return sn(lib.nn.Linear(4, 5))
        if kind == "conv":
            return sn(lib.nn.Conv2d(2, 3, 2), eps=1e-6)
        if kind == "convT":
            return sn(lib.nn.ConvTranspose2d(2, 3, 2))
        return sn(lib.nn.Linear(4, 5), n_power_iterations=3)

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    assert list(x_m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"] == list(t_m.state_dict())
    assert x_m.state_dict()._metadata[""] == t_m.state_dict()._metadata[""]
    same_repr(x_m, t_m)
    shape = (2, 4) if kind in ("linear", "iters3") else (1, 2, 4, 4)
    steps(t_m, x_m, device, shape, n=3)
    t_m.eval()
    x_m.eval()
    u = to_numpy(x_m.weight_u).copy()
    steps(t_m, x_m, device, shape, n=1)
    np.testing.assert_array_equal(to_numpy(x_m.weight_u), u)
    for m, lib in ((t_m, torch), (x_m, xptorch)):
        lib.nn.utils.remove_spectral_norm(m)
    assert list(x_m.state_dict()) == list(t_m.state_dict()) == ["bias", "weight"]
    assert not x_m._forward_pre_hooks and not x_m._state_dict_hooks and not x_m._load_state_dict_pre_hooks
    same_state(x_m, t_m)


def test_spectral_norm_errors_change_nothing():
    cases = [
        lambda lib, m: lib.nn.utils.spectral_norm(m),
        lambda lib, m: lib.nn.utils.spectral_norm(m, "bias", n_power_iterations=0),
        lambda lib, m: lib.nn.utils.spectral_norm(m, "nope"),
        lambda lib, m: lib.nn.utils.remove_spectral_norm(m, "bias"),
    ]
    for case in cases:
        t_m = torch.nn.utils.spectral_norm(torch.nn.Linear(2, 3))
        x_m = nn.utils.spectral_norm(nn.Linear(2, 3))
        keys = list(x_m.state_dict())
        check_error(lambda: case(torch, t_m), lambda: case(xptorch, x_m))
        assert list(x_m.state_dict()) == keys and len(x_m._forward_pre_hooks) == 1
    m = nn.Linear(2, 2, bias=False)
    check_error(lambda: torch.nn.utils.spectral_norm(torch.nn.Linear(2, 2, bias=False), "bias"),
                lambda: nn.utils.spectral_norm(m, "bias"))


def test_spectral_norm_loads_version_0_state_dict():
    """A version-0 checkpoint holds weight, weight_orig and weight_u; weight_v is solved for on load."""
    torch.manual_seed(0)
    t_m = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4))
    t_m(torch.randn(2, 3))
    sd = t_m.state_dict()
    old = {"bias": sd["bias"], "weight_orig": sd["weight_orig"], "weight_u": sd["weight_u"],
           "weight": t_m.weight.detach().clone()}
    t_new = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4))
    t_new.load_state_dict(old)
    x_new = nn.utils.spectral_norm(nn.Linear(3, 4))
    x_new.load_state_dict({k: xptorch.tensor(v.numpy().copy()) for k, v in old.items()})
    same_state(x_new, t_new)


def test_to_and_deepcopy_keep_working(device):
    m = nn.utils.spectral_norm(nn.Linear(3, 4))
    m = quiet(nn.utils.weight_norm, m, "bias", dim=None)
    orig, g = m.weight_orig, m.bias_g
    m.to(device)
    assert m.weight_orig is orig and m.bias_g is g and m.weight_u.device.type == xptorch.device(device).type
    x = xptorch.randn(2, 3, device=device)
    m(x)
    with xptorch.no_grad():
        m(x)  # leaves graph-free weight attributes, which deepcopy accepts
    c = copy.deepcopy(m)
    close(c(x), m(x))
    assert c.weight_orig is not m.weight_orig
    c.eval()
    close(c(x), m.eval()(x))


def test_deepcopy_after_forward_fails_as_torch():
    """The hooks leave a non-leaf weight attribute behind, which deepcopy refuses (as in torch)."""
    def run(lib):
        m = quiet(lib.nn.utils.weight_norm, lib.nn.Linear(3, 4))
        m(lib.ones(2, 3))
        copy.deepcopy(m)

    with pytest.raises(RuntimeError) as t_exc:
        run(torch)
    with pytest.raises(RuntimeError) as x_exc:
        run(xptorch)
    assert str(x_exc.value) == str(t_exc.value).replace("a torch.nn", "a xptorch.nn")

    def no_grad_forward(lib):
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 4))
        with lib.no_grad():
            m(lib.ones(2, 3))
        return copy.deepcopy(m)

    c = no_grad_forward(xptorch)
    no_grad_forward(torch)
    assert list(c.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
