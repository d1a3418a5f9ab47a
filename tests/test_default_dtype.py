"""set_default_dtype / get_default_dtype against torch 2.13: what follows the default and what does not."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


@pytest.fixture
def default64():
    xptorch.set_default_dtype(xptorch.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        xptorch.set_default_dtype(xptorch.float32)
        torch.set_default_dtype(torch.float32)


MADE = {
    "tensor_float": lambda lib: lib.tensor([1.0, 2.0]),
    "tensor_scalar": lambda lib: lib.tensor(3.5),
    "tensor_int": lambda lib: lib.tensor([1, 2]),
    "tensor_bool": lambda lib: lib.tensor([True]),
    "Tensor": lambda lib: lib.Tensor([1, 2]),
    "zeros": lambda lib: lib.zeros(2),
    "ones": lambda lib: lib.ones(2, 3),
    "empty": lambda lib: lib.empty(2),
    "full_float": lambda lib: lib.full((2,), 1.5),
    "full_int": lambda lib: lib.full((2,), 1),
    "arange_float": lambda lib: lib.arange(0.0, 3.0),
    "arange_int": lambda lib: lib.arange(3),
    "linspace": lambda lib: lib.linspace(0, 1, 3),
    "eye": lambda lib: lib.eye(2),
    "rand": lambda lib: lib.rand(2),
    "randn": lambda lib: lib.randn(2),
    "int_div": lambda lib: lib.tensor([1, 2]) / 2,
    "int_times_float": lambda lib: lib.tensor([1, 2]) * 1.5,
    "float_method": lambda lib: lib.tensor([1, 2]).float(),
    "from_numpy32": lambda lib: lib.from_numpy(np.ones(2, np.float32)),
    "linear_weight": lambda lib: lib.nn.Linear(2, 3).weight,
    "sigmoid_int": lambda lib: lib.sigmoid(lib.tensor([1, 2])),
}


@pytest.mark.parametrize("name", sorted(MADE))
def test_dtypes_follow_the_default_like_torch(name, default64):
    assert str(MADE[name](xptorch).dtype)[8:] == str(MADE[name](torch).dtype)[6:]
    assert xptorch.get_default_dtype() is xptorch.float64


def test_device_factories_follow_the_default(default64, device):
    for t in (xptorch.zeros(2, device=device), xptorch.tensor([1.5], device=device), xptorch.rand(2, device=device),
              xptorch.arange(0.0, 2.0, device=device), xptorch.tensor([1, 2], device=device) / 2):
        assert t.dtype is xptorch.float64 and t.device.type == device


def test_values_in_float64(default64):
    x = xptorch.tensor([0.1, 1 / 3])
    assert x.numpy().tolist() == [0.1, 1 / 3]


def test_default_restored_and_checked():
    assert xptorch.get_default_dtype() is xptorch.float32
    assert xptorch.tensor([1.0]).dtype is xptorch.float32
    for bad in (xptorch.int64, xptorch.bool, float, "float64"):
        tbad = getattr(torch, bad.name) if isinstance(bad, xptorch.dtype) else bad
        with pytest.raises(TypeError) as et:
            torch.set_default_dtype(tbad)
        with pytest.raises(TypeError) as ex:
            xptorch.set_default_dtype(bad)
        assert str(ex.value) == str(et.value)
    assert xptorch.get_default_dtype() is xptorch.float32


def test_optimizer_step_state_follows_the_default(default64):
    for lib in (torch, xptorch):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.Adam([p])
        p.grad = lib.ones(2)
        opt.step()
        assert str(opt.state[p]["step"].dtype).endswith("float64")
