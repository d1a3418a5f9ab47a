"""xptorch.testing.assert_close against torch.testing.assert_close: same pass/fail, exception type and message."""
import collections
import math
import re

import numpy as np
import pytest

import xptorch
from oracle import xp_message
from xptorch.testing import assert_close

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _t(lib, values, dtype="float32", **kw):
    return lib.tensor(values, dtype=getattr(lib, dtype), **kw)


# (name, builder(lib) -> (actual, expected, kwargs))
CASES = [
    ("equal", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.0]), {})),
    ("within_default_rtol", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.0000019]), {})),
    ("float32_mismatch", lambda L: (_t(L, [1.0, 2.0, 3.0]), _t(L, [1.0, 2.5, 3.0]), {})),
    ("several_mismatches", lambda L: (_t(L, [[1.0, 0.0], [3.0, -4.0]]), _t(L, [[1.5, 0.5], [3.0, 4.0]]), {})),
    ("expected_zero", lambda L: (_t(L, [0.25, 1.0]), _t(L, [0.0, 1.0]), {})),
    ("float64", lambda L: (_t(L, [1.0, 2.0], "float64"), _t(L, [1.0, 2.0 + 1e-6], "float64"), {})),
    ("float16", lambda L: (_t(L, [1.0, 2.0], "float16"), _t(L, [1.0, 2.01], "float16"), {})),
    ("float16_close", lambda L: (_t(L, [1.0, 2.0], "float16"), _t(L, [1.0, 2.001], "float16"), {})),
    ("int_equal_only", lambda L: (_t(L, [1, 2, 3], "int64"), _t(L, [1, 2, 4], "int64"), {})),
    ("int32_zero_expected", lambda L: (_t(L, [5, 2], "int32"), _t(L, [0, 2], "int32"), {})),
    ("bool", lambda L: (_t(L, [True, False], "bool"), _t(L, [True, True], "bool"), {})),
    ("nan_default", lambda L: (_t(L, [NAN, 1.0]), _t(L, [NAN, 1.0]), {})),
    ("nan_equal_nan", lambda L: (_t(L, [NAN, 1.0]), _t(L, [NAN, 1.0]), {"equal_nan": True})),
    ("nan_vs_number", lambda L: (_t(L, [1.0, NAN, 2.0]), _t(L, [1.0, 3.0, 5.0]), {})),
    ("inf_equal", lambda L: (_t(L, [INF, -INF]), _t(L, [INF, -INF]), {})),
    ("inf_sign", lambda L: (_t(L, [INF, 1.0]), _t(L, [-INF, 1.0]), {})),
    ("given_tolerances", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.1]), {"rtol": 0.1, "atol": 0.0})),
    ("zero_tolerances", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.0000001]), {"rtol": 0, "atol": 0})),
    ("only_rtol", lambda L: (_t(L, [1.0]), _t(L, [1.0]), {"rtol": 0.1})),
    ("only_atol", lambda L: (_t(L, [1.0]), _t(L, [1.0]), {"atol": 0.1})),
    ("shape", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.0, 3.0]), {})),
    ("dtype", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.0], "float64"), {})),
    ("dtype_unchecked", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.0], "float64"), {"check_dtype": False})),
    ("dtype_unchecked_mismatch", lambda L: (_t(L, [1.0, 2.0]), _t(L, [1.0, 2.5], "float64"), {"check_dtype": False})),
    ("int_vs_float_unchecked", lambda L: (_t(L, [1, 2], "int64"), _t(L, [1.0, 2.5]), {"check_dtype": False})),
    ("stride", lambda L: (_t(L, [[1.0, 2.0], [3.0, 4.0]]).t(), _t(L, [[1.0, 3.0], [2.0, 4.0]]), {"check_stride": True})),
    ("stride_unchecked", lambda L: (_t(L, [[1.0, 2.0], [3.0, 4.0]]).t(), _t(L, [[1.0, 3.0], [2.0, 4.0]]), {})),
    ("zero_dim", lambda L: (_t(L, 1.5), _t(L, 1.25), {})),
    ("zero_dim_int", lambda L: (_t(L, 3, "int64"), _t(L, 4, "int64"), {})),
    ("empty", lambda L: (_t(L, []), _t(L, []), {})),
    ("scalars_close", lambda L: (1.0, 1.0 + 1e-8, {})),
    ("scalars_far", lambda L: (1.0, 1.1, {})),
    ("scalars_expected_zero", lambda L: (0.5, 0.0, {})),
    ("scalar_types", lambda L: (1, 1.0, {})),
    ("scalar_types_unchecked", lambda L: (1, 1.0, {"check_dtype": False})),
    ("ints", lambda L: (3, 4, {})),
    ("numpy_scalars", lambda L: (np.float32(1.0), np.float32(1.5), {})),
    ("scalar_nan", lambda L: (NAN, NAN, {})),
    ("scalar_nan_equal", lambda L: (NAN, NAN, {"equal_nan": True})),
    ("bools", lambda L: (True, False, {})),
    ("none_mismatch", lambda L: (None, 1.0, {})),
    ("none_both", lambda L: (None, None, {})),
    ("strings", lambda L: ("a", "a", {})),
    ("tensor_vs_number", lambda L: (_t(L, 1.0), 1.0, {})),
    ("tensor_vs_numpy", lambda L: (_t(L, [1.0]), np.array([1.0], np.float32), {})),
    ("numpy_arrays", lambda L: (np.array([1.0, 2.0]), np.array([1.0, 3.0]), {})),
    ("sequence", lambda L: ([_t(L, [1.0]), 2.0, (3, _t(L, [4.0]))], (_t(L, [1.0]), 2.0, [3, _t(L, [4.5])]), {})),
    ("sequence_length", lambda L: ([1.0, 2.0], [1.0], {})),
    ("mapping", lambda L: ({"a": _t(L, [1.0]), "b": {"c": 2}}, collections.OrderedDict(a=_t(L, [1.0]), b={"c": 3}), {})),
    ("mapping_keys", lambda L: ({"a": 1, "b": 2}, {"a": 1, "c": 2}, {})),
    ("msg_string", lambda L: (_t(L, [1.0]), _t(L, [2.0]), {"msg": "custom"})),
    ("msg_callable", lambda L: ([_t(L, [1.0])], [_t(L, [2.0])], {"msg": lambda m: "<<" + m + ">>"})),
    ("parameter_vs_tensor", lambda L: (L.nn.Parameter(_t(L, [1.0])), _t(L, [1.0]), {})),
    ("subclass_refused", lambda L: (L.nn.Parameter(_t(L, [1.0])), _t(L, [1.0]), {"allow_subclasses": False})),
    ("requires_grad", lambda L: (_t(L, [1.0, 2.0], requires_grad=True) * 2, _t(L, [2.0, 4.0]), {})),
    ("large", lambda L: (L.arange(2000, dtype=L.float32).reshape(40, 50),
                         L.arange(2000, dtype=L.float32).reshape(40, 50) * 1.001, {})),
]


def _normalise(message):
    # Class names differ by package layout only: <class 'torch.Tensor'> vs <class 'xptorch._tensor.Tensor'>.
    message = re.sub(r"<class '(x?p?torch)[\w.]*\.(\w+)'>", r"<class '\1.\2'>", message)
    return xp_message(message)


@pytest.mark.parametrize("name,build", CASES, ids=[c[0] for c in CASES])
def test_same_outcome_and_message_as_torch(name, build):
    ta, te, kw = build(torch)
    xa, xe, xkw = build(xptorch)
    try:
        torch.testing.assert_close(ta, te, **kw)
        t_exc = None
    except Exception as exc:  # noqa: BLE001 - any outcome is compared
        t_exc = exc
    if t_exc is None:
        assert_close(xa, xe, **xkw)
        return
    with pytest.raises(Exception) as x_exc:
        assert_close(xa, xe, **xkw)
    assert type(x_exc.value) is type(t_exc), (type(x_exc.value), t_exc)
    assert _normalise(str(x_exc.value)) == _normalise(str(t_exc))


def test_default_tolerances_by_dtype():
    # Just inside and just outside each default, with atol out of the way (values near 1e3).
    for dtype, rtol in (("float32", 1.3e-6), ("float64", 1e-7), ("float16", 1e-3)):
        base = 1024.0
        inside = xptorch.tensor([base * (1 + 0.5 * rtol)], dtype=getattr(xptorch, dtype))
        outside = xptorch.tensor([base * (1 + 4 * rtol)], dtype=getattr(xptorch, dtype))
        exp = xptorch.tensor([base], dtype=getattr(xptorch, dtype))
        assert_close(inside, exp)
        with pytest.raises(AssertionError, match=f"up to {rtol} allowed"):
            assert_close(outside, exp)


def test_nothing_is_modified():
    a = xptorch.tensor([1.0, NAN, 3.0])
    b = a.clone()
    with pytest.raises(AssertionError):
        assert_close(a, xptorch.tensor([1.0, 2.0, 3.0]))
    assert_close(a, b, equal_nan=True)
    assert math.isnan(a[1].item())


def test_devices_compared(simulated_cuda):
    a = xptorch.tensor([1.0, 2.0])
    b = a.to(simulated_cuda)
    with pytest.raises(AssertionError, match=r"The values for attribute 'device' do not match: cpu != cuda:0\."):
        assert_close(a, b)
    assert_close(a, b, check_device=False)
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        assert_close(a, b * xptorch.tensor([1.0, 2.0], device=simulated_cuda), check_device=False)
