"""Temporary files and folders named after the process that writes them, so a later writer can
remove what a killed one left behind: ``<prefix><pid>-<random>``, in the folder of the result."""
import os
import secrets
import shutil


def staging_name(prefix):
    """A fresh name for this process's temporary file or folder."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or we cannot tell: leave its files alone
    return True


def sweep_stale(folder, prefix):
    """Remove every ``<prefix><pid>-...`` entry in folder whose writing process no longer runs."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        pid = name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError:
            pass  # removed by someone else meanwhile, or not ours to remove
