"""Run the benchmarks (or read a pytest-benchmark JSON) and print xptorch/torch ratios per group.

    python bench/ratios.py                 # runs bench/ on CPU and prints the table
    python bench/ratios.py results.json    # table from an existing --benchmark-json file
    python bench/ratios.py -k speed        # extra arguments go to pytest
"""
import json
import os
import subprocess
import sys
import re
import tempfile

# Benchmarks without a `lib` parameter name their library last: test_save_xptorch, test_save_torch.
_NAMED = re.compile(r"test_\w*?_(xptorch|torch)(\[|$)")


def table(data):
    groups = {}
    for b in data["benchmarks"]:
        lib = (b.get("params") or {}).get("lib")
        if lib is None:
            m = _NAMED.match(b["name"])
            lib = m.group(1) if m and "checkpoint" not in b["name"] else None
        if lib in ("xptorch", "torch"):
            groups.setdefault(b["group"], {})[lib] = b["stats"]["median"]
    rows = ["| workload | xptorch | torch | ratio |", "| --- | ---: | ---: | ---: |"]
    for g in sorted(groups):
        v = groups[g]
        if "xptorch" in v and "torch" in v:
            rows.append(f"| {g} | {_fmt(v['xptorch'])} | {_fmt(v['torch'])} | {v['xptorch'] / v['torch']:.2f} |")
    return "\n".join(rows)


def _fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def main(argv):
    if argv and argv[0].endswith(".json"):
        with open(argv[0]) as f:
            print(table(json.load(f)))
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    threads = os.environ.get("XPTORCH_BENCH_THREADS", "1")
    env = dict(os.environ, XPTORCH_BENCH_THREADS=threads, OMP_NUM_THREADS=threads,
               OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "bench.json")
        rc = subprocess.call([sys.executable, "-m", "pytest", here, "-q", "--benchmark-enable",
                              f"--benchmark-json={out}", "-p", "no:cacheprovider", *argv], env=env)
        if not os.path.exists(out):
            return rc or 1
        with open(out) as f:
            print(table(json.load(f)))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
