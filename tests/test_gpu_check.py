"""bench/gpu_check.sh stays runnable: valid bash, and the documented .gpu-deps command pins the versions of
the pure-Python test dependencies this environment tests with."""
import importlib.metadata
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "gpu_check.sh"


def test_script_parses():
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash here")
    r = subprocess.run([bash, "-n", str(SCRIPT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_documented_dependency_command_matches_the_tested_versions():
    text = SCRIPT.read_text()
    command = re.search(r"#   (python3 -m pip download .*?)\n#\n", text, re.S).group(1)
    pins = dict(re.findall(r"([A-Za-z0-9_.-]+)==([0-9][^\s\\]*)", command))
    assert {"pytest-benchmark", "hypothesis"} <= set(pins)
    assert "--only-binary=:all:" in command and "-d .gpu-deps" in command
    for name, version in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        assert installed == version, f"{name}: documented {version}, tests run with {installed}"
    # Their own requirements are listed too, so nothing is fetched on the GPU machine.
    for name in ("pytest-benchmark", "hypothesis"):
        try:
            reqs = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for req in reqs:
            if "extra ==" in req:
                continue
            dep = re.match(r"[A-Za-z0-9_.-]+", req).group(0).lower()
            if dep not in ("pytest", "exceptiongroup", "tomli", "typing-extensions"):
                assert dep in {k.lower() for k in pins}, f"{name} needs {dep}"
