"""biject_to / transform_to and the transforms they return (StickBreaking, Softmax, LowerCholesky, PositiveDefinite,
Independent, CorrCholesky, Cat, Stack); the CumulativeDistribution, Tanh, Softplus and Reshape transforms; matrix
constraints. Against torch.distributions: reprs, values, inverses, log |det J| and its gradients, on cpu and cuda;
registering a new constraint type; errors."""
import numpy as np
import pytest

import xptorch
from xptorch import distributions as XD

torch = pytest.importorskip("torch")
from torch import distributions as TD  # noqa: E402

from devices import check  # noqa: E402
from oracle import check_error  # noqa: E402

X23 = np.array([[-1.5, 0.2, 0.9], [2.0, -0.3, 0.0]])
X33 = np.array([[0.3, -0.4, 1.0], [0.5, -1.2, 0.7], [1.1, 0.2, 0.1]])
# name -> (constraint from its module, input array)
CONSTRAINTS = {
    "real": (lambda C: C.real, X23),
    "positive": (lambda C: C.positive, X23),
    "nonnegative": (lambda C: C.nonnegative, X23),
    "greater_than": (lambda C: C.greater_than(2.0), X23),
    "greater_than_eq": (lambda C: C.greater_than_eq(-1.0), X23),
    "less_than": (lambda C: C.less_than(3.0), X23),
    "interval": (lambda C: C.interval(-1.0, 2.0), X23),
    "unit_interval": (lambda C: C.unit_interval, X23),
    "half_open_interval": (lambda C: C.half_open_interval(0.0, 1.0), X23),
    "simplex": (lambda C: C.simplex, X23),
    "real_vector": (lambda C: C.real_vector, X23),
    "independent_positive": (lambda C: C.independent(C.positive, 1), X23),
    "lower_cholesky": (lambda C: C.lower_cholesky, X33),
    "positive_definite": (lambda C: C.positive_definite, X33),
    "positive_semidefinite": (lambda C: C.positive_semidefinite, X33),
    "corr_cholesky": (lambda C: C.corr_cholesky, X23),
    "cat": (lambda C: C.cat([C.positive, C.real, C.interval(0.0, 2.0)], 1, [1, 1, 1]), X23),
    "cat_vectors": (lambda C: C.cat([C.real_vector, C.independent(C.positive, 1)], -1, [1, 2]), X23),
    "stack": (lambda C: C.stack([C.positive, C.unit_interval], 0), X23),
}


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_registry_matches_torch(device, registry, name):
    make, x = CONSTRAINTS[name]
    try:
        tt = getattr(TD, registry)(make(TD.constraints))
    except NotImplementedError:
        check_error(lambda: getattr(TD, registry)(make(TD.constraints)),
                    lambda: getattr(XD, registry)(make(XD.constraints)))
        return
    xt = getattr(XD, registry)(make(XD.constraints))
    assert repr(xt) == repr(tt)
    assert xt.bijective == tt.bijective
    assert repr(xt.domain) == repr(tt.domain) and repr(xt.codomain) == repr(tt.codomain)
    try:
        tt.log_abs_det_jacobian(torch.tensor(x), tt(torch.tensor(x)))
        with_ladj = True
    except NotImplementedError:
        with_ladj = False

    def run(t):
        def f(v):
            y = t(v)
            out = [y, t.inv(y)]
            if with_ladj:
                out.append(t.log_abs_det_jacobian(v, y))
            return tuple(out)
        return f

    check(device, [x], run(tt), run(xt), dtype="float64", check_grad_fn=False, rtol=1e-7, atol=1e-9)
    y = xt(xptorch.tensor(x, device=device))
    assert bool(make(XD.constraints).check(y).all())
    assert tuple(xt.forward_shape(x.shape)) == tuple(tt.forward_shape(x.shape))


def test_stick_breaking_round_trip_and_shapes(device):
    t = XD.transforms.StickBreakingTransform()
    x = xptorch.tensor(np.random.default_rng(0).normal(size=(4, 5)), device=device)
    y = t(x)
    assert tuple(y.shape) == (4, 6) and tuple(t.inverse_shape(y.shape)) == (4, 5)
    np.testing.assert_allclose(t.inv(y).cpu().numpy(), x.cpu().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(t(xptorch.zeros(3, device=device)).cpu().numpy(), np.full(4, 0.25), rtol=1e-6)
    e = XD.transforms.IndependentTransform(XD.transforms.ExpTransform(), 2)
    assert tuple(e.log_abs_det_jacobian(x, e(x)).shape) == ()
    assert e.domain.event_dim == 2 and e.with_cache().base_transform._cache_size == 1


TRANSFORMS = {
    "tanh": (lambda T: T.TanhTransform(), X23),
    "softplus": (lambda T: T.SoftplusTransform(), X23),
    "reshape": (lambda T: T.ReshapeTransform((2, 3), (3, 2)), X23),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_elementwise_and_reshape_transforms(device, name):
    make, x = TRANSFORMS[name]
    tt, xt = make(TD.transforms), make(XD.transforms)
    assert repr(xt) == repr(tt) and xt.bijective == tt.bijective
    assert repr(xt.domain) == repr(tt.domain) and repr(xt.codomain) == repr(tt.codomain)

    def run(t):
        def f(v):
            y = t(v)
            return y, t.inv(y), t.log_abs_det_jacobian(v, y)
        return f

    check(device, [x], run(tt), run(xt), dtype="float64", check_grad_fn=False, rtol=1e-7, atol=1e-9)
    assert tuple(xt.forward_shape((4,) + x.shape)) == tuple(tt.forward_shape((4,) + x.shape))
    assert xt == make(XD.transforms) or name == "reshape"


def test_matrix_constraints():
    for value in ([[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]],
                  [[1.0, 0.0], [0.5, 1.0]], [[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]):
        for name in ("positive_semidefinite", "lower_triangular", "square", "symmetric"):
            want = getattr(TD.constraints, name).check(torch.tensor(value))
            got = getattr(XD.constraints, name).check(xptorch.tensor(value))
            assert tuple(got.shape) == tuple(want.shape) and bool(got.all()) == bool(want.all()), (name, value)
            assert repr(getattr(XD.constraints, name)) == repr(getattr(TD.constraints, name))


def test_semidefinite_check():
    for value in ([[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]]):
        want = TD.constraints.positive_semidefinite.check(torch.tensor(value))
        assert bool(XD.constraints.positive_semidefinite.check(xptorch.tensor(value))) == bool(want)
    assert repr(XD.constraints.positive_semidefinite) == repr(TD.constraints.positive_semidefinite)


def test_cumulative_distribution_transform(device):
    def run(D):
        def f(loc, x):
            t = D.transforms.CumulativeDistributionTransform(D.Normal(loc, 2.0))
            y = t(x)
            return y, t.inv(y), t.log_abs_det_jacobian(x, y)
        return f

    check(device, [np.array([0.5, -1.0]), np.array([[0.3, -2.0], [1.0, 4.0]])], run(TD), run(XD), dtype="float64",
          check_grad_fn=False, rtol=1e-7, atol=1e-9)
    t = XD.transforms.CumulativeDistributionTransform(XD.Exponential(1.0))
    assert repr(t.domain) == repr(TD.transforms.CumulativeDistributionTransform(TD.Exponential(1.0)).domain)
    assert t.bijective and t.sign == 1 and t.with_cache().distribution is t.distribution


def test_register_new_constraint():
    for D in (TD, XD):
        class Odd(D.constraints.Constraint):
            def check(self, value):
                return value > 0

        reg = D.constraint_registry.ConstraintRegistry()
        reg.register(Odd, lambda c: D.transforms.ExpTransform())
        assert isinstance(reg(Odd()), D.transforms.ExpTransform)

        @reg.register(D.constraints.real)
        def _(c):
            return D.transforms.SigmoidTransform()

        assert isinstance(reg(D.constraints.real), D.transforms.SigmoidTransform)


ERRORS = [
    lambda D, m: D.biject_to(D.constraints.boolean),
    lambda D, m: D.transform_to(D.constraints.nonnegative_integer),
    lambda D, m: D.biject_to.register(3, lambda c: None),
    lambda D, m: D.transforms.StickBreakingTransform()(m.tensor(1.0)),
    lambda D, m: D.transforms.CorrCholeskyTransform().forward_shape((2, 4)),
    lambda D, m: D.transforms.CorrCholeskyTransform().inverse_shape((3, 2)),
    lambda D, m: D.transforms.ReshapeTransform((2, 3), (4,)),
    lambda D, m: D.transforms.ReshapeTransform((2, 3), (6,)).forward_shape((3,)),
    lambda D, m: D.transforms.ReshapeTransform((2, 3), (6,)).inverse_shape((4, 5)),
]


@pytest.mark.parametrize("make", ERRORS)
def test_errors(make):
    check_error(lambda: make(TD, torch), lambda: make(XD, xptorch))
