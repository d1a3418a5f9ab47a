"""Seed 001: state_dict, targeted parameters, nested blocks, apply-based init, tied layers."""
import collections

import numpy as np
import pytest

from seedlib import capture, copy_weights, libs, mask_numbers, normalise

torch = pytest.importorskip("torch")


def mlp(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def block1(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2(nn, sep):
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f"block{sep}{i}", block1(nn))
    return net


def rgnet(nn, sep):
    return nn.Sequential(block2(nn, sep), nn.Linear(4, 1))


def _pair(device, builder):
    (xt, xnn, xinit), (tt, tnn, tinit) = libs(torch)
    tnet = builder(tnn)
    xnet = copy_weights(tnet, builder(xnn), device)
    X = tt.rand(size=(2, 4))
    return (xt, xnn, xinit, xnet, xt.tensor(X.numpy()).to(device)), (tt, tnn, tinit, tnet, X)


def cell_access(torch, nn, init, net, X):
    print(net(X).detach().cpu())
    print(collections.OrderedDict((k, v.cpu()) for k, v in net[2].state_dict().items()))
    print(type(net[2].bias))
    print(net[2].bias.detach().cpu().requires_grad_())
    print(net[2].bias.data.cpu())
    print(net[2].weight.grad == None)  # noqa: E711  (the notebook's spelling)
    print(*[(name, param.shape) for name, param in net[0].named_parameters()])
    print(*[(name, param.shape) for name, param in net.named_parameters()])
    print(net.state_dict()["2.bias"].data.cpu())


def test_parameter_access_matches_torch(device):
    xs, ts = _pair(device, mlp)
    out_x, _ = capture(cell_access, *xs)
    out_t, _ = capture(cell_access, *ts)
    out_x = out_x.replace(", device='cuda:0'", "")
    assert out_x == normalise(out_t)
    assert "('weight', xptorch.Size([8, 4])) ('bias', xptorch.Size([8]))" in out_x
    assert "<class 'xptorch.nn.parameter.Parameter'>" in out_x


def test_forward_prints_addmm_grad_fn(device):
    xs, _ = _pair(device, mlp)
    xt, _, _, net, X = xs
    out = repr(net(X))
    assert out.endswith("grad_fn=<AddmmBackward0>)")


@pytest.mark.parametrize("sep", ["", " "])
def test_nested_blocks_repr_names_and_values(device, sep):
    xs, ts = _pair(device, lambda nn: rgnet(nn, sep))
    xnet, tnet = xs[3], ts[3]
    assert repr(xnet) == normalise(repr(tnet))
    assert list(xnet.state_dict()) == list(tnet.state_dict())
    assert f"0.block{sep}0.0.weight" in xnet.state_dict()
    out_x = xnet(xs[4])
    np.testing.assert_allclose(out_x.detach().cpu().numpy(), tnet(ts[4]).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert repr(xnet[0][1][0].bias.data.cpu()) == normalise(repr(tnet[0][1][0].bias.data))
    assert xnet[0][1][0].bias is getattr(xnet[0], f"block{sep}1")[0].bias


def cell_apply_inits(torch, nn, init, net, X):
    def init_normal(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, mean=0, std=0.01)
            nn.init.zeros_(m.bias)

    net.apply(init_normal)
    print(net[0].weight.data[0].cpu(), net[0].bias.data[0].cpu())

    def init_constant(m):
        if type(m) == nn.Linear:
            nn.init.constant_(m.weight, 1)
            nn.init.zeros_(m.bias)

    net.apply(init_constant)
    print(net[0].weight.data[0].cpu(), net[0].bias.data[0].cpu())

    def init_xavier(m):
        if type(m) == nn.Linear:
            nn.init.xavier_uniform_(m.weight)

    def init_42(m):
        if type(m) == nn.Linear:
            nn.init.constant_(m.weight, 42)

    net[0].apply(init_xavier)
    net[2].apply(init_42)
    print(net[0].weight.data[0].cpu())
    print(net[2].weight.data.cpu())

    def my_init(m):
        if type(m) == nn.Linear:
            print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
            nn.init.uniform_(m.weight, -10, 10)
            m.weight.data *= m.weight.data.abs() >= 5

    net.apply(my_init)
    print(net[0].weight[:2].cpu() if str(net[0].weight.device) == "cpu" else net[0].weight[:2])
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    print(net[0].weight.data[0].cpu())


def test_apply_inits_match_torch_structure(device):
    xs, ts = _pair(device, mlp)
    out_x, _ = capture(cell_apply_inits, *xs)
    out_t, _ = capture(cell_apply_inits, *ts)
    assert mask_numbers(out_x) == mask_numbers(normalise(out_t))
    assert "tensor([1., 1., 1., 1.]) tensor(0.)" in out_x
    assert "tensor([[42., 42., 42., 42., 42., 42., 42., 42.]])" in out_x
    assert "Init weight xptorch.Size([8, 4])" in out_x and "Init weight xptorch.Size([1, 8])" in out_x
    assert "grad_fn=<SliceBackward0>)" in out_x
    w = xs[3][0].weight.detach().cpu().numpy()
    assert w[0, 0] == 42
    # after the +1 shift, entries were either 0 (now 1) or |u| >= 5
    rest = w.ravel()[1:] - 1
    assert np.all((rest == 0) | (np.abs(rest) >= 5))


def test_xavier_bound_and_normal_std(device):
    (xt, xnn, _), _ = libs(torch)
    lin = xnn.Linear(400, 300).to(device)
    xnn.init.xavier_uniform_(lin.weight)
    bound = (6 / (400 + 300)) ** 0.5
    w = lin.weight.detach().cpu().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound


def cell_tied(torch, nn, init, net_unused, X):
    shared = nn.Linear(8, 8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))
    net = net.to(X.device)
    net(X)
    print(net[2].weight.data[0].cpu() == net[4].weight.data[0].cpu())
    net[2].weight.data[0, 0] = 100
    print(net[2].weight.data[0].cpu() == net[4].weight.data[0].cpu())
    print(net[4].weight.data[0, 0].cpu())
    return net


def test_tied_layers(device):
    xs, ts = _pair(device, mlp)
    out_x, net = capture(cell_tied, *xs)
    out_t, _ = capture(cell_tied, *ts)
    assert out_x == normalise(out_t)
    assert out_x.count("tensor([True, True, True, True, True, True, True, True])") == 2
    assert net[2].weight is net[4].weight
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias", "6.weight", "6.bias"]
    assert [n for n in net.state_dict()] == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"
    ]
