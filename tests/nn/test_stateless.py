"""func.functional_call and nn.utils.stateless.functional_call, nn.utils.skip_init, nn.utils.get_total_norm and
clip_grads_with_norm_ against torch 2.13: values, gradients to the passed tensors, the module's own tensors
restored, tie_weights, strict, errors (the module unchanged after them), the deprecation warning."""
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import _warning_list, check_error, to_numpy  # noqa: E402
from nn.test_parametrize import close, same_state, twin  # noqa: E402


def net(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def tied(lib):
    class Tied(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = lib.nn.Linear(3, 3)
            self.b = lib.nn.Linear(3, 3)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    return Tied()


def arrays(t_module, seed=1):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) for k, v in t_module.named_parameters()}


def test_functional_call_values_grads_restored(device):
    torch.manual_seed(0)
    t_m = net(torch)
    x_m = twin(t_m, net(xptorch), device)
    before = {k: to_numpy(v).copy() for k, v in x_m.state_dict().items()}
    own = dict(x_m.named_parameters())
    new = arrays(t_m)
    t_p = {k: torch.tensor(v, requires_grad=True) for k, v in new.items()}
    x_p = {k: xptorch.tensor(v, requires_grad=True, device=device) for k, v in new.items()}
    xin = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    t_out = torch.func.functional_call(t_m, t_p, (torch.tensor(xin),))
    x_out = xptorch.func.functional_call(x_m, x_p, (xptorch.tensor(xin, device=device),))
    close(x_out, t_out)
    t_out.sum().backward()
    x_out.sum().backward()
    for k in t_p:
        close(x_p[k].grad, t_p[k].grad, what=k)
    assert dict(x_m.named_parameters()) == own and all(p.grad is None for p in own.values())
    # the running stats were updated in place, the parameters untouched (as torch)
    same_state(x_m, t_m)
    for k in ("0.weight", "0.bias", "3.weight"):
        np.testing.assert_array_equal(to_numpy(x_m.state_dict()[k]), before[k])


def test_functional_call_kwargs_single_arg_and_dict_sequence(device):
    m = nn.Linear(3, 2).to(device)
    w = xptorch.ones(2, 3, device=device)
    b = xptorch.zeros(2, device=device)
    x = xptorch.ones(1, 3, device=device)
    out1 = xptorch.func.functional_call(m, ({"weight": w}, {"bias": b}), x)
    out2 = xptorch.func.functional_call(m, {"weight": w, "bias": b}, kwargs={"input": x})
    np.testing.assert_allclose(to_numpy(out1), [[3.0, 3.0]])
    np.testing.assert_allclose(to_numpy(out2), [[3.0, 3.0]])


def test_functional_call_with_buffers(device):
    torch.manual_seed(0)
    t_m = net(torch).eval()
    x_m = twin(t_m, net(xptorch), device).eval()
    rm = np.arange(4, dtype=np.float32)
    xin = np.ones((2, 3), np.float32)
    t_out = torch.func.functional_call(t_m, {"1.running_mean": torch.tensor(rm)}, torch.tensor(xin))
    x_out = xptorch.func.functional_call(x_m, {"1.running_mean": xptorch.tensor(rm, device=device)},
                                         xptorch.tensor(xin, device=device))
    close(x_out, t_out)
    same_state(x_m, t_m)


@pytest.mark.parametrize("tie", [True, False])
def test_tie_weights(device, tie):
    torch.manual_seed(0)
    t_m = tied(torch)
    x_m = twin(t_m, tied(xptorch), device)
    w = np.full((3, 3), 0.5, np.float32)
    xin = np.ones((1, 3), np.float32)
    t_out = torch.func.functional_call(t_m, {"a.weight": torch.tensor(w)}, torch.tensor(xin), tie_weights=tie)
    x_out = xptorch.func.functional_call(x_m, {"a.weight": xptorch.tensor(w, device=device)},
                                         xptorch.tensor(xin, device=device), tie_weights=tie)
    close(x_out, t_out)
    assert x_m.a.weight is x_m.b.weight


def test_errors():
    def tied_conflict(lib):
        lib.func.functional_call(tied(lib), {"a.weight": lib.zeros(3, 3), "b.weight": lib.ones(3, 3)}, lib.ones(1, 3))

    def strict_keys(lib):
        lib.func.functional_call(lib.nn.Linear(2, 2), {"weight": lib.zeros(2, 2), "nope": lib.ones(1)},
                                 lib.ones(1, 2), strict=True)

    def repeated(lib):
        lib.func.functional_call(lib.nn.Linear(2, 2), ({"weight": lib.zeros(2, 2)}, {"weight": lib.zeros(2, 2)}),
                                 lib.ones(1, 2))

    def not_dicts(lib):
        lib.func.functional_call(lib.nn.Linear(2, 2), 3, lib.ones(1, 2))

    def not_all_dicts(lib):
        lib.func.functional_call(lib.nn.Linear(2, 2), [{}, 3], lib.ones(1, 2))

    def wrong_shape(lib):
        lib.func.functional_call(lib.nn.Linear(2, 2), {"weight": lib.zeros(3, 3)}, lib.ones(1, 2))

    for case in (tied_conflict, strict_keys, repeated, not_dicts, not_all_dicts):
        check_error(lambda: case(torch), lambda: case(xptorch))
    # a failing forward still puts the module's own tensors back
    m = nn.Linear(2, 2)
    own = m.weight
    with pytest.raises(RuntimeError):
        xptorch.func.functional_call(m, {"weight": xptorch.zeros(3, 3)}, xptorch.ones(1, 2))
    assert m.weight is own and m._parameters["weight"] is own


def test_parametrized_module():
    """The original behind a parametrization is swapped under its state_dict name."""
    def build(lib):
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrizations.weight_norm(m)
        return m

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), "cpu")
    g = np.full((3, 1), 2.0, np.float32)
    xin = np.ones((1, 3), np.float32)
    key = "parametrizations.weight.original0"
    t_out = torch.func.functional_call(t_m, {key: torch.tensor(g)}, torch.tensor(xin))
    x_out = xptorch.func.functional_call(x_m, {key: xptorch.tensor(g)}, xptorch.tensor(xin))
    close(x_out, t_out)
    same_state(x_m, t_m)


def test_stateless_functional_call_warns():
    def run(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = lib.nn.utils.stateless.functional_call(lib.nn.Linear(2, 1), {"weight": lib.ones(1, 2),
                                                                                "bias": lib.zeros(1)}, lib.ones(1, 2))
        return _warning_list(w), to_numpy(out)

    (tw, to), (xw, xo) = run(torch), run(xptorch)
    assert xw == tw and len(xw) == 1
    np.testing.assert_array_equal(xo, to)


# ---- skip_init -------------------------------------------------------------------------------------------
def test_skip_init(device):
    m = nn.utils.skip_init(nn.Linear, 3, 4, device=device)
    assert type(m) is nn.Linear and tuple(m.weight.shape) == (4, 3) and isinstance(m.weight, nn.Parameter)
    assert m.weight.device.type == xptorch.device(device).type
    c = nn.utils.skip_init(nn.Conv2d, 2, 3, 3, bias=False)
    assert c.bias is None and c.weight.device.type == "cpu"

    class NoDevice(torch.nn.Module):
        pass

    class XNoDevice(nn.Module):
        pass

    check_error(lambda: torch.nn.utils.skip_init(NoDevice), lambda: nn.utils.skip_init(XNoDevice))
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        nn.utils.skip_init(int)


# ---- get_total_norm, clip_grads_with_norm_ -----------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1, "inf", 3.5])
def test_total_norm_and_clip(device, norm_type):
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s).astype(np.float32) * 3 for s in ((3, 4), (5,), ())]
    t_ps = [torch.nn.Parameter(torch.tensor(a)) for a in arrs]
    x_ps = [nn.Parameter(xptorch.tensor(a, device=device)) for a in arrs]
    for t, x, a in zip(t_ps, x_ps, arrs):
        t.grad = torch.tensor(a * 2)
        x.grad = xptorch.tensor(a * 2, device=device)
    t_n = torch.nn.utils.get_total_norm([p.grad for p in t_ps], norm_type)
    x_n = nn.utils.get_total_norm([p.grad for p in x_ps], norm_type)
    close(x_n, t_n)
    assert x_n.device.type == xptorch.device(device).type and x_n.dtype == xptorch.float32
    torch.nn.utils.clip_grads_with_norm_(t_ps, 1.5, t_n)
    assert nn.utils.clip_grads_with_norm_(x_ps, 1.5, x_n) is None
    for t, x in zip(t_ps, x_ps):
        close(x.grad, t.grad)
    # max_norm above the norm: unchanged
    torch.nn.utils.clip_grads_with_norm_(t_ps[0], 1e6, t_n)
    nn.utils.clip_grads_with_norm_(x_ps[0], 1e6, x_n)
    close(x_ps[0].grad, t_ps[0].grad)


def test_total_norm_edge_cases():
    def empty(lib):
        return lib.nn.utils.get_total_norm([])

    def one(lib):
        return lib.nn.utils.get_total_norm(lib.ones(3) * 2)

    def mixed(lib):
        return lib.nn.utils.get_total_norm([lib.ones(3), lib.ones(2, dtype=lib.float64)])

    def nonfinite(lib):
        return lib.nn.utils.get_total_norm([lib.tensor([1.0, float("inf")])], error_if_nonfinite=True)

    for case in (empty, one, mixed):
        t, x = case(torch), case(xptorch)
        close(x, t)
        assert str(x.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    check_error(lambda: nonfinite(torch), lambda: nonfinite(xptorch))
    assert nn.utils.clip_grads_with_norm_([nn.Parameter(xptorch.ones(2))], 1.0, xptorch.tensor(5.0)) is None


def test_clip_grad_norm_nonfinite_message(device):
    def run(lib, dev):
        p = lib.nn.Parameter(lib.ones(2, device=dev))
        p.grad = lib.tensor([1.0, float("nan")], device=dev)
        lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)

    check_error(lambda: run(torch, "cpu"), lambda: run(xptorch, device))
