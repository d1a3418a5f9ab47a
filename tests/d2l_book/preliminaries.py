# Cells after Dive into Deep Learning (d2l.ai), chapter "Preliminaries" (sections 2.1 data manipulation,
# 2.3 linear algebra, 2.5 automatic differentiation, 2.6 probability) and chapter "Linear Neural Networks for
# Regression" (3.4 from scratch, 3.5 concise): the same calls on values of our own.
# %% ndarray
v = torch.arange(12, dtype=torch.float32)
v, v.numel(), v.shape, v.size()
# %%
M = v.reshape(3, 4)
M, torch.zeros((2, 3, 4)).shape, torch.ones((2, 3)), torch.tensor([[3, 1, 4], [1, 5, 9]])
# %% random
torch.randn(3, 4).shape, torch.randn(3, 4)
# %%
M[-1], M[1:3], M[:, 1]
# %%
M[1, 2] = 21
M[:2, :] = 5
M
# %%
a = torch.tensor([1.0, 2, 4, 8])
b = torch.tensor([2, 2, 2, 2])
a + b, a - b, a * b, a / b, a ** b, torch.exp(a)
# %%
A = torch.arange(12, dtype=torch.float32).reshape((3, 4))
B = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
torch.cat((A, B), dim=0), torch.cat((A, B), dim=1), A == B, A > B, A.sum()
# %%
c = torch.arange(3).reshape((3, 1))
d = torch.arange(2).reshape((1, 2))
c, d, c + d
# %%
before = id(B)
B = B + A
same = id(B) == before
Z = torch.zeros_like(B)
zid = id(Z)
Z[:] = A + B
before = id(A)
A += B
same, id(Z) == zid, id(A) == before, Z
# %% cpu-only
N = A.numpy()
T = torch.from_numpy(N)
type(N), type(T), N.dtype
# %%
s = torch.tensor([3.5])
s, s.item(), float(s), int(s)
# %% linear-algebra
x = torch.tensor(3.0)
y = torch.tensor(2.0)
x + y, x * y, x / y, x ** y
# %%
w = torch.arange(3)
w, w[2], len(w), w.shape
# %%
A = torch.arange(6).reshape(3, 2)
S = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
A, A.T, S == S.T, torch.arange(24).reshape(2, 3, 4)
# %%
A = torch.arange(6, dtype=torch.float32).reshape(2, 3)
B = A.clone()
A + B, A * B, 2 + torch.arange(24).reshape(2, 3, 4), (2 * A).shape
# %%
x = torch.arange(3, dtype=torch.float32)
x.sum(), A.sum(), A.sum(axis=0), A.sum(axis=1), A.sum(axis=[0, 1]) == A.sum()
# %%
A.mean(), A.sum() / A.numel(), A.mean(axis=0), A.sum(axis=0) / A.shape[0]
# %%
sum_A = A.sum(axis=1, keepdims=True)
sum_A, sum_A.shape, A / sum_A, A.cumsum(axis=0)
# %%
y = torch.ones(3, dtype=torch.float32)
torch.dot(x, y), torch.sum(x * y), torch.mv(A, x), A @ x
# %%
B = torch.ones(3, 4)
torch.mm(A, B), A @ B
# %%
u = torch.tensor([3.0, -4.0])
torch.norm(u), torch.abs(u).sum(), torch.norm(torch.ones((4, 9)))
# %% autograd
x = torch.arange(4.0)
x.requires_grad_(True)
print(x.grad)
y = 2 * torch.dot(x, x)
y.backward()
y, x.grad, x.grad == 4 * x
# %%
x.grad.zero_()
y = x.sum()
y.backward()
g1 = x.grad.clone()
x.grad.zero_()
y = x * x
y.backward(gradient=torch.ones(len(y)))
g1, x.grad
# %%
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
x.grad == u, u.requires_grad, z.grad_fn
# %%
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b

a = torch.tensor(0.3, requires_grad=True)
d = f(a)
d.backward()
d, a.grad, a.grad == d / a
# %% probability
from torch.distributions.multinomial import Multinomial
probs = torch.tensor([0.5, 0.5])
counts = Multinomial(100, probs).sample()
counts.shape, counts.sum(), counts.dtype
# %%
counts = Multinomial(1, probs).sample((500,))
est = counts.cumsum(dim=0) / counts.cumsum(dim=0).sum(dim=1, keepdims=True)
est.shape, bool(((est.sum(dim=1) - 1).abs() < 1e-6).all())
# %% linear-regression-scratch
class LinearRegressionScratch(d2l.Module):
    def __init__(self, num_inputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=True)
        self.b = torch.zeros(1, requires_grad=True)

    def forward(self, X):
        return torch.matmul(X, self.w) + self.b

    def loss(self, y_hat, y):
        return ((y_hat - y) ** 2 / 2).mean()

X = torch.arange(20, dtype=torch.float32).reshape(10, 2) / 10
y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2
model = LinearRegressionScratch(2, lr=0.1)
with torch.no_grad():
    model.w.fill_(0.0)
for step in range(50):
    l = model.loss(model(X), y)
    l.backward()
    with torch.no_grad():
        for p in (model.w, model.b):
            p -= model.lr * p.grad
            p.grad.zero_()
print(f'loss {float(model.loss(model(X), y)):.5f}')
model.w.reshape(-1), model.b, sorted(model.hparams)
# %% linear-regression-concise
net = nn.LazyLinear(1)
net(X)
net.weight.data.fill_(0.5)
net.bias.data.fill_(0)
opt = torch.optim.SGD(net.parameters(), 0.05)
for step in range(20):
    l = nn.MSELoss()(net(X), y)
    opt.zero_grad()
    l.backward()
    opt.step()
l, net.weight.data, net.bias.data, type(net).__name__
