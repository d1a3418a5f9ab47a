"""nn: Building/iterating big Sequentials, state_dict round trips, the seed net's step."""
import pytest


def test_build_and_iterate_1000_layer_sequential(benchmark, lib):
    benchmark.group = "nn: build + iterate 1000-layer Sequential"
    nn = lib.nn

    def run():
        net = nn.Sequential(*[nn.ReLU() for _ in range(1000)])
        n = 0
        for _ in net.named_modules():
            n += 1
        for _ in net.parameters():
            n += 1
        return n

    benchmark(run)


def _deep(lib, n=100):
    nn = lib.nn
    return nn.Sequential(*[nn.Linear(16, 16) for _ in range(n)])


def test_state_dict_100_layers(benchmark, lib):
    benchmark.group = "nn: state_dict of 100 Linear layers"
    net = _deep(lib)
    benchmark(net.state_dict)


def test_load_state_dict_100_layers(benchmark, lib):
    benchmark.group = "nn: load_state_dict of 100 Linear layers"
    net = _deep(lib)
    sd = {k: v.clone() for k, v in net.state_dict().items()}
    benchmark(net.load_state_dict, sd)


def test_seed_net_forward_backward(benchmark, lib):
    benchmark.group = "nn: seed MLP 4-8-1 forward+backward, batch 2"
    nn = lib.nn
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    X = lib.rand(2, 4)

    def step():
        net(X).sum().backward()

    benchmark(step)


def test_cast_round_trip_100_layers(benchmark, lib):
    benchmark.group = "nn: .double().float() of 100 Linear layers"
    net = _deep(lib)
    benchmark(lambda: net.double().float())


def test_call_with_hooks(benchmark, lib):
    benchmark.group = "nn: Linear(16,16) forward+backward with a forward and a full backward hook, batch 8"
    m = lib.nn.Linear(16, 16)
    m.register_forward_hook(lambda mod, args, out: None)
    m.register_full_backward_hook(lambda mod, gin, gout: None)
    x = lib.randn(8, 16, requires_grad=True)

    def step():
        m(x).sum().backward()

    benchmark(step)
