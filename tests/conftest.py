"""Shared test fixtures: device parametrisation, GPU markers, the oracle helper on sys.path."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import xptorch  # noqa: E402
from xptorch import backend  # noqa: E402


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


@pytest.fixture
def simulated_cuda():
    """'cuda:0' backed by NumPy: exercises device bookkeeping where no GPU exists."""
    if _real_cuda():
        yield "cuda"
        return
    backend.simulate_cuda(True)
    try:
        yield "cuda"
    finally:
        backend.simulate_cuda(False)


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Every device test runs on CPU, and on CUDA: the real GPU when present, else the NumPy stand-in."""
    if request.param == "cpu":
        yield "cpu"
        return
    if _real_cuda():
        yield "cuda"
        return
    backend.simulate_cuda(True)
    try:
        yield "cuda"
    finally:
        backend.simulate_cuda(False)
