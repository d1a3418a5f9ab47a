"""Benchmarks pair xptorch with torch in one process; `python bench/ratios.py` prints the table.

Both libraries get the same number of threads: XPTORCH_BENCH_THREADS (default 1, which is also what a
loaded 2-core machine measures most repeatably) for torch's intra-op pool, xptorch.set_num_threads
and the BLAS thread variables (ratios.py sets those before NumPy loads).
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

torch = pytest.importorskip("torch")
THREADS = int(os.environ.get("XPTORCH_BENCH_THREADS", "1"))
torch.set_num_threads(THREADS)

import xptorch  # noqa: E402

if hasattr(xptorch, "set_num_threads"):
    try:
        xptorch.set_num_threads(THREADS)
    except ImportError:  # threadpoolctl missing: the BLAS variables set by ratios.py still apply
        pass


@pytest.fixture(params=["xptorch", "torch"])
def lib(request):
    """The library under test: each benchmark runs once per library, in the same process."""
    if request.param == "torch":
        return torch
    import xptorch

    return xptorch


# The plugin's fixture, also where xptorch is not installed (PYTHONPATH=src on a GPU machine).
from xptorch.testing.pytest_plugin import cuda_benchmark  # noqa: E402,F401
