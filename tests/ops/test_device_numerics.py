"""Values where CuPy's kernels and NumPy's differ (sorting NaNs of both signs, float-to-integer casts, floor
division and remainder at infinities, scatter maxima in float64, sinc, frexp of subnormals, integer ranges
from float bounds), against torch on cpu and cuda: on the CUDA device the strict stand-in reproduces each of
CuPy's behaviours, so these fail there unless xptorch works around them."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402

NAN, INF = np.nan, np.inf
NEG_NAN = -np.abs(np.float64(np.nan))  # a NaN with the sign bit set
SPECIAL = np.array([2.0, NEG_NAN, -INF, 0.0, NAN, -0.0, 1.0, NEG_NAN, -2.5, INF, 1.0])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_family_puts_nans_of_either_sign_last(device, dtype, descending):
    vals = SPECIAL.astype(dtype)
    check(device, [vals], lambda x: torch.sort(x, descending=descending, stable=True),
          lambda x: xptorch.sort(x, descending=descending, stable=True), grad=False)
    check(device, [vals], lambda x: torch.argsort(x, descending=descending, stable=True),
          lambda x: xptorch.argsort(x, descending=descending, stable=True), grad=False)
    check(device, [vals], lambda x: torch.topk(x, 4, largest=not descending).values,
          lambda x: xptorch.topk(x, 4, largest=not descending).values, grad=False)
    check(device, [vals], lambda x: torch.kthvalue(x, 9), lambda x: xptorch.kthvalue(x, 9), grad=False)
    check(device, [vals], lambda x: x.msort(), lambda x: x.msort(), grad=False)


def test_unique_puts_nans_of_either_sign_last(device):
    x = xptorch.tensor(SPECIAL).to(device)
    vals = xptorch.unique(x).cpu().numpy()
    expected = torch.unique(torch.tensor(SPECIAL)).numpy()
    np.testing.assert_array_equal(vals, expected)  # NaNs compare equal here, each kept apart, all last


CAST_VALUES = np.array([-1.5, -200.7, 300.2, 70000.5, -70000.5, 3e9, -3e9, NAN, 0.9, -0.9], np.float32)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32"])
@pytest.mark.parametrize("src", ["float32", "float64", "float16"])
def test_float_to_integer_casts_wrap_as_on_the_cpu(device, dtype, src):
    vals = CAST_VALUES if src != "float16" else CAST_VALUES[~(np.abs(CAST_VALUES) > 6e4)]  # float16's range
    vals = vals.astype(src)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy warns of the wrapping casts on the CPU; torch does not
        ours = xptorch.tensor(vals).to(device).to(getattr(xptorch, dtype))
        byte = xptorch.tensor(vals).to(device).byte()
        theirs = torch.tensor(vals).to(getattr(torch, dtype))
    assert ours.device.type == device and ours.dtype == getattr(xptorch, dtype)
    np.testing.assert_array_equal(ours.cpu().numpy(), theirs.numpy())
    np.testing.assert_array_equal(byte.cpu().numpy(), torch.tensor(vals).byte().numpy())


DIV_A = np.array([NAN, INF, -INF, 1.0, -1.0, 0.5, -0.0, 0.0, 7.0, 1.0, -1.0, 5.0, 0.7], np.float64)
DIV_B = np.array([1.0, -INF, 0.5, -INF, INF, -2.0, 1.0, -3.0, 0.0, 0.1, 0.0, -0.0, 0.1], np.float64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floor_division_and_remainder_at_special_values(device, dtype):
    a, b = DIV_A.astype(dtype), DIV_B.astype(dtype)
    check(device, [a, b], lambda x, y: torch.div(x, y, rounding_mode="floor"),
          lambda x, y: xptorch.div(x, y, rounding_mode="floor"), grad=False)
    check(device, [a, b], torch.floor_divide, xptorch.floor_divide, grad=False)
    check(device, [a, b], torch.remainder, xptorch.remainder, grad=False)
    check(device, [a], lambda x: x // 0.1, lambda x: x // 0.1, grad=False)
    check(device, [a], lambda x: torch.remainder(x, -INF), lambda x: xptorch.remainder(x, -INF), grad=False)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_extremes_are_exact_and_propagate_nan(device, reduce, include_self):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4))
    src = rng.standard_normal((5, 4))
    src[2, 1] = NAN
    x[0, 3] = NAN
    index = np.array([[0, 1, 2, 0], [2, 1, 0, 0], [0, 1, 1, 2], [1, 1, 0, 0], [0, 2, 2, 1]], np.int64)
    check(device, [x, 0, index, src], lambda *a: torch.scatter_reduce(*a, reduce, include_self=include_self),
          lambda *a: xptorch.scatter_reduce(*a, reduce, include_self=include_self), rtol=0, atol=0, grad=False)
    idx1 = np.array([0, 2, 0, 1, 2], np.int64)
    check(device, [x, 0, idx1, src], lambda *a: torch.index_reduce(*a, reduce, include_self=include_self),
          lambda *a: xptorch.index_reduce(*a, reduce, include_self=include_self), rtol=0, atol=0, grad=False)


def test_scatter_reduce_extremes_of_integers(device):
    x = np.array([5, -3, 7, 0], np.int64)
    src = np.array([9, -9, 2, 2**40, -(2**40), 7], np.int64)
    index = np.array([0, 0, 1, 2, 3, 3], np.int64)
    for reduce in ("amax", "amin"):
        check(device, [x, 0, index, src], lambda *a: torch.scatter_reduce(*a, reduce),
              lambda *a: xptorch.scatter_reduce(*a, reduce), grad=False)


def test_embedding_bag_max_of_float64_is_exact(device):
    rng = np.random.default_rng(2)
    weight = rng.standard_normal((6, 3))
    inp = np.array([1, 2, 4, 5, 4, 3, 2, 0], np.int64)
    offsets = np.array([0, 2, 2, 5], np.int64)
    check(device, [inp, weight, offsets], lambda i, w, o: torch.nn.functional.embedding_bag(i, w, o, mode="max"),
          lambda i, w, o: xptorch.nn.functional.embedding_bag(i, w, o, mode="max"), rtol=0, atol=0,
          check_grad_fn=False)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sinc_at_nan_infinities_and_integers(device, dtype):
    vals = np.array([NAN, INF, -INF, 0.0, 1e-30, 1.0, -1.5, 2.0, -3.0, 1e-10], dtype)
    check(device, [vals], torch.sinc, xptorch.sinc, grad=False, rtol=1e-6, atol=0)
    check(device, [vals], torch.special.sinc, xptorch.special.sinc, grad=False, rtol=1e-6, atol=0)


def test_frexp_of_float32_subnormals(device):
    vals = np.array([1e-40, -3e-39, 1.4e-45, 1.5, 0.0], np.float32)
    check(device, [vals], torch.frexp, xptorch.frexp, grad=False, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16"])
@pytest.mark.parametrize("bounds", [(0.5, 5, 1.5), (-3, 5, 2.5), (0.7, 4.9, 1.0), (1, -5, -1.5), (-0.5, 3.7, 1.2),
                                    (-5.5, -0.2, 2.2), (10, 0.5, -3.9)])
def test_integer_arange_from_float_bounds(device, dtype, bounds):
    ours = xptorch.arange(*bounds, dtype=getattr(xptorch, dtype), device=device)
    theirs = torch.arange(*bounds, dtype=getattr(torch, dtype))
    assert ours.device.type == device
    np.testing.assert_array_equal(ours.cpu().numpy(), theirs.numpy())
    assert ours.dtype == getattr(xptorch, dtype)
