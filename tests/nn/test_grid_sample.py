"""F.affine_grid and F.grid_sample against torch 2.13: a spatial transformer's values and gradients."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402


@pytest.mark.parametrize("mode,padding_mode,align_corners", [
    ("bilinear", "zeros", False), ("bilinear", "border", True), ("bicubic", "reflection", False),
    ("nearest", "zeros", True),
])
def test_transformer_matches_torch(mode, padding_mode, align_corners, device):
    # Near-identity transforms put many points on (or next to) pixel centres, where rounding decides
    # which pixels a point falls between.
    theta = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[0.9, 0.2, 0.1], [-0.1, 1.2, -0.3]]])

    def run(lib):
        def fn(x, th):
            grid = lib.nn.functional.affine_grid(th, (2, 3, 5, 4), align_corners=align_corners)
            return lib.nn.functional.grid_sample(x, grid, mode, padding_mode, align_corners)
        return fn

    check(device, [(2, 3, 4, 6), theta], run(torch), run(xptorch), dtype="float64", check_grad_fn=False)


def test_volumetric_transformer_matches_torch(device):
    theta = np.array([[[1.0, 0.1, 0.0, 0.2], [0.0, 0.9, 0.1, 0.0], [0.1, 0.0, 1.1, -0.1]]])

    def run(lib):
        def fn(x, th):
            grid = lib.nn.functional.affine_grid(th, (1, 2, 3, 4, 3), align_corners=False)
            return lib.nn.functional.grid_sample(x, grid, padding_mode="reflection", align_corners=False)
        return fn

    check(device, [(1, 2, 3, 3, 4), theta], run(torch), run(xptorch), dtype="float32", check_grad_fn=False)


def test_second_derivative_as_torch():
    rng = np.random.default_rng(3)
    a, g = rng.standard_normal((1, 2, 4, 4)), rng.uniform(-1.2, 1.2, (1, 3, 3, 2))

    def grads(lib):
        x, grid = lib.tensor(a, requires_grad=True), lib.tensor(g, requires_grad=True)
        y = lib.nn.functional.grid_sample(x, grid, "bicubic", "border", align_corners=False)
        gx, gg = lib.autograd.grad((y ** 2).sum(), (x, grid), create_graph=True)
        return [t.detach().numpy() for t in lib.autograd.grad(gx.sum() + gg.sum(), (x, grid))]

    for ours, theirs in zip(grads(xptorch), grads(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)
