# Cells after Dive into Deep Learning (d2l.ai), chapters "Convolutional Neural Networks" (7.2 convolutions for
# images, 7.3 padding and stride, 7.4 channels, 7.5 pooling, 7.6 LeNet) and "Modern Convolutional Neural
# Networks" (8.5 batch normalisation, 8.6 ResNet, 8.7 DenseNet): the same calls on values of our own.
# %% conv-layer
X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
d2l.corr2d(X, K)
# %%
X = torch.ones((6, 8))
X[:, 2:6] = 0
K = torch.tensor([[1.0, -1.0]])
Y = d2l.corr2d(X, K)
X, Y, d2l.corr2d(X.t(), K)
# %%
conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)
X = X.reshape((1, 1, 6, 8))
Y = Y.reshape((1, 1, 6, 7))
conv2d(X)
conv2d.weight.data.fill_(0.5)
for i in range(10):
    l = (conv2d(X) - Y) ** 2
    conv2d.zero_grad()
    l.sum().backward()
    conv2d.weight.data[:] -= 3e-2 * conv2d.weight.grad
    if (i + 1) % 2 == 0:
        print(f'epoch {i + 1}, loss {l.sum():.3f}')
conv2d.weight.data.reshape((1, 2))
# %% padding-and-strides
def comp_conv2d(conv2d, X):
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])

X = torch.rand(size=(8, 8))
[comp_conv2d(c, X).shape for c in (
    nn.LazyConv2d(1, kernel_size=3, padding=1), nn.LazyConv2d(1, kernel_size=(5, 3), padding=(2, 1)),
    nn.LazyConv2d(1, kernel_size=3, padding=1, stride=2),
    nn.LazyConv2d(1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)))]
# %% channels
def corr2d_multi_in(X, K):
    return sum(d2l.corr2d(x, k) for x, k in zip(X, K))

def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)

X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                  [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
K3 = torch.stack((K, K + 1, K + 2), 0)
corr2d_multi_in(X, K), K3.shape, corr2d_multi_in_out(X, K3)
# %%
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = torch.matmul(K.reshape((c_o, c_i)), X.reshape((c_i, h * w)))
    return Y.reshape((c_o, h, w))

X = torch.normal(0, 1, (3, 3, 3))
K = torch.normal(0, 1, (2, 3, 1, 1))
float(torch.abs(corr2d_multi_in_out_1x1(X, K) - corr2d_multi_in_out(X, K)).sum()) < 1e-6
# %% pooling
X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
(nn.MaxPool2d(3)(X), nn.MaxPool2d(3, padding=1, stride=2)(X),
 nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))(X), nn.AvgPool2d(2)(X))
# %%
X = torch.cat((X, X + 1), 1)
nn.MaxPool2d(3, padding=1, stride=2)(X)
# %% lenet
class LeNet(d2l.Classifier):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))

model = LeNet()
model.layer_summary((1, 1, 28, 28))
model.apply_init([torch.zeros(2, 1, 28, 28)], d2l.init_cnn)
l = model.loss(model(torch.zeros(2, 1, 28, 28)), torch.tensor([1, 2]))
l.backward()
type(model.net[0]).__name__, model.net[0].weight.grad.shape, l.shape
# %% batch-norm
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    return gamma * X_hat + beta, moving_mean.data, moving_var.data

X = torch.arange(24.).reshape(2, 3, 2, 2)
Y, mm, mv = batch_norm(X, torch.ones(1, 3, 1, 1), torch.zeros(1, 3, 1, 1), torch.zeros(1, 3, 1, 1),
                       torch.ones(1, 3, 1, 1), 1e-5, 0.1)
bn = nn.LazyBatchNorm2d()
Y, mm.reshape(-1), mv.reshape(-1), bn(X), bn.running_mean, bn
# %% resnet
class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)

X = torch.randn(4, 3, 6, 6)
Residual(3)(X).shape, Residual(6, use_1x1conv=True, strides=2)(X).shape
# %% densenet
def conv_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1))

class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(num_channels) for _ in range(num_convs)])

    def forward(self, X):
        for blk in self.net:
            X = torch.cat((X, blk(X)), dim=1)
        return X

Y = DenseBlock(2, 10)(torch.randn(4, 3, 8, 8))
tb = nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(10, kernel_size=1), nn.AvgPool2d(kernel_size=2, stride=2))
Y.shape, tb(Y).shape, nn.AdaptiveAvgPool2d((1, 1))(Y).shape
