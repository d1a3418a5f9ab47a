"""nn.EmbeddingBag (nn/modules/sparse.py) against torch 2.13: reprs, constructor errors, outputs and gradients on
each device, from_pretrained, and bags-free calls (which crash torch's backward)."""
import numpy as np
import pytest

import xptorch
from oracle import assert_same_tensor, same_repr, torch


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.EmbeddingBag(10, 3),
    lambda lib: lib.nn.EmbeddingBag(10, 3, mode="max", padding_idx=2, max_norm=1.0, norm_type=3.0,
                                    include_last_offset=True),
    lambda lib: lib.nn.EmbeddingBag(10, 3, mode="sum", scale_grad_by_freq=True, padding_idx=-1),
    lambda lib: lib.nn.EmbeddingBag(10, 3, padding_idx=10),
    lambda lib: lib.nn.EmbeddingBag(10, 3, _weight=lib.ones(9, 3)),
])
def test_repr_and_errors(make):
    same_repr(make)


@pytest.mark.parametrize("kw", [dict(mode="sum"), dict(mode="mean", padding_idx=4), dict(mode="max"),
                                dict(mode="sum", scale_grad_by_freq=True), dict(mode="sum", include_last_offset=True)])
def test_forward_backward(device, kw):
    w = np.random.default_rng(0).standard_normal((6, 3))
    idx, off = [0, 2, 1, 4, 4, 5, 5, 3], [0, 2, 2, 8 if kw.get("include_last_offset") else 5]
    outs = []
    for lib, dev in ((torch, "cpu"), (xptorch, device)):
        bag = lib.nn.EmbeddingBag.from_pretrained(lib.tensor(w, device=dev), freeze=False, **kw)
        y = bag(lib.tensor(idx, device=dev), lib.tensor(off, device=dev))
        (y * y).sum().backward()
        outs.append((y.detach(), bag.weight.grad))
    for ours, theirs in zip(outs[1], outs[0]):
        assert_same_tensor(ours.cpu(), theirs)


def test_padding_row_starts_at_zero():
    bag = xptorch.nn.EmbeddingBag(5, 2, padding_idx=-2)
    assert bag.padding_idx == 3 and bag.weight[3].abs().sum().item() == 0 and bag.weight.requires_grad


def test_no_bags(device):
    """torch 2.13 crashes (SIGSEGV) in the backward of a call without bags; ours: no rows, a zero gradient."""
    assert tuple(torch.nn.functional.embedding_bag(torch.tensor([0, 1]), torch.ones(4, 3),
                                                   torch.tensor([], dtype=torch.long)).shape) == (0, 3)
    w = xptorch.ones(4, 3, device=device, requires_grad=True)
    y = xptorch.nn.functional.embedding_bag(xptorch.tensor([0, 9], device=device), w,
                                            xptorch.tensor([], dtype=xptorch.int64, device=device))
    y.sum().backward()
    assert tuple(y.shape) == (0, 3) and w.grad.abs().sum().item() == 0
