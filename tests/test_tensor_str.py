"""xptorch._tensor_str must print tensors exactly as torch does (with the package renamed)."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

# Loaded by path so a half-built package __init__ cannot break these tests.
_PATH = pathlib.Path(__file__).resolve().parents[1] / "src" / "xptorch" / "_tensor_str.py"
_SPEC = importlib.util.spec_from_file_location("xptorch_tensor_str_under_test", _PATH)
ts = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ts)

DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
NP_DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]


@pytest.fixture(autouse=True)
def _default_options():
    ts.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    yield
    ts.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def torch_repr(arr, *, grad_fn=False, requires_grad=False):
    t = torch.from_numpy(np.array(arr, copy=True))
    if grad_fn:
        t = t.clone().requires_grad_() * 1
    elif requires_grad:
        t.requires_grad_()
    return repr(t).replace("torch.", "xptorch.")


def ours(arr, **kwargs):
    arr = np.asarray(arr)
    return ts.format_tensor(arr, dtype_name=arr.dtype.name, **kwargs)


def assert_matches(arr, **kwargs):
    assert ours(arr, **kwargs) == torch_repr(arr)


def both_set(**kwargs):
    ts.set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


HAND_PICKED = {
    "int_mode_vector": np.array([1.0, 2.0, 3.0], np.float32),
    "int_mode_scalar": np.array(42.0, np.float32),
    "negative_zero": np.array([[-0.0, 6.8618]], np.float32),
    "negative_zero_alone": np.array([-0.0, 0.0], np.float32),
    "negative_zero_with_negative": np.array([[-0.0, 6.8618], [-1.5, 2.25]], np.float32),
    "ratio_over_1000": np.array([0.5, 600.25], np.float32),
    "int_ratio_over_1000": np.array([1.0, 1001.0], np.float32),
    "max_over_1e8": np.array([2.5e8, 1.5], np.float32),
    "int_max_over_1e8": np.array([2e8, 3e8], np.float32),
    "min_under_1e-4": np.array([5e-5, 0.5], np.float32),
    "nan_inf_mixed": np.array([np.nan, 1.5, -np.inf, 1e-5], np.float32),
    "nan_inf_int_mode": np.array([np.nan, np.inf, -np.inf, 2.0, -0.0]),
    "only_nonfinite": np.array([np.nan, np.inf, -np.inf], np.float32),
    "all_zero": np.zeros((2, 2), np.float32),
    "scalar_float": np.array(3.14159, np.float32),
    "scalar_nan": np.array(np.nan, np.float32),
    "scalar_int": np.array(-7, np.int64),
    "scalar_bool": np.array(True),
    "scalar_float64": np.array(1e-7, np.float64),
    "empty_1d": np.zeros((0,), np.float32),
    "empty_0x3": np.zeros((0, 3), np.float32),
    "empty_2x0_int": np.zeros((2, 0), np.int64),
    "empty_bool": np.zeros((0,), bool),
    "empty_3d_f16": np.zeros((1, 0, 2), np.float16),
    "empty_int32": np.zeros((0,), np.int32),
    "long_row_wraps": np.linspace(-3, 3, 37).astype(np.float32),
    "long_sci_row_wraps": (np.arange(1, 30) * 1e5).astype(np.float64) + 0.5,
    "long_int_row_wraps": np.arange(-50, 50, dtype=np.int32),
    "wide_2d_wraps": np.random.default_rng(0).normal(size=(3, 20)).astype(np.float32),
    "3d": np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32),
    "4d": np.random.default_rng(2).normal(size=(2, 2, 3, 2)).astype(np.float64) * 100,
    "summarised_1d": np.arange(2000, dtype=np.float32),
    "summarised_2d": np.random.default_rng(3).normal(size=(40, 40)).astype(np.float32),
    "summarised_3d": np.arange(3000.0).reshape(10, 10, 30),
    "summarised_4d_int": np.arange(4 * 5 * 7 * 9, dtype=np.int64).reshape(4, 5, 7, 9) - 600,
    "summarised_narrow_axis": np.arange(2 * 1001, dtype=np.int16).reshape(2, 1001),
    "summarised_outlier_hidden": np.concatenate([[1.0], np.full(1500, 0.5), [2.0]]).astype(np.float32),
    "bool_vector": np.array([True, False]),
    "bool_matrix": np.array([[True, False, True], [False, False, True]]),
    "int32": np.array([1, -20, 300], np.int32),
    "int8": np.array([-128, 0, 127], np.int8),
    "uint8": np.array([0, 255, 7], np.uint8),
    "int16": np.array([[1, 2], [3, -4]], np.int16),
    "int64": np.array([10**12, -3], np.int64),
    "float16": np.array([0.1, 65504.0, -2.0], np.float16),
    "float16_int_mode": np.array([1.0, 2.0], np.float16),
    "float64": np.array([0.1, 0.2], np.float64),
    "float64_huge_range": np.array([1e308, 1e-308], np.float64),
    "dtype_suffix_wraps": np.linspace(0, 1, 23).astype(np.float64),
}


@pytest.mark.parametrize("name", sorted(HAND_PICKED))
def test_hand_picked_matches_torch(name):
    assert_matches(HAND_PICKED[name])


def test_known_strings():
    assert ours(np.array([1.0, 2.0, 3.0], np.float32)) == "tensor([1., 2., 3.])"
    assert ours(np.array(42.0, np.float32)) == "tensor(42.)"
    assert ours(np.array([True, False])) == "tensor([ True, False])"
    assert ours(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    assert ours(np.zeros(0, np.int64)) == "tensor([], dtype=xptorch.int64)"
    assert ours(np.array([1.0], np.float64)) == "tensor([1.], dtype=xptorch.float64)"


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, ::-1],
        np.arange(24, dtype=np.int32).reshape(2, 3, 4).transpose(2, 0, 1),
        np.linspace(0, 1, 3000).astype(np.float32)[::2],
        np.broadcast_to(np.float32(2.5), (3, 3)),
    ],
    ids=["reversed", "transposed", "strided_summarised", "zero_strides"],
)
def test_non_contiguous_inputs(arr):
    assert_matches(arr)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_requires_grad_suffix(dtype):
    arr = np.linspace(-1, 1, 5).astype(dtype)
    got = ts.format_tensor(arr, dtype_name=dtype, requires_grad=True)
    assert got == torch_repr(arr, requires_grad=True)


def test_grad_fn_suffix_wins_over_requires_grad():
    arr = np.random.default_rng(4).normal(size=(3, 3)).astype(np.float32)
    got = ts.format_tensor(arr, dtype_name="float32", grad_fn_name="MulBackward0", requires_grad=True)
    assert got == torch_repr(arr, grad_fn=True)
    assert got.endswith(", grad_fn=<MulBackward0>)")


def test_grad_fn_suffix_moves_to_new_line():
    arr = np.linspace(0, 1, 23).astype(np.float64)
    got = ts.format_tensor(arr, dtype_name="float64", grad_fn_name="MulBackward0")
    assert got == torch_repr(arr, grad_fn=True)
    assert got.endswith("dtype=xptorch.float64,\n       grad_fn=<MulBackward0>)")


@pytest.mark.parametrize("dtype", ["float16", "float64", "int32", "int8"])
def test_suffix_wrapping_boundary_sweep(dtype):
    for n in range(1, 45):
        arr = (np.arange(n) % 7).astype(dtype)
        assert_matches(arr)
        if dtype.startswith("float"):
            got = ts.format_tensor(arr, dtype_name=dtype, requires_grad=True)
            assert got == torch_repr(arr, requires_grad=True), n


def test_parameter_repr():
    arr = np.ones(2, np.float32)
    expected = repr(torch.nn.Parameter(torch.from_numpy(arr.copy())))
    assert ts.format_parameter(arr, dtype_name="float32") == expected.replace("torch.", "xptorch.")
    frozen = repr(torch.nn.Parameter(torch.from_numpy(arr.copy()), requires_grad=False))
    assert ts.format_parameter(arr, dtype_name="float32", requires_grad=False) == frozen
    assert ts.format_parameter(arr, dtype_name="float32").startswith("Parameter containing:\ntensor(")


def test_package_name_substitution():
    arr = np.array([1, 2], np.int32)
    assert ts.format_tensor(arr, dtype_name="int32", package="torch") == repr(torch.from_numpy(arr))
    assert ts.format_tensor(arr, dtype_name="int32", package="mypkg") == "tensor([1, 2], dtype=mypkg.int32)"


# torch's CPU build cannot create CUDA tensors; these layouts follow its suffix-wrapping rule.
def test_device_suffix_first_and_wrapping():
    ones = np.ones((3, 30), np.float64)
    row = ", ".join(["1."] * 18) + ",\n         " + ", ".join(["1."] * 12)
    expected = (
        "tensor([[" + row + "],\n        [" + row + "],\n        [" + row + "]], device='cuda:0',\n"
        "       dtype=xptorch.float64, grad_fn=<AddmmBackward0>)"
    )
    got = ts.format_tensor(ones, dtype_name="float64", device="cuda:0", grad_fn_name="AddmmBackward0")
    assert got == expected

    got = ts.format_tensor(np.ones((2, 3), np.float32), dtype_name="float32", device="cuda:1", requires_grad=True)
    assert got == "tensor([[1., 1., 1.],\n        [1., 1., 1.]], device='cuda:1', requires_grad=True)"

    got = ts.format_tensor(np.ones(23, np.float16), dtype_name="float16", device="cuda:0", requires_grad=True)
    expected = (
        "tensor([" + ", ".join(["1."] * 18) + ",\n        " + ", ".join(["1."] * 5) + "], device='cuda:0', "
        "dtype=xptorch.float16,\n       requires_grad=True)"
    )
    assert got == expected

    assert ts.format_tensor(np.array(7, np.int32), dtype_name="int32", device="cuda:0") == (
        "tensor(7, device='cuda:0', dtype=xptorch.int32)"
    )
    assert ts.format_tensor(np.zeros(0, np.float32), dtype_name="float32", device="cuda:0") == (
        "tensor([], device='cuda:0')"
    )
    assert ts.format_tensor(np.ones(1, np.float32), dtype_name="float32", device="cpu") == "tensor([1.])"


def test_dtype_name_decides_formatting_kind():
    assert ts.format_tensor(np.array([1, 2], np.int64), dtype_name="float32") == "tensor([1., 2.])"
    assert ts.format_tensor(np.array([0, 1], np.uint8), dtype_name="bool") == "tensor([False,  True])"


# ---- print options ---------------------------------------------------------


def test_get_printoptions_defaults_match_torch():
    assert ts.get_printoptions() == DEFAULTS
    if hasattr(torch, "get_printoptions"):
        assert ts.get_printoptions() == torch.get_printoptions()


@pytest.mark.parametrize(
    "profile, expected",
    [
        ("short", {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80}),
        ("full", {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80}),
        ("default", {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}),
    ],
)
def test_profiles(profile, expected):
    ts.set_printoptions(precision=9, threshold=5, edgeitems=1, linewidth=40, sci_mode=True)
    ts.set_printoptions(profile=profile)
    assert ts.get_printoptions() == dict(expected, sci_mode=None)


def test_explicit_arguments_override_profile_and_sci_mode_resets():
    ts.set_printoptions(profile="short", precision=6, sci_mode=False)
    assert ts.get_printoptions() == {
        "precision": 6, "threshold": 1000, "edgeitems": 2, "linewidth": 80, "sci_mode": False,
    }
    ts.set_printoptions(linewidth=100)
    assert ts.get_printoptions()["sci_mode"] is None
    assert ts.get_printoptions()["precision"] == 6


def test_printoptions_context_manager_restores():
    ts.set_printoptions(precision=3)
    before = ts.get_printoptions()
    with ts.printoptions(precision=2, sci_mode=False, threshold=10):
        assert ts.get_printoptions()["precision"] == 2
        assert ts.get_printoptions()["sci_mode"] is False
        assert ours(np.array([1.23456], np.float32)) == "tensor([1.23])"
    assert ts.get_printoptions() == before
    with pytest.raises(RuntimeError):
        with ts.printoptions(precision=1):
            raise RuntimeError("boom")
    assert ts.get_printoptions() == before


OPTION_CASES = {
    "precision_2": dict(precision=2),
    "precision_0": dict(precision=0),
    "sci_false": dict(sci_mode=False),
    "sci_true": dict(sci_mode=True),
    "threshold_small": dict(threshold=5),
    "threshold_zero_edge_1": dict(threshold=0, edgeitems=1),
    "edgeitems_0": dict(edgeitems=0),
    "linewidth_40": dict(linewidth=40),
    "linewidth_5": dict(linewidth=5),
    "profile_full": dict(profile="full"),
    "profile_short": dict(profile="short"),
    "short_with_sci": dict(profile="short", sci_mode=True),
}

OPTION_ARRAYS = [
    np.array([1e-5, 1.5, np.nan], np.float32),
    np.array([1e9, 1.0], np.float32),
    np.array([1.0, 2.0], np.float32),
    np.array([0.0, np.nan], np.float32),
    np.array(0.0, np.float32),
    np.array(3.0, np.float32),
    np.linspace(-2, 2, 30).astype(np.float32).reshape(5, 6),
    np.arange(2000.0, dtype=np.float32),
    np.arange(1200, dtype=np.int32).reshape(3, 20, 20),
    np.zeros((0, 2), np.int64),
    np.array([True, False, True, True, False, True, False]),
]


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
@pytest.mark.parametrize("idx", range(len(OPTION_ARRAYS)))
def test_printoptions_match_torch(case, idx):
    both_set(**OPTION_CASES[case])
    assert_matches(OPTION_ARRAYS[idx])


def test_profile_full_prints_everything():
    arr = np.arange(1500, dtype=np.int64)
    with ts.printoptions(profile="full"):
        got = ours(arr)
    assert "..." not in got
    torch.set_printoptions(profile="full")
    assert got == torch_repr(arr)


# ---- generated arrays ------------------------------------------------------

SPECIALS = np.array([0.0, -0.0, np.nan, np.inf, -np.inf])


@st.composite
def seeded_arrays(draw):
    ndim = draw(st.integers(0, 4))
    big = draw(st.booleans())
    max_side = {0: 1, 1: 1500, 2: 50, 3: 14, 4: 8}[ndim] if big else 5
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(NP_DTYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        arr = rng.random(shape) < 0.5
    elif dtype.startswith("float"):
        style = draw(st.sampled_from(["normal", "integers", "wide", "tiny", "huge", "specials"]))
        scale = 10.0 ** draw(st.integers(-6, 9))
        if style == "normal":
            arr = rng.normal(size=shape) * scale
        elif style == "integers":
            arr = rng.integers(-1000, 1000, size=shape).astype(np.float64)
        elif style == "wide":
            arr = rng.normal(size=shape) * 10.0 ** rng.integers(-8, 9, size=shape)
        elif style == "tiny":
            arr = rng.normal(size=shape) * 1e-5
        elif style == "huge":
            arr = np.round(rng.normal(size=shape) * 1e9)
        else:
            arr = rng.normal(size=shape) * scale
            mask = rng.random(shape) < 0.3
            arr = np.where(mask, rng.choice(SPECIALS, size=shape), arr)
        with np.errstate(over="ignore"):
            arr = np.asarray(arr).astype(dtype)
    else:
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    arr = np.asarray(arr)
    if arr.ndim >= 2 and draw(st.booleans()):
        arr = arr.swapaxes(0, -1)
    return arr


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arr=seeded_arrays(), sci_mode=st.sampled_from([None, None, True, False]), precision=st.sampled_from([4, 4, 2]))
def test_generated_arrays_match_torch(arr, sci_mode, precision):
    try:
        both_set(precision=precision, sci_mode=sci_mode)
        assert_matches(arr)
    finally:
        both_set(profile="default")


@settings(max_examples=300, deadline=None)
@given(
    arr=st.sampled_from(["float16", "float32", "float64"]).flatmap(
        lambda dt: hnp.arrays(
            dtype=dt,
            shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
            elements=st.floats(width=int(dt[5:]), allow_nan=True, allow_infinity=True),
        )
    )
)
def test_arbitrary_float_values_match_torch(arr):
    assert_matches(arr)


@settings(max_examples=100, deadline=None)
@given(
    arr=hnp.arrays(
        dtype=st.sampled_from(["int8", "uint8", "int16", "int32", "int64", "bool"]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
    )
)
def test_arbitrary_int_and_bool_values_match_torch(arr):
    assert_matches(arr)
