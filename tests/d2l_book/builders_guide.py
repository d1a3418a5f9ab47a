# Cells after Dive into Deep Learning (d2l.ai), chapters "Multilayer Perceptrons" (5.1 activations, 5.6 dropout)
# and "Builders' Guide" (6.1 layers and modules, 6.2 parameter management, 6.3 initialisation, 6.4 lazy
# initialisation, 6.5 custom layers, 6.6 file I/O): the same calls on values of our own.
# %% mlp
x = torch.arange(-4.0, 4.0, 0.5, requires_grad=True)
y = torch.relu(x)
y.backward(torch.ones_like(x), retain_graph=True)
y, x.grad
# %%
x.grad.data.zero_()
y = torch.sigmoid(x)
y.backward(torch.ones_like(x))
y[::4], x.grad[::4]
# %%
x.grad.data.zero_()
y = torch.tanh(x)
y.backward(torch.ones_like(x))
y[::4], x.grad[::4]
# %% random dropout
def dropout_layer(X, dropout):
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)

X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print('dropout_p = 0:', dropout_layer(X, 0))
print('dropout_p = 0.5:', dropout_layer(X, 0.5))
print('dropout_p = 1:', dropout_layer(X, 1))
# %% model-construction
net = nn.Sequential(nn.LazyLinear(32), nn.ReLU(), nn.LazyLinear(10))
X = torch.rand(2, 20)
net(X).shape, net

# %%
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(32)
        self.out = nn.LazyLinear(10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))

class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X

MLP()(X).shape, MySequential(nn.LazyLinear(32), nn.ReLU(), nn.LazyLinear(10))(X).shape
# %% random
class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand((20, 20))
        self.linear = nn.LazyLinear(20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()

class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(8), nn.ReLU())
        self.linear = nn.LazyLinear(4)

    def forward(self, X):
        return self.linear(self.net(X))

chimera = nn.Sequential(NestMLP(), nn.LazyLinear(20), FixedHiddenMLP())
chimera(X)
# %% parameters
net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
X = torch.rand(size=(2, 4))
net(X).shape, [(name, param.shape) for name, param in net.named_parameters()], net[2].weight.grad == None
# %% random
net[2].state_dict(), type(net[2].bias), net[2].bias.data
# %%
shared = nn.LazyLinear(8)
net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.LazyLinear(1))
net(X)
print(net[2].weight.data[0] == net[4].weight.data[0])
net[2].weight.data[0, 0] = 100
print(net[2].weight.data[0] == net[4].weight.data[0])
# %% random init-param
net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
net(X)

def init_constant(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 1)
        nn.init.zeros_(module.bias)

net.apply(init_constant)
net[0].weight.data[0], net[0].bias.data[0], net(X)
# %% random
def init_normal(module):
    if type(module) == nn.Linear:
        nn.init.normal_(module.weight, mean=0, std=0.01)
        nn.init.zeros_(module.bias)

def init_xavier(module):
    if type(module) == nn.Linear:
        nn.init.xavier_uniform_(module.weight)

def init_42(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 42)

net.apply(init_normal)
print(net[0].weight.data[0], net[0].bias.data[0])
net[0].apply(init_xavier)
net[2].apply(init_42)
print(net[0].weight.data[0])
print(net[2].weight.data)
# %% random
def my_init(module):
    if type(module) == nn.Linear:
        print("Init", *[(name, param.shape) for name, param in module.named_parameters()][0])
        nn.init.uniform_(module.weight, -10, 10)
        module.weight.data *= module.weight.data.abs() >= 5

net.apply(my_init)
net[0].weight.data[:] += 1
net[0].weight.data[0, 0] = 42
net[0].weight[:2]
# %% lazy-init
net = nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(10))
print(net[0].weight)
net(torch.rand(2, 20))
net[0].weight.shape, type(net[0]).__name__
# %% custom-layer
class CenteredLayer(nn.Module):
    def forward(self, X):
        return X - X.mean()

layer = CenteredLayer()
net = nn.Sequential(nn.LazyLinear(16), CenteredLayer())
Y = net(torch.rand(4, 8))
layer(torch.tensor([1.0, 2, 3, 4, 5])), bool(Y.mean().abs() < 1e-5)
# %% random
class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        return F.relu(torch.matmul(X, self.weight.data) + self.bias.data)

linear = MyLinear(5, 3)
print(linear.weight)
print(linear(torch.rand(2, 5)))
nn.Sequential(MyLinear(16, 8), MyLinear(8, 1))(torch.rand(2, 16))
# %% read-write
x = torch.arange(4)
torch.save(x, 'x-file')
y = torch.zeros(4)
torch.save([x, y], 'x-files')
torch.save({'x': x, 'y': y}, 'mydict')
torch.load('x-file'), torch.load('x-files'), torch.load('mydict')
# %%
class MLP2(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(16)
        self.output = nn.LazyLinear(10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))

net = MLP2()
X = torch.randn(size=(2, 20))
Y = net(X)
torch.save(net.state_dict(), 'mlp.params')
clone = MLP2()
clone.load_state_dict(torch.load('mlp.params'))
clone.eval(), clone(X) == Y
# %% use-gpu
def try_gpu(i=0):
    return torch.device(f'cuda:{i}') if torch.cuda.device_count() >= i + 1 else torch.device('cpu')

net = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
X = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 10
net(X)
det_init(net)
net = net.to(device=try_gpu())
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(3):
    l = ((net(X.to(try_gpu())) - 1) ** 2).mean()
    opt.zero_grad()
    l.backward()
    opt.step()
    print(f'loss {l.item():.6f}')
net[0].weight.data.device.type == try_gpu().type, net(X.to(try_gpu())).detach().cpu()
