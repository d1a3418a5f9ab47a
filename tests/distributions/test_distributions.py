"""Normal, Bernoulli, Categorical, Multinomial, Uniform against torch.distributions: log_prob,
entropy and moments with their gradients, reprs, validation errors, and samples (shape, dtype,
device, statistics), on cpu and cuda."""
import numpy as np
import pytest

import xptorch
from xptorch import distributions as XD

torch = pytest.importorskip("torch")
from torch import distributions as TD  # noqa: E402

from devices import check  # noqa: E402
from oracle import check_error, on_cpu_terms, same_repr  # noqa: E402

# name -> (builder(D, *params), parameter arrays, a valid value array)
P = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], np.float32)
CASES = {
    "normal": (lambda D, m, s: D.Normal(m, s), [np.array([0.0, 1.0, -2.0], np.float32), np.array([1.0, 0.5, 2.0], np.float32)],
               np.array([[0.3, 1.2, -4.0], [1.0, 0.0, 0.0]], np.float32)),
    "bernoulli_probs": (lambda D, p: D.Bernoulli(probs=p), [np.array([0.1, 0.5, 0.9], np.float32)],
                        np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], np.float32)),
    "bernoulli_logits": (lambda D, lg: D.Bernoulli(logits=lg), [np.array([-1.0, 0.0, 2.0], np.float32)],
                         np.array([0.0, 1.0, 1.0], np.float32)),
    "categorical_probs": (lambda D, p: D.Categorical(probs=p), [P], np.array([[2, 0], [1, 1]], np.int64)),
    "categorical_logits": (lambda D, lg: D.Categorical(logits=lg), [np.log(P)], np.array([2, 0], np.int64)),
    "multinomial": (lambda D, p: D.Multinomial(4, probs=p), [P], np.array([[1.0, 1.0, 2.0], [4.0, 0.0, 0.0]], np.float32)),
    "multinomial_logits": (lambda D, lg: D.Multinomial(3, logits=lg), [np.log(P)], np.array([1.0, 1.0, 1.0], np.float32)),
    "uniform": (lambda D, lo, hi: D.Uniform(lo, hi), [np.array([0.0, -1.0], np.float32), np.array([1.0, 3.0], np.float32)],
                np.array([0.5, 2.0], np.float32)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_and_gradients(device, name):
    build, params, value = CASES[name]

    def run(D, lib):
        def f(*ps):
            d = build(D, *ps)
            return d.log_prob(lib.tensor(value).to(ps[0].device))
        return f

    check(device, params, run(TD, torch), run(XD, xptorch), check_grad_fn=False)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("what", ["entropy", "mean", "variance", "stddev"])
def test_entropy_and_moments(device, name, what):
    build, params, _ = CASES[name]

    def run(D):
        def f(*ps):
            d = build(D, *ps)
            out = d.entropy() if what == "entropy" else getattr(d, what)
            return out * 1  # a fresh tensor: moments may alias a parameter
        return f

    grad = not name.startswith("categorical") or what == "entropy"  # torch's NaN moments have no graph
    check(device, params, run(TD), run(XD), check_grad_fn=False, grad=grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_and_shapes(name):
    build, params, _ = CASES[name]
    t = build(TD, *[torch.tensor(p) for p in params])
    x = build(XD, *[xptorch.tensor(p) for p in params])
    assert repr(x) == repr(t).replace("torch", "xptorch")
    assert tuple(x.batch_shape) == tuple(t.batch_shape) and tuple(x.event_shape) == tuple(t.event_shape)
    assert repr(x.batch_shape) == repr(t.batch_shape).replace("torch", "xptorch")


def test_scalar_reprs():
    for make in (lambda D: D.Normal(0.0, 1.0), lambda D: D.Bernoulli(0.5), lambda D: D.Uniform(0.0, 2.0),
                 lambda D: D.Bernoulli(probs=torch.tensor([0.3]) if D is TD else xptorch.tensor([0.3]))):
        assert on_cpu_terms(repr(make(XD))) == repr(make(TD)).replace("torch", "xptorch")


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_shape_dtype_device(device, name, sample_shape):
    build, params, _ = CASES[name]
    t = build(TD, *[torch.tensor(p) for p in params]).sample(sample_shape)
    x = build(XD, *[xptorch.tensor(p, device=device) for p in params]).sample(sample_shape)
    assert tuple(x.shape) == tuple(t.shape)
    assert str(x.dtype) == str(t.dtype).replace("torch", "xptorch")
    assert x.device.type == device and not x.requires_grad


def test_sample_n_warns_and_samples():
    with pytest.warns(UserWarning, match=r"sample_n will be deprecated. Use .sample\(\(n,\)\) instead"):
        x = XD.Normal(xptorch.zeros(2), 1.0).sample_n(4)
    assert tuple(x.shape) == (4, 2)


def test_sample_statistics(device):
    xptorch.manual_seed(0)
    n = 40000
    d = XD.Normal(xptorch.tensor([1.0, -2.0], device=device), xptorch.tensor([0.5, 3.0], device=device))
    s = d.sample((n,)).cpu().numpy()
    np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(s.std(0), [0.5, 3.0], rtol=0.03)
    s = XD.Uniform(-1.0, 3.0).sample((n,)).numpy()
    assert s.min() >= -1.0 and s.max() < 3.0 and abs(s.mean() - 1.0) < 0.03
    s = XD.Bernoulli(xptorch.tensor([0.2, 0.7], device=device)).sample((n,)).cpu().numpy()
    np.testing.assert_allclose(s.mean(0), [0.2, 0.7], atol=0.01)
    probs = xptorch.tensor([0.1, 0.6, 0.3], device=device)
    s = XD.Categorical(probs).sample((n,)).cpu().numpy()
    np.testing.assert_allclose(np.bincount(s, minlength=3) / n, [0.1, 0.6, 0.3], atol=0.01)
    counts = XD.Multinomial(10, probs).sample((n // 10,)).cpu().numpy()
    assert (counts.sum(-1) == 10).all()
    np.testing.assert_allclose(counts.mean(0), [1.0, 6.0, 3.0], atol=0.1)


def test_d2l_dice(device):
    """The book's first probability cells: fair dice as Multinomial counts."""
    xptorch.manual_seed(0)
    fair_probs = xptorch.ones(6, device=device) / 6
    one = XD.multinomial.Multinomial(1, fair_probs).sample()
    assert one.sum().item() == 1.0 and tuple(one.shape) == (6,)
    counts = XD.multinomial.Multinomial(1000, fair_probs).sample((10,))
    cum = counts.cumsum(dim=0)
    est = cum / cum.sum(dim=1, keepdims=True)
    assert tuple(est.shape) == (10, 6) and abs(est[-1].sum().item() - 1.0) < 1e-5


def test_rsample_is_differentiable(device):
    for lib, D, dev in ((torch, TD, "cpu"), (xptorch, XD, device)):
        loc = lib.tensor([0.0, 1.0], device=dev, requires_grad=True)
        scale = lib.tensor([1.0, 2.0], device=dev, requires_grad=True)
        lib.manual_seed(0)
        s = D.Normal(loc, scale).rsample((3,))
        assert (type(s.grad_fn).__name__ if lib is torch else s.grad_fn.name()) == "AddBackward0"
        s.sum().backward()
        assert loc.grad.tolist() == [3.0, 3.0]
        lo, hi = lib.zeros(2, device=dev, requires_grad=True), lib.ones(2, device=dev, requires_grad=True)
        D.Uniform(lo, hi).rsample((4,)).sum().backward()
        assert abs(lo.grad.sum().item() + hi.grad.sum().item() - 8.0) < 1e-5


ERRORS = [
    lambda D, m: D.Normal(m.zeros(3), m.tensor([1.0, -1.0, 0.0])),
    lambda D, m: D.Normal(0.0, -1.0),
    lambda D, m: D.Normal(0.0, 1.0).log_prob(m.tensor([float("nan"), 1.0])),
    lambda D, m: D.Normal(m.zeros(3), 1.0).log_prob(m.zeros(2)),
    lambda D, m: D.Normal(0.0, 1.0).log_prob(1.0),
    lambda D, m: D.Bernoulli(probs=0.5, logits=0.0),
    lambda D, m: D.Bernoulli(),
    lambda D, m: D.Bernoulli(probs=m.tensor([1.5])),
    lambda D, m: D.Bernoulli(0.5).log_prob(m.tensor(0.5)),
    lambda D, m: D.Categorical(m.tensor([-0.2, 0.8])),
    lambda D, m: D.Categorical(m.tensor(0.5)),
    lambda D, m: D.Categorical(logits=m.tensor(0.5)),
    lambda D, m: D.Categorical(m.tensor([0.2, 0.8])).log_prob(m.tensor([2])),
    lambda D, m: D.Multinomial(1.5, m.tensor([0.2, 0.8])),
    lambda D, m: D.Multinomial(2, m.tensor([0.2, 0.8])).log_prob(m.tensor([2.0, 1.0])),
    lambda D, m: D.Multinomial(2, m.tensor([0.2, 0.8])).log_prob(m.tensor([1.0, 1.0, 0.0])),
    lambda D, m: D.Uniform(2.0, 0.0),
    lambda D, m: D.Uniform(m.tensor([0.0, 2.0]), m.tensor([1.0, 1.0])),
    lambda D, m: D.Uniform(0.0, 2.0).log_prob(m.tensor([3.0])),
]


@pytest.mark.parametrize("make", ERRORS)
def test_validation_errors(make):
    check_error(lambda: make(TD, torch), lambda: make(XD, xptorch))


def test_validate_args_false_skips_checks():
    assert XD.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    assert XD.Uniform(0.0, 1.0, validate_args=False).log_prob(xptorch.tensor(2.0)).item() == float("-inf")


def test_module_paths():
    from xptorch.distributions.bernoulli import Bernoulli
    from xptorch.distributions.categorical import Categorical
    from xptorch.distributions.multinomial import Multinomial
    from xptorch.distributions.normal import Normal
    from xptorch.distributions.uniform import Uniform

    assert (Bernoulli, Categorical, Multinomial, Normal, Uniform) == (XD.Bernoulli, XD.Categorical, XD.Multinomial,
                                                                      XD.Normal, XD.Uniform)
    assert same_repr(lambda lib: lib.distributions.constraints.unit_interval) is XD.constraints.unit_interval
