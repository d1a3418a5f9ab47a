"""Ops, autograd and optimisers on CUDA device 1 while device 0 is current: they run on their tensors' device,
as under PyTorch's device guard (two GPUs of the strict CuPy stand-in, whose kernels refuse another device's
arrays as CuPy does without peer access)."""
import copy

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")


@pytest.fixture
def gpus(monkeypatch, strict_cuda):
    strict_cuda.set_device_count(2)
    monkeypatch.setattr(xptorch.cuda, "_tracking", False)
    monkeypatch.setattr(xptorch.cuda, "_peaks", {})
    yield strict_cuda


def _on1(t):
    """t (a torch tensor) as an xptorch tensor on cuda:1, made while device 0 is current."""
    return xptorch.tensor(t.detach().numpy(), device="cuda:1", requires_grad=t.requires_grad)


def _same(x, t):
    assert x.device == xptorch.device("cuda", 1) and x._data.device.id == 1
    np.testing.assert_allclose(x.detach().cpu().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


OPS = {
    "add_mul": lambda m, a, b: (a + b * 2 - 1) / 3,
    "exp_where": lambda m, a, b: m.where(a > 0, a.exp(), b.sin()),
    "sum_mean": lambda m, a, b: a.sum(dim=1) + b.mean(dim=1),
    "amax_std": lambda m, a, b: a.amax(dim=0) * b.std(dim=0),
    "matmul": lambda m, a, b: a @ b.T,
    "cat_softmax": lambda m, a, b: m.cat([a, b]).softmax(dim=-1),
    "cpu_scalar": lambda m, a, b: a * m.tensor(2.0) + b.sub(m.tensor(1.5)),
    "relu_linear": lambda m, a, b: m.nn.functional.linear(m.relu(a), b, b[0]),
}


@pytest.mark.parametrize("name", OPS)
def test_op_and_its_backward_on_the_device_that_is_not_current(gpus, name):
    g = torch.Generator().manual_seed(0)
    ta, tb = (torch.randn(3, 3, generator=g, requires_grad=True) for _ in range(2))
    a, b = _on1(ta), _on1(tb)
    assert xptorch.cuda.current_device() == 0
    out, tout = OPS[name](xptorch, a, b), OPS[name](torch, ta, tb)
    _same(out, tout)
    out.square().sum().backward()
    tout.square().sum().backward()
    _same(a.grad, ta.grad)
    _same(b.grad, tb.grad)
    assert xptorch.cuda.current_device() == 0
    assert out.sum().item() == pytest.approx(tout.sum().item(), rel=1e-5)
    np.testing.assert_allclose(out.tolist(), tout.tolist(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opt", ["SGD", "Adam", "Adam-foreach", "SGD-foreach", "SGD-scaler"])
def test_module_trains_on_the_device_that_is_not_current(gpus, opt):
    name, _, flag = opt.partition("-")
    scaled = flag == "scaler"
    kw = {"lr": 0.1} | ({flag: True} if flag and not scaled else {})
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    net.load_state_dict({k: xptorch.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    assert net.to("cuda:1") is net
    topt = getattr(torch.optim, name)(tnet.parameters(), **kw)
    xopt = getattr(xptorch.optim, name)(net.parameters(), **kw)
    tx = torch.randn(3, 4)
    x = _on1(tx)
    scalers = (torch.amp.GradScaler("cpu", init_scale=64.0), xptorch.amp.GradScaler("cuda", init_scale=64.0))
    for _ in range(2):
        losses = []
        for o, m, inp, sc in ((topt, tnet, tx, scalers[0]), (xopt, net, x, scalers[1])):
            o.zero_grad()
            losses.append(m(inp).square().mean())
            if scaled:
                sc.scale(losses[-1]).backward()
                sc.unscale_(o)
            else:
                losses[-1].backward()
            (torch if o is topt else xptorch).nn.utils.clip_grad_norm_(m.parameters(), 0.5)
            if scaled:
                sc.step(o)
                sc.update()
            else:
                o.step()
        _same(losses[1], losses[0])
    assert xptorch.cuda.current_device() == 0
    for p, tp in zip(net.parameters(), tnet.parameters()):
        _same(p, tp)
        _same(p.grad, tp.grad)
    _same(nn.utils.parameters_to_vector(net.parameters()), torch.nn.utils.parameters_to_vector(tnet.parameters()))


def test_random_ops_use_the_generator_of_the_tensors_device(gpus):
    x = xptorch.ones(1000, device="cuda:1")
    xptorch.cuda.manual_seed_all(3)
    y = nn.functional.dropout(x, 0.5)
    r = xptorch.rand_like(x)
    assert y._data.device.id == 1 and r._data.device.id == 1 and 300 < int((y == 0).sum()) < 700
    xptorch.cuda.manual_seed_all(3)
    with xptorch.cuda.device(1):  # the same numbers as with device 1 current
        np.testing.assert_array_equal(nn.functional.dropout(x, 0.5).cpu().numpy(), y.cpu().numpy())
        np.testing.assert_array_equal(xptorch.rand_like(x).cpu().numpy(), r.cpu().numpy())
    f = xptorch.randn(3, device="cuda:1")
    assert f._data.device.id == 1 and xptorch.cuda.current_device() == 0


def test_device_contexts_and_the_current_device_still_count(gpus):
    x = xptorch.ones(2, device="cuda:1")
    with xptorch.cuda.device(1):
        y = x * 3
        z = xptorch.zeros(2, device="cuda")  # 'cuda' is the current device
        assert xptorch.cuda.current_device() == 1
    assert z.device.index == 1 and y._data.device.id == 1
    assert xptorch.zeros_like(x, device="cuda").device.index == 0  # resolved with device 0 current
    assert x.cuda().device.index == 0 and x.to("cuda").device.index == 0
    assert (x + 1).to("cuda:0")._data.device.id == 0 and xptorch.cuda.current_device() == 0
    xptorch.cuda.set_device(1)
    w = xptorch.ones(2, device="cuda:0")
    assert (w * 2)._data.device.id == 0 and xptorch.cuda.current_device() == 1
    xptorch.cuda.set_device(0)


def test_mixed_devices_are_still_refused(gpus):
    a = xptorch.ones(3, device="cuda:1", requires_grad=True)
    b = xptorch.ones(3, device="cuda:0")
    tr = torch.ones(3)
    for op in (lambda: a + b, lambda: a @ b, lambda: xptorch.cat([a, b]), lambda: b * a):
        with pytest.raises(RuntimeError, match=r"Expected all tensors to be on the same device, but found at "
                                               r"least two devices, cuda:(1 and cuda:0|0 and cuda:1)!"):
            op()
    # A graph across devices: each node runs on its own device.
    h = a * 2
    c = h.to("cuda:0") * b + (h * h).to("cuda:0")  # two gradients meet at h, on cuda:1
    for _ in range(2):  # the second one accumulates into a.grad on cuda:1
        c.sum().backward(retain_graph=True)
    ta = tr.clone().requires_grad_()
    th = ta * 2
    tc = th * tr + th * th
    for _ in range(2):
        tc.sum().backward(retain_graph=True)
    assert a.grad._data.device.id == 1 and a.grad.tolist() == ta.grad.tolist()


def test_guards_only_once_a_second_device_is_named(strict_cuda):
    x = xptorch.ones(2, device="cuda")
    assert (x * 2).tolist() == torch.full((2,), 2.0).tolist()
    plain = (xptorch.Tensor.__mul__, xptorch.add, nn.Module.__call__, xptorch.optim.SGD.step)
    assert not any(hasattr(f, "__device_guarded__") for f in plain)  # one device: nothing in the way
    strict_cuda.set_device_count(2)
    y = xptorch.ones(2, device="cuda:1")
    guarded = (xptorch.Tensor.__mul__, xptorch.add, nn.Module.__call__, xptorch.optim.SGD.step)
    assert [f.__device_guarded__ for f in guarded] == list(plain)
    assert (y * x.to("cuda:1")).tolist() == (torch.ones(2) * 1).tolist()


def test_module_copies_and_loads_on_its_device(gpus):
    torch.manual_seed(0)
    tnet = torch.nn.Linear(3, 2)
    net = nn.Linear(3, 2).to("cuda:1")
    net.load_state_dict({k: xptorch.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    twin = copy.deepcopy(net).double()
    assert all(p._data.device.id == 1 and p.device.index == 1 for p in twin.parameters())
    tx = torch.randn(4, 3)
    _same(twin(_on1(tx).double()), copy.deepcopy(tnet).double()(tx.double()))
    _same(net.weight, tnet.weight)
