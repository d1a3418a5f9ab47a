"""Module.to / cuda / cpu / float / double / half / type and _apply against torch 2.13: every call returns
self, keeps each Parameter object (ties, optimiser references, existing .grad), and casts only floating
tensors. Device moves run on CPU and on CUDA (a real GPU, else the NumPy stand-in)."""
import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import same_repr  # noqa: E402


same = same_repr


def tied_net(lib):
    shared = lib.nn.Linear(4, 4)
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), shared, shared, lib.nn.BatchNorm1d(4),
                            lib.nn.Linear(4, 2))
    net[5].weight = lib.nn.Parameter(lib.ones(2, 4))
    net[0].weight.grad = lib.ones(4, 3)
    return net


def state(net):
    return [(n, t.dtype, t.device.type) for n, t in net.state_dict(keep_vars=True).items()]


CASTS = ["to(lib.float64)", "to(dtype=lib.float64)", "to('cpu', lib.float64)", "to('cpu', lib.float64, True)",
         "to(device='cpu', dtype=lib.float16)", "double()", "half()", "float()", "double().float()",
         "to(lib.ones(1, dtype=lib.float64))", "type(lib.float64)", "to()", "to(non_blocking=True)",
         "to(lib.device('cpu'))", "cpu()"]


@pytest.mark.parametrize("call", CASTS)
def test_casts_only_floating_tensors_and_returns_self(call):
    def run(lib):
        net = tied_net(lib)
        ids = [id(p) for p in net.parameters()]
        grad = net[0].weight.grad
        out = eval("net." + call, {"net": net, "lib": lib})
        return (out is net, state(net), [id(p) for p in net.parameters()] == ids, net[2].weight is net[3].weight,
                net[0].weight.grad is grad, net[0].weight.grad.dtype, [p.requires_grad for p in net.parameters()],
                [p.is_leaf for p in net.parameters()])

    same(run)


@pytest.mark.parametrize("call", ["to(lib.int64)", "to(dtype=lib.int32)", "to('cpu', lib.int32)", "to(lib.bool)",
                                  "to(lib.ones(1, dtype=lib.int64))"])
def test_integer_dtype_raises_and_changes_nothing(call):
    def run(lib):
        net = tied_net(lib)
        eval("net." + call, {"net": net, "lib": lib})

    err = same(run)
    net = tied_net(xptorch)
    before = state(net)
    with pytest.raises(TypeError):
        net.to(xptorch.int64)
    assert state(net) == before
    if call == "to(lib.int64)":
        assert str(err) == "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=xptorch.int64"


def test_values_survive_a_round_trip_of_casts():
    net = tied_net(xptorch)
    before = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
    net.double().float()
    for k, v in net.state_dict().items():
        assert v.cpu().numpy().tobytes() == before[k].tobytes(), k
    assert net.state_dict()["4.num_batches_tracked"].dtype == xptorch.int64


def test_version_is_unchanged_by_a_move():
    same(lambda lib: [p._version for p in lib.nn.Linear(2, 1).double().parameters()])


def test_buffers_are_replaced_parameters_are_kept():
    def run(lib):
        bn = lib.nn.BatchNorm1d(2)
        rm, w = bn.running_mean, bn.weight
        bn.double()
        return bn.running_mean is rm, rm.dtype, bn.weight is w, w.dtype

    same(run)


def test_plain_tensor_attributes_do_not_move():
    def run(lib):
        m = lib.nn.Linear(2, 1)
        m.t = lib.ones(1)
        m.double()
        return m.t.dtype

    same(run)


def test_child_apply_overrides_are_honoured():
    class Cached(nn.Module):
        def __init__(self):
            super().__init__()
            self.cache = xptorch.ones(2)

        def _apply(self, fn, recurse=True):
            super()._apply(fn, recurse)
            self.cache = fn(self.cache)
            return self

    net = nn.Sequential(nn.Sequential(Cached()))
    net.double()
    assert net[0][0].cache.dtype == xptorch.float64


def test_optimizer_keeps_working_after_a_cast():
    net = nn.Sequential(nn.Linear(2, 1))
    opt = xptorch.optim.SGD(net.parameters(), lr=0.5)
    net.double()
    x = xptorch.ones(3, 2, dtype=xptorch.float64)
    before = net[0].weight.detach().clone()
    net(x).sum().backward()
    opt.step()
    assert net[0].weight.dtype == xptorch.float64
    np.testing.assert_allclose(net[0].weight.detach().cpu().numpy(), before.cpu().numpy() - 0.5 * 3, rtol=1e-12)


# ---- device moves -------------------------------------------------------------------------------------

def test_to_device_keeps_objects_ties_and_grads(device):
    net = tied_net(xptorch)
    params = list(net.parameters())
    n_named = len(list(net.named_parameters()))
    grad = net[0].weight.grad
    before = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
    assert net.to(device) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert len(list(net.named_parameters())) == n_named
    assert net[2].weight is net[3].weight and net[2] is net[3]
    dev = "cuda:0" if device == "cuda" else "cpu"
    assert all(str(t.device) == dev for t in net.state_dict().values())
    assert net[0].weight.grad is grad and str(grad.device) == dev
    assert net.state_dict()["4.num_batches_tracked"].dtype == xptorch.int64
    assert net.cpu() is net
    for k, v in net.state_dict().items():
        assert v.device.type == "cpu" and v.cpu().numpy().tobytes() == before[k].tobytes(), k


def test_cuda_moves_and_training_continues_on_device(simulated_cuda):
    xptorch.manual_seed(0)
    shared = nn.Linear(4, 4)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), shared, nn.ReLU(), shared, nn.Linear(4, 1))
    opt = xptorch.optim.SGD(net.parameters(), lr=0.1)
    x = xptorch.randn(5, 3)
    net(x).sum().backward()
    ref = [p.grad.cpu().numpy().copy() for p in net.parameters()]
    assert net.cuda() is net
    assert all(str(p.device) == "cuda:0" for p in net.parameters())
    assert all(str(p.grad.device) == "cuda:0" for p in net.parameters())
    xc = x.to("cuda")
    net(xc).sum().backward()  # accumulates into the moved .grad
    for p, r in zip(net.parameters(), ref):
        assert str(p.grad.device) == "cuda:0"
        np.testing.assert_allclose(p.grad.cpu().numpy(), 2 * r, rtol=1e-5, atol=1e-6)
    opt.step()  # the optimiser's references are the moved parameters
    assert all(str(p.device) == "cuda:0" for p in opt.param_groups[0]["params"])
    assert net(xc).device.type == "cuda"


def test_round_trip_through_cuda_is_bit_identical(simulated_cuda):
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    before = {k: v.cpu().numpy().copy() for k, v in net.state_dict().items()}
    net.to("cuda").to("cpu")
    for k, v in net.state_dict().items():
        assert v.device.type == "cpu" and v.cpu().numpy().tobytes() == before[k].tobytes()
        assert str(v.dtype) == "xptorch." + str(before[k].dtype)
    net.cuda(0)
    assert str(net[0].weight.device) == "cuda:0"
    net.to(device="cuda:0", dtype=xptorch.float64)
    assert net[0].weight.dtype == xptorch.float64 and net[1].num_batches_tracked.dtype == xptorch.int64


@pytest.mark.parametrize("build", ["linear", "linear_nobias", "fused", "unfused"])
@pytest.mark.parametrize("where", ["model", "input"])
def test_mixing_devices_in_forward_raises(simulated_cuda, build, where):
    def make():
        return {"linear": lambda: nn.Linear(2, 3), "linear_nobias": lambda: nn.Linear(2, 3, bias=False),
                "fused": lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU()),
                "unfused": lambda: nn.Sequential(nn.Linear(2, 3), nn.Tanh())}[build]()

    net = make()
    x = xptorch.ones(4, 2)
    if where == "model":
        net.cuda()
    else:
        x = x.cuda()
    before = [p.detach().cpu().numpy().copy() for p in net.parameters()]
    with pytest.raises(RuntimeError) as e:
        net(x)
    # torch 2.13 words this per kernel ("... but got mat1 is on cpu, different from other tensors on cuda:0
    # (when checking argument in method wrapper_CUDA_addmm)"); both devices must be named either way.
    msg = str(e.value)
    assert msg.startswith("Expected all tensors to be on the same device, but ") and "cpu" in msg and "cuda:0" in msg
    assert all(np.array_equal(p.detach().cpu().numpy(), b) for p, b in zip(net.parameters(), before))


def test_to_empty_keeps_parameters(simulated_cuda):
    net = nn.Linear(2, 2)
    w = net.weight
    assert net.to_empty(device="cuda") is net
    assert net.weight is w and str(w.device) == "cuda:0" and w.requires_grad
