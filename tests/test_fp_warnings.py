"""NumPy's floating-point warnings from inside xptorch's arithmetic stay silent, as PyTorch is; NumPy's
own warnings elsewhere in the process are untouched."""
import os
import subprocess
import sys
import textwrap

import pytest

SRC = os.path.join(os.path.dirname(__file__), "..", "src")

SCRIPT = textwrap.dedent("""
    import numpy as np
    import xptorch as torch
    x = torch.tensor([float("inf"), 1e38, 0.0])
    y = (x + (-x), x - x, x * 0, x @ x, x * 1e10, (x * 1e10).sum())
    assert torch.isnan(y[0][0]) and torch.isinf(y[3])
    print("quiet")
    np.array([1.0]) / np.array([0.0])  # the user's own NumPy: still warns
""")


@pytest.mark.parametrize("flags", [[], ["-W", "error::RuntimeWarning:xptorch"], ["-W", "default"]])
def test_script_with_inf_arithmetic_prints_no_numpy_warning(tmp_path, flags):
    script = tmp_path / "s.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=SRC)
    r = subprocess.run([sys.executable, *flags, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "quiet"
    # Only the user's own division warns, attributed to the script.
    lines = [l for l in r.stderr.splitlines() if "RuntimeWarning" in l]
    assert len(lines) == 1 and "divide by zero" in lines[0] and "s.py" in lines[0], r.stderr
