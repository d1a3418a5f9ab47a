"""Core ops: Eager overhead of small ops and throughput of large ones, xptorch vs torch CPU."""
import pytest


def _pair(lib, shape, requires_grad=False):
    a = lib.rand(*shape)
    b = lib.rand(*shape)
    if requires_grad:
        a.requires_grad_(True)
        b.requires_grad_(True)
    return a, b


@pytest.mark.parametrize("rg", [False, True], ids=["plain", "requires_grad"])
@pytest.mark.parametrize("op", ["add", "mul", "matmul"])
def test_small_op_forward(benchmark, lib, op, rg):
    benchmark.group = f"small {op} 4x4 forward ({'requires_grad' if rg else 'plain'})"
    a, b = _pair(lib, (4, 4), rg)
    fn = {"add": lambda: a + b, "mul": lambda: a * b, "matmul": lambda: a @ b}[op]
    benchmark(fn)


@pytest.mark.parametrize("op", ["add", "mul", "matmul"])
def test_small_op_forward_backward(benchmark, lib, op):
    benchmark.group = f"small {op} 4x4 forward+backward"
    a, b = _pair(lib, (4, 4), True)
    f = {"add": lambda: a + b, "mul": lambda: a * b, "matmul": lambda: a @ b}[op]

    def step():
        f().sum().backward()

    benchmark(step)


def test_large_matmul(benchmark, lib):
    benchmark.group = "large matmul 1024x1024"
    a, b = _pair(lib, (1024, 1024))
    benchmark(lambda: a @ b)


@pytest.mark.parametrize("op", ["add", "mul", "relu"])
def test_large_elementwise(benchmark, lib, op):
    benchmark.group = f"large {op} 16M float32"
    a, b = _pair(lib, (1 << 24,))
    fn = {"add": lambda: a + b, "mul": lambda: a * b, "relu": lambda: a.relu()}[op]
    benchmark(fn)
