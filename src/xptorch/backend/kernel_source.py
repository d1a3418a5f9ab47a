"""Where the CUDA sources live: xptorch/kernels/ inside an installed wheel, else the checkout's kernels/."""
import importlib.resources
from pathlib import Path

# src/xptorch/backend/kernel_source.py -> the repository root holds kernels/.
_CHECKOUT = Path(__file__).resolve().parents[3] / "kernels"


def _roots():
    """Folders searched in order; an editable install can lack the packaged copy, so the checkout follows."""
    roots = []
    try:
        roots.append(importlib.resources.files("xptorch") / "kernels")
    except (ModuleNotFoundError, TypeError):
        pass
    roots.append(_CHECKOUT)
    return roots


def path(name):
    """The first kernels/<name> found; FileNotFoundError names every place looked at."""
    tried = []
    for root in _roots():
        candidate = root / name
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    raise FileNotFoundError(
        f"CUDA kernel source {name!r} not found; looked at: " + ", ".join(tried)
        + ". Reinstall xptorch, or run from a checkout that has kernels/."
    )


def read(name):
    return path(name).read_text(encoding="utf-8")


def source(*names):
    """The files concatenated in order, each behind a #line so compiler messages name the right file."""
    return "".join(f'#line 1 "{name}"\n{read(name)}\n' for name in names)


def names():
    """Every .cu file of the first folder that has any."""
    for root in _roots():
        if root.is_dir():
            found = sorted(p.name for p in root.iterdir() if p.name.endswith(".cu"))
            if found:
                return found
    return []
