"""cdf/icdf, expand, support, Independent and kl_divergence/register_kl against torch.distributions:
values and every gradient on cpu and cuda, shapes and reprs, and torch's errors and warnings."""
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import distributions as XD

torch = pytest.importorskip("torch")
from torch import distributions as TD  # noqa: E402

from devices import check  # noqa: E402
from oracle import check_error, on_cpu_terms, xp_message  # noqa: E402

f32 = lambda *v: np.array(v, np.float32)  # noqa: E731
P = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], np.float32)
Q = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]], np.float32)


# ---- cdf / icdf ---------------------------------------------------------------------------------

CDF = {
    "normal_cdf": (lambda D, m, s, v: D.Normal(m, s).cdf(v), [f32(0.0, 1.0, -2.0), f32(1.0, 0.5, 2.0), f32(0.3, 1.2, -4.0)]),
    "normal_cdf_broadcast": (lambda D, m, s, v: D.Normal(m, s).cdf(v),
                             [f32(0.0, 1.0), f32(1.0, 0.5), np.array([[0.3, 1.2], [-4.0, 9.0]], np.float32)]),
    "normal_icdf": (lambda D, m, s, v: D.Normal(m, s).icdf(v), [f32(0.0, 1.0, -2.0), f32(1.0, 0.5, 2.0), f32(0.1, 0.5, 0.97)]),
    "uniform_cdf": (lambda D, lo, hi, v: D.Uniform(lo, hi).cdf(v), [f32(0.0, -1.0, 2.0), f32(1.0, 3.0, 5.0), f32(0.5, 2.0, 4.0)]),
    "uniform_icdf": (lambda D, lo, hi, v: D.Uniform(lo, hi).icdf(v), [f32(0.0, -1.0), f32(1.0, 3.0), f32(0.25, 0.9)]),
}


@pytest.mark.parametrize("name", sorted(CDF))
def test_cdf_icdf_values_and_gradients(device, name):
    fn, params = CDF[name]
    check(device, params, lambda *a: fn(TD, *a), lambda *a: fn(XD, *a), check_grad_fn=False, rtol=1e-5, atol=1e-6)


def test_normal_icdf_inverts_cdf_in_float64():
    d = XD.Normal(xptorch.tensor([0.5], dtype=xptorch.float64), xptorch.tensor([2.0], dtype=xptorch.float64))
    v = xptorch.linspace(-6.0, 7.0, 53, dtype=xptorch.float64)  # beyond, 1 + erf(z) itself loses the digits
    np.testing.assert_allclose(d.icdf(d.cdf(v)).numpy(), v.numpy(), rtol=1e-9, atol=1e-9)
    t = TD.Normal(torch.tensor([0.5], dtype=torch.float64), torch.tensor([2.0], dtype=torch.float64))
    p = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(d.icdf(xptorch.tensor(p)).numpy(), t.icdf(torch.tensor(p)).numpy(), rtol=1e-12)


def test_cdf_icdf_not_implemented_where_torch_has_none():
    for lib, D in ((torch, TD), (xptorch, XD)):
        with pytest.raises(NotImplementedError):
            D.Bernoulli(lib.tensor([0.5])).cdf(lib.tensor([1.0]))
        with pytest.raises(NotImplementedError):
            D.Categorical(lib.tensor([0.5, 0.5])).icdf(lib.tensor([0.5]))


def test_cdf_validates_its_value():
    check_error(lambda: TD.Normal(0.0, 1.0).cdf(torch.tensor([float("nan")])),
                lambda: XD.Normal(0.0, 1.0).cdf(xptorch.tensor([float("nan")])))
    check_error(lambda: TD.Uniform(0.0, 1.0).cdf(torch.tensor([2.0])),
                lambda: XD.Uniform(0.0, 1.0).cdf(xptorch.tensor([2.0])))


# ---- expand, batch_shape / event_shape / support -----------------------------------------------

BUILD = {
    "normal": (lambda D, m: D.Normal(m, m.exp()), f32(0.0, 1.0, -2.0), f32(0.3, 1.2, -4.0)),
    "uniform": (lambda D, m: D.Uniform(m, m + 2), f32(0.0, 1.0, -2.0), f32(0.3, 1.2, -1.0)),
    "bernoulli_probs": (lambda D, m: D.Bernoulli(probs=m), f32(0.1, 0.5, 0.9), f32(0.0, 1.0, 1.0)),
    "bernoulli_logits": (lambda D, m: D.Bernoulli(logits=m), f32(-1.0, 0.0, 2.0), f32(0.0, 1.0, 1.0)),
    "categorical": (lambda D, m: D.Categorical(probs=m), P, np.array([2, 0], np.int64)),
    "categorical_logits": (lambda D, m: D.Categorical(logits=m), np.log(P), np.array([1, 1], np.int64)),
    "multinomial": (lambda D, m: D.Multinomial(3, probs=m), P, np.array([1.0, 1.0, 1.0], np.float32)),
    "independent": (lambda D, m: D.Independent(D.Normal(m, 1.0), 1), P, P),
}


@pytest.mark.parametrize("name", sorted(BUILD))
def test_expand(device, name):
    build, param, value = BUILD[name]

    def run(D, lib):
        def f(m):
            d = build(D, m)
            e = d.expand((4,) + tuple(d.batch_shape))
            assert type(e) is type(d) and e._validate_args == d._validate_args
            assert tuple(e.batch_shape) == (4,) + tuple(d.batch_shape) and e.event_shape == d.event_shape
            return e.log_prob(lib.tensor(value).to(m.device)), e.mean * 1
        return f

    check(device, [param], run(TD, torch), run(XD, xptorch), check_grad_fn=False, rtol=1e-5, atol=1e-6)
    t, x = build(TD, torch.tensor(param)), build(XD, xptorch.tensor(param))
    te, xe = t.expand((4,) + tuple(t.batch_shape)), x.expand((4,) + tuple(x.batch_shape))
    assert repr(xe) == xp_message(repr(te))
    assert repr(xe.batch_shape) == xp_message(repr(te.batch_shape))
    assert repr(xe.event_shape) == xp_message(repr(te.event_shape))
    assert repr(xe.support) == repr(te.support)
    assert tuple(xe.sample((2,)).shape) == tuple(te.sample((2,)).shape)


def test_expand_errors():
    check_error(lambda: TD.Normal(torch.zeros(3), 1.0).expand((2,)), lambda: XD.Normal(xptorch.zeros(3), 1.0).expand((2,)))

    def sub(D):
        class MyNormal(D.Normal):
            def __init__(self, loc):
                super().__init__(loc, 1.0)
        return MyNormal

    check_error(lambda: sub(TD)(torch.zeros(2)).expand((3, 2)), lambda: sub(XD)(xptorch.zeros(2)).expand((3, 2)))
    with pytest.raises(NotImplementedError):
        XD.Distribution().expand((2,))
    with pytest.raises(NotImplementedError):
        XD.Distribution().support


def test_expand_keeps_validation():
    e = XD.Normal(xptorch.zeros(2), 1.0).expand((3, 2))
    check_error(lambda: TD.Normal(torch.zeros(2), 1.0).expand((3, 2)).log_prob(torch.zeros(4)),
                lambda: e.log_prob(xptorch.zeros(4)))


# ---- Independent --------------------------------------------------------------------------------

def test_independent_values_and_gradients(device):
    value = np.array([[0.3, 1.2, -4.0], [1.0, 0.0, 0.5]], np.float32)

    def run(D, lib):
        def f(m, s):
            d = D.Independent(D.Normal(m, s), 1)
            return d.log_prob(lib.tensor(value).to(m.device)), d.entropy(), d.mean * 1, d.variance
        return f

    check(device, [P, Q], run(TD, torch), run(XD, xptorch), check_grad_fn=False, rtol=1e-5, atol=1e-6)


def test_independent_shapes_reprs_errors():
    for n in (0, 1, 2):
        t = TD.Independent(TD.Normal(torch.tensor(P), 1.0), n)
        x = XD.Independent(XD.Normal(xptorch.tensor(P), 1.0), n)
        assert on_cpu_terms(repr(x)) == xp_message(repr(t))
        assert repr(x.batch_shape) == xp_message(repr(t.batch_shape))
        assert repr(x.event_shape) == xp_message(repr(t.event_shape))
        assert repr(x.support) == repr(t.support)
        assert x.has_rsample == t.has_rsample and x.has_enumerate_support == t.has_enumerate_support
        assert tuple(x.rsample((5,)).shape) == tuple(t.rsample((5,)).shape)
    check_error(lambda: TD.Independent(TD.Normal(torch.zeros(3), 1.0), 2),
                lambda: XD.Independent(XD.Normal(xptorch.zeros(3), 1.0), 2))
    check_error(lambda: TD.Independent(TD.Normal(torch.zeros(3), 1.0), 1).log_prob(torch.zeros(2)),
                lambda: XD.Independent(XD.Normal(xptorch.zeros(3), 1.0), 1).log_prob(xptorch.zeros(2)))
    b = XD.Independent(XD.Bernoulli(xptorch.tensor(P)), 1)
    assert b.has_enumerate_support is False
    assert not b.support.check(xptorch.tensor([[1.0, 0.0, 0.5]])).item()


# ---- kl_divergence / register_kl -----------------------------------------------------------------

KL = {
    "normal_normal": (lambda D, a, b, c, d: (D.Normal(a, b.exp()), D.Normal(c, d.exp())),
                      [f32(0.0, 1.0, -2.0), f32(0.0, -0.5, 0.3), f32(1.0, 1.0, 0.5), f32(0.2, 0.0, -1.0)]),
    "normal_normal_broadcast": (lambda D, a, b: (D.Normal(a, b), D.Normal(0.5, 2.0)), [f32(0.0, 1.0, -2.0), f32(1.0, 0.5, 3.0)]),
    "bernoulli": (lambda D, p, q: (D.Bernoulli(probs=p), D.Bernoulli(probs=q)), [f32(0.1, 0.5, 0.9, 0.0, 1.0, 0.3),
                                                                                 f32(0.3, 0.5, 0.2, 0.4, 0.6, 0.0)]),
    "bernoulli_logits": (lambda D, p, q: (D.Bernoulli(logits=p), D.Bernoulli(logits=q)), [f32(-1.0, 0.0, 2.0), f32(0.5, 1.0, -3.0)]),
    "categorical": (lambda D, p, q: (D.Categorical(probs=p), D.Categorical(probs=q)), [P, Q]),
    "categorical_zeros": (lambda D, p, q: (D.Categorical(probs=p), D.Categorical(probs=q)),
                          [np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]], np.float32),
                           np.array([[0.5, 0.5, 0.0], [0.3, 0.3, 0.4]], np.float32)]),
    "categorical_logits": (lambda D, p, q: (D.Categorical(logits=p), D.Categorical(logits=q)), [np.log(P), np.log(Q)]),
    "uniform_uniform": (lambda D, a, b, c, d: (D.Uniform(a, b), D.Uniform(c, d)),
                        [f32(0.0, 0.0, 1.0), f32(1.0, 2.0, 2.0), f32(-1.0, 0.5, 0.0), f32(2.0, 3.0, 1.5)]),
    "uniform_normal": (lambda D, a, b, c, d: (D.Uniform(a, b), D.Normal(c, d)),
                       [f32(0.0, -1.0), f32(1.0, 3.0), f32(0.5, 0.0), f32(1.0, 2.0)]),
    "normal_uniform": (lambda D, a, b, c, d: (D.Normal(a, b), D.Uniform(c, d)),
                       [f32(0.0, -1.0), f32(1.0, 3.0), f32(0.5, 0.0), f32(1.0, 2.0)]),
    "independent": (lambda D, a, b: (D.Independent(D.Normal(a, 1.0), 1), D.Independent(D.Normal(b, 2.0), 1)), [P, Q]),
    "independent_expanded": (lambda D, a, b: (D.Independent(D.Normal(a, 1.0).expand((4, 2, 3)), 2),
                                              D.Independent(D.Normal(b, 2.0).expand((4, 2, 3)), 2)), [P, Q]),
}


@pytest.mark.parametrize("name", sorted(KL))
def test_kl_values_and_gradients(device, name):
    build, params = KL[name]

    def run(D):
        def f(*ps):
            p, q = build(D, *ps)
            return D.kl_divergence(p, q)
        return f

    check(device, params, run(TD), run(XD), check_grad_fn=False, rtol=1e-5, atol=1e-6)


def test_kl_module_path_and_unregistered_pair():
    from xptorch.distributions.kl import kl_divergence, register_kl

    assert kl_divergence is XD.kl_divergence and register_kl is XD.register_kl
    check_error(lambda: TD.kl_divergence(TD.Categorical(torch.ones(2)), TD.Uniform(0.0, 1.0)),
                lambda: XD.kl_divergence(XD.Categorical(xptorch.ones(2)), XD.Uniform(0.0, 1.0)))
    check_error(lambda: TD.kl_divergence(TD.Independent(TD.Normal(torch.zeros(2, 2), 1.0), 1),
                                         TD.Independent(TD.Normal(torch.zeros(2, 2), 1.0), 2)),
                lambda: XD.kl_divergence(XD.Independent(XD.Normal(xptorch.zeros(2, 2), 1.0), 1),
                                         XD.Independent(XD.Normal(xptorch.zeros(2, 2), 1.0), 2)))
    check_error(lambda: TD.register_kl(3, TD.Normal), lambda: XD.register_kl(3, XD.Normal))


def _register_subclasses(D):
    """A user's subclasses with a tie that kl_divergence can only warn about, then one that breaks it."""
    class P1(D.Normal):
        pass

    class Q1(D.Normal):
        pass

    @D.register_kl(P1, D.Normal)
    def kl_p(p, q):
        return p.loc * 0 + 1

    @D.register_kl(D.Normal, Q1)
    def kl_q(p, q):
        return p.loc * 0 + 2

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        first = D.kl_divergence(P1(0.0, 1.0), Q1(0.0, 1.0)).item()
    messages = [(x.category.__name__, xp_message(str(x.message))) for x in w]
    D.register_kl(P1, Q1)(kl_q)
    second = D.kl_divergence(P1(0.0, 1.0), Q1(0.0, 1.0)).item()
    subclass_of_registered = D.kl_divergence(P1(0.0, 1.0), D.Normal(0.0, 1.0)).item()
    return first, messages, second, subclass_of_registered


def test_register_kl_dispatch_ambiguity_and_tie_break():
    assert _register_subclasses(XD) == _register_subclasses(TD)


# ---- rsample gradients ---------------------------------------------------------------------------

def test_rsample_gradients_are_the_reparameterisation(device):
    """d sample / d loc = 1 and d sample / d scale = eps (Normal); d / d low = 1 - u, d / d high = u (Uniform),
    as torch's rsample gives them; also through Independent and expand."""
    xptorch.manual_seed(0)
    loc = xptorch.tensor([0.0, 1.0], device=device, requires_grad=True)
    scale = xptorch.tensor([1.0, 2.0], device=device, requires_grad=True)
    for d in (XD.Normal(loc, scale), XD.Independent(XD.Normal(loc, scale), 1), XD.Normal(loc, scale).expand((3, 2))):
        loc.grad = scale.grad = None
        s = d.rsample((5,))
        g = xptorch.rand(tuple(s.shape), device=device)
        s.backward(g)
        eps = (s.detach() - loc.detach()) / scale.detach()
        axes = tuple(range(s.dim() - 1))
        np.testing.assert_allclose(to(loc.grad), to(g.sum(axes)), rtol=1e-6)
        np.testing.assert_allclose(to(scale.grad), to((g * eps).sum(axes)), rtol=1e-5, atol=1e-6)
    low = xptorch.tensor([0.0, -1.0], device=device, requires_grad=True)
    high = xptorch.tensor([1.0, 3.0], device=device, requires_grad=True)
    s = XD.Uniform(low, high).rsample((6,))
    g = xptorch.rand(6, 2, device=device)
    s.backward(g)
    u = (s.detach() - low.detach()) / (high.detach() - low.detach())
    np.testing.assert_allclose(to(low.grad), to((g * (1 - u)).sum(0)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to(high.grad), to((g * u).sum(0)), rtol=1e-5, atol=1e-6)
    for lib, D in ((torch, TD), (xptorch, XD)):
        assert D.Normal(0.0, 1.0).has_rsample and D.Uniform(0.0, 1.0).has_rsample
        assert not D.Bernoulli(0.5).has_rsample and not D.Categorical(lib.ones(2)).has_rsample


def to(t):
    return t.detach().cpu().numpy()


# ---- enumerate_support ---------------------------------------------------------------------------

@pytest.mark.parametrize("expand", [True, False])
def test_enumerate_support(device, expand):
    for build in (lambda D, t: D.Bernoulli(t(P)), lambda D, t: D.Bernoulli(t(0.3)),
                  lambda D, t: D.Categorical(t(P)), lambda D, t: D.Categorical(logits=t(P[0])),
                  lambda D, t: D.Independent(D.Bernoulli(t(P)), 0), lambda D, t: D.Bernoulli(t(P)).expand((4, 2, 3))):
        want = build(TD, torch.tensor).enumerate_support(expand=expand)
        got = build(XD, lambda a: xptorch.tensor(a, device=device)).enumerate_support(expand=expand)
        assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype).replace("torch", "xptorch")
        assert got.device.type == device
        np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
    for D, lib in ((TD, torch), (XD, xptorch)):
        with pytest.raises(NotImplementedError):
            D.Normal(0.0, 1.0).enumerate_support()
    check_error(lambda: TD.Independent(TD.Bernoulli(torch.tensor(P)), 1).enumerate_support(),
                lambda: XD.Independent(XD.Bernoulli(xptorch.tensor(P)), 1).enumerate_support())
