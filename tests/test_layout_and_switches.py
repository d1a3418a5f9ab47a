"""Memory formats (channels last), layouts, the global switches PyTorch code sets at start-up and
inference mode's query, against torch 2.13."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import error_of  # noqa: E402


def _both(fn):
    return fn(xptorch), fn(torch)



@pytest.mark.parametrize("make", [
    lambda lib, d: lib.arange(120.0, device=d).reshape(2, 3, 4, 5),
    lambda lib, d: lib.arange(24.0, device=d).reshape(2, 3, 1, 4),  # a size-1 dim constrains nothing
    lambda lib, d: lib.arange(120.0, device=d).reshape(2, 5, 4, 3).permute(0, 3, 1, 2),  # NHWC data already
    lambda lib, d: lib.arange(240.0, device=d).reshape(2, 3, 4, 10)[..., ::2],  # not dense
])
def test_channels_last_strides_and_contiguity_as_torch(make, device):
    x, t = make(xptorch, device), make(torch, "cpu")
    assert x.stride() == t.stride()
    for fmt in ("contiguous_format", "channels_last", "preserve_format"):
        assert x.is_contiguous(memory_format=getattr(xptorch, fmt)) == t.is_contiguous(
            memory_format=getattr(torch, fmt)), fmt
    for how in (lambda lib, a: a.to(memory_format=lib.channels_last),
                lambda lib, a: a.contiguous(memory_format=lib.channels_last),
                lambda lib, a: a.contiguous(),
                lambda lib, a: a.to(memory_format=lib.channels_last).clone(),
                lambda lib, a: a.to(memory_format=lib.channels_last).to(lib.float64),
                lambda lib, a: a.clone(memory_format=lib.contiguous_format),
                lambda lib, a: a.clone(memory_format=lib.channels_last)):
        y, u = how(xptorch, x), how(torch, t)
        assert y.stride() == u.stride()
        assert y.is_contiguous() == u.is_contiguous()
        np.testing.assert_array_equal(y.cpu().numpy(), u.numpy())


def test_channels_last_copy_is_a_copy_with_gradient(device):
    x = xptorch.randn(2, 3, 4, 5, device=device, requires_grad=True)
    y = x.contiguous(memory_format=xptorch.channels_last)
    assert type(y.grad_fn).__name__ == "CloneBackward0"
    assert y.contiguous(memory_format=xptorch.channels_last) is y  # already laid out: itself, as torch
    (y * xptorch.arange(5.0, device=device)).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.broadcast_to(np.arange(5.0), (2, 3, 4, 5)))
    z = y.detach().clone()
    z.add_(1)
    assert float(y.detach().sum() + 120) == pytest.approx(float(z.sum()))  # clone owns its memory


def test_empty_in_channels_last_as_torch(device):
    x = xptorch.empty(2, 3, 4, 5, memory_format=xptorch.channels_last, device=device, requires_grad=True)
    t = torch.empty(2, 3, 4, 5, memory_format=torch.channels_last, requires_grad=True)
    assert x.stride() == t.stride() and x.is_leaf and x.requires_grad


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, 3, 4).contiguous(memory_format=lib.channels_last),
    lambda lib: lib.ones(2, 3, 4).clone(memory_format=lib.channels_last),
    lambda lib: lib.ones(2, 3, 4).to(memory_format=lib.channels_last),
    lambda lib: lib.ones(2, 3).contiguous(memory_format="channels_last"),
])
def test_memory_format_errors_as_torch(call):
    ours, theirs = error_of(lambda: call(xptorch)), error_of(lambda: call(torch))
    assert ours is not None and ours[0] is theirs[0]
    assert ours[1] == theirs[1].replace("torch.", "torch.")


def test_reprs_and_layout():
    assert repr(xptorch.channels_last) == "xptorch.channels_last" and repr(xptorch.strided) == "xptorch.strided"
    assert xptorch.ones(2).layout is xptorch.strided


@pytest.fixture
def switches():
    yield
    xptorch.use_deterministic_algorithms(False)
    xptorch.set_float32_matmul_precision("highest")


def test_deterministic_switch_as_torch(switches):
    assert xptorch.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled() is False
    xptorch.use_deterministic_algorithms(True, warn_only=True)
    assert xptorch.are_deterministic_algorithms_enabled() and xptorch.is_deterministic_algorithms_warn_only_enabled()
    xptorch.use_deterministic_algorithms(False)
    assert not xptorch.is_deterministic_algorithms_warn_only_enabled()
    ours = error_of(lambda: xptorch.use_deterministic_algorithms("yes"))
    assert ours == error_of(lambda: torch.use_deterministic_algorithms("yes"))
    assert not xptorch.are_deterministic_algorithms_enabled()


def test_matmul_precision_as_torch(switches):
    assert xptorch.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    xptorch.set_float32_matmul_precision("high")
    assert xptorch.get_float32_matmul_precision() == "high"
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        xptorch.set_float32_matmul_precision("fastest")
    old = torch.get_float32_matmul_precision()
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.set_float32_matmul_precision("fastest")
    assert [str(w.message) for w in ours] == [str(w.message).split(" (Triggered internally")[0] for w in theirs]
    assert torch.get_float32_matmul_precision() == old and xptorch.get_float32_matmul_precision() == "high"


def test_inference_mode_query_as_torch():
    def states(lib):
        out = [lib.is_inference_mode_enabled()]
        with lib.inference_mode():
            out.append(lib.is_inference_mode_enabled())
            with lib.inference_mode(False):
                out.append(lib.is_inference_mode_enabled())
            out.append(lib.is_inference_mode_enabled())

        @lib.inference_mode()
        def f():
            return lib.is_inference_mode_enabled()

        return out + [f(), lib.is_inference_mode_enabled()]

    ours, theirs = _both(states)
    assert ours == theirs == [False, True, False, True, True, False]


def test_randint_like_as_torch(device):
    x = xptorch.ones(3, 4, device=device, dtype=xptorch.float64)
    a, b = xptorch.randint_like(x, 5), xptorch.randint_like(x, 2, 9)
    assert a.dtype == xptorch.float64 and a.shape == (3, 4) and a.device == x.device
    assert 0 <= float(a.min()) and float(a.max()) < 5 and 2 <= float(b.min()) and float(b.max()) < 9
    assert a.equal(a.floor())


def test_uninitialized_classes_where_torch_has_them():
    assert xptorch.nn.UninitializedParameter is xptorch.nn.parameter.UninitializedParameter
    assert xptorch.nn.UninitializedBuffer is xptorch.nn.parameter.UninitializedBuffer
    assert hasattr(torch.nn, "UninitializedParameter") and hasattr(torch.nn, "UninitializedBuffer")


def test_warn_always_repeats_the_once_per_process_warnings_as_torch():
    def count(lib):
        lib.set_warn_always(True)
        try:
            with warnings.catch_warnings(record=True) as got:
                warnings.simplefilter("always")
                for _ in range(2):
                    float(lib.ones(1, requires_grad=True))
                    lib.cross(lib.ones(2, 3), lib.ones(2, 3))
            return len(got), lib.is_warn_always_enabled()
        finally:
            lib.set_warn_always(False)

    assert count(xptorch) == count(torch) == (4, True)
    assert xptorch.is_warn_always_enabled() is False
    ours = error_of(lambda: xptorch.set_warn_always("x"))
    assert ours == error_of(lambda: torch.set_warn_always("x"))
