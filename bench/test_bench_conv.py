"""Convolution nets and pooling: train steps and forwards of LeNet, a ResNet-style and a VGG-style net."""
import pytest

from nets import lenet, resnet, train_step, vgg
from sidebyside import compare

NETS = {
    "LeNet (sigmoid, AvgPool2d), batch 64": (lenet, (64, 1, 28, 28)),
    "ResNet-style (3 BasicBlocks, width 16), batch 32": (resnet, (32, 3, 32, 32)),
    "VGG-style (conv 64/128, BN, MaxPool), batch 16": (vgg, (16, 3, 32, 32)),
}


def _setup(lib, name):
    make, shape = NETS[name]
    lib.manual_seed(0)
    net = make(lib.nn)
    X = lib.rand(*shape)
    y = lib.randint(0, 10, (shape[0],))
    return net, X, y


@pytest.mark.parametrize("name", list(NETS))
def test_conv_net_train_step(benchmark, name):
    def build(lib):
        net, X, y = _setup(lib, name)
        return train_step(lib, net, X, y, lib.nn.CrossEntropyLoss())

    compare(benchmark, f"conv: {name}: train step", build)


@pytest.mark.parametrize("name", list(NETS))
def test_conv_net_forward(benchmark, name):
    def build(lib):
        net, X, _ = _setup(lib, name)
        return lambda: net(X)

    compare(benchmark, f"conv: {name}: forward", build)


@pytest.mark.parametrize("pool", ["AvgPool2d", "MaxPool2d"])
def test_pool_forward_backward(benchmark, pool):
    def build(lib):
        lib.manual_seed(0)
        x = lib.rand(64, 16, 28, 28, requires_grad=True)
        m = getattr(lib.nn, pool)(2, 2)
        return lambda: m(x).sum().backward()

    compare(benchmark, f"conv: {pool}(2, 2) forward+backward, 64x16x28x28", build)


@pytest.mark.parametrize("pool", ["AvgPool2d", "MaxPool2d"])
def test_pool_forward(benchmark, pool):
    def build(lib):
        lib.manual_seed(0)
        x = lib.rand(64, 16, 28, 28)
        m = getattr(lib.nn, pool)(2, 2)
        return lambda: m(x)

    compare(benchmark, f"conv: {pool}(2, 2) forward, 64x16x28x28", build)
