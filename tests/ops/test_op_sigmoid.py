"""sigmoid against torch over the whole float32 range: values, gradients, non-finite inputs, layouts."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


def _float32_sweep():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, -1e-45, 88.72, -88.72, 103.98, -103.98,
                        -87.34, -89.5, 16.7, -16.7, 3e38, -3e38], np.float32)
    return np.concatenate([np.linspace(-110, 110, 400_001, dtype=np.float32), bits, special])


def _both(x, g, device="cpu"):
    out = []
    for lib, dev in ((xptorch, device), (torch, "cpu")):
        t = lib.tensor(x, requires_grad=True, device=dev)
        y = lib.sigmoid(t)
        y.backward(lib.tensor(g, device=dev))
        out.append((y.detach().cpu().numpy(), t.grad.cpu().numpy()))
    return out


def _close(a, b, rtol, atol):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b))
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b))
    fin = np.isfinite(b)
    np.testing.assert_allclose(a[fin], b[fin], rtol=rtol, atol=atol)


def test_float32_range_values_and_gradients_match_torch(device):
    x = _float32_sweep()
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    (y, gx), (ty, tgx) = _both(x, g, device)
    assert y.dtype == np.float32 and gx.dtype == np.float32
    _close(y, ty, rtol=1.3e-6, atol=1e-7)
    # 1 - out cancels near out = 1: one ulp of out (6e-8) moves the gradient by up to |g| * 6e-8
    _close(gx, tgx, rtol=1.3e-6, atol=1e-6)
    # Where the result is above 2e-9 (x > -20), the relative error stays within float32's rtol.
    big = np.isfinite(ty) & (ty > 2e-9)
    np.testing.assert_allclose(y[big], ty[big], rtol=1.3e-6, atol=0)
    # exact 0 and 1 in the saturated tails, as torch
    np.testing.assert_array_equal(y[x < -104], 0)
    np.testing.assert_array_equal(y[x > 17], 1)


def test_large_inputs_raise_no_floating_point_warnings(device):
    x = np.array([-1e30, -200, -100, 100, 1e30, np.inf, -np.inf, np.nan], np.float32)
    with np.errstate(all="raise"):
        (y, gx), (ty, tgx) = _both(x, np.ones_like(x), device)
    _close(y, ty, 0, 0)
    _close(gx, tgx, 0, 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_other_dtypes_match_torch(dtype):
    x = np.concatenate([np.linspace(-60, 60, 2001), [np.inf, -np.inf, np.nan]]).astype(dtype)
    g = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    (y, gx), (ty, tgx) = _both(x, g)
    assert y.dtype == dtype
    tol = dict(rtol=1e-12, atol=1e-300) if dtype == np.float64 else dict(rtol=1e-3, atol=1e-5)
    _close(y, ty, **tol)
    _close(gx, tgx, **tol)


def test_non_contiguous_and_broadcast_gradient():
    x = np.random.default_rng(3).standard_normal((6, 5)).astype(np.float32) * 8
    outs = []
    for lib in (xptorch, torch):
        t = lib.tensor(x, requires_grad=True)
        y = lib.sigmoid(t.t())
        (y * 3).sum().backward()  # a broadcast (expanded) gradient reaches sigmoid's backward
        outs.append((y.detach().numpy(), t.grad.numpy(), y.is_contiguous()))
    (y, gx, c), (ty, tgx, tc) = outs
    assert c == tc
    np.testing.assert_allclose(y, ty, rtol=1.3e-6, atol=1e-7)
    np.testing.assert_allclose(gx, tgx, rtol=1.3e-6, atol=1e-7)


def test_second_order_matches_torch():
    x = np.linspace(-8, 8, 17).astype(np.float64)
    outs = []
    for lib in (xptorch, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad(lib.sigmoid(t).sum(), t, create_graph=True)
        (g * g).sum().backward()
        outs.append((g.detach().numpy(), t.grad.numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
