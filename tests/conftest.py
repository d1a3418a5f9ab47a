"""Shared test fixtures: device parametrisation, GPU markers, the oracle helper on sys.path.

Without a GPU, 'cuda' is the strict CuPy stand-in of strict_cupy.py, installed through
``xptorch.backend.simulate_cuda``: CuPy's rules (no NumPy operands, no implicit host conversion,
wrapping integer indices, CuPy's flags) and a count of device-to-host syncs.
"""
import contextlib
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import xptorch  # noqa: E402
from xptorch import backend  # noqa: E402

import strict_cupy  # noqa: E402


def _real_cuda():
    return xptorch.cuda.is_available() and backend._simulated is None


def pytest_collection_modifyitems(config, items):
    if _real_cuda():
        return
    reason = "needs an NVIDIA GPU with CuPy: " + (xptorch.cuda.why_unavailable() or "unavailable")
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@contextlib.contextmanager
def _strict():
    """The stand-in installed; it 'compiles' kernels/*.cu to their source text, kept out of CuPy's disk cache."""
    prev = os.environ.get("CUPY_CACHE_IN_MEMORY")
    os.environ["CUPY_CACHE_IN_MEMORY"] = "1"
    strict_cupy.set_device_count(1)
    backend.simulate_cuda(strict_cupy)
    try:
        yield strict_cupy
    finally:
        backend.device_assert.clear()  # a test's unreported device-side checks never reach the next test
        backend.simulate_cuda(None)
        strict_cupy.set_device_count(1)
        if prev is None:
            del os.environ["CUPY_CACHE_IN_MEMORY"]
        else:
            os.environ["CUPY_CACHE_IN_MEMORY"] = prev


def _simulated():
    if _real_cuda():
        yield "cuda"
        return
    with _strict():
        yield "cuda"


@pytest.fixture
def simulated_cuda():
    """'cuda:0' on the real GPU when present, else on the strict CuPy stand-in."""
    yield from _simulated()


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Every device test runs on CPU, and on CUDA: the real GPU when present, else the strict CuPy stand-in."""
    if request.param == "cpu":
        yield "cpu"
        return
    yield from _simulated()


@pytest.fixture
def strict_cuda():
    """The strict stand-in itself (never the real GPU): for tests that count host syncs."""
    if backend._simulated is not None:
        pytest.skip("another CUDA simulation is active")
    with _strict() as module:
        yield module
