"""`xptorch run` and the abort hook: a rank that raises or is killed ends the whole job quickly,
with a non-zero exit naming the rank; no process is left behind."""
import os
import subprocess
import sys
import time

import pytest

from mpi_launch import HERE, env, mpiexec, needs_mpi, run

SCRIPT = os.path.join(HERE, "workers", "failing.py")


def xptorch_run(*args, timeout=60):
    t0 = time.monotonic()
    rc, out, err = run([sys.executable, "-m", "xptorch.cli", "run", *args], timeout)
    return rc, out, err, time.monotonic() - t0


def stray_segments(before):
    """MPICH shared-memory segments named since `before` that no live process maps: a failed job's
    segments that nobody removed (MPI_Finalize would have)."""
    deadline = time.monotonic() + 2
    while True:
        new = segments() - before
        mapped = set()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/maps") as f:
                    mapped.update(line.split(None, 5)[5].strip() for line in f if "mpich_shm_" in line)
            except (OSError, IndexError):
                pass
        stray = new - mapped
        if not stray or time.monotonic() > deadline:
            return stray
        time.sleep(0.1)


def segments():
    return {os.path.join("/dev/shm", n) for n in os.listdir("/dev/shm") if n.startswith("mpich_shm_")}


def leftovers():
    out = subprocess.run(["pgrep", "-f", SCRIPT], capture_output=True, text=True).stdout.split()
    return [p for p in out if int(p) != os.getpid()]


@needs_mpi
def test_mpi_launcher_sets_torchruns_variables():
    rc, out, err, _ = xptorch_run("--nproc-per-node", "2", "--master-port", "29640", SCRIPT, "ok", "mpi")
    assert rc == 0, err
    lines = sorted(line for line in out.splitlines() if line.startswith("rank"))
    assert lines == ["rank 0 of 2 sum 2 local 0 world 2 master 127.0.0.1:29640",
                     "rank 1 of 2 sum 2 local 1 world 2 master 127.0.0.1:29640"]


@needs_mpi
@pytest.mark.parametrize("mode, why", [("raise", "ValueError: rank one broke on purpose"),
                                       ("kill", "ended without an error report")])
def test_mpi_launcher_ends_the_job_when_a_rank_fails(mode, why):
    before = segments()
    rc, out, err, took = xptorch_run("--nproc-per-node", "2", SCRIPT, mode, "mpi")
    assert rc != 0
    # A killed rank can take its MPI peers down within milliseconds: they may be named with it.
    assert f"xptorch run: rank 1 failed: {why}" in err or f"rank 0, 1 failed: {why}" in err, err
    assert took < 10 + 3  # under 10 s once started (the interpreter and mpiexec take the rest)
    time.sleep(0.2)
    assert leftovers() == []
    assert stray_segments(before) == set()


def test_spawn_launcher_sets_torchruns_variables():
    rc, out, err, _ = xptorch_run("--launcher", "spawn", "--nproc-per-node", "3", SCRIPT, "ok", "none")
    assert rc == 0, err
    assert sorted(line for line in out.splitlines() if line.startswith("rank")) == [
        f"rank {r} local {r} world 3 master 127.0.0.1:29500" for r in range(3)]


@pytest.mark.parametrize("mode, why", [("raise", "ValueError: rank one broke on purpose"),
                                       ("kill", "killed by signal SIGKILL")])
def test_spawn_launcher_ends_the_job_when_a_rank_fails(mode, why):
    rc, out, err, took = xptorch_run("--launcher", "spawn", "--nproc-per-node", "3", SCRIPT, mode, "none")
    assert rc != 0
    assert f"xptorch run: rank 1 failed: {why}" in err, err
    assert took < 13
    time.sleep(0.2)
    assert leftovers() == []


@needs_mpi
def test_uncaught_exception_under_plain_mpiexec_aborts_every_rank():
    before = segments()
    t0 = time.monotonic()
    rc, out, err = run([mpiexec(), "-n", "2", sys.executable, SCRIPT, "raise", "mpi"], 30)
    assert rc != 0 and time.monotonic() - t0 < 13
    assert "uncaught ValueError on rank 1; calling MPI_Abort" in err, err
    assert leftovers() == []
    assert stray_segments(before) == set()


def test_run_refuses_bad_sizes():
    rc, out, err, _ = xptorch_run("--nproc-per-node", "0", SCRIPT, "ok", "none")
    assert rc == 2 and "invalid sizes" in err


@needs_mpi
def test_example_trains_on_two_ranks_with_full_batch_gradients():
    example = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "ddp_shared_mlp.py")
    rc, out, err, _ = xptorch_run("--nproc-per-node", "2", example)
    assert rc == 0, err
    first = out.splitlines()[0]
    assert first.startswith("2 ranks: max |DDP grad - full-batch grad| = ")
    assert float(first.rsplit("= ", 1)[1]) < 1e-6
    losses = [float(line.split()[-1]) for line in out.splitlines() if line.startswith("epoch")]
    assert len(losses) == 3 and losses[-1] < losses[0]
