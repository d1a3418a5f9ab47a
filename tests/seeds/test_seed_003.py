"""Seed 003: state_dict printing of a whole net, nested 'block i' names, sharing and gradients."""
import numpy as np
import pytest

from seedlib import copy_weights, libs, normalise

torch = pytest.importorskip("torch")


def mlp(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def test_state_dict_reprs_match_torch():
    (xt, xnn, _), (tt, tnn, _) = libs(torch)
    ref = mlp(tnn)
    net = copy_weights(ref, mlp(xnn))
    assert repr(net.state_dict()) == normalise(repr(ref.state_dict()))
    pair_x = (net[0].state_dict(), net[2].state_dict())
    pair_t = (ref[0].state_dict(), ref[2].state_dict())
    assert repr(pair_x) == normalise(repr(pair_t))
    assert repr((net[2].bias, net[2].bias.data)) == normalise(repr((ref[2].bias, ref[2].bias.data)))
    assert type(net[2].weight.grad).__name__ == "NoneType"


def test_state_dict_values_are_detached_aliases(device):
    (xt, xnn, _), _ = libs(torch)
    net = mlp(xnn).to(device)
    sd = net.state_dict()
    assert not sd["0.weight"].requires_grad and sd["0.weight"].grad_fn is None
    sd["0.weight"][0, 0] = 123.0
    assert float(net[0].weight[0, 0]) == 123.0
    assert net.state_dict(keep_vars=True)["0.weight"] is net[0].weight


def test_nested_blocks_with_spaces(device):
    (xt, xnn, _), (tt, tnn, _) = libs(torch)

    def block1(nn):
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())

    def block2(nn):
        net = nn.Sequential()
        for i in range(4):
            net.add_module(f"block {i}", block1(nn))
        return net

    ref = tnn.Sequential(block2(tnn), tnn.Linear(4, 1))
    net = copy_weights(ref, xnn.Sequential(block2(xnn), xnn.Linear(4, 1)), device)
    assert repr(net) == normalise(repr(ref))
    assert list(net.state_dict())[0] == "0.block 0.0.weight"
    X = tt.rand(size=(2, 4))
    y = net(xt.tensor(X.numpy()).to(device))
    np.testing.assert_allclose(y.detach().cpu().numpy(), ref(X).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert y.grad_fn.name() == "AddmmBackward0"


def test_shared_layer_gradients_add_up(device):
    (xt, xnn, _), _ = libs(torch)
    shared = xnn.Linear(8, 8)
    net = xnn.Sequential(xnn.Linear(4, 8), xnn.ReLU(), shared, xnn.ReLU(), shared, xnn.ReLU(), xnn.Linear(8, 1))
    net = net.to(device)
    X = xt.rand(2, 4, device=device)
    # per-use gradients through autograd.grad on the two outputs of the shared layer
    h1 = net[1](net[0](X))
    a = shared(h1)
    b = shared(net[3](a))
    out = net[6](net[5](b)).sum()
    out.backward()
    total = shared.weight.grad.cpu().numpy()
    # recompute per use with the same values
    g_use = []
    for use in range(2):
        shared.weight.grad = None
        w_frozen = shared.weight.detach()
        h1 = net[1](net[0](X))
        if use == 0:
            a = shared(h1)
            b = xt.nn.functional.linear(net[3](a), w_frozen, shared.bias.detach())
        else:
            a = xt.nn.functional.linear(h1, w_frozen, shared.bias.detach())
            b = shared(net[3](a))
        net[6](net[5](b)).sum().backward()
        g_use.append(shared.weight.grad.cpu().numpy())
    np.testing.assert_allclose(g_use[0] + g_use[1], total, rtol=1e-5, atol=1e-7)
    assert net[2].weight is net[4].weight
