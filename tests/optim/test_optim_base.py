"""Optimizer base behaviour against torch 2.13: groups, validation, zero_grad, state_dict, hooks, repr."""
import copy

import numpy as np
import pytest

import xptorch
from xptorch import optim

torch = pytest.importorskip("torch")


def params(lib, n=3):
    return [lib.nn.Parameter(lib.ones(i + 2)) for i in range(n)]


def messages(fn_torch, fn_xp, exc=ValueError):
    with pytest.raises(exc) as et:
        fn_torch()
    with pytest.raises(exc) as ex:
        fn_xp()
    return str(et.value).replace("torch", "xptorch"), str(ex.value)


@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -1e-4}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -0.1}),
    ("Adam", {"eps": -1e-8}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (-0.1, 0.999)}),
    ("Adam", {"betas": (0.9, 1.5)}),
    ("Adam", {"weight_decay": -0.01}),
    ("AdamW", {"lr": -1.0}),
    ("AdamW", {"betas": (0.9, -0.5)}),
    ("AdamW", {"weight_decay": -0.01}),
])
def test_bad_hyper_parameters_raise_torchs_value_error(name, kw):
    t, x = messages(lambda: getattr(torch.optim, name)(params(torch), **kw),
                    lambda: getattr(optim, name)(params(xptorch), **kw))
    assert x == t


def test_negative_learning_rate_message():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0.1$"):
        optim.SGD(params(xptorch), lr=-0.1)


def test_parameter_in_two_groups():
    def build(lib):
        ps = params(lib)
        return lambda: lib.optim.SGD([{"params": ps[:2]}, {"params": ps[1:]}], lr=0.1)

    t, x = messages(build(torch), build(xptorch))
    assert x == t == "some parameters appear in more than one parameter group"
    ps = params(xptorch)
    opt = optim.SGD([{"params": ps[:2]}], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [ps[2], ps[0]]})
    assert len(opt.param_groups) == 1


def test_empty_and_wrong_params():
    t, x = messages(lambda: torch.optim.SGD([], lr=0.1), lambda: optim.SGD([], lr=0.1))
    assert x == t == "optimizer got an empty parameter list"
    t, x = messages(lambda: torch.optim.SGD(torch.ones(2, requires_grad=True), lr=0.1),
                    lambda: optim.SGD(xptorch.ones(2, requires_grad=True), lr=0.1), TypeError)
    assert x == t
    t, x = messages(lambda: torch.optim.SGD([1], lr=0.1), lambda: optim.SGD([1], lr=0.1), TypeError)
    assert x == t == "optimizer can only optimize Tensors, but one of the params is int"
    t, x = messages(lambda: torch.optim.SGD([torch.ones(2, requires_grad=True) * 2], lr=0.1),
                    lambda: optim.SGD([xptorch.ones(2, requires_grad=True) * 2], lr=0.1))
    assert x == t == "can't optimize a non-leaf Tensor"
    t, x = messages(lambda: torch.optim.SGD([{"params": {torch.nn.Parameter(torch.ones(1))}}], lr=0.1),
                    lambda: optim.SGD([{"params": {xptorch.nn.Parameter(xptorch.ones(1))}}], lr=0.1), TypeError)
    assert x == t


def test_duplicates_within_a_group_are_kept_once():
    p = xptorch.nn.Parameter(xptorch.ones(3))
    opt = optim.SGD([p, p, p], lr=0.5)
    assert len(opt.param_groups[0]["params"]) == 1
    p.grad = xptorch.ones(3)
    opt.step()
    np.testing.assert_allclose(p.detach().cpu().numpy(), np.full(3, 0.5))


def test_group_defaults_and_named_params():
    ps = params(xptorch)
    group = {"params": ps[:1], "lr": 0.5}
    opt = optim.SGD([group, {"params": ps[1:]}], lr=0.1, momentum=0.9)
    assert group is opt.param_groups[0] and group["momentum"] == 0.9 and group["lr"] == 0.5
    assert opt.param_groups[1]["lr"] == 0.1
    named = optim.Adam([("a", ps[0]), ("b", ps[1])])
    tnamed = torch.optim.Adam([("a", torch.nn.Parameter(torch.ones(2))), ("b", torch.nn.Parameter(torch.ones(3)))])
    assert named.param_groups[0]["param_names"] == ["a", "b"]
    assert named.state_dict()["param_groups"] == tnamed.state_dict()["param_groups"]


def test_zero_grad():
    ps = params(xptorch)
    opt = optim.SGD(ps, lr=0.1)
    for p in ps:
        p.grad = xptorch.ones_like(p)
    kept = [p.grad for p in ps]
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is g and not p.grad.any() for p, g in zip(ps, kept))
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_repr_matches_torch(name):
    def build(lib):
        ps = params(lib)
        return getattr(lib.optim, name)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=0.1)

    assert repr(build(xptorch)) == repr(build(torch))


def test_state_dict_layout_matches_torch():
    def run(lib):
        ps = params(lib)
        opt = lib.optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5}], lr=0.1, momentum=0.9)
        for p in ps[1:]:
            p.grad = lib.ones_like(p)
        opt.step()
        return opt.state_dict()

    t, x = run(torch), run(xptorch)
    assert x["param_groups"] == t["param_groups"]
    assert list(x["param_groups"][0]) == list(t["param_groups"][0])  # 'params' last, as torch
    assert sorted(x["state"]) == sorted(t["state"]) == [1, 2]
    assert list(x["state"][1]) == ["momentum_buffer"]


def test_load_state_dict_validates_before_changing_anything():
    def build(lib, sizes):
        groups = [{"params": [lib.nn.Parameter(lib.ones(2)) for _ in range(n)]} for n in sizes]
        return lib.optim.Adam(groups, lr=0.1)

    for saved, target in (([2], [2, 1]), ([2, 1], [2, 2])):
        sd_t = build(torch, saved).state_dict()
        sd_x = build(xptorch, saved).state_dict()
        opt_t, opt_x = build(torch, target), build(xptorch, target)
        before = copy.deepcopy(opt_x.param_groups[0]["lr"])
        t, x = messages(lambda: opt_t.load_state_dict(sd_t), lambda: opt_x.load_state_dict(sd_x))
        assert x == t
        assert opt_x.param_groups[0]["lr"] == before and len(opt_x.state) == 0


def test_step_hooks_and_closure():
    p = xptorch.nn.Parameter(xptorch.tensor([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1)
    seen = []
    pre = opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", o is opt)))
    post = opt.register_step_post_hook(lambda o, a, k: seen.append(("post", p.detach().tolist())))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with xptorch.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.detach().cpu().numpy(), [0.8, 1.6])
    assert seen == [("pre", True), ("post", pytest.approx([0.8, 1.6]))]
    pre.remove()
    post.remove()
    opt.step(closure)
    assert len(seen) == 2


def test_subclass_step_runs_hooks_once():
    class Scaled(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = xptorch.nn.Parameter(xptorch.ones(1))
    opt = Scaled([p], lr=0.1)
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))
    p.grad = xptorch.ones(1)
    opt.step()
    assert calls == [1]


def test_custom_optimizer_subclass():
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    if p.grad is not None:
                        with xptorch.no_grad():
                            p.sub_(p.grad.sign() * g["lr"])

    p = xptorch.nn.Parameter(xptorch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        SignSGD([p])
    opt = SignSGD([p], lr=0.25)
    hooked = []
    opt.register_step_post_hook(lambda *a: hooked.append(1))
    p.grad = xptorch.tensor([3.0, -0.5])
    opt.step()
    assert p.detach().tolist() == [0.75, -0.75] and hooked == [1]


@pytest.mark.parametrize("kw", [{"fused": True}, {"differentiable": True}])
def test_unsupported_flags_say_so(kw):
    with pytest.raises(NotImplementedError, match=next(iter(kw))):
        optim.Adam(params(xptorch), **kw)
