"""Tensor API on 1M-element inputs: einsum, gather, sort, cummax, logcumsumexp; forward and forward+backward.

`python bench/tensor_api_interleaved.py` measures the same workloads in alternating rounds and
prints the median ratio with its spread.
"""
import functools

import numpy as np
import pytest

from sidebyside import compare, leaf_step

RNG = np.random.default_rng(0)
A = RNG.standard_normal((100, 100, 100)).astype("float32")
B = RNG.standard_normal((100, 100, 100)).astype("float32")
M = RNG.standard_normal((1000, 1000)).astype("float32")
IDX = RNG.integers(0, 1000, size=(1000, 1000))
FLAT = RNG.standard_normal(1_000_000).astype("float32")

WORKLOADS = {
    "einsum bij,bjk->bik": lambda lib, t: lib.einsum("bij,bjk->bik", t(A), t(B)),
    "gather dim 1": lambda lib, t: lib.gather(t(M), 1, t(IDX)),
    "sort": lambda lib, t: lib.sort(t(FLAT)).values,
    "cummax dim 0": lambda lib, t: lib.cummax(t(M), 0).values,
    "cummax dim 1": lambda lib, t: lib.cummax(t(M), 1).values,
    "logcumsumexp dim 1": lambda lib, t: lib.logcumsumexp(t(M), 1),
}


def build(lib, name, backward):
    """The workload's step (module level: torch's side runs in a process of its own)."""
    return leaf_step(lib, WORKLOADS[name], backward)


@pytest.mark.parametrize("backward", [False, True], ids=["fwd", "fwd+bwd"])
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_tensor_api(benchmark, name, backward):
    # torch as its users run it: xptorch's malloc thresholds would speed up torch's 4-8 MB outputs.
    compare(benchmark, f"tensor api: {name} (1M), {'fwd+bwd' if backward else 'fwd'}",
            functools.partial(build, name=name, backward=backward), torch_process=True)
