"""ConvTranspose1d/2d/3d and F.conv_transpose*d against torch 2.13: values, every gradient, repr,
output_size, errors; finite differences in float64."""
import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, gradcheck, same_repr, to_numpy  # noqa: E402

TF = torch.nn.functional

# (nd, input shape, weight shape (in, out/groups, *k), kwargs)
CASES = [
    (1, (2, 3, 7), (3, 4, 3), {}),
    (1, (2, 4, 6), (4, 3, 4), dict(stride=3, padding=2, output_padding=1, dilation=2, groups=2)),
    (1, (3, 5), (3, 2, 2), dict(stride=2)),
    (2, (2, 4, 5, 6), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    (2, (2, 4, 5, 6), (4, 2, 3, 3), dict(stride=(2, 3), padding=(1, 2), dilation=2, groups=2,
                                          output_padding=(1, 0))),
    (2, (1, 2, 1, 1), (2, 3, 4, 4), dict(stride=2)),
    (3, (1, 2, 3, 4, 3), (2, 3, 2, 2, 2), dict(stride=2)),
    (3, (2, 4, 2, 3, 2), (4, 1, 3, 2, 2), dict(padding=1, groups=4, dilation=(1, 2, 1))),
]
FN = {1: (TF.conv_transpose1d, XF.conv_transpose1d), 2: (TF.conv_transpose2d, XF.conv_transpose2d),
      3: (TF.conv_transpose3d, XF.conv_transpose3d)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-{c[1]}-{c[3]}")
@pytest.mark.parametrize("bias", [True, False])
def test_functional_matches_torch(case, bias):
    nd, xs, ws, kw = case
    tf, xf = FN[nd]
    oc = ws[1] * kw.get("groups", 1)
    inputs = [xs, ws] + ([(oc,)] if bias else [])
    check_op(inputs, lambda *a: tf(*a, **kw), lambda *a: xf(*a, **kw), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES[1::3], ids=lambda c: f"{c[0]}d")
def test_gradcheck_finite_differences(case):
    nd, xs, ws, kw = case
    rng = np.random.default_rng(1)
    oc = ws[1] * kw.get("groups", 1)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(oc)]
    gradcheck(lambda x, w, b: FN[nd][1](x, w, b, **kw), arrays)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_on_device(nd, device):
    _, xs, ws, kw = [c for c in CASES if c[0] == nd][0]
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(xs).astype("f4"), rng.standard_normal(ws).astype("f4")
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    xx = xptorch.tensor(x, device=device, requires_grad=True)
    xw = xptorch.tensor(w, device=device, requires_grad=True)
    ty, y = FN[nd][0](tx, tw, **kw), FN[nd][1](xx, xw, **kw)
    assert y.device.type == device and y.grad_fn.name() == "ConvolutionBackward0"
    ty.square().sum().backward()
    y.square().sum().backward()
    np.testing.assert_allclose(to_numpy(y), ty.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(xx.grad), tx.grad.cpu().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(to_numpy(xw.grad), tw.grad.cpu().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind, args, kw", [
    ("ConvTranspose1d", (2, 4, 3), {}),
    ("ConvTranspose2d", (2, 4, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose2d", (2, 4, (3, 2)), dict(padding=1, dilation=2, groups=2, bias=False)),
    ("ConvTranspose3d", (3, 6, 2), dict(stride=(1, 2, 2), groups=3)),
    ("ConvTranspose2d", (2, 4, 3), dict(padding_mode="reflect")),
    ("ConvTranspose2d", (3, 4, 3), dict(groups=2)),
])
def test_repr_attributes_and_shapes(kind, args, kw):
    m = same_repr(lambda lib: getattr(lib.nn, kind)(*args, **kw))
    if isinstance(m, Exception):
        return
    t = getattr(torch.nn, kind)(*args, **kw)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [(n, tuple(p.shape))
                                                                      for n, p in t.named_parameters()]
    assert (m.transposed, m.output_padding, m.groups) == (t.transposed, t.output_padding, t.groups)


def test_module_matches_torch_with_its_weights():
    t = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    m.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((2, 4, 5, 5)).astype("f4")
    np.testing.assert_allclose(to_numpy(m(xptorch.tensor(x))), t(torch.tensor(x)).detach().cpu().numpy(), atol=1e-5)


def test_default_init_bound_uses_out_channels_times_kernel():
    xptorch.manual_seed(0)
    m = nn.ConvTranspose2d(3, 8, 3, groups=1)
    bound = 1 / np.sqrt(8 * 9)
    w, b = to_numpy(m.weight), to_numpy(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound and np.abs(b).max() <= bound


@pytest.mark.parametrize("size", [(11, 11), (12, 12), [1, 4, 12, 11], (14, 14), (10, 11), (3,)])
def test_output_size(size):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.ConvTranspose2d(2, 4, 3, stride=2)
        return tuple(m(lib.ones(1, 2, 5, 5), output_size=size).shape)
    same_repr(run)


@pytest.mark.parametrize("xs, ws, kw", [
    ((1, 2, 5, 5), (2, 3, 3, 3), dict(output_padding=1)),
    ((1, 2, 5, 5), (2, 3, 3, 3), dict(output_padding=2, stride=2)),
    ((1, 2, 5, 5), (2, 3, 3, 3), dict(groups=3)),
    ((1, 3, 5, 5), (3, 3, 3, 3), dict(groups=2)),
    ((1, 2, 5, 5), (2, 3, 3, 3), dict(stride=0)),
    ((1, 2, 5, 5), (2, 3, 3, 3), dict(padding=-1)),
    ((1, 2, 5, 5), (3, 3, 3, 3), {}),
    ((5, 5), (2, 3, 3, 3), {}),
    ((1, 2, 2, 2), (2, 3, 1, 1), dict(padding=2)),
])
def test_errors_match_torch(xs, ws, kw):
    check_error(lambda: TF.conv_transpose2d(torch.ones(xs), torch.ones(ws), **kw),
                lambda: XF.conv_transpose2d(xptorch.ones(xs), xptorch.ones(ws), **kw))


def test_error_1d_names_the_op():
    check_error(lambda: TF.conv_transpose1d(torch.ones(1, 2, 5, 5), torch.ones(2, 3, 3)),
                lambda: XF.conv_transpose1d(xptorch.ones(1, 2, 5, 5), xptorch.ones(2, 3, 3)))
    check_error(lambda: TF.conv_transpose3d(torch.ones(1, 2, 3, 3, 3), torch.ones(2, 3, 2, 2, 2), output_padding=1),
                lambda: XF.conv_transpose3d(xptorch.ones(1, 2, 3, 3, 3), xptorch.ones(2, 3, 2, 2, 2),
                                            output_padding=1))
    check_error(lambda: TF.conv_transpose2d(torch.ones(1, 2, 3, 3), torch.ones(2, 3, 2, 2), torch.ones(4)),
                lambda: XF.conv_transpose2d(xptorch.ones(1, 2, 3, 3), xptorch.ones(2, 3, 2, 2), xptorch.ones(4)))
