"""The model zoo's activations, GroupNorm, InstanceNorm, channel dropout, Upsample and padding layers
against torch 2.13: values, gradients, grad_fn names, reprs and errors, on cpu and cuda."""
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, gradcheck, on_cpu_terms, same_repr, to_numpy  # noqa: E402

TF = torch.nn.functional

POINTWISE = [
    ("silu", {}), ("elu", {}), ("elu", dict(alpha=0.3)), ("selu", {}), ("celu", {}), ("celu", dict(alpha=2.0)),
    ("softplus", {}), ("softplus", dict(beta=2, threshold=3)), ("hardtanh", {}),
    ("hardtanh", dict(min_val=-2.0, max_val=0.5)), ("relu6", {}), ("mish", {}), ("hardswish", {}),
    ("hardsigmoid", {}), ("logsigmoid", {}), ("softshrink", {}), ("hardshrink", dict(lambd=1.0)),
    ("softsign", {}), ("tanhshrink", {}), ("threshold", dict(threshold=0.5, value=-2.0)),
]


@pytest.mark.parametrize("name, kw", POINTWISE, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pointwise_matches_torch(name, kw, dtype):
    # Wide range: the exponentials' overflowing branches must stay silent and exact.
    check_op([(3, 4, 5)], lambda x: getattr(TF, name)(x, **kw), lambda x: getattr(XF, name)(x, **kw),
             dtype=dtype, low=-60, high=60)
    check_op([(3, 4)], lambda x: getattr(TF, name)(x, **kw), lambda x: getattr(XF, name)(x, **kw), dtype=dtype)
    check_op([()], lambda x: getattr(TF, name)(x, **kw), lambda x: getattr(XF, name)(x, **kw), dtype=dtype)


@pytest.mark.parametrize("name", ["silu", "elu", "selu", "celu", "softplus", "mish", "logsigmoid", "hardswish"])
def test_pointwise_finite_differences(name):
    arr = np.random.default_rng(0).uniform(-4, 4, size=(7,))
    arr[np.abs(arr + 3) < 0.05] += 0.2
    gradcheck(getattr(XF, name), [arr])


@pytest.mark.parametrize("name, kw", [("silu", {}), ("elu", {}), ("hardtanh", {}), ("relu6", {}), ("mish", {}),
                                      ("hardswish", {}), ("selu", {}), ("threshold", dict(threshold=0.1, value=3.0))])
def test_inplace_variants_change_the_input_and_keep_gradients(name, kw):
    a = np.random.default_rng(1).standard_normal((4, 3)).astype("float32")
    t = torch.tensor(a, requires_grad=True)
    x = xptorch.tensor(a, requires_grad=True)
    ty, xy = t * 1, x * 1
    getattr(TF, name)(ty, inplace=True, **kw)
    getattr(XF, name)(xy, inplace=True, **kw)
    np.testing.assert_allclose(to_numpy(xy), ty.detach().cpu().numpy(), rtol=1e-6, atol=1e-6)
    ty.sum().backward()
    xy.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), t.grad.cpu().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("xs, ws", [((3, 4, 5), (4,)), ((3, 4, 5), (1,)), ((5,), (1,)), ((2, 3, 4, 4), (3,)),
                                    ((3, 4), (4,)), ((3, 4, 5), (3,)), ((3, 4), (2, 2))])
def test_prelu_matches_torch(xs, ws):
    check_op([xs, ws], TF.prelu, XF.prelu)


def test_glu_softmin_match_torch():
    check_op([(3, 4, 6)], lambda x: TF.glu(x, -1), lambda x: XF.glu(x, -1), check_grad_fn=False)
    check_op([(4, 6)], lambda x: TF.glu(x, 0), lambda x: XF.glu(x, 0), check_grad_fn=False)
    check_op([(3, 5)], lambda x: TF.glu(x), lambda x: XF.glu(x))
    check_op([(3, 5)], lambda x: TF.softmin(x, 1), lambda x: XF.softmin(x, 1), check_grad_fn=False)


MODULES = [
    ("SiLU", (), {}), ("SiLU", (), dict(inplace=True)), ("ELU", (), dict(alpha=2.0, inplace=True)), ("SELU", (), {}),
    ("CELU", (), {}), ("PReLU", (), {}), ("PReLU", (3,), dict(init=0.1)), ("Softplus", (), dict(beta=2, threshold=10)),
    ("Hardtanh", (-2, 3), dict(inplace=True)), ("ReLU6", (True,), {}), ("Mish", (), {}), ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}), ("LogSigmoid", (), {}), ("Softsign", (), {}), ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20), {}), ("GLU", (), {}), ("Softmin", (1,), {}), ("Softshrink", (), {}),
    ("Hardshrink", (0.3,), {}), ("GroupNorm", (2, 4), {}), ("GroupNorm", (1, 3), dict(affine=False)),
    ("InstanceNorm1d", (3,), dict(affine=True)), ("InstanceNorm2d", (3,), {}),
    ("InstanceNorm3d", (3,), dict(track_running_stats=True)), ("Dropout1d", (), {}), ("Dropout2d", (0.3,), {}),
    ("Dropout3d", (), dict(inplace=True)), ("Upsample", (), dict(scale_factor=2)),
    ("Upsample", (), dict(size=(4, 5), mode="bilinear")),
    ("Upsample", (), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ("UpsamplingNearest2d", (), dict(scale_factor=2)), ("UpsamplingBilinear2d", (), dict(size=3)),
    ("ZeroPad2d", (2,), {}), ("ZeroPad2d", ((1, 2, 3, 4),), {}), ("ConstantPad1d", (2, 3.5), {}),
    ("ReflectionPad2d", (1,), {}), ("ReplicationPad1d", ((1, 2),), {}), ("ZeroPad1d", (1,), {}),
    ("CircularPad2d", (1,), {}), ("ConstantPad3d", (1, 0.5), {}), ("ReplicationPad3d", (1,), {}),
    ("GroupNorm", (2, 5), {}), ("Hardtanh", (2, 1), {}),
    ("LazyInstanceNorm2d", (), {}), ("LazyInstanceNorm1d", (), dict(affine=False)),
]


@pytest.mark.parametrize("name, args, kw", MODULES, ids=lambda v: str(v))
def test_module_repr_and_parameters(name, args, kw):
    m = same_repr(lambda lib: getattr(lib.nn, name)(*args, **kw))
    if isinstance(m, Exception):
        return
    t = getattr(torch.nn, name)(*args, **kw)
    if not name.startswith("Lazy"):
        assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [(n, tuple(p.shape))
                                                                          for n, p in t.named_parameters()]
    assert on_cpu_terms(repr(m.state_dict())) == repr(t.state_dict()).replace("torch", "xptorch")


SHAPED = [
    ("SiLU", (), {}, (2, 3)), ("PReLU", (3,), {}, (2, 3, 4)), ("ELU", (), {}, (2, 3)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)), ("GroupNorm", (3, 6), {}, (2, 6, 3, 3)), ("GroupNorm", (1, 2), {}, (4, 2)),
    ("InstanceNorm1d", (3,), dict(affine=True), (2, 3, 5)), ("InstanceNorm1d", (3,), {}, (3, 5)),
    ("InstanceNorm2d", (3,), dict(track_running_stats=True), (2, 3, 4, 4)),
    ("InstanceNorm3d", (2,), dict(affine=True, track_running_stats=True), (2, 2, 3, 3, 2)),
    ("Upsample", (), dict(scale_factor=2), (1, 2, 3, 4)), ("Upsample", (), dict(size=5, mode="linear"), (2, 2, 3)),
    ("Upsample", (), dict(scale_factor=1.5, mode="bilinear"), (1, 2, 4, 3)),
    ("Upsample", (), dict(size=(4, 5, 2), mode="trilinear", align_corners=True), (1, 1, 2, 3, 3)),
    ("Upsample", (), dict(scale_factor=(2, 3), mode="nearest-exact"), (1, 1, 3, 2)),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2), (1, 2, 3, 3)),
    ("Upsample", (), dict(scale_factor=1.7, mode="bicubic"), (1, 2, 5, 6)),
    ("Upsample", (), dict(size=(7, 3), mode="bicubic", align_corners=True), (2, 1, 4, 5)),
    ("Upsample", (), dict(size=(3, 2), mode="area"), (1, 2, 7, 5)), ("Upsample", (), dict(size=3, mode="area"), (2, 2, 7)),
    ("ZeroPad2d", ((1, 2, 0, 1),), {}, (2, 3, 4, 5)), ("ReflectionPad1d", (2,), {}, (2, 3, 5)),
    ("ConstantPad2d", (1, -1.5), {}, (1, 2, 3, 3)), ("ReplicationPad2d", ((1, 0, 2, 1),), {}, (1, 2, 3, 3)),
]


@pytest.mark.parametrize("name, args, kw, shape", SHAPED, ids=lambda v: str(v))
def test_module_values_and_gradients(name, args, kw, shape, device):
    t = getattr(torch.nn, name)(*args, **kw)
    m = getattr(nn, name)(*args, **kw)
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(-1, 2)
    m.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in t.state_dict().items()})
    m.to(device)
    a = np.random.default_rng(3).standard_normal(shape).astype("float32")
    tx, xx = torch.tensor(a, requires_grad=True), xptorch.tensor(a, device=device, requires_grad=True)
    for _ in range(2):  # twice: running statistics update
        ty, y = t(tx), m(xx)
    assert y.device.type == device
    np.testing.assert_allclose(to_numpy(y), ty.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)
    g = np.random.default_rng(4).standard_normal(tuple(ty.shape)).astype("float32")
    ty.backward(torch.tensor(g))
    y.backward(xptorch.tensor(g, device=device))
    np.testing.assert_allclose(to_numpy(xx.grad), tx.grad.cpu().numpy(), rtol=1e-4, atol=1e-5)
    for (n, p), (_, q) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), q.grad.cpu().numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
    for (n, b), (_, c) in zip(m.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(to_numpy(b), c.cpu().numpy(), rtol=1e-5, atol=1e-6, err_msg=n)
    t.eval()
    m.eval()
    np.testing.assert_allclose(to_numpy(m(xx)), t(tx).detach().cpu().numpy(), rtol=1e-5, atol=1e-5)


def test_group_norm_functional_matches_torch():
    check_op([(3, 4, 5), (4,), (4,)], lambda x, w, b: TF.group_norm(x, 2, w, b),
             lambda x, w, b: XF.group_norm(x, 2, w, b), check_grad_fn=False)
    check_op([(2, 6, 2, 3)], lambda x: TF.group_norm(x, 3, eps=1e-3), lambda x: XF.group_norm(x, 3, eps=1e-3),
             check_grad_fn=False)
    check_op([(3, 4, 5)], lambda x: TF.instance_norm(x), lambda x: XF.instance_norm(x), check_grad_fn=False)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 5, 3), 2),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 4, 3), 2, lib.ones(3)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(1, 2)),
    lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 5)),
    lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(lib.ones(2, 4, 5)),
    lambda lib: lib.nn.functional.dropout1d(lib.ones(2, 3, 4, 5)),
    lambda lib: lib.nn.functional.dropout2d(lib.ones(2, 3, 4, 5), p=1.5),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), scale_factor=2, mode="bilinear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), mode="linear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), size=3, scale_factor=2),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), size=3, mode="nearest", align_corners=True),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4, 4), size=(3,), mode="nearest"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), size=3, mode="foo"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), size=3, mode="bicubic"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 1, 4), size=3, mode="area", align_corners=False),
    lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(4)),
    lambda lib: lib.nn.functional.glu(lib.ones(3, 5)),
    lambda lib: lib.nn.functional.softshrink(lib.ones(3), -1.0),
    lambda lib: lib.nn.functional.softshrink(lib.ones(3, dtype=lib.float64), -0.5),
])
def test_errors_match_torch(call):
    check_error(lambda: call(torch), lambda: call(xptorch))


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 4, 5)),
    lambda lib: lib.nn.functional.dropout2d(lib.ones(2, 3, 4)),
    lambda lib: lib.nn.functional.dropout2d(lib.ones(2, 3, 4, 5, 6)),
    lambda lib: lib.nn.functional.dropout3d(lib.ones(2, 3, 4)),
])
def test_warnings_match_torch(call):
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        call(torch)
    with warnings.catch_warnings(record=True) as xw:
        warnings.simplefilter("always")
        call(xptorch)
    assert [(w.category, str(w.message)) for w in xw] == [(w.category, str(w.message)) for w in tw]
    assert tw


@pytest.mark.parametrize("fn, shape, unit", [
    (XF.dropout1d, (8, 6, 5), (2,)), (XF.dropout1d, (6, 5), (1,)), (XF.dropout2d, (8, 6, 3, 3), (2, 3)),
    (XF.dropout3d, (4, 6, 2, 2, 2), (2, 3, 4)), (XF.dropout3d, (6, 2, 2, 2), (1, 2, 3)),
])
def test_channel_dropout_zeroes_whole_channels(fn, shape, unit, device):
    xptorch.manual_seed(0)
    x = xptorch.ones(shape, device=device, requires_grad=True)
    y = fn(x, 0.5, True)
    a = to_numpy(y)
    per_channel = a.min(axis=unit) == a.max(axis=unit)
    assert per_channel.all() and set(np.unique(a)) <= {0.0, 2.0} and 0 < (a == 0).mean() < 1
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), a)
    np.testing.assert_array_equal(to_numpy(fn(x, 0.5, False)), np.ones(shape))


def test_lazy_instance_norm_materialises_like_torch():
    # As in torch, the first input's dim 1 is num_features, so an unbatched first input is refused.
    check_error(lambda: torch.nn.LazyInstanceNorm1d()(torch.ones(3, 5)),
                lambda: nn.LazyInstanceNorm1d()(xptorch.ones(3, 5)))
    shape = (2, 3, 5)
    t, m = torch.nn.LazyInstanceNorm1d(), nn.LazyInstanceNorm1d()
    a = np.random.default_rng(5).standard_normal(shape).astype("float32")
    np.testing.assert_allclose(to_numpy(m(xptorch.tensor(a))), t(torch.tensor(a)).detach().cpu().numpy(), atol=1e-5)
    assert repr(m) == repr(t) and type(m) is nn.InstanceNorm1d
    for (n, b), (_, c) in zip(m.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(to_numpy(b), c.cpu().numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


# ---- distances, RMSNorm, pixel shuffle, Softmax2d --------------------------------------------------
@pytest.mark.parametrize("inputs, tf, xf", [
    ([(3, 4, 5)], lambda x: TF.normalize(x), lambda x: XF.normalize(x)),
    ([(3, 4, 5)], lambda x: TF.normalize(x, 1.0, 2), lambda x: XF.normalize(x, 1.0, 2)),
    ([(3, 4, 5), (3, 4, 5)], TF.cosine_similarity, XF.cosine_similarity),
    ([(3, 4, 5), (1, 4, 5)], lambda a, b: TF.cosine_similarity(a, b, -1), lambda a, b: XF.cosine_similarity(a, b, -1)),
    ([(3, 5), (3, 5)], TF.pairwise_distance, XF.pairwise_distance),
    ([(3, 5), (3, 5)], lambda a, b: TF.pairwise_distance(a, b, 1.0, keepdim=True),
     lambda a, b: XF.pairwise_distance(a, b, 1.0, keepdim=True)),
    ([(3, 4, 5)], lambda x: TF.rms_norm(x, (5,)), lambda x: XF.rms_norm(x, (5,))),
    ([(3, 4, 5), (4, 5)], lambda x, w: TF.rms_norm(x, (4, 5), w, 1e-5), lambda x, w: XF.rms_norm(x, (4, 5), w, 1e-5)),
    ([(2, 8, 3, 2)], lambda x: TF.pixel_shuffle(x, 2), lambda x: XF.pixel_shuffle(x, 2)),
    ([(9, 3, 2)], lambda x: TF.pixel_shuffle(x, 3), lambda x: XF.pixel_shuffle(x, 3)),
    ([(2, 3, 4, 6)], lambda x: TF.pixel_unshuffle(x, 2), lambda x: XF.pixel_unshuffle(x, 2)),
], ids=lambda v: "" if callable(v) else str(v))
def test_distance_norm_shuffle_match_torch(inputs, tf, xf):
    check_op(inputs, tf, xf, check_grad_fn=False)
    check_op(inputs, tf, xf, dtype="float64", check_grad_fn=False)


@pytest.mark.parametrize("name, args, shapes", [
    ("RMSNorm", (4,), [(2, 3, 4)]), ("RMSNorm", ([3, 4],), [(2, 3, 4)]), ("PixelShuffle", (2,), [(1, 8, 2, 3)]),
    ("PixelUnshuffle", (2,), [(1, 2, 4, 6)]), ("Softmax2d", (), [(2, 3, 4, 4)]), ("CosineSimilarity", (), [(2, 3), (2, 3)]),
    ("PairwiseDistance", (), [(2, 3), (2, 3)]),
])
def test_more_modules_match_torch(name, args, shapes, device):
    m = same_repr(lambda lib: getattr(lib.nn, name)(*args))
    t = getattr(torch.nn, name)(*args)
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 2)
    m.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in t.state_dict().items()})
    m.to(device)
    arrs = [np.random.default_rng(6).standard_normal(s).astype("float32") for s in shapes]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    xs = [xptorch.tensor(a, device=device, requires_grad=True) for a in arrs]
    ty, y = t(*ts), m(*xs)
    np.testing.assert_allclose(to_numpy(y), ty.detach().cpu().numpy(), rtol=1e-5, atol=1e-6)
    ty.sum().backward()
    y.sum().backward()
    for a, b in zip(xs, ts):
        np.testing.assert_allclose(to_numpy(a.grad), b.grad.cpu().numpy(), rtol=1e-4, atol=1e-6)
    for p, q in zip(m.parameters(), t.parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), q.grad.cpu().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 7, 2, 2), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 2, 3, 2), 2),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(8, 2), 2),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (3,)),
    lambda lib: lib.nn.Softmax2d()(lib.ones(3, 4)),
    lambda lib: lib.nn.RMSNorm(3, eps=1e-5, elementwise_affine=False),
])
def test_more_errors_and_reprs(call):
    same_repr(call)
