"""Core ops: eager overhead of small ops and throughput of large ones."""
import pytest

from sidebyside import compare


def _pair(lib, shape, requires_grad=False):
    lib.manual_seed(0)
    a = lib.rand(*shape)
    b = lib.rand(*shape)
    if requires_grad:
        a.requires_grad_(True)
        b.requires_grad_(True)
    return a, b


_OPS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "matmul": lambda a, b: a @ b}


@pytest.mark.parametrize("rg", [False, True], ids=["plain", "requires_grad"])
@pytest.mark.parametrize("op", ["add", "mul", "matmul"])
def test_small_op_forward(benchmark, op, rg):
    def build(lib):
        a, b = _pair(lib, (4, 4), rg)
        f = _OPS[op]
        return lambda: f(a, b)

    compare(benchmark, f"small {op} 4x4 forward ({'requires_grad' if rg else 'plain'})", build)


@pytest.mark.parametrize("op", ["add", "mul", "matmul"])
def test_small_op_forward_backward(benchmark, op):
    def build(lib):
        a, b = _pair(lib, (4, 4), True)
        f = _OPS[op]
        return lambda: f(a, b).sum().backward()

    compare(benchmark, f"small {op} 4x4 forward+backward", build)


def test_large_matmul(benchmark):
    def build(lib):
        a, b = _pair(lib, (1024, 1024))
        return lambda: a @ b

    compare(benchmark, "large matmul 1024x1024", build)


@pytest.mark.parametrize("op", ["add", "mul", "relu"])
def test_large_elementwise(benchmark, op):
    def build(lib):
        a, b = _pair(lib, (1 << 24,))
        return {"add": lambda: a + b, "mul": lambda: a * b, "relu": lambda: a.relu()}[op]

    compare(benchmark, f"large {op} 16M float32", build)
