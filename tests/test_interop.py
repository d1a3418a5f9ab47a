"""DLPack, numpy(), from_numpy and as_tensor: zero-copy exchange with NumPy and PyTorch."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def torch_tensor(name, shape=(2, 3)):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(shape, generator=g) * 10).to(getattr(torch, name))


def ptr(x):
    return x.data_ptr() if isinstance(x, torch.Tensor) else x._data.__array_interface__["data"][0]


# ---- torch -> xptorch ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DTYPES)
def test_from_dlpack_torch_shares_memory(name):
    t = torch_tensor(name)
    x = xptorch.from_dlpack(t)
    assert type(x) is xptorch.Tensor and x.dtype is getattr(xptorch, name)
    assert tuple(x.shape) == tuple(t.shape) and x.stride() == t.stride()
    assert ptr(x) == ptr(t) and x.device is xptorch.device("cpu") and not x.requires_grad
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    t.view(-1)[0] = 1  # an edit in torch is seen by xptorch
    assert x.numpy().reshape(-1)[0] == t.view(-1)[0].item()


def test_from_dlpack_torch_views_and_scalars():
    t = torch.arange(12.0).reshape(3, 4)
    for v in (t.t(), t[:, 1], t[1:, ::2], torch.tensor(5.0)):
        x = xptorch.from_dlpack(v)
        assert x.stride() == v.stride() and ptr(x) == ptr(v)
        np.testing.assert_array_equal(x.numpy(), v.numpy())


def test_from_dlpack_legacy_capsule():
    from torch.utils.dlpack import to_dlpack

    t = torch.arange(6.0).reshape(2, 3)
    cap = to_dlpack(t)
    x = xptorch.from_dlpack(cap)
    assert ptr(x) == ptr(t)
    x[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    # A consumed capsule and a non-DLPack object are refused as torch refuses them.
    for bad in (cap, 3):
        with pytest.raises(RuntimeError) as theirs:
            torch.from_dlpack(bad)
        with pytest.raises(RuntimeError) as ours:
            xptorch.from_dlpack(bad)
        assert str(ours.value) == str(theirs.value)


def test_from_dlpack_unsupported_dtypes_raise():
    with pytest.raises(TypeError, match="complex64"):
        xptorch.from_dlpack(torch.ones(2, dtype=torch.complex64))
    with pytest.raises((RuntimeError, BufferError, TypeError)):
        xptorch.from_dlpack(torch.ones(2, dtype=torch.bfloat16))


def test_from_dlpack_of_tensor_requiring_grad_is_refused_like_torch():
    with pytest.raises(Exception) as theirs:
        torch.from_dlpack(torch.ones(2, requires_grad=True))
    with pytest.raises(Exception) as ours:
        xptorch.from_dlpack(xptorch.ones(2, requires_grad=True))
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_dlpack_export_of_tensor_requiring_grad_raises_like_torch():
    with pytest.raises(Exception) as theirs:
        torch.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(Exception) as ours:
        xptorch.ones(2, requires_grad=True).__dlpack__()
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


# ---- xptorch -> torch / numpy --------------------------------------------------------------------------


@pytest.mark.parametrize("name", DTYPES)
def test_torch_from_dlpack_of_ours_shares_memory(name):
    x = xptorch.from_numpy(torch_tensor(name).numpy().copy())
    t = torch.from_dlpack(x)
    assert t.dtype is getattr(torch, name) and ptr(t) == ptr(x) and t.stride() == x.stride()
    np.testing.assert_array_equal(t.numpy(), x.numpy())
    t.view(-1)[1] = 0  # an edit in torch is seen by xptorch
    assert x.numpy().reshape(-1)[1] == 0


def test_torch_from_dlpack_of_our_views():
    x = xptorch.arange(12.0).reshape(3, 4)
    for v in (x.t(), x[:, 1], x[1:, ::2], xptorch.tensor(3.0)):
        t = torch.from_dlpack(v)
        assert t.stride() == v.stride() and ptr(t) == ptr(v)
        np.testing.assert_array_equal(t.numpy(), v.numpy())


def test_dlpack_device_and_numpy_from_dlpack():
    x = xptorch.arange(4.0)
    assert x.__dlpack_device__() == torch.arange(4.0).__dlpack_device__()
    a = np.from_dlpack(x)
    assert np.shares_memory(a, x._data)
    a[0] = 9.0
    assert x[0].item() == 9.0
    back = xptorch.from_dlpack(np.arange(5, dtype=np.int16))
    assert back.dtype is xptorch.int16 and back.tolist() == list(range(5))


def test_round_trip_torch_xptorch_torch_keeps_one_buffer():
    t = torch.randn(3, 3)
    back = torch.from_dlpack(xptorch.from_dlpack(t))
    assert back.data_ptr() == t.data_ptr()
    back[1, 1] = -7.0
    assert t[1, 1].item() == -7.0


# ---- numpy(), from_numpy, as_tensor --------------------------------------------------------------------


def test_numpy_is_zero_copy():
    x = xptorch.randn(2, 3)
    a = x.numpy()
    assert np.shares_memory(a, x._data)
    a[0, 0] = 5.0
    assert x[0, 0].item() == 5.0


def test_numpy_of_tensor_requiring_grad_raises_torchs_error():
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError) as ours:
        xptorch.ones(2, requires_grad=True).numpy()
    assert str(ours.value) == str(theirs.value)
    x = xptorch.ones(2, requires_grad=True)
    assert np.shares_memory(x.detach().numpy(), x._data)


def test_from_numpy_is_zero_copy_and_checks_dtype():
    a = np.arange(6.0).reshape(2, 3)
    x = xptorch.from_numpy(a)
    a[1, 1] = 100.0
    assert x[1, 1].item() == 100.0 and x.dtype is xptorch.float64
    f = np.asfortranarray(a)
    assert xptorch.from_numpy(f).stride() == torch.from_numpy(f).stride()
    with pytest.raises(TypeError) as theirs:
        torch.from_numpy([1, 2])
    with pytest.raises(TypeError) as ours:
        xptorch.from_numpy([1, 2])
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="uint16"):
        xptorch.from_numpy(np.arange(3, dtype=np.uint16))


@pytest.mark.parametrize(
    "kw, shared",
    [({}, True), ({"dtype": "same"}, True), ({"device": "cpu"}, True), ({"dtype": "float32"}, False)],
)
def test_as_tensor_shares_memory_exactly_when_torch_does(kw, shared):
    a = np.arange(4.0)
    tkw = {k: (torch.float64 if v == "same" else getattr(torch, v) if k == "dtype" else v) for k, v in kw.items()}
    xkw = {k: (xptorch.float64 if v == "same" else getattr(xptorch, v) if k == "dtype" else v) for k, v in kw.items()}
    assert np.shares_memory(torch.as_tensor(a, **tkw).numpy(), a) is shared
    assert np.shares_memory(xptorch.as_tensor(a, **xkw)._data, a) is shared
    x = xptorch.ones(3)
    assert xptorch.as_tensor(x) is x
    copied = xptorch.as_tensor([1.0, 2.0])
    assert copied.dtype is xptorch.float32 and copied.tolist() == [1.0, 2.0]


@pytest.mark.cuda
def test_cupy_dlpack_both_ways_shares_gpu_memory():
    cp = pytest.importorskip("cupy")
    a = cp.arange(6.0, dtype=cp.float32).reshape(2, 3)
    x = xptorch.from_dlpack(a)
    assert x.device == xptorch.device("cuda", 0) and x._data.data.ptr == a.data.ptr
    b = cp.from_dlpack(x)
    assert b.data.ptr == a.data.ptr
    b[0, 0] = 7.0
    assert x[0, 0].item() == 7.0
