"""Run a worker script on N ranks under mpiexec (one BLAS thread each), with a timeout that
ends the whole process group, so no MPI process outlives a test."""
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(
    mpiexec() is None or not __import__("importlib").util.find_spec("mpi4py"),
    reason="needs mpi4py and mpiexec: pip install '.[dist]'",
)


def env(**extra):
    e = dict(os.environ, **THREADS)
    e["PYTHONPATH"] = SRC + os.pathsep + e.get("PYTHONPATH", "")
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run(cmd, timeout, environ=None):
    """Run cmd in its own session; on timeout kill the whole session and fail."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=environ or env(), start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"{' '.join(cmd)} ran past {timeout} s\nstdout:\n{out}\nstderr:\n{err}")
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    return p.returncode, out, err


def run_workers(script, n, tmp_path, timeout=60, args=(), **extra):
    """mpiexec -n N python workers/script OUTDIR ...; returns each rank's JSON report."""
    cmd = [mpiexec(), "-n", str(n), sys.executable, os.path.join(HERE, "workers", script), str(tmp_path), *args]
    rc, out, err = run(cmd, timeout, env(**extra))
    assert rc == 0, f"rc={rc}\nstdout:\n{out}\nstderr:\n{err}"
    reports = []
    for r in range(n):
        with open(os.path.join(tmp_path, f"rank{r}.json")) as f:
            reports.append(json.load(f))
    return reports
