"""Seed 004: seeded init, isinstance vs type, custom distributions, ties through state_dict."""
import numpy as np
import pytest

from seedlib import libs, normalise

torch = pytest.importorskip("torch")


def mlp(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def test_manual_seed_makes_init_reproducible(device):
    (xt, xnn, _), _ = libs(torch)
    net = mlp(xnn).to(device)

    def init_normal(m):
        if type(m) == xnn.Linear:
            xnn.init.normal_(m.weight, mean=0, std=0.01)
            xnn.init.zeros_(m.bias)

    def init_normal_(m):
        if isinstance(m, xnn.Linear):
            xnn.init.normal_(m.weight, mean=0, std=0.01)
            xnn.init.zeros_(m.bias)

    xt.manual_seed(0)
    net.apply(init_normal)
    first = net[0].weight.data[0].cpu().numpy().copy()
    xt.manual_seed(0)
    net.apply(init_normal_)
    np.testing.assert_array_equal(net[0].weight.data[0].cpu().numpy(), first)
    assert float(net[0].bias.data[0]) == 0.0
    assert repr(net[0].bias.data[0].cpu()) == "tensor(0.)"


def test_custom_distribution_shape(device):
    (xt, xnn, _), _ = libs(torch)
    lin = xnn.Linear(200, 200).to(device)
    xnn.init.uniform_(lin.weight, -10, 10)
    lin.weight.data *= lin.weight.data.abs() >= 5
    w = lin.weight.detach().cpu().numpy()
    zero = np.mean(w == 0)
    n = w.size
    assert abs(zero - 0.5) < 5 * np.sqrt(0.25 / n)
    nz = w[w != 0]
    assert np.all((np.abs(nz) >= 5) & (np.abs(nz) < 10))
    assert abs(np.mean(nz > 0) - 0.5) < 5 * np.sqrt(0.25 / nz.size)


def test_tied_state_dict_shows_edit_everywhere(device):
    (xt, xnn, _), (tt, tnn, _) = libs(torch)
    shared = xnn.Linear(8, 8)
    net = xnn.Sequential(xnn.Linear(4, 8), xnn.ReLU(), shared, xnn.ReLU(), shared, xnn.ReLU(), xnn.Linear(8, 1))
    net = net.to(device)
    net(xt.rand(2, 4, device=device))
    net[2].weight.data[0, 0] = 100
    net[2].bias.data[7] = 100
    print_x = repr(shared.state_dict()["weight"].cpu())
    assert print_x.startswith("tensor([[ 1.0000e+02,")
    assert float(net.state_dict()["4.weight"][0, 0]) == 100
    assert float(net.state_dict()["4.bias"][7]) == 100
    # scientific mode kicks in exactly as torch's would for the same values
    ref = tt.tensor(shared.weight.detach().cpu().numpy())
    assert print_x == normalise(repr(ref))
    assert xnn.utils.tied_parameters(net) == [["2.weight", "4.weight"], ["2.bias", "4.bias"]]
