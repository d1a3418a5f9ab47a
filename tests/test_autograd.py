"""Autograd against torch 2.13: accumulation, grad modes, graph lifetime, version counters, errors."""
import sys
import threading

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import assert_same_tensor, check_error, check_op, to_numpy  # noqa: E402


def both(data, requires_grad=True, dtype="float32"):
    arr = np.asarray(data, dtype=dtype)
    return (torch.tensor(arr, requires_grad=requires_grad), xptorch.tensor(arr, requires_grad=requires_grad))


# ---- accumulation and graph shape ---------------------------------------------------------------

def test_grad_none_before_backward_and_accumulates():
    for lib, x in zip((torch, xptorch), both([1.0, 2.0, 3.0])):
        assert x.grad is None
    tx, xx = both([1.0, 2.0, 3.0])
    for _ in range(3):
        (tx * tx).sum().backward()
        (xx * xx).sum().backward()
        assert_same_tensor(xx.grad, tx.grad)
    np.testing.assert_allclose(to_numpy(xx.grad), 3 * 2 * np.array([1.0, 2.0, 3.0]))


def test_leaf_used_twice_gets_sum():
    tx, xx = both([[1.0, -2.0], [3.0, 4.0]])
    for x, lib in ((tx, torch), (xx, xptorch)):
        y = x * 3 + x.exp() - x @ x
        lib.relu(y).sum().backward()
    assert_same_tensor(xx.grad, tx.grad)


def test_shared_parameter_in_two_branches():
    tw, xw = both(np.arange(6.0).reshape(2, 3) / 10)
    tx, xx = both(np.ones((4, 3)), requires_grad=False)
    for w, x in ((tw, tx), (xw, xx)):
        h = x @ w.t()
        (h @ w).sum().backward()
    assert_same_tensor(xw.grad, tw.grad)


@pytest.mark.parametrize("sa,sb", [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((1, 1), (5,))])
def test_broadcast_grads_reduce_to_input_shape(sa, sb):
    for f in (lambda a, b: a * b, lambda a, b: a + b, lambda a, b: a / (b * b + 1), lambda a, b: a - b):
        check_op([sa, sb], f, f)


def test_gradients_on_two_leaves_are_independent_arrays():
    """x + y hands one gradient array to both leaves; their .grad must not alias."""
    x = xptorch.ones(3, requires_grad=True)
    y = xptorch.ones(3, requires_grad=True)
    (x + y).sum().backward()
    (x + y).sum().backward()
    with xptorch.no_grad():
        x.grad.add_(100)
    np.testing.assert_array_equal(y.grad.cpu().numpy(), [2.0, 2.0, 2.0])


def test_explicit_gradient_is_not_adopted():
    x = xptorch.ones(3, requires_grad=True)
    g = xptorch.tensor([1.0, 2.0, 3.0])
    (x * 1).backward(g)
    (x * 1).backward(g)
    np.testing.assert_array_equal(g.cpu().numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0, 4.0, 6.0])


def test_backward_with_gradient_argument_matches_torch():
    tx, xx = both([[1.0, 2.0], [3.0, 4.0]])
    g = np.array([[0.5, -1.0], [2.0, 0.0]], dtype=np.float32)
    (tx.sigmoid() * tx).backward(torch.tensor(g))
    (xx.sigmoid() * xx).backward(xptorch.tensor(g))
    assert_same_tensor(xx.grad, tx.grad)


def test_deep_graph_has_no_recursion_limit():
    x = xptorch.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    assert 10_000 * 2 > sys.getrecursionlimit()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1.0001 ** 10_000], rtol=1e-3)


def test_grad_fn_names_and_leafness():
    tx, xx = both([1.0, 2.0])
    for x in (tx, xx):
        assert x.is_leaf and x.grad_fn is None
    for f in (lambda x: x * 2, lambda x: x + 1, lambda x: 1 - x, lambda x: x / 2, lambda x: x ** 2,
              lambda x: x.sum(), lambda x: x.mean(), lambda x: x[0], lambda x: x[1:], lambda x: x.view(2, 1),
              lambda x: x.view(1, 2).t(), lambda x: x.relu()):
        t, x = f(tx), f(xx)
        assert x.grad_fn.name() == type(t.grad_fn).__name__
        assert x.is_leaf is t.is_leaf is False
        assert x.requires_grad is True


def test_next_functions_reach_the_leaf():
    x = xptorch.ones(2, requires_grad=True)
    y = (x * 2).sum()
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    acc = mul.next_functions[0][0]
    assert acc.name() == "AccumulateGrad" and acc.variable is x


def test_retain_grad_and_hooks():
    tx, xx = both([1.0, -2.0, 3.0])
    seen = {}
    for lib, x in (("t", tx), ("x", xx)):
        h = x * 2
        h.retain_grad()
        x.register_hook(lambda g, lib=lib: g * 10)
        (h * h).sum().backward()
        seen[lib] = h
    assert_same_tensor(seen["x"].grad, seen["t"].grad)
    assert_same_tensor(xx.grad, tx.grad)


def test_autograd_grad_does_not_touch_dot_grad():
    tx, xx = both([1.0, 2.0, 3.0])
    ty, xy = both([0.5, 0.5, 0.5])
    (tgx, tgy) = torch.autograd.grad((tx * ty).sum(), [tx, ty])
    (xgx, xgy) = xptorch.autograd.grad((xx * xy).sum(), [xx, xy])
    assert_same_tensor(xgx, tgx)
    assert_same_tensor(xgy, tgy)
    assert xx.grad is None and xy.grad is None


def test_autograd_grad_allow_unused_and_errors():
    tx, xx = both([1.0, 2.0])
    tu, xu = both([3.0])
    out_t, out_x = torch.autograd.grad((tx * 2).sum(), [tx, tu], allow_unused=True), \
        xptorch.autograd.grad((xx * 2).sum(), [xx, xu], allow_unused=True)
    assert out_x[1] is None and out_t[1] is None
    check_error(lambda: torch.autograd.grad((tx * 2).sum(), [tx, tu]),
                lambda: xptorch.autograd.grad((xx * 2).sum(), [xx, xu]))
    check_error(lambda: torch.autograd.grad((tx * 2).sum(), [torch.ones(2)]),
                lambda: xptorch.autograd.grad((xx * 2).sum(), [xptorch.ones(2)]))


def test_backward_inputs_only_accumulates_there():
    tx, xx = both([1.0, 2.0])
    ty, xy = both([3.0, 4.0])
    (tx * ty).sum().backward(inputs=[ty])
    (xx * xy).sum().backward(inputs=[xy])
    assert xx.grad is None and tx.grad is None
    assert_same_tensor(xy.grad, ty.grad)


# ---- graph lifetime ---------------------------------------------------------------------------

def test_second_backward_through_freed_graph_raises_torchs_message():
    tx, xx = both([1.0, 2.0])
    ty, xy = (tx * tx).sum(), (xx * xx).sum()
    ty.backward()
    xy.backward()
    check_error(ty.backward, xy.backward)


def test_retain_graph_allows_second_backward():
    tx, xx = both([1.0, 2.0])
    ty, xy = (tx.exp() * tx).sum(), (xx.exp() * xx).sum()
    for y in (ty, xy):
        y.backward(retain_graph=True)
        y.backward()
    assert_same_tensor(xx.grad, tx.grad)


def test_graph_without_saved_tensors_can_backward_twice():
    tx, xx = both([1.0, 2.0])
    for x in (tx, xx):
        y = (x + 1).sum()
        y.backward()
        y.backward()
    assert_same_tensor(xx.grad, tx.grad)


def test_backward_frees_saved_arrays():
    x = xptorch.ones(4, requires_grad=True)
    y = x * x
    node = y.grad_fn
    y.sum().backward()
    assert node.a is None and node.b is None and node._checks is None


@pytest.mark.parametrize("case", ["non_scalar", "no_grad_tensor", "shape"])
def test_backward_errors(case):
    tx, xx = both([[1.0, 2.0]])
    if case == "non_scalar":
        check_error(lambda: (tx * 2).backward(), lambda: (xx * 2).backward())
    elif case == "no_grad_tensor":
        check_error(lambda: torch.ones(2).sum().backward(), lambda: xptorch.ones(2).sum().backward())
    else:
        check_error(lambda: (tx * 2).backward(torch.ones(3)), lambda: (xx * 2).backward(xptorch.ones(3)))


# ---- grad modes ---------------------------------------------------------------------------------

def test_no_grad_enable_grad_set_grad_enabled():
    x = xptorch.ones(2, requires_grad=True)
    with xptorch.no_grad():
        assert not xptorch.is_grad_enabled()
        y = x * 2
        with xptorch.enable_grad():
            z = x * 2
        with xptorch.set_grad_enabled(True):
            w = x * 2
    assert xptorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and w.requires_grad
    with xptorch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert xptorch.is_grad_enabled()
    xptorch.set_grad_enabled(False)
    try:
        assert not xptorch.is_grad_enabled()
    finally:
        xptorch.set_grad_enabled(True)
    assert xptorch.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = xptorch.ones(2, requires_grad=True)

    @xptorch.no_grad()
    def f():
        return x * 2

    @xptorch.enable_grad()
    def g():
        return x * 2

    @xptorch.set_grad_enabled(False)
    def h():
        return x * 2

    @xptorch.no_grad
    def bare():
        return x * 2

    @xptorch.inference_mode(False)
    def keeps():
        return x * 2

    assert not f().requires_grad and not bare().requires_grad and keeps().requires_grad
    with xptorch.no_grad():
        assert g().requires_grad
    assert not h().requires_grad
    assert xptorch.is_grad_enabled()
    assert f.__name__ == "f" and bare.__name__ == "bare"


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with xptorch.no_grad():
            raise ValueError("boom")
    assert xptorch.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = []
    with xptorch.no_grad():
        t = threading.Thread(target=lambda: seen.append(xptorch.is_grad_enabled()))
        t.start()
        t.join()
        assert not xptorch.is_grad_enabled()
    assert seen == [True]


def test_detach_and_data_share_memory_without_history():
    x = xptorch.tensor([1.0, 2.0], requires_grad=True)
    d, dd = x.detach(), x.data
    assert not d.requires_grad and d.grad_fn is None and not dd.requires_grad
    d[0] = 5.0
    dd[1] = 7.0
    np.testing.assert_array_equal(x.detach().cpu().numpy(), [5.0, 7.0])
    assert x._version == d._version  # detach shares the version counter, .data does not
    assert dd._version == 1


# ---- version counter and in-place checks -------------------------------------------------------

def _version_case(lib, which):
    x = lib.ones(3, requires_grad=True)
    if which == "saved_input":
        w = lib.ones(3)
        y = (x * w).sum()
        w.add_(1)
    elif which == "saved_output":
        h = x.exp()
        h.add_(1)
        y = h.sum()
    elif which == "saved_nonleaf":
        h = x * 2
        y = (h * h).sum()
        h.add_(1)
    elif which == "inplace_after_inplace":
        h = x * 1
        h.sigmoid_()
        h.tanh_()
        y = h.sum()
    elif which == "double_view":
        w = lib.ones(2, 3, dtype=lib.float64)
        y = (x * w).sum()
        w[0].mul_(2)
    elif which == "scalar":
        w = lib.ones((), dtype=lib.float64)
        y = (x * w).sum()
        w.add_(1)
    else:
        raise AssertionError(which)
    y.backward()


@pytest.mark.parametrize("which", ["saved_input", "saved_output", "saved_nonleaf", "double_view", "scalar",
                                   "inplace_after_inplace"])
def test_version_counter_catches_inplace_edit_of_saved_tensor(which):
    err = check_error(lambda: _version_case(torch, which), lambda: _version_case(xptorch, which))
    assert "xptorch." in str(err)


def test_inplace_on_non_leaf_rebases_history():
    tx, xx = both([1.0, -2.0, 3.0])
    for x in (tx, xx):
        h = x * 2
        h.add_(1)
        h.mul_(x)
        h.relu_()
        h.sum().backward()
    assert_same_tensor(xx.grad, tx.grad)
    for lib, x in ((torch, tx), (xptorch, xx)):
        h = x * 2
        h.mul_(3)
        assert (h.grad_fn.name() if lib is xptorch else type(h.grad_fn).__name__) == "MulBackward0"


def test_inplace_mul_by_self_is_caught():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.mul_(y)
        y.sum().backward()

    check_error(lambda: run(torch), lambda: run(xptorch))


@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "fill_", "uniform_", "normal_", "copy_", "clamp_",
                                "setitem", "setitem_adv", "iadd", "view_add_"])
def test_inplace_on_leaf_requiring_grad_raises(op):
    def run(lib):
        w = lib.ones(2, 2, requires_grad=True)
        if op == "add_":
            w.add_(1)
        elif op == "mul_":
            w.mul_(2)
        elif op == "zero_":
            w.zero_()
        elif op == "fill_":
            w.fill_(3)
        elif op == "uniform_":
            w.uniform_()
        elif op == "normal_":
            w.normal_()
        elif op == "copy_":
            w.copy_(lib.zeros(2, 2))
        elif op == "clamp_":
            w.clamp_(0, 1)
        elif op == "setitem":
            w[0, 0] = 42.0
        elif op == "setitem_adv":
            w[[0, 1]] = 1.0
        elif op == "iadd":
            w += 1
        else:
            w[0].add_(1)

    check_error(lambda: run(torch), lambda: run(xptorch))
    w = xptorch.ones(2, 2, requires_grad=True)
    with xptorch.no_grad():
        w.add_(1)
        w[0, 0] = 5
        w.uniform_(-1, 1)
    assert w.requires_grad and w.is_leaf


def test_requires_grad_errors():
    check_error(lambda: torch.ones(2, dtype=torch.long).requires_grad_(),
                lambda: xptorch.ones(2, dtype=xptorch.long).requires_grad_())
    check_error(lambda: torch.zeros(2, dtype=torch.int32, requires_grad=True),
                lambda: xptorch.zeros(2, dtype=xptorch.int32, requires_grad=True))
    check_error(lambda: torch.tensor([1, 2], requires_grad=True), lambda: xptorch.tensor([1, 2], requires_grad=True))
    tx, xx = both([1.0])
    check_error(lambda: (tx * 2).requires_grad_(False), lambda: (xx * 2).requires_grad_(False))

    def set_flag(t):
        t.requires_grad = True

    check_error(lambda: set_flag(torch.ones(1, dtype=torch.bool)), lambda: set_flag(xptorch.ones(1, dtype=xptorch.bool)))


def test_grad_setter_validates():
    def assign(lib, g):
        x = lib.ones(2, requires_grad=True)
        x.grad = g

    check_error(lambda: assign(torch, torch.ones(3)), lambda: assign(xptorch, xptorch.ones(3)))
    check_error(lambda: assign(torch, torch.ones(2, dtype=torch.float64)),
                lambda: assign(xptorch, xptorch.ones(2, dtype=xptorch.float64)))


def test_copy_from_tensor_requiring_grad_is_tracked():
    tx, xx = both([1.0, 2.0])
    for lib, x in ((torch, tx), (xptorch, xx)):
        buf = lib.zeros(2, 2, dtype=lib.float64)
        buf.copy_(x * 3)
        buf.sum().backward()
    assert_same_tensor(xx.grad, tx.grad)


def test_setitem_into_graph_tensor_is_tracked():
    tx, xx = both([1.0, 2.0, 3.0])
    tv, xv = both([5.0])
    names = []
    for lib, x, v in ((torch, tx, tv), (xptorch, xx, xv)):
        h = x * 2
        h[1:2] = v * v
        h[[0]] = 0.5
        names.append(h.grad_fn.name() if lib is xptorch else type(h.grad_fn).__name__)
        (h * h).sum().backward()
    assert names[0] == names[1]
    assert_same_tensor(xx.grad, tx.grad)
    assert_same_tensor(xv.grad, tv.grad)


def test_anomaly_mode_names_the_nan_op():
    x = xptorch.tensor([0.0, 1.0], requires_grad=True)
    with xptorch.autograd.detect_anomaly():
        y = (x.sqrt() * 0).sum()
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output."):
            y.backward()
    assert not xptorch.autograd.is_anomaly_enabled()
