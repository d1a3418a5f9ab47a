"""Benchmarks pair xptorch with torch in one run; `python bench/ratios.py` prints the ratio table."""
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(torch.get_num_threads())


@pytest.fixture(params=["xptorch", "torch"])
def lib(request):
    """The library under test: each benchmark runs once per library, in the same process."""
    if request.param == "torch":
        return torch
    import xptorch

    return xptorch
