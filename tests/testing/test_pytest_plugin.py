"""The pytest plugin, loaded the way pytest loads it for users (-p / the pytest11 entry point), in a fresh
pytest run over a scratch folder with no conftest of its own."""
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

import xptorch

ROOT = Path(__file__).resolve().parents[2]
SRC = str(Path(xptorch.__file__).resolve().parents[1])


def run_pytest(tmp_path, body, *args):
    (tmp_path / "test_user.py").write_text(textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    # Under pytest-xdist the inner session would take itself for a worker and time differently.
    for key in [k for k in env if k.startswith("PYTEST_XDIST")]:
        del env[key]
    cmd = [sys.executable, "-m", "pytest", "-p", "xptorch.testing.pytest_plugin", "-p", "pytest_benchmark.plugin",
           "-p", "no:cacheprovider", "-v", "-rs", "-W", "error", str(tmp_path / "test_user.py"), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    return r.returncode, r.stdout + r.stderr


def test_entry_point_is_declared():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["entry-points"]["pytest11"] == {"xptorch": "xptorch.testing.pytest_plugin"}


def test_device_fixture_runs_cpu_and_skips_cuda_with_the_reason(tmp_path):
    code, out = run_pytest(tmp_path, """
        import xptorch

        def test_ones(device):
            x = xptorch.ones(3, device=device)
            assert x.device.type == device.split(":")[0]
            assert x.sum().item() == 3
    """)
    assert code == 0, out
    assert re.search(r"test_ones\[cpu\] PASSED", out), out
    if xptorch.cuda.is_available():
        for i in range(xptorch.cuda.device_count()):
            assert f"test_ones[cuda:{i}] PASSED" in out
    else:
        assert "test_ones[cuda] SKIPPED" in out
        assert "CUDA is not available: " + xptorch.cuda.why_unavailable()[:30] in out


def test_a_conftest_device_fixture_wins(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.fixture(params=["mine"])
        def device(request):
            return request.param
    """))
    code, out = run_pytest(tmp_path, """
        def test_which(device):
            assert device == "mine"
    """)
    assert code == 0, out
    assert "test_which[mine] PASSED" in out and "1 passed" in out


def test_cuda_benchmark_synchronises_every_round(tmp_path):
    code, out = run_pytest(tmp_path, """
        import xptorch
        from xptorch.testing import pytest_plugin

        calls = []

        def test_rounds(cuda_benchmark, monkeypatch):
            monkeypatch.setattr(pytest_plugin, "synchronize_all", lambda: calls.append("sync"))
            cuda_benchmark._sync = pytest_plugin.synchronize_all
            cuda_benchmark.group = "g"
            cuda_benchmark.pedantic(lambda: calls.append("run"), rounds=5, warmup_rounds=1, iterations=1)
            # One sync before timing starts, then each round (warm-up included) ends with one.
            assert calls == ["sync"] + ["run", "sync"] * 6
            assert cuda_benchmark.group == "g"

        def test_plain_call(cuda_benchmark):
            cuda_benchmark._sync = lambda: calls.append("sync")
            calls.clear()
            assert cuda_benchmark(lambda x: calls.append("run") or x + 1, 1) == 2
            # Every run is followed by a sync (calibration rounds too).
            assert calls[0] == "sync" and calls.count("run") >= 3
            assert all(calls[i + 1] == "sync" for i, c in enumerate(calls) if c == "run")
    """, "--benchmark-enable", "--benchmark-min-rounds=3")
    assert code == 0, out
    assert "test_rounds PASSED" in out and "test_plain_call PASSED" in out


def test_cuda_benchmark_without_timing_still_runs_once(tmp_path):
    code, out = run_pytest(tmp_path, """
        def test_once(cuda_benchmark):
            seen = []
            cuda_benchmark(seen.append, 1)
            assert seen == [1]
    """, "--benchmark-disable")
    assert code == 0, out
