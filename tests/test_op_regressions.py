"""Regression tests for single op bugs (silent wrong gradients, refusals, crashes), each against torch."""
import threading
import warnings

import numpy as np
import pytest

import xptorch
from oracle import check_error, to_numpy, torch


def both(fn):
    """fn(lib) in torch and in xptorch; the results compared as arrays (or the same error raised)."""
    try:
        t = fn(torch)
    except Exception as e:  # noqa: BLE001
        from oracle import assert_same_error

        assert_same_error(e, lambda: fn(xptorch), exact=False)
        return None, None
    x = fn(xptorch)
    ts = t if isinstance(t, (tuple, list)) else [t]
    xs = x if isinstance(x, (tuple, list)) else [x]
    assert len(ts) == len(xs)
    for a, b in zip(xs, ts):
        if isinstance(b, torch.Tensor):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-6, equal_nan=True)
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        else:
            assert a == b or (a != a and b != b), (a, b)
    return t, x


def grad_of(lib, program, values, dtype="float64"):
    x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
    program(lib, x).backward()
    return x.grad


def same_grad(program, values, dtype="float64"):
    both(lambda lib: grad_of(lib, program, values, dtype))


# ---- gradients that were silently wrong or missing ----------------------------------------------

def test_cumsum_gradient():
    same_grad(lambda lib, x: (x.cumsum(0) + x).sum(), [1.0, 2.0, 3.0])
    assert xptorch.ones(3, requires_grad=True).cumsum(0).requires_grad


def test_repeat_gradient():
    same_grad(lambda lib, x: (x.repeat(2, 3) * lib.arange(12.0, dtype=x.dtype).reshape(2, 6)).sum(), [1.0, 2.0])


@pytest.mark.parametrize("op", ["round", "floor", "ceil", "sign"])
def test_rounding_ops_have_zero_gradients(op):
    same_grad(lambda lib, x: getattr(x, op)().sum(), [0.4, -1.6, 2.5])


def test_sign_of_nan_is_zero():
    both(lambda lib: lib.tensor([float("nan"), -2.0, 0.0]).sign())


def test_view_taken_before_inplace_edit_of_base():
    def prog(lib, x):
        b = x.clone()
        v = b[0:2]
        b.mul_(2)
        return v.sum()

    same_grad(prog, [1.0, 2.0, 3.0])


def test_view_sees_edit_through_sibling_view():
    def prog(lib, x):
        b = x.clone()
        v = b[0:2]
        b[1:].mul_(3)
        return (v * lib.tensor([1.0, 10.0], dtype=x.dtype)).sum()

    same_grad(prog, [1.0, 2.0, 3.0])


def test_saved_view_modified_through_base_raises_as_torch():
    def prog(lib, x):
        b = x.clone()
        v = b[0:2]
        y = v * v
        b.mul_(2)
        return y.sum()

    both(lambda lib: grad_of(lib, prog, [1.0, 2.0, 3.0]))


def test_backward_through_t_of_0d():
    same_grad(lambda lib, x: x.t() * 3, 2.0)


# ---- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("expr", ["a // 0", "a % 0", "a // b", "a % b"])
def test_integer_division_by_zero(expr):
    check_error(lambda: eval(expr, {"a": torch.tensor([1, 2]), "b": torch.tensor([1, 0])}),
                lambda: eval(expr, {"a": xptorch.tensor([1, 2]), "b": xptorch.tensor([1, 0])}))


def test_trunc_division_of_large_integers_is_exact():
    both(lambda lib: lib.div(lib.tensor([2 ** 53 + 1, -(2 ** 60) - 7]), lib.tensor([1, 3]), rounding_mode="trunc"))


def test_floor_division_refuses_backward_as_torch():
    def prog(lib, x):
        return (x // 2).sum()

    both(lambda lib: grad_of(lib, prog, [1.0, 3.0]))


# ---- fill_ ---------------------------------------------------------------------------------------

def test_failed_fill_keeps_grad_fn_and_values():
    w = xptorch.ones(3, requires_grad=True)
    y = w * 2
    fn = y.grad_fn
    with pytest.raises(TypeError):
        y.fill_("abc")
    assert y.grad_fn is fn and y._version == 0
    assert y.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("dtype,value", [("int8", 300), ("uint8", 256), ("int32", 2 ** 31), ("float32", 1e40),
                                         ("float16", 1e5), ("uint8", -1), ("int32", 1e10)])
def test_fill_overflow(dtype, value):
    both(lambda lib: lib.zeros(3, dtype=getattr(lib, dtype)).fill_(value))


def test_fill_through_expanded_view():
    both(lambda lib: lib.zeros(1, 3).expand(2, 3).fill_(2.0))


def test_inplace_into_expanded_view_refused():
    both(lambda lib: lib.zeros(1, 3).expand(2, 3).exp_())
    both(lambda lib: lib.zeros(1, 3).expand(2, 3).add_(1))


# ---- masked_fill_ and index assignment ------------------------------------------------------------

def test_masked_fill_inplace_is_recorded():
    def prog(lib, x):
        y = x * 1
        y.masked_fill_(x > 1.5, 0.0)
        return (y * y).sum()

    same_grad(prog, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("inplace", [False, True])
def test_masked_fill_refuses_integer_mask(inplace):
    name = "masked_fill_" if inplace else "masked_fill"
    check_error(lambda: getattr(torch.zeros(3), name)(torch.tensor([0, 1, 0]), 1.0),
                lambda: getattr(xptorch.zeros(3), name)(xptorch.tensor([0, 1, 0]), 1.0))


def test_setitem_value_with_extra_leading_dims_gradient():
    def prog(lib, x):
        y = lib.zeros(4, 3, dtype=x.dtype)
        y[0] = x
        return (y * lib.arange(12.0, dtype=x.dtype).reshape(4, 3)).sum()

    same_grad(prog, [[1.0, 2.0, 3.0]])


def test_overlapping_copy_refused():
    def prog(lib):
        x = lib.arange(5.0)
        x[1:] = x[:-1]
        return x

    both(prog)
    x = xptorch.arange(5.0)
    with pytest.raises(RuntimeError):
        x[1:] = x[:-1]
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_storing_overflowing_scalar_refused():
    def prog(lib):
        x = lib.zeros(3)
        x[0] = 1e40
        return x

    both(prog)


# ---- NaN and inf where torch is finite --------------------------------------------------------------

def test_zero_base_pow_gradient():
    same_grad(lambda lib, x: (0.0 ** x).sum(), [0.0, 1.0, 2.0, -1.0])


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_gradient_with_nan(op):
    same_grad(lambda lib, x: getattr(x, op)() * 2, [1.0, float("nan"), 2.0])


@pytest.mark.parametrize("p", [2, 1, 3.0, float("inf")])
def test_norm_gradient_at_zero(p):
    same_grad(lambda lib, x: x.norm(p=p), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("p", [0, float("-inf")])
def test_norm_p0_and_minus_inf(p):
    both(lambda lib: lib.tensor([0.0, -3.0, 2.0]).norm(p=p))


@pytest.mark.parametrize("fn", ["std", "var"])
def test_float32_std_var_do_not_overflow(fn):
    both(lambda lib: getattr(lib.tensor([1e30, -1e30]), fn)())
    same_grad(lambda lib, x: getattr(x, fn)(), [1e30, -1e30], dtype="float32")


def test_softmax_of_row_with_inf():
    both(lambda lib: lib.tensor([[1.0, float("inf"), 0.0], [1.0, 2.0, 3.0]]).softmax(1))
    both(lambda lib: lib.tensor([[-float("inf"), -float("inf")]]).log_softmax(1))


# ---- thread-safe accumulation -------------------------------------------------------------------------

def test_concurrent_backward_into_shared_parameter_loses_no_update():
    w = xptorch.nn.Parameter(xptorch.zeros(256))
    n_threads, reps = 8, 30
    barrier = threading.Barrier(n_threads)
    errors = []

    def work():
        try:
            barrier.wait(timeout=30)
            for _ in range(reps):
                (w * 1.0).sum().backward()
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert w.grad.tolist() == [float(n_threads * reps)] * 256


def test_first_gradients_from_several_threads_are_all_kept():
    """Threads that meet a leaf without .grad at once: one array goes in, the others add into it."""
    n_threads, rounds = 4, 150
    w = xptorch.zeros(64, requires_grad=True)
    barrier = threading.Barrier(n_threads + 1)
    errors = []

    def work():
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)  # the main thread has just dropped .grad
                (w * 1.0).sum().backward()
                barrier.wait(timeout=30)
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    lost = []
    try:
        for r in range(rounds):
            w.grad = None
            barrier.wait(timeout=30)
            barrier.wait(timeout=30)
            if w.grad is None or w.grad.tolist() != [float(n_threads)] * 64:
                lost.append((r, None if w.grad is None else w.grad.tolist()[:2]))
    finally:
        for t in threads:
            t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert not lost, f"rounds with lost gradients: {lost[:5]}"


# ---- more refusals and crashes --------------------------------------------------------------------------

CASES = {
    "arange_int_fraction": lambda lib: lib.arange(0, 5, 0.5, dtype=lib.int64),
    "arange_inf": lambda lib: lib.arange(0, float("inf")),
    "split_sizes_sum": lambda lib: lib.zeros(5, 2).split([2, 2]),
    "split_negative": lambda lib: lib.zeros(5, 2).split(-1),
    "chunk_zero": lambda lib: lib.zeros(5, 2).chunk(0),
    "chunk_empty": lambda lib: lib.zeros(0, 2).chunk(2),
    "chunk_empty_dim1": lambda lib: lib.zeros(2, 0).chunk(2, 1),
    "split_empty": lambda lib: lib.zeros(0, 2).split(2),
    "linear_f64_bias": lambda lib: lib.nn.functional.linear(lib.zeros(2, 3), lib.zeros(4, 3), lib.zeros(4, dtype=lib.float64)),
    "dot_2d": lambda lib: lib.zeros(2, 3).dot(lib.zeros(3, 2)),
    "dot_sizes": lambda lib: lib.zeros(3).dot(lib.zeros(4)),
    "random_leaf": lambda lib: lib.zeros(3, requires_grad=True).random_(0, 5),
    "int8_add_wraps": lambda lib: lib.tensor([1, 2], dtype=lib.int8) + 300,
    "int8_mul_wraps": lambda lib: lib.tensor([1, 2], dtype=lib.int8) * 1000,
    "int8_tensor_overflow": lambda lib: lib.tensor(300, dtype=lib.int8),
    "tensor_of_str": lambda lib: lib.tensor("abc"),
    "full_of_str": lambda lib: lib.full((2,), "a"),
    "relu_inplace_kwarg": lambda lib: lib.nn.functional.relu(lib.tensor([-1.0, 2.0]), inplace=True),
    "clamp_bounds_do_not_broadcast": lambda lib: lib.zeros(2, 3).clamp(lib.zeros(4)),
    "randperm_negative": lambda lib: lib.randperm(-1),
    "argmax_of_empty": lambda lib: lib.zeros(0).argmax(),
    "linspace_float_steps": lambda lib: lib.linspace(0, 1, 2.5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refusals_and_crashes(name):
    t, x = both(CASES[name])
    if name == "linspace_float_steps":
        return  # torch's TypeError lists its overloads; the type and first words are compared above
    if name.startswith(("chunk", "split_empty")) and t is not None:
        assert [tuple(a.shape) for a in x] == [tuple(b.shape) for b in t]


@pytest.mark.parametrize("fill", ["uniform_", "normal_", "bernoulli_"])
def test_random_fill_of_tensor_in_graph(fill):
    x = xptorch.ones(3, requires_grad=True)
    y = x * 2
    getattr(y, fill)()
    (y * 3).sum().backward()
    assert y.grad_fn is not None and x.grad.tolist() == [0.0, 0.0, 0.0]


def test_huge_allocation_is_a_fast_runtime_error():
    import time

    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="you tried to allocate 400000000000000 bytes"):
        xptorch.empty(10 ** 7, 10 ** 7)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("prog", ["clamp_input", "amax_output", "std_output"])
def test_saved_tensors_edited_in_place_are_caught(prog):
    def run(lib):
        x = lib.tensor([[0.5, -1.0, 2.0], [1.0, 0.2, -0.3]], dtype=lib.float64, requires_grad=True)
        y = x * 1
        if prog == "clamp_input":
            z = y.clamp(-0.5, 0.8)
            y.add_(1)
        elif prog == "amax_output":
            z = y.amax(0)
            z.clamp_(-0.3, 0.6)
        else:
            z = y.std()
            z.mul_(2)
        (z.sum() + y.sum()).backward()
        return x.grad

    both(run)


def test_bad_index_reported_before_leaf_refusal():
    def run(lib):
        x = lib.tensor(1.0, requires_grad=True)
        x[..., 0:1] = 0.5

    both(run)


@pytest.mark.parametrize("lead", [(2, 6), (4,), (), (2, 3, 2)])
def test_bilinear_any_leading_dims(lead):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Bilinear(3, 4, 5)
        with lib.no_grad():
            m.weight.copy_(lib.tensor(np.linspace(-1, 1, 60).reshape(5, 3, 4), dtype=lib.float32))
            m.bias.copy_(lib.tensor([0.1, 0.2, 0.3, 0.4, 0.5]))
        x1 = lib.tensor(np.linspace(-2, 2, int(np.prod(lead + (3,)))).reshape(lead + (3,)), dtype=lib.float32)
        x2 = lib.tensor(np.linspace(1, -1, int(np.prod(lead + (4,)))).reshape(lead + (4,)), dtype=lib.float32)
        return m(x1, x2)

    both(run)


def _setitem_leading_ones(lib, target_shape, idx, value_shape):
    a = lib.zeros(target_shape, dtype=lib.float64)
    w = lib.arange(1.0, 1.0 + int(np.prod(value_shape)), dtype=lib.float64).reshape(value_shape).requires_grad_()
    a[idx] = w * 2
    (a * lib.arange(1.0, 1.0 + a.numel(), dtype=lib.float64).reshape(target_shape)).sum().backward()
    return a.detach(), w.grad


@pytest.mark.parametrize("target_shape,idx,value_shape", [
    ((5,), 2, (1, 1)),                      # a (1, 1) model output written into one element (D2L's sequence chapter)
    ((5, 3), slice(1, 3), (1, 1, 2, 3)),
    ((5, 3), (slice(None), 0), (1, 5)),
    ((5, 3), [0, 2], (1, 2, 3)),            # advanced index
    ((5, 3), slice(1, 3), (2, 1, 3)),       # refused: only leading ones are dropped
])
def test_setitem_drops_leading_ones_of_value(target_shape, idx, value_shape):
    both(lambda lib: _setitem_leading_ones(lib, target_shape, idx, value_shape))


def test_cross_without_dim_warns_once_as_torch(monkeypatch):
    """PyTorch's deprecation note on cross() without dim: its text, at the caller, once per process
    (torch.set_warn_always shows torch's on every call), before the checks of a call that then fails."""
    from oracle import _warning_list
    from xptorch._ops import combine

    a = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    was = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            torch.cross(torch.tensor(a), torch.tensor(a))
    finally:
        torch.set_warn_always(was)
    assert len(theirs) == 1
    for call in (lambda x: xptorch.cross(x, x), lambda x: x.cross(x)):
        monkeypatch.setattr(combine, "_default_dim_warned", [])
        x = xptorch.tensor(a)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            call(x)
            call(x)
            xptorch.cross(x, x, dim=1)
        assert _warning_list(ours) == _warning_list(theirs)
        assert ours[0].filename == __file__
    check_error(lambda: torch.cross(torch.ones(4, 2), torch.ones(4, 3)),
                lambda: xptorch.cross(xptorch.ones(4, 2), xptorch.ones(4, 3)))
    monkeypatch.setattr(combine, "_default_dim_warned", [])
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="no dimension of size 3 in input"):
            xptorch.cross(xptorch.ones(4, 2), xptorch.ones(4, 3))
    assert _warning_list(ours) == _warning_list(theirs)
