"""The real CuPy installed on a machine without a CUDA driver or GPU (CI, with the test extra): xptorch
imports, says why CUDA is unusable, runs on CPU, and refuses 'cuda' at once with that reason."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import xptorch
from xptorch import backend

SRC = str(Path(xptorch.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _cupy_state():
    """(importable, has a usable GPU) judged in a fresh interpreter, away from any test stand-in."""
    code = "import cupy, sys; sys.stdout.write(str(int(cupy.cuda.is_available())))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return r.returncode == 0, r.stdout == "1"


_IMPORTABLE, _GPU = _cupy_state()
if not _IMPORTABLE:
    if os.environ.get("CI"):
        raise RuntimeError("CI installs the test extra, which brings CuPy; it does not import")
    pytest.skip("CuPy is not installed here", allow_module_level=True)
if _GPU:
    pytest.skip("this machine has a usable CUDA GPU", allow_module_level=True)


def run(*args, timeout=120):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=ENV)


def test_import_and_availability_in_a_fresh_process():
    code = ("import xptorch, sys\n"
            "print(xptorch.cuda.is_available()); print(xptorch.cuda.device_count())\n"
            "print(xptorch.cuda.why_unavailable())\n"
            "try:\n    xptorch.zeros(2, device='cuda')\nexcept RuntimeError as e:\n    print('refused:', e)\n"
            "print(xptorch.ones(2).sum().item())")
    r = run("-c", code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "False" and lines[1] == "0"
    assert lines[2].startswith("CuPy is installed but no CUDA driver could be used")
    assert lines[3].startswith("refused: CUDA is not available: " + lines[2][:40])
    assert lines[4] == "2.0"
    assert r.stderr == ""


def test_reason_is_the_same_in_process():
    assert not xptorch.cuda.is_available() or backend._simulated is not None
    reason = backend.cuda_status()[1] if backend._simulated is None else None
    if reason is not None:
        assert "CuPy is installed" in reason and "driver" in reason


def test_info_says_why():
    r = run("-m", "xptorch.cli", "info")
    assert r.returncode == 0, r.stderr
    assert "cupy 14" in r.stdout or "cupy 13" in r.stdout
    assert "(installed, but CUDA is unusable)" in r.stdout
    assert "CUDA: unavailable: CuPy is installed but no CUDA driver could be used" in r.stdout
    assert "CUDA devices: 0" in r.stdout


def test_tour_auto_runs_on_cpu_and_says_why(tmp_path):
    out = tmp_path / "report"
    r = run("-m", "xptorch.cli", "tour", "--device", "auto", "--steps", "2", "--out", str(out), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "xptorch tour on cpu:" in r.stdout
    assert "Running on CPU because CUDA is not available: CuPy is installed but no CUDA driver" in r.stdout
    assert "device = 'cpu'" in r.stdout
    assert (out / "index.html").is_file()


def test_tour_cuda_fails_at_once_with_the_reason(tmp_path):
    out = tmp_path / "report"
    start = time.perf_counter()
    r = run("-m", "xptorch.cli", "tour", "--device", "cuda", "--out", str(out))
    elapsed = time.perf_counter() - start
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("xptorch tour: error: --device cuda was asked for but CUDA is not available: "
                               "CuPy is installed but no CUDA driver could be used")
    assert not out.exists()
    assert elapsed < 30  # interpreter start and imports; no training step ran


def test_gpu_tests_are_skipped_with_the_reason():
    target = Path(__file__).parent / "backend" / "test_cuda_kernels.py"
    r = run("-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(target), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = r.stdout.strip().splitlines()[-1]
    assert " passed" not in summary and " skipped" in summary, summary
    assert "needs an NVIDIA GPU with CuPy: CuPy is installed but no CUDA driver could be used" in r.stdout
