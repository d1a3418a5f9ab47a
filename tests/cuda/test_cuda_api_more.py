"""More of torch.cuda as PyTorch code calls it: RNG states per device, memory info and statistics,
set_stream, OutOfMemoryError, the deprecated torch.cuda.amp forms and NVTX ranges; on two GPUs of the
strict CuPy stand-in, and without CUDA."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


@pytest.fixture
def gpus(monkeypatch, strict_cuda):
    strict_cuda.set_device_count(2)
    monkeypatch.setattr(xptorch.cuda, "_tracking", False)
    monkeypatch.setattr(xptorch.cuda, "_peaks", {})
    yield strict_cuda


def test_rng_state_per_device_restores_the_same_numbers(gpus):
    c = xptorch.cuda
    c.manual_seed_all(5)
    states = c.get_rng_state_all()
    assert len(states) == 2 and all(s.dtype == xptorch.uint8 and s.device.type == "cpu" for s in states)
    a0, a1 = xptorch.rand(4, device="cuda:0"), xptorch.rand(4, device="cuda:1")
    c.set_rng_state(states[1], 1)
    assert xptorch.rand(4, device="cuda:1").tolist() == a1.tolist()
    assert xptorch.rand(4, device="cuda:0").tolist() != a0.tolist()  # device 0 went on
    c.set_rng_state_all(states)
    assert xptorch.rand(4, device="cuda:0").tolist() == a0.tolist()
    s = c.get_rng_state()
    b = xptorch.randn(3, device="cuda")
    c.set_rng_state(s, "cuda:0")
    assert xptorch.randn(3, device="cuda").tolist() == b.tolist()


def test_memory_info_stats_and_summary(gpus):
    c = xptorch.cuda
    free0, total0 = c.mem_get_info()
    keep = gpus.cuda.alloc(4096)
    free1, total1 = c.mem_get_info(0)
    assert total1 == total0 and free1 == free0 - 4096
    assert c.mem_get_info(1)[1] != total0  # the second device has its own total
    stats = c.memory_stats()
    assert stats["allocated_bytes.all.current"] == c.memory_allocated() == 4096
    assert stats["allocated_bytes.all.peak"] == c.max_memory_allocated()
    assert stats["reserved_bytes.all.current"] == c.memory_reserved()
    text = c.memory_summary()
    assert "Allocated memory" in text and "4.00 KiB" in text
    del keep
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        c.reset_max_memory_allocated()
    assert got[0].category is FutureWarning and "reset_peak_memory_stats" in str(got[0].message)
    assert c.max_memory_allocated() == c.memory_allocated() == 0


def test_set_stream_makes_it_current(gpus):
    c = xptorch.cuda
    s = c.Stream(device=1)
    c.set_stream(s)
    try:
        assert c.current_device() == 1 and c.current_stream(1) == s
    finally:
        c.set_stream(c.default_stream(1))
        c.set_device(0)


def test_init_and_is_initialized(gpus):
    xptorch.cuda.init()
    assert xptorch.cuda.is_initialized()


def test_deprecated_cuda_amp_forms_warn_as_torch_and_work(gpus):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        with xptorch.cuda.amp.autocast():
            y = xptorch.ones(2, 2, device="cuda") @ xptorch.ones(2, 2, device="cuda")
        scaler = xptorch.cuda.amp.GradScaler()
    assert y.dtype == xptorch.float16 and scaler.get_scale() == 2.0 ** 16
    msgs = [str(w.message) for w in got if w.category is FutureWarning]
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.cuda.amp.autocast(enabled=False)
        torch.cuda.amp.GradScaler(enabled=False)
    want = [str(w.message) for w in theirs if w.category is FutureWarning]
    assert msgs == want


def test_custom_fwd_casts_inputs_and_custom_bwd_runs_in_the_forward_state(gpus):
    seen = {}

    class Square(xptorch.autograd.Function):
        @staticmethod
        @xptorch.amp.custom_fwd(device_type="cuda", cast_inputs=xptorch.float32)
        def forward(ctx, x):
            seen["fwd"] = (x.dtype, xptorch.is_autocast_enabled("cuda"))
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @xptorch.amp.custom_bwd(device_type="cuda")
        def backward(ctx, g):
            seen["bwd"] = xptorch.is_autocast_enabled("cuda")
            x, = ctx.saved_tensors
            return 2 * x * g

    x = xptorch.ones(3, device="cuda", dtype=xptorch.float16, requires_grad=True)
    with xptorch.autocast("cuda"):
        y = Square.apply(x)
    y.sum().backward()
    assert seen == {"fwd": (xptorch.float32, False), "bwd": False}
    assert x.grad.dtype == xptorch.float16 and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_nvtx_ranges_count_depth():
    n = xptorch.cuda.nvtx
    assert n.range_pop() == -1
    assert n.range_push("a") == 0 and n.range_push("b") == 1
    assert n.range_pop() == 1 and n.range_pop() == 0
    with n.range("step {}", 3):
        assert n.range_push("inner") == 1
        n.range_pop()
    n.mark("here")
    n.range_end(n.range_start("x"))


def test_out_of_memory_error_is_catchable():
    err = xptorch.cuda.OutOfMemoryError
    assert isinstance(err, type) and issubclass(err, Exception)
    try:
        import cupy
    except ImportError:
        assert issubclass(err, RuntimeError)
    else:
        assert err is cupy.cuda.memory.OutOfMemoryError


def test_rng_state_and_mem_info_without_cuda():
    if xptorch.cuda.is_available():
        pytest.skip("CUDA is available here")
    c = xptorch.cuda
    for call in (c.get_rng_state, c.mem_get_info, c.init):
        with pytest.raises(RuntimeError) as err:
            call()
        assert str(err.value) == c.why_unavailable()
    assert c.memory_stats() == {} and not c.is_initialized()
    assert c.get_rng_state_all() == []
