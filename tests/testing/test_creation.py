"""xptorch.testing.make_tensor: torch's ranges, layouts and errors (values are random, so ranges are checked)."""
import warnings

import numpy as np
import pytest

import xptorch
from oracle import check_error
from xptorch.testing import make_tensor

torch = pytest.importorskip("torch")

RANGES = [("float32", -9, 9), ("float64", -9, 9), ("float16", -9, 9), ("int64", -9, 10), ("int32", -9, 10),
          ("int8", -9, 10), ("uint8", 0, 10), ("bool", 0, 2)]


@pytest.mark.parametrize("name,low,high", RANGES)
def test_default_ranges_match_torch(name, low, high, device):
    x = make_tensor(400, dtype=getattr(xptorch, name), device=device)
    t = torch.testing.make_tensor(400, dtype=getattr(torch, name), device="cpu")
    assert x.dtype == getattr(xptorch, name) and x.shape == (400,) and x.device.type == device
    v, tv = x.cpu().numpy().astype(np.float64), t.numpy().astype(np.float64)
    # Rounding to float16 can reach the upper bound, in torch as here.
    top = high + 1e-9 if name == "float16" else high
    for arr in (v, tv):
        assert arr.min() >= low and arr.max() < top
    if name != "bool":
        # Both spread over most of the range.
        assert v.max() - v.min() > 0.8 * (high - low - 1)
    assert not x.requires_grad


def test_shapes_and_bounds():
    assert make_tensor((2, 3), dtype=xptorch.float32, device="cpu").shape == (2, 3)
    assert make_tensor([2, 3], dtype=xptorch.float32, device="cpu").shape == (2, 3)
    assert make_tensor(dtype=xptorch.float32, device="cpu").shape == ()
    x = make_tensor(1000, dtype=xptorch.float64, device="cpu", low=2.5, high=3.0).numpy()
    assert x.min() >= 2.5 and x.max() < 3.0
    i = make_tensor(1000, dtype=xptorch.int64, device="cpu", low=-2.5, high=1.5).numpy()
    assert set(np.unique(i)) == {-2, -1, 0, 1}  # low and high ceiled, high exclusive
    u = make_tensor(1000, dtype=xptorch.uint8, device="cpu", low=-100, high=3).numpy()
    assert set(np.unique(u)) == {0, 1, 2}  # clamped to what uint8 holds
    wide = make_tensor(100, dtype=xptorch.float16, device="cpu", low=-1e9, high=1e9).numpy()
    assert np.isfinite(wide).all()


def test_noncontiguous_exclude_zero_requires_grad():
    x = make_tensor(3, 4, dtype=xptorch.float32, device="cpu", noncontiguous=True, requires_grad=True)
    t = torch.testing.make_tensor(3, 4, dtype=torch.float32, device="cpu", noncontiguous=True)
    assert x.shape == (3, 4) and not x.is_contiguous() and x.stride() == t.stride() == (8, 2)
    assert x.requires_grad and x.is_leaf == t.is_leaf
    one = make_tensor(1, 1, dtype=xptorch.float32, device="cpu", noncontiguous=True)
    assert one.is_contiguous()  # a single element cannot be made strided
    z = make_tensor(2000, dtype=xptorch.int8, device="cpu", low=-1, high=2, exclude_zero=True).numpy()
    assert 0 not in z and set(np.unique(z)) <= {-1, 1}
    f = make_tensor(2000, dtype=xptorch.float16, device="cpu", low=0, high=1e-6, exclude_zero=True).numpy()
    assert (f != 0).all()


@pytest.mark.parametrize("kwargs", [
    dict(dtype="int64", requires_grad=True),
    dict(dtype="float32", low=3, high=2),
    dict(dtype="int32", low=float("nan"), high=2),
    dict(dtype="uint8", low=-10, high=-1),
    dict(dtype="int8", low=200, high=300),
    dict(dtype="float32", noncontiguous=True, memory_format="channels_last"),
])
def test_errors_match_torch(kwargs):
    def call(lib):
        kw = dict(kwargs, dtype=getattr(lib, kwargs["dtype"]))
        if "memory_format" in kw:
            kw["memory_format"] = "channels_last"
        return lambda: lib.testing.make_tensor(2, 3, device="cpu", **kw)

    check_error(call(torch), call(xptorch))


def test_low_equal_high_warns_like_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_tensor(3, dtype=xptorch.float32, device="cpu", low=1.0, high=1.0)
    assert [w.category for w in caught] == [FutureWarning]
    assert "Use `torch.full(...)` instead." in str(caught[0].message)
