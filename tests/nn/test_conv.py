"""Conv1d/2d/3d and F.conv*d against torch 2.13: values, grad_fn, every gradient, init, repr, errors."""
import math
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, gradcheck, to_numpy  # noqa: E402

TF = torch.nn.functional

# (nd, input shape, weight shape, kwargs): strides, paddings incl. 'same'/'valid', dilations, groups.
CASES = [
    (1, (2, 3, 11), (4, 3, 3), {}),
    (1, (2, 4, 12), (6, 2, 4), dict(stride=2, padding=2, dilation=2, groups=2)),
    (1, (2, 4, 9), (4, 4, 4), dict(padding="same")),
    (1, (2, 4, 9), (8, 1, 3), dict(stride=3, groups=4)),
    (2, (2, 3, 9, 8), (4, 3, 3, 2), {}),
    (2, (2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
    (2, (2, 4, 9, 8), (6, 2, 4, 2), dict(padding="same", dilation=(2, 3), groups=2)),
    (2, (2, 3, 7, 7), (5, 3, 3, 3), dict(padding="same")),
    (2, (2, 3, 7, 7), (5, 3, 3, 3), dict(padding="valid", stride=2)),
    (2, (1, 2, 6, 6), (2, 2, 1, 1), dict(stride=2)),
    (2, (3, 9, 8), (4, 3, 3, 3), dict(padding=1)),
    (3, (2, 4, 5, 6, 7), (6, 2, 3, 2, 3), dict(stride=(1, 2, 3), padding=1, groups=2)),
    (3, (1, 2, 6, 5, 7), (3, 2, 2, 3, 2), dict(padding="same", dilation=(1, 2, 1))),
    (3, (2, 5, 6, 7), (3, 2, 3, 3, 3), dict(dilation=2)),
    # Stride 1 with padding wider than the kernel's reach: the input gradient takes the scatter path.
    (2, (2, 3, 5, 5), (4, 3, 1, 1), dict(padding=1)),
    (2, (2, 4, 6, 5), (4, 2, 3, 3), dict(padding=(3, 1), groups=2)),
    (1, (2, 3, 8), (4, 3, 3), dict(padding=4, dilation=1)),
]

CONV = {1: (TF.conv1d, XF.conv1d), 2: (TF.conv2d, XF.conv2d), 3: (TF.conv3d, XF.conv3d)}


def _ids(case):
    nd, xs, ws, kw = case
    return f"{nd}d-{xs}-{ws}-{kw}"


def _quiet(fn):
    """fn with warnings ignored: both libraries warn about uneven 'same' padding once per process."""
    def run(*a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*a)
    return run


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_matches_torch(case, bias):
    nd, xs, ws, kw = case
    tf, xf = CONV[nd]
    inputs = [xs, ws] + ([(ws[0],)] if bias else [])
    check_op(inputs, _quiet(lambda *a: tf(*a, **kw)), _quiet(lambda *a: xf(*a, **kw)), dtype="float64")


def test_uneven_same_padding_warns_once(monkeypatch):
    from xptorch._ops import conv as conv_ops

    msg = "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy"
    monkeypatch.setattr(conv_ops, "_SAME_WARNING", [msg + " of the input be created"])
    x, w = xptorch.randn(1, 2, 9), xptorch.randn(3, 2, 4)
    with pytest.warns(UserWarning, match=msg):
        XF.conv1d(x, w, padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        XF.conv1d(x, w, padding="same")
        XF.conv1d(x, xptorch.randn(3, 2, 3), padding="same")


def test_columns_in_chunks_of_one_image(monkeypatch):
    from xptorch._ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 1)
    check_op([(2, 4, 7, 6), (6, 2, 3, 2), (6,)], lambda *a: TF.conv2d(*a, stride=(2, 1), padding=1, groups=2),
             lambda *a: XF.conv2d(*a, stride=(2, 1), padding=1, groups=2), dtype="float64")
    check_op([(3, 4, 7, 6), (6, 4, 3, 3), (6,)], lambda *a: TF.conv2d(*a, padding=1),
             lambda *a: XF.conv2d(*a, padding=1), dtype="float64")


def test_float32_lenet_shapes():
    check_op([(8, 6, 12, 12), (16, 6, 5, 5), (16,)], TF.conv2d, XF.conv2d, dtype="float32",
             rtol=1e-5, atol=1e-5, grad_atol=1e-4)


def test_gradcheck_finite_differences():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((1, 4, 5, 6)), rng.standard_normal((2, 2, 2, 3)), rng.standard_normal(2)
    gradcheck(lambda x, w, b: XF.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2), [x, w, b])


def _load_from_torch(xm, tm):
    xm.load_state_dict({k: xptorch.tensor(v.detach().cpu().numpy().copy()) for k, v in tm.state_dict().items()})


def _compare_module(tm, xm, shape, dtype=np.float64, rtol=1e-10, atol=1e-12, seed=0):
    """Same weights, same input: forward values and grad_fn, then input and parameter gradients."""
    _load_from_torch(xm, tm)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    tx, xx = torch.tensor(a, requires_grad=True), xptorch.tensor(a, requires_grad=True)
    ty, xy = tm(tx), xm(xx)
    assert tuple(xy.shape) == tuple(ty.shape)
    np.testing.assert_allclose(to_numpy(xy), to_numpy(ty), rtol=rtol, atol=atol)
    assert xy.grad_fn.name() == ty.grad_fn.name()
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    ty.backward(torch.tensor(g))
    xy.backward(xptorch.tensor(g))
    np.testing.assert_allclose(to_numpy(xx.grad), to_numpy(tx.grad), rtol=rtol, atol=atol, err_msg="input grad")
    tp = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(to_numpy(p.grad), to_numpy(tp[name].grad), rtol=rtol, atol=atol, err_msg=name)
    return xm


MODULES = [
    (1, dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, groups=2), (2, 4, 10)),
    (2, dict(in_channels=3, out_channels=4, kernel_size=(3, 2), dilation=2, bias=False), (2, 3, 9, 8)),
    (2, dict(in_channels=3, out_channels=4, kernel_size=3, padding="same", padding_mode="reflect"), (2, 3, 6, 7)),
    (2, dict(in_channels=3, out_channels=4, kernel_size=4, padding="same", padding_mode="replicate"), (2, 3, 6, 7)),
    (2, dict(in_channels=3, out_channels=4, kernel_size=3, padding=2, padding_mode="circular"), (2, 3, 6, 7)),
    (1, dict(in_channels=3, out_channels=2, kernel_size=3, padding=2, padding_mode="reflect"), (2, 3, 6)),
    (3, dict(in_channels=2, out_channels=4, kernel_size=(1, 2, 3), padding=(1, 0, 0)), (2, 2, 4, 5, 6)),
    (3, dict(in_channels=2, out_channels=2, kernel_size=2, padding=1, padding_mode="replicate"), (2, 2, 3, 4, 3)),
    (2, dict(in_channels=3, out_channels=4, kernel_size=3), (3, 6, 7)),
]


@pytest.mark.parametrize("nd,kw,shape", MODULES, ids=[str(m[1]) for m in MODULES])
def test_module_matches_torch(nd, kw, shape):
    name = f"Conv{nd}d"
    tm = getattr(torch.nn, name)(**kw).double()
    xm = getattr(nn, name)(**kw).double()
    _compare_module(tm, xm, shape)
    assert repr(xm) == repr(tm)


@pytest.mark.parametrize("kind,args,kw", [
    ("Conv2d", (3, 10, 3), {}),
    ("Conv2d", (3, 10, 3), dict(padding="same", bias=False, padding_mode="reflect")),
    ("Conv2d", (3, 10, (3, 5)), dict(stride=(2, 1), padding=(1, 2), dilation=3, groups=1)),
    ("Conv2d", (4, 8, 3), dict(padding="valid", groups=4)),
    ("Conv1d", (2, 4, 3), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(padding=(1, 0, 0), padding_mode="circular")),
    ("Conv3d", (2, 4, 3), dict(stride=2, dilation=(1, 1, 2))),
])
def test_repr_and_attributes(kind, args, kw):
    tm, xm = getattr(torch.nn, kind)(*args, **kw), getattr(nn, kind)(*args, **kw)
    assert repr(xm) == repr(tm)
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                 "padding_mode", "output_padding", "transposed", "_reversed_padding_repeated_twice"):
        assert getattr(xm, attr) == getattr(tm, attr), attr
    assert [(n, tuple(p.shape)) for n, p in xm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]


@pytest.mark.parametrize("nd,args,kw", [(2, (6, 16, 5), {}), (1, (4, 6, 3), dict(groups=2)),
                                        (3, (2, 3, 2), dict(bias=False))])
def test_default_init_draws_weight_then_bias(nd, args, kw):
    xptorch.manual_seed(7)
    m = getattr(nn, f"Conv{nd}d")(*args, **kw)
    fan_in = (args[0] // kw.get("groups", 1)) * args[2] ** nd
    bound = 1 / math.sqrt(fan_in)
    xptorch.manual_seed(7)
    w = xptorch.empty(tuple(m.weight.shape)).uniform_(-bound, bound)
    assert np.array_equal(m.weight.detach().cpu().numpy(), w.cpu().numpy())
    if m.bias is not None:
        b = xptorch.empty(args[1]).uniform_(-bound, bound)
        assert np.array_equal(m.bias.detach().cpu().numpy(), b.cpu().numpy())
    assert np.abs(m.weight.detach().cpu().numpy()).max() <= bound
    assert m.weight.requires_grad and m.weight.grad_fn is None


@pytest.mark.parametrize("kw", [
    dict(groups=0), dict(groups=-1), dict(groups=2), dict(in_channels=4, groups=3),
    dict(in_channels=4, out_channels=3, groups=2), dict(stride=2, padding="same"),
])
def test_constructor_errors(kw):
    args = dict(in_channels=3, out_channels=4, kernel_size=3)
    args.update(kw)
    check_error(lambda: torch.nn.Conv2d(**args), lambda: nn.Conv2d(**args))


@pytest.mark.parametrize("kw,options", [
    (dict(padding="foo"), ("valid", "same")),
    (dict(padding_mode="foo"), ("reflect", "replicate", "zeros", "circular")),
])
def test_constructor_errors_naming_a_set(kw, options):
    # Python prints sets in hash order, so torch's own wording varies between runs; compare the members.
    with pytest.raises(ValueError) as t_exc:
        torch.nn.Conv2d(3, 4, 3, **kw)
    with pytest.raises(ValueError) as x_exc:
        nn.Conv2d(3, 4, 3, **kw)
    t_msg, x_msg = str(t_exc.value), str(x_exc.value)
    head, tail = t_msg.split("{")[0], t_msg.split("}")[1]
    assert x_msg.startswith(head) and x_msg.endswith(tail)
    assert sorted(x_msg.split("{")[1].split("}")[0].split(", ")) == sorted(repr(o) for o in options)


def _err(xs, ws, bs=None, x_dtype=np.float32, w_dtype=np.float32, fn="conv2d", **kw):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs).astype(x_dtype), rng.standard_normal(ws).astype(w_dtype)
    b = rng.standard_normal(bs).astype(w_dtype) if bs is not None else None
    tf, xf = getattr(TF, fn), getattr(XF, fn)
    tb = torch.tensor(b) if b is not None else None
    xb = xptorch.tensor(b) if b is not None else None
    check_error(lambda: tf(torch.tensor(x), torch.tensor(w), tb, **kw),
                lambda: xf(xptorch.tensor(x), xptorch.tensor(w), xb, **kw))


@pytest.mark.parametrize("args,kw", [
    (((3, 8), (4, 3, 3, 3)), {}),
    (((1, 2, 3, 8, 8), (4, 3, 3, 3)), {}),
    (((2, 5, 8, 8), (4, 3, 3, 3)), {}),
    (((5, 8, 8), (4, 3, 3, 3)), {}),
    (((2, 3, 2, 2), (4, 3, 3, 3)), {}),
    (((2, 3, 8, 8), (4, 3, 5, 5)), dict(dilation=2)),
    (((2, 3, 8, 8), (4, 2, 3, 3)), dict(groups=2)),
    (((2, 4, 8, 8), (3, 2, 3, 3)), dict(groups=2)),
    (((2, 3, 8, 8), (4, 3, 3, 3), (3,)), {}),
    (((2, 3, 8, 8), (4, 3, 3, 3)), dict(stride=0)),
    (((2, 3, 8, 8), (4, 3, 3, 3)), dict(padding=-1)),
    (((2, 3, 8, 8), (4, 3, 3, 3)), dict(dilation=0)),
    (((2, 3, 8, 8), (4, 3, 3, 3)), dict(groups=0)),
    (((2, 3, 8, 8), (4, 3, 3, 3)), dict(stride=(1, 1, 1))),
    (((2, 3, 8, 8), (4, 3, 3, 3)), dict(stride=2, padding="same")),
    (((2, 3, 8, 8), (4, 3, 3, 3)), dict(padding="foo")),
    (((2, 3, 8), (4, 3, 3)), dict(fn="conv1d", padding=(1, 1))),
    (((3,), (4, 3, 3)), dict(fn="conv1d")),
    (((2, 3, 4, 4, 4), (4, 3, 5, 3, 3)), dict(fn="conv3d")),
])
def test_functional_errors(args, kw):
    _err(*args, **kw)


def test_dtype_mismatch_errors():
    _err((2, 3, 8, 8), (4, 3, 3, 3), w_dtype=np.float64)
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 8, 8)).astype(np.float32), rng.standard_normal((4, 3, 3, 3)).astype(
        np.float32), rng.standard_normal(4)
    check_error(lambda: TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b)),
                lambda: XF.conv2d(xptorch.tensor(x), xptorch.tensor(w), xptorch.tensor(b)))


def test_module_input_errors_match_torch():
    tm, xm = torch.nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3)
    for shape in ((3, 8), (2, 5, 8, 8), (5, 8, 8)):
        a = np.zeros(shape, np.float32)
        check_error(lambda: tm(torch.tensor(a)), lambda: xm(xptorch.tensor(a)))


def test_no_grad_and_version_check():
    x = xptorch.randn(1, 2, 5, 5, requires_grad=True)
    w = xptorch.randn(3, 2, 3, 3, requires_grad=True)
    with xptorch.no_grad():
        y = XF.conv2d(x, w)
    assert y.grad_fn is None and not y.requires_grad
    h = x * 1
    y = XF.conv2d(h, w)
    with xptorch.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_device_follows_input(device):
    x = xptorch.randn(2, 3, 6, 6, device=device, requires_grad=True)
    m = nn.Conv2d(3, 4, 3).to(device)
    y = m(x)
    assert y.device.type == device and y.grad_fn.name() == "ConvolutionBackward0"
    y.sum().backward()
    assert x.grad.device.type == device and m.weight.grad.device.type == device


def test_device_mismatch_raises(simulated_cuda):
    x = xptorch.randn(1, 3, 6, 6, device="cuda")
    with pytest.raises(RuntimeError, match="same device"):
        XF.conv2d(x, xptorch.randn(4, 3, 3, 3))


# ---- the seed notebooks' networks -----------------------------------------------------------------


def _lenet(mod):
    class LeNet(mod.Module):
        def __init__(self):
            super().__init__()
            self.conv = mod.Sequential(
                mod.Conv2d(1, 6, 5), mod.Sigmoid(), mod.MaxPool2d(2, 2),
                mod.Conv2d(6, 16, 5), mod.Sigmoid(), mod.MaxPool2d(2, 2))
            self.fc = mod.Sequential(
                mod.Linear(16 * 4 * 4, 120), mod.Sigmoid(), mod.Linear(120, 84), mod.Sigmoid(), mod.Linear(84, 10))

        def forward(self, img):
            feature = self.conv(img)
            return self.fc(feature.view(img.shape[0], -1))

    return LeNet()


def test_seed_lenet_parameters_forward_backward():
    tnet, xnet = _lenet(torch.nn), _lenet(nn)
    assert [(n, tuple(p.size())) for n, p in xnet.named_parameters()] == \
        [(n, tuple(p.size())) for n, p in tnet.named_parameters()]
    assert [n for n, _ in xnet.named_parameters()][0] == "conv.0.weight"
    assert repr(xnet) == repr(tnet)
    _compare_module(tnet, xnet, (64, 1, 28, 28), dtype=np.float32, rtol=1e-4, atol=1e-6)


def _network(mod, init_mod):
    class Network(mod.Module):
        def __init__(self):
            super().__init__()
            self.Conv2d = mod.Conv2d(3, 10, 3)
            self.bn = mod.BatchNorm2d(10)
            self.relu = mod.ReLU()
            self._init_weight()

        def forward(self, x):
            return self.relu(self.bn(self.Conv2d(x)))

        def _init_weight(self):
            for m in self.modules():
                if isinstance(m, mod.Conv2d):
                    init_mod.kaiming_normal_(m.weight)
                elif isinstance(m, mod.BatchNorm2d):
                    m.weight.data.fill_(1)
                    m.bias.data.zero_()

    return Network()


def test_seed_network_conv_bn_relu():
    from xptorch.nn import init

    if not hasattr(init, "kaiming_normal_"):
        pytest.skip("nn.init.kaiming_normal_ is not available yet")
    tnet, xnet = _network(torch.nn, torch.nn.init), _network(nn, init)
    assert list(xnet.state_dict()) == list(tnet.state_dict())
    w = xnet.Conv2d.weight.detach().cpu().numpy()
    # kaiming_normal_: std sqrt(2 / fan_in), fan_in = 3 * 3 * 3; 270 draws land well within 25%.
    assert abs(w.std() / math.sqrt(2 / 27) - 1) < 0.25
    _compare_module(tnet, xnet, (4, 3, 8, 8), dtype=np.float32, rtol=1e-4, atol=1e-5)
    assert xnet.bn.num_batches_tracked.item() == 1


@pytest.mark.cuda
def test_cupy_matches_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3, 2)).astype(np.float32)
    out = {}
    for dev in ("cpu", "cuda"):
        x, k = xptorch.tensor(a, device=dev, requires_grad=True), xptorch.tensor(w, device=dev, requires_grad=True)
        y = XF.conv2d(x, k, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
        y.sum().backward()
        out[dev] = [to_numpy(t) for t in (y, x.grad, k.grad)]
    for c, g in zip(out["cpu"], out["cuda"]):
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-5)


def test_scratch_columns_do_not_leak_between_calls():
    """Frozen weights and no-grad forwards use reusable column buffers: results must stay independent."""
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 3, 6, 6)) for _ in range(2)]
    w1, w2 = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((5, 4, 3, 3))
    ours, theirs = [], []
    for x in xs:
        xx = xptorch.tensor(x, requires_grad=True)
        yx = XF.conv2d(XF.conv2d(xx, xptorch.tensor(w1), padding=1), xptorch.tensor(w2), padding=1)
        tx = torch.tensor(x, requires_grad=True)
        yt = TF.conv2d(TF.conv2d(tx, torch.tensor(w1), padding=1), torch.tensor(w2), padding=1)
        ours.append((xx, yx))
        theirs.append((tx, yt))
    with xptorch.no_grad():
        nx = [XF.conv2d(xptorch.tensor(x), xptorch.tensor(w1)) for x in xs]
    for (xx, yx), (tx, yt) in zip(ours, theirs):
        yx.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(yx.detach().cpu().numpy(), yt.detach().cpu().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(xx.grad.cpu().numpy(), tx.grad.cpu().numpy(), rtol=1e-10, atol=1e-10)
    for a, x in zip(nx, xs):
        np.testing.assert_allclose(a.cpu().numpy(), TF.conv2d(torch.tensor(x), torch.tensor(w1)).cpu().numpy(), rtol=1e-10)
