"""What each rank runs under `xptorch run`: `python -m xptorch.distributed._bootstrap script args`.

Sets RANK/LOCAL_RANK from the MPI launcher where it started the rank, notes the rank's pid and
exit for the launcher, runs the script as __main__, and on an uncaught exception records it,
prints it, and ends every rank (MPI_Abort when MPI is up, like `python -m mpi4py`).
"""
import os
import runpy
import sys
import traceback


def _note(suffix, text):
    d = os.environ.get("XPTORCH_RUN_DIR")
    if d:
        try:
            with open(os.path.join(d, f"rank{os.environ.get('RANK', '?')}.{suffix}"), "w") as f:
                f.write(text)
        except OSError:
            pass


def _abort_mpi():
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized():
        from ._shm import mapped_segments, release

        release(mapped_segments())  # MPI_Abort skips MPI_Finalize, which would have removed them
        mpi.COMM_WORLD.Abort(1)


def main(argv):
    pmi = next((k for k in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK") if k in os.environ), None)
    if pmi is not None and "XPTORCH_LOCAL_FROM_PMI" in os.environ:  # MPICH, Open MPI, other PMIx launchers
        local = int(os.environ[pmi])
        os.environ["LOCAL_RANK"] = str(local)
        os.environ["RANK"] = str(int(os.environ.get("GROUP_RANK", "0")) * int(os.environ["LOCAL_WORLD_SIZE"]) + local)
    rank = os.environ.get("RANK", "?")
    os.environ["XPTORCH_ERROR_FILE"] = os.path.join(os.environ.get("XPTORCH_RUN_DIR", "."), f"rank{rank}.error")
    _note("pid", str(os.getpid()))
    if not argv:
        sys.exit("usage: python -m xptorch.distributed._bootstrap [-m module | script.py] [args ...]")
    code = 0
    try:
        if argv[0] == "-m":
            sys.argv = argv[1:]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = argv
            sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code:
            _note("error", f'{{"rank": "{rank}", "type": "SystemExit", "message": "exit code {code}"}}')
    except BaseException as e:  # noqa: BLE001 - every failure must end all ranks
        from ._excepthook import write_error_record

        traceback.print_exc()
        write_error_record(type(e), e, e.__traceback__)
        sys.stderr.write(f"xptorch run: rank {rank} failed with {type(e).__name__}; ending every rank\n")
        sys.stderr.flush()
        _note("exit", "1")
        _abort_mpi()
        os._exit(1)
    _note("exit", str(code))
    sys.exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
