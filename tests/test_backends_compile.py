"""torch.backends flags and torch.compile as PyTorch code uses them, against torch 2.13."""
import warnings

import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import error_of  # noqa: E402

_CUDNN = ("enabled", "benchmark", "deterministic", "allow_tf32")


@pytest.fixture
def cudnn_defaults():
    old = {k: getattr(xptorch.backends.cudnn, k) for k in _CUDNN}
    yield
    for k, v in old.items():
        setattr(xptorch.backends.cudnn, k, v)



def test_cudnn_flags_defaults_and_assignment_as_torch(cudnn_defaults):
    for k in _CUDNN:
        assert getattr(xptorch.backends.cudnn, k) == getattr(torch.backends.cudnn, k), k
    xptorch.backends.cudnn.benchmark = True
    xptorch.backends.cudnn.deterministic = True
    assert xptorch.backends.cudnn.benchmark is True and xptorch.backends.cudnn.deterministic is True
    for k in _CUDNN:
        ours = error_of(lambda: setattr(xptorch.backends.cudnn, k, "x"))
        theirs = error_of(lambda: setattr(torch.backends.cudnn, k, "x"))
        assert ours is not None and ours[0] is RuntimeError and issubclass(theirs[0], ours[0])
        assert ours[1] == theirs[1]
    assert xptorch.backends.cudnn.enabled is True and xptorch.backends.cudnn.allow_tf32 is True  # unchanged
    assert xptorch.backends.cudnn.is_available() is False and xptorch.backends.cudnn.version() is None


def test_cudnn_flags_block_restores(cudnn_defaults):
    with xptorch.backends.cudnn.flags(enabled=False, benchmark=True):
        assert xptorch.backends.cudnn.enabled is False and xptorch.backends.cudnn.benchmark is True
    assert xptorch.backends.cudnn.enabled is True and xptorch.backends.cudnn.benchmark is False


def test_other_backends_answer():
    b = xptorch.backends
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert b.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()
    assert b.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    with pytest.raises(RuntimeError, match="expects a bool"):
        b.cuda.matmul.allow_tf32 = 1
    b.cuda.enable_flash_sdp(False)
    try:
        assert b.cuda.flash_sdp_enabled() is False and b.cuda.math_sdp_enabled() is True
    finally:
        b.cuda.enable_flash_sdp(True)
    assert b.opt_einsum.is_available() == torch.backends.opt_einsum.is_available()


def test_compile_returns_the_model_and_it_trains(device):
    xptorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)
    compiled = xptorch.compile(net)
    assert compiled is net
    assert list(compiled.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # torch adds _orig_mod.
    x = xptorch.randn(3, 4, device=device)
    compiled(x).sum().backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.device == x.device


def test_compile_as_decorator_both_ways():
    @xptorch.compile
    def f(x):
        return x + 1

    @xptorch.compile(mode="reduce-overhead", fullgraph=True)
    def g(x):
        return x * 2

    assert f(xptorch.ones(2)).tolist() == [2.0, 2.0] and g(xptorch.ones(2)).tolist() == [2.0, 2.0]
    assert xptorch.compiler.is_compiling() is False and xptorch.compiler.disable(f) is f


@pytest.mark.parametrize("kw", [dict(mode="fast"), dict(mode="default", options={}), dict(backend="nope")])
def test_compile_argument_errors_as_torch(kw):
    ours = error_of(lambda: xptorch.compile(nn.Linear(2, 2), **kw))
    theirs = error_of(lambda: torch.compile(torch.nn.Linear(2, 2), **kw))
    assert ours is not None and issubclass(theirs[0], ours[0]) and ours[0] is RuntimeError
    assert ours[1] == theirs[1]


def test_compile_of_a_non_callable_as_torch():
    ours = error_of(lambda: xptorch.compile(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 warns about torch.export first
        theirs = error_of(lambda: torch.compile(3))
    assert ours == theirs
