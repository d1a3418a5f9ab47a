"""Speed: small-model eager overhead and large-model throughput."""
from nets import mlp, seed_lenet, train_step
from sidebyside import compare


def test_seed_mlp_forward(benchmark):
    def build(lib):
        net = mlp(lib.nn, [4, 8, 1])
        X = lib.rand(2, 4)
        return lambda: net(X)

    compare(benchmark, "speed: seed MLP 4-8-1, batch 2: forward", build)


def test_seed_mlp_train_step(benchmark):
    def build(lib):
        net = mlp(lib.nn, [4, 8, 1])
        return train_step(lib, net, lib.rand(2, 4), lib.rand(2, 1), lib.nn.MSELoss())

    compare(benchmark, "speed: seed MLP 4-8-1, batch 2: forward + backward + SGD step", build)


def test_mlp_784_train_step(benchmark):
    def build(lib):
        net = mlp(lib.nn, [784, 256, 256, 10])
        return train_step(lib, net, lib.rand(128, 784), lib.randint(0, 10, (128,)), lib.nn.CrossEntropyLoss())

    compare(benchmark, "speed: MLP 784-256-256-10, batch 128: train step", build)


def test_seed_lenet_train_step(benchmark):
    def build(lib):
        net = seed_lenet(lib.nn)
        return train_step(lib, net, lib.rand(64, 1, 28, 28), lib.randint(0, 10, (64,)), lib.nn.CrossEntropyLoss())

    compare(benchmark, "speed: seed LeNet (MaxPool), batch 64: train step", build)


def build_linear_4096(lib):
    """Module level: torch's side runs in its own process, with the malloc its users have."""
    net = lib.nn.Linear(4096, 4096)
    return train_step(lib, net, lib.rand(256, 4096), lib.rand(256, 4096), lib.nn.MSELoss())


def test_linear_4096_train_step(benchmark):
    compare(benchmark, "speed: Linear 4096x4096, batch 256: train step", build_linear_4096, rounds=5,
            round_s=0.001, torch_process=True)
