"""Monitor records as CSV (one row per step and parameter) and JSON."""
import csv
import json
import math
import os

from .monitor import FIGURES

__all__ = ["CSV_COLUMNS", "write_csv", "write_json"]

CSV_COLUMNS = ("step", "name", "names", "shape") + FIGURES


def write_csv(monitor, path):
    """One row per record; `names` joined by ';', `shape` as '8x4' (empty for a scalar)."""
    path = os.fspath(path)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in monitor.records:
            w.writerow([r["step"], r["name"], ";".join(r["names"]), "x".join(map(str, r["shape"]))]
                       + [repr(r[k]) for k in FIGURES])
    return path


def _finite(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def write_json(monitor, path):
    """{'every', 'steps', 'parameters': [{name, names, shape}], 'records': [...], 'scalars': [...]};
    NaN and infinities are written as null so any JSON reader accepts the file.
    """
    path = os.fspath(path)
    params = [{"name": names[0], "names": list(names), "shape": list(p.shape)} for p, names in monitor._params]
    doc = {
        "every": monitor.every,
        "steps": monitor.steps,
        "parameters": params,
        "records": [{k: _finite(v) for k, v in r.items()} for r in monitor.records],
        "scalars": [{k: _finite(v) for k, v in s.items()} for s in monitor.scalars],
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
    return path
