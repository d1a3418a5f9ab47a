"""RelaxedBernoulli, RelaxedOneHotCategorical, MixtureSameFamily, NegativeBinomial, Weibull, Pareto, HalfCauchy,
InverseGamma, Kumaraswamy, ContinuousBernoulli, VonMises, GeneralizedPareto, LogisticNormal and FisherSnedecor
against torch.distributions: log_prob, cdf, entropy and moments with their gradients, reprs, shapes, validation
errors, KL, and samples (shape, dtype, device, statistics), on cpu and cuda."""
import math

import numpy as np
import pytest

import xptorch
from xptorch import distributions as XD

torch = pytest.importorskip("torch")
from torch import distributions as TD  # noqa: E402

from devices import check  # noqa: E402
from oracle import check_error  # noqa: E402

F32 = np.float32
POS = np.array([0.5, 1.0, 3.0], F32)
CONC = np.array([0.7, 1.5, 4.0], F32)
PROBS = np.array([0.2, 0.5, 0.9], F32)
LOGITS = np.array([[0.1, 0.5, -1.0], [0.0, 0.0, 2.0]], F32)
SIMPLEX_VALUE = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], F32)


def _lib(D):
    return torch if D is TD else xptorch


def _mixture(D, logits, loc, scale):
    return D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(loc, scale))


def _mixture_mvn(D, logits, loc):
    lib = _lib(D)
    return D.MixtureSameFamily(D.Categorical(logits=logits),
                               D.Independent(D.Normal(loc, lib.ones_like(loc) * 0.5 + loc.abs()), 1))


# name -> (builder(D, *params), parameter arrays, a valid value array)
CASES = {
    "relaxed_bernoulli_probs": (lambda D, t, p: D.RelaxedBernoulli(t, probs=p), [np.array([0.5], F32), PROBS],
                                np.array([[0.3, 0.01, 0.9], [0.5, 0.7, 0.999]], F32)),
    "relaxed_bernoulli_logits": (lambda D, t, lg: D.RelaxedBernoulli(t, logits=lg),
                                 [np.array(2.0, F32), LOGITS[0]], np.array([0.3, 0.01, 0.9], F32)),
    "relaxed_one_hot_probs": (lambda D, t, p: D.RelaxedOneHotCategorical(t, probs=p),
                              [np.array([0.5], F32), np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], F32)],
                              SIMPLEX_VALUE),
    "relaxed_one_hot_logits": (lambda D, t, lg: D.RelaxedOneHotCategorical(t, logits=lg),
                               [np.array(1.5, F32), LOGITS], SIMPLEX_VALUE),
    "mixture_normal": (_mixture, [LOGITS, np.array([[0.0, -1.0, 2.0], [1.0, 0.5, -3.0]], F32),
                                  np.array([[0.5, 1.0, 3.0], [2.0, 0.7, 1.0]], F32)],
                       np.array([[0.3], [-1.5]], F32)),
    "mixture_independent": (_mixture_mvn, [LOGITS[0], np.array([[0.0, -1.0], [1.0, 0.5], [2.0, -3.0]], F32)],
                            np.array([[0.3, -0.2], [1.0, 0.5]], F32)),
    "negative_binomial_probs": (lambda D, n, p: D.NegativeBinomial(n, probs=p), [POS * 2, PROBS - 0.1],
                                np.array([[0.0, 3.0, 10.0], [5.0, 4.0, 9.0]], F32)),
    "negative_binomial_logits": (lambda D, n, lg: D.NegativeBinomial(n, logits=lg), [POS, LOGITS[1]],
                                 np.array([0.0, 3.0, 7.0], F32)),
    "weibull": (lambda D, s, c: D.Weibull(s, c), [POS, CONC], np.array([[0.3, 1.0, 2.5], [2.0, 0.1, 7.0]], F32)),
    "pareto": (lambda D, s, a: D.Pareto(s, a), [POS, np.array([0.7, 2.5, 4.0], F32)],
               np.array([[0.6, 1.0, 3.5], [2.0, 1.5, 7.0]], F32)),
    "half_cauchy": (lambda D, s: D.HalfCauchy(s), [POS], np.array([[0.3, 0.0, 4.0], [1.0, 2.0, 40.0]], F32)),
    "continuous_bernoulli_probs": (lambda D, p: D.ContinuousBernoulli(probs=p),
                                   [np.array([0.2, 0.4995, 0.5, 0.9], F32)],
                                   np.array([[0.3, 0.0, 0.9, 1.0], [0.5, 0.7, 0.999, 0.1]], F32)),
    "continuous_bernoulli_logits": (lambda D, lg: D.ContinuousBernoulli(logits=lg),
                                    [np.array([-2.0, 0.001, 0.0, 3.0], F32)], np.array([0.3, 0.0, 0.9, 1.0], F32)),
    "von_mises": (lambda D, m, k: D.VonMises(m, k), [np.array([0.0, -1.0, 2.0, 3.0], F32),
                                                     np.array([0.5, 1.0, 3.7, 20.0], F32)],
                  np.array([[0.3, -1.0, 4.0, 10.0], [1.0, 0.0, -2.0, 3.0]], F32)),
    "generalized_pareto": (lambda D, m, s, c: D.GeneralizedPareto(m, s, c),
                           [np.array([0.0, -1.0, 2.0, 0.5], F32), np.array([0.5, 1.0, 3.0, 2.0], F32),
                            np.array([0.3, 0.0, -0.2, 0.7], F32)],
                           np.array([[0.3, -1.0, 4.0, 10.0], [1.0, 0.0, 2.5, 3.0]], F32)),
    "logistic_normal": (lambda D, m, s: D.LogisticNormal(m, s), [np.array([[0.0, -1.0, 2.0], [1.0, 0.5, -0.3]], F32),
                                                                 np.array([0.5, 1.0, 3.0], F32)],
                        np.array([[0.1, 0.2, 0.3, 0.4], [0.6, 0.1, 0.2, 0.1]], F32)),
    "fisher_snedecor": (lambda D, a, b: D.FisherSnedecor(a, b), [np.array([0.5, 3.0, 6.0, 12.0], F32),
                                                                 np.array([1.5, 3.0, 5.0, 30.0], F32)],
                        np.array([[0.3, 1.0, 2.5, 0.8], [2.0, 0.1, 7.0, 1.1]], F32)),
    "inverse_gamma": (lambda D, c, r: D.InverseGamma(c, r), [np.array([0.5, 1.5, 4.0], F32), POS],
                      np.array([[0.3, 1.0, 2.5], [2.0, 0.1, 7.0]], F32)),
    "kumaraswamy": (lambda D, a, b: D.Kumaraswamy(a, b),
                    [np.array([0.5, 1.5, 4.0], F32), np.array([2.0, 1.0, 0.7], F32)],
                    np.array([[0.3, 0.5, 0.9], [0.01, 0.99, 0.5]], F32)),
}
# moments torch leaves unimplemented or without a graph
NO_MOMENTS = {"relaxed_bernoulli_probs", "relaxed_bernoulli_logits", "relaxed_one_hot_probs",
              "relaxed_one_hot_logits"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_and_gradients(device, name):
    build, params, value = CASES[name]

    def run(D):
        def f(*ps):
            return build(D, *ps).log_prob(_lib(D).tensor(value).to(ps[0].device))
        return f

    check(device, params, run(TD), run(XD), check_grad_fn=False, rtol=5e-5, atol=5e-5)


def _torch_has(build, params, what):
    d = build(TD, *[torch.tensor(p) for p in params])
    try:
        out = d.entropy() if what == "entropy" else getattr(d, what)
    except NotImplementedError:
        return False
    return out is not None


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_MOMENTS))
@pytest.mark.parametrize("what", ["entropy", "mean", "mode", "variance"])
def test_entropy_and_moments(device, name, what):
    build, params, _ = CASES[name]
    if not _torch_has(build, params, what):  # then xptorch has none either, with torch's error
        xd = build(XD, *[xptorch.tensor(p, device=device) for p in params])
        with pytest.raises(NotImplementedError):
            xd.entropy() if what == "entropy" else getattr(xd, what)
        return

    def run(D):
        def f(*ps):
            d = build(D, *ps)
            return (d.entropy() if what == "entropy" else getattr(d, what)) * 1
        return f

    t = run(TD)(*[torch.tensor(p, requires_grad=True) for p in params])
    check(device, params, run(TD), run(XD), check_grad_fn=False, grad=t.requires_grad, rtol=5e-5, atol=5e-5)


@pytest.mark.parametrize("name", ["weibull", "pareto", "half_cauchy", "mixture_normal", "kumaraswamy",
                                  "continuous_bernoulli_probs", "continuous_bernoulli_logits", "generalized_pareto"])
def test_cdf_icdf(device, name):
    build, params, value = CASES[name]
    q = np.array([0.1, 0.5, 0.97, 0.3][:value.shape[-1]], F32)

    def run(D, with_icdf):
        def f(*ps):
            d = build(D, *ps)
            v = _lib(D).tensor(value).to(ps[0].device)
            return (d.cdf(v), d.icdf(_lib(D).tensor(q).to(ps[0].device))) if with_icdf else d.cdf(v)
        return f

    with_icdf = name != "mixture_normal"
    check(device, params, run(TD, with_icdf), run(XD, with_icdf), check_grad_fn=False, rtol=5e-5, atol=5e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_and_shapes(name):
    build, params, _ = CASES[name]
    t = build(TD, *[torch.tensor(p) for p in params])
    x = build(XD, *[xptorch.tensor(p) for p in params])
    assert repr(x) == repr(t).replace("torch", "xptorch")
    assert tuple(x.batch_shape) == tuple(t.batch_shape) and tuple(x.event_shape) == tuple(t.event_shape)
    if name not in ("pareto", "generalized_pareto"):  # the bounds are tensors, printed by each library
        assert repr(x.support) == repr(t.support)
    assert {k: repr(v) for k, v in x.arg_constraints.items()} == {k: repr(v) for k, v in t.arg_constraints.items()}
    assert x.has_rsample == t.has_rsample
    e = x.expand((4,) + tuple(x.batch_shape))
    assert tuple(e.batch_shape) == (4,) + tuple(t.batch_shape) and type(e) is type(x)
    v = e.sample()
    assert tuple(v.shape) == (4,) + tuple(t.batch_shape) + tuple(t.event_shape)
    np.testing.assert_allclose(e.log_prob(v).numpy(), t.expand(e.batch_shape).log_prob(torch.tensor(v.numpy())),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("sample_shape", [(), (2, 3)])
def test_sample_shape_dtype_device(device, name, sample_shape):
    build, params, _ = CASES[name]
    t = build(TD, *[torch.tensor(p) for p in params]).sample(sample_shape)
    d = build(XD, *[xptorch.tensor(p, device=device) for p in params])
    x = d.sample(sample_shape)
    assert tuple(x.shape) == tuple(t.shape)
    assert str(x.dtype) == str(t.dtype).replace("torch", "xptorch")
    assert x.device.type == device and not x.requires_grad
    assert bool(d.support.check(x).all())
    if d.has_rsample:
        assert tuple(d.rsample(sample_shape).shape) == tuple(t.shape)


def test_sample_statistics(device):
    """Means within 5 standard errors, variances within 10% (n = 40000, fixed seed); the relaxed laws against
    their limits (hard samples at low temperature) and torch's Monte Carlo means."""
    xptorch.manual_seed(0)
    n = 40000

    def t(*v):
        return xptorch.tensor(v, device=device)

    cases = [XD.Weibull(t(1.0, 2.0), t(1.5, 4.0)), XD.Pareto(t(1.0, 2.0), t(5.0, 9.0)),
             XD.NegativeBinomial(t(3.0, 20.0), t(0.3, 0.6)), XD.InverseGamma(t(6.0, 9.0), t(2.0, 0.5)),
             XD.Kumaraswamy(t(0.5, 3.0), t(2.0, 1.5)), XD.FisherSnedecor(t(6.0, 20.0), t(30.0, 60.0)),
             XD.ContinuousBernoulli(t(0.1, 0.5, 0.8)),
             XD.GeneralizedPareto(t(0.0, 1.0, -1.0), t(1.0, 2.0, 0.5), t(0.1, 0.0, -0.5)),
             XD.MixtureSameFamily(XD.Categorical(t(0.3, 0.7)), XD.Normal(t(-2.0, 1.0), t(0.5, 1.0)))]
    for d in cases:
        s = d.sample((n,)).cpu().numpy().astype(np.float64)
        mean, var = d.mean.cpu().numpy().astype(np.float64), d.variance.cpu().numpy().astype(np.float64)
        assert np.all(np.abs(s.mean(0) - mean) <= 5 * np.sqrt(var / n)), (d, s.mean(0), mean)
        np.testing.assert_allclose(s.var(0), var, rtol=0.1, err_msg=repr(d))
    vm = XD.VonMises(t(1.0, -3.0, 0.5), t(0.01, 2.0, 50.0))
    s = vm.sample((n,)).cpu().numpy().astype(np.float64)
    assert s.min() >= -math.pi and s.max() < math.pi
    resultant = np.exp(1j * s).mean(0)  # E[exp(i x)] = (1 - circular variance) exp(i loc)
    np.testing.assert_allclose(np.abs(resultant), 1 - vm.variance.cpu().numpy(), atol=0.01)
    np.testing.assert_allclose(np.angle(resultant[1:]), [-3.0, 0.5], atol=0.01)
    s = XD.HalfCauchy(t(2.0)).sample((n,)).cpu().numpy()
    assert abs(np.median(s) - 2.0) < 0.1 and s.min() >= 0
    cold = XD.RelaxedOneHotCategorical(t(0.05), probs=t(0.1, 0.6, 0.3)).sample((n,)).cpu().numpy()
    np.testing.assert_allclose(cold.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.bincount(cold.argmax(-1), minlength=3) / n, [0.1, 0.6, 0.3], atol=0.015)
    cold_b = XD.RelaxedBernoulli(t(0.05), probs=t(0.2, 0.7)).sample((n,)).cpu().numpy()
    np.testing.assert_allclose((cold_b > 0.5).mean(0), [0.2, 0.7], atol=0.015)
    warm = XD.RelaxedBernoulli(t(1.0), logits=t(0.5)).sample((n,)).cpu().numpy()
    torch.manual_seed(0)
    want = TD.RelaxedBernoulli(torch.tensor(1.0), logits=torch.tensor(0.5)).sample((n,)).numpy()
    assert abs(warm.mean() - want.mean()) < 5 * want.std() * math.sqrt(2 / n)


def test_rsample_gradients(device):
    """Pathwise gradients of E[sample] against the closed form or torch's own estimate (fixed seed)."""
    xptorch.manual_seed(3)
    n = 20000
    scale = xptorch.tensor([2.0], dtype=xptorch.float64, device=device, requires_grad=True)
    conc = xptorch.tensor([1.5], dtype=xptorch.float64, device=device, requires_grad=True)
    XD.Weibull(scale, conc).rsample((n,)).mean().backward()
    assert abs(scale.grad.item() - math.gamma(1 + 1 / 1.5)) < 0.02
    logits = xptorch.tensor([0.3, -0.5, 1.0], dtype=xptorch.float64, device=device, requires_grad=True)
    s = XD.RelaxedOneHotCategorical(xptorch.tensor(0.7, dtype=xptorch.float64, device=device),
                                    logits=logits).rsample((n,))
    (s[..., 0]).mean().backward()
    torch.manual_seed(3)
    tl = torch.tensor([0.3, -0.5, 1.0], dtype=torch.float64, requires_grad=True)
    TD.RelaxedOneHotCategorical(torch.tensor(0.7, dtype=torch.float64), logits=tl).rsample((4 * n,))[..., 0].mean() \
        .backward()
    np.testing.assert_allclose(logits.grad.cpu().numpy(), tl.grad.numpy(), atol=0.01)
    assert abs(logits.grad.sum().item()) < 1e-9  # softmax is invariant to a shift of the logits


P4 = np.array([0.5, 1.5, 2.5, 4.0], F32)
Q4 = np.array([0.7, 0.5, 3.0, 1.2], F32)
KL_PAIRS = {
    "pareto_pareto": lambda D, a, b: (D.Pareto(a, b), D.Pareto(b, a)),
    "pareto_exponential": lambda D, a, b: (D.Pareto(a, b), D.Exponential(a)),
    "pareto_gamma": lambda D, a, b: (D.Pareto(a, b), D.Gamma(b, a)),
    "pareto_normal": lambda D, a, b: (D.Pareto(a, b), D.Normal(b, a)),
    "pareto_uniform": lambda D, a, b: (D.Pareto(a, b), D.Uniform(a, a + b)),
    "cb_cb": lambda D, a, b: (D.ContinuousBernoulli(a / 5), D.ContinuousBernoulli(logits=b - 1)),
    "beta_cb": lambda D, a, b: (D.Beta(a, b), D.ContinuousBernoulli(b / 5)),
    "cb_exponential": lambda D, a, b: (D.ContinuousBernoulli(a / 5), D.Exponential(b)),
    "cb_normal": lambda D, a, b: (D.ContinuousBernoulli(a / 5), D.Normal(b, a)),
    "cb_uniform": lambda D, a, b: (D.ContinuousBernoulli(a / 5), D.Uniform(-b + 0.75, b)),
    "uniform_cb": lambda D, a, b: (D.Uniform(a / 5, a / 5 + b / 5), D.ContinuousBernoulli(b / 5)),
    "uniform_pareto": lambda D, a, b: (D.Uniform(a, a + b), D.Pareto(b / 2, a)),
    "normal_pareto": lambda D, a, b: (D.Normal(a, b), D.Pareto(a, b)),
    "gamma_cb": lambda D, a, b: (D.Gamma(a, b), D.ContinuousBernoulli(b / 5)),
}


@pytest.mark.parametrize("name", sorted(KL_PAIRS))
def test_kl_divergence(device, name):
    def run(D):
        def f(a, b):
            return D.kl_divergence(*KL_PAIRS[name](D, a, b))
        return f

    t = run(TD)(*[torch.tensor(v, requires_grad=True) for v in (P4, Q4)])
    check(device, [P4, Q4], run(TD), run(XD), check_grad_fn=False, grad=t.requires_grad, rtol=5e-5, atol=5e-5)


ERRORS = [
    lambda D, m: D.RelaxedBernoulli(m.tensor(0.5)),
    lambda D, m: D.RelaxedBernoulli(m.tensor(0.5), probs=m.tensor([1.5])),
    lambda D, m: D.RelaxedBernoulli(m.tensor(0.5), probs=m.tensor([0.5])).log_prob(m.tensor([1.5])),
    lambda D, m: D.RelaxedOneHotCategorical(m.tensor(0.5), probs=m.tensor([0.5, -0.5])),
    lambda D, m: D.RelaxedOneHotCategorical(m.tensor(0.5), probs=m.tensor([0.5, 0.5])).log_prob(
        m.tensor([0.5, 0.7])),
    lambda D, m: D.MixtureSameFamily(D.Normal(m.zeros(2), 1.0), D.Normal(m.zeros(2), 1.0)),
    lambda D, m: D.MixtureSameFamily(D.Categorical(m.ones(2)), m.ones(2)),
    lambda D, m: D.MixtureSameFamily(D.Categorical(m.ones(3)), D.Normal(m.zeros(2), 1.0)),
    lambda D, m: D.MixtureSameFamily(D.Categorical(m.ones(3, 2)), D.Normal(m.zeros(4, 2), 1.0)),
    lambda D, m: D.NegativeBinomial(m.tensor([-1.0]), m.tensor([0.5])),
    lambda D, m: D.NegativeBinomial(m.tensor([2.0]), m.tensor([1.0])),
    lambda D, m: D.NegativeBinomial(2.0, probs=0.5, logits=0.0),
    lambda D, m: D.NegativeBinomial(m.tensor([2.0]), m.tensor([0.5])).log_prob(m.tensor([1.5])),
    lambda D, m: D.Weibull(m.tensor([1.0]), m.tensor([-1.0])),
    lambda D, m: D.Weibull(m.tensor([1.0]), m.tensor([1.0])).log_prob(m.tensor([-1.0])),
    lambda D, m: D.Pareto(m.tensor([0.0]), m.tensor([1.0])),
    lambda D, m: D.Pareto(m.tensor([2.0]), m.tensor([1.0])).log_prob(m.tensor([1.0])),
    lambda D, m: D.HalfCauchy(m.tensor([-1.0])),
    lambda D, m: D.HalfCauchy(m.tensor([1.0])).log_prob(m.tensor([-1.0])),
    lambda D, m: D.InverseGamma(m.tensor([1.0]), m.tensor([-1.0])),
    lambda D, m: D.ContinuousBernoulli(m.tensor([1.5]), validate_args=False),
    lambda D, m: D.ContinuousBernoulli(logits=m.tensor([1.5])).log_prob(m.tensor([1.5])),
    lambda D, m: D.ContinuousBernoulli(),
    lambda D, m: D.VonMises(m.tensor([0.0]), m.tensor([-1.0])),
    lambda D, m: D.LogisticNormal(m.zeros(2), -m.ones(2)),
    lambda D, m: D.FisherSnedecor(m.tensor([1.0]), m.tensor([-1.0])),
    lambda D, m: D.LogisticNormal(m.zeros(2), m.ones(2)).log_prob(m.tensor([0.5, 0.6, 0.1])),
    lambda D, m: D.GeneralizedPareto(m.tensor([0.0]), m.tensor([-1.0]), m.tensor([0.5])),
    lambda D, m: D.GeneralizedPareto(m.tensor([0.0]), m.tensor([1.0]), m.tensor([-0.5])).log_prob(
        m.tensor([2.5])),
    lambda D, m: D.Kumaraswamy(m.tensor([1.0]), m.tensor([0.0])),
    lambda D, m: D.Kumaraswamy(m.tensor([1.0]), m.tensor([2.0])).log_prob(m.tensor([1.5])),
]


@pytest.mark.parametrize("make", ERRORS)
def test_validation_errors(make):
    check_error(lambda: make(TD, torch), lambda: make(XD, xptorch))
