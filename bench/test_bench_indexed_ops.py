"""Indexed writes, bucketing, blocks and distances on 1M-element inputs: searchsorted, index_put (accumulate),
scatter_reduce (amax, prod), F.unfold, cdist, F.embedding_bag; forward and forward+backward."""
import numpy as np
import pytest

from sidebyside import compare, leaf_step

RNG = np.random.default_rng(0)
SORTED = np.sort(RNG.standard_normal(4096)).astype("float32")
FLAT = RNG.standard_normal(1_000_000).astype("float32")
M = RNG.standard_normal((1000, 1000)).astype("float32")
ROWS = RNG.integers(0, 1000, size=1000)
COLS = RNG.integers(0, 1000, size=1000)
VALS = RNG.standard_normal((1000, 1000)).astype("float32")
IDX = RNG.integers(0, 100, size=(1000, 1000))
IMG = RNG.standard_normal((8, 16, 64, 64)).astype("float32")
PTS_A = RNG.standard_normal((1000, 64)).astype("float32")
PTS_B = RNG.standard_normal((1000, 64)).astype("float32")
TABLE = RNG.standard_normal((10000, 64)).astype("float32")
BAG = RNG.integers(0, 10000, size=16384)
OFFSETS = np.arange(0, 16384, 16)

WORKLOADS = {
    "searchsorted 1M in 4096": lambda lib, t: lib.searchsorted(t(SORTED), t(FLAT)).float(),
    "index_put accumulate rows": lambda lib, t: t(M).index_put((t(ROWS),), t(VALS), accumulate=True),
    "index_put (rows, cols)": lambda lib, t: t(M).index_put((t(ROWS), t(COLS)), t(VALS)[0]),
    "scatter_reduce amax": lambda lib, t: t(M)[:100].scatter_reduce(0, t(IDX), t(VALS), "amax"),
    "scatter_reduce prod": lambda lib, t: t(M)[:100].scatter_reduce(0, t(IDX), t(VALS), "prod"),
    "unfold 3x3 (8,16,64,64)": lambda lib, t: lib.nn.functional.unfold(t(IMG), 3, padding=1),
    "cdist 1000x1000x64": lambda lib, t: lib.cdist(t(PTS_A), t(PTS_B)),
    "embedding_bag mean 1024 bags": lambda lib, t: lib.nn.functional.embedding_bag(t(BAG), t(TABLE), t(OFFSETS)),
}


@pytest.mark.parametrize("backward", [False, True], ids=["fwd", "fwd+bwd"])
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_indexed_ops(benchmark, name, backward):
    if backward and name.startswith("searchsorted"):
        pytest.skip("no gradient")

    def build(lib):
        return leaf_step(lib, WORKLOADS[name], backward)

    compare(benchmark, f"indexed ops: {name}, {'fwd+bwd' if backward else 'fwd'}", build)
