"""Sequential runs an adjacent Linear then ReLU as one fused op: same values, same gradients."""
import numpy as np
import pytest

import xptorch
from xptorch import nn


def _unfused(net, x):
    for m in net:
        x = m(x)
    return x


@pytest.mark.parametrize("bias", [True, False])
def test_fused_matches_unfused_values_and_gradients(device, bias):
    xptorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 7, bias=bias), nn.ReLU(), nn.Linear(7, 3), nn.ReLU(inplace=True)).to(device)
    x = xptorch.randn(4, 5, device=device, requires_grad=True)
    fused = net(x)
    assert fused.grad_fn.name() == "ReluBackward0"
    fused.sum().backward()
    grads = [p.grad.cpu().numpy().copy() for p in net.parameters()] + [x.grad.cpu().numpy().copy()]
    net.zero_grad()
    x.grad = None
    ref = _unfused(net, x)
    np.testing.assert_array_equal(fused.detach().cpu().numpy(), ref.detach().cpu().numpy())
    ref.sum().backward()
    ref_grads = [p.grad.cpu().numpy() for p in net.parameters()] + [x.grad.cpu().numpy()]
    for a, b in zip(grads, ref_grads):
        np.testing.assert_array_equal(a, b)


def test_hooks_disable_fusion():
    net = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    seen = []
    net[1].register_forward_hook(lambda m, args, out: seen.append(args[0].grad_fn.name()))
    net(xptorch.randn(2, 3))
    assert seen == ["AddmmBackward0"]


def test_inplace_edit_of_fused_output_is_caught():
    net = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    y = net(xptorch.randn(2, 3))
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_subclassed_linear_keeps_its_own_forward():
    class Doubled(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    net = nn.Sequential(Doubled(3, 3), nn.ReLU(), nn.Linear(3, 2))
    x = xptorch.randn(4, 3)
    expected = net[2](net[1](net[0](x)))
    np.testing.assert_array_equal(net(x).detach().cpu().numpy(), expected.detach().cpu().numpy())
    assert net[0](x).grad_fn.name() == "MulBackward0"


def test_hooks_on_a_lone_linear_still_run():
    net = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2))
    calls = []
    net[2].register_forward_pre_hook(lambda m, args: calls.append("pre"))
    net[2].register_forward_hook(lambda m, args, out: calls.append("post"))
    net(xptorch.randn(2, 3))
    assert calls == ["pre", "post"]
