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


def _run(benchmark, group, size_mb, fn):
    benchmark.group = f"{group} {size_mb} MB state_dict"
    benchmark.extra_info["MB"] = size_mb
    return benchmark.pedantic(fn, rounds=5, warmup_rounds=1, iterations=1)


def test_save_xptorch(benchmark, state_dicts, size_mb, tmp_path):
    path = tmp_path / "sd.safetensors"
    _run(benchmark, "save", size_mb, lambda: save(state_dicts[0], path))
    assert path.stat().st_size >= size_mb * 2 ** 20 * 0.99


def test_save_torch(benchmark, state_dicts, size_mb, tmp_path):
    path = tmp_path / "sd.pt"
    _run(benchmark, "save", size_mb, lambda: torch.save(state_dicts[1], path))
    assert path.stat().st_size >= size_mb * 2 ** 20 * 0.99


def test_load_xptorch(benchmark, state_dicts, files, size_mb):
    out = _run(benchmark, "load", size_mb, lambda: load(files / "sd.safetensors"))
    for k, v in state_dicts[0].items():
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())


def test_load_torch(benchmark, state_dicts, files, size_mb):
    out = _run(benchmark, "load", size_mb, lambda: torch.load(files / "sd.pt", weights_only=True))
    for k, v in state_dicts[1].items():
        assert torch.equal(out[k], v)


def test_load_torch_checkpoint_with_xptorch(benchmark, state_dicts, files, size_mb):
    out = _run(benchmark, "load", size_mb, lambda: load(files / "sd.pt"))
    for k, v in state_dicts[0].items():
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
