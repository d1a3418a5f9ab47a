"""nn: building/iterating big Sequentials, state_dict round trips, hooks, the seed net's step."""
from sidebyside import compare


def test_build_and_iterate_1000_layer_sequential(benchmark):
    def build(lib):
        nn = lib.nn

        def run():
            net = nn.Sequential(*[nn.ReLU() for _ in range(1000)])
            n = 0
            for _ in net.named_modules():
                n += 1
            for _ in net.parameters():
                n += 1
            return n

        return run

    compare(benchmark, "nn: build + iterate 1000-layer Sequential", build)


def _deep(lib, n=100):
    nn = lib.nn
    return nn.Sequential(*[nn.Linear(16, 16) for _ in range(n)])


def test_state_dict_100_layers(benchmark):
    compare(benchmark, "nn: state_dict of 100 Linear layers", lambda lib: _deep(lib).state_dict)


def test_load_state_dict_100_layers(benchmark):
    def build(lib):
        net = _deep(lib)
        sd = {k: v.clone() for k, v in net.state_dict().items()}
        return lambda: net.load_state_dict(sd)

    compare(benchmark, "nn: load_state_dict of 100 Linear layers", build)


def test_seed_net_forward_backward(benchmark):
    def build(lib):
        nn = lib.nn
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        X = lib.rand(2, 4)
        return lambda: net(X).sum().backward()

    compare(benchmark, "nn: seed MLP 4-8-1 forward+backward, batch 2", build)


def test_cast_round_trip_100_layers(benchmark):
    def build(lib):
        net = _deep(lib)
        return lambda: net.double().float()

    compare(benchmark, "nn: .double().float() of 100 Linear layers", build)


def test_call_with_hooks(benchmark):
    def build(lib):
        m = lib.nn.Linear(16, 16)
        m.register_forward_hook(lambda mod, args, out: None)
        m.register_full_backward_hook(lambda mod, gin, gout: None)
        x = lib.randn(8, 16, requires_grad=True)
        return lambda: m(x).sum().backward()

    compare(benchmark, "nn: Linear(16,16) forward+backward with a forward and a full backward hook, batch 8", build)
