#!/usr/bin/env bash
# GPU tests and GPU benchmarks on a CUDA machine whose python3 already has cupy, torch, pytest and
# pytest-benchmark (nothing is installed):
#
#   bash bench/gpu_check.sh OUTDIR
#
# Writes OUTDIR/gpu-tests.xml (JUnit), OUTDIR/gpu-bench.json (pytest-benchmark), their logs and
# OUTDIR/summary.txt.  Exits non-zero when a test fails, the benchmarks fail, or no GPU is usable.
# PYTHON=... picks another interpreter; XPT_BENCH_FULL=1 runs the full linear grid.
set -u
if [ $# -ne 1 ]; then
    echo "usage: bash bench/gpu_check.sh OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"

# The GPU set: tests marked cuda, and every test parametrised on the real 'cuda' device (tests/seeds too).
"$py" -m pytest tests -k cuda -p no:cacheprovider --continue-on-collection-errors -q -rfEs \
    --junitxml "$out/gpu-tests.xml" 2>&1 | tee "$out/gpu-tests.log"
tests_rc=${PIPESTATUS[0]}

"$py" -m pytest bench/test_bench_kernels_gpu.py -p no:cacheprovider -q -rfEs \
    -W "ignore::pytest_benchmark.logger.PytestBenchmarkWarning" --benchmark-enable --benchmark-json "$out/gpu-bench.json" 2>&1 | tee "$out/gpu-bench.log"
bench_rc=${PIPESTATUS[0]}

"$py" - "$out" "$tests_rc" "$bench_rc" <<'EOF'
import importlib.util
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

out, tests_rc, bench_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = []


def gpu_name():
    try:
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception as exc:  # no driver, no GPU, no CuPy
        return f"none ({type(exc).__name__}: {exc})"


def versions():
    found = []
    for mod in ("cupy", "torch", "numpy"):
        try:
            found.append(f"{mod} {__import__(mod).__version__}")
        except Exception:
            found.append(f"{mod} missing")
    return ", ".join(found)


gpu = gpu_name()
lines.append(f"GPU: {gpu}")
lines.append(f"Python packages: {versions()}")
missing = [m for m in ("hypothesis", "safetensors", "matplotlib") if importlib.util.find_spec(m) is None]
if missing:
    lines.append("Missing test dependencies (their test modules fail to collect): " + ", ".join(missing))

counts = dict(tests=0, failures=0, errors=0, skipped=0)
xml_path = os.path.join(out, "gpu-tests.xml")
if os.path.exists(xml_path):
    root = ET.parse(xml_path).getroot()
    for suite in root.iter("testsuite"):
        for k in counts:
            counts[k] += int(suite.get(k, 0))
passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
lines.append(f"GPU tests: {passed} passed, {counts['failures']} failed, {counts['errors']} errors, "
             f"{counts['skipped']} skipped (pytest exit {tests_rc})")

json_path = os.path.join(out, "gpu-bench.json")
groups = {}
if os.path.exists(json_path):
    with open(json_path) as f:
        data = json.load(f)
    for b in data.get("benchmarks", []):
        lib = (b.get("params") or {}).get("lib", b["name"])
        extra = b.get("extra_info", {})
        per_op = extra.get("per_op_us", b["stats"]["median"] * 1e6)
        groups.setdefault(b["group"], {})[lib] = (per_op, extra)
lines.append(f"GPU benchmarks: {sum(len(v) for v in groups.values())} results (pytest exit {bench_rc})")
lines.append("")
lines.append("| workload | lib | per op | rate | xptorch / this |")
lines.append("| --- | --- | ---: | ---: | ---: |")
for g in sorted(groups):
    libs = groups[g]
    mine = libs.get("xptorch", (None,))[0]
    for lib in sorted(libs, key=lambda k: (k != "xptorch", k)):
        per_op, extra = libs[lib]
        rate = f"{extra['gbps']:.0f} GB/s" if "gbps" in extra else (
            f"{extra['tflops']:.1f} TFLOP/s" if "tflops" in extra else "")
        ratio = "" if lib == "xptorch" or mine is None else f"{mine / per_op:.2f}"
        lines.append(f"| {g} | {lib} | {per_op:.1f} us | {rate} | {ratio} |")
lines.append("")
lines.append("ratio = xptorch time / that library's time: below 1 is faster, 1.11 is 90% of its rate.")

text = "\n".join(lines) + "\n"
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(text)
print(text)
no_gpu = gpu.startswith("none")
bad = tests_rc != 0 or bench_rc != 0 or counts["failures"] or counts["errors"] or no_gpu
sys.exit(1 if bad else 0)
EOF
