"""Tied parameters against torch 2.13: listed once, saved under every name, one object, one storage,
gradients summed over uses and accumulated over backward calls; nn.utils.tied_parameters."""
import copy

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import on_cpu_terms, xp_message  # noqa: E402


def same(fn):
    t, x = fn(torch), fn(xptorch)
    assert on_cpu_terms(repr(x)) == xp_message(repr(t))
    return x


def shared_net(lib):
    """The seeds' network: one Linear(8, 8) used twice."""
    shared = lib.nn.Linear(8, 8)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), shared, lib.nn.ReLU(), shared, lib.nn.ReLU(),
                             lib.nn.Linear(8, 1))


def test_listed_once_saved_under_every_name():
    def run(lib):
        net = shared_net(lib)
        return ([n for n, _ in net.named_parameters()], len(list(net.parameters())), list(net.state_dict()),
                [n for n, _ in net.named_parameters(remove_duplicate=False)], [n for n, _ in net.named_modules()])

    same(run)


def test_one_object_one_storage():
    def run(lib):
        net = shared_net(lib)
        out = [id(net[2]) == id(net[4]), id(net[2].weight) == id(net[4].weight)]
        out.append((net[2].weight.data[0] == net[4].weight.data[0]).tolist())
        net[2].weight.data[0, 0] = 100
        net[2].bias.data[7] = 100
        out.append((net[2].weight.data[0] == net[4].weight.data[0]).tolist())
        sd = net.state_dict()
        out.append(sd["2.weight"][0, 0].item() == sd["4.weight"][0, 0].item() == 100)
        out.append(sd["4.bias"][7].item())
        return out

    assert same(run)[:2] == [True, True]


def test_gradients_sum_over_uses_and_accumulate():
    def run(lib):
        linear = lib.nn.Linear(1, 1, bias=False)
        net = lib.nn.Sequential(linear, linear)
        for _, p in net.named_parameters():
            lib.nn.init.constant_(p, val=3)
        x = lib.ones(1, 1)
        y = net(x).sum()
        y.backward()
        first = net[0].weight.grad.clone()
        net(x).sum().backward()
        return y, first, net[0].weight.grad, net[1].weight.grad is net[0].weight.grad

    y, first, second, shared = same(run)
    assert repr(first) == "tensor([[6.]])" and repr(second) == "tensor([[12.]])" and shared


def test_gradients_of_the_seed_network_match_torch():
    tnet = shared_net(torch)
    xnet = shared_net(xptorch)
    xnet.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in tnet.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    for _ in range(2):
        tnet(torch.tensor(x)).sum().backward()
        xnet(xptorch.tensor(x)).sum().backward()
    for (n, p), (_, q) in zip(xnet.named_parameters(), tnet.named_parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.cpu().numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


def test_weight_tied_between_different_modules():
    def run(lib):
        a, b = lib.nn.Linear(3, 3), lib.nn.Linear(3, 3)
        b.weight = a.weight
        net = lib.nn.Sequential(a, lib.nn.Tanh(), b)
        with lib.no_grad():
            a.weight.copy_(lib.arange(9.0).reshape(3, 3) / 10)
            a.bias.zero_()
            b.bias.fill_(0.5)
        net(lib.tensor([[1.0, -1.0, 2.0]])).sum().backward()
        return [n for n, _ in net.named_parameters()], list(net.state_dict()), a.weight.grad, b.weight.grad is a.weight.grad

    same(run)


def test_loading_a_state_dict_keeps_the_tie():
    net = shared_net(xptorch)
    sd = {k: v.clone() + 1 for k, v in net.state_dict().items()}
    sd["4.weight"] = sd["2.weight"]
    net.load_state_dict(sd)
    assert net[2].weight is net[4].weight
    np.testing.assert_array_equal(net[4].weight.detach().cpu().numpy(), sd["2.weight"].cpu().numpy())


def test_ties_survive_deepcopy_and_moves(device):
    net = shared_net(xptorch)
    twin = copy.deepcopy(net)
    assert twin[2].weight is twin[4].weight and twin[2].weight is not net[2].weight
    net.to(device).double()
    assert net[2].weight is net[4].weight and len(list(net.parameters())) == 6


def test_tied_parameters_groups_names():
    assert nn.utils.tied_parameters(shared_net(xptorch)) == [["2.weight", "4.weight"], ["2.bias", "4.bias"]]
    lin = nn.Linear(1, 1, bias=False)
    assert nn.utils.tied_parameters(nn.Sequential(lin, lin)) == [["0.weight", "1.weight"]]
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    m = nn.Sequential(a, b)
    m.extra = a.bias
    # First appearance in traversal order: the root's own parameter comes before its children's.
    assert nn.utils.tied_parameters(m) == [["extra", "0.bias"], ["0.weight", "1.weight"]]
    assert nn.utils.tied_parameters(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))) == []
    # Every group is one Parameter object reached under several names.
    net = shared_net(xptorch)
    for group in nn.utils.tied_parameters(net):
        assert len({id(net.get_parameter(n)) for n in group}) == 1
