"""Steady-state training steps on the strict CuPy stand-in issue no device-to-host sync, as in PyTorch.

The stand-in counts every sync (``.get()``, ``item()``, ``bool()``/``int()``/``float()`` of a device array,
boolean-mask indexing, ``nonzero``, ``bincount``, printing); a step here is zero_grad, forward, loss,
backward (and clipping) and the optimiser step, measured after two warm-up steps. The values are checked
against the same model on the CPU, so a step that skips work cannot pass.
"""
import copy

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as F


class TiedMLP(nn.Module):
    """The notebooks' MLP with one layer used twice."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(16, 16)
        self.net = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), self.shared, nn.ReLU(), self.shared, nn.ReLU(),
                                 nn.Linear(16, 10))

    def forward(self, x):
        return self.net(x)


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.BatchNorm2d(6), nn.Sigmoid(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.BatchNorm1d(120), nn.Sigmoid(), nn.Linear(120, 10))


class TinyLM(nn.Module):
    def __init__(self, vocab=30, dim=8):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, vocab)

    def forward(self, tokens):
        return self.out(self.norm(self.emb(tokens)))


def _data(kind, rng):
    if kind == "mlp":
        return rng.standard_normal((8, 20)).astype(np.float32), rng.integers(0, 10, 8)
    if kind == "lenet":
        return rng.standard_normal((4, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 4)
    if kind == "lm":
        return rng.integers(0, 30, (4, 6)), rng.integers(0, 30, (4, 6))
    if kind in ("bce", "mse"):
        return rng.standard_normal((8, 20)).astype(np.float32), rng.random((8, 10)).astype(np.float32)
    raise AssertionError(kind)


def _model(kind):
    if kind == "lenet":
        return lenet()
    if kind == "lm":
        return TinyLM()
    return TiedMLP()


def _loss(kind, out, y):
    if kind == "lm":
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    if kind == "bce":
        return F.binary_cross_entropy(xptorch.sigmoid(out), y)
    if kind == "mse":
        return F.mse_loss(out, y)
    return F.cross_entropy(out, y)


CASES = [("mlp", "sgd", False), ("mlp", "adam", False), ("lenet", "sgd", False), ("lm", "adam", False),
         ("bce", "sgd", False), ("mse", "sgd", False), ("mlp", "sgd", True)]


@pytest.mark.parametrize("kind,opt,clip", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_training_step_has_no_host_sync(strict_cuda, kind, opt, clip):
    xptorch.manual_seed(0)
    rng = np.random.default_rng(0)
    cpu_model = _model(kind)
    models = {"cpu": cpu_model, "cuda": copy.deepcopy(cpu_model).to("cuda")}
    opts = {d: (xptorch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) if opt == "sgd"
                else xptorch.optim.Adam(m.parameters(), lr=0.01)) for d, m in models.items()}
    batches = [_data(kind, rng) for _ in range(3)]
    losses = {"cpu": [], "cuda": []}
    counted = None
    for dev in ("cpu", "cuda"):
        model, o = models[dev], opts[dev]
        model.train()
        for step, (x, y) in enumerate(batches):
            xb, yb = xptorch.tensor(x, device=dev), xptorch.tensor(y, device=dev)
            with strict_cuda.count_syncs() as c:
                o.zero_grad()
                loss = _loss(kind, model(xb), yb)
                loss.backward()
                if clip:
                    nn.utils.clip_grad_norm_(model.parameters(), 0.5)
                o.step()
            if dev == "cuda" and step == len(batches) - 1:
                counted = c
            losses[dev].append(loss.detach())
    assert counted.syncs == 0, f"{counted.syncs} host syncs in a training step:\n{counted.report()}"
    got = [v.item() for v in losses["cuda"]]
    want = [v.item() for v in losses["cpu"]]
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-5)
    for (name, p), q in zip(models["cpu"].named_parameters(), models["cuda"].parameters()):
        np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().numpy(), rtol=2e-3, atol=2e-5, err_msg=name)


def test_loss_item_is_one_sync(strict_cuda):
    x = xptorch.ones(3, device="cuda", requires_grad=True)
    loss = (x * 2).sum()
    with strict_cuda.count_syncs() as c:
        loss.item()
    assert c.syncs == 1
