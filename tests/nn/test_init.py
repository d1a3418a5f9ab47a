"""nn.init against torch.nn.init: gains, fans, errors, exact deterministic fills, and the statistics of random fills."""
import math

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import init
from oracle import check_error

torch = pytest.importorskip("torch")
tinit = torch.nn.init

N = 200_000  # elements per statistical test: 5 standard errors stay well below the effects tested


def _np(t):
    return t.detach().cpu().numpy()


def assert_moments(x, mean, var, fourth):
    """Sample mean and variance within 5 standard errors of the distribution's (fourth: 4th central moment)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    se_mean = math.sqrt(var / n)
    assert abs(x.mean() - mean) < 5 * se_mean, (x.mean(), mean, se_mean)
    se_var = math.sqrt((fourth - var * var) / n)
    assert abs(x.var() - var) < 5 * se_var, (x.var(), var, se_var)


def assert_uniform(x, lo, hi):
    x = np.asarray(x)
    assert x.min() >= lo and x.max() < hi
    w = hi - lo
    assert_moments(x, (lo + hi) / 2, w * w / 12, w**4 / 80)


def assert_normal(x, mean, std):
    assert_moments(x, mean, std * std, 3 * std**4)


# ---- gains and fans -------------------------------------------------------------------------------

GAIN_CASES = [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
    ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0), ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)),
    ("selu", None), ("relu", 3.0),
]


@pytest.mark.parametrize("nonlinearity,param", GAIN_CASES)
def test_calculate_gain_matches_torch(nonlinearity, param):
    got = init.calculate_gain(nonlinearity, param)
    want = tinit.calculate_gain(nonlinearity, param)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("args", [("foo",), ("Relu",), ("leaky_relu", "x"), ("leaky_relu", True)])
def test_calculate_gain_errors_match_torch(args):
    check_error(lambda: tinit.calculate_gain(*args), lambda: init.calculate_gain(*args))


FAN_SHAPES = [(3, 4), (7, 1), (0, 5), (8, 3, 5), (16, 3, 3, 3), (4, 2, 3, 5, 7), (6, 4, 0, 2)]


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_fans_match_torch(shape):
    got = init._calculate_fan_in_and_fan_out(xptorch.empty(shape))
    want = tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert got == want
    for mode in ("fan_in", "fan_out", "FAN_OUT"):
        assert init._calculate_correct_fan(xptorch.empty(shape), mode) == tinit._calculate_correct_fan(
            torch.empty(shape), mode
        )


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dims(shape):
    check_error(
        lambda: tinit._calculate_fan_in_and_fan_out(torch.empty(shape)),
        lambda: init._calculate_fan_in_and_fan_out(xptorch.empty(shape)),
    )


def test_fan_mode_error_matches_torch():
    check_error(
        lambda: tinit._calculate_correct_fan(torch.empty(3, 4), "fan_avg"),
        lambda: init._calculate_correct_fan(xptorch.empty(3, 4), "fan_avg"),
    )
    check_error(
        lambda: tinit.kaiming_uniform_(torch.empty(3, 4), mode="Fan_Avg"),
        lambda: init.kaiming_uniform_(xptorch.empty(3, 4), mode="Fan_Avg"),
    )


# ---- errors -----------------------------------------------------------------------------------------

ERROR_CASES = [
    ("eye_", (3,), {}),
    ("eye_", (3, 4, 5), {}),
    ("dirac_", (3, 4), {}),
    ("dirac_", (2, 2, 2, 2, 2, 2), {}),
    ("dirac_", (3, 4, 5), {"groups": 2}),
    ("orthogonal_", (3,), {}),
    ("sparse_", (3, 4, 5), {"sparsity": 0.1}),
    ("sparse_", (3,), {"sparsity": 0.1}),
    ("xavier_uniform_", (3,), {}),
    ("xavier_normal_", (), {}),
    ("kaiming_uniform_", (3, 4), {"nonlinearity": "foo"}),
    ("kaiming_normal_", (3, 4), {"a": True}),
    ("kaiming_normal_", (3,), {}),
    ("trunc_normal_", (3, 4), {"a": 2, "b": -2}),
]


@pytest.mark.parametrize("name,shape,kwargs", ERROR_CASES)
def test_errors_match_torch(name, shape, kwargs):
    x = xptorch.ones(shape)
    before = _np(x).copy()
    check_error(lambda: getattr(tinit, name)(torch.ones(shape), **kwargs), lambda: getattr(init, name)(x, **kwargs))
    np.testing.assert_array_equal(_np(x), before)


def test_integer_tensor_refuses_random_fills():
    for fn in (init.trunc_normal_, init.uniform_, init.normal_):
        with pytest.raises(NotImplementedError, match="Long"):
            fn(xptorch.zeros(3, 4, dtype=xptorch.int64))


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_zero_element_warns_like_torch(fn):
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op") as theirs:
        getattr(tinit, fn)(torch.empty(0, 3))
    x = xptorch.empty(0, 3)
    with pytest.warns(UserWarning) as ours:
        assert getattr(init, fn)(x) is x
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__


def test_trunc_normal_far_mean_warns_like_torch():
    with pytest.warns(UserWarning) as theirs:
        tinit.trunc_normal_(torch.empty(10), mean=5.0)
    with pytest.warns(UserWarning) as ours:
        init.trunc_normal_(xptorch.empty(10), mean=5.0)
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__


@pytest.mark.parametrize(
    "kwargs,match",
    [({"a": 0.0}, "a > 0"), ({"a": -1.0}, "a > 0"), ({"threshold": -1.0}, "threshold"),
     ({"a": 2.0, "threshold": 3.0}, "threshold"), ({"a": float("nan")}, "a > 0")],
)
def test_masked_uniform_rejects_bad_arguments(kwargs, match):
    x = xptorch.ones(4)
    with pytest.raises(ValueError, match=match):
        init.masked_uniform_(x, **kwargs)
    np.testing.assert_array_equal(_np(x), np.ones(4, np.float32))


# ---- identity, no graph -----------------------------------------------------------------------

INIT_CALLS = [
    ("uniform_", {}), ("normal_", {}), ("constant_", {"val": 0.5}), ("ones_", {}), ("zeros_", {}), ("eye_", {}),
    ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}), ("trunc_normal_", {"std": 0.02}),
    ("orthogonal_", {}), ("sparse_", {"sparsity": 0.5}), ("masked_uniform_", {}),
]


@pytest.mark.parametrize("name,kwargs", INIT_CALLS)
def test_parameter_identity_and_no_graph(name, kwargs):
    p = nn.Parameter(xptorch.full((6, 5), 7.0))
    v0 = p._version
    out = getattr(init, name)(p, **kwargs)
    assert out is p
    assert type(out) is nn.Parameter
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
    assert p._version > v0
    assert not np.all(_np(p) == 7.0)
    (p * 2).sum().backward()
    np.testing.assert_array_equal(_np(p.grad), np.full((6, 5), 2.0, np.float32))


def test_dirac_on_parameter_keeps_identity():
    p = nn.Parameter(xptorch.empty(4, 2, 3))
    assert init.dirac_(p, groups=2) is p and p.grad_fn is None and p.requires_grad


# ---- exact fills ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3), (1, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_eye_matches_torch(shape, dtype):
    got = init.eye_(xptorch.full(shape, 9, dtype=getattr(xptorch, dtype)))
    want = tinit.eye_(torch.full(shape, 9, dtype=getattr(torch, dtype)))
    assert got.dtype == getattr(xptorch, dtype)
    np.testing.assert_array_equal(_np(got), want.cpu().numpy())


DIRAC_CASES = [
    ((4, 4, 3), 1), ((3, 5, 3), 1), ((6, 2, 4), 1), ((6, 4, 3), 2), ((6, 4, 4), 3), ((8, 2, 3, 3), 2),
    ((4, 6, 2, 5), 1), ((6, 3, 3, 3, 3), 3), ((4, 4, 1, 1, 1), 4), ((0, 3, 3), 1),
]


@pytest.mark.parametrize("shape,groups", DIRAC_CASES)
def test_dirac_matches_torch(shape, groups):
    got = init.dirac_(xptorch.full(shape, 9.0), groups=groups)
    want = tinit.dirac_(torch.full(shape, 9.0), groups=groups)
    np.testing.assert_array_equal(_np(got), want.cpu().numpy())


def test_constant_ones_zeros_match_torch():
    for fn, args in (("constant_", (2.5,)), ("ones_", ()), ("zeros_", ())):
        for dtype in ("float32", "int64"):
            got = getattr(init, fn)(xptorch.full((2, 3), 7, dtype=getattr(xptorch, dtype)), *args)
            want = getattr(tinit, fn)(torch.full((2, 3), 7, dtype=getattr(torch, dtype)), *args)
            np.testing.assert_array_equal(_np(got), want.cpu().numpy())


# ---- random fills: bounds and moments ---------------------------------------------------------------

def test_uniform_statistics():
    assert_uniform(_np(init.uniform_(xptorch.empty(N))), 0.0, 1.0)
    assert_uniform(_np(init.uniform_(xptorch.empty(N), -3.0, 0.5)), -3.0, 0.5)
    assert_uniform(_np(init.uniform_(xptorch.empty(N, dtype=xptorch.float64), a=2, b=7)), 2.0, 7.0)


def test_normal_statistics():
    assert_normal(_np(init.normal_(xptorch.empty(N))), 0.0, 1.0)
    assert_normal(_np(init.normal_(xptorch.empty(N, dtype=xptorch.float64), mean=3.0, std=0.01)), 3.0, 0.01)


@pytest.mark.parametrize("shape", [(500, 400), (40, 30, 3, 3), (100, 20, 5, 4, 4)])
def test_xavier_statistics(shape, gain=1.7):
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    assert_uniform(_np(init.xavier_uniform_(xptorch.empty(shape), gain=gain)), -bound, bound)
    assert_normal(_np(init.xavier_normal_(xptorch.empty(shape), gain=gain)), 0.0, std)


@pytest.mark.parametrize(
    "shape,a,mode,nonlinearity",
    [((500, 400), math.sqrt(5), "fan_in", "leaky_relu"), ((64, 32, 3, 3), 0, "fan_out", "relu"),
     ((300, 700), 0.1, "fan_in", "tanh"), ((20, 50, 3, 3, 3), 0, "fan_in", "selu")],
)
def test_kaiming_statistics(shape, a, mode, nonlinearity):
    fan = tinit._calculate_correct_fan(torch.empty(shape), mode)
    std = tinit.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    kw = dict(a=a, mode=mode, nonlinearity=nonlinearity)
    assert_uniform(_np(init.kaiming_uniform_(xptorch.empty(shape), **kw)), -bound, bound)
    assert_normal(_np(init.kaiming_normal_(xptorch.empty(shape), **kw)), 0.0, std)


@pytest.mark.parametrize("shape", [(7, 5), (4, 3, 2), (6, 2, 3, 3), (3, 4, 2, 2, 2)])
def test_scaled_fills_are_the_plain_fill_with_torchs_scale(shape):
    # Same seed, same stream: the scaled initialisers must equal uniform_/normal_ with torch's bound or std.
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    cases = [
        ("xavier_uniform_", {"gain": 1.3}, "uniform", math.sqrt(3.0) * 1.3 * math.sqrt(2.0 / (fan_in + fan_out))),
        ("xavier_normal_", {"gain": 0.7}, "normal", 0.7 * math.sqrt(2.0 / (fan_in + fan_out))),
        ("kaiming_uniform_", {"a": math.sqrt(5)}, "uniform",
         math.sqrt(3.0) * tinit.calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(fan_in)),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, "uniform",
         math.sqrt(3.0) * math.sqrt(2.0) / math.sqrt(fan_out)),
        ("kaiming_normal_", {"a": 0.2}, "normal", tinit.calculate_gain("leaky_relu", 0.2) / math.sqrt(fan_in)),
        ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}, "normal", (5.0 / 3) / math.sqrt(fan_out)),
    ]
    for name, kwargs, kind, scale in cases:
        xptorch.manual_seed(5)
        got = _np(getattr(init, name)(xptorch.empty(shape, dtype=xptorch.float64), **kwargs))
        xptorch.manual_seed(5)
        ref = xptorch.empty(shape, dtype=xptorch.float64)
        ref.uniform_(-scale, scale) if kind == "uniform" else ref.normal_(0, scale)
        np.testing.assert_allclose(got, _np(ref), rtol=1e-13, atol=0, err_msg=name)


def test_kaiming_uniform_default_layer_bound():
    # Linear's default: a = √5 gives a bound of exactly 1/√fan_in.
    w = _np(init.kaiming_uniform_(xptorch.empty(400, 250), a=math.sqrt(5)))
    assert_uniform(w, -1 / math.sqrt(250), 1 / math.sqrt(250))


def _truncated_moments(mean, std, a, b):
    """Mean, variance and 4th central moment of N(mean, std²) restricted to [a, b], by quadrature."""
    x = np.linspace(a, b, 200_001)
    pdf = np.exp(-0.5 * ((x - mean) / std) ** 2)
    pdf /= np.trapezoid(pdf, x)
    m = np.trapezoid(x * pdf, x)
    var = np.trapezoid((x - m) ** 2 * pdf, x)
    return m, var, np.trapezoid((x - m) ** 4 * pdf, x)


TRUNC_CASES = [
    (0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 1.0, 0.0, 0.5), (0.0, 1.0, 2.5, 4.0),
    (0.0, 1.0, -6.0, -5.0), (1.0, 0.02, 0.96, 1.04), (0.0, 1.0, 5.0, 6.0), (0.0, 1.0, 9.0, 10.0),
    (0.0, 1.0, -12.0, -11.0), (-3.0, 0.5, 2.0, 2.5),
]


@pytest.mark.parametrize("mean,std,a,b", TRUNC_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trunc_normal_bounds_moments_and_cdf(mean, std, a, b, dtype):
    x = xptorch.empty(N, dtype=getattr(xptorch, dtype))
    far = mean < a - 2 * std or mean > b + 2 * std
    if far:
        with pytest.warns(UserWarning, match="more than 2 std"):
            init.trunc_normal_(x, mean, std, a, b)
    else:
        init.trunc_normal_(x, mean, std, a, b)
    w = _np(x)
    assert w.dtype == np.dtype(dtype)
    assert w.min() >= np.dtype(dtype).type(a) and w.max() <= np.dtype(dtype).type(b)
    assert_moments(w, *_truncated_moments(mean, std, a, b))
    # Kolmogorov-Smirnov against the exact truncated CDF (Φ from torch's erfc, exact in both tails); 1.95/√n is α = 0.1%.
    s = np.sort(w.astype(np.float64))
    phi = lambda z: 0.5 * torch.special.erfc(torch.tensor(-np.asarray(z) / math.sqrt(2), dtype=torch.float64)).cpu().numpy()
    lo, hi = phi((a - mean) / std), phi((b - mean) / std)
    if (a - mean) / std > 0:  # upper tail: use the mirrored CDF, which keeps its precision there
        lo, hi = phi(-(a - mean) / std), phi(-(b - mean) / std)
        cdf = (lo - phi(-(s - mean) / std)) / (lo - hi)
    else:
        cdf = (phi((s - mean) / std) - lo) / (hi - lo)
    emp = np.arange(1, s.size + 1) / s.size
    ks = max(np.max(emp - cdf), np.max(cdf - (emp - 1 / s.size)))
    # float32 rounding of the samples adds up to one ulp of spread to the comparison.
    assert ks < 1.95 / math.sqrt(s.size) + (1e-5 if dtype == "float32" else 0), ks


def test_trunc_normal_degenerate_and_infinite_intervals():
    x = init.trunc_normal_(xptorch.empty(1000), a=0.3, b=0.3)
    np.testing.assert_array_equal(_np(x), np.full(1000, np.float32(0.3)))
    for a in (0.3, -1.1, 1.4):
        x = init.trunc_normal_(xptorch.empty(1000, dtype=xptorch.float64), mean=0.1, std=0.7, a=a, b=a)
        np.testing.assert_array_equal(_np(x), np.full(1000, a))
    y = _np(init.trunc_normal_(xptorch.empty(N, dtype=xptorch.float64), a=-math.inf, b=math.inf))
    assert np.all(np.isfinite(y))
    assert_normal(y, 0.0, 1.0)


def test_ndtri_matches_torch():
    p = np.concatenate([
        np.linspace(1e-12, 1 - 1e-12, 20001), np.logspace(-300, -1, 2000), 1 - np.logspace(-16, -1, 300),
        [0.075, 0.0749999, 0.925, 0.925001, np.exp(-25.0), np.exp(-25.0001)],
    ])
    got = init._ndtri(p)
    want = torch.special.ndtri(torch.tensor(p)).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=4e-15, atol=0)


@pytest.mark.parametrize("shape,gain", [((30, 50), 1.0), ((50, 30), 2.0), ((40, 40), 0.5), ((8, 3, 3, 3), 1.0),
                                        ((1, 7), 1.0), ((64, 16, 2), 1.3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal_rows_or_columns_orthonormal(shape, gain, dtype):
    w = init.orthogonal_(xptorch.empty(shape, dtype=getattr(xptorch, dtype)), gain=gain)
    assert w.dtype == getattr(xptorch, dtype) and tuple(w.shape) == shape
    m = _np(w).reshape(shape[0], -1).astype(np.float64)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(gram, gain * gain * np.eye(gram.shape[0]), atol=tol * gain * gain * 10)


def test_orthogonal_is_haar_distributed():
    # With the sign fix, every entry of a Haar orthogonal matrix is symmetric about 0 with variance 1/n.
    n, reps = 6, 3000
    xptorch.manual_seed(0)
    first = np.array([_np(init.orthogonal_(xptorch.empty(n, n)))[:, 0] for _ in range(reps)]).ravel()
    diag = np.array([np.diagonal(_np(init.orthogonal_(xptorch.empty(n, n)))) for _ in range(reps)]).ravel()
    for sample in (first, diag):
        assert abs(sample.mean()) < 5 * math.sqrt(1 / n / sample.size)
        assert abs(sample.var() - 1 / n) < 0.01


def test_orthogonal_empty_is_noop():
    x = xptorch.empty(0, 3)
    assert init.orthogonal_(x) is x


@pytest.mark.parametrize("rows,cols,sparsity", [(100, 300, 0.1), (37, 50, 0.5), (10, 20, 0.0), (10, 5, 1.0),
                                                 (9, 4, 0.34)])
def test_sparse_zeros_per_column(rows, cols, sparsity):
    w = _np(init.sparse_(xptorch.empty(rows, cols), sparsity, std=0.5))
    want = math.ceil(sparsity * rows)
    np.testing.assert_array_equal((w == 0).sum(axis=0), np.full(cols, want))
    if 0 < want < rows:
        # Each column draws its own rows.
        assert len({tuple(np.flatnonzero(w[:, j] == 0)) for j in range(cols)}) > 1
    nz = w[w != 0]
    if nz.size > 5000:
        assert_normal(nz, 0.0, 0.5)


def test_sparse_row_choice_is_uniform():
    rows, cols = 10, 20_000
    w = _np(init.sparse_(xptorch.empty(rows, cols), 0.3))
    frac = (w == 0).mean(axis=1)
    se = math.sqrt(0.3 * 0.7 / cols)
    assert np.all(np.abs(frac - 0.3) < 5 * se), frac


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_masked_uniform_statistics(dtype):
    w = _np(init.masked_uniform_(xptorch.empty(N, dtype=getattr(xptorch, dtype))))
    zero = w == 0
    assert abs(zero.mean() - 0.5) < 5 * math.sqrt(0.25 / N)
    nz = w[~zero]
    assert np.all(np.abs(nz) >= 5) and np.all(np.abs(nz) < 10)
    # Kept values are uniform on [5, 10) in magnitude with a symmetric sign.
    assert_uniform(np.abs(nz), 5.0, 10.0)
    assert abs((nz > 0).mean() - 0.5) < 5 * math.sqrt(0.25 / nz.size)


def test_masked_uniform_extremes():
    w = _np(init.masked_uniform_(xptorch.empty(N), a=2.0, threshold=0.0))
    assert_uniform(w, -2.0, 2.0)
    assert np.all(_np(init.masked_uniform_(xptorch.empty(1000), a=3.0, threshold=3.0)) == 0)


# ---- determinism --------------------------------------------------------------------------------

RANDOM_CALLS = [
    ("uniform_", {"a": -1, "b": 2}), ("normal_", {"std": 3}), ("xavier_uniform_", {}), ("xavier_normal_", {}),
    ("kaiming_uniform_", {}), ("kaiming_normal_", {}), ("trunc_normal_", {}), ("orthogonal_", {}),
    ("sparse_", {"sparsity": 0.3}), ("masked_uniform_", {}),
]


@pytest.mark.parametrize("name,kwargs", RANDOM_CALLS)
def test_seed_reproduces_and_generator_is_independent(name, kwargs):
    fn = getattr(init, name)

    def draw(**extra):
        return _np(fn(xptorch.empty(20, 30), **kwargs, **extra)).copy()

    xptorch.manual_seed(1234)
    a1, a2 = draw(), draw()
    xptorch.manual_seed(1234)
    np.testing.assert_array_equal(draw(), a1)
    np.testing.assert_array_equal(draw(), a2)
    assert not np.array_equal(a1, a2)
    # An explicit generator neither uses nor advances the default one.
    xptorch.manual_seed(1234)
    g1 = draw(generator=xptorch.Generator().manual_seed(99))
    np.testing.assert_array_equal(draw(), a1)
    np.testing.assert_array_equal(draw(generator=xptorch.Generator().manual_seed(99)), g1)
    assert not np.array_equal(g1, a1)


@pytest.mark.parametrize("name,kwargs", RANDOM_CALLS)
def test_same_values_on_every_device(name, kwargs, device):
    fn = getattr(init, name)
    xptorch.manual_seed(7)
    on_cpu = _np(fn(xptorch.empty(20, 30), **kwargs))
    xptorch.manual_seed(7)
    x = xptorch.empty(20, 30, device=device)
    out = fn(x, **kwargs)
    assert out is x and x.device.type == device
    got = _np(x)
    if device == "cpu" or "uniform" in name or name in ("trunc_normal_",):
        # Uniform words are the same bits everywhere.
        np.testing.assert_array_equal(got, on_cpu)
    elif name == "orthogonal_":
        # The GPU's QR (cuSOLVER) rounds differently from LAPACK's: same signs, float32 rounding apart.
        np.testing.assert_allclose(got, on_cpu, rtol=1e-4, atol=1e-6)
    else:
        # Normals: log/sin/cos of the GPU's libm, within the documented ulps of CPU's (xptorch._random).
        from xptorch import _random

        assert np.all(np.abs(got - on_cpu) <= _random.NORMAL_F32_ULP * np.spacing(np.abs(on_cpu)))


def test_exact_fills_on_device(device):
    x = init.dirac_(xptorch.empty(4, 2, 3, device=device), groups=2)
    assert x.device.type == device
    np.testing.assert_array_equal(_np(x), tinit.dirac_(torch.empty(4, 2, 3), groups=2).cpu().numpy())
    e = init.eye_(xptorch.empty(3, 4, device=device))
    np.testing.assert_array_equal(_np(e), np.eye(3, 4, dtype=np.float32))
