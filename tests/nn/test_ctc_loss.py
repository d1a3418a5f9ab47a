"""F.ctc_loss and nn.CTCLoss against torch: a longer batch with mixed lengths on each device (values and the
gradient PyTorch defines), the module's options and repr."""
import numpy as np
import pytest

import xptorch
from devices import on
from oracle import same_repr

torch = pytest.importorskip("torch")


def _batch(dtype, seed=0):
    rng = np.random.default_rng(seed)
    T, N, C, S = 30, 4, 6, 8
    logits = rng.standard_normal((T, N, C)).astype(dtype)
    targets = rng.integers(1, C, (N, S))
    targets[1, 1] = targets[1, 0]  # a repeated label needs a blank between its copies
    return logits, targets, [30, 25, 18, 30], [8, 5, 0, 3]


def _run(lib, device, logits, targets, il, tl, module=None, **kw):
    x = lib.tensor(logits, requires_grad=True)

    def loss(xd):
        lp = xd.log_softmax(-1)
        args = (lib.tensor(targets, device=xd.device), lib.tensor(il, device=xd.device), lib.tensor(tl, device=xd.device))
        fn = module(**kw) if module else lib.nn.functional.ctc_loss
        return fn(lp, *args) if module else fn(lp, *args, **kw)

    out = (loss if lib is torch else on(device, loss))(x)
    w = lib.arange(1.0, out.numel() + 1, dtype=out.dtype).reshape(out.shape)
    (out * w).sum().backward()
    return out.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype, tol, reduction", [("float32", 1e-4, "mean"), ("float64", 1e-10, "none"),
                                                   ("float64", 1e-10, "sum")])
def test_ctc_loss_on_a_longer_batch_matches_torch(device, dtype, tol, reduction):
    data = _batch(dtype)
    t = _run(torch, "cpu", *data, reduction=reduction)
    x = _run(xptorch, device, *data, reduction=reduction)
    for a, b in zip(x, t):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_ctc_module_with_options_matches_torch(device):
    logits, targets, il, tl = _batch("float64", seed=1)
    il[2] = 3  # too short for its target: an infinite loss, zeroed with its gradient
    tl[2] = 4
    kw = dict(blank=0, reduction="mean", zero_infinity=True)
    t = _run(torch, "cpu", logits, targets, il, tl, module=torch.nn.CTCLoss, **kw)
    x = _run(xptorch, device, logits, targets, il, tl, module=xptorch.nn.CTCLoss, **kw)
    for a, b in zip(x, t):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert np.isfinite(x[0]) and np.all(x[1][:, 2] == 0)


def test_ctc_module_repr_and_options():
    same_repr(lambda lib: lib.nn.CTCLoss())
    same_repr(lambda lib: lib.nn.CTCLoss(blank=3, reduction="sum", zero_infinity=True))
    m = xptorch.nn.CTCLoss(blank=3, reduction="sum", zero_infinity=True)
    t = torch.nn.CTCLoss(blank=3, reduction="sum", zero_infinity=True)
    assert (m.blank, m.reduction, m.zero_infinity) == (t.blank, t.reduction, t.zero_infinity)


@pytest.mark.parametrize("lengths", [lambda lib: (lib.tensor([3]), (2,)), lambda lib: (3, 2), lambda lib: ((3,), 2)])
def test_ctc_lengths_of_mixed_or_scalar_kinds_are_refused_as_torch(lengths):
    def call(lib):
        return lib.nn.functional.ctc_loss(lib.zeros(3, 1, 4), lib.ones(1, 2, dtype=lib.int64), *lengths(lib))

    with pytest.raises(TypeError) as t_exc:
        call(torch)
    with pytest.raises(TypeError) as x_exc:
        call(xptorch)
    assert str(x_exc.value).splitlines()[0] == str(t_exc.value).splitlines()[0]


def test_ctc_gradient_is_not_differentiable_again_as_torch():
    def call(lib):
        lp = lib.zeros(4, 1, 3).log_softmax(-1).requires_grad_()
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor([[1, 2]]), lib.tensor([4]), lib.tensor([2]))
        (g,) = lib.autograd.grad(loss, lp, create_graph=True)
        assert g.requires_grad
        lib.autograd.grad(g.sum(), lp)

    with pytest.raises(RuntimeError) as t_exc:
        call(torch)
    with pytest.raises(RuntimeError) as x_exc:
        call(xptorch)
    assert str(x_exc.value) == str(t_exc.value)
