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


# ---- views made while grad mode is off, and views returned by custom Functions -----------------------------

def _grown(lib, dev):
    """A leaf and a tensor computed from it, both on dev."""
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=dev, requires_grad=True)
    return x, x * 2


def _quiet_view(lib, dev, take=lambda y: y[0], mode="no_grad"):
    x, y = _grown(lib, dev)
    with getattr(lib, mode)():
        v = take(y)
    return x, y, v


def _functions(lib):
    class Head(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t[:1]

        @staticmethod
        def backward(ctx, g):
            return lib.cat([g, lib.zeros_like(g)])

    class Same(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t

        @staticmethod
        def backward(ctx, g):
            return g

    class Halves(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t[:1], t[1:]

        @staticmethod
        def backward(ctx, a, b):
            return lib.cat([a, b])

    class ViewAndCount(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t[1:], lib.zeros(2, dtype=lib.long)

        @staticmethod
        def backward(ctx, a, b):
            return lib.cat([lib.zeros_like(a), a])

    return Head, Same, Halves, ViewAndCount


def _fn(i):
    return lambda lib, dev: _functions(lib)[i].apply(_grown(lib, dev)[1])


def _in_no_grad(lib, fn):
    with lib.no_grad():
        return fn()


REFUSED = {  # name: (make the tensor to edit, the edit)
    "view of a tensor in the graph": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.mul_(3)),
    "view of a leaf": (lambda lib, dev: _in_no_grad(lib, lambda: _grown(lib, dev)[0][1:]), lambda lib, v: v.add_(1)),
    "view of a view in the graph": (lambda lib, dev: _quiet_view(lib, dev, lambda y: y.t()[1:])[2],
                                    lambda lib, v: v.zero_()),
    "slice of such a view": (lambda lib, dev: _quiet_view(lib, dev)[2][1:], lambda lib, v: v.mul_(3)),
    "transpose of such a view": (lambda lib, dev: _quiet_view(lib, dev, lambda y: y[:1])[2].t(),
                                 lambda lib, v: v.fill_(2.0)),
    "quiet view of a graph-mode view": (lambda lib, dev: _in_no_grad(lib, lambda v0=_grown(lib, dev)[1][0]: v0[1:]),
                                        lambda lib, v: v.mul_(2)),
    "inference_mode view": (lambda lib, dev: _quiet_view(lib, dev, mode="inference_mode")[2],
                            lambda lib, v: v.mul_(2)),
    "slice of an inference_mode view": (lambda lib, dev: _quiet_view(lib, dev, mode="inference_mode")[2][1:],
                                        lambda lib, v: v.sub_(1)),
    "no_grad view of an inference_mode view": (
        lambda lib, dev: _in_no_grad(lib, lambda v=_quiet_view(lib, dev, mode="inference_mode")[2]: v[1:]),
        lambda lib, v: v.mul_(2)),
    "piece of split under no_grad": (lambda lib, dev: _quiet_view(lib, dev, lambda y: y.split(1)[1])[2],
                                     lambda lib, v: v.mul_(2)),
    "piece of unbind under no_grad": (lambda lib, dev: _quiet_view(lib, dev, lambda y: y.unbind(1)[2])[2],
                                      lambda lib, v: v.copy_(lib.ones(2, device=v.device))),
    "piece of split of such a view": (lambda lib, dev: _quiet_view(lib, dev)[2].split(1)[2],
                                      lambda lib, v: v.mul_(2)),
    "view of a plain tensor, edited with one that requires grad": (
        lambda lib, dev: _in_no_grad(lib, lambda: lib.ones(2, 3, device=dev)[0]),
        lambda lib, v: v.mul_(lib.full((3,), 2.0, device=v.device, requires_grad=True))),
    "unsqueeze_": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.unsqueeze_(0)),
    "t_": (lambda lib, dev: _quiet_view(lib, dev, lambda y: y[:, 1:])[2], lambda lib, v: v.t_()),
    "clamp_": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.clamp_(0, 3)),
    "v[0] = ...": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.__setitem__(0, 5.0)),
    "v[None] = ...": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.__setitem__(None, 5.0)),
    "v[...] = ...": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.__setitem__(Ellipsis, 5.0)),
    "v[:] = ...": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.__setitem__(slice(None), 5.0)),
    "v[0:9] = ...": (lambda lib, dev: _quiet_view(lib, dev)[2], lambda lib, v: v.__setitem__(slice(0, 9), 5.0)),
    "v[:, 1:] = ...": (lambda lib, dev: _quiet_view(lib, dev, lambda y: y[:])[2],
                       lambda lib, v: v.__setitem__((slice(None), slice(1, None)), 5.0)),
    "v[..., 0] = ...": (lambda lib, dev: _quiet_view(lib, dev, lambda y: y[:])[2],
                        lambda lib, v: v.__setitem__((Ellipsis, 0), 5.0)),
    "v[index tensor] = ...": (lambda lib, dev: _quiet_view(lib, dev)[2],
                              lambda lib, v: v.__setitem__(lib.tensor([0], device=v.device), 5.0)),
    "piece of split, whole-range assignment": (lambda lib, dev: _grown(lib, dev)[1].split(1)[1],
                                               lambda lib, v: v.__setitem__(slice(None), 5.0)),
    "custom Function returning a view": (_fn(0), lambda lib, v: v.mul_(2)),
    "custom Function returning its input": (_fn(1), lambda lib, v: v.mul_(2)),
    "custom Function returning a leaf": (lambda lib, dev: _functions(lib)[1].apply(_grown(lib, dev)[0]),
                                         lambda lib, v: v.add_(1)),
    "slice of a custom Function's view": (lambda lib, dev: _fn(0)(lib, dev)[:, 1:], lambda lib, v: v.mul_(2)),
    "custom Function returning two views": (lambda lib, dev: _fn(2)(lib, dev)[1], lambda lib, v: v.mul_(2)),
    "custom Function returning a view and an integer tensor": (lambda lib, dev: _fn(3)(lib, dev)[0],
                                                              lambda lib, v: v.mul_(2)),
}


def _edit_outcome(lib, dev, name):
    make, edit = REFUSED[name]
    v = make(lib, dev)
    before, version = v.detach().cpu().tolist(), v._version
    with pytest.raises(RuntimeError) as err:
        edit(lib, v)
    assert v.detach().cpu().tolist() == before and v._version == version  # a refused edit changes nothing
    return str(err.value), v.requires_grad


@pytest.mark.parametrize("name", list(REFUSED))
def test_views_made_without_grad_mode_or_in_custom_functions_refuse_edits_as_torch(device, name):
    assert _edit_outcome(xptorch, device, name) == _edit_outcome(torch, "cpu", name)


def _then(t, edit):
    edit()
    return t


def _stale(make, edit):
    """make(lib, dev) -> (y, the view); edit(lib, y, view) then edits memory they share."""
    def run(lib, dev):
        y, t = make(lib, dev)
        return _then(t, lambda: edit(lib, y, t))
    return run


_QUIET = lambda lib, dev: _quiet_view(lib, dev)[1:]  # noqa: E731
_QUIET_SLICE = lambda lib, dev: (lambda y, v: (y, v[1:]))(*_quiet_view(lib, dev)[1:])  # noqa: E731


def _custom(i, take=lambda o: o):
    def make(lib, dev):
        y = _grown(lib, dev)[1]
        return y, take(_functions(lib)[i].apply(y))
    return make


STALE = {
    "base edited in grad mode": _stale(_QUIET, lambda lib, y, v: y.mul_(2)),
    "another view edited in grad mode": _stale(_QUIET, lambda lib, y, v: y[1].add_(1)),
    "the view itself edited under no_grad": _stale(_QUIET, lambda lib, y, v: _in_no_grad(lib, lambda: v.mul_(2))),
    "another view edited under no_grad": _stale(_QUIET, lambda lib, y, v: _in_no_grad(lib, lambda: y[1:].sub_(1))),
    "slice of such a view, base edited in grad mode": _stale(_QUIET_SLICE, lambda lib, y, v: y.mul_(2)),
    "slice of such a view, base edited under no_grad": _stale(
        _QUIET_SLICE, lambda lib, y, v: _in_no_grad(lib, lambda: y.mul_(2))),
    "custom Function's view, base edited": _stale(_custom(0), lambda lib, y, o: y.mul_(2)),
    "custom Function's returned input, base edited": _stale(_custom(1), lambda lib, y, o: y.mul_(2)),
    "slice of a custom Function's view, base edited": _stale(_custom(0, lambda o: o[:, 1:]),
                                                            lambda lib, y, o: y.mul_(2)),
    "piece of split, base edited in grad mode": _stale(lambda lib, dev: (lambda y: (y, y.split(1)[1]))(
        _grown(lib, dev)[1]), lambda lib, y, p: y.mul_(2)),
    "view of a piece of unbind, base edited under no_grad": _stale(lambda lib, dev: (lambda y: (y, y.unbind(1)[0][1:]))(
        _grown(lib, dev)[1]), lambda lib, y, p: _in_no_grad(lib, lambda: y.add_(1))),
    "one of a custom Function's two views, base edited": _stale(_custom(2, lambda o: o[1]),
                                                               lambda lib, y, o: y.mul_(2)),
    "custom Function's view edited under no_grad": _stale(
        _custom(1), lambda lib, y, o: _in_no_grad(lib, lambda: o.mul_(2))),
}


def _used_after(lib, dev, name):
    t = STALE[name](lib, dev)
    with pytest.raises(RuntimeError) as err:
        t * 1
    with lib.no_grad():
        quiet = (t * 1).cpu().tolist()  # grad mode off, the view may still be read
    return str(err.value), quiet


@pytest.mark.parametrize("name", list(STALE))
def test_a_view_is_refused_in_the_graph_after_its_memory_was_edited_as_torch(device, name):
    assert _used_after(xptorch, device, name) == _used_after(torch, "cpu", name)


def _allowed(lib, dev):
    out = []
    x, y, v = _quiet_view(lib, dev, lambda y: y[:, :2])
    out.append((v.requires_grad, v.is_leaf, v.grad_fn is None, (v * 2).requires_grad, v.requires_grad_(False)
                .requires_grad, v[1:].requires_grad, v.detach().requires_grad))
    (v * 2).sum().backward()  # requires grad, leads nowhere
    out.append((x.grad, v.grad))
    with lib.no_grad():
        v.mul_(3)  # both inside no_grad: untracked
    d = _in_no_grad(lib, lambda: y[1].detach())
    d.add_(10)  # a detached view takes edits in grad mode
    y.data[0, 2] = -1.0
    plain = _in_no_grad(lib, lambda: lib.zeros(3, device=dev)[1:])
    plain.add_(4)  # nothing requires grad
    y.mul_(lib.arange(6.0, device=dev).reshape(2, 3))  # the base itself, in grad mode
    (y * y).sum().backward()
    out.append((y.detach().cpu().tolist(), x.grad.cpu().tolist(), plain.cpu().tolist(), v.detach().cpu().tolist()))
    return out


def test_quiet_views_require_grad_and_allowed_edits_match_torch(device):
    assert _allowed(xptorch, device) == _allowed(torch, "cpu")


def _parameter_upkeep(lib, dev):
    emb = lib.nn.Embedding(4, 3, padding_idx=1).to(dev)
    lin = lib.nn.Linear(3, 2).to(dev)
    with lib.no_grad():
        emb.weight.copy_(lib.arange(12.0, device=dev).reshape(4, 3) / 10)
        lin.weight[0].fill_(0.5)
        lin.weight[1].copy_(lib.tensor([0.1, -0.2, 0.3], device=dev))
        lin.bias.zero_()
    params = list(emb.parameters()) + list(lin.parameters())
    for _ in range(2):  # plain SGD steps, written as optimisers write them (tests/optim runs the optimisers)
        for p in params:
            p.grad = None
        lin(emb(lib.tensor([0, 1, 3], device=dev))).pow(2).sum().backward()
        with lib.no_grad():
            for p in params:
                p.view(-1)[:].sub_(p.grad.view(-1), alpha=0.1)
    return [p.detach().cpu().tolist() for p in (emb.weight, lin.weight, lin.bias)]


def test_parameters_edited_through_views_under_no_grad_keep_training(device):
    got, want = _parameter_upkeep(xptorch, device), _parameter_upkeep(torch, "cpu")
    np.testing.assert_allclose(np.concatenate([np.ravel(a) for a in got]),
                               np.concatenate([np.ravel(a) for a in want]), rtol=1e-6)


def _roots_and_leaves(lib, dev):
    out = []
    x, y, v = _quiet_view(lib, dev, lambda y: y[1])
    with pytest.raises(RuntimeError) as err:
        v.backward(lib.ones(3, device=dev))
    out.append(str(err.value))
    _functions(lib)[1].apply(v * 1).sum().backward()
    out.append((v.grad, x.grad))
    for i in (0, 1):  # views a custom Function returns carry its backward
        x, y = _grown(lib, dev)
        o = _functions(lib)[i].apply(y)
        (o * o).sum().backward()
        out.append(x.grad.cpu().tolist())
    own = _in_no_grad(lib, lambda: lib.ones(4, device=dev)[1:]).requires_grad_()  # a leaf of its own
    (own * own).sum().backward()
    out.append((own.is_leaf, own.grad.cpu().tolist()))
    return out


def test_quiet_views_as_roots_and_as_leaves_of_their_own_match_torch(device):
    assert _roots_and_leaves(xptorch, device) == _roots_and_leaves(torch, "cpu")
