"""The notebooks' code, cell by cell as written, with only the import line changed."""
import contextlib
import io

import pytest

SEED_001 = '''
import xptorch as torch
from xptorch import nn

net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
X = torch.rand(size=(2, 4))
print(net(X))
print(net[2].state_dict())
print(type(net[2].bias))
print(net[2].bias)
print(net[2].bias.data)
print(net[2].weight.grad == None)
print(*[(name, param.shape) for name, param in net[0].named_parameters()])
print(*[(name, param.shape) for name, param in net.named_parameters()])
print(net.state_dict()['2.bias'].data)

def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(),nn.Linear(8, 4), nn.ReLU())

def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f'block{i}', block1())
    return net

rgnet = nn.Sequential(block2(), nn.Linear(4, 1))
print(rgnet(X))
print(rgnet)
print(rgnet[0][1][0].bias.data)

def init_normal(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, mean=0, std=0.01)
        nn.init.zeros_(m.bias)
net.apply(init_normal)
print(net[0].weight.data[0], net[0].bias.data[0])

def init_constant(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)
net.apply(init_constant)
print(net[0].weight.data[0], net[0].bias.data[0])

def init_xavier(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)
def init_42(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)

net[0].apply(init_xavier)
net[2].apply(init_42)
print(net[0].weight.data[0])
print(net[2].weight.data)

def my_init(m):
    if type(m) == nn.Linear:
        print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
        nn.init.uniform_(m.weight, -10, 10)
        m.weight.data *= m.weight.data.abs() >= 5

net.apply(my_init)
print(net[0].weight[:2])
net[0].weight.data[:] += 1
net[0].weight.data[0, 0] =42
print(net[0].weight.data[0])

shared = nn.Linear(8, 8)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                   shared, nn.ReLU(),
                   shared, nn.ReLU(),
                   nn.Linear(8, 1))
net(X)
print(net[2].weight.data[0] == net[4].weight.data[0])
net[2].weight.data[0,0] = 100
print(net[2].weight.data[0] == net[4].weight.data[0])
'''

SEED_000_TIED = '''
import xptorch as torch
from xptorch import nn
from xptorch.nn import init

linear = nn.Linear(1, 1, bias=False)
net = nn.Sequential(linear, linear)
print(net)
for name, param in net.named_parameters():
    init.constant_(param, val=3)
    print(name, param.data)

print(param)
print(id(net[0]) == id(net[1]))
print(id(net[0].weight) == id(net[1].weight))
x = torch.ones(1, 1)
y = net(x).sum()
print(y)
y.backward()
print(net[0].weight.grad)
'''


def _run(code):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "<seed>", "exec"), {"__name__": "seed"})
    return buf.getvalue()


def test_seed_001_runs_verbatim():
    out = _run(SEED_001)
    assert "grad_fn=<AddmmBackward0>)" in out
    assert "<class 'xptorch.nn.parameter.Parameter'>" in out
    assert "Parameter containing:\ntensor([" in out and "requires_grad=True)" in out
    assert "\nTrue\n" in out
    assert "(block3): Sequential(" in out
    assert "tensor([1., 1., 1., 1.]) tensor(0.)" in out
    assert "tensor([[42., 42., 42., 42., 42., 42., 42., 42.]])" in out
    assert "Init weight xptorch.Size([8, 4])\nInit weight xptorch.Size([1, 8])" in out
    assert "grad_fn=<SliceBackward0>)" in out
    assert "tensor([42.0000," in out
    assert out.count("tensor([True, True, True, True, True, True, True, True])") == 2


def test_seed_000_tied_cell_runs_verbatim():
    out = _run(SEED_000_TIED)
    assert out == (
        "Sequential(\n"
        "  (0): Linear(in_features=1, out_features=1, bias=False)\n"
        "  (1): Linear(in_features=1, out_features=1, bias=False)\n"
        ")\n"
        "0.weight tensor([[3.]])\n"
        "Parameter containing:\ntensor([[3.]], requires_grad=True)\n"
        "True\nTrue\n"
        "tensor(9., grad_fn=<SumBackward0>)\n"
        "tensor([[6.]])\n"
    )


@pytest.mark.parametrize("code", [SEED_001, SEED_000_TIED], ids=["001", "000-tied"])
def test_same_cells_run_on_torch(code):
    torch = pytest.importorskip("torch")
    assert torch.__version__.startswith("2.13")
    out = _run(code.replace("import xptorch as torch", "import torch").replace("from xptorch", "from torch"))
    assert "tensor(" in out
