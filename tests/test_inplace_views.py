"""In-place edits through views of tensors in the graph rewrite the base's history, as in torch."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


def _y(lib, w):
    return w * 2 + 1


CASES = {
    "slice iadd": lambda lib, y: y.__setitem__(0, y[0].__iadd__(1)),
    "column mul_": lambda lib, y: y[:, 0].mul_(3),
    "transpose add_": lambda lib, y: y.t().add_(lib.ones(2, 3)),
    "nested view sub_": lambda lib, y: y[1:][0].sub_(y[2].detach()),
    "setitem into a view": lambda lib, y: y[1].__setitem__(0, lib.tensor(5.0)),
    "fill_ a view": lambda lib, y: y[2].fill_(7.0),
    "copy_ into a view": lambda lib, y: y[:, 1].copy_(lib.tensor([1.0, 2.0, 3.0])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_inplace_through_a_view_matches_torch(name):
    edit = CASES[name]
    data = np.random.default_rng(0).standard_normal((3, 2))
    weights = np.arange(6.0).reshape(3, 2)
    results = []
    for lib in (xptorch, torch):
        w = lib.tensor(data, requires_grad=True)
        y = _y(lib, w)
        edit(lib, y)
        (y * lib.tensor(weights)).sum().backward()
        name = y.grad_fn.name().replace("torch::autograd::", "")
        results.append((y.detach().cpu().numpy().copy(), w.grad.cpu().numpy().copy(), name))
    (yx, gx, nx), (yt, gt, nt) = results
    np.testing.assert_allclose(yx, yt, rtol=1e-12)
    np.testing.assert_allclose(gx, gt, rtol=1e-12)
    assert nx == nt


def test_view_edit_with_another_graph_tensor():
    data = np.random.default_rng(1).standard_normal((3, 2))
    grads = []
    for lib in (xptorch, torch):
        w = lib.tensor(data, requires_grad=True)
        s = lib.tensor([2.0, -1.0], requires_grad=True)
        y = w * 1.5
        y[1].mul_(s)
        (y ** 2).sum().backward()
        grads.append((w.grad.cpu().numpy().copy(), s.grad.cpu().numpy().copy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12)


def test_both_the_view_and_the_base_used_afterwards():
    data = np.random.default_rng(2).standard_normal((3, 2))
    grads = []
    for lib in (xptorch, torch):
        w = lib.tensor(data, requires_grad=True)
        y = w * 3
        v = y[0]
        v.mul_(2)
        (v.sum() * 3 + (y * y).sum()).backward()
        grads.append(w.grad.cpu().numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_editing_a_view_of_a_saved_output_is_caught_like_torch():
    for lib in (xptorch, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = w.exp()
        y[0].mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_writing_through_an_expanded_view_is_refused_unchanged():
    w = xptorch.rand(3, requires_grad=True)
    y = w * 2
    e = y[0:1].expand(4)
    before = y.detach().cpu().numpy().copy()
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)
    np.testing.assert_array_equal(y.detach().cpu().numpy(), before)


def test_refused_view_assignment_changes_nothing():
    w = xptorch.rand(3, requires_grad=True)
    y = w * 2
    e = y[0:1].expand(4)
    before = y.detach().cpu().numpy().copy()
    with pytest.raises(RuntimeError, match="more than one element"):
        e[1] = xptorch.tensor(5.0, requires_grad=True)
    np.testing.assert_array_equal(y.detach().cpu().numpy(), before)


def test_empty_tensors_and_views_take_in_place_edits_as_torch():
    """An empty tensor repeats no memory, whatever its strides (CuPy leaves an empty array's strides 0)."""
    for lib in (torch, xptorch):
        w = lib.ones(1, requires_grad=True)
        y = lib.zeros(2, 0, requires_grad=True).clone()
        y[:, :0].add_(1).mul_(w)
        y.mul_(2)
        e = lib.zeros(2, 0, 0)
        e += 1.0
        e.mul_(3)
        (y.sum() + w.sum()).backward()
        assert tuple(y.shape) == (2, 0) and tuple(e.shape) == (2, 0, 0) and w.grad.tolist() == [1.0]
        assert y.grad_fn.name() == "MulBackward0"


def test_masked_fill_into_an_expanded_tensor_warns_and_writes_as_torch(device):
    torch = pytest.importorskip("torch")
    tb = torch.zeros(3)
    with pytest.warns(UserWarning) as t_warn:
        tb[None].expand(2, 3).masked_fill_(torch.tensor([True, False, True]), 1.0)
    base = xptorch.zeros(3, device=device)
    with pytest.warns(UserWarning) as x_warn:
        base[None].expand(2, 3).masked_fill_(xptorch.tensor([True, False, True], device=device), 1.0)
    assert str(x_warn[0].message) == str(t_warn[0].message).split(" (Triggered internally")[0]
    assert base.cpu().tolist() == tb.tolist() == [1.0, 0.0, 1.0]


def _graph_rows(lib):
    return lib.arange(8.0, requires_grad=True).view(4, 2) * 1


MULTI_OUTPUT = {
    "split": lambda lib: _graph_rows(lib).split(2)[1].mul_(2),
    "split with sizes": lambda lib: lib.split(_graph_rows(lib), [1, 3])[1].add_(1),
    "chunk": lambda lib: _graph_rows(lib).chunk(2)[1].fill_(1),
    "unbind": lambda lib: lib.unbind(_graph_rows(lib), 1)[1].copy_(lib.ones(4)),
    "split of a leaf": lambda lib: lib.ones(4, requires_grad=True).split(2)[0].mul_(2),
    "a view of a piece": lambda lib: _graph_rows(lib).split(2)[0].t().mul_(2),
    "in-place view op on a piece": lambda lib: _graph_rows(lib).unbind(0)[0].unsqueeze_(0),
    "assignment through a piece": lambda lib: _graph_rows(lib).split(2)[0].__setitem__((0, slice(1, None)), 1.0),
    "indexed assignment into a piece": lambda lib: _graph_rows(lib).chunk(4)[0].__setitem__(lib.tensor([0]), 1.0),
}


@pytest.mark.parametrize("case", list(MULTI_OUTPUT))
def test_pieces_of_split_chunk_unbind_refuse_edits_as_torch(case):
    with pytest.raises(RuntimeError) as want:
        MULTI_OUTPUT[case](torch)
    with pytest.raises(RuntimeError) as got:
        MULTI_OUTPUT[case](xptorch)
    assert str(got.value) == str(want.value)


def test_pieces_may_be_edited_outside_the_graph_or_when_unsafe():
    results = []
    for lib in (xptorch, torch):
        y = _graph_rows(lib)
        y.unsafe_split(2)[0].mul_(2)
        y.unsafe_chunk(2)[1].add_(1)
        y.unsafe_split_with_sizes([1, 3])[0].sub_(3)
        y.split(2)[1].detach().mul_(-1)
        piece = y.split(2)[0]
        with lib.no_grad():
            piece.mul_(10)
        free = lib.zeros(4)
        free.split(2)[0].add_(1)
        results.append((y.detach().cpu().tolist(), free.cpu().tolist()))
    assert results[0] == results[1]
