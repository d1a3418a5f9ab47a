"""xptorch.cuda as PyTorch users call it, and tensors on several devices, on two GPUs of the strict CuPy
stand-in (tests/strict_cupy.py: arrays remember their device, kernels refuse another device's arrays as
CuPy does without peer access, and a runtime for devices, streams, events and memory)."""
import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")


@pytest.fixture
def gpus(monkeypatch, strict_cuda):
    strict_cuda.set_device_count(2)
    monkeypatch.setattr(xptorch.cuda, "_tracking", False)
    monkeypatch.setattr(xptorch.cuda, "_peaks", {})
    yield strict_cuda


def test_device_queries(gpus):
    c = xptorch.cuda
    assert c.is_available() and c.device_count() == 2 and c.current_device() == 0
    assert c.get_device_name() == "Strict CuPy stand-in (host)" == c.get_device_name(1)
    assert c.get_device_name("cuda:1") == c.get_device_name(xptorch.device("cuda", 1))
    p = c.get_device_properties(1)
    assert (p.major, p.minor, p.total_memory, p.multi_processor_count) == (9, 0, 17 << 30, 4)
    assert repr(p) == ("_CudaDeviceProperties(name='Strict CuPy stand-in (host)', major=9, minor=0, "
                       "total_memory=17408MB, multi_processor_count=4, L2_cache_size=50MB)")
    assert c.get_device_capability(0) == (9, 0)
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        c.get_device_name("cpu")


def test_set_device_and_device_context(gpus):
    c = xptorch.cuda
    c.set_device(1)
    assert c.current_device() == 1
    assert xptorch.ones(1, device="cuda").device == xptorch.device("cuda", 1)
    with c.device(0):
        assert c.current_device() == 0 and xptorch.zeros(1, device="cuda").device.index == 0
    assert c.current_device() == 1
    c.set_device(-1)  # ignored, as in PyTorch
    assert c.current_device() == 1
    x = xptorch.ones(1, device="cuda:0")
    with c.device_of(x):
        assert c.current_device() == 0
    c.set_device("cuda:0")
    assert c.current_device() == 0


def test_bad_ordinals_are_refused_before_anything_happens(gpus):
    for call in (lambda: xptorch.ones(2, device="cuda:2"), lambda: xptorch.ones(2).to("cuda:7"),
                 lambda: xptorch.ones(2).cuda(5), lambda: xptorch.cuda.set_device(2),
                 lambda: xptorch.cuda.get_device_name(3)):
        with pytest.raises(RuntimeError, match=r"CUDA error: invalid device ordinal: cuda:\d was requested, but "
                                               r"this machine has 2 CUDA devices \(cuda:0 to cuda:1\)"):
            call()
    assert xptorch.cuda.current_device() == 0


def test_synchronize_each_device(gpus):
    xptorch.cuda.synchronize()
    xptorch.cuda.synchronize(1)
    xptorch.cuda.synchronize("cuda:0")
    assert [e for e in gpus.events if e[0] == "sync"] == [("sync", 0), ("sync", 1), ("sync", 0)]


def test_streams_and_events(gpus):
    c = xptorch.cuda
    s = c.Stream()
    assert s.device == xptorch.device("cuda", 0) and s.query()
    assert c.current_stream() == c.default_stream()
    with c.stream(s):
        assert c.current_stream() == s
        start, end = c.Event(enable_timing=True), c.Event(enable_timing=True)
        start.record()
        end.record()
    assert c.current_stream() == c.default_stream()
    end.synchronize()
    assert start.elapsed_time(end) >= 0.0 and isinstance(start.elapsed_time(end), float)
    assert [e[1] for e in gpus.events if e[0] == "record"] == [s.cuda_stream, s.cuda_stream]
    s1 = c.Stream(device=1)
    assert s1.device.index == 1
    with c.stream(s1):
        assert c.current_device() == 1
    assert c.current_device() == 0
    with pytest.raises(RuntimeError, match="Both events must be created with argument 'enable_timing=True'."):
        c.Event().elapsed_time(c.Event())
    with pytest.raises(ValueError, match="Both events must be recorded"):
        c.Event(enable_timing=True).elapsed_time(c.Event(enable_timing=True))
    s.wait_stream(s1)
    assert any(e[0] == "wait" for e in gpus.events)
    with c.stream(None):
        assert c.current_stream() == c.default_stream()


def test_memory_statistics_per_device(gpus):
    c = xptorch.cuda
    assert c.memory_allocated() == 0 and c.max_memory_allocated() == 0
    a = gpus.cuda.alloc(1024)
    b = gpus.cuda.alloc(4096)
    assert c.memory_allocated() == 5120 and c.max_memory_allocated() == 5120
    del b
    assert c.memory_allocated() == 1024 and c.max_memory_allocated() == 5120
    assert c.memory_reserved() == 5120
    c.reset_peak_memory_stats()
    assert c.max_memory_allocated() == 1024
    with gpus.cuda.Device(1):
        c1 = gpus.cuda.alloc(256)  # CuPy's pool hands out 512-byte blocks
    assert c.memory_allocated(1) == 512 and c.max_memory_allocated("cuda:1") == 512
    assert c.memory_allocated(0) == 1024
    c.empty_cache()
    assert c.memory_reserved(0) == 1024
    del a, c1
    assert c.memory_allocated(0) == 0 == c.memory_allocated(1)


def test_manual_seed_gives_the_same_numbers_on_both_devices(gpus):
    xptorch.cuda.manual_seed(3)
    a = xptorch.rand(5, device="cuda:0")
    xptorch.cuda.manual_seed_all(3)
    b = xptorch.rand(5, device="cuda:1")
    assert a.tolist() == b.tolist()


def test_tensors_on_the_second_device(gpus):
    x = xptorch.arange(6.0).reshape(2, 3).to("cuda:1")
    assert x.device == xptorch.device("cuda", 1) and x.is_cuda
    assert x._data.device.id == 1  # the array itself is on the second GPU
    assert repr(x) == "tensor([[0., 1., 2.],\n        [3., 4., 5.]], device='cuda:1')"
    with xptorch.cuda.device(1):  # see test_ops_on_a_device_that_is_not_current below
        y = (x * 2).sum(dim=1)
    assert y.device.index == 1 and y._data.device.id == 1 and y.tolist() == [6.0, 24.0]
    # Copies between devices and back.
    z = x.to("cuda:0")
    assert z.device.index == 0 and z.tolist() == x.tolist()
    assert x.cuda(0).device.index == 0 and x.cuda().device.index == 0
    assert x.cpu().device.type == "cpu" and x.cpu().tolist() == x.tolist()
    assert x.to("cuda:1") is x
    assert x.to("cuda:0")._data.device.id == 0 and x.cpu().to("cuda:1")._data.device.id == 1
    w = xptorch.ones(3, device="cuda:0")
    t = torch.ones(2)
    for op in (lambda: x + w, lambda: x @ w, lambda: xptorch.cat([x[0], w])):
        with pytest.raises(RuntimeError, match=r"Expected all tensors to be on the same device, but found at "
                                               r"least two devices, cuda:1 and cuda:0!"):
            op()
    assert t.sum().item() == 2.0


def test_ops_on_a_device_that_is_not_current(gpus):
    x = xptorch.ones(3, device="cuda:1")
    assert xptorch.cuda.current_device() == 0
    assert (x * 2).tolist() == [2.0] * 3


def test_model_on_the_second_device_keeps_ties_and_trains(gpus):
    xptorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
    net[2].weight = net[0].weight
    params = list(net.parameters())
    ids = [id(p) for p in params]
    opt = xptorch.optim.SGD(net.parameters(), lr=0.1)
    before = [p.detach().cpu().numpy().copy() for p in params]
    assert net.to("cuda:1") is net
    assert [id(p) for p in net.parameters()] == ids and net[2].weight is net[0].weight
    assert all(p.device == xptorch.device("cuda", 1) for p in net.parameters())
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.detach().cpu().numpy(), b)
    assert all(p._data.device.id == 1 for p in net.parameters())
    x = xptorch.randn(3, 4, device="cuda:1")
    with xptorch.cuda.device(1):
        loss = net(x).square().mean()
        loss.backward()
        assert all(p.grad.device.index == 1 and p.grad._data.device.id == 1 for p in net.parameters())
        opt.step()
    assert net[2].weight is net[0].weight and net[0].weight.device.index == 1
    assert all(p._data.device.id == 1 for p in net.parameters())
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cuda:1!|cuda:1 and cuda:0!"):
        net(xptorch.randn(3, 4, device="cuda:0"))


def test_pin_memory_and_non_blocking(gpus):
    x = xptorch.arange(4.0)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and p.tolist() == x.tolist()
    assert p.data_ptr() != x.data_ptr()
    y = p.to("cuda:1", non_blocking=True)
    assert y.device.index == 1 and y.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert p.cuda(1, non_blocking=True).device.index == 1
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        y.pin_memory()


def test_pin_memory_without_cuda_matches_torch():
    if xptorch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(RuntimeError) as t_err:
        torch.ones(2).pin_memory()
    with pytest.raises(RuntimeError) as x_err:
        xptorch.ones(2).pin_memory()
    assert str(x_err.value) == str(t_err.value)
    assert xptorch.ones(2).is_pinned() is torch.ones(2).is_pinned() is False


def test_queries_without_cuda_are_safe():
    if xptorch.cuda.is_available():
        pytest.skip("CUDA is available here")
    c = xptorch.cuda
    assert c.device_count() == 0 and c.memory_allocated() == 0 and c.max_memory_allocated() == 0
    c.synchronize()
    c.empty_cache()
    assert not c.is_bf16_supported()
    with pytest.raises(RuntimeError, match="CUDA is not available: "):
        c.set_device(0)
    with pytest.raises(RuntimeError, match="CUDA is not available: "):
        c.get_device_name(0)
