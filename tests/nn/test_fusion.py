"""nn.utils.fusion (Conv/Linear + eval BatchNorm folded into one layer), nn.utils.memory_format conversions and
the deprecated clip_grad_norm against torch 2.13."""
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import _warning_list, check_error, to_numpy  # noqa: E402
from nn.test_parametrize import close, twin  # noqa: E402


CASES = {
    "conv2d": (lambda lib: lib.nn.Conv2d(2, 3, 3), lambda lib: lib.nn.BatchNorm2d(3), (1, 2, 5, 5), False),
    "conv1d_nobias_noaffine": (lambda lib: lib.nn.Conv1d(2, 3, 2, bias=False),
                               lambda lib: lib.nn.BatchNorm1d(3, affine=False), (2, 2, 6), False),
    "convT2d": (lambda lib: lib.nn.ConvTranspose2d(2, 3, 2), lambda lib: lib.nn.BatchNorm2d(3), (1, 2, 4, 4), True),
    "linear": (lambda lib: lib.nn.Linear(4, 3), lambda lib: lib.nn.BatchNorm1d(3), (5, 4), None),
    "linear_bn1": (lambda lib: lib.nn.Linear(4, 3), lambda lib: lib.nn.BatchNorm1d(1), (5, 4), None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fuse_matches_torch_and_the_unfused_pair(device, case):
    make_layer, make_bn, shape, transpose = CASES[case]
    torch.manual_seed(0)
    t_layer, t_bn = make_layer(torch).eval(), make_bn(torch)
    with torch.no_grad():  # non-trivial running statistics and affine parameters
        t_bn.running_mean.uniform_(-1, 1)
        t_bn.running_var.uniform_(0.5, 2)
        if t_bn.affine:
            t_bn.weight.uniform_(0.5, 1.5)
            t_bn.bias.uniform_(-1, 1)
    t_bn.eval()
    x_layer = twin(t_layer, make_layer(xptorch), device).eval()
    x_bn = twin(t_bn, make_bn(xptorch), device).eval()
    if transpose is None:
        t_f, x_f = torch.nn.utils.fuse_linear_bn_eval(t_layer, t_bn), nn.utils.fuse_linear_bn_eval(x_layer, x_bn)
    else:
        t_f = torch.nn.utils.fuse_conv_bn_eval(t_layer, t_bn, transpose)
        x_f = nn.utils.fuse_conv_bn_eval(x_layer, x_bn, transpose)
    assert type(x_f) is type(x_layer) and x_f is not x_layer and x_f.weight is not x_layer.weight
    assert isinstance(x_f.weight, nn.Parameter) and x_f.weight.is_leaf and x_f.weight.requires_grad
    close(x_f.weight, t_f.weight)
    close(x_f.bias, t_f.bias)
    xin = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x_in = xptorch.tensor(xin, device=device)
    close(x_f(x_in), t_f(torch.tensor(xin)), rtol=1e-4, atol=1e-5)
    if case != "linear_bn1":
        close(x_f(x_in), x_bn(x_layer(x_in)), rtol=1e-4, atol=1e-5)


def test_fuse_errors():
    cases = [
        lambda lib: lib.nn.utils.fuse_conv_bn_eval(lib.nn.Conv2d(1, 2, 1), lib.nn.BatchNorm2d(2).eval()),
        lambda lib: lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(1, 2).eval(), lib.nn.BatchNorm1d(3).eval()),
        lambda lib: lib.nn.utils.fuse_linear_bn_eval(
            lib.nn.Linear(1, 2).eval(), lib.nn.BatchNorm1d(2, track_running_stats=False).eval()),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))


def test_convert_weight_memory_format(device):
    def run(lib, dev):
        m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.Sequential(lib.nn.ConvTranspose2d(4, 2, 2)),
                              lib.nn.Conv3d(2, 2, 1)).to(dev)
        ids = [id(p) for p in m.parameters()]
        lib.nn.utils.convert_conv2d_weight_memory_format(m, lib.channels_last)
        assert [id(p) for p in m.parameters()] == ids
        out = [m[0].weight.stride(), m[1][0].weight.stride(), m[2].weight.stride()]
        lib.nn.utils.convert_conv3d_weight_memory_format(m, lib.channels_last_3d)
        return out + [m[2].weight.stride(), m[0].weight.is_contiguous(memory_format=lib.channels_last)]

    assert run(xptorch, device) == run(torch, "cpu")


def test_clip_grad_norm_deprecated(device):
    def run(lib, dev):
        p = lib.nn.Parameter(lib.ones(3, device=dev))
        p.grad = lib.full((3,), 2.0, device=dev)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            n = lib.nn.utils.clip_grad_norm([p], 1.0)
        return _warning_list(w), float(n), to_numpy(p.grad)

    (xw, xn, xg), (tw, tn, tg) = run(xptorch, device), run(torch, "cpu")
    assert xw == tw and len(xw) == 1
    np.testing.assert_allclose(xn, tn, rtol=1e-6)
    np.testing.assert_allclose(xg, tg, rtol=1e-6)
