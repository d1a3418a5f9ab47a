"""Benchmarks pair xptorch with torch in one run; `python bench/ratios.py` prints the ratio table.

Both libraries get the same number of threads: XPTORCH_BENCH_THREADS (ratios.py sets it, and the
BLAS thread variables, before NumPy loads; default 1, which is also what a loaded 2-core machine
measures most repeatably).
"""
import os

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(int(os.environ.get("XPTORCH_BENCH_THREADS", "1")))


@pytest.fixture(params=["xptorch", "torch"])
def lib(request):
    """The library under test: each benchmark runs once per library, in the same process."""
    if request.param == "torch":
        return torch
    import xptorch

    return xptorch


# The plugin's fixture, also where xptorch is not installed (PYTHONPATH=src on a GPU machine).
from xptorch.testing.pytest_plugin import cuda_benchmark  # noqa: E402,F401
