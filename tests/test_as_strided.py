"""as_strided against torch: a view over the tensor's memory (offsets count from its start), edits through it,
and gradients where the view's elements overlap."""
import pytest

import xptorch

torch = pytest.importorskip("torch")


def _sharing(lib, device):
    x = lib.arange(12.0, device=device).reshape(3, 4).clone()
    row = x[1]
    v = row.as_strided((2, 2), (4, 1))  # from row's own start: rows 1-2, columns 0-1
    w = row.as_strided((3,), (4,), 2)  # an explicit offset counts from the start of the memory
    v.mul_(-1)
    return [x.cpu().tolist(), w.cpu().tolist(), x._version, v._version, v._base is x, w.storage_offset(),
            v.is_contiguous(), tuple(v.stride())]


def test_views_share_memory_and_version(device):
    assert _sharing(xptorch, device) == _sharing(torch, "cpu")


def _graph(lib, device):
    leaf = lib.arange(6.0, dtype=lib.float64).requires_grad_()
    y = leaf.to(device) * 1.5
    win = y.as_strided((2, 3), (1, 1), 1)  # overlapping windows: their gradients add up
    y.as_strided((2,), (3,), 2).mul_(y[0].detach() + 2)  # an edit through a view rewrites y's history
    loss = (win * win).sum() + (y * y).sum()
    g = lib.autograd.grad(loss, leaf, create_graph=True)[0]
    g2 = lib.autograd.grad((g * g).sum(), leaf)[0]
    return [y.detach().cpu().tolist(), g.detach().tolist(), g2.tolist()]


def test_gradients_through_overlaps_and_edits(device):
    got, want = _graph(xptorch, device), _graph(torch, "cpu")
    for a, b in zip(got, want):
        assert a == pytest.approx(b, rel=1e-12)
