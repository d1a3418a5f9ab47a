"""Exponential, Laplace, Cauchy, Gumbel, HalfNormal, LogNormal, Gamma, Chi2, Beta, Dirichlet, Poisson, Geometric
and TransformedDistribution against torch.distributions: log_prob, cdf, entropy and moments with their gradients,
reprs, shapes, validation errors, and samples (shape, dtype, device, statistics), on cpu and cuda."""
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
LOC = np.array([0.0, -1.0, 2.0], F32)


def _affine_sigmoid(D, loc, scale):
    T = D.transforms
    return D.TransformedDistribution(D.Normal(loc, scale), [T.SigmoidTransform(), T.AffineTransform(1.0, 2.0)])


# name -> (builder(D, *params), parameter arrays, a valid value array, moments that exist in torch)
CASES = {
    "exponential": (lambda D, r: D.Exponential(r), [POS], np.array([[0.3, 0.0, 2.5], [1.0, 4.0, 0.1]], F32)),
    "laplace": (lambda D, m, s: D.Laplace(m, s), [LOC, POS], np.array([[0.3, -1.0, 4.0], [1.0, 0.0, -2.0]], F32)),
    "cauchy": (lambda D, m, s: D.Cauchy(m, s), [LOC, POS], np.array([0.3, -1.5, 40.0], F32)),
    "gumbel": (lambda D, m, s: D.Gumbel(m, s), [LOC, POS], np.array([0.3, -1.5, 4.0], F32)),
    "half_normal": (lambda D, s: D.HalfNormal(s), [POS], np.array([[0.3, 0.0, 4.0], [1.0, 2.0, 0.5]], F32)),
    "log_normal": (lambda D, m, s: D.LogNormal(m, s), [LOC, POS], np.array([0.3, 1.0, 9.0], F32)),
    "gamma": (lambda D, c, r: D.Gamma(c, r), [np.array([0.5, 1.0, 4.0], F32), POS],
              np.array([[0.3, 1.0, 2.5], [2.0, 0.1, 7.0]], F32)),
    "chi2": (lambda D, df: D.Chi2(df), [np.array([1.0, 2.5, 6.0], F32)], np.array([0.3, 1.0, 7.0], F32)),
    "beta": (lambda D, a, b: D.Beta(a, b), [np.array([0.5, 1.0, 4.0], F32), np.array([2.0, 1.0, 0.7], F32)],
             np.array([[0.3, 0.5, 0.9], [0.01, 0.99, 0.5]], F32)),
    "dirichlet": (lambda D, c: D.Dirichlet(c), [np.array([[0.5, 1.0, 4.0], [2.0, 3.0, 0.7]], F32)],
                  np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], F32)),
    "poisson": (lambda D, r: D.Poisson(r), [np.array([0.5, 4.0, 30.0], F32)],
                np.array([[0.0, 3.0, 28.0], [2.0, 0.0, 31.0]], F32)),
    "geometric_probs": (lambda D, p: D.Geometric(probs=p), [np.array([0.2, 0.5, 0.9], F32)],
                        np.array([[0.0, 3.0, 1.0], [5.0, 0.0, 2.0]], F32)),
    "geometric_logits": (lambda D, lg: D.Geometric(logits=lg), [np.array([-1.0, 0.0, 2.0], F32)],
                         np.array([0.0, 3.0, 1.0], F32)),
    "sigmoid_affine": (_affine_sigmoid, [LOC, POS], np.array([1.3, 2.5, 1.01], F32)),
}
A22 = np.array([[[1.0, 0.3], [-0.2, 0.8]], [[0.5, 0.0], [1.0, 1.5]]], F32)
MVN_VALUE = np.array([[0.3, -1.0], [2.0, 0.5]], F32)


def _mvn(kind):
    def build(D, loc, a):
        lib = torch if D is TD else xptorch
        cov = a @ a.mT + lib.eye(2, device=a.device)
        if kind == "cov":
            return D.MultivariateNormal(loc, covariance_matrix=cov)
        if kind == "prec":
            return D.MultivariateNormal(loc, precision_matrix=cov)
        return D.MultivariateNormal(loc, scale_tril=a.tril() + 2 * lib.eye(2, device=a.device))
    return build


CASES.update({
    "student_t": (lambda D, df, m, s: D.StudentT(df, m, s), [np.array([0.5, 1.5, 4.0], F32), LOC, POS],
                  np.array([[0.3, -1.0, 4.0], [1.0, 0.0, -2.0]], F32)),
    "binomial_probs": (lambda D, p: D.Binomial(10, probs=p), [np.array([0.2, 0.5, 0.9], F32)],
                       np.array([[0.0, 3.0, 10.0], [5.0, 4.0, 9.0]], F32)),
    "binomial_logits": (lambda D, lg: D.Binomial(7, logits=lg),
                        [np.array([-1.0, 0.0, 2.0], F32)], np.array([0.0, 3.0, 7.0], F32)),
    "one_hot_categorical": (lambda D, p: D.OneHotCategorical(probs=p), [np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]],
                                                                                 F32)],
                            np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], F32)),
    "mvn_cov": (_mvn("cov"), [np.array([0.5, -1.0], F32), A22], MVN_VALUE),
    "mvn_prec": (_mvn("prec"), [np.array([[0.5, -1.0], [0.0, 2.0]], F32), A22], MVN_VALUE),
    "mvn_tril": (_mvn("tril"), [np.array([0.5, -1.0], F32), A22], MVN_VALUE),
})
NO_ENTROPY = {"sigmoid_affine", "half_normal_never"}
NO_MOMENTS = {"sigmoid_affine"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_and_gradients(device, name):
    build, params, value = CASES[name]

    def run(D, lib):
        def f(*ps):
            return build(D, *ps).log_prob(lib.tensor(value).to(ps[0].device))
        return f

    check(device, params, run(TD, torch), run(XD, xptorch), check_grad_fn=False, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_ENTROPY))
@pytest.mark.parametrize("what", ["entropy", "mean", "mode", "variance", "stddev"])
def test_entropy_and_moments(device, name, what):
    build, params, _ = CASES[name]
    if what == "entropy":
        try:
            build(TD, *[torch.tensor(p) for p in params]).entropy()
        except NotImplementedError:
            pytest.skip("torch has no entropy here")

    def run(D):
        def f(*ps):
            d = build(D, *ps)
            out = d.entropy() if what == "entropy" else getattr(d, what)
            return out * 1
        return f

    # torch's constant moments (Cauchy's, modes of discrete laws) have no graph
    grad = not (name == "cauchy" and what in ("mean", "variance", "stddev")) and not (
        what == "mode" and name in ("poisson", "geometric_probs", "geometric_logits", "half_normal", "exponential",
                                    "gamma", "chi2", "beta", "dirichlet", "binomial_probs", "binomial_logits",
                                    "one_hot_categorical"))
    check(device, params, run(TD), run(XD), check_grad_fn=False, grad=grad, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name", ["exponential", "laplace", "cauchy", "half_normal", "log_normal", "gumbel"])
def test_cdf_icdf(device, name):
    build, params, _ = CASES[name]
    value = np.array([0.3, 1.0, 2.5], F32)
    q = np.array([0.1, 0.5, 0.97], F32)

    def run(D, lib):
        def f(*ps):
            d = build(D, *ps)
            return d.cdf(lib.tensor(value).to(ps[0].device)), d.icdf(lib.tensor(q).to(ps[0].device))
        return f

    try:
        run(TD, torch)(*[torch.tensor(p) for p in params])
    except NotImplementedError:
        pytest.skip("torch has no cdf/icdf here")
    check(device, params, run(TD, torch), run(XD, xptorch), check_grad_fn=False, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_and_shapes(name):
    build, params, _ = CASES[name]
    t = build(TD, *[torch.tensor(p) for p in params])
    x = build(XD, *[xptorch.tensor(p) for p in params])
    assert repr(x) == repr(t).replace("torch", "xptorch")
    assert tuple(x.batch_shape) == tuple(t.batch_shape) and tuple(x.event_shape) == tuple(t.event_shape)
    assert repr(x.support) == repr(t.support)
    assert {k: repr(v) for k, v in x.arg_constraints.items()} == {k: repr(v) for k, v in t.arg_constraints.items()}
    assert x.has_rsample == t.has_rsample
    if t.has_enumerate_support:
        try:
            ts = t.enumerate_support()
        except NotImplementedError:
            ts = None
        if ts is not None:
            np.testing.assert_array_equal(x.enumerate_support().numpy(), ts.numpy())
            np.testing.assert_array_equal(x.enumerate_support(False).numpy(), t.enumerate_support(False).numpy())
    e = x.expand((4,) + tuple(x.batch_shape))
    assert tuple(e.batch_shape) == (4,) + tuple(t.batch_shape) and type(e) is type(x)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_shape_dtype_device(device, name, sample_shape):
    build, params, _ = CASES[name]
    t = build(TD, *[torch.tensor(p) for p in params]).sample(sample_shape)
    d = build(XD, *[xptorch.tensor(p, device=device) for p in params])
    x = d.sample(sample_shape)
    assert tuple(x.shape) == tuple(t.shape)
    assert str(x.dtype) == str(t.dtype).replace("torch", "xptorch")
    assert x.device.type == device and not x.requires_grad
    if d.has_rsample:
        assert tuple(d.rsample(sample_shape).shape) == tuple(t.shape)


# name -> (distribution, mean, variance) for the moment checks of samples
def _moment_cases(dev):
    def t(*v):
        return xptorch.tensor(v, device=dev)

    return [
        (XD.Exponential(t(0.5, 4.0)), [2.0, 0.25], [4.0, 1 / 16]),
        (XD.Laplace(t(1.0, -2.0), t(0.5, 2.0)), [1.0, -2.0], [0.5, 8.0]),
        (XD.Gumbel(t(1.0, -2.0), t(0.5, 2.0)), [1.0 + 0.5 * 0.5772157, -2.0 + 2 * 0.5772157],
         [(math.pi * 0.5) ** 2 / 6, (math.pi * 2) ** 2 / 6]),
        (XD.HalfNormal(t(1.0, 3.0)), [math.sqrt(2 / math.pi), 3 * math.sqrt(2 / math.pi)],
         [1 - 2 / math.pi, 9 * (1 - 2 / math.pi)]),
        (XD.LogNormal(t(0.0, 0.5), t(0.25, 0.5)), [math.exp(0.25**2 / 2), math.exp(0.5 + 0.125)],
         [math.expm1(0.0625) * math.exp(0.0625), math.expm1(0.25) * math.exp(1.25)]),
        (XD.Gamma(t(0.2, 1.0, 5.0, 300.0), t(1.0, 2.0, 0.5, 10.0)), [0.2, 0.5, 10.0, 30.0], [0.2, 0.25, 20.0, 3.0]),
        (XD.Chi2(t(3.0)), [3.0], [6.0]),
        (XD.Beta(t(0.5, 2.0), t(0.5, 5.0)), [0.5, 2 / 7], [0.125, 10 / (49 * 8)]),
        (XD.Poisson(t(0.0, 0.3, 4.0, 9.9, 10.0, 250.0)), [0.0, 0.3, 4.0, 9.9, 10.0, 250.0],
         [0.0, 0.3, 4.0, 9.9, 10.0, 250.0]),
        (XD.Geometric(t(0.2, 0.9)), [4.0, 1 / 9], [20.0, (1 / 0.9 - 1) / 0.9]),
        (XD.StudentT(t(5.0, 30.0), t(1.0, -2.0), t(0.5, 2.0)), [1.0, -2.0], [0.25 * 5 / 3, 4 * 30 / 28]),
        (XD.Binomial(t(0.0, 1.0, 10.0, 10.0, 200.0, 200.0, 5000.0), t(0.3, 0.3, 0.05, 0.97, 0.5, 0.01, 0.3)),
         [0.0, 0.3, 0.5, 9.7, 100.0, 2.0, 1500.0],
         [0.0, 0.21, 0.475, 10 * 0.97 * 0.03, 50.0, 1.98, 1050.0]),
        (XD.OneHotCategorical(t(0.1, 0.6, 0.3)), [0.1, 0.6, 0.3], [0.09, 0.24, 0.21]),
        (XD.MultivariateNormal(t(1.0, -1.0), covariance_matrix=xptorch.tensor([[2.0, 0.6], [0.6, 0.5]], device=dev)),
         [1.0, -1.0], [2.0, 0.5]),
    ]


def test_sample_statistics(device):
    """Means within 5 standard errors, variances within 10% (n = 40000, fixed seed)."""
    xptorch.manual_seed(0)
    n = 40000
    for d, mean, var in _moment_cases(device):
        s = d.sample((n,)).cpu().numpy().astype(np.float64)
        mean, var = np.array(mean), np.array(var)
        assert np.all(np.abs(s.mean(0) - mean) <= 5 * np.sqrt(var / n) + 1e-12), (d, s.mean(0), mean)
        np.testing.assert_allclose(s.var(0), var, rtol=0.1, atol=1e-12, err_msg=repr(d))
    s = XD.Cauchy(0.0, 2.0).sample((n,)).numpy()
    assert abs(np.median(s)) < 0.05 and abs(np.percentile(s, 75) - 2.0) < 0.1
    dir_s = XD.Dirichlet(xptorch.tensor([0.5, 1.0, 3.5], device=device)).sample((n,)).cpu().numpy()
    np.testing.assert_allclose(dir_s.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(dir_s.mean(0), [0.1, 0.2, 0.7], atol=0.01)
    p = XD.Poisson(xptorch.tensor(4.0, device=device)).sample((n,)).cpu().numpy()
    assert (p == np.round(p)).all() and p.min() >= 0
    freq = np.bincount(p.astype(int), minlength=12)[:12] / n
    pmf = np.array([math.exp(-4) * 4**k / math.factorial(k) for k in range(12)])
    np.testing.assert_allclose(freq, pmf, atol=0.008)


def test_gamma_rsample_gradient_is_the_implicit_one(device):
    """The concentration gradient of a sample equals -dP(a, x)/da / p(x; a): torch's _standard_gamma_grad (an
    approximation good to ~1e-4) and central differences of the inverse of torch's gammainc."""
    xptorch.manual_seed(1)
    a = xptorch.tensor([0.05, 0.7, 1.0, 3.0, 40.0, 900.0], dtype=xptorch.float64, device=device, requires_grad=True)
    x = XD.Gamma(a, 1.0).rsample((50,))
    x.sum().backward()
    xs = x.detach().cpu().numpy()
    want = torch._standard_gamma_grad(torch.tensor(np.broadcast_to(a.detach().cpu().numpy(), xs.shape).copy()),
                                      torch.tensor(xs)).sum(0).numpy()
    np.testing.assert_allclose(a.grad.cpu().numpy(), want, rtol=2e-3)


def test_gamma_implicit_gradient_matches_finite_differences():
    from xptorch.distributions._gamma_sampling import standard_gamma_grad
    from torch.special import gammainc

    for alpha, x in [(0.3, 0.01), (0.3, 2.0), (2.5, 2.4), (2.5, 9.0), (150.0, 170.0), (150.0, 120.0)]:
        u = gammainc(torch.tensor(alpha, dtype=torch.float64), torch.tensor(x, dtype=torch.float64))

        def inv(aa):
            return torch.tensor(x, dtype=torch.float64).new_tensor(_bisect(lambda z: gammainc(
                torch.tensor(aa, dtype=torch.float64), torch.tensor(z, dtype=torch.float64)).item() - u.item(),
                0.0, 10 * x + 100))

        h = alpha * 1e-6
        fd = (inv(alpha + h) - inv(alpha - h)).item() / (2 * h)
        got = standard_gamma_grad(np.array([alpha]), np.array([x]))[0]
        assert abs(got - fd) <= 1e-6 * abs(fd), (alpha, x, got, fd)


def _bisect(f, lo, hi):
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def test_rsample_gradients_are_unbiased():
    """d/dparam of E[sample] from the pathwise gradients against the closed form (fixed seed, 5 standard errors)."""
    xptorch.manual_seed(2)
    n = 20000
    c1 = xptorch.tensor([0.5, 2.0], dtype=xptorch.float64, requires_grad=True)
    c0 = xptorch.tensor([1.5, 3.0], dtype=xptorch.float64, requires_grad=True)
    s = XD.Beta(c1, c0).rsample((n,))
    s.mean(0).sum().backward()
    a, b = c1.detach().numpy(), c0.detach().numpy()
    np.testing.assert_allclose(c1.grad.numpy(), b / (a + b) ** 2, rtol=0.05)
    np.testing.assert_allclose(c0.grad.numpy(), -a / (a + b) ** 2, rtol=0.05)
    df = xptorch.tensor([4.0], dtype=xptorch.float64, requires_grad=True)
    (XD.Chi2(df).rsample((n,)).mean(0).sum()).backward()
    assert abs(df.grad.item() - 1.0) < 0.05
    rate = xptorch.tensor([2.0], requires_grad=True)
    XD.Exponential(rate).rsample((n,)).mean().backward()
    assert abs(rate.grad.item() + 0.25) < 0.01


ERRORS = [
    lambda D, m: D.Exponential(m.tensor([1.0, -1.0])),
    lambda D, m: D.Exponential(1.0).log_prob(m.tensor([-1.0])),
    lambda D, m: D.Laplace(0.0, m.tensor([0.0])),
    lambda D, m: D.Cauchy(0.0, -1.0),
    lambda D, m: D.Gumbel(0.0, m.tensor([-1.0])),
    lambda D, m: D.HalfNormal(m.tensor([-1.0])),
    lambda D, m: D.HalfNormal(1.0).log_prob(m.tensor([-1.0])),
    lambda D, m: D.LogNormal(0.0, m.tensor([-1.0])),
    lambda D, m: D.LogNormal(0.0, 1.0).log_prob(m.tensor([-1.0])),
    lambda D, m: D.Gamma(m.tensor([0.0]), 1.0),
    lambda D, m: D.Gamma(1.0, m.tensor([-2.0])),
    lambda D, m: D.Gamma(1.0, 1.0).log_prob(m.tensor([-2.0])),
    lambda D, m: D.Chi2(m.tensor([-2.0])),
    lambda D, m: D.Beta(m.tensor([-2.0]), m.tensor([1.0])),
    lambda D, m: D.Beta(2.0, 1.0).log_prob(m.tensor([1.5])),
    lambda D, m: D.Dirichlet(m.tensor(1.0)),
    lambda D, m: D.Dirichlet(m.tensor([1.0, -1.0])),
    lambda D, m: D.Dirichlet(m.tensor([1.0, 1.0])).log_prob(m.tensor([0.5, 0.6])),
    lambda D, m: D.Poisson(m.tensor([-1.0])),
    lambda D, m: D.Poisson(2.0).log_prob(m.tensor([1.5])),
    lambda D, m: D.Geometric(m.tensor([0.0, 0.5])),
    lambda D, m: D.Geometric(probs=0.5, logits=0.0),
    lambda D, m: D.Geometric(m.tensor([1.5])),
    lambda D, m: D.Geometric(0.5).log_prob(m.tensor([-1.0])),
    lambda D, m: D.StudentT(m.tensor([-1.0])),
    lambda D, m: D.StudentT(2.0, 0.0, m.tensor([-1.0])),
    lambda D, m: D.Binomial(10, m.tensor([1.5])),
    lambda D, m: D.Binomial(m.tensor([2.5]), m.tensor([0.5])),
    lambda D, m: D.Binomial(10, m.tensor([0.5])).log_prob(m.tensor([11.0])),
    lambda D, m: D.Binomial(m.tensor([10.0]), probs=m.tensor([0.5]), logits=m.tensor([0.0])),
    lambda D, m: D.OneHotCategorical(m.tensor([0.5, 0.5])).log_prob(m.tensor([1.0, 1.0])),
    lambda D, m: D.OneHotCategorical(),
    lambda D, m: D.MultivariateNormal(m.zeros(2)),
    lambda D, m: D.MultivariateNormal(m.tensor(0.0), m.eye(2)),
    lambda D, m: D.MultivariateNormal(m.zeros(2), m.ones(2)),
    lambda D, m: D.MultivariateNormal(m.zeros(2), scale_tril=m.ones(2)),
    lambda D, m: D.MultivariateNormal(m.zeros(2), m.eye(2), scale_tril=m.eye(2)),
    lambda D, m: D.MultivariateNormal(m.zeros(2), m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda D, m: D.MultivariateNormal(m.zeros(2), m.tensor([[1.0, 0.5], [0.0, 1.0]])),
    lambda D, m: D.MultivariateNormal(m.zeros(2), scale_tril=m.tensor([[1.0, 0.5], [0.0, 1.0]])),
    lambda D, m: D.MultivariateNormal(m.zeros(2), scale_tril=m.tensor([[-1.0, 0.0], [0.0, 1.0]])),
    lambda D, m: D.kl_divergence(D.MultivariateNormal(m.zeros(2), m.eye(2)), D.MultivariateNormal(m.zeros(3),
                                                                                                  m.eye(3))),
    lambda D, m: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"),
    lambda D, m: D.TransformedDistribution(D.Normal(0.0, 1.0), [1]),
]


@pytest.mark.parametrize("make", ERRORS)
def test_validation_errors(make):
    check_error(lambda: make(TD, torch), lambda: make(XD, xptorch))


def test_transforms_match_torch():
    x = np.array([-3.0, -0.5, 0.0, 0.7, 4.0], np.float64)
    for make in (lambda T, lib: T.ExpTransform(), lambda T, lib: T.SigmoidTransform(),
                 lambda T, lib: T.AffineTransform(1.0, -2.0), lambda T, lib: T.AffineTransform(lib.tensor(0.5),
                                                                                            lib.tensor(3.0)),
                 lambda T, lib: T.ExpTransform().inv, lambda T, lib: T.ComposeTransform([T.ExpTransform(),
                                                                                         T.AffineTransform(0.0, 2.0)]),
                 lambda T, lib: T.PowerTransform(lib.tensor(2.0))):
        t, xt = make(TD.transforms, torch), make(XD.transforms, xptorch)
        assert repr(xt).replace("xptorch", "torch") == repr(t)
        assert repr(xt.domain) == repr(t.domain) and repr(xt.codomain) == repr(t.codomain)
        xin = np.abs(x) + 0.1 if isinstance(t, TD.transforms.PowerTransform) or (
            isinstance(t, TD.transforms._InverseTransform)) else x
        ty, xy = t(torch.tensor(xin)), xt(xptorch.tensor(xin))
        np.testing.assert_allclose(xy.numpy(), ty.numpy(), rtol=1e-12)
        np.testing.assert_allclose(xt.inv(xy).numpy(), t.inv(ty).numpy(), rtol=1e-12)
        np.testing.assert_allclose(xt.log_abs_det_jacobian(xptorch.tensor(xin), xy).numpy(),
                                   t.log_abs_det_jacobian(torch.tensor(xin), ty).numpy(), rtol=1e-12)
        assert xt.inv.inv is xt


def test_module_paths():
    from xptorch.distributions.beta import Beta
    from xptorch.distributions.gamma import Gamma
    from xptorch.distributions.transformed_distribution import TransformedDistribution
    from xptorch.distributions.transforms import ExpTransform

    assert (Beta, Gamma, TransformedDistribution, ExpTransform) == (XD.Beta, XD.Gamma, XD.TransformedDistribution,
                                                                    XD.ExpTransform)
    assert isinstance(XD.LogNormal(0.0, 1.0), XD.TransformedDistribution)
    assert isinstance(XD.Gumbel(0.0, 1.0), XD.TransformedDistribution)


A2 = np.array([0.7, 2.0, 5.0], F32)
KL_PAIRS = {
    "exponential": (lambda D, a, b: (D.Exponential(a), D.Exponential(b)), [POS, A2]),
    "gamma": (lambda D, a, b: (D.Gamma(a, b), D.Gamma(b, a)), [POS, A2]),
    "exponential_gamma": (lambda D, a, b: (D.Exponential(a), D.Gamma(b, a)), [POS, A2]),
    "gamma_exponential": (lambda D, a, b: (D.Gamma(b, a), D.Exponential(b)), [POS, A2]),
    "beta": (lambda D, a, b: (D.Beta(a, b), D.Beta(b, a + 1)), [POS, A2]),
    "dirichlet": (lambda D, a, b: (D.Dirichlet(a), D.Dirichlet(b)), [POS, A2]),
    "poisson": (lambda D, a, b: (D.Poisson(a), D.Poisson(b)), [POS, A2]),
    "laplace": (lambda D, a, b: (D.Laplace(a, b), D.Laplace(b, a)), [POS, A2]),
    "geometric": (lambda D, a, b: (D.Geometric(a / 4), D.Geometric(b / 6)), [POS, A2]),
    "gumbel": (lambda D, a, b: (D.Gumbel(a, b), D.Gumbel(b, a)), [POS, A2]),
    "cauchy": (lambda D, a, b: (D.Cauchy(a, b), D.Cauchy(b, a)), [POS, A2]),
    "half_normal": (lambda D, a, b: (D.HalfNormal(a), D.HalfNormal(b)), [POS, A2]),
    "log_normal": (lambda D, a, b: (D.LogNormal(a, b), D.LogNormal(b, a)), [POS, A2]),
    "one_hot": (lambda D, a, b: (D.OneHotCategorical(a), D.OneHotCategorical(logits=b)), [POS, A2]),
    "mvn": (lambda D, a, b: (_mvn("cov")(D, a[:2], A22_T(D, a)), _mvn("tril")(D, b[1:], A22_T(D, a) * 0.5)),
            [POS, A2]),
}


def A22_T(D, like):
    return (torch if D is TD else xptorch).tensor(A22, device=like.device)


@pytest.mark.parametrize("name", sorted(KL_PAIRS))
def test_kl_divergence(device, name):
    build, params = KL_PAIRS[name]

    def run(D):
        def f(a, b):
            p, q = build(D, a, b)
            return D.kl_divergence(p, q)
        return f

    check(device, params, run(TD), run(XD), check_grad_fn=False, rtol=2e-5, atol=2e-5)


def test_kl_transformed_needs_equal_transforms():
    for D, lib in ((TD, torch), (XD, xptorch)):
        p = D.LogNormal(0.0, 1.0)
        q = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.SigmoidTransform()])
        with pytest.raises(NotImplementedError):
            D.kl_divergence(p, q)


def test_gamma_cdf(device):
    """Gradients in rate only: neither library differentiates the incomplete gamma in concentration."""
    def run(D, lib):
        def f(r):
            c = lib.tensor([0.5, 1.0, 4.0], dtype=r.dtype, device=r.device)
            return D.Gamma(c, r).cdf(lib.tensor([0.3, 1.0, 2.5], dtype=r.dtype).to(r.device))
        return f

    check(device, [np.array([0.5, 1.0, 3.0])], run(TD, torch), run(XD, xptorch), dtype="float64",
          check_grad_fn=False, rtol=1e-7, atol=1e-10)
