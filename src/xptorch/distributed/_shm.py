"""MPICH's shared-memory segments of a job that did not end through MPI_Finalize.

MPICH keeps each node's shared-memory segment (/dev/shm/mpich_shm_*, about 2 MB) named until
MPI_Finalize. A job ended by MPI_Abort or by a killed rank never gets there, so the names stay in
/dev/shm for good, one more per failed job. Whoever ends a job abnormally removes the names of the
segments its ranks have mapped: unlinking only drops the name, so ranks still running keep their
memory until they exit.
"""
import os

PREFIX = "/dev/shm/mpich_shm_"


def mapped_segments(pid="self"):
    """The MPICH segment paths that process `pid` has mapped (empty where /proc cannot tell)."""
    found = set()
    try:
        with open(f"/proc/{pid}/maps") as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].startswith(PREFIX):
                    path = parts[5].rstrip("\n")
                    if path.endswith(" (deleted)"):
                        continue
                    found.add(path)
    except OSError:
        pass
    return found


def release(paths):
    """Remove the names in `paths`; ones already gone or not ours are skipped."""
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass
