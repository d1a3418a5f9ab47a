"""nn.LocalResponseNorm, nn.TripletMarginLoss and nn.ChannelShuffle against torch 2.13: reprs, outputs and
gradients (on each device), and constructor errors."""
import numpy as np
import pytest

import xptorch
from oracle import assert_same_tensor, same_repr, torch


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.LocalResponseNorm(3),
    lambda lib: lib.nn.LocalResponseNorm(2, alpha=0.1, beta=0.5, k=2.0),
    lambda lib: lib.nn.TripletMarginLoss(),
    lambda lib: lib.nn.TripletMarginLoss(margin=2.0, p=1, swap=True, reduction="sum"),
    lambda lib: lib.nn.TripletMarginLoss(margin=0.0),
    lambda lib: lib.nn.ChannelShuffle(2),
])
def test_repr_and_errors(make):
    same_repr(make)


@pytest.mark.parametrize("build,n_in", [
    (lambda lib: lib.nn.LocalResponseNorm(3, alpha=0.1, beta=0.8, k=2.0), 1),
    (lambda lib: lib.nn.TripletMarginLoss(margin=0.5, swap=True), 3),
    (lambda lib: lib.nn.TripletMarginLoss(p=3, reduction="none"), 3),
    (lambda lib: lib.nn.ChannelShuffle(3), 1),
])
def test_forward_backward(device, build, n_in):
    arrays = np.random.default_rng(0).standard_normal((n_in, 2, 6, 3, 4))
    outs = []
    for lib, dev in ((torch, "cpu"), (xptorch, device)):
        xs = [lib.tensor(a, device=dev, requires_grad=True) for a in arrays]
        y = build(lib)(*xs)
        (y * y).sum().backward()
        outs.append([y.detach()] + [x.grad for x in xs])
    for ours, theirs in zip(outs[1], outs[0]):
        assert_same_tensor(ours.cpu(), theirs)


def test_triplet_margin_loss_runs_in_float32_under_autocast():
    got = []
    for lib in (torch, xptorch):
        a = lib.tensor(np.random.default_rng(0).standard_normal((3, 4))).half()
        with lib.autocast("cpu", dtype=lib.float16):
            got.append(str(lib.nn.TripletMarginLoss()(a, a + 1, a - 1).dtype).split(".")[-1])
    assert got[0] == got[1] == "float32"
