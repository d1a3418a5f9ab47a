"""In-place shape changes (unsqueeze_, squeeze_, t_, transpose_, swapaxes_, swapdims_) against torch: the same
object takes the new shape over the same memory, the version is bumped, and autograd follows torch's rules."""
import pytest

import xptorch

torch = pytest.importorskip("torch")

# (expression applied to a 1x2x3 tensor, the same for a 2x3 view of it)
OPS = {
    "unsqueeze_": ("unsqueeze_(0)", "unsqueeze_(-1)"),
    "squeeze_": ("squeeze_()", "squeeze_(0)"),
    "squeeze_dims": ("squeeze_((0, 2))", "squeeze_(0, 1)"),
    "transpose_": ("transpose_(1, 2)", "transpose_(0, 1)"),
    "swapaxes_": ("swapaxes_(0, 2)", "swapaxes_(-1, 0)"),
    "swapdims_": ("swapdims_(1, -1)", "swapdims_(1, 0)"),
    "t_": ("squeeze_(0).t_()", "t_()"),
}


def _make(lib, device):
    return lib.arange(6.0, dtype=lib.float64, device=device).reshape(1, 2, 3).clone()


def _apply(t, expr):
    return eval("t." + expr, {"t": t})  # noqa: S307  (fixed expressions from OPS)


def _name(t):
    return t.grad_fn.name().replace("torch::autograd::", "")


def _storage_case(lib, device, op):
    base_expr, view_expr = OPS[op]
    x = _make(lib, device)
    v = x[0]
    ptr = x.data_ptr()
    r = _apply(x, base_expr)
    same = r is x
    out = [same, tuple(x.shape), x.stride(), x._version, v._version, x.data_ptr() == ptr, x.is_contiguous()]
    x.mul_(10)  # the earlier view still shares the memory
    out.append(v.cpu().tolist())
    y = _make(lib, device)
    w = y.view(2, 3)
    _apply(w, view_expr)
    w.add_(1)  # the view's new shape still writes into its base
    out += [tuple(w.shape), w.stride(), tuple(y.shape), y.cpu().tolist(), w._base is y]
    return out


@pytest.mark.parametrize("op", list(OPS))
def test_same_object_new_shape_shared_memory(device, op):
    assert _storage_case(xptorch, device, op) == _storage_case(torch, "cpu", op)


def _graph_case(lib, device, op, where):
    base_expr, view_expr = OPS[op]
    x = _make(lib, "cpu").requires_grad_()
    y = x.to(device) * 2
    out = []
    if where == "self":  # a non-leaf: its new history is one view node over the old one
        _apply(y, base_expr)
        watched = y
        out.append(_name(y))
    elif where == "view":  # a view of a non-leaf; the base keeps its history, other views read it afresh
        v, other = y[0], y[0, 1]
        _apply(v, view_expr)
        watched = v
        out += [_name(v), _name(y), _name(other)]
        y.mul_(3)
        out.append(_name(v))
    else:  # the base, with a view taken before and edited after
        v = y[0]
        _apply(y, base_expr)
        out.append(_name(v))
        v.mul_(5)
        watched = y
        out.append(_name(y))
    out += [y._version, tuple(watched.shape)]
    weights = lib.arange(float(watched.numel()), dtype=lib.float64).reshape(watched.shape).to(device)
    (watched * weights).sum().backward()
    out.append(x.grad.tolist())
    return out


@pytest.mark.parametrize("where", ["self", "view", "base with views"])
@pytest.mark.parametrize("op", list(OPS))
def test_gradients_and_history_as_torch(device, op, where):
    got, want = _graph_case(xptorch, device, op, where), _graph_case(torch, "cpu", op, where)
    if device != "cpu":  # the move to the device adds a node under the base; names are compared on the CPU
        got, want = got[-3:], want[-3:]
    assert got == want


def test_view_of_a_transposed_base_takes_edits_as_torch(device):
    grads = []
    for lib, dev in ((xptorch, device), (torch, "cpu")):
        x = _make(lib, "cpu").squeeze(0).requires_grad_()
        y = x.to(dev) * 2
        y.t_()
        y[1].mul_(3)  # a view of a base whose memory is in transposed order
        y[:, 0].add_(y[:, 1].detach())
        w = lib.arange(6.0, dtype=lib.float64).reshape(3, 2).to(dev)
        g = lib.autograd.grad((y * y * w).sum(), x, create_graph=True)[0]  # second order through the edits
        g2 = lib.autograd.grad((g ** 2).sum(), x)[0]
        grads.append((y.detach().cpu().tolist(), g.tolist(), g2.tolist()))
    assert grads[0] == grads[1]


ERRORS = {
    "leaf": lambda lib: lib.ones(1, 2, requires_grad=True).unsqueeze_(0),
    "view of a leaf": lambda lib: lib.ones(1, 2, requires_grad=True)[0].t_(),
    "squeeze_ repeated dim": lambda lib: lib.zeros(1, 1).squeeze_((0, -2)),
    "squeeze_ float": lambda lib: lib.zeros(1, 1).squeeze_(0.5),
    "squeeze_ float in tuple": lambda lib: lib.zeros(1, 1).squeeze_((0, 0.5)),
    "squeeze_ out of range": lambda lib: lib.zeros(1, 1).squeeze_((0, 3)),
    "unsqueeze_ out of range": lambda lib: lib.zeros(2).unsqueeze_(2),
    "unsqueeze_ bool": lambda lib: lib.zeros(2).unsqueeze_(True),
    "transpose_ float": lambda lib: lib.zeros(2, 1).transpose_(0.5, 1),
    "swapaxes_ float": lambda lib: lib.zeros(2, 1).swapaxes_(0, 1.5),
    "swapdims_ out of range": lambda lib: lib.zeros(2, 1).swapdims_(0, -3),
    "t_ 3-d": lambda lib: lib.zeros(1, 2, 3).t_(),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_refusals_as_torch(case):
    with pytest.raises(Exception) as want:
        ERRORS[case](torch)
    with pytest.raises(type(want.value)) as got:
        ERRORS[case](xptorch)
    assert str(got.value) == str(want.value)


def test_a_refused_call_changes_nothing():
    for x, fn in ((xptorch.zeros(1, 1), lambda t: t.squeeze_((0, 0))),
                  (xptorch.ones(1, 2, requires_grad=True), lambda t: t.t_()),
                  (xptorch.zeros(1, 2, 3), lambda t: t.t_())):
        before = (tuple(x.shape), x.stride(), x._version, x.grad_fn)
        with pytest.raises((RuntimeError, TypeError)):
            fn(x)
        assert (tuple(x.shape), x.stride(), x._version, x.grad_fn) == before


def test_outside_grad_mode_a_leaf_changes_shape_and_stays_a_leaf(device):
    results = []
    for lib, dev in ((xptorch, device), (torch, "cpu")):
        x = lib.ones(2, 1, requires_grad=True, device=dev)
        with lib.no_grad():
            x.squeeze_().unsqueeze_(0).t_()
        (x * 3).sum().backward()
        results.append((tuple(x.shape), x.is_leaf, x.requires_grad, x._version, x.grad.tolist()))
    assert results[0] == results[1]


def test_a_saved_tensor_reshaped_in_place_is_caught_like_torch():
    for lib in (xptorch, torch):
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 2
        z = (y * y).sum()
        y.t_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()
