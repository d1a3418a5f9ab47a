"""alpha_dropout, feature_alpha_dropout and their modules (PyTorch's affine constants, statistics, identity in
eval, in-place forms, errors), and F.bilinear (values, gradients, errors) against torch 2.13."""
import math

import numpy as np
import pytest

import xptorch
import xptorch.nn.functional as XF
from oracle import check_error, check_op, same_repr, to_numpy

torch = pytest.importorskip("torch")
TF = torch.nn.functional

ALPHA = 1.7580993408473766


def _constants(p):
    a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
    return a, ALPHA * a * p, ALPHA * a * (p - 1)  # scale, shift of the kept, value of the dropped


def _split(x, y, p):
    """Kept and dropped masks of an alpha dropout of x into y; every element must be one of the two."""
    a, shift, dropped = _constants(p)
    kept = np.isclose(y, x * a + shift, rtol=1e-12, atol=1e-12)
    gone = np.isclose(y, dropped, rtol=1e-12, atol=1e-12)
    assert np.all(kept | gone)
    return kept, gone


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_alpha_dropout_constants_and_statistics_as_torch(p):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 50))
    for lib, F in ((torch, TF), (xptorch, XF)):
        y = to_numpy(F.alpha_dropout(lib.tensor(x), p, training=True))
        kept, gone = _split(x, y, p)
        n = x.size
        assert abs(gone.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
        # unit-normal input keeps zero mean and unit variance (the point of the constants)
        assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05


def test_feature_alpha_dropout_drops_whole_channels():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 30, 3, 2))
    p = 0.4
    for lib, F in ((torch, TF), (xptorch, XF)):
        y = to_numpy(F.feature_alpha_dropout(lib.tensor(x), p, training=True))
        kept, gone = _split(x, y, p)
        per_channel = gone.reshape(60, 30, -1)
        assert np.all(per_channel.all(-1) | ~per_channel.any(-1))
        frac = per_channel[..., 0].mean()
        assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / 1800)


def test_alpha_dropout_gradient_is_the_kept_scale():
    rng = np.random.default_rng(2)
    x = xptorch.tensor(rng.normal(size=(50, 8)), requires_grad=True)
    y = XF.alpha_dropout(x, 0.3, True)
    assert y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    kept, _ = _split(to_numpy(x.detach()), to_numpy(y.detach()), 0.3)
    np.testing.assert_allclose(to_numpy(x.grad), np.where(kept, _constants(0.3)[0], 0.0), rtol=1e-12)


@pytest.mark.parametrize("fn", ["alpha_dropout", "feature_alpha_dropout"])
def test_identity_and_edge_cases_like_torch(fn):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4))
    for kw in ({}, {"p": 0.0, "training": True}, {"p": 0.5, "training": False}, {"p": 1.0, "training": True}):
        check_op([x], lambda a: getattr(TF, fn)(a, **kw), lambda a: getattr(XF, fn)(a, **kw), dtype="float64")
    xt = xptorch.tensor(x)
    assert getattr(XF, fn)(xt) is xt and getattr(XF, fn)(xt, 0.0, True) is xt
    check_op([np.zeros((0, 3))], lambda a: getattr(TF, fn)(a, 0.5, True), lambda a: getattr(XF, fn)(a, 0.5, True),
             dtype="float64")


def test_errors_like_torch():
    for tf, xf in (
        (lambda: TF.alpha_dropout(torch.ones(3), 1.5), lambda: XF.alpha_dropout(xptorch.ones(3), 1.5)),
        (lambda: TF.feature_alpha_dropout(torch.ones(3), -0.1), lambda: XF.feature_alpha_dropout(xptorch.ones(3), -0.1)),
        (lambda: TF.feature_alpha_dropout(torch.ones(3), 0.5, True), lambda: XF.feature_alpha_dropout(xptorch.ones(3), 0.5, True)),
        (lambda: TF.alpha_dropout(torch.ones(3, dtype=torch.long), 0.5, True),
         lambda: XF.alpha_dropout(xptorch.ones(3, dtype=xptorch.long), 0.5, True)),
        (lambda: TF.alpha_dropout(torch.ones(3, requires_grad=True), 0.5, True, inplace=True),
         lambda: XF.alpha_dropout(xptorch.ones(3, requires_grad=True), 0.5, True, inplace=True)),
        (lambda: TF.alpha_dropout("a"), lambda: XF.alpha_dropout("a")),
        (lambda: torch.nn.AlphaDropout(2.0), lambda: xptorch.nn.AlphaDropout(2.0)),
    ):
        check_error(tf, xf)


def test_in_place_forms_edit_the_input():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(20, 6, 2))
    for fn in ("alpha_dropout", "feature_alpha_dropout"):
        xt = xptorch.tensor(x)
        v = xt._version
        out = getattr(XF, fn)(xt, 0.4, True, inplace=True)
        assert out is xt and xt._version > v
        _split(x, to_numpy(xt), 0.4)


@pytest.mark.parametrize("name", ["AlphaDropout", "FeatureAlphaDropout"])
def test_modules_like_torch(name):
    for kw in ({}, {"p": 0.2, "inplace": True}):
        same_repr(lambda lib: getattr(lib.nn, name)(**kw))
    m = getattr(xptorch.nn, name)(0.3, inplace=True)
    assert not isinstance(m, xptorch.nn.Dropout)
    x = xptorch.tensor(np.random.default_rng(5).normal(size=(30, 4, 2)))
    before = to_numpy(x).copy()
    y = m(x)
    np.testing.assert_array_equal(to_numpy(x), before)  # torch's modules do not pass inplace on
    _split(before, to_numpy(y), 0.3)
    m.eval()
    assert m(x) is x


# ---- bilinear ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("s1,s2", [((4, 3), (4, 2)), ((2, 3, 3), (2, 3, 2)), ((3,), (2,)), ((0, 3), (0, 2))])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bilinear_matches_torch(s1, s2, bias, dtype):
    arrays = [s1, s2, (5, 3, 2)] + ([(5,)] if bias else [])
    check_op(arrays, TF.bilinear, XF.bilinear, dtype=dtype, check_grad_fn=bias,
             **({"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {}))


def test_bilinear_module_matches_torch():
    tm = torch.nn.Bilinear(3, 2, 4).double()
    xm = xptorch.nn.Bilinear(3, 2, 4).double()
    with xptorch.no_grad():
        xm.weight.copy_(xptorch.tensor(tm.weight.detach().numpy()))
        xm.bias.copy_(xptorch.tensor(tm.bias.detach().numpy()))
    check_op([(5, 3), (5, 2)], tm, xm, dtype="float64")


@pytest.mark.parametrize("shapes", [
    ((2, 3), (3, 4), (5, 3, 4), None), ((2, 3), (2, 2, 4), (5, 3, 4), None), ((2, 3), (2, 4), (5, 2, 4), None),
    ((2, 3), (2, 4), (5, 3, 3), None), ((2, 3), (2, 4), (5, 3, 4), (4,)), ((), (), (5, 3, 4), None),
    ((2, 3), (2, 4), (5, 3), None), ((2, 3), (2, 4), (5, 3, 4), ()), ((2, 3), (2, 4), (5, 3, 4), (5, 1)),
])
def test_bilinear_errors_like_torch(shapes):
    arrays = [None if s is None else np.ones(s) for s in shapes]
    check_error(lambda: TF.bilinear(*[None if a is None else torch.tensor(a) for a in arrays]),
                lambda: XF.bilinear(*[None if a is None else xptorch.tensor(a) for a in arrays]))


def test_bilinear_dtype_and_type_errors_like_torch():
    o = np.ones
    check_error(lambda: TF.bilinear(torch.tensor(o((2, 3), np.float32)), torch.tensor(o((2, 4))), torch.ones(5, 3, 4)),
                lambda: XF.bilinear(xptorch.tensor(o((2, 3), np.float32)), xptorch.tensor(o((2, 4))),
                                    xptorch.ones(5, 3, 4)))
    check_error(lambda: TF.bilinear(torch.ones(2, 3), torch.ones(2, 4), torch.ones(5, 3, 4), torch.ones(5).double()),
                lambda: XF.bilinear(xptorch.ones(2, 3), xptorch.ones(2, 4), xptorch.ones(5, 3, 4),
                                    xptorch.ones(5).double()))
    check_error(lambda: TF.bilinear(torch.ones(2, 3), torch.ones(2, 4), torch.ones(5, 3, 4), 3),
                lambda: XF.bilinear(xptorch.ones(2, 3), xptorch.ones(2, 4), xptorch.ones(5, 3, 4), 3))
