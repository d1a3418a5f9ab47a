"""resize_/resize_as_ and the legacy Tensor.new against torch, on each device."""
import pytest

import xptorch

torch = pytest.importorskip("torch")


def _shrink_and_grow(lib, device):
    x = lib.arange(12.0, device=device)
    ptr = x.data_ptr()
    x.resize_(2, 3)  # shrinking keeps the memory
    same = x.data_ptr() == ptr
    x.mul_(-1)
    x.resize_(3, 4)  # back within the memory: the old tail is still there
    kept = x.cpu().tolist()
    v0 = x._version
    x.resize_(3, 4)  # no change: no version bump
    y = lib.arange(6.0, device=device)
    y.resize_(4, 4)  # growing keeps the old values first
    return [same, kept, v0, x._version, y.flatten()[:6].cpu().tolist(), tuple(y.shape), y.stride(), y.is_contiguous()]


def test_shrink_then_grow_keeps_the_values(device):
    assert _shrink_and_grow(xptorch, device) == _shrink_and_grow(torch, "cpu")


def _views(lib, device):
    x = lib.arange(6.0, device=device)
    v = x[2:4]
    v.resize_(3)  # a view grows into its base's memory
    v.fill_(7.0)
    w = x[1:].view(5)
    w.resize_as_(lib.zeros(2, 2, dtype=lib.int64))
    w.zero_()
    return [x.cpu().tolist(), v.storage_offset(), w.storage_offset(), tuple(w.shape), x._version, v._base is x]


def test_views_resize_within_their_memory(device):
    assert _views(xptorch, device) == _views(torch, "cpu")


REFUSED = {
    "leaf": lambda lib: lib.ones(2, requires_grad=True).resize_(3),
    "non-leaf": lambda lib: (lib.ones(2, requires_grad=True) * 2).resize_(1),
    "as_ leaf": lambda lib: lib.ones(2, requires_grad=True).resize_as_(lib.ones(1)),
    "no_grad leaf": lambda lib: _no_grad(lib, lambda: lib.ones(2, requires_grad=True).resize_(1)),
    "no size": lambda lib: lib.ones(2).resize_(),
}


def _no_grad(lib, fn):
    with lib.no_grad():
        return fn()


@pytest.mark.parametrize("case", list(REFUSED))
def test_refusals_as_torch(case):
    with pytest.raises(Exception) as want:
        REFUSED[case](torch)
    with pytest.raises(type(want.value)) as got:
        REFUSED[case](xptorch)
    assert str(got.value) == str(want.value).replace("torch", "xptorch")


def test_growing_shared_memory_is_refused_unchanged():
    """torch moves every view to the grown memory; NumPy and CuPy arrays cannot follow, so xptorch refuses
    (as NumPy's ndarray.resize does) instead of leaving the views behind on the old memory."""
    for make_views in (lambda x: [x[:2]], lambda x: [x.detach()], lambda x: []):
        x = xptorch.arange(4.0)
        views = make_views(x)
        if views:
            with pytest.raises(RuntimeError, match="other tensors view that memory"):
                x.resize_(8)
            assert tuple(x.shape) == (4,) and x._version == 0 and x.tolist() == [0.0, 1.0, 2.0, 3.0]
        else:
            assert x.resize_(8)[:4].tolist() == [0.0, 1.0, 2.0, 3.0]
    x = xptorch.arange(4.0)
    with pytest.raises(RuntimeError, match="other tensors view that memory"):
        x[1:].resize_(4)  # a view past the end of its base


def _new(lib, device):
    x = lib.zeros(2, 3, dtype=lib.float64, device=device, requires_grad=True)
    a = x.new([1, 2])
    b = x.new(4, 1)
    c = x.new()
    same = lib.ones(3, dtype=lib.float64, device=device)
    d = x.new(same)
    d.add_(1)  # an alias: same memory and version counter
    e = (x * 2).new(x * 2)
    return [a.cpu().tolist(), a.device.type, tuple(b.shape), b.dtype.is_floating_point,
            b.device.type, tuple(c.shape), same.cpu().tolist(), d._version == same._version, d._base is same,
            b.requires_grad, e.grad_fn.name(), e.requires_grad]


def test_new_takes_dtype_and_device_from_self(device):
    got, want = _new(xptorch, device), _new(torch, "cpu")
    if device != "cpu":
        assert got[1] == got[4] == "cuda"
        got[1] = got[4] = "cpu"
    assert got == want
