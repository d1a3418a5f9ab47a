"""LowRankMultivariateNormal against torch.distributions: log_prob, entropy, variance and the covariance,
precision and scale_tril matrices with their gradients; repr, shapes, expand, sample covariance, pathwise
gradients, KL divergences and validation errors, on cpu and cuda."""
import numpy as np
import pytest

import xptorch
from xptorch import distributions as XD

torch = pytest.importorskip("torch")
from torch import distributions as TD  # noqa: E402

from devices import check  # noqa: E402
from oracle import check_error  # noqa: E402

LOC = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]])
W = np.array([[1.0, 0.3], [-0.2, 0.8], [0.5, -1.1]])
DIAG = np.array([0.5, 1.5, 0.3])
VALUE = np.array([[[0.3, -1.0, 2.2]], [[2.0, 0.5, -0.1]]])


def _lib(D):
    return torch if D is TD else xptorch


@pytest.mark.parametrize("what", ["log_prob", "entropy", "variance", "covariance_matrix", "precision_matrix",
                                  "scale_tril"])
def test_values_and_gradients(device, what):
    def run(D):
        def f(loc, w, diag):
            d = D.LowRankMultivariateNormal(loc, w, diag)
            if what == "log_prob":
                return d.log_prob(_lib(D).tensor(VALUE, dtype=loc.dtype).to(loc.device))
            return (d.entropy() if what == "entropy" else getattr(d, what)) * 1
        return f

    check(device, [LOC, W, DIAG], run(TD), run(XD), dtype="float64", check_grad_fn=False, rtol=1e-7, atol=1e-9)


def test_repr_shapes_expand_and_samples(device):
    t = TD.LowRankMultivariateNormal(torch.tensor(LOC), torch.tensor(W), torch.tensor(DIAG))
    d = XD.LowRankMultivariateNormal(*[xptorch.tensor(a, device=device) for a in (LOC, W, DIAG)])
    if device == "cpu":
        assert repr(d) == repr(t).replace("torch", "xptorch")
    assert (tuple(d.batch_shape), tuple(d.event_shape)) == (tuple(t.batch_shape), tuple(t.event_shape)) == ((2,), (3,))
    assert repr(d.support) == repr(t.support) and d.has_rsample
    assert {k: repr(v) for k, v in d.arg_constraints.items()} == {k: repr(v) for k, v in t.arg_constraints.items()}
    e = d.expand((4, 2))
    assert tuple(e.batch_shape) == (4, 2) and tuple(e.cov_factor.shape) == (4, 2, 3, 2)
    np.testing.assert_allclose(e.log_prob(e.loc).cpu().numpy(), t.expand((4, 2)).log_prob(t.expand((4, 2)).loc),
                               rtol=1e-10)
    assert tuple(d.sample((5, 1)).shape) == tuple(t.sample((5, 1)).shape) == (5, 1, 2, 3)
    assert d.sample().dtype == xptorch.float64 and d.sample().device.type == device
    xptorch.manual_seed(0)
    n = 40000
    s = d.sample((n,))[:, 0].cpu().numpy()
    cov = W @ W.T + np.diag(DIAG)
    np.testing.assert_allclose(s.mean(0), LOC[0], atol=5 * np.sqrt(cov.diagonal().max() / n))
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.05)
    w = xptorch.tensor(W, device=device, requires_grad=True)
    XD.LowRankMultivariateNormal(xptorch.zeros(3, dtype=xptorch.float64, device=device), w,
                                 xptorch.tensor(DIAG, device=device)).rsample((n,)).pow(2).mean(0).sum().backward()
    np.testing.assert_allclose(w.grad.cpu().numpy(), 2 * W, rtol=0.05, atol=0.03)  # d trace(W W^T) / dW


KL_PAIRS = {
    "lowrank_lowrank": lambda D, loc, w, diag: (D.LowRankMultivariateNormal(loc, w, diag),
                                                D.LowRankMultivariateNormal(loc[..., [2, 0, 1]] * 0.5, w.flip(-1),
                                                                            diag + 1)),
    "mvn_lowrank": lambda D, loc, w, diag: (D.MultivariateNormal(loc, scale_tril=(w @ w.mT).tril() + diag.diag_embed()),
                                            D.LowRankMultivariateNormal(loc[0] + 1, w, diag)),
    "lowrank_mvn": lambda D, loc, w, diag: (D.LowRankMultivariateNormal(loc, w, diag),
                                            D.MultivariateNormal(-loc[0], w @ w.mT + 2 * diag.diag_embed())),
}


@pytest.mark.parametrize("name", sorted(KL_PAIRS))
def test_kl_divergence(device, name):
    def run(D):
        def f(*ps):
            return D.kl_divergence(*KL_PAIRS[name](D, *ps))
        return f

    check(device, [LOC, W, DIAG], run(TD), run(XD), dtype="float64", check_grad_fn=False, rtol=1e-7, atol=1e-9)


ERRORS = [
    lambda D, m: D.LowRankMultivariateNormal(m.tensor(0.0), m.ones(1, 1), m.ones(1)),
    lambda D, m: D.LowRankMultivariateNormal(m.zeros(3), m.ones(3), m.ones(3)),
    lambda D, m: D.LowRankMultivariateNormal(m.zeros(3), m.ones(2, 1), m.ones(3)),
    lambda D, m: D.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(2)),
    lambda D, m: D.LowRankMultivariateNormal(m.zeros(2, 3), m.ones(4, 3, 1), m.ones(3)),
    lambda D, m: D.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), -m.ones(3)),
    lambda D, m: D.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(3)).log_prob(m.zeros(2)),
    lambda D, m: D.kl_divergence(D.LowRankMultivariateNormal(m.zeros(2), m.ones(2, 1), m.ones(2)),
                                 D.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(3))),
    lambda D, m: D.kl_divergence(D.MultivariateNormal(m.zeros(2), m.eye(2)),
                                 D.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(3))),
    lambda D, m: D.kl_divergence(D.LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(3)),
                                 D.MultivariateNormal(m.zeros(2), m.eye(2))),
]


@pytest.mark.parametrize("make", ERRORS)
def test_validation_errors(make):
    check_error(lambda: make(TD, torch), lambda: make(XD, xptorch))
