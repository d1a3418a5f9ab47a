"""An uncaught exception on one rank must end every rank, never leave them waiting.

Under MPI the hook prints the traceback, records the error for the launcher, then calls
MPI_Abort on COMM_WORLD, which ends all ranks of the job (as ChainerMN's global except hook).
"""
import json
import os
import sys
import time
import traceback


def write_error_record(exc_type, exc, tb):
    """Where `xptorch run` asked for it (XPTORCH_ERROR_FILE), note the rank's error as JSON."""
    path = os.environ.get("XPTORCH_ERROR_FILE")
    if not path:
        return
    try:
        with open(path, "w") as f:
            json.dump({"rank": os.environ.get("RANK"), "type": exc_type.__name__, "message": str(exc),
                       "traceback": "".join(traceback.format_exception(exc_type, exc, tb))}, f)
    except OSError:
        pass


_installed = []


def install_abort_hook(comm):
    if _installed:
        return
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        try:
            previous(exc_type, exc, tb)
            write_error_record(exc_type, exc, tb)
            sys.stderr.write(f"xptorch.distributed: uncaught {exc_type.__name__} on rank {comm.Get_rank()}; "
                             "calling MPI_Abort to end every rank\n")
            sys.stderr.flush()
            # MPI_Abort ends the launcher's forwarding of this rank's output with it: a moment first, so
            # the traceback and this line reach the user's terminal.
            time.sleep(0.25)
        finally:
            from ._shm import mapped_segments, release

            release(mapped_segments())  # MPI_Abort skips MPI_Finalize, which would have removed them
            comm.Abort(1)

    sys.excepthook = hook
    _installed.append(hook)
