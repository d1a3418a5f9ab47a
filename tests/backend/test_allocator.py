"""xptorch raises glibc's mmap/trim thresholds at import (XPTORCH_MALLOC_KEEP=0 opts out)."""
import os
import subprocess
import sys

import pytest

from xptorch.backend import allocator

glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None


def _applied(env_value):
    env = dict(os.environ)
    if env_value is None:
        env.pop("XPTORCH_MALLOC_KEEP", None)
    else:
        env["XPTORCH_MALLOC_KEEP"] = env_value
    code = "import xptorch; from xptorch.backend import allocator; print(allocator.applied)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not glibc, reason="mallopt thresholds are glibc's")
def test_import_keeps_freed_memory_unless_told_not_to():
    assert _applied(None) == "True"
    assert _applied("0") == "False"


def test_keep_freed_memory_is_idempotent():
    first = allocator.keep_freed_memory()
    assert allocator.keep_freed_memory() == first
