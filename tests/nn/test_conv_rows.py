"""2-D stride-1 convolutions through whole-row columns (conv.py's pad_rows/row_windows path) against
torch and against the plain im2col path: values and all three gradients, non-finite inputs included."""
import numpy as np
import pytest

import xptorch
from xptorch._ops import conv as conv_ops
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (input, weight, kwargs): LeNet's and ResNet's layers in small, odd sizes, dilation, groups, padding.
CASES = [
    ((3, 1, 12, 11), (6, 1, 5, 5), dict(padding=2)),
    ((3, 6, 9, 12), (16, 6, 5, 5), {}),
    ((2, 8, 10, 9), (8, 8, 3, 3), dict(padding=1)),
    ((2, 4, 9, 10), (4, 2, 3, 2), dict(padding=(2, 1), dilation=(1, 2), groups=2)),
    ((2, 3, 7, 9), (5, 3, 2, 4), dict(padding=(0, 3))),
    # 8+ channels on both sides: the weight's gradient from shifted views instead of columns
    ((2, 16, 9, 10), (16, 8, 3, 3), dict(padding=(1, 2), dilation=(1, 2), groups=2)),
    ((3, 9, 6, 7), (10, 9, 2, 3), dict(padding=(1, 0))),
    # 'same' width: the weight's gradient reads the input gradient's padded rows in place (widened_rows),
    # here with no padding rows below the gradient, so the last row runs into pad_rows' zero tail
    ((2, 16, 9, 10), (16, 8, 3, 3), dict(padding=(2, 1), groups=2)),
    ((3, 8, 7, 9), (8, 8, 3, 5), dict(padding=(0, 2), dilation=(2, 1))),
]


def _run(lib, xs, ws, kw, rng_seed=0, x_edit=None):
    rng = np.random.default_rng(rng_seed)
    x = rng.standard_normal(xs)
    if x_edit is not None:
        x_edit(x)
    w = rng.standard_normal(ws)
    b = rng.standard_normal(ws[0])
    tensors = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = (TF.conv2d if lib is torch else XF.conv2d)(*tensors, **kw)
    g = np.random.default_rng(rng_seed + 1).standard_normal(tuple(y.shape))
    y.backward(lib.tensor(g))
    return [y.detach().numpy()] + [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("xs,ws,kw", CASES, ids=[str(c) for c in CASES])
def test_rows_path_matches_torch_and_im2col(xs, ws, kw, monkeypatch):
    n, c, h, w = xs
    pads = kw.get("padding", 0)
    pw = pads[1] if isinstance(pads, tuple) else pads
    dw = kw.get("dilation", (1, 1))[1]
    ow = w + 2 * pw - dw * (ws[3] - 1)
    groups = kw.get("groups", 1)
    assert conv_ops._rows_pay(np, ws[2:], (1, 1), ws[0] // groups, ws[1] * ws[2] * ws[3], ow, w + 2 * pw)
    ours = _run(xptorch, xs, ws, kw)
    for a, b in zip(ours, _run(torch, xs, ws, kw)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    monkeypatch.setattr(conv_ops, "_ROWS", False)
    for a, b in zip(ours, _run(xptorch, xs, ws, kw)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_rows_path_in_chunks_of_one_image(monkeypatch):
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 1)
    xs, ws, kw = CASES[2]
    for a, b in zip(_run(xptorch, xs, ws, kw), _run(torch, xs, ws, kw)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("xs,ws,kw", [((2, 3, 8, 8), (4, 3, 3, 3), {}),
                                      # the weight's gradient from shifted views, gradient rows in place
                                      ((2, 8, 8, 8), (8, 8, 3, 3), dict(padding=1)),
                                      ((2, 8, 8, 8), (8, 8, 3, 3), dict(padding=(2, 1)))])
def test_non_finite_inputs_give_torchs_non_finite_pattern(value, xs, ws, kw):
    """The extra positions of the row columns read neighbouring rows; with an inf there, the weight's
    gradient must not pick up 0 * inf where torch has none."""

    def edit(x):
        x[0, 1, 3, 0] = value  # the first column: what a row's extra positions read
        x[0, 2, 4, -1] = value  # the last column: what they read with padding
        x[1, 2, 7, 7] = value  # the plane's last element

    ours = _run(xptorch, xs, ws, kw, x_edit=edit)
    theirs = _run(torch, xs, ws, kw, x_edit=edit)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
        fin = np.isfinite(b)
        np.testing.assert_allclose(a[fin], b[fin], rtol=1e-10, atol=1e-10)


def test_float32_lenet_layers_match_torch():
    rng = np.random.default_rng(3)
    for xs, ws, pad in (((16, 1, 28, 28), (6, 1, 5, 5), 2), ((16, 6, 14, 14), (16, 6, 5, 5), 0)):
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) * 0.2).astype(np.float32)
        outs = []
        for lib, f in ((xptorch, XF.conv2d), (torch, TF.conv2d)):
            xt = lib.tensor(x, requires_grad=True)
            wt = lib.tensor(w, requires_grad=True)
            y = f(xt, wt, padding=pad)
            y.sigmoid().sum().backward()
            outs.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()])
        for a, b in zip(*outs):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


# Both gradients from the shifted whole-row output gradient (few input channels per group, conv.py's
# _grads_row_shifts): padding on one side only, 'same' with an even kernel, dilation and groups.
SCATTER_CASES = [
    ((3, 1, 12, 11), (6, 1, 5, 5), dict(padding=2)),
    ((3, 6, 9, 12), (16, 6, 5, 5), {}),
    ((2, 4, 9, 10), (8, 2, 3, 2), dict(padding=(2, 1), dilation=(1, 2), groups=2)),
    ((2, 3, 7, 9), (5, 3, 2, 4), dict(padding="same")),
    ((2, 2, 8, 7), (6, 2, 3, 3), dict(padding=(0, 2), dilation=2)),
]


@pytest.mark.parametrize("xs,ws,kw", SCATTER_CASES, ids=[str(c) for c in SCATTER_CASES])
@pytest.mark.parametrize("chunk", [None, 1])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_grads_row_shifts_match_torch_and_gather(xs, ws, kw, chunk, monkeypatch):
    groups = kw.get("groups", 1)
    assert conv_ops._scatter_rows_pay(np, ws[2:], ws[0] // groups, xs[1] // groups)
    if chunk is not None:
        monkeypatch.setattr(conv_ops, "CHUNK_BYTES", chunk)
    calls = []
    shifts = conv_ops._grads_row_shifts
    monkeypatch.setattr(conv_ops, "_grads_row_shifts", lambda *a: calls.append(a[-1]) or shifts(*a))
    ours = _run(xptorch, xs, ws, kw)
    assert calls == [True]
    for a, b in zip(ours, _run(torch, xs, ws, kw)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    monkeypatch.setattr(conv_ops, "_scatter_rows_pay", lambda *a: False)
    plain = _run(xptorch, xs, ws, kw)
    assert calls == [True]
    for a, b in zip(ours[1:3], plain[1:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_grads_row_shifts_float32_batch_matches_torch(monkeypatch):
    """LeNet's conv2 in float32, in chunks of one image and whole."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 6, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((16, 6, 5, 5)) * 0.2).astype(np.float32)
    g = rng.standard_normal((5, 16, 10, 10)).astype(np.float32)
    for chunk in (None, 1):
        if chunk is not None:
            monkeypatch.setattr(conv_ops, "CHUNK_BYTES", chunk)
        grads = []
        for lib, f in ((xptorch, XF.conv2d), (torch, TF.conv2d)):
            xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
            f(xt, wt).backward(lib.tensor(g))
            grads.append((xt.grad.numpy(), wt.grad.numpy()))
        for a, b in zip(*grads):
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("value", [np.inf, np.nan])
@pytest.mark.parametrize("ws,kw", [((6, 3, 3, 3), {}), ((3, 3, 3, 3), dict(padding=1))])
# The forward's product of the inf weight with the zero padding warns (NumPy); only the input's gradient is compared.
@pytest.mark.filterwarnings("ignore:invalid value encountered in matmul:RuntimeWarning")
def test_input_grad_with_non_finite_weight_gives_torchs_pattern(value, ws, kw):
    """The gather's padding and the row scatter's widened positions meet every weight: an inf weight
    must not turn them into 0 * inf where torch has none."""
    xs = (2, 3, 8, 8)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    w[1, 2, 0, 0] = value
    side = 8 + 2 * kw.get("padding", 0) - 2
    g = rng.standard_normal((2, ws[0], side, side))
    grads = []
    for lib, f in ((xptorch, XF.conv2d), (torch, TF.conv2d)):
        xt = lib.tensor(x, requires_grad=True)
        f(xt, lib.tensor(w), **kw).backward(lib.tensor(g))
        grads.append(xt.grad.numpy())
    a, b = grads
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
    fin = np.isfinite(b)
    np.testing.assert_allclose(a[fin], b[fin], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("groups", [1, 2])
def test_bias_in_the_row_product_matches_torch_with_non_finite_bias(groups):
    """The rows path adds a finite bias as a column of the product against a row of ones, a non-finite one
    separately (no floating-point warning)."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 7, 9)).astype(np.float32)
    w = rng.standard_normal((6, 4 // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    b[1], b[4] = np.inf, np.nan
    assert conv_ops._rows_pay(np, (3, 3), (1, 1), 6 // groups, 4 // groups * 9, 9, 11)
    ys = [f(lib.tensor(x), lib.tensor(w), lib.tensor(b), padding=1, groups=groups).numpy()
          for lib, f in ((xptorch, XF.conv2d), (torch, TF.conv2d))]
    np.testing.assert_array_equal(np.isnan(ys[0]), np.isnan(ys[1]))
    np.testing.assert_array_equal(np.isinf(ys[0]), np.isinf(ys[1]))
    fin = np.isfinite(ys[1])
    np.testing.assert_allclose(ys[0][fin], ys[1][fin], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("xs,ws,kw", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("rows", [1, 2])
def test_row_blocks_match_torch_and_whole_rows(xs, ws, kw, rows, monkeypatch):
    """Products over blocks of output rows (the forward and the input gradient's gather), down to one
    row per block, chunks of one image included."""
    ours = _run(xptorch, xs, ws, kw)
    monkeypatch.setattr(conv_ops, "_block_rows", lambda mk, oh, wp: rows if oh % rows == 0 else 1)
    blocked = _run(xptorch, xs, ws, kw)
    for a, b in zip(blocked, _run(torch, xs, ws, kw)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    for a, b in zip(blocked, ours):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 1)
    for a, b in zip(_run(xptorch, xs, ws, kw), ours):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_row_blocks_with_non_finite_input_give_torchs_pattern(value, monkeypatch):
    monkeypatch.setattr(conv_ops, "_block_rows", lambda mk, oh, wp: 2)
    xs, ws, kw = (2, 8, 8, 8), (8, 8, 3, 3), dict(padding=1)

    def edit(x):
        x[0, 1, 3, 0] = value
        x[0, 2, 4, -1] = value
        x[1, 2, 7, 7] = value

    ours = _run(xptorch, xs, ws, kw, x_edit=edit)
    theirs = _run(torch, xs, ws, kw, x_edit=edit)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
        fin = np.isfinite(b)
        np.testing.assert_allclose(a[fin], b[fin], rtol=1e-10, atol=1e-10)


def test_block_rows_keeps_products_within_the_small_kernel_size():
    # ResNet's 16-channel 3x3 layer on 32x32 (rows of 34): 8 rows, 16 * 144 * 272 multiply-adds
    assert conv_ops._block_rows(16 * 144, 32, 34) == 8
    # small enough whole: one block
    assert conv_ops._block_rows(16 * 150, 10, 14) == 10
    # blocks would be narrower than _MIN_BLOCK (32 channels): one block
    assert conv_ops._block_rows(32 * 288, 32, 34) == 32
    for mk, oh, wp in ((16 * 144, 32, 34), (16 * 400, 32, 36), (24 * 216, 32, 34), (64 * 27, 32, 34)):
        r = conv_ops._block_rows(mk, oh, wp)
        assert oh % r == 0 and (r == oh or mk * r * wp <= conv_ops.SMALL_GEMM)


@pytest.mark.parametrize("groups", [1, 2])
def test_row_blocks_with_bias_column_match_torch(groups, monkeypatch):
    """The blocked product carries the bias column too (a row of ones in each block's columns)."""
    monkeypatch.setattr(conv_ops, "_block_rows", lambda mk, oh, wp: 1)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 6, 9))
    w = rng.standard_normal((6, 4 // groups, 3, 3))
    b = rng.standard_normal(6)
    ys = [f(lib.tensor(x), lib.tensor(w), lib.tensor(b), padding=1, groups=groups).numpy()
          for lib, f in ((xptorch, XF.conv2d), (torch, TF.conv2d))]
    np.testing.assert_allclose(ys[0], ys[1], rtol=1e-10, atol=1e-10)
