"""`xptorch run`: start N ranks of a script, torchrun's way (same flags, same variables).

With the `dist` extra (mpi4py and an `mpiexec`) the ranks start under mpiexec, so a script can
make an 'mpi' or an 'nccl' process group; otherwise the launcher spawns them itself ('nccl' only).
Every rank gets RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and
MASTER_PORT. When a rank fails, every rank is ended within seconds and the launcher exits with
a non-zero code naming the rank and its error.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GRACE = 3.0  # seconds between asking ranks to stop and killing them


def add_arguments(p):
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc_per_node", type=int, default=1)
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--node-rank", "--node_rank", dest="node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", dest="master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", dest="master_port", type=int, default=29500)
    p.add_argument("--launcher", choices=("auto", "mpi", "spawn"), default="auto",
                   help="auto: mpiexec when the dist extra is installed, else spawn the ranks directly")
    p.add_argument("-m", "--module", action="store_true", help="run the script argument as a module (python -m)")
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER)


def find_mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


def mpi_flavour(mpiexec):
    """'mpich', 'openmpi' or 'unknown', from `mpiexec --version` (their launchers take different options)."""
    try:
        r = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    text = (r.stdout + r.stderr).lower()
    if "open mpi" in text or "openrte" in text or "open-mpi" in text or "prrte" in text:
        return "openmpi"
    if "hydra" in text or "mpich" in text:
        return "mpich"
    return "unknown"


def mpiexec_command(mpiexec, n, boot, flavour=None):
    """The mpiexec command line starting n ranks of boot, for this MPI's launcher."""
    flavour = flavour or mpi_flavour(mpiexec)
    cmd = [mpiexec]
    if flavour == "mpich":
        # The launcher, not mpiexec, ends the job on a failure: it first sees which rank died.
        cmd.append("-disable-auto-cleanup")
    elif flavour == "openmpi" and hasattr(os, "geteuid") and os.geteuid() == 0:
        # Open MPI refuses to start as root (containers often are) unless told.
        cmd.append("--allow-run-as-root")
    return cmd + ["-n", str(n)] + list(boot)


def _common_env(args, run_dir):
    world = args.nproc_per_node * args.nnodes
    env = dict(os.environ)
    env.update(WORLD_SIZE=str(world), LOCAL_WORLD_SIZE=str(args.nproc_per_node), GROUP_RANK=str(args.node_rank),
               MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port), XPTORCH_RUN_DIR=run_dir)
    if "OMP_NUM_THREADS" not in env and args.nproc_per_node > 1:
        env["OMP_NUM_THREADS"] = "1"  # as torchrun: one BLAS thread per rank unless told otherwise
    return env


def _target(args):
    return (["-m", args.script] if args.module else [args.script]) + list(args.script_args)


def launch(args):
    if args.nproc_per_node < 1 or args.nnodes < 1 or not 0 <= args.node_rank < args.nnodes:
        print(f"xptorch run: invalid sizes: --nproc-per-node {args.nproc_per_node}, --nnodes {args.nnodes}, "
              f"--node-rank {args.node_rank}", file=sys.stderr)
        return 2
    mpiexec = find_mpiexec() if args.launcher in ("auto", "mpi") else None
    if args.launcher == "mpi" and mpiexec is None:
        print("xptorch run: --launcher mpi needs mpi4py and mpiexec: pip install 'xptorch[dist]'", file=sys.stderr)
        return 2
    if mpiexec is not None and args.nnodes > 1:
        mpiexec = None  # one MPI job per node would not form one world: ranks meet through the TCP store
    run_dir = tempfile.mkdtemp(prefix="xptorch-run-")
    try:
        env = _common_env(args, run_dir)
        boot = [sys.executable, "-m", "xptorch.distributed._bootstrap"] + _target(args)
        if mpiexec is not None:
            env["XPTORCH_LOCAL_FROM_PMI"] = "1"
            cmd = mpiexec_command(mpiexec, args.nproc_per_node, boot)
            procs = {None: subprocess.Popen(cmd, env=env, start_new_session=True)}
        else:
            procs = {}
            for local in range(args.nproc_per_node):
                rank = args.node_rank * args.nproc_per_node + local
                e = dict(env, RANK=str(rank), LOCAL_RANK=str(local))
                procs[rank] = subprocess.Popen(boot, env=e, start_new_session=True)
        return _supervise(procs, run_dir, args)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


def _read(run_dir, name):
    try:
        with open(os.path.join(run_dir, name)) as f:
            return f.read()
    except OSError:
        return None


def _ranks(args):
    return [args.node_rank * args.nproc_per_node + i for i in range(args.nproc_per_node)]


def _failure(run_dir, args, procs):
    """(rank, description) of the first failed rank seen, or None."""
    for r in _ranks(args):
        err = _read(run_dir, f"rank{r}.error")
        if err:
            try:
                rec = json.loads(err)
                return r, f"{rec.get('type')}: {rec.get('message')}"
            except ValueError:
                return r, err.strip()
    for r in _ranks(args):
        p = procs.get(r)
        if p is not None and p.poll() not in (None, 0):
            code = p.returncode
            return r, (f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}")
    # Under mpiexec: ranks whose process is gone without having exited through the bootstrap.
    # A peer's death can take others down within milliseconds; all seen at once are named.
    dead = [r for r in _ranks(args) if procs.get(r) is None and _read(run_dir, f"rank{r}.exit") is None
            and (_read(run_dir, f"rank{r}.pid") or "").isdigit() and not _alive(int(_read(run_dir, f"rank{r}.pid")))]
    if dead:
        return ", ".join(map(str, dead)), "ended without an error report (killed by a signal?)"
    return None


def _stop(procs, run_dir=None, args=None):
    from ._shm import PREFIX, mapped_segments, release

    # Killed ranks never reach MPI_Finalize: the names of their shared-memory segments are removed here.
    segments = set()
    pids = [p.pid for r, p in procs.items() if r is not None and p.poll() is None]
    if run_dir is not None:
        pids += [int(pid) for pid in (_read(run_dir, f"rank{r}.pid") for r in _ranks(args)) if pid and pid.isdigit()]
        for r in _ranks(args):  # noted by each rank after MPI's start (xptorch.distributed)
            segments.update(line for line in (_read(run_dir, f"rank{r}.shm") or "").splitlines()
                            if line.startswith(PREFIX))
    for pid in pids:
        segments |= mapped_segments(pid)
    if run_dir is not None:  # ranks under mpiexec may live outside its process group
        for r in _ranks(args):
            pid = _read(run_dir, f"rank{r}.pid")
            if pid and _alive(int(pid)):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
    for p in procs.values():
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
    deadline = time.monotonic() + GRACE
    for p in procs.values():
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    release(segments)


def _supervise(procs, run_dir, args):
    try:
        while True:
            failed = _failure(run_dir, args, procs)
            if failed is not None:
                _stop(procs, run_dir, args)
                rank, what = failed
                print(f"xptorch run: rank {rank} failed: {what}; ended all {len(_ranks(args))} local ranks",
                      file=sys.stderr)
                return 1
            if all(p.poll() is not None for p in procs.values()):
                codes = {r: p.returncode for r, p in procs.items()}
                bad = {r: c for r, c in codes.items() if c}
                if not bad:
                    return 0
                _stop(procs, run_dir, args)  # every process has ended: this releases what they left
                failed = _failure(run_dir, args, procs)
                r, c = next(iter(bad.items()))
                what = failed[1] if failed else f"exit code {c}"
                name = failed[0] if failed else ("the MPI job" if r is None else r)
                print(f"xptorch run: rank {name} failed: {what}", file=sys.stderr)
                return 1
            time.sleep(0.02)
    except KeyboardInterrupt:
        _stop(procs, run_dir, args)
        return 130
