"""Seed 002: init through self.modules() and net.apply(), LeNet parameter names, sharing."""
import math
import sys

import numpy as np
import pytest

from seedlib import copy_weights, libs, normalise

torch = pytest.importorskip("torch")


def network_cls(nn, torch):
    """The seed's Network with its typos fixed (super(), self, a 3x3 kernel)."""

    class Network(nn.Module):
        def __init__(self):
            super().__init__()
            self.Conv2d = nn.Conv2d(3, 10, 3)
            self.bn = nn.BatchNorm2d(10)
            self.relu = nn.ReLU()
            self._init_weight()

        def forward(self, x):
            x = self.Conv2d(x)
            x = self.bn(x)
            return self.relu(x)

        def _init_weight(self):
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    torch.nn.init.kaiming_normal_(m.weight)
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.data.fill_(1)
                    m.bias.data.zero_()

    return Network


def lenet_cls(nn):
    class LeNet(nn.Module):
        def __init__(self):
            super(LeNet, self).__init__()
            self.conv = nn.Sequential(
                nn.Conv2d(1, 6, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
                nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
            )
            self.fc = nn.Sequential(
                nn.Linear(16 * 4 * 4, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10)
            )

        def forward(self, img):
            feature = self.conv(img)
            return self.fc(feature.view(img.shape[0], -1))

    return LeNet


def test_network_init_through_modules(device):
    (xt, xnn, _), (tt, tnn, _) = libs(torch)
    net = network_cls(xnn, xt)().to(device)
    ref = network_cls(tnn, tt)()
    assert repr(net) == normalise(repr(ref))
    w = net.Conv2d.weight.detach().cpu().numpy()
    fan_in = 3 * 3 * 3
    assert abs(w.std() - math.sqrt(2 / fan_in)) < 0.25 * math.sqrt(2 / fan_in)
    assert np.all(net.bn.weight.detach().cpu().numpy() == 1) and np.all(net.bn.bias.detach().cpu().numpy() == 0)
    out = net(xt.rand(2, 3, 8, 8, device=device))
    assert tuple(out.shape) == (2, 10, 6, 6) and float(out.min()) >= 0


def test_weight_init_via_apply(device):
    (xt, xnn, _), _ = libs(torch)

    class NET(xnn.Module):
        def __init__(self):
            super().__init__()
            self.c3 = xnn.Conv3d(2, 4, 3)
            self.b3 = xnn.BatchNorm3d(4)
            self.fc = xnn.Linear(8, 3)

    def weight_init(m):
        if isinstance(m, xnn.Conv3d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.kernel_size[2] * m.out_channels
            m.weight.data.normal_(0, math.sqrt(2.0 / n))
            m.bias.data.zero_()
        elif isinstance(m, xnn.BatchNorm3d):
            m.weight.data.fill_(1)
            m.bias.data.zero_()
        elif isinstance(m, xnn.Linear):
            m.weight.data.normal_(0, 0.02)
            m.bias.data.zero_()

    net = NET().to(device)
    assert net.apply(weight_init) is net
    assert float(net.c3.bias.abs().sum()) == 0 and float(net.fc.bias.abs().sum()) == 0
    assert float(net.fc.weight.abs().max()) < 0.02 * 6
    assert float(net.b3.weight.sum()) == 4


def test_lenet_names_shapes_and_train_step(device):
    (xt, xnn, _), (tt, tnn, _) = libs(torch)
    ref = lenet_cls(tnn)()
    net = copy_weights(ref, lenet_cls(xnn)(), device)
    got = [(n, list(p.size())) for n, p in net.named_parameters()]
    assert got == [(n, list(p.size())) for n, p in ref.named_parameters()]
    assert got[0] == ("conv.0.weight", [6, 1, 5, 5]) and got[-1] == ("fc.4.bias", [10])
    img = tt.rand(64, 1, 28, 28)
    out_t = ref(img)
    out_t.sum().backward()
    out_x = net(xt.tensor(img.numpy()).to(device))
    out_x.sum().backward()
    np.testing.assert_allclose(out_x.detach().cpu().numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    for (n, p), (_, q) in zip(net.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-3, atol=1e-5, err_msg=n)


def test_state_dict_of_one_layer(device):
    (xt, xnn, _), (tt, tnn, _) = libs(torch)
    ref = tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Linear(8, 1))
    net = copy_weights(ref, xnn.Sequential(xnn.Linear(4, 8), xnn.ReLU(), xnn.Linear(8, 1)), "cpu")
    assert repr(net[2].state_dict()) == normalise(repr(ref[2].state_dict()))
    # Python's own OrderedDict repr: OrderedDict([('weight', ...)]) up to 3.11, OrderedDict({'weight': ...}) since.
    start = "OrderedDict([('weight', " if sys.version_info < (3, 12) else "OrderedDict({'weight': "
    assert repr(net[2].state_dict()).startswith(start + "tensor([[")
