"""The `xptorch` command line: info and argument handling."""
import subprocess
import sys

import numpy as np
import pytest

import xptorch
from xptorch import cli


def test_info(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"xptorch {xptorch.__version__}\n")
    assert f"numpy {np.__version__}" in out
    if xptorch.cuda.is_available():
        assert f"CUDA devices: {xptorch.cuda.device_count()}" in out
    else:
        assert "cupy not available" in out or "CUDA is unusable" in out
        assert xptorch.cuda.why_unavailable() in out
        assert "CUDA devices: 0" in out


def test_info_lists_simulated_devices(simulated_cuda, capsys):
    if not hasattr(xptorch.backend, "_simulated") or xptorch.backend._simulated is None:
        pytest.skip("a real GPU is present")
    assert cli.main(["info"]) == 0
    assert "CUDA devices: 1" in capsys.readouterr().out


@pytest.mark.parametrize("module", ["xptorch.cli", "xptorch"])
def test_console_module_runs(module):
    res = subprocess.run([sys.executable, "-m", module, "info"], capture_output=True, text=True,
                         env={**__import__("os").environ, "PYTHONPATH": xptorch.__path__[0].rsplit("/", 1)[0]})
    assert res.returncode == 0 and res.stdout.startswith("xptorch ")


def test_usage_errors(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["tour", "--device", "tpu"])
    assert e.value.code == 2 and "invalid choice: 'tpu'" in capsys.readouterr().err
