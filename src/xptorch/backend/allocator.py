"""Keep freed large blocks in glibc's heap for reuse instead of handing them back to the system.

glibc serves blocks above its mmap threshold (128 KiB, raised on the fly up to 32 MiB) with fresh
mappings and trims the heap top once twice that is free, so a training step that frees and
reallocates multi-megabyte temporaries pays a page fault per 4 KiB of each one, every step: on a
ResNet-style CPU step most of its time in batch norm went there. Raising both thresholds (to
MMAP_BYTES and TRIM_BYTES) keeps those pages mapped; blocks above MMAP_BYTES are still mapped and
unmapped whole. Set XPTORCH_MALLOC_KEEP=0 to leave malloc as it is.
"""
import ctypes
import os
import sys

MMAP_BYTES = 64 << 20
TRIM_BYTES = 256 << 20
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

applied = False


def keep_freed_memory():
    """Raise glibc's mmap and trim thresholds once per process; True if they were set."""
    global applied
    if applied or not sys.platform.startswith("linux") or os.environ.get("XPTORCH_MALLOC_KEEP", "1") == "0":
        return applied
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # glibc only: musl's mallopt does nothing useful
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # Both at once: setting either stops glibc's own adjustment of the other.
    applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES))
    return applied
