"""Max, average and adaptive average pooling against torch 2.13: values, indices, grad_fn, gradients."""
import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, gradcheck  # noqa: E402

TF = torch.nn.functional


def _same_fn(name, *args, **kw):
    return (lambda x: getattr(TF, name)(x, *args, **kw)), (lambda x: getattr(XF, name)(x, *args, **kw))


MAX = [
    ("max_pool2d", (2, 3, 8, 8), (2,), {}),
    ("max_pool2d", (2, 3, 9, 8), (3, 2, 1), dict(ceil_mode=True)),
    ("max_pool2d", (2, 3, 9, 8), (3, 1, 1), {}),
    ("max_pool2d", (3, 9, 8), ((3, 2), (2, 1), (1, 1)), dict(dilation=(2, 1))),
    ("max_pool2d", (1, 2, 7, 7), (3,), dict(stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("max_pool3d", (2, 2, 5, 6, 7), (2,), dict(ceil_mode=True)),
    ("max_pool3d", (2, 2, 5, 6, 7), ((3, 2, 2), (1, 2, 2), 1), {}),
    ("max_pool3d", (2, 4, 5, 5), (3,), dict(stride=2, padding=1, dilation=(1, 2, 1))),
    ("max_pool1d", (2, 3, 9), (3, 2, 1), dict(ceil_mode=True)),
    ("max_pool1d", (3, 9), (2,), dict(dilation=2)),
    ("max_pool1d", (2, 3, 10), (4,), dict(stride=1, padding=2)),
]


@pytest.mark.parametrize("name,shape,args,kw", MAX, ids=[f"{m[0]}-{m[1]}-{m[2]}-{m[3]}" for m in MAX])
@pytest.mark.parametrize("indices", [False, True])
def test_max_pool_matches_torch(name, shape, args, kw, indices):
    tf, xf = _same_fn(name, *args, return_indices=indices, **kw)
    check_op([shape], tf, xf, dtype="float64")


AVG = [
    ("avg_pool2d", (2, 3, 8, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 9, 8), (3, 2, 1), dict(ceil_mode=True)),
    ("avg_pool2d", (2, 3, 9, 8), (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 3, 9, 8), (3, 2, 1), dict(divisor_override=5)),
    ("avg_pool2d", (2, 3, 9, 8), (3, 2, 1), dict(ceil_mode=True, divisor_override=2)),
    ("avg_pool2d", (3, 9, 8), ((3, 2), 1, (1, 1)), {}),
    ("avg_pool2d", (1, 1, 4, 4), (3, 2, 1), dict(ceil_mode=True)),
    ("avg_pool3d", (2, 2, 5, 6, 7), (2,), dict(ceil_mode=True)),
    ("avg_pool3d", (2, 2, 5, 6, 7), ((3, 2, 2), (1, 2, 2), 1), dict(count_include_pad=False)),
    ("avg_pool3d", (2, 5, 6, 7), (3, 2, 1), dict(divisor_override=3)),
    ("avg_pool1d", (2, 3, 9), (3, 2, 1), dict(ceil_mode=True)),
    ("avg_pool1d", (3, 9), (3, 2, 1), dict(count_include_pad=False)),
    ("avg_pool1d", (2, 3, 9), (4,), {}),
    # Windows that tile the input (stride == kernel, no padding) take the reshape-and-sum path.
    ("avg_pool2d", (2, 3, 7, 9), (2,), {}),
    ("avg_pool2d", (2, 3, 8, 6), ((2, 3),), dict(ceil_mode=True)),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(divisor_override=3)),
    ("avg_pool2d", (3, 6, 6), (3,), dict(count_include_pad=False)),
    ("avg_pool3d", (2, 2, 4, 6, 5), (2,), {}),
    ("avg_pool1d", (2, 3, 10), (5,), {}),
]


@pytest.mark.parametrize("name,shape,args,kw", AVG, ids=[f"{m[0]}-{m[1]}-{m[2]}-{m[3]}" for m in AVG])
def test_avg_pool_matches_torch(name, shape, args, kw):
    tf, xf = _same_fn(name, *args, **kw)
    check_op([shape], tf, xf, dtype="float64")


ADAPTIVE = [
    ("adaptive_avg_pool2d", (2, 3, 9, 7), ((4, 3),)),
    ("adaptive_avg_pool2d", (3, 9, 7), ((None, 3),)),
    ("adaptive_avg_pool2d", (2, 3, 9, 7), (1,)),
    ("adaptive_avg_pool2d", (2, 3, 9, 7), ((1, 1),)),
    ("adaptive_avg_pool2d", (2, 3, 5, 7), ((8, 9),)),
    ("adaptive_avg_pool2d", (2, 3, 6, 6), (3,)),
    ("adaptive_avg_pool3d", (2, 3, 9, 7, 5), ((4, 3, 2),)),
    ("adaptive_avg_pool3d", (3, 4, 5, 6), ((None, 1, 4),)),
    ("adaptive_avg_pool3d", (2, 3, 4, 4, 4), (1,)),
    ("adaptive_avg_pool1d", (2, 3, 9), (4,)),
    ("adaptive_avg_pool1d", (3, 9), (1,)),
]


@pytest.mark.parametrize("name,shape,args", ADAPTIVE, ids=[f"{m[0]}-{m[1]}-{m[2]}" for m in ADAPTIVE])
def test_adaptive_avg_pool_matches_torch(name, shape, args):
    tf, xf = _same_fn(name, *args)
    check_op([shape], tf, xf, dtype="float64")


def test_float32_lenet_pool():
    tf, xf = _same_fn("max_pool2d", 2, 2)
    check_op([(64, 6, 24, 24)], tf, xf, dtype="float32")


def test_max_pool_ties_pick_first_like_torch():
    # After a ReLU most windows hold several zeros: the index (and the gradient) goes to the first.
    a = np.maximum(np.random.default_rng(0).standard_normal((2, 3, 9, 9)), 0)
    a[0, 0, :3, :3] = 1.5
    tf, xf = _same_fn("max_pool2d", 3, 2, 1, return_indices=True, ceil_mode=True)
    check_op([a], tf, xf, dtype="float64")


def test_max_pool_nan_windows_like_torch():
    a = np.random.default_rng(0).standard_normal((1, 2, 6, 6))
    a[0, 0, 0, 1] = a[0, 0, 1, 0] = np.nan
    a[0, 1, 3, 3] = np.nan
    tf, xf = _same_fn("max_pool2d", 2, return_indices=True)
    check_op([a], tf, xf, dtype="float64", grad=False)


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, padding=1, ceil_mode=True)])
def test_max_pool_indices_stay_inside_when_the_max_equals_the_padding(kw):
    a = np.full((1, 2, 5, 5), -np.inf)
    a[0, 0, 2, 3] = 1.0
    tf, xf = _same_fn("max_pool2d", return_indices=True, **kw)
    check_op([a], tf, xf, dtype="float64", grad=False)


def test_overlapping_windows_accumulate_gradient():
    tf, xf = _same_fn("max_pool2d", 3, 1, 1)
    check_op([np.arange(2 * 5 * 5, dtype=np.float64).reshape(1, 2, 5, 5) % 7], tf, xf, dtype="float64")


def test_gradcheck_avg_pool_count_exclude_pad():
    a = np.random.default_rng(3).standard_normal((1, 2, 5, 4))
    gradcheck(lambda x: XF.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [a])


def test_integer_max_pool_like_torch():
    a = np.random.default_rng(0).integers(-50, 50, size=(2, 3, 6, 6))
    tf, xf = _same_fn("max_pool2d", 2, return_indices=True)
    check_op([a], tf, xf, dtype="int64", grad=False)


MODULES = [
    ("MaxPool2d", (2, 2), {}),
    ("MaxPool2d", (2,), dict(return_indices=True, ceil_mode=True)),
    ("MaxPool2d", ((2, 3), (1, 2)), dict(padding=1)),
    ("MaxPool1d", (3,), dict(stride=2, dilation=2)),
    ("MaxPool3d", (2,), {}),
    ("AvgPool2d", (2,), dict(count_include_pad=False, divisor_override=3, ceil_mode=True)),
    ("AvgPool2d", (3, 2, 1), {}),
    ("AvgPool3d", (2,), {}),
    ("AvgPool1d", (2,), dict(ceil_mode=True, count_include_pad=False)),
    ("AvgPool1d", (3, 1, 1), {}),
    ("AdaptiveAvgPool2d", (3,), {}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool2d", ([2, 3],), {}),
    ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveAvgPool3d", ((1, None, 2),), {}),
]

SHAPES = {"1d": (2, 3, 10), "2d": (2, 3, 9, 8), "3d": (2, 2, 5, 6, 7)}


@pytest.mark.parametrize("kind,args,kw", MODULES, ids=[f"{m[0]}-{m[1]}-{m[2]}" for m in MODULES])
def test_module_repr_and_forward(kind, args, kw):
    tm, xm = getattr(torch.nn, kind)(*args, **kw), getattr(nn, kind)(*args, **kw)
    assert repr(xm) == repr(tm)
    check_op([SHAPES[kind[-2:]]], tm, xm, dtype="float64")


def _bad(name, shape, *args, **kw):
    a = np.zeros(shape, np.float32)
    check_error(lambda: getattr(TF, name)(torch.tensor(a), *args, **kw),
                lambda: getattr(XF, name)(xptorch.tensor(a), *args, **kw))


@pytest.mark.parametrize("name,shape,args,kw", [
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=2)),
    ("max_pool2d", (2, 3, 8, 8), (0,), {}),
    ("max_pool2d", (2, 3, 8, 8), (0,), dict(stride=1)),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=-1)),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(dilation=0)),
    ("max_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(stride=(1, 2, 3))),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=(1, 2, 3))),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(dilation=(1, 2, 3))),
    ("max_pool2d", (3, 8), (2,), {}),
    ("max_pool2d", (2, 3, 1, 1), (2,), {}),
    ("max_pool3d", (2, 3, 4, 4, 4), ((2, 2),), {}),
    ("max_pool3d", (2, 3, 4, 4, 4), (0,), dict(stride=1)),
    ("max_pool3d", (2, 3, 4, 4, 4), (2,), dict(dilation=0)),
    ("max_pool3d", (2, 3, 1, 1, 1), (2,), {}),
    ("max_pool3d", (2, 3), (2,), {}),
    ("max_pool1d", (3,), (2,), {}),
    ("max_pool1d", (2, 3, 1), (2,), {}),
    ("max_pool1d", (2, 3, 4), (2,), dict(padding=2)),
    ("max_pool1d", (2, 3, 4), (0,), dict(stride=1)),
    ("max_pool1d", (2, 3, 4), (2,), dict(stride=0)),
    ("max_pool1d", (2, 3, 4), (2,), dict(dilation=0)),
    ("max_pool1d", (2, 3, 4), (2,), dict(padding=-1)),
    ("max_pool1d", (2, 3, 4), ((2, 2),), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(padding=2)),
    ("avg_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(stride=(2, 2, 2))),
    ("avg_pool2d", (2, 3, 8, 8), (0,), dict(stride=1)),
    ("avg_pool2d", (3, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 1, 1), (2,), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(divisor_override=0)),
    ("avg_pool3d", (2, 3, 4, 4, 4), ((2, 2),), {}),
    ("avg_pool3d", (2, 3), (2,), {}),
    ("avg_pool1d", (3,), (2,), {}),
    ("avg_pool1d", (2, 3, 1), (2,), {}),
    ("adaptive_avg_pool2d", (3,), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), (-1,), {}),
    ("adaptive_avg_pool2d", (2, 3, 0, 4), ((2, 2),), {}),
    ("adaptive_avg_pool3d", (3, 4), (2,), {}),
    ("adaptive_avg_pool1d", (3,), (2,), {}),
    ("adaptive_avg_pool1d", (3, 4), ((2, 3),), {}),
])
def test_errors_match_torch(name, shape, args, kw):
    _bad(name, shape, *args, **kw)


def test_module_errors_and_no_grad():
    tm, xm = torch.nn.MaxPool2d(2), nn.MaxPool2d(2)
    check_error(lambda: tm(torch.zeros(3, 8)), lambda: xm(xptorch.zeros(3, 8)))
    x = xptorch.randn(1, 2, 4, 4, requires_grad=True)
    with xptorch.no_grad():
        y = xm(x)
    assert y.grad_fn is None and not y.requires_grad


def test_device_follows_input(device):
    x = xptorch.randn(2, 3, 6, 6, device=device, requires_grad=True)
    y = XF.max_pool2d(x, 2) + XF.avg_pool2d(x, 2) + XF.adaptive_avg_pool2d(x, 3)
    y.sum().backward()
    assert y.device.type == device and x.grad.device.type == device


@pytest.mark.cuda
def test_cupy_matches_numpy():
    a = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    out = {}
    for dev in ("cpu", "cuda"):
        x = xptorch.tensor(a, device=dev, requires_grad=True)
        v, i = XF.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
        y = v.sum() + XF.avg_pool2d(x, 3, 1, 1, count_include_pad=False).sum() + XF.adaptive_avg_pool2d(x, 4).sum()
        y.backward()
        out[dev] = [t.detach().cpu().numpy() for t in (v, i, x.grad)]
    for c, g in zip(out["cpu"], out["cuda"]):
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,kernel", [((2, 3, 8, 9), (2, 3)), ((5, 4, 6), (3, 2)), ((1, 2, 4, 4), 1),
                                          ((2, 1, 10, 10), (5, 5))])
def test_tiled_avg_pool2d_backward_matches_torch(shape, kernel):
    """Windows that tile the input exactly: the gradient is each block's share, filled block by block."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    grads = []
    for lib in (xptorch, torch):
        t = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.avg_pool2d(t, kernel)
        y.backward(lib.tensor(np.arange(y.numel(), dtype=np.float32).reshape(tuple(y.shape))))
        grads.append(t.grad.cpu().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


EMPTY = {1: [(0, 8), (3, 0), (3, 0, 8), (2, 3, 0), (8,)],
         2: [(0, 5, 4), (3, 0, 4), (2, 0, 5, 4), (2, 3, 0, 4), (1, 2, 3, 4, 5)],
         3: [(0, 3, 3, 3), (2, 3, 3, 0), (2, 0, 3, 3, 3), (2, 2, 3, 3, 0)]}


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_empty_non_batch_dims_refused_as_torch(nd):
    # An empty batch pools to an empty result; an empty channel or spatial dim is refused, per op.
    for shape in EMPTY[nd]:
        for name, kw in ((f"max_pool{nd}d", {}), (f"max_pool{nd}d", {"return_indices": True}), (f"avg_pool{nd}d", {})):
            check_error(lambda: getattr(TF, name)(torch.zeros(shape), 2, **kw),
                        lambda: getattr(XF, name)(xptorch.zeros(shape), 2, **kw))
