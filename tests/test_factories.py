"""Factories against torch 2.13: dtypes, shapes, values, errors; seeded generators are reproducible."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from oracle import SETTINGS, assert_same_tensor, check_error, xp_message  # noqa: E402

DTYPE_NAMES = ["float16", "float32", "float64", "int32", "int64", "bool"]


def _both(name):
    return getattr(torch, name), getattr(xptorch, name)


DETERMINISTIC = {
    "tensor_floats": lambda lib: lib.tensor([[1.5, 2.0], [3.0, -4.25]]),
    "tensor_ints": lambda lib: lib.tensor([1, 2, 3]),
    "tensor_bools": lambda lib: lib.tensor([True, False]),
    "tensor_mixed": lambda lib: lib.tensor([1, 2.5, True]),
    "tensor_int_bool": lambda lib: lib.tensor([True, 1]),
    "tensor_scalar": lambda lib: lib.tensor(3),
    "tensor_scalar_float": lambda lib: lib.tensor(3.5),
    "tensor_empty": lambda lib: lib.tensor([]),
    "tensor_empty_2d": lambda lib: lib.tensor([[]]),
    "tensor_dtype": lambda lib: lib.tensor([1, 2], dtype=lib.float64),
    "tensor_cast_down": lambda lib: lib.tensor(3.7, dtype=lib.int64),
    "tensor_numpy_scalar": lambda lib: lib.tensor(np.float64(2.5)),
    "tensor_numpy_int32": lambda lib: lib.tensor(np.int32(3)),
    "tensor_of_0d_tensors": lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    "tensor_from_tensor": lambda lib: lib.tensor(lib.ones(2, dtype=lib.int32)),
    "as_tensor_list": lambda lib: lib.as_tensor([1, 2], dtype=lib.float64),
    "as_tensor_array": lambda lib: lib.as_tensor(np.arange(3, dtype=np.int32)),
    "from_numpy": lambda lib: lib.from_numpy(np.arange(6.0).reshape(2, 3)),
    "zeros": lambda lib: lib.zeros(2, 3),
    "zeros_tuple": lambda lib: lib.zeros((2, 3), dtype=lib.int64),
    "zeros_empty": lambda lib: lib.zeros(0, 3),
    "zeros_scalar": lambda lib: lib.zeros(()),
    "ones": lambda lib: lib.ones(4, dtype=lib.bool),
    "ones_list": lambda lib: lib.ones([2, 2], dtype=lib.float16),
    "full_float": lambda lib: lib.full((2, 2), 1.5),
    "full_int": lambda lib: lib.full((2,), 3),
    "full_bool": lambda lib: lib.full((2,), True),
    "full_dtype": lambda lib: lib.full((2,), 1.5, dtype=lib.int64),
    "zeros_like": lambda lib: lib.zeros_like(lib.ones(2, 3, dtype=lib.int32)),
    "ones_like": lambda lib: lib.ones_like(lib.zeros(2, dtype=lib.float64)),
    "ones_like_dtype": lambda lib: lib.ones_like(lib.zeros(2), dtype=lib.int64),
    "full_like": lambda lib: lib.full_like(lib.zeros(2, 2), 7),
    "arange": lambda lib: lib.arange(5),
    "arange_start": lambda lib: lib.arange(2, 9, 3),
    "arange_float": lambda lib: lib.arange(0, 1, 0.1),
    "arange_neg": lambda lib: lib.arange(5, 0, -1.5),
    "arange_dtype": lambda lib: lib.arange(5, dtype=lib.float32),
    "arange_empty": lambda lib: lib.arange(0),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "linspace_one": lambda lib: lib.linspace(-2, 3, 1),
    "linspace_zero": lambda lib: lib.linspace(0, 1, 0),
    "linspace_int": lambda lib: lib.linspace(0, 10, 5, dtype=lib.int64),
    "linspace_f64": lambda lib: lib.linspace(-1, 1, 7, dtype=lib.float64),
    "eye": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(3, 2, dtype=lib.int64),
    "eye_zero": lambda lib: lib.eye(0),
}


def _recorded(f):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = f()
    return out, [(w.category, xp_message(str(w.message))) for w in seen]


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_factories(name):
    f = DETERMINISTIC[name]
    (x, xw), (t, tw) = _recorded(lambda: f(xptorch)), _recorded(lambda: f(torch))
    assert xw == tw
    assert_same_tensor(x, t)
    assert repr(x) == xp_message(repr(t))


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_shape_dtype_factories(fn, dtype):
    t = getattr(torch, fn)(2, 3, dtype=getattr(torch, dtype))
    x = getattr(xptorch, fn)(2, 3, dtype=getattr(xptorch, dtype))
    assert tuple(x.shape) == tuple(t.shape) and str(x.dtype) == xp_message(str(t.dtype))
    e = getattr(xptorch, fn + "_like")(x)
    assert e.shape == x.shape and e.dtype == x.dtype


def test_float32_is_the_default():
    for x in (xptorch.zeros(2), xptorch.ones(2), xptorch.empty(2), xptorch.rand(2), xptorch.randn(2),
              xptorch.tensor([1.0]), xptorch.full((1,), 2.0), xptorch.linspace(0, 1, 3), xptorch.eye(2),
              xptorch.arange(0.0, 1.0, 0.5)):
        assert x.dtype is xptorch.float32
    assert xptorch.get_default_dtype() is xptorch.float32
    assert xptorch.randint(0, 5, (3,)).dtype is xptorch.int64 and xptorch.arange(3).dtype is xptorch.int64


def test_requires_grad_argument():
    for f in (lambda lib: lib.zeros(2, requires_grad=True), lambda lib: lib.ones(2, requires_grad=True),
              lambda lib: lib.tensor([1.0], requires_grad=True), lambda lib: lib.rand(2, requires_grad=True),
              lambda lib: lib.randn(2, requires_grad=True), lambda lib: lib.full((2,), 1.0, requires_grad=True),
              lambda lib: lib.empty(2, requires_grad=True), lambda lib: lib.arange(3.0, requires_grad=True)):
        x, t = f(xptorch), f(torch)
        assert x.requires_grad == t.requires_grad is True and x.is_leaf and x.grad_fn is None


def test_tensor_copies_and_as_tensor_shares():
    arr = np.arange(4.0)
    assert not np.shares_memory(xptorch.tensor(arr).numpy(), arr)
    shared = xptorch.as_tensor(arr)
    assert np.shares_memory(shared.numpy(), arr)
    assert np.shares_memory(xptorch.from_numpy(arr).numpy(), arr)
    assert not np.shares_memory(xptorch.as_tensor(arr, dtype=xptorch.float32).numpy(), arr)
    t = xptorch.ones(3)
    assert xptorch.as_tensor(t) is t


ERRORS = {
    "zeros_neg": lambda lib: lib.zeros(-1),
    "zeros_neg2": lambda lib: lib.zeros(2, -3),
    "ones_neg": lambda lib: lib.ones(2, -3),
    "empty_neg": lambda lib: lib.empty(-1),
    "rand_neg": lambda lib: lib.rand(-2),
    "zeros_float": lambda lib: lib.zeros(2.5),
    "ones_float_in_tuple": lambda lib: lib.ones((2, 2.5)),
    "full_not_tuple": lambda lib: lib.full(3, 2.0),
    "full_neg": lambda lib: lib.full((-1,), 2.0),
    "ragged": lambda lib: lib.tensor([[1, 2], [3, 4, 5]]),
    "ragged_deep": lambda lib: lib.tensor([[[1], [2]], [[1], [2, 3]]]),
    "not_a_sequence": lambda lib: lib.tensor([[1, 2], 3]),
    "none": lambda lib: lib.tensor(None),
    "none_in_list": lambda lib: lib.tensor([None]),
    "from_numpy_list": lambda lib: lib.from_numpy([1, 2]),
    "arange_sign": lambda lib: lib.arange(1, 0, 1),
    "arange_zero_step": lambda lib: lib.arange(1, 2, 0),
    "linspace_neg": lambda lib: lib.linspace(0, 1, -1),
    "eye_neg": lambda lib: lib.eye(-1),
    "randint_bounds": lambda lib: lib.randint(5, 2, (2,)),
    "randn_int": lambda lib: lib.randn(2, dtype=lib.int64),
    "rand_int": lambda lib: lib.rand(2, dtype=lib.int64),
    "int_requires_grad": lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_factory_errors(name):
    f = ERRORS[name]
    check_error(lambda: f(torch), lambda: f(xptorch))


# ---- random ---------------------------------------------------------------------------------

def test_manual_seed_reproduces_every_random_factory():
    def draw():
        return [xptorch.rand(3, 4), xptorch.randn(5), xptorch.randint(0, 10, (6,)), xptorch.randint(7, (2, 2)),
                xptorch.empty(4).uniform_(-1, 1), xptorch.empty(4).normal_(2, 3), xptorch.rand(2, dtype=xptorch.float64)]

    xptorch.manual_seed(123)
    a = draw()
    xptorch.manual_seed(123)
    b = draw()
    xptorch.manual_seed(124)
    c = draw()
    for x, y, z in zip(a, b, c):
        assert x.dtype == y.dtype and x.numpy().tobytes() == y.numpy().tobytes()
        assert x.numpy().tobytes() != z.numpy().tobytes()


def test_generator_objects_are_independent_streams():
    g1 = xptorch.Generator().manual_seed(7)
    xptorch.manual_seed(0)
    first = xptorch.rand(5, generator=g1)
    xptorch.rand(100)  # the default stream does not move g1
    g2 = xptorch.Generator()
    g2.manual_seed(7)
    assert first.tolist() == xptorch.rand(5, generator=g2).tolist()
    assert g1.initial_seed() == 7
    state = g1.get_state()
    x = xptorch.randn(3, generator=g1)
    g1.set_state(state)
    assert x.tolist() == xptorch.randn(3, generator=g1).tolist()


def test_random_distributions():
    xptorch.manual_seed(0)
    u = xptorch.rand(20_000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.01
    n = xptorch.randn(20_000, dtype=xptorch.float64)
    assert n.dtype is xptorch.float64 and abs(n.mean().item()) < 0.03 and abs(n.std().item() - 1) < 0.03
    r = xptorch.randint(-3, 4, (20_000,))
    assert r.min().item() == -3 and r.max().item() == 3 and r.dtype is xptorch.int64
    rf = xptorch.randint(0, 5, (4,), dtype=xptorch.float32)
    assert rf.dtype is xptorch.float32


@SETTINGS
@given(start=st.floats(-100, 100), end=st.floats(-100, 100), steps=st.integers(0, 50),
       dtype=st.sampled_from(["float32", "float64", "int64"]))
def test_linspace_bitwise(start, end, steps, dtype):
    t = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    x = xptorch.linspace(start, end, steps, dtype=getattr(xptorch, dtype))
    assert x.numpy().tobytes() == t.numpy().tobytes()


@SETTINGS
@given(start=st.integers(-20, 20), end=st.integers(-20, 20), step=st.sampled_from([1, 2, 3, -1, -2, 0.5, -0.25, 0.1]))
def test_arange_matches(start, end, step):
    f = lambda lib: lib.arange(start, end, step)  # noqa: E731
    try:
        t = f(torch)
    except RuntimeError as exc:
        from oracle import assert_same_error

        assert_same_error(exc, lambda: f(xptorch))
        return
    assert_same_tensor(f(xptorch), t)


def test_half_precision_random_fills_round_the_float32_stream():
    xptorch.manual_seed(3)
    h = xptorch.empty(1000, dtype=xptorch.float16).uniform_(-2, 2)
    xptorch.manual_seed(3)
    f = xptorch.empty(1000).uniform_(-2, 2)
    assert h.dtype == xptorch.float16
    np.testing.assert_array_equal(h.numpy(), f.numpy().astype(np.float16))
    assert float(xptorch.empty(1000, dtype=xptorch.float16).normal_().std()) > 0.5


def test_uniform_bounds_message_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as ours:
        xptorch.empty(3).uniform_(2, 1)
    with pytest.raises(RuntimeError) as theirs:
        torch.empty(3).uniform_(2, 1)
    assert str(ours.value) == str(theirs.value)


# Ranges whose values PyTorch's vectorised CPU kernel rounds differently from start + i * step: zero
# crossings (D2L's activation plots use arange(-8.0, 8.0, 0.1)), long ranges, negative and inexact steps.
_FLOAT_RANGES = [(-8.0, 8.0, 0.1), (-2.5, 2.5, 0.1), (0, 1, 0.01), (-7, 7, 0.01), (0.5, 10, 0.3), (1, 2, 1 / 3),
                 (5, -3, -0.3), (0.1, 0.9, 0.013), (-1e3, 1e3, 0.37), (0, 3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args", _FLOAT_RANGES)
def test_float_arange_is_bitwise_torch(args, dtype, device):
    t = torch.arange(*args, dtype=getattr(torch, dtype))
    x = xptorch.arange(*args, dtype=getattr(xptorch, dtype), device=device)
    assert x.device.type == device
    np.testing.assert_array_equal(x.cpu().numpy(), t.numpy())
    assert repr(x.cpu()) == xp_message(repr(t))


def _mixed_sequences(lib):
    return [[np.float64(1.5)], [np.float64(1.5), np.float32(1)], [np.int32(1), 2], [np.int32(1), np.int8(2)],
            [np.float16(1), 2.0], [np.int64(1), 2.5], [lib.tensor(1.0, dtype=lib.float64)],
            [lib.tensor(1, dtype=lib.int32), 2], [lib.tensor(1, dtype=lib.int8), True], [np.uint8(3), np.int8(1)],
            [lib.tensor(1.0, dtype=lib.float16), 2.0], [], [[]], [[np.float64(1)], [2.0]], [True, False], [1, 2.0]]


@pytest.mark.parametrize("k", range(16))
def test_tensor_of_a_sequence_promotes_its_elements_dtypes_as_torch(k):
    """NumPy scalars and tensors inside a list bring their dtype; Python scalars count as the defaults."""
    want = torch.tensor(_mixed_sequences(torch)[k])
    got = xptorch.tensor(_mixed_sequences(xptorch)[k])
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    assert got.tolist() == want.tolist()
