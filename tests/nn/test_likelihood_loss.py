"""kl_div, poisson_nll_loss, gaussian_nll_loss and their modules against torch: values, grad_fn names, every
gradient, second derivatives at zero targets and clamped variances, warnings, errors, reprs."""
import warnings

import numpy as np
import pytest

import xptorch
import xptorch.nn.functional as XF
from oracle import check_error, check_op, same_repr, to_numpy

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["none", "mean", "sum"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _probs(shape, rng, zeros=True):
    p = rng.uniform(0.0, 1.0, shape)
    if zeros:
        p.reshape(-1)[::3] = 0.0  # a zero target: xlogy's 0·log 0 = 0, and its NaN target gradient
    return p / max(p.sum(), 1e-9)


def _second(lib, fn, arrays, seed=1):
    """Second derivatives: grad of a projection of the create_graph first gradients, wrt inputs and upstream."""
    rng = np.random.default_rng(seed)
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *xs)
    up = lib.tensor(rng.uniform(-1, 1, tuple(out.shape)), requires_grad=True)
    g1 = lib.autograd.grad(out, xs, up, create_graph=True, allow_unused=True)
    terms = [(g * lib.tensor(rng.uniform(-1, 1, tuple(g.shape)))).sum() for g in g1 if g is not None and g.requires_grad]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    g2 = lib.autograd.grad(total, xs + [up], allow_unused=True)
    return [None if g is None else to_numpy(g) for g in g1], [None if g is None else to_numpy(g) for g in g2]


def _same_second(fn, arrays):
    (t1, t2), (x1, x2) = _second(torch, fn, arrays), _second(xptorch, fn, arrays)
    for a, b in zip(x1 + x2, t1 + t2):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, equal_nan=True)


# ---- kl_div ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kl_div_matches_torch(reduction, log_target, dtype):
    rng = _rng(1)
    x = np.log(_probs((3, 5), rng, zeros=False))
    t = _probs((3, 5), rng)
    if log_target:
        t = np.log(t + 0.1)
    check_op([x, t], lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
             lambda a, b: XF.kl_div(a, b, reduction=reduction, log_target=log_target), dtype=dtype)


@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((3,), (2, 3)), ((), ()), ((0, 3), (0, 3)), ((4,), (4,))])
@pytest.mark.parametrize("reduction", ["batchmean", "mean", "none"])
def test_kl_div_shapes_broadcast_and_empty_like_torch(shapes, reduction):
    rng = _rng(2)
    x, t = rng.normal(size=shapes[0]), rng.uniform(0, 1, shapes[1])
    check_op([x, t], lambda a, b: TF.kl_div(a, b, reduction=reduction),
             lambda a, b: XF.kl_div(a, b, reduction=reduction), dtype="float64")


def test_kl_div_mixed_dtypes_promote():
    rng = _rng(3)
    x, t = rng.normal(size=(2, 3)).astype(np.float32), rng.uniform(0, 1, (2, 3))
    check_op([x, t], lambda a, b: TF.kl_div(a, b, reduction="sum"), lambda a, b: XF.kl_div(a, b, reduction="sum"),
             dtype="float32")


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_second_derivatives_match_torch(log_target):
    rng = _rng(4)
    x, t = rng.normal(size=(3, 4)), _probs((3, 4), rng)
    if log_target:
        t = rng.normal(size=(3, 4))
    _same_second(lambda lib, a, b: lib.nn.functional.kl_div(a, b, reduction="batchmean", log_target=log_target), [x, t])


def test_kl_div_legacy_flags_and_warnings_like_torch():
    rng = _rng(5)
    x, t = rng.normal(size=(2, 3)), rng.uniform(0, 1, (2, 3))
    for kw in ({"size_average": False}, {"reduce": False}, {"size_average": True}, {"reduction": "elementwise_mean"},
               {"reduction": "batchmean", "size_average": False}):
        check_op([x, t], lambda a, b: TF.kl_div(a, b, **kw), lambda a, b: XF.kl_div(a, b, **kw), dtype="float64")


def test_kl_div_errors_like_torch():
    x, t = np.zeros((2, 3)), np.ones((2, 3))
    for tk, xk in (
        (lambda: TF.kl_div(torch.tensor(x), torch.tensor(t), reduction="foo"),
         lambda: XF.kl_div(xptorch.tensor(x), xptorch.tensor(t), reduction="foo")),
        (lambda: TF.kl_div(torch.tensor(x), torch.tensor(t).long()),
         lambda: XF.kl_div(xptorch.tensor(x), xptorch.tensor(t).long())),
        (lambda: TF.kl_div(torch.tensor(x).int(), torch.tensor(t)),
         lambda: XF.kl_div(xptorch.tensor(x).int(), xptorch.tensor(t))),
        (lambda: TF.kl_div(torch.tensor(x), [1.0]), lambda: XF.kl_div(xptorch.tensor(x), [1.0])),
        (lambda: TF.kl_div(torch.zeros(2, 3), torch.ones(2, 4)), lambda: XF.kl_div(xptorch.zeros(2, 3), xptorch.ones(2, 4))),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_error(tk, xk)


def test_kl_div_mean_warning_text_and_place():
    with pytest.warns(UserWarning) as theirs:
        TF.kl_div(torch.zeros(2), torch.ones(2))
    with pytest.warns(UserWarning) as ours:
        XF.kl_div(xptorch.zeros(2), xptorch.ones(2))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert ours[0].filename == __file__


# ---- poisson_nll_loss ----------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_poisson_nll_loss_matches_torch(reduction, log_input, full, dtype):
    rng = _rng(6)
    x = rng.normal(size=(3, 4)) if log_input else rng.uniform(0.1, 3, (3, 4))
    t = rng.integers(0, 6, (3, 4)).astype(float)
    t[0, :3] = [0.0, 1.0, 1.5]  # the Stirling term is masked at target <= 1
    kw = {"log_input": log_input, "full": full, "reduction": reduction, "eps": 1e-3}
    check_op([x, t], lambda a, b: TF.poisson_nll_loss(a, b, **kw), lambda a, b: XF.poisson_nll_loss(a, b, **kw),
             dtype=dtype)


@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss_second_derivatives_match_torch(full):
    rng = _rng(7)
    x, t = rng.uniform(0.1, 3, (2, 4)), rng.integers(0, 5, (2, 4)).astype(float) + 0.5
    _same_second(lambda lib, a, b: lib.nn.functional.poisson_nll_loss(a, b, log_input=False, full=full), [x, t])


def test_poisson_nll_loss_legacy_and_errors_like_torch():
    rng = _rng(8)
    x, t = rng.normal(size=(2, 3)), rng.uniform(0, 3, (2, 3))
    for kw in ({"size_average": False}, {"reduce": False}):
        check_op([x, t], lambda a, b: TF.poisson_nll_loss(a, b, **kw), lambda a, b: XF.poisson_nll_loss(a, b, **kw),
                 dtype="float64")
    check_error(lambda: TF.poisson_nll_loss(torch.zeros(2), torch.zeros(2), reduction="avg"),
                lambda: XF.poisson_nll_loss(xptorch.zeros(2), xptorch.zeros(2), reduction="avg"))
    check_error(lambda: TF.poisson_nll_loss(torch.zeros(2), "a"), lambda: XF.poisson_nll_loss(xptorch.zeros(2), "a"))


# ---- gaussian_nll_loss ----------------------------------------------------------------------------------

VAR_SHAPES = [(4, 3), (4,), (4, 1), (1, 3), ()]


@pytest.mark.parametrize("var_shape", VAR_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_matches_torch(var_shape, reduction, full):
    rng = _rng(9)
    x, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    v = rng.uniform(0.0, 2.0, var_shape)
    if v.ndim:
        v.reshape(-1)[0] = 1e-9  # clamped to eps, its gradient still the unclamped one's
    kw = {"full": full, "reduction": reduction, "eps": 1e-3}
    check_op([x, t, v], lambda a, b, c: TF.gaussian_nll_loss(a, b, c, **kw),
             lambda a, b, c: XF.gaussian_nll_loss(a, b, c, **kw), dtype="float64")


def test_gaussian_nll_loss_float_var_and_second_derivatives():
    rng = _rng(10)
    x, t, v = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.uniform(0.0, 1.0, (3, 1))
    v[0] = 1e-9
    check_op([x, t, 0.7], TF.gaussian_nll_loss, XF.gaussian_nll_loss, dtype="float64")
    _same_second(lambda lib, a, b, c: lib.nn.functional.gaussian_nll_loss(a, b, c, eps=1e-3), [x, t, v])


def test_gaussian_nll_loss_errors_like_torch():
    cases = [((4, 3), {"var": -np.ones((4, 3))}), ((4, 3), {"var": np.ones((2, 3))}), ((4, 3), {"var": np.ones((4, 2))}),
             ((4, 3), {"var": np.ones((4, 3)), "reduction": "avg"}), ((4, 3), {"var": -1.0}),
             ((2, 3, 4), {"var": np.ones((2, 1, 1))}), ((4, 3), {"var": None})]
    for shape, kw in cases:
        kw = dict(kw)
        var = kw.pop("var")
        tv = torch.tensor(var) if isinstance(var, np.ndarray) else var
        xv = xptorch.tensor(var) if isinstance(var, np.ndarray) else var
        check_error(lambda: TF.gaussian_nll_loss(torch.zeros(shape), torch.zeros(shape), tv, **kw),
                    lambda: XF.gaussian_nll_loss(xptorch.zeros(shape), xptorch.zeros(shape), xv, **kw))
    # an int var is neither a float nor a Tensor: any() refuses the bool (its wording is any()'s own business)
    with pytest.raises(TypeError):
        TF.gaussian_nll_loss(torch.zeros(2), torch.zeros(2), 1)
    with pytest.raises(TypeError):
        XF.gaussian_nll_loss(xptorch.zeros(2), xptorch.zeros(2), 1)


# ---- modules ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,kwargs", [
    ("KLDivLoss", {}), ("KLDivLoss", {"reduction": "batchmean", "log_target": True}),
    ("PoissonNLLLoss", {}), ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 0.1, "reduction": "sum"}),
    ("GaussianNLLLoss", {}), ("GaussianNLLLoss", {"full": True, "eps": 0.01, "reduction": "none"}),
])
def test_modules_match_torch(name, kwargs):
    rng = _rng(11)
    tm, xm = getattr(torch.nn, name)(**kwargs), getattr(xptorch.nn, name)(**kwargs)
    same_repr(lambda lib: getattr(lib.nn, name)(**kwargs))
    for k in kwargs:
        assert getattr(xm, k) == getattr(tm, k)
    arrays = [rng.normal(size=(3, 4)), rng.uniform(0.1, 2, (3, 4))]
    if name == "GaussianNLLLoss":
        arrays.append(rng.uniform(0.1, 2, (3, 1)))
    check_op(arrays, tm, xm, dtype="float64")


def test_modules_legacy_arguments_and_keyword_only_like_torch():
    for name, kw in (("KLDivLoss", {"size_average": False}), ("PoissonNLLLoss", {"reduce": False})):
        with pytest.warns(UserWarning):
            tm = getattr(torch.nn, name)(**kw)
        with pytest.warns(UserWarning):
            xm = getattr(xptorch.nn, name)(**kw)
        assert xm.reduction == tm.reduction
    check_error(lambda: torch.nn.GaussianNLLLoss(True), lambda: xptorch.nn.GaussianNLLLoss(True))


def test_autocast_runs_the_new_losses_as_torch():
    # kl_div, soft_margin, poisson, hinge, multi_margin in float32; the composed ones and bilinear stay float16
    def dtypes(lib):
        F = lib.nn.functional
        g = lib.Generator().manual_seed(0)
        cpu = {"device": "cpu"}  # cpu autocast, also where the default device is cuda
        x, t = lib.rand(3, 4, generator=g, **cpu).half(), lib.rand(3, 4, generator=g, **cpu).half()
        with lib.autocast("cpu", dtype=lib.float16):
            return [str(r.dtype).split(".")[-1] for r in (
                F.kl_div(x, t, reduction="sum"), F.soft_margin_loss(x, t), F.poisson_nll_loss(x, t),
                F.hinge_embedding_loss(x, t), F.multi_margin_loss(x, lib.tensor([0, 1, 2], **cpu)),
                F.multilabel_soft_margin_loss(x, t), F.gaussian_nll_loss(x, t, t + 0.1),
                F.bilinear(x[:, :2], x[:, 2:], lib.ones(5, 2, 2, **cpu).half()), lib.kl_div(x, t),
                F.margin_ranking_loss(x[0], x[1], t[0]), F.cosine_embedding_loss(x, t, lib.ones(3, **cpu)),
                F.multilabel_margin_loss(x, lib.zeros(3, 4, dtype=lib.int64, **cpu)))]

    assert dtypes(xptorch) == dtypes(torch)
