"""Seed 000: parameter access, built-in and custom init, tied parameters (every cell)."""
import numpy as np
import pytest

from seedlib import capture, copy_weights, libs, mask_numbers, normalise

torch = pytest.importorskip("torch")


def build(torch, nn, init):
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))


@pytest.fixture
def pair(device):
    (xt, xnn, xinit), (tt, tnn, tinit) = libs(torch)
    tnet = build(tt, tnn, tinit)
    xnet = copy_weights(tnet, build(xt, xnn, xinit), device)
    X = tt.rand(2, 4)
    return (xt, xnn, xinit, xnet, xt.tensor(X.numpy()).to(device)), (tt, tnn, tinit, tnet, X)


def cell_access(torch, nn, init, net, X):
    print(net)
    Y = net(X).sum()
    print(type(net.named_parameters()))
    for name, param in net.named_parameters():
        print(name, param.size())
    for name, param in net[0].named_parameters():
        print(name, param.size(), type(param))
    weight_0 = list(net[0].parameters())[0]
    print(weight_0.data.cpu())
    print(weight_0.grad)
    Y.backward()
    print(weight_0.grad.cpu())
    return Y


def test_parameter_access_cells_print_what_torch_prints(pair):
    xs, ts = pair
    out_x, _ = capture(cell_access, *xs)
    out_t, _ = capture(cell_access, *ts)
    assert out_x == normalise(out_t)
    assert "<class 'generator'>" in out_x
    assert "0.weight xptorch.Size([3, 4])" in out_x
    assert "<class 'xptorch.nn.parameter.Parameter'>" in out_x
    assert "\nNone\n" in out_x


def test_plain_tensor_attribute_is_not_a_parameter():
    (xt, xnn, _), _ = libs(torch)

    class MyModel(xnn.Module):
        def __init__(self, **kwargs):
            super(MyModel, self).__init__(**kwargs)
            self.weight1 = xnn.Parameter(xt.rand(20, 20))
            self.weight2 = xt.rand(20, 20)

        def forward(self, x):
            pass

    n = MyModel()
    assert [name for name, _ in n.named_parameters()] == ["weight1"]
    assert list(n.state_dict()) == ["weight1"]


def cell_init(torch, nn, init, net, X):
    for name, param in net.named_parameters():
        if "weight" in name:
            init.normal_(param, mean=0, std=0.01)
            print(name, param.data.cpu())
    for name, param in net.named_parameters():
        if "bias" in name:
            init.constant_(param, val=0)
            print(name, param.data.cpu())


def test_builtin_init_cells(pair):
    xs, ts = pair
    out_x, _ = capture(cell_init, *xs)
    out_t, _ = capture(cell_init, *ts)
    assert mask_numbers(out_x) == mask_numbers(normalise(out_t))
    net = xs[3]
    w = net[0].weight.detach().cpu().numpy()
    assert abs(w).max() < 0.06  # N(0, 0.01): 6 sigma
    assert "0.bias tensor([0., 0., 0.])" in out_x
    assert "2.bias tensor([0.])" in out_x


def cell_custom_init(torch, nn, init, net, X):
    def init_weight_(tensor):
        with torch.no_grad():
            tensor.uniform_(-10, 10)
            print(tensor.abs() >= 5)
            tensor *= (tensor.abs() >= 5).float()

    for name, param in net.named_parameters():
        if "weight" in name:
            init_weight_(param)
            print(name, param.data.cpu())
    for name, param in net.named_parameters():
        if "bias" in name:
            param.data += 1
            print(name, param.data.cpu())


def test_custom_init_cells(pair):
    xs, ts = pair
    xnet = xs[3]
    bias_before = xnet[0].bias.detach().cpu().numpy().copy()
    out_x, _ = capture(cell_custom_init, *xs)
    out_t, _ = capture(cell_custom_init, *ts)
    assert mask_numbers(out_x) == mask_numbers(normalise(out_t))
    for m in (xnet[0], xnet[2]):
        w = m.weight.detach().cpu().numpy()
        assert np.all((w == 0) | ((np.abs(w) >= 5) & (np.abs(w) <= 10)))
        assert m.weight.requires_grad and m.weight.is_leaf
    np.testing.assert_array_equal(xnet[0].bias.detach().cpu().numpy(), bias_before + 1)


def cell_tied(torch, nn, init, device):
    linear = nn.Linear(1, 1, bias=False)
    net = nn.Sequential(linear, linear).to(device)
    print(net)
    for name, param in net.named_parameters():
        init.constant_(param, val=3)
        print(name, param.data.cpu())
    print(param if device == "cpu" else nn.Parameter(param.detach().cpu()))
    print(id(net[0]) == id(net[1]))
    print(id(net[0].weight) == id(net[1].weight))
    x = torch.ones(1, 1).to(device)
    y = net(x).sum()
    print(y.cpu() if device == "cpu" else y)
    y.backward()
    print(net[0].weight.grad.cpu())
    y = net(x).sum()
    y.backward()
    print(net[0].weight.grad.cpu())
    return net


def test_tied_parameters_cells(device):
    (xt, xnn, xinit), (tt, tnn, tinit) = libs(torch)
    out_x, net = capture(cell_tied, xt, xnn, xinit, device)
    out_t, _ = capture(cell_tied, tt, tnn, tinit, "cpu")
    expected = normalise(out_t)
    if device != "cpu":
        # the only device-dependent line: the loss tensor's repr carries device='cuda:0'
        expected = expected.replace("tensor(9., grad_fn=<SumBackward0>)",
                                    "tensor(9., device='cuda:0', grad_fn=<SumBackward0>)")
    assert out_x == expected
    assert "tensor(9., " in out_x and "tensor([[6.]])" in out_x and "tensor([[12.]])" in out_x
    assert [n for n, _ in net.named_parameters()] == ["0.weight"]
    assert list(net.state_dict()) == ["0.weight", "1.weight"]
