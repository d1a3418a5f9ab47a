"""Losses against torch: values, grad_fn names and input gradients for every reduction, weights, ignore_index,
label smoothing, probability targets, spatial inputs; errors; the loss modules."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xptorch
import xptorch.nn.functional as XF
from xptorch import nn
from oracle import SETTINGS, check_error, check_op, shapes, xp_message

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["none", "mean", "sum"]
DTYPES = ["float32", "float64"]


def both(fn_name, **kwargs):
    """(torch_fn, xptorch_fn) calling F.<fn_name>(*args, **kwargs) with tensors in kwargs converted per library."""

    def conv(lib):
        return {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}

    tk, xk = conv(torch), conv(xptorch)
    return (lambda *a: getattr(TF, fn_name)(*a, **tk)), (lambda *a: getattr(XF, fn_name)(*a, **xk))


def run(fn_name, inputs, dtype="float64", **kwargs):
    tf, xf = both(fn_name, **kwargs)
    return check_op(inputs, tf, xf, dtype=dtype)


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---- regression losses --------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name,kwargs",
    [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}), ("huber_loss", {"delta": 0.3}),
     ("huber_loss", {"delta": 5.0}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.25}),
     ("smooth_l1_loss", {"beta": 0.0})],
)
def test_regression_losses_match_torch(name, kwargs, reduction, dtype):
    run(name, [(4, 5), (4, 5)], dtype, reduction=reduction, **kwargs)


@given(shape=shapes(max_dims=4), reduction=st.sampled_from(REDUCTIONS),
       name=st.sampled_from(["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"]))
@SETTINGS
def test_regression_losses_any_shape(shape, reduction, name):
    run(name, [shape, shape], "float64", reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_weight_matches_torch(name, reduction):
    rng = _rng(1)
    w = rng.uniform(0.1, 2.0, (3, 4))
    # The weight is an input too: torch composes these with differentiable ops, so it gets a gradient.
    check_op([(3, 4), (3, 4), w], lambda x, y, w: getattr(TF, name)(x, y, reduction=reduction, weight=w),
             lambda x, y, w: getattr(XF, name)(x, y, reduction=reduction, weight=w), dtype="float64")


def test_regression_mixed_dtypes_promote_like_torch():
    rng = _rng(2)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    for y in (rng.normal(size=(3, 4)), rng.integers(-2, 3, (3, 4))):
        for name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
            # huber_loss keeps the input's dtype, and torch's own backward fails for a mixed-dtype target.
            grad = name != "huber_loss"
            check_op([x, y], getattr(TF, name), getattr(XF, name), dtype="float32", grad=grad)


def test_regression_exact_branch_points():
    # |d| exactly at delta / beta, and d = 0, where the piecewise formulas meet.
    x = np.array([1.0, -1.0, 0.5, -0.5, 0.0, 2.0, 1e-9])
    y = np.zeros_like(x)
    for name, kw in (("huber_loss", {"delta": 1.0}), ("smooth_l1_loss", {"beta": 0.5}), ("l1_loss", {}),
                     ("huber_loss", {"delta": 0.5})):
        for red in REDUCTIONS:
            run(name, [x, y], reduction=red, **kw)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
@pytest.mark.parametrize("tshape", [(4, 1), (3,), (1, 4, 3), (2, 4, 3), (4,), (3, 4), ()])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_regression_shape_mismatch_warns_and_broadcasts_as_torch(name, tshape, reduction):
    # torch warns about the target's size, then broadcasts the pair (values and gradients) or fails to
    import warnings

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=tshape)
    out = []
    for lib, F in ((torch, TF), (xptorch, XF)):
        xt = lib.tensor(x, requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = getattr(F, name)(xt, lib.tensor(y), reduction=reduction)
                r.sum().backward()
                out.append((r.detach().cpu().numpy(), xt.grad.cpu().numpy(), None, [str(m.message) for m in w]))
            except RuntimeError as e:
                out.append((None, None, str(e), [str(m.message) for m in w]))
    (tv, tg, te, tw), (xv, xg, xe, xw) = out
    assert [xp_message(m) for m in tw] == xw
    assert xe == (xp_message(te) if te is not None else None)
    if te is None:
        np.testing.assert_allclose(xv, tv, rtol=1e-12)
        np.testing.assert_allclose(xg, tg, rtol=1e-12)


def test_regression_parameter_errors_match_torch():
    x, y = np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)
    T, X = (torch.tensor(x), torch.tensor(y)), (xptorch.tensor(x), xptorch.tensor(y))
    for fn, kw in (("huber_loss", {"delta": 0.0}), ("huber_loss", {"delta": -1.0}), ("smooth_l1_loss", {"beta": -1}),
                   ("mse_loss", {"reduction": "foo"}), ("l1_loss", {"reduction": "avg"}),
                   ("mse_loss", {"weight": np.ones(3)}), ("l1_loss", {"weight": np.ones((1, 3))}),
                   ("huber_loss", {"weight": np.ones(2)})):
        tf, xf = both(fn, **kw)
        check_error(lambda: tf(*T), lambda: xf(*X))


def test_non_tensor_arguments_raise_type_error():
    for fn in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
               "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy"):
        with pytest.raises(TypeError, match="must be Tensor, not"):
            getattr(XF, fn)(xptorch.zeros(2, 3), [1, 2])


def test_legacy_size_average_and_reduce_warn_and_map_like_torch():
    x, y = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    for kw in ({"size_average": False}, {"reduce": False}, {"size_average": True, "reduce": True}):
        with pytest.warns(UserWarning) as theirs:
            want = TF.mse_loss(torch.tensor(x), torch.tensor(y), **kw)
        with pytest.warns(UserWarning) as ours:
            got = XF.mse_loss(xptorch.tensor(x), xptorch.tensor(y), **kw)
        assert str(ours[0].message) == str(theirs[0].message)
        assert ours[0].filename == __file__
        np.testing.assert_allclose(got.cpu().numpy(), want.cpu().numpy())


# ---- cross entropy and nll with class indices ----------------------------------------------------

def _targets(shape, n_classes, rng, ignore=None, frac=0.3):
    t = rng.integers(0, n_classes, shape)
    if ignore is not None:
        t = np.where(rng.uniform(size=shape) < frac, ignore, t)
    return t.astype(np.int64)


CLASS_SHAPES = [((6, 4), (6,)), ((4,), ()), ((3, 5, 7), (3, 7)), ((2, 3, 4, 5), (2, 4, 5)),
                ((2, 3, 2, 3, 2), (2, 2, 3, 2)), ((0, 3), (0,))]


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_one_dim_input_with_one_element_target(fn, reduction):
    # Forward only: torch's own backward fails for this target shape.
    x = _rng(13).normal(size=4)
    for kw in ({}, {"weight": np.array([1.0, 2.0, 3.0, 4.0])}, {"ignore_index": 2}):
        tf, xf = both(fn, reduction=reduction, **kw)
        check_op([x, np.array([2])], tf, xf, grad=False)


@pytest.mark.parametrize("ishape,tshape", CLASS_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices_match_torch(ishape, tshape, reduction):
    rng = _rng(3)
    c = ishape[1] if len(ishape) > 1 else ishape[0]
    t = _targets(tshape, c, rng)
    run("cross_entropy", [ishape, t], reduction=reduction)
    run("cross_entropy", [ishape, t], "float32", reduction=reduction)


@pytest.mark.parametrize("ishape,tshape", CLASS_SHAPES[:-1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.15, 1.0])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_cross_entropy_weight_ignore_smoothing_match_torch(ishape, tshape, reduction, smoothing, ignore_index):
    rng = _rng(4)
    c = ishape[1] if len(ishape) > 1 else ishape[0]
    t = _targets(tshape, c, rng, ignore=ignore_index)
    w = rng.uniform(0.2, 3.0, c)
    run("cross_entropy", [ishape, t], reduction=reduction, label_smoothing=smoothing, ignore_index=ignore_index)
    run("cross_entropy", [ishape, t], reduction=reduction, label_smoothing=smoothing, ignore_index=ignore_index,
        weight=w)


@pytest.mark.parametrize("ishape,tshape", CLASS_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(ishape, tshape, reduction):
    rng = _rng(5)
    c = ishape[1] if len(ishape) > 1 else ishape[0]
    t = _targets(tshape, c, rng, ignore=2)
    w = rng.uniform(0.2, 3.0, c)
    run("nll_loss", [ishape, t], reduction=reduction)
    run("nll_loss", [ishape, t], reduction=reduction, ignore_index=2, weight=w)
    run("nll_loss", [ishape, t], "float32", reduction=reduction, ignore_index=2)


@given(n=st.integers(0, 5), c=st.integers(1, 5), spatial=st.lists(st.integers(1, 3), max_size=3),
       reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.2]), data=st.data())
@SETTINGS
def test_cross_entropy_any_spatial_shape(n, c, spatial, reduction, smoothing, data):
    seed = data.draw(st.integers(0, 2**16))
    t = _targets((n, *spatial), c, _rng(seed), ignore=-100)
    run("cross_entropy", [(n, c, *spatial), t], reduction=reduction, label_smoothing=smoothing)


def test_cross_entropy_all_targets_ignored_matches_torch():
    t = np.full(4, -100, np.int64)
    for red in REDUCTIONS:
        for kw in ({}, {"label_smoothing": 0.1}, {"weight": np.array([1.0, 2.0, 3.0])}):
            run("cross_entropy", [(4, 3), t], reduction=red, **kw)
        run("nll_loss", [(4, 3), t], reduction=red)


def test_cross_entropy_uint8_targets_match_torch():
    t = np.array([0, 2, 1, 2], np.uint8)
    for red in REDUCTIONS:
        run("cross_entropy", [(4, 3), t], reduction=red)


def test_cross_entropy_extreme_logits_stay_finite():
    x = np.array([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 3.0], [88.0, 89.0, -88.0]], np.float32)
    t = np.array([1, 0, 2])
    for red in REDUCTIONS:
        run("cross_entropy", [x, t], "float32", reduction=red)
        run("cross_entropy", [x, t], "float32", reduction=red, label_smoothing=0.3)


def test_cross_entropy_label_smoothing_negative_is_plain_like_torch():
    t = np.array([0, 2, 1])
    tout, xout = run("cross_entropy", [(3, 3), t], label_smoothing=-0.2)
    assert xout.grad_fn.name() == "NllLossBackward0"


# ---- cross entropy with class probabilities -------------------------------------------------------

PROB_SHAPES = [(5, 4), (4,), (2, 3, 4), (2, 3, 2, 2), (0, 3)]


def _probs(shape, rng):
    axis = 1 if len(shape) > 1 else 0
    p = rng.uniform(0.01, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True) if p.size else p


@pytest.mark.parametrize("shape", PROB_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_probabilities_match_torch(shape, reduction, smoothing):
    rng = _rng(6)
    c = shape[1] if len(shape) > 1 else shape[0]
    p = _probs(shape, rng)
    # Target and weight require grad here: torch differentiates through both for probability targets.
    w = rng.uniform(0.2, 3.0, c)
    check_op([shape, p], lambda x, y: TF.cross_entropy(x, y, reduction=reduction, label_smoothing=smoothing),
             lambda x, y: XF.cross_entropy(x, y, reduction=reduction, label_smoothing=smoothing), dtype="float64")
    check_op([shape, p, w],
             lambda x, y, w: TF.cross_entropy(x, y, w, reduction=reduction, label_smoothing=smoothing),
             lambda x, y, w: XF.cross_entropy(x, y, w, reduction=reduction, label_smoothing=smoothing),
             dtype="float64")


def test_cross_entropy_probabilities_promote_like_torch():
    rng = _rng(7)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    p = _probs((3, 4), rng)  # float64 target with a float32 input gives a float64 loss
    for red in REDUCTIONS:
        # log_softmax runs in float32, so float32 rounding shows in the float64 result.
        check_op([x, p], lambda a, b: TF.cross_entropy(a, b, reduction=red),
                 lambda a, b: XF.cross_entropy(a, b, reduction=red), dtype="float32", rtol=1e-6, atol=1e-7)


# ---- class-index errors -----------------------------------------------------------------------------

def _check_named_error(tf, xf, tensors):
    """torch's exception type; torch's message first, then both shapes and dtypes named."""
    with pytest.raises(Exception) as theirs:
        tf()
    with pytest.raises(Exception) as ours:
        xf()
    assert type(ours.value) is type(theirs.value), (type(ours.value), type(theirs.value))
    msg = str(ours.value)
    assert msg.startswith(xp_message(str(theirs.value))), (msg, str(theirs.value))
    for t in tensors:
        assert str(list(t.shape)) in msg and t.dtype._legacy[:-6] in msg, msg


TARGET_ERRORS = [
    ((4, 3), np.array([0.0, 2.0, 1.0, 1.0], np.float32)),  # float target of class-index shape
    ((4, 3), np.array([0, 2, 1])),  # wrong batch size
    ((4, 3), np.array(1)),
    ((4, 3), np.array([0, 2, 1, 1], np.int32)),
    ((4, 3), np.array([True, False, True, True])),
    ((4, 3), np.zeros((4, 2), np.float32)),
    ((4, 3), np.zeros((4, 1), np.int64)),
    ((4, 3), np.zeros((5, 3), np.float32)),
    ((3,), np.array([1, 2])),
    ((2, 3, 4, 5), np.zeros((2, 4, 6), np.int64)),
    ((2, 3, 4, 5), np.zeros((2, 4), np.int64)),
    ((2, 3, 4, 5), np.zeros((3, 4, 5), np.int64)),
    ((2, 3, 4), np.zeros((2, 5), np.int64)),
    ((2, 3, 4, 5, 6), np.zeros((2, 4, 5), np.int64)),
    ((2, 3, 4), np.zeros((2, 4), np.float64)),
]


@pytest.mark.parametrize("ishape,target", TARGET_ERRORS)
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_target_errors_name_both_tensors(fn, ishape, target):
    x = np.zeros(ishape, np.float32)
    tx, tt = torch.tensor(x), torch.tensor(target)
    xx, xt = xptorch.tensor(x), xptorch.tensor(target)
    _check_named_error(lambda: getattr(TF, fn)(tx, tt), lambda: getattr(XF, fn)(xx, xt), [xx, xt])


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_errors_match_torch(fn):
    x = np.zeros((4, 3), np.float32)
    cases = [
        (np.array([0, 2, 1, 5]), {}),
        (np.array([0, 2, 1, -1]), {}),
        (np.array([0, 2, 1, 3]), {"ignore_index": 1}),
        (np.array([0, 2, 1, 1]), {"weight": np.ones(2, np.float32)}),
        (np.array([0, 2, 1, 1]), {"weight": np.ones((3, 1), np.float32)}),
        (np.array([0, 2, 1, 1]), {"weight": np.ones(3)}),  # float64 weight, float32 input
        (np.array([0, 2, 1, 1]), {"reduction": "bad"}),
        (np.array([0, 2, 1, 156], np.uint8), {}),
    ]
    for t, kw in cases:
        tf, xf = both(fn, **kw)
        check_error(lambda: tf(torch.tensor(x), torch.tensor(t)), lambda: xf(xptorch.tensor(x), xptorch.tensor(t)))
    tf, xf = both(fn)
    check_error(lambda: tf(torch.tensor(1.0), torch.tensor(1)) if fn == "nll_loss" else tf(torch.zeros(()), torch.tensor(1)),
                lambda: xf(xptorch.tensor(1.0), xptorch.tensor(1)))


def test_cross_entropy_specific_errors_match_torch():
    x = np.zeros((4, 3), np.float32)
    p = np.full((4, 3), 1 / 3, np.float32)
    cases = [
        (p, {"ignore_index": 1}),
        (p.astype(np.int64), {}),
        (p, {"weight": np.ones(2, np.float32)}),
        (np.array([0, 1, 2, 0]), {"label_smoothing": 1.5}),
        (p, {"label_smoothing": 1.01}),
    ]
    for t, kw in cases:
        tf, xf = both("cross_entropy", **kw)
        check_error(lambda: tf(torch.tensor(x), torch.tensor(t)), lambda: xf(xptorch.tensor(x), xptorch.tensor(t)))


def test_weight_requiring_grad_is_refused_like_torch():
    x, t = np.zeros((4, 3), np.float32), np.array([0, 2, 1, 1])
    for fn in ("cross_entropy", "nll_loss"):
        check_error(
            lambda: getattr(TF, fn)(torch.tensor(x, requires_grad=True), torch.tensor(t),
                                    weight=torch.ones(3, requires_grad=True)),
            lambda: getattr(XF, fn)(xptorch.tensor(x, requires_grad=True), xptorch.tensor(t),
                                    weight=xptorch.ones(3, requires_grad=True)),
        )
    y = np.full((4, 3), 0.5, np.float32)
    for kw in ("weight", "pos_weight"):
        check_error(
            lambda: TF.binary_cross_entropy_with_logits(torch.tensor(x, requires_grad=True), torch.tensor(y),
                                                        **{kw: torch.ones(3, requires_grad=True)}),
            lambda: XF.binary_cross_entropy_with_logits(xptorch.tensor(x, requires_grad=True), xptorch.tensor(y),
                                                        **{kw: xptorch.ones(3, requires_grad=True)}),
        )
    check_error(
        lambda: TF.binary_cross_entropy(torch.tensor(y, requires_grad=True), torch.tensor(y),
                                        weight=torch.ones(3, requires_grad=True)),
        lambda: XF.binary_cross_entropy(xptorch.tensor(y, requires_grad=True), xptorch.tensor(y),
                                        weight=xptorch.ones(3, requires_grad=True)),
    )


# ---- binary cross entropy -------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("wshape", [None, (4,), (3, 4), (3, 1)])
def test_bce_matches_torch(reduction, dtype, wshape):
    rng = _rng(8)
    x = rng.uniform(0.02, 0.98, (3, 4))
    y = rng.uniform(0, 1, (3, 4))
    kw = {} if wshape is None else {"weight": rng.uniform(0.1, 2.0, wshape).astype(dtype)}
    run("binary_cross_entropy", [x, y], dtype, reduction=reduction, **kw)


def test_bce_clamps_log_at_minus_100_like_torch():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-45, 1 - 1e-7])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 1.0, 0.0])
    for red in REDUCTIONS:
        # Input gradient only: torch's target gradient at x = 0 or 1 is not clamped the same way.
        check_op([x, y.copy()], lambda a, b: TF.binary_cross_entropy(a, b.detach(), reduction=red),
                 lambda a, b: XF.binary_cross_entropy(a, b.detach(), reduction=red), dtype="float32")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [{}, {"weight": (4,)}, {"pos_weight": (4,)}, {"weight": (3, 4), "pos_weight": (1, 4)},
                                {"pos_weight": ()}])
def test_bce_with_logits_matches_torch(reduction, dtype, kw):
    rng = _rng(9)
    x = rng.normal(0, 5, (3, 4))
    y = rng.uniform(0, 1, (3, 4))
    kwargs = {k: rng.uniform(0.1, 3.0, s).astype(dtype) for k, s in kw.items()}
    run("binary_cross_entropy_with_logits", [x, y], dtype, reduction=reduction, **kwargs)


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([100.0, -100.0, 30.0, -30.0, 1e4, -1e4, 0.0], np.float32)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.7, 0.5], np.float32)
    for red in REDUCTIONS:
        _, out = run("binary_cross_entropy_with_logits", [x, y], "float32", reduction=red,
                     pos_weight=np.array(3.0, np.float32))
        assert np.all(np.isfinite(out.detach().cpu().numpy()))


def test_bce_with_logits_promotes_like_torch():
    rng = _rng(10)
    x = rng.normal(size=(2, 3)).astype(np.float32)
    y = rng.uniform(size=(2, 3))
    check_op([x, y], TF.binary_cross_entropy_with_logits, XF.binary_cross_entropy_with_logits, dtype="float32",
             rtol=1e-6, atol=1e-7)


def test_bce_errors_match_torch():
    x = np.full((4, 3), 0.5, np.float32)
    cases = [
        ("binary_cross_entropy", x, np.full(4, 0.5, np.float32), {}),
        ("binary_cross_entropy", x, x.astype(np.float64), {}),
        ("binary_cross_entropy", x, x.astype(np.int64), {}),
        ("binary_cross_entropy", x * 3, x, {}),
        ("binary_cross_entropy", x - 1, x, {}),
        ("binary_cross_entropy", np.full((4, 3), np.nan, np.float32), x, {}),
        ("binary_cross_entropy", x, x + 1, {}),
        ("binary_cross_entropy", x.astype(np.int64), x.astype(np.int64), {}),
        ("binary_cross_entropy", x, x, {"reduction": "nope"}),
        ("binary_cross_entropy", x[0], x[0], {"weight": np.ones((2, 3), np.float32)}),
        ("binary_cross_entropy_with_logits", x, np.full(4, 0.5, np.float32), {}),
        ("binary_cross_entropy_with_logits", x, x, {"weight": np.ones(2, np.float32)}),
        ("binary_cross_entropy_with_logits", x, x, {"pos_weight": np.ones(2, np.float32)}),
        ("binary_cross_entropy_with_logits", x[0], x[0], {"weight": np.ones((2, 3), np.float32)}),
    ]
    for fn, a, b, kw in cases:
        tf, xf = both(fn, **kw)
        check_error(lambda: tf(torch.tensor(a), torch.tensor(b)), lambda: xf(xptorch.tensor(a), xptorch.tensor(b)))


def test_bce_with_logits_integer_target_names_both_dtypes():
    with pytest.raises(RuntimeError):
        TF.binary_cross_entropy_with_logits(torch.zeros(3), torch.ones(3, dtype=torch.long))
    with pytest.raises(RuntimeError, match=r"input dtype Float and target dtype Long"):
        XF.binary_cross_entropy_with_logits(xptorch.zeros(3), xptorch.ones(3, dtype=xptorch.int64))


# ---- autograd bookkeeping ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "call",
    [lambda x: XF.mse_loss(x, x.detach() + 1), lambda x: XF.huber_loss(x, x.detach() * 2),
     lambda x: XF.smooth_l1_loss(x, x.detach() * 2), lambda x: XF.cross_entropy(x, xptorch.tensor([0, 1])),
     lambda x: XF.nll_loss(x, xptorch.tensor([0, 1])), lambda x: XF.binary_cross_entropy(x.sigmoid(), x.detach().sigmoid()),
     lambda x: XF.binary_cross_entropy_with_logits(x, x.detach().sigmoid()),
     lambda x: XF.cross_entropy(x, x.detach().softmax(1))],
)
def test_no_graph_without_grad_and_single_use(call):
    x = xptorch.randn(2, 3, requires_grad=True)
    with xptorch.no_grad():
        out = call(x)
    assert out.grad_fn is None and not out.requires_grad
    assert call(x.detach()).grad_fn is None
    out = call(x)
    out.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()


def test_inplace_edit_of_saved_input_is_detected():
    x = xptorch.tensor([[0.2, 0.7], [0.4, 0.9]], requires_grad=True)
    y = x * 1.0
    loss = XF.binary_cross_entropy(y, xptorch.full((2, 2), 0.5))
    with xptorch.no_grad():
        y.mul_(0.5)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_losses_work_on_device(device):
    rng = _rng(11)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 1])
    xs = xptorch.tensor(x, device=device, requires_grad=True)
    loss = XF.cross_entropy(xs, xptorch.tensor(t, device=device), weight=xptorch.ones(3, device=device))
    loss = loss + XF.mse_loss(xs, xptorch.zeros(4, 3, device=device))
    assert loss.device.type == device
    loss.backward()
    xt = torch.tensor(x, requires_grad=True)
    (TF.cross_entropy(xt, torch.tensor(t), weight=torch.ones(3)) + TF.mse_loss(xt, torch.zeros(4, 3))).backward()
    np.testing.assert_allclose(xs.grad.cpu().numpy(), xt.grad.cpu().numpy(), rtol=1e-5, atol=1e-6)
    if device != "cpu":
        with pytest.raises(RuntimeError, match="same device"):
            XF.cross_entropy(xs, xptorch.tensor(t))


# ---- modules ----------------------------------------------------------------------------------------------

MODULES = [
    ("MSELoss", {}), ("MSELoss", {"reduction": "sum"}), ("L1Loss", {"reduction": "none"}),
    ("HuberLoss", {"delta": 0.5}), ("SmoothL1Loss", {"beta": 0.3}), ("NLLLoss", {"ignore_index": 1}),
    ("NLLLoss", {"weight": np.array([1.0, 2.0, 0.5], np.float32)}),
    ("CrossEntropyLoss", {"weight": np.array([1.0, 2.0, 0.5], np.float32), "label_smoothing": 0.1}),
    ("CrossEntropyLoss", {"reduction": "sum", "ignore_index": 2}), ("BCELoss", {"weight": np.ones(3, np.float32)}),
    ("BCELoss", {}), ("BCEWithLogitsLoss", {"pos_weight": np.array([1.0, 2.0, 3.0], np.float32)}),
    ("BCEWithLogitsLoss", {"weight": np.ones(3, np.float32), "reduction": "none"}),
]


def _build(lib, name, kwargs):
    kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return getattr(lib.nn, name)(**kw)


@pytest.mark.parametrize("name,kwargs", MODULES)
def test_loss_modules_match_torch(name, kwargs):
    tm, xm = _build(torch, name, kwargs), _build(xptorch, name, kwargs)
    assert isinstance(xm, nn.Module)
    assert repr(xm) == repr(tm)
    assert list(xm.state_dict()) == list(tm.state_dict())
    for attr in ("reduction", "ignore_index", "label_smoothing", "delta", "beta"):
        assert getattr(xm, attr, None) == getattr(tm, attr, None), attr
    rng = _rng(12)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    if name in ("NLLLoss", "CrossEntropyLoss"):
        y = np.array([0, 2, 1, 2])
    else:
        y = rng.uniform(size=(4, 3)).astype(np.float32)
        if name == "BCELoss":
            x = 1 / (1 + np.exp(-x))
    check_op([x, y], tm, xm, dtype="float32")


def test_loss_module_legacy_arguments_like_torch():
    with pytest.warns(UserWarning) as theirs:
        tm = torch.nn.CrossEntropyLoss(size_average=False)
    with pytest.warns(UserWarning) as ours:
        xm = nn.CrossEntropyLoss(size_average=False)
    assert xm.reduction == tm.reduction == "sum"
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__
    with pytest.warns(UserWarning, match="reduction='none'") as ours:
        nn.NLLLoss(reduce=False)
    assert ours[0].filename == __file__


def test_loss_module_weight_is_a_buffer_that_moves(simulated_cuda):
    m = nn.CrossEntropyLoss(weight=xptorch.tensor([1.0, 2.0, 3.0]))
    assert dict(m.named_buffers())["weight"] is m.weight
    m.to("cuda")
    assert m.weight.device.type == "cuda"
    x = xptorch.randn(2, 3, device="cuda")
    out = m(x, xptorch.tensor([0, 2], device="cuda"))
    assert out.device.type == "cuda"


def test_invalid_reduction_is_reported_at_call_like_torch():
    xm, tm = nn.MSELoss(reduction="bogus"), torch.nn.MSELoss(reduction="bogus")
    check_error(lambda: tm(torch.zeros(2), torch.zeros(2)), lambda: xm(xptorch.zeros(2), xptorch.zeros(2)))
    assert xm.reduction == tm.reduction == "bogus"
