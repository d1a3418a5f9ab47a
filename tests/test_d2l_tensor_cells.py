"""Cells in the style of the D2L book's preliminaries (linear algebra, reductions, probability):
each runs under torch and under xptorch, and prints the same."""
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import xp_message  # noqa: E402

CELLS = {
    "scalars": "x = torch.tensor(3.0); y = torch.tensor(2.0); out = (x + y, x * y, x / y, x**y)",
    "vectors": "x = torch.arange(3); out = (x, x[2], len(x), x.shape)",
    "transpose": "A = torch.arange(6).reshape(3, 2); out = (A, A.T)",
    "symmetric": "A = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]]); out = A == A.T",
    "hadamard": "A = torch.arange(6, dtype=torch.float32).reshape(2, 3); B = A.clone(); out = (A, A + B, A * B)",
    "sum_axes": "A = torch.arange(6, dtype=torch.float32).reshape(2, 3); "
                "out = (A.sum(), A.sum(axis=0), A.sum(axis=1), A.sum(axis=[0, 1]) == A.sum(), A.shape)",
    "mean": "A = torch.arange(6, dtype=torch.float32).reshape(2, 3); "
            "out = (A.mean(), A.sum() / A.numel(), A.mean(axis=0), A.sum(axis=0) / A.shape[0])",
    "keepdims": "A = torch.arange(6, dtype=torch.float32).reshape(2, 3); sum_A = A.sum(axis=1, keepdims=True); "
                "out = (sum_A, sum_A.shape, A / sum_A, A.cumsum(axis=0))",
    "dot": "x = torch.arange(3, dtype=torch.float32); y = torch.ones(3, dtype=torch.float32); "
           "out = (x, y, torch.dot(x, y), torch.sum(x * y))",
    "mv": "A = torch.arange(6, dtype=torch.float32).reshape(2, 3); x = torch.arange(3, dtype=torch.float32); "
          "out = (A.shape, x.shape, torch.mv(A, x), A@x)",
    "mm": "A = torch.arange(6, dtype=torch.float32).reshape(2, 3); B = torch.ones(3, 4); out = (torch.mm(A, B), A@B)",
    "norms": "u = torch.tensor([3.0, -4.0]); out = (torch.norm(u), torch.abs(u).sum(), torch.norm(torch.ones((4, 9))))",
    "dice_shape": "fair_probs = torch.ones(6) / 6; "
                  "out = (torch.distributions.multinomial.Multinomial(10, fair_probs).sample().shape, fair_probs)",
    "dice_counts": "fair_probs = torch.ones(6) / 6; c = torch.distributions.multinomial.Multinomial(1000, fair_probs)"
                   ".sample((10,)); cum = c.cumsum(dim=0); est = cum / cum.sum(dim=1, keepdims=True); "
                   "out = (est.shape, bool((est.sum(dim=1) - 1).abs().max() < 1e-6))",
    "attention_mask": "X = torch.arange(6, dtype=torch.float32).reshape(2, 3); valid = torch.tensor([1, 2]); "
                      "mask = torch.arange(3)[None, :] < valid[:, None]; out = (mask, X.masked_fill(~mask, -1e6))",
    "bmm_repeat": "Q = torch.ones(2, 1, 4); K = torch.ones(2, 10, 4); V = torch.arange(20.0).reshape(2, 10, 1); "
                  "out = (torch.bmm(Q, K.transpose(1, 2)).shape, torch.repeat_interleave(torch.tensor([1, 2]), 2), "
                  "torch.bmm(torch.softmax(torch.bmm(Q, K.transpose(1, 2)), dim=-1), V))",
    "positional": "P = torch.zeros((1, 4, 6)); X = torch.arange(4, dtype=torch.float32).reshape(-1, 1) / "
                  "torch.pow(10000, torch.arange(0, 6, 2, dtype=torch.float32) / 6); "
                  "P[:, :, 0::2] = torch.sin(X); P[:, :, 1::2] = torch.cos(X); out = P",
    "topk_argmax": "y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]); y = torch.tensor([0, 2]); "
                   "out = (y_hat[[0, 1], y], y_hat.argmax(axis=1), torch.topk(y_hat, 2), "
                   "torch.gather(y_hat, 1, y.reshape(-1, 1)))",
    "one_hot": "out = (torch.nn.functional.one_hot(torch.tensor([0, 2]), 3), "
               "torch.nn.functional.one_hot(torch.tensor([[0, 2], [1, 1]]).T, 3).shape)",
    "normal": "torch.manual_seed(0); out = (torch.normal(0, 1, (3, 4)).shape, torch.normal(torch.zeros(2), 1.0).shape)",
    "meshgrid": "x, y = torch.meshgrid(torch.arange(2), torch.arange(3), indexing='ij'); out = (x, y)",
    "tril": "out = (torch.tril(torch.ones(3, 3)), torch.triu(torch.ones(2, 2), diagonal=1))",
    "dice_numpy": "import numpy as np; fair_probs = torch.ones([6]) / 6; "
                  "c = torch.distributions.multinomial.Multinomial(1000, fair_probs).sample().type(torch.float32); "
                  "counts = torch.from_numpy(np.random.default_rng(0).multinomial(10, fair_probs, size=500)); "
                  "cum = counts.type(torch.float32).cumsum(axis=0); est = cum / cum.sum(axis=1, keepdims=True); "
                  "out = (c.dtype, c.sum(), est[:, 0].numpy().shape, est[-1])",
}


def run(lib, code):
    scope = {"torch": lib}
    exec(code, scope)
    return scope["out"]


@pytest.mark.parametrize("name", sorted(CELLS))
def test_cell_prints_as_torch(name):
    t = run(torch, CELLS[name])
    x = run(xptorch, CELLS[name])
    assert repr(x) == xp_message(repr(t))


# The names the book's d2l.torch library binds at import time (its alias block): all must exist,
# or `import d2l.torch` fails under the import swap.
D2L_ALIASES = ["ones_like", "ones", "zeros_like", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh",
               "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32", "int64", "float32", "cat",
               "stack", "abs", "eye", "sigmoid", "bmm"]


def test_d2l_library_aliases_exist():
    missing = [n for n in D2L_ALIASES if not hasattr(xptorch, n)]
    assert not missing, missing


def test_hyperbolic_cell():
    code = ("x = torch.arange(-2.0, 2.0, 0.5, requires_grad=True); y = torch.sinh(x) + torch.cosh(x).sum(); "
            "y.sum().backward(); out = (y, x.grad, torch.sinh(torch.arange(3)))")
    t, x = run(torch, code), run(xptorch, code)
    assert repr(x) == xp_message(repr(t))
