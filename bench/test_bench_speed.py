"""Speed: Small-model eager overhead and large-model throughput, xptorch vs torch CPU."""
import pytest


def _mlp(nn, sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _lenet(nn):
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 6, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
                      nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2)),
        nn.Flatten(),
        nn.Sequential(nn.Linear(256, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10)),
    )


def _train_step(lib, net, X, y, loss_fn):
    opt = lib.optim.SGD(net.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()

    return step


def test_seed_mlp_forward(benchmark, lib):
    benchmark.group = "speed: seed MLP 4-8-1, batch 2: forward"
    net = _mlp(lib.nn, [4, 8, 1])
    X = lib.rand(2, 4)
    benchmark(net, X)


def test_seed_mlp_train_step(benchmark, lib):
    benchmark.group = "speed: seed MLP 4-8-1, batch 2: forward + backward + SGD step"
    net = _mlp(lib.nn, [4, 8, 1])
    X, y = lib.rand(2, 4), lib.rand(2, 1)
    benchmark(_train_step(lib, net, X, y, lib.nn.MSELoss()))


def test_mlp_784_train_step(benchmark, lib):
    benchmark.group = "speed: MLP 784-256-256-10, batch 128: train step"
    net = _mlp(lib.nn, [784, 256, 256, 10])
    X, y = lib.rand(128, 784), lib.randint(0, 10, (128,))
    benchmark(_train_step(lib, net, X, y, lib.nn.CrossEntropyLoss()))


def test_lenet_train_step(benchmark, lib):
    benchmark.group = "speed: seed LeNet, batch 64: train step"
    net = _lenet(lib.nn)
    X, y = lib.rand(64, 1, 28, 28), lib.randint(0, 10, (64,))
    benchmark(_train_step(lib, net, X, y, lib.nn.CrossEntropyLoss()))


def test_linear_4096_train_step(benchmark, lib):
    benchmark.group = "speed: Linear 4096x4096, batch 256: train step"
    net = lib.nn.Linear(4096, 4096)
    X, y = lib.rand(256, 4096), lib.rand(256, 4096)
    benchmark.pedantic(_train_step(lib, net, X, y, lib.nn.MSELoss()), rounds=5, warmup_rounds=1)
