"""nn.utils.prune against torch 2.13: masks, pruned values, gradients to <name>_orig, state_dict keys and values,
composition of successive prunings, global pruning, remove, errors (the module unchanged after them)."""
import copy

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
import torch.nn.utils.prune  # noqa: E402,F401
from oracle import check_error, to_numpy  # noqa: E402
from nn.test_parametrize import close, same_grads, same_state, twin  # noqa: E402

prune = nn.utils.prune


def distinct(t_module, seed=0):
    """Distinct magnitudes, so that every top-k has one answer."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in t_module.parameters():
            n = p.numel()
            vals = (rng.permutation(n) + 1.0) * rng.choice([-1.0, 1.0], n) / n
            p.copy_(torch.tensor(vals.reshape(tuple(p.shape)), dtype=p.dtype))
    return t_module


def conv(lib):
    return lib.nn.Conv2d(2, 4, 3)


def run_both(build, prune_fn, device, shape=(1, 2, 5, 5)):
    t_m = distinct(build(torch))
    x_m = twin(t_m, build(xptorch), device)
    prune_fn(torch, t_m)
    prune_fn(xptorch, x_m)
    same_state(x_m, t_m)
    xin = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    t_out = t_m(torch.tensor(xin))
    x_out = x_m(xptorch.tensor(xin, device=device))
    close(x_out, t_out)
    t_out.square().sum().backward()
    x_out.square().sum().backward()
    same_grads(x_m, t_m)
    return t_m, x_m


CASES = {
    "l1_float": lambda lib, m: lib.nn.utils.prune.l1_unstructured(m, "weight", amount=0.3),
    "l1_int": lambda lib, m: lib.nn.utils.prune.l1_unstructured(m, "bias", amount=2),
    "ln_dim0": lambda lib, m: lib.nn.utils.prune.ln_structured(m, "weight", amount=0.5, n=2, dim=0),
    "ln_inf_dim1": lambda lib, m: lib.nn.utils.prune.ln_structured(m, "weight", amount=1, n=float("inf"), dim=1),
    "ln_l1_dim_neg": lambda lib, m: lib.nn.utils.prune.ln_structured(m, "weight", amount=1, n=1, dim=-1),
    "identity": lambda lib, m: lib.nn.utils.prune.identity(m, "weight"),
    "custom": lambda lib, m: lib.nn.utils.prune.custom_from_mask(
        m, "bias", mask=lib.tensor([1.0, 0.0, 1.0, 0.0], device=m.bias.device)),
    "composed": lambda lib, m: (lib.nn.utils.prune.l1_unstructured(m, "weight", amount=10),
                                lib.nn.utils.prune.ln_structured(m, "weight", amount=1, n=2, dim=0),
                                lib.nn.utils.prune.l1_unstructured(m, "weight", amount=0.25)),
    "importance": lambda lib, m: lib.nn.utils.prune.l1_unstructured(
        m, "weight", amount=20, importance_scores=lib.arange(72.0, device=m.weight.device).reshape(4, 2, 3, 3).flip(0)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_prune_matches_torch(device, case):
    t_m, x_m = run_both(conv, CASES[case], device)
    name = "bias" if case in ("l1_int", "custom") else "weight"
    assert list(x_m.state_dict()) == list(t_m.state_dict())
    assert f"{name}_orig" in dict(x_m.named_parameters()) and name not in dict(x_m.named_parameters())
    assert f"{name}_mask" in dict(x_m.named_buffers())
    assert prune.is_pruned(x_m)
    close(getattr(x_m, name), getattr(t_m, name))
    hooks = [h for h, _ in x_m._forward_pre_hooks.values()]
    t_hooks = list(t_m._forward_pre_hooks.values())
    assert [type(h).__name__ for h in hooks] == [type(h).__name__ for h in t_hooks]
    if case == "composed":
        assert [type(h).__name__ for h in hooks[0]] == [type(h).__name__ for h in t_hooks[0]]
    # remove: the pruned values become the parameter, same object as <name>_orig
    orig = getattr(x_m, f"{name}_orig")
    torch.nn.utils.prune.remove(t_m, name)
    prune.remove(x_m, name)
    assert getattr(x_m, name) is orig and not prune.is_pruned(x_m)
    assert list(x_m.state_dict()) == list(t_m.state_dict())
    same_state(x_m, t_m)


def test_global_unstructured(device):
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3))

    def go(lib, m):
        lib.nn.utils.prune.l1_unstructured(m[0], "weight", amount=3)
        lib.nn.utils.prune.global_unstructured(
            [(m[0], "weight"), (m[0], "bias"), (m[2], "weight")], pruning_method=lib.nn.utils.prune.L1Unstructured,
            amount=0.4)

    t_m, x_m = run_both(build, go, device, (3, 4))
    assert int(to_numpy(x_m[0].weight_mask).sum() + to_numpy(x_m[0].bias_mask).sum()
               + to_numpy(x_m[2].weight_mask).sum()) == 40 - 3 - round(0.4 * 37)  # 0.4 of what is left


def test_random_methods_prune_the_right_amount(device):
    m = nn.Conv2d(2, 6, 3).to(device)
    prune.random_unstructured(m, "weight", amount=0.25)
    assert int(to_numpy(m.weight_mask).sum()) == 108 - 27
    prune.random_structured(m, "weight", amount=2, dim=0)
    kept = to_numpy(m.weight_mask).reshape(6, -1).sum(1)
    assert (kept == 0).sum() == 2
    np.testing.assert_array_equal(to_numpy(m.weight), to_numpy(m.weight_orig) * to_numpy(m.weight_mask))
    assert len(next(iter(m._forward_pre_hooks.values()))[0]) == 2


def test_prune_method_without_module():
    t = torch.tensor([[0.1, -3.0], [2.0, -0.5]])
    x = xptorch.tensor(to_numpy(t))
    close(prune.L1Unstructured(amount=2).prune(x), torch.nn.utils.prune.L1Unstructured(amount=2).prune(t))
    close(prune.LnStructured(amount=1, n=1, dim=1).prune(x),
          torch.nn.utils.prune.LnStructured(amount=1, n=1, dim=1).prune(t))


def test_errors_leave_module_unchanged():
    cases = [
        lambda lib, m: lib.nn.utils.prune.l1_unstructured(m, "weight", amount=1.5),
        lambda lib, m: lib.nn.utils.prune.l1_unstructured(m, "weight", amount=-1),
        lambda lib, m: lib.nn.utils.prune.l1_unstructured(m, "weight", amount="a"),
        lambda lib, m: lib.nn.utils.prune.l1_unstructured(m, "weight", amount=100),
        lambda lib, m: lib.nn.utils.prune.ln_structured(m, "bias", amount=1, n=2, dim=0),
        lambda lib, m: lib.nn.utils.prune.ln_structured(m, "weight", amount=1, n=2, dim=2),
        lambda lib, m: lib.nn.utils.prune.remove(m, "weight"),
        lambda lib, m: lib.nn.utils.prune.global_unstructured(
            [(m, "weight")], pruning_method=lib.nn.utils.prune.LnStructured, amount=1, n=2, dim=0),
        lambda lib, m: lib.nn.utils.prune.global_unstructured(3, pruning_method=lib.nn.utils.prune.L1Unstructured),
    ]
    for case in cases:
        t_m = distinct(torch.nn.Linear(3, 4))
        x_m = twin(t_m, nn.Linear(3, 4), "cpu")
        check_error(lambda: case(torch, t_m), lambda: case(xptorch, x_m))
        # unchanged, key order included (torch re-registers the parameter last)
        assert list(x_m.state_dict()) == ["weight", "bias"] and not x_m._forward_pre_hooks
        assert "weight" not in x_m.__dict__
        for k, v in t_m.state_dict().items():
            close(x_m.state_dict()[k], v, what=k)


def test_failed_second_pruning_keeps_the_first():
    def run(lib):
        m = distinct(torch.nn.Linear(3, 4)) if lib is torch else twin(distinct(torch.nn.Linear(3, 4)), nn.Linear(3, 4),
                                                                         "cpu")
        lib.nn.utils.prune.l1_unstructured(m, "weight", amount=2)
        with pytest.raises(ValueError):
            lib.nn.utils.prune.l1_unstructured(m, "weight", amount=11)  # only 10 entries are left
        return m

    x_m = run(xptorch)
    hooks = [h for h, _ in x_m._forward_pre_hooks.values()]
    assert len(hooks) == 1 and type(hooks[0]).__name__ == "L1Unstructured"
    assert int(to_numpy(x_m.weight_mask).sum()) == 10
    x_m(xptorch.ones(1, 3))
    prune.l1_unstructured(x_m, "weight", amount=1)
    assert int(to_numpy(x_m.weight_mask).sum()) == 9


def test_to_device_and_deepcopy(device):
    m = nn.Linear(3, 4)
    prune.l1_unstructured(m, "weight", amount=5)
    orig = m.weight_orig
    m.to(device)
    assert m.weight_orig is orig and m.weight_mask.device.type == xptorch.device(device).type
    x = xptorch.ones(2, 3, device=device)
    out = m(x)
    # the weight attribute carries a graph, which deepcopy refuses (as torch); under no_grad it is a leaf
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(m)
    with xptorch.no_grad():
        m(x)
    c = copy.deepcopy(m)
    close(c(x), out)
    assert prune.is_pruned(c)
