"""copy.deepcopy of tensors keeps the memory sharing between the tensors copied together, as torch does."""
import copy

import numpy as np
import pytest
import torch

import xptorch


def both(build):
    return build(xptorch), build(torch)


@pytest.mark.parametrize(
    "build",
    [
        lambda m: (lambda x: (x, x[2:]))(m.arange(5.0)),
        lambda m: (lambda x: [x[1:], x])(m.arange(5.0)),
        lambda m: (lambda x: {"t": x.t(), "x": x, "row": x[1]})(m.arange(6.0).reshape(2, 3)),
        lambda m: (lambda x: (x[::2], x[1::2]))(m.arange(8.0)),
    ],
)
def test_views_copied_together_stay_views_of_one_copy(build):
    ours, theirs = both(build)
    flat = (lambda c: list(c.values()) if isinstance(c, dict) else list(c))
    ours_c, theirs_c = flat(copy.deepcopy(ours)), flat(copy.deepcopy(theirs))
    for i, (a, b) in enumerate(zip(ours_c, theirs_c)):  # a write through each copy shows in the others as in torch
        a[(0,) * a.dim()] = -1.0 - i
        b[(0,) * b.dim()] = -1.0 - i
        for x, y in zip(ours_c, theirs_c):
            np.testing.assert_array_equal(x.cpu().numpy(), y.cpu().numpy())
    for o, c in zip(flat(ours), ours_c):  # and never in the originals
        assert not np.shares_memory(o._data, c._data)
        assert (o.cpu().numpy() >= 0).all()


def test_separate_deepcopies_do_not_share():
    x = xptorch.arange(4.0)
    a, b = copy.deepcopy(x), copy.deepcopy(x[1:])
    a[1] = 100.0
    assert b.tolist() == [1.0, 2.0, 3.0] and x.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_deepcopy_of_a_view_alone_copies_only_values_it_shows():
    x = xptorch.arange(6.0).reshape(2, 3)
    c = copy.deepcopy(x.t())
    assert c.tolist() == x.t().tolist() and c.stride() == x.t().stride()
    c[0, 0] = 9.0
    assert x[0, 0].item() == 0.0


def test_parameters_copy_alone_as_in_torch():
    def run(m):
        p = m.nn.Parameter(m.ones(3))
        p.grad = m.full((3,), 2.0)
        q, v = copy.deepcopy((p, p.detach()[1:]))
        with m.no_grad():
            q[1] = 5.0
        return type(q).__name__, q.requires_grad, q.grad, v.tolist(), p.tolist()

    assert run(xptorch) == run(torch)


def test_deepcopy_of_a_view_in_the_graph_is_refused_like_torch():
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(xptorch.ones(3, requires_grad=True)[1:])
