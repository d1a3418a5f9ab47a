"""`xptorch run` under MPICH's and Open MPI's mpiexec: each launcher gets only options it knows, and the
ranks find their local rank in either's environment."""
import os
import subprocess
import sys
import textwrap

import pytest

from xptorch.distributed import run

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def _fake(tmp_path, text, name="mpiexec"):
    path = tmp_path / name
    path.write_text("#!/bin/sh\ncat <<'EOF'\n" + text + "\nEOF\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("text,flavour", [
    ("HYDRA build details:\n    Version:                                 4.3.0\n", "mpich"),
    ("mpiexec (OpenRTE) 4.1.6\n\nReport bugs to http://www.open-mpi.org/community/help/", "openmpi"),
    ("mpiexec (Open MPI) 5.0.3\n\nReport bugs to https://www.open-mpi.org/community/help/", "openmpi"),
    ("some other launcher 1.0", "unknown"),
])
def test_flavour_from_version_text(tmp_path, text, flavour):
    assert run.mpi_flavour(_fake(tmp_path, text)) == flavour


def test_flavour_of_a_missing_launcher_is_unknown(tmp_path):
    assert run.mpi_flavour(str(tmp_path / "no-such-mpiexec")) == "unknown"


def test_the_installed_mpich_is_recognised():
    mpiexec = run.find_mpiexec()
    if mpiexec is None:
        pytest.skip("no mpi4py/mpiexec here (the dist extra)")
    out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
    want = "mpich" if "HYDRA" in out.stdout + out.stderr else None
    if want is None:
        pytest.skip("this mpiexec is not MPICH's")
    assert run.mpi_flavour(mpiexec) == "mpich"


@pytest.mark.parametrize("flavour,root,want", [
    ("mpich", False, ["-disable-auto-cleanup"]),
    ("mpich", True, ["-disable-auto-cleanup"]),
    ("openmpi", False, []),
    ("openmpi", True, ["--allow-run-as-root"]),
    ("unknown", True, []),
])
def test_command_has_only_the_launchers_options(monkeypatch, flavour, root, want):
    monkeypatch.setattr(run.os, "geteuid", lambda: 0 if root else 1000, raising=False)
    cmd = run.mpiexec_command("/x/mpiexec", 3, ["python", "-m", "boot", "train.py"], flavour)
    assert cmd == ["/x/mpiexec"] + want + ["-n", "3", "python", "-m", "boot", "train.py"]


@pytest.mark.parametrize("var", ["PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"])
def test_bootstrap_reads_the_local_rank_of_each_launcher(tmp_path, var):
    script = tmp_path / "show.py"
    script.write_text(textwrap.dedent("""
        import os
        print(os.environ["RANK"], os.environ["LOCAL_RANK"])
    """))
    env = {k: v for k, v in os.environ.items() if k not in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")}
    env.update({var: "1", "XPTORCH_LOCAL_FROM_PMI": "1", "LOCAL_WORLD_SIZE": "2", "GROUP_RANK": "1",
                "XPTORCH_RUN_DIR": str(tmp_path), "PYTHONPATH": SRC})
    r = subprocess.run([sys.executable, "-m", "xptorch.distributed._bootstrap", str(script)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["3", "1"]
