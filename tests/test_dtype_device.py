"""dtype, device and Size objects against torch 2.13."""
import itertools
import pickle

import numpy as np
import pytest

import xptorch
from xptorch import _dtype

torch = pytest.importorskip("torch")
from oracle import check_error, xp_message  # noqa: E402

NAMES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]
ALIASES = {"half": "float16", "float": "float32", "double": "float64", "short": "int16", "int": "int32",
           "long": "int64"}


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(name):
    x, t = getattr(xptorch, name), getattr(torch, name)
    assert repr(x) == xp_message(repr(t)) and str(x) == xp_message(str(t))
    assert x.is_floating_point == t.is_floating_point
    assert x.is_signed == t.is_signed
    assert x.itemsize == t.itemsize
    assert x.is_complex == t.is_complex
    assert pickle.loads(pickle.dumps(x)) is x
    assert xptorch.zeros(1, dtype=x).dtype is x


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_dtype_aliases(alias):
    assert getattr(xptorch, alias) is getattr(xptorch, ALIASES[alias])
    assert getattr(torch, alias) is getattr(torch, ALIASES[alias])


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types(a, b):
    got = _dtype.promote_types(getattr(xptorch, a), getattr(xptorch, b))
    assert str(got) == xp_message(str(torch.promote_types(getattr(torch, a), getattr(torch, b))))


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 0)])
def test_result_type_with_zero_dim(a, b, dims):
    ta = torch.ones((2,) * dims[0], dtype=getattr(torch, a))
    tb = torch.ones((2,) * dims[1], dtype=getattr(torch, b))
    got = _dtype.result_type(getattr(xptorch, a), getattr(xptorch, b), dims[0], dims[1])
    assert str(got) == xp_message(str(torch.result_type(ta, tb)))


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("scalar", [1, 1.5, True])
def test_scalar_result_type(a, scalar):
    t = torch.ones(2, dtype=getattr(torch, a))
    got = _dtype.scalar_result_type(getattr(xptorch, a), scalar)
    assert str(got) == xp_message(str(torch.result_type(t, scalar)))


def test_to_dtype_accepts_python_and_numpy_types():
    assert _dtype.to_dtype(float) is xptorch.float64  # Python's float is a double, as in PyTorch
    assert _dtype.to_dtype(int) is xptorch.int64
    assert _dtype.to_dtype(bool) is xptorch.bool
    assert _dtype.to_dtype(np.float64) is xptorch.float64
    with pytest.raises(TypeError, match="argument 'dtype' must be xptorch.dtype, not str"):
        _dtype.to_dtype("float64")
    with pytest.raises(TypeError):
        xptorch.from_numpy(np.zeros(2, dtype=np.complex64))


PY_DTYPE_CALLS = {
    "zeros": lambda lib, d: lib.zeros(2, dtype=d),
    "ones": lambda lib, d: lib.ones(2, 3, dtype=d),
    "empty": lambda lib, d: lib.empty(2, dtype=d).zero_(),
    "full": lambda lib, d: lib.full((2,), 1, dtype=d),
    "tensor": lambda lib, d: lib.tensor([1, 0], dtype=d),
    "arange": lambda lib, d: lib.arange(3, dtype=d),
    "zeros_like": lambda lib, d: lib.zeros_like(lib.ones(2), dtype=d),
    "ones_like": lambda lib, d: lib.ones_like(lib.ones(2), dtype=d),
    "new_zeros": lambda lib, d: lib.ones(2).new_zeros(2, dtype=d),
    "to": lambda lib, d: lib.tensor([1.5, 0.0]).to(d),
    "to(dtype=)": lambda lib, d: lib.tensor([1.5, 0.0]).to(dtype=d),
    "sum": lambda lib, d: lib.tensor([1.5, 2.0]).sum(dtype=d),
    "sum narrow": lambda lib, d: lib.full((200,), 1, dtype=lib.int8).sum(dtype=d),
    "prod": lambda lib, d: lib.tensor([1.5, 2.0]).prod(dtype=d),
    "cumsum": lambda lib, d: lib.tensor([1.5, 2.0]).cumsum(0, dtype=d),
}


@pytest.mark.parametrize("call", sorted(PY_DTYPE_CALLS))
@pytest.mark.parametrize("kind", ["float", "int", "bool", "str", "int8"])
def test_python_types_and_strings_as_dtype_as_torch(call, kind):
    """float/int/bool name float64/int64/bool wherever PyTorch takes a dtype; a string is a TypeError;
    a narrow integer dtype given to sum is also its accumulator (it wraps around as PyTorch's)."""
    pick = {"float": lambda lib: float, "int": lambda lib: int, "bool": lambda lib: bool,
            "str": lambda lib: "float64", "int8": lambda lib: lib.int8}[kind]
    fn = PY_DTYPE_CALLS[call]
    try:
        want = fn(torch, pick(torch))
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            fn(xptorch, pick(xptorch))
        return
    got = fn(xptorch, pick(xptorch))
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    assert got.tolist() == want.tolist()


# ---- device -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cpu:0",), ("cuda:0",)])
def test_device_parsing(args):
    x, t = xptorch.device(*args), torch.device(*args)
    assert repr(x) == repr(t) and str(x) == str(t)
    assert x.type == t.type and x.index == t.index
    assert x == xptorch.device(*args) and hash(x) == hash(xptorch.device(*args))
    assert xptorch.device(x) is x
    assert pickle.loads(pickle.dumps(x)) == x


@pytest.mark.parametrize("spec", [("cuda:-1",), ("cuda:x",), ("cuda", -1), ("cuda:0", 1), ("cpu:a",)])
def test_device_errors(spec):
    check_error(lambda: torch.device(*spec), lambda: xptorch.device(*spec))


def test_device_unknown_type():
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        torch.device("gpu")
    with pytest.raises(RuntimeError, match="^Expected one of cpu, cuda device type at start of device string: gpu$"):
        xptorch.device("gpu")
    with pytest.raises(TypeError):
        xptorch.device(None)


def test_device_equality_is_by_value_not_string():
    assert (xptorch.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert xptorch.device("cuda", 0) == xptorch.device("cuda:0") != xptorch.device("cuda:1")
    assert xptorch.device("cpu") != xptorch.device("cuda:0")


def test_tensors_on_cpu_report_plain_cpu():
    for spec in ("cpu", "cpu:0", ("cpu", 0)):
        x = xptorch.ones(2, device=xptorch.device(*spec) if isinstance(spec, tuple) else spec)
        t = torch.ones(2, device=torch.device(*spec) if isinstance(spec, tuple) else spec)
        assert x.device is xptorch.device("cpu") and repr(x.device) == repr(t.device)


def test_cuda_unavailable_is_reported_cleanly():
    if xptorch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert xptorch.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        xptorch.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        xptorch.ones(2).cuda()


# ---- Size -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dims", [(), (1,), (2, 3), (0, 4, 1)])
def test_size(dims):
    x, t = xptorch.Size(dims), torch.Size(dims)
    assert repr(x) == xp_message(repr(t)) and str(x) == xp_message(str(t))
    assert x == t == dims and len(x) == len(t) and x.numel() == t.numel()
    assert repr(x[1:]) == xp_message(repr(t[1:])) and repr(x + (5,)) == xp_message(repr(t + (5,)))
    assert repr(x * 2) == xp_message(repr(t * 2))
    assert pickle.loads(pickle.dumps(x)) == x and type(pickle.loads(pickle.dumps(x))) is xptorch.Size
    assert repr(xptorch.zeros(dims).shape) == xp_message(repr(torch.zeros(dims).shape))
    assert repr(xptorch.zeros(dims).size()) == xp_message(repr(torch.zeros(dims).size()))


# Factories that take device= and so follow the default device; a tensor made from another follows that one.
_DEFAULT_FOLLOWERS = {
    "tensor": lambda lib: lib.tensor([1.0, 2.0]),
    "zeros": lambda lib: lib.zeros(2, 3),
    "ones": lambda lib: lib.ones((2,)),
    "empty": lambda lib: lib.empty(2),
    "full": lambda lib: lib.full((2,), 7.0),
    "arange": lambda lib: lib.arange(4),
    "linspace": lambda lib: lib.linspace(0, 1, 3),
    "eye": lambda lib: lib.eye(2),
    "rand": lambda lib: lib.rand(2),
    "randn": lambda lib: lib.randn(2),
    "randint": lambda lib: lib.randint(0, 5, (3,)),
    "randperm": lambda lib: lib.randperm(4),
    "normal": lambda lib: lib.normal(0.0, 1.0, (2,)),
    "linear": lambda lib: lib.nn.Linear(2, 3).weight,
}


@pytest.fixture
def default_device_reset():
    yield
    xptorch.set_default_device(None)
    torch.set_default_device(None)


def test_default_device_starts_on_cpu_and_resets(default_device_reset):
    assert repr(xptorch.get_default_device()) == repr(torch.get_default_device())
    for lib in (xptorch, torch):
        lib.set_default_device("cpu")
    assert repr(xptorch.get_default_device()) == repr(torch.get_default_device())
    for lib in (xptorch, torch):
        lib.set_default_device(None)
    assert repr(xptorch.get_default_device()) == repr(torch.get_default_device())


@pytest.mark.parametrize("name", sorted(_DEFAULT_FOLLOWERS))
def test_factories_follow_the_default_device(name, simulated_cuda, default_device_reset):
    make = _DEFAULT_FOLLOWERS[name]
    xptorch.set_default_device("cuda")
    assert make(xptorch).device.type == "cuda"
    assert str(xptorch.get_default_device()) == "cuda:0"
    assert xptorch.from_numpy(np.zeros(2)).device.type == "cpu"  # wraps host memory, as in PyTorch
    assert xptorch.zeros_like(xptorch.zeros(2, device="cpu")).device.type == "cpu"
    assert make(xptorch).to("cpu").shape == make(torch).shape
    xptorch.set_default_device(None)
    assert make(xptorch).device.type == "cpu"


def test_default_device_is_per_thread(simulated_cuda, default_device_reset):
    import threading

    xptorch.set_default_device("cuda")
    seen = []
    th = threading.Thread(target=lambda: seen.append(xptorch.zeros(1).device.type))
    th.start()
    th.join()
    assert seen == ["cpu"] and xptorch.zeros(1).device.type == "cuda"


def test_as_tensor_moves_to_a_set_default_device(simulated_cuda, default_device_reset):
    import numpy as np

    host = np.zeros(2, dtype=np.float32)
    assert xptorch.as_tensor(host).device.type == "cpu"  # nothing set: shares the array
    xptorch.set_default_device("cuda")
    assert xptorch.as_tensor(host).device.type == "cuda"
    assert xptorch.as_tensor(xptorch.zeros(2, device="cpu")).device.type == "cuda"
    assert xptorch.as_tensor([1, 2]).device.type == "cuda"
    assert xptorch.from_numpy(host).device.type == "cpu"
    # torch (CPU build) shows the same rules with its 'meta' device
    torch.set_default_device("meta")
    assert [torch.as_tensor(host).device.type, torch.as_tensor(torch.zeros(2, device="cpu")).device.type,
            torch.from_numpy(host).device.type] == ["meta", "meta", "cpu"]


def test_default_device_for_factories(simulated_cuda):
    import numpy as np
    from xptorch import nn

    assert xptorch.get_default_device() == xptorch.device("cpu")
    with xptorch.device("cuda") as d:
        assert d == xptorch.device("cuda")
        assert xptorch.get_default_device() == xptorch.device("cuda", 0)
        for t in (xptorch.zeros(2), xptorch.tensor([1.0]), xptorch.arange(3), xptorch.rand(2), xptorch.eye(2),
                  xptorch.full((2,), 1.0), xptorch.as_tensor(np.ones(2)), nn.Linear(2, 3).weight):
            assert t.device == xptorch.device("cuda", 0)
        assert xptorch.from_numpy(np.ones(2)).device.type == "cpu"  # shares the array's memory
        assert xptorch.zeros(2, device="cpu").device.type == "cpu"  # an explicit device wins
        assert xptorch.zeros_like(xptorch.ones(1, device="cpu")).device.type == "cpu"  # *_like follow the input
        with xptorch.device("cpu"):
            assert xptorch.ones(1).device.type == "cpu"
        assert xptorch.ones(1).device.type == "cuda"
    assert xptorch.ones(1).device.type == "cpu"
    xptorch.set_default_device("cuda")
    try:
        assert xptorch.ones(1).device.type == "cuda" and xptorch.get_default_device().index == 0
    finally:
        xptorch.set_default_device(None)
    assert xptorch.ones(1).device.type == "cpu" and xptorch.get_default_device() == xptorch.device("cpu")


def test_default_device_matches_torch_on_the_cpu():
    torch = pytest.importorskip("torch")
    assert str(xptorch.get_default_device()) == str(torch.get_default_device())
    with xptorch.device("cpu") as xd, torch.device("cpu") as td:
        assert str(xd) == str(td) and str(xptorch.get_default_device()) == str(torch.get_default_device())


def test_get_device_and_is_cpu_as_torch(device):
    import torch

    x = xptorch.ones(2, device=device)
    if x.device.type == "cpu":
        assert (x.get_device(), x.is_cpu) == (torch.ones(2).get_device(), torch.ones(2).is_cpu) == (-1, True)
    else:
        assert (x.get_device(), x.is_cpu) == (x.device.index, False)
