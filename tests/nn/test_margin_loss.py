"""Margin losses and their modules against torch: values, grad_fn names, every gradient (also exactly at the
margins), second derivatives, legacy flags, errors, reprs."""
import numpy as np
import pytest

import xptorch
import xptorch.nn.functional as XF
from oracle import check_error, check_op, same_repr, to_numpy
from test_likelihood_loss import _same_second

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["none", "mean", "sum"]
DTYPES = ["float32", "float64"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _pm1(shape, rng):
    return np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)


def run(name, arrays, dtype="float64", **kw):
    return check_op(arrays, lambda *a: getattr(TF, name)(*a, **kw), lambda *a: getattr(XF, name)(*a, **kw),
                    dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_margin_ranking_loss_matches_torch(reduction, dtype):
    rng = _rng(1)
    a, b, t = rng.normal(size=6), rng.normal(size=6), _pm1(6, rng)
    a[0], b[0] = b[0], b[0]  # -t·(a - b) + margin exactly 0: the clamp passes the gradient, as torch's
    run("margin_ranking_loss", [a, b, t], dtype, reduction=reduction)
    run("margin_ranking_loss", [a, b, t], dtype, reduction=reduction, margin=0.4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_hinge_embedding_loss_matches_torch(reduction, dtype):
    rng = _rng(2)
    x, t = rng.normal(size=(3, 4)), _pm1((3, 4), rng)
    x[0, :2], t[0, :2] = 1.0, -1.0  # at the margin
    t[1, 0] = 0.0  # neither 1 nor -1: both terms
    run("hinge_embedding_loss", [x, t], dtype, reduction=reduction)
    run("hinge_embedding_loss", [x, t[0]], dtype, reduction=reduction, margin=0.5)


def test_hinge_embedding_loss_integer_input_like_torch():
    x, t = np.array([[1, 2, 0], [3, -1, 2]]), np.array([[1.0, -1, 0], [1, 1, -1]])
    check_op([x, t], lambda a, b: TF.hinge_embedding_loss(a, b, 1.5, reduction="none"),
             lambda a, b: XF.hinge_embedding_loss(a, b, 1.5, reduction="none"), dtype="int64", grad=False)
    check_op([x, t], TF.hinge_embedding_loss, XF.hinge_embedding_loss, dtype="int64", grad=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_embedding_loss_matches_torch(reduction, dtype):
    rng = _rng(3)
    a, b, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), _pm1(5, rng)
    a[0], b[0], t[0] = [1, 0, 0], [0, 1, 0], -1  # cos - margin exactly 0
    a[1], t[1] = 0.0, 1  # a zero vector: torch's 1e-12 keeps it finite
    t[2] = 0.0  # neither: no loss
    run("cosine_embedding_loss", [a, b, t], dtype, reduction=reduction)
    run("cosine_embedding_loss", [a, b, t], dtype, reduction=reduction, margin=-0.3)
    run("cosine_embedding_loss", [a[3], b[3], np.array(-1.0)], dtype, reduction=reduction, margin=0.1)


def test_cosine_embedding_loss_second_derivatives_match_torch():
    rng = _rng(4)
    a, b, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), np.array([1.0, -1.0, -1.0, 1.0])
    _same_second(lambda lib, x, y, z: lib.nn.functional.cosine_embedding_loss(x, y, z.detach(), margin=-0.2), [a, b, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_margin_loss_matches_torch(reduction, dtype):
    rng = _rng(5)
    x, t = rng.normal(size=(3, 4)) * 3, _pm1((3, 4), rng)
    x[0, :3] = [-100.0, 100.0, 0.0]  # exp overflow (inf loss, NaN gradient as torch), underflow, the middle
    check_op([x, t], lambda a, b: TF.soft_margin_loss(a, b.detach(), reduction=reduction),
             lambda a, b: XF.soft_margin_loss(a, b.detach(), reduction=reduction), dtype=dtype)
    check_op([x, t[0]], lambda a, b: TF.soft_margin_loss(a, b.detach(), reduction=reduction),
             lambda a, b: XF.soft_margin_loss(a, b.detach(), reduction=reduction), dtype=dtype)


def test_soft_margin_loss_dtype_and_second_derivatives_like_torch():
    rng = _rng(6)
    x, t = rng.normal(size=(2, 3)).astype(np.float32), _pm1((2, 3), rng)
    check_op([x, t], lambda a, b: TF.soft_margin_loss(a, b.detach()), lambda a, b: XF.soft_margin_loss(a, b.detach()),
             dtype="float32")
    for red in REDUCTIONS:
        _same_second(lambda lib, a, b: lib.nn.functional.soft_margin_loss(a, b.detach(), reduction=red),
                     [rng.normal(size=(2, 3)), _pm1((2, 3), rng)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_soft_margin_loss_matches_torch(reduction, dtype):
    rng = _rng(7)
    x, t, w = rng.normal(size=(3, 4)), (rng.uniform(size=(3, 4)) < 0.5) * 1.0, rng.uniform(0.2, 2, 4)
    run("multilabel_soft_margin_loss", [x, t], dtype, reduction=reduction)
    check_op([x, t, w], lambda a, b, c: TF.multilabel_soft_margin_loss(a, b, weight=c, reduction=reduction),
             lambda a, b, c: XF.multilabel_soft_margin_loss(a, b, weight=c, reduction=reduction), dtype=dtype)
    run("multilabel_soft_margin_loss", [x[0], t[0]], dtype, reduction=reduction)


def _mm_inputs(rng):
    x = rng.normal(size=(4, 5))
    t = np.array([0, 2, 4, 1])
    x[0, 1] = x[0, 0] - 1.0  # margin - x[t] + x[j] exactly 0: the kernel counts only > 0
    return x, t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_matches_torch(reduction, dtype, p):
    rng = _rng(8)
    x, t = _mm_inputs(rng)
    w = rng.uniform(0.2, 2.0, 5).astype(dtype)
    run("multi_margin_loss", [x, t], dtype, p=p, reduction=reduction)
    check_op([x, t], lambda a, b: TF.multi_margin_loss(a, b, p=p, margin=0.7, weight=torch.tensor(w), reduction=reduction),
             lambda a, b: XF.multi_margin_loss(a, b, p=p, margin=0.7, weight=xptorch.tensor(w), reduction=reduction),
             dtype=dtype)
    run("multi_margin_loss", [x[0], t[:1]], dtype, p=p, reduction=reduction)
    run("multi_margin_loss", [x[0], np.array(3)], dtype, p=p, reduction=reduction)


def test_multi_margin_loss_second_derivative_is_the_exact_one():
    # torch has no rule here; ours is exact (finite differences of the first derivative)
    rng = _rng(9)
    x, t = rng.normal(size=(4, 5)), np.array([0, 2, 4, 1])  # away from the kinks, where differences see one side
    for p in (1, 2):
        xt = xptorch.tensor(x, requires_grad=True)
        g = xptorch.autograd.grad(XF.multi_margin_loss(xt, xptorch.tensor(t), p=p), xt, create_graph=True)[0]
        v = rng.uniform(-1, 1, x.shape)
        proj = (g * xptorch.tensor(v)).sum()
        # p = 1: the gradient is constant in x, so nothing records a graph for it
        assert proj.requires_grad == (p == 2)
        h = xptorch.autograd.grad(proj, xt)[0] if p == 2 else None
        eps = 1e-6

        def grad_at(a):
            at = torch.tensor(a, requires_grad=True)
            TF.multi_margin_loss(at, torch.tensor(t), p=p).backward()
            return at.grad.numpy()

        num = (grad_at(x + eps * v) - grad_at(x - eps * v)) / (2 * eps)
        got = np.zeros_like(x) if h is None else to_numpy(h)
        np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_margin_loss_matches_torch(reduction, dtype):
    rng = _rng(10)
    x = rng.normal(size=(4, 5))
    t = np.array([[0, 2, -1, 1, 3], [4, 4, -1, 0, 0], [1, 2, 3, 0, 4], [-1, 0, 1, 2, 3]])
    x[0, 1] = x[0, 0] + 1.0  # 1 - x[j] + x[d] exactly 0
    run("multilabel_margin_loss", [x, t], dtype, reduction=reduction)
    run("multilabel_margin_loss", [x[0], t[0]], dtype, reduction=reduction)


def test_margin_losses_legacy_flags_warn_like_torch():
    rng = _rng(11)
    x, t = rng.normal(size=(3, 4)), _pm1((3, 4), rng)
    for kw in ({"size_average": False}, {"reduce": False}):
        for name in ("hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss"):
            check_op([x, t], lambda a, b: getattr(TF, name)(a, b.detach(), **kw),
                     lambda a, b: getattr(XF, name)(a, b.detach(), **kw), dtype="float64")
        run("margin_ranking_loss", [x[0], x[1], t[0]], **kw)
        run("cosine_embedding_loss", [x, x[::-1].copy(), t[:, 0]], **kw)
        run("multi_margin_loss", [x, np.array([0, 1, 3])], **kw)
        run("multilabel_margin_loss", [x, np.array([[0, -1, 0, 0]] * 3)], **kw)


ERRORS = [
    ("margin_ranking_loss", [(3,), (3, 1), (3,)], {}),
    ("margin_ranking_loss", [(3,), (4,), (3,)], {}),
    ("margin_ranking_loss", [(3,), (3,), (3,)], {"reduction": "avg"}),
    ("cosine_embedding_loss", [(3, 4), (3,), (3,)], {}),
    ("cosine_embedding_loss", [(3,), (3, 4), ()], {}),
    ("cosine_embedding_loss", [(3, 4), (3, 4), (3, 1)], {}),
    ("cosine_embedding_loss", [(3, 4), (3, 5), (3,)], {}),
    ("hinge_embedding_loss", [(3, 4), (5,)], {}),
    ("soft_margin_loss", [(3, 4), (5,)], {}),
    ("soft_margin_loss", [(4,), (3, 4)], {}),
    ("soft_margin_loss", [(3, 4), (3, 4)], {"reduction": "foo"}),
    ("multilabel_soft_margin_loss", [(3, 4), (3, 4)], {"reduction": "foo"}),
    ("multilabel_soft_margin_loss", [(), ()], {}),
]


@pytest.mark.parametrize("name,shapes,kw", ERRORS)
def test_errors_like_torch(name, shapes, kw):
    arrays = [np.ones(s) for s in shapes]
    check_error(lambda: getattr(TF, name)(*[torch.tensor(a) for a in arrays], **kw),
                lambda: getattr(XF, name)(*[xptorch.tensor(a) for a in arrays], **kw))


def test_kernel_losses_errors_like_torch():
    x = np.zeros((3, 4))
    cases = [
        ("multi_margin_loss", x, np.array([0, 1]), {}),
        ("multi_margin_loss", x, np.array([[0, 1, 2]]), {}),
        ("multi_margin_loss", x, np.array([0, 1, 4]), {}),
        ("multi_margin_loss", x, np.array([0, 1, -1]), {}),
        ("multi_margin_loss", x, np.array([0, 1, 2], np.int32), {}),
        ("multi_margin_loss", x, np.array([0.0, 1, 2]), {}),
        ("multi_margin_loss", x.astype(np.int64), np.array([0, 1, 2]), {}),
        ("multi_margin_loss", np.zeros((3, 0)), np.array([0, 0, 0]), {}),
        ("multi_margin_loss", np.zeros((2, 3, 4)), np.array([0, 1]), {}),
        ("multi_margin_loss", x, np.array([0, 1, 2]), {"p": 3}),
        ("multi_margin_loss", x, np.array([0, 1, 2]), {"weight": np.ones(3)}),
        ("multi_margin_loss", x, np.array([0, 1, 2]), {"weight": np.ones((2, 2))}),
        ("multi_margin_loss", x, np.array([0, 1, 2]), {"weight": np.ones(4, np.float32)}),
        ("multilabel_margin_loss", x, np.full((3, 4), 5), {}),
        ("multilabel_margin_loss", x, np.full((3, 4), -2), {}),
        ("multilabel_margin_loss", x, np.zeros((3, 3), np.int64), {}),
        ("multilabel_margin_loss", x[0], np.zeros(3, np.int64), {}),
        ("multilabel_margin_loss", x, np.zeros((3, 4), np.int32), {}),
        ("multilabel_margin_loss", x.astype(np.int64), np.zeros((3, 4), np.int64), {}),
    ]
    on_cuda = xptorch.get_default_device().type == "cuda"
    for name, a, t, kw in cases:
        if on_cuda and t.dtype == np.int64 and (t.max() >= a.shape[-1] or t.min() < -1 or
                                                (name == "multi_margin_loss" and t.min() < 0)):
            continue  # out-of-range targets are a device-side assert on CUDA (tests/test_cuda_rules.py)
        tk = {k: torch.tensor(v) for k, v in kw.items() if isinstance(v, np.ndarray)}
        xk = {k: xptorch.tensor(v) for k, v in kw.items() if isinstance(v, np.ndarray)}
        rest = {k: v for k, v in kw.items() if not isinstance(v, np.ndarray)}
        check_error(lambda: getattr(TF, name)(torch.tensor(a), torch.tensor(t), **tk, **rest),
                    lambda: getattr(XF, name)(xptorch.tensor(a), xptorch.tensor(t), **xk, **rest))


def test_not_differentiable_arguments_refused_like_torch():
    x = np.ones((3, 4))
    check_error(lambda: TF.soft_margin_loss(torch.tensor(x), torch.tensor(x, requires_grad=True)),
                lambda: XF.soft_margin_loss(xptorch.tensor(x), xptorch.tensor(x, requires_grad=True)))
    check_error(lambda: TF.multi_margin_loss(torch.tensor(x), torch.tensor([0, 1, 2]),
                                             weight=torch.ones(4, dtype=torch.float64, requires_grad=True)),
                lambda: XF.multi_margin_loss(xptorch.tensor(x), xptorch.tensor([0, 1, 2]),
                                             weight=xptorch.ones(4, dtype=xptorch.float64, requires_grad=True)))


@pytest.mark.parametrize("name,kwargs,inputs", [
    ("MarginRankingLoss", {}, [(4,), (4,), "pm1"]),
    ("MarginRankingLoss", {"margin": 0.5, "reduction": "none"}, [(4,), (4,), "pm1"]),
    ("HingeEmbeddingLoss", {"margin": 2.0}, [(3, 4), "pm1"]),
    ("CosineEmbeddingLoss", {"margin": 0.1, "reduction": "sum"}, [(3, 4), (3, 4), "pm1_3"]),
    ("SoftMarginLoss", {}, [(3, 4), "pm1"]),
    ("MultiLabelSoftMarginLoss", {}, [(3, 4), "pm1"]),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}, [(3, 4), "idx"]),
    ("MultiLabelMarginLoss", {"reduction": "none"}, [(3, 4), "labels"]),
])
def test_modules_match_torch(name, kwargs, inputs):
    rng = _rng(12)
    same_repr(lambda lib: getattr(lib.nn, name)(**kwargs))
    tm, xm = getattr(torch.nn, name)(**kwargs), getattr(xptorch.nn, name)(**kwargs)
    for k in kwargs:
        assert getattr(xm, k) == getattr(tm, k)
    special = {"pm1": _pm1((3, 4) if inputs[0] != (4,) else (4,), rng), "pm1_3": _pm1(3, rng),
               "idx": np.array([0, 3, 1]), "labels": np.array([[0, 1, -1, 0], [3, -1, 0, 0], [2, 1, 0, 3]])}
    arrays = [special[i] if isinstance(i, str) else rng.normal(size=i) for i in inputs]
    soft = name == "SoftMarginLoss"
    check_op(arrays, (lambda a, b: tm(a, b.detach())) if soft else tm, (lambda a, b: xm(a, b.detach())) if soft else xm,
             dtype="float64")


def test_module_weight_buffers_and_checks_like_torch():
    w = np.array([1.0, 2.0, 0.5, 1.0])
    for name in ("MultiMarginLoss", "MultiLabelSoftMarginLoss"):
        tm, xm = getattr(torch.nn, name)(weight=torch.tensor(w)), getattr(xptorch.nn, name)(weight=xptorch.tensor(w))
        assert list(dict(xm.named_buffers())) == list(dict(tm.named_buffers())) == ["weight"]
        assert list(xm.state_dict()) == list(tm.state_dict())
    check_error(lambda: torch.nn.MultiMarginLoss(p=3), lambda: xptorch.nn.MultiMarginLoss(p=3))
    check_error(lambda: torch.nn.MultiMarginLoss(weight=torch.ones(2, 2)),
                lambda: xptorch.nn.MultiMarginLoss(weight=xptorch.ones(2, 2)))
    for name, kw in (("MarginRankingLoss", {"size_average": False}), ("SoftMarginLoss", {"reduce": False})):
        with pytest.warns(UserWarning):
            tm = getattr(torch.nn, name)(**kw)
        with pytest.warns(UserWarning):
            xm = getattr(xptorch.nn, name)(**kw)
        assert xm.reduction == tm.reduction


@pytest.mark.parametrize("name,args", [
    ("hinge_embedding_loss", ("a", "ones2")), ("cosine_embedding_loss", ("ones22", "a", "ones2")),
    ("soft_margin_loss", ("ones2", None)), ("multi_margin_loss", ("ones22", [1])),
    ("multilabel_margin_loss", ("a", "ones2")), ("poisson_nll_loss", ("ones2", "a")), ("kl_div", ("ones2", "a")),
])
def test_non_tensor_arguments_named_like_torch(name, args):
    def make(lib):
        shapes = {"ones2": (2,), "ones22": (2, 2)}
        return [lib.ones(*shapes[a]) if isinstance(a, str) and a in shapes else a for a in args]

    check_error(lambda: getattr(TF, name)(*make(torch)), lambda: getattr(XF, name)(*make(xptorch)))


@pytest.mark.parametrize("reduction", ["none", "sum"])
@pytest.mark.parametrize("p", [1, 2])
def test_kernel_losses_of_an_empty_batch_like_torch(reduction, p):
    # torch's kernels leave a reduced result over no samples unwritten (its value is whatever the memory
    # held, NaN at times): only the unreduced form is compared with torch; ours reduces to 0.
    x = np.zeros((0, 4))
    if reduction == "none":
        run("multi_margin_loss", [x, np.zeros(0, np.int64)], p=p, reduction=reduction)
        run("multilabel_margin_loss", [x, np.zeros((0, 4), np.int64)], reduction=reduction)
    else:
        a = xptorch.tensor(x, requires_grad=True)
        for loss in (XF.multi_margin_loss(a, xptorch.zeros(0, dtype=xptorch.int64), p=p, reduction=reduction),
                     XF.multilabel_margin_loss(a, xptorch.zeros(0, 4, dtype=xptorch.int64), reduction=reduction)):
            assert loss.shape == () and float(loss) == 0.0 and loss.grad_fn is not None
    assert float(XF.multi_margin_loss(xptorch.tensor(x), xptorch.zeros(0, dtype=xptorch.int64))) == 0.0
