"""nn.Fold and nn.Unfold (nn/modules/fold.py) against torch 2.13: reprs, outputs, gradients, errors."""
import numpy as np
import pytest

import xptorch
from oracle import assert_same_tensor, same_repr, torch


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Unfold(2),
    lambda lib: lib.nn.Unfold((2, 3), dilation=2, padding=1, stride=(2, 1)),
    lambda lib: lib.nn.Fold((5, 6), 2),
    lambda lib: lib.nn.Fold(5, (2, 3), 1, 0, 1),
])
def test_repr(make):
    same_repr(make)


def test_unfold_then_fold_counts_overlaps(device):
    """fold(unfold(x)) is x times the number of blocks covering each pixel; values and gradients as torch."""
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6))
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(1, 2))
    outs = []
    for lib, dev in ((torch, "cpu"), (xptorch, device)):
        t = lib.tensor(x, device=dev, requires_grad=True)
        y = lib.nn.Fold((5, 6), **kw)(lib.nn.Unfold(**kw)(t))
        (y * y).sum().backward()
        outs.append((y, t.grad))
    for ours, theirs in zip(outs[1], outs[0]):
        assert_same_tensor(ours.cpu(), theirs)


def test_module_errors_as_torch():
    same_repr(lambda lib: lib.nn.Fold((5, 6), 2)(lib.ones(2, 12, 21)))
    same_repr(lambda lib: lib.nn.Unfold(9)(lib.ones(2, 3, 5, 6)))
