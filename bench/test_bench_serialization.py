"""Saving and loading a large state_dict: xptorch.save/load against torch.save/torch.load.

    PYTHONPATH=src python -m pytest bench/test_bench_serialization.py --benchmark-enable

XPTORCH_BENCH_SAVE_MB sets the state_dict's size (default 1024). Under plain pytest
(--benchmark-disable, the project default) each benchmark runs once on 4 MB as a smoke test.
"""
import collections
import os

import numpy as np
import pytest

import xptorch
from xptorch.serialization import load, save

from sidebyside import compare

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

N_TENSORS = 16
SMOKE_MB = 4


@pytest.fixture(scope="module")
def size_mb(request):
    opt = request.config.getoption
    if opt("benchmark_disable") and not opt("benchmark_enable"):
        return SMOKE_MB
    return int(os.environ.get("XPTORCH_BENCH_SAVE_MB", "1024"))


@pytest.fixture(scope="module")
def state_dicts(size_mb):
    """The same float32 values as an xptorch and a torch state_dict (sharing memory)."""
    rng = np.random.default_rng(0)
    n = size_mb * 2 ** 20 // 4 // N_TENSORS
    cols = 1024 if n >= 1024 else 1
    arrays = [rng.random(n - n % cols, dtype=np.float32).reshape(-1, cols) for _ in range(N_TENSORS)]
    names = [f"layers.{i}.weight" for i in range(N_TENSORS)]
    ours = collections.OrderedDict((k, xptorch.from_numpy(a)) for k, a in zip(names, arrays))
    theirs = collections.OrderedDict((k, torch.from_numpy(a)) for k, a in zip(names, arrays))
    return ours, theirs


@pytest.fixture(scope="module")
def files(state_dicts, tmp_path_factory):
    d = tmp_path_factory.mktemp("bench_serialization")
    save(state_dicts[0], d / "sd.safetensors")
    torch.save(state_dicts[1], d / "sd.pt")
    return d


def _lib_sd(lib, state_dicts):
    return state_dicts[0] if lib is xptorch else state_dicts[1]


def test_save(benchmark, state_dicts, size_mb, tmp_path):
    def build(lib):
        path = tmp_path / ("sd.safetensors" if lib is xptorch else "sd.pt")
        sd = _lib_sd(lib, state_dicts)
        fn = (lambda: save(sd, path)) if lib is xptorch else (lambda: torch.save(sd, path))
        return lambda: (fn(), path.stat().st_size)[1]

    def check(a, b):
        assert a >= size_mb * 2 ** 20 * 0.99 and b >= size_mb * 2 ** 20 * 0.99

    compare(benchmark, f"save {size_mb} MB state_dict", build, rounds=3, round_s=1e-3, check=check)


def test_load(benchmark, state_dicts, files, size_mb):
    def build(lib):
        if lib is xptorch:
            return lambda: load(files / "sd.safetensors")
        return lambda: torch.load(files / "sd.pt", weights_only=True)

    def check(a, b):
        for k, v in state_dicts[0].items():
            np.testing.assert_array_equal(a[k].numpy(), v.numpy())
            np.testing.assert_array_equal(b[k].numpy(), v.numpy())

    compare(benchmark, f"load {size_mb} MB state_dict", build, rounds=3, round_s=1e-3, check=check)


def test_load_torch_checkpoint(benchmark, state_dicts, files, size_mb):
    def build(lib):
        if lib is xptorch:
            return lambda: load(files / "sd.pt")
        return lambda: torch.load(files / "sd.pt", weights_only=True)

    def check(a, b):
        for k, v in state_dicts[0].items():
            np.testing.assert_array_equal(a[k].numpy(), v.numpy())

    compare(benchmark, f"load {size_mb} MB torch .pt checkpoint (xptorch.load vs torch.load)", build, rounds=3,
            round_s=1e-3, check=check)
