"""xptorch.normal (every overload), bernoulli and multinomial: shapes, dtypes, grad_fn and its zero
gradient, errors as torch gives them, and the sample statistics, on cpu and cuda."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import check_error  # noqa: E402

OVERLOADS = [
    ("tensor, float", lambda m, dev: m.normal(m.zeros(2, 3, device=dev, requires_grad=True), 2.0)),
    ("tensor, tensor", lambda m, dev: m.normal(m.zeros(3, device=dev, requires_grad=True),
                                               m.ones(2, 1, device=dev, requires_grad=True))),
    ("float, tensor", lambda m, dev: m.normal(1.0, m.ones(4, device=dev, dtype=m.float64, requires_grad=True))),
    ("mean only", lambda m, dev: m.normal(mean=m.zeros(3, device=dev))),
    ("float, float, size", lambda m, dev: m.normal(2, 3, size=(1, 4), device=dev)),
    ("float64 size", lambda m, dev: m.normal(0.0, 1.0, (2,), dtype=m.float64, device=dev)),
    ("tensor mean decides dtype", lambda m, dev: m.normal(m.zeros(3, device=dev), m.ones(3, device=dev, dtype=m.float64))),
]


@pytest.mark.parametrize("what,make", OVERLOADS, ids=[o[0] for o in OVERLOADS])
def test_normal_overloads(device, what, make):
    t = make(torch, "cpu")
    x = make(xptorch, device)
    assert tuple(x.shape) == tuple(t.shape) and str(x.dtype) == str(t.dtype).replace("torch", "xptorch")
    assert x.device.type == device
    assert x.requires_grad == t.requires_grad
    if t.grad_fn is not None:
        assert x.grad_fn.name() == type(t.grad_fn).__name__


def test_normal_gradient_is_zero_as_in_torch(device):
    for lib, dev in ((torch, "cpu"), (xptorch, device)):
        m = lib.zeros(3, device=dev, requires_grad=True)
        s = lib.ones(2, 1, device=dev, requires_grad=True)
        lib.normal(m, s).sum().backward()
        assert m.grad.tolist() == [0.0] * 3 and s.grad.tolist() == [[0.0], [0.0]]


def test_normal_statistics(device):
    xptorch.manual_seed(0)
    mean = xptorch.tensor([-3.0, 0.0, 5.0], device=device).repeat(20000)
    std = xptorch.tensor([0.5, 1.0, 2.0], device=device).repeat(20000)
    x = xptorch.normal(mean, std).reshape(20000, 3).cpu().numpy()
    np.testing.assert_allclose(x.mean(0), [-3.0, 0.0, 5.0], atol=0.05)
    np.testing.assert_allclose(x.std(0), [0.5, 1.0, 2.0], rtol=0.03)


def test_normal_generator_reproducible():
    g = xptorch.Generator().manual_seed(3)
    a = xptorch.normal(xptorch.zeros(5), 1.0, generator=g)
    g.manual_seed(3)
    assert xptorch.equal(a, xptorch.normal(xptorch.zeros(5), 1.0, generator=g))


NORMAL_ERRORS = [
    lambda m: m.normal(m.zeros(3), -1.0),
    lambda m: m.normal(0.0, m.tensor([-1.0])),
    lambda m: m.normal(m.zeros(3), m.ones(4)),
    lambda m: m.normal(m.zeros(2, dtype=m.int64), 1.0),
]


@pytest.mark.parametrize("make", NORMAL_ERRORS)
def test_normal_errors(make):
    check_error(lambda: make(torch), lambda: make(xptorch))


@pytest.mark.parametrize("make", [lambda m: m.normal(0.0, 1.0), lambda m: m.normal(m.zeros(3), m.ones(3), size=(3,))])
def test_normal_bad_overload(make):
    check_error(lambda: make(torch), lambda: make(xptorch), exact=False)


def test_bernoulli(device):
    xptorch.manual_seed(0)
    p = xptorch.tensor([0.0, 1.0, 0.25], device=device).repeat(20000).reshape(20000, 3)
    x = xptorch.bernoulli(p)
    assert x.dtype == xptorch.float32 and x.device.type == device
    np.testing.assert_allclose(x.cpu().numpy().mean(0), [0.0, 1.0, 0.25], atol=0.01)
    assert set(np.unique(xptorch.bernoulli(xptorch.ones(100, device=device), 0.5).cpu().numpy())) <= {0.0, 1.0}
    t = torch.bernoulli(torch.tensor([0.5], requires_grad=True))
    y = xptorch.bernoulli(xptorch.tensor([0.5], requires_grad=True))
    assert y.grad_fn.name() == type(t.grad_fn).__name__
    check_error(lambda: torch.bernoulli(torch.tensor([2.0])), lambda: xptorch.bernoulli(xptorch.tensor([2.0])))


def test_multinomial_with_replacement(device):
    xptorch.manual_seed(0)
    w = xptorch.tensor([[1.0, 0.0, 3.0], [0.0, 1.0, 0.0]], device=device)
    s = xptorch.multinomial(w, 40000, replacement=True)
    assert s.dtype == xptorch.int64 and tuple(s.shape) == (2, 40000) and s.device.type == device
    counts = np.bincount(s[0].cpu().numpy(), minlength=3) / 40000
    np.testing.assert_allclose(counts, [0.25, 0.0, 0.75], atol=0.01)
    assert set(s[1].cpu().numpy().tolist()) == {1}


def test_multinomial_without_replacement(device):
    xptorch.manual_seed(1)
    w = xptorch.tensor([0.1, 0.0, 0.9, 0.5], device=device)
    s = xptorch.multinomial(w, 4)
    assert sorted(s.tolist()) == [0, 1, 2, 3] and s.tolist()[-1] == 1  # zero weight comes last
    firsts = [xptorch.multinomial(w, 1).item() for _ in range(3000)]
    np.testing.assert_allclose(np.bincount(firsts, minlength=4) / 3000, [0.1 / 1.5, 0, 0.9 / 1.5, 0.5 / 1.5],
                               atol=0.03)


MULTINOMIAL_ERRORS = [
    lambda m: m.multinomial(m.tensor([-1.0, 1.0]), 1),
    lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    lambda m: m.multinomial(m.tensor([1, 2]), 1),
    lambda m: m.multinomial(m.ones(3), 0),
    lambda m: m.multinomial(m.ones(3), 4),
    lambda m: m.multinomial(m.tensor([float("inf"), 1.0]), 1),
]


@pytest.mark.parametrize("make", MULTINOMIAL_ERRORS)
def test_multinomial_errors(make):
    check_error(lambda: make(torch), lambda: make(xptorch))
