#!/usr/bin/env bash
# GPU tests and GPU benchmarks on a CUDA machine in one command, within 8 minutes on an H100/H200 (pytest-xdist and pytest-timeout used where present) whose
# python3 has only cupy (cupy-cuda12x or cupy-cuda13x), torch, pytest and numpy, and no package registry:
#
#   bash bench/gpu_check.sh OUTDIR
#
# The test dependencies such a machine lacks (pytest-benchmark, hypothesis and theirs) come from .gpu-deps/,
# prepared beforehand on any machine with a registry by one command, run in the checkout (the flags name
# the GPU machine's Python, 3.12 on x86-64 here: hypothesis ships compiled wheels only):
#
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .gpu-deps pytest-benchmark==5.3.1 py-cpuinfo2==10.1.1 hypothesis==6.170.17 sortedcontainers==2.4.0
#
# The wheels are unpacked into a temporary folder on PYTHONPATH (nothing is installed). Writes
# OUTDIR/tour.log (`xptorch info` and the tour on cuda), OUTDIR/gpu-tests.xml (JUnit), OUTDIR/gpu-twins.xml (the CPU
# twins of failed GPU tests, to tell oracle differences from GPU problems), OUTDIR/gpu-bench.json (pytest-benchmark), their logs and OUTDIR/summary.txt.
# Exits non-zero when a test fails, the benchmarks fail, or no GPU is usable. PYTHON=... picks another
# interpreter; XPT_BENCH_FULL=1 runs the full linear grid (longer than 8 minutes).
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
start=$(date +%s)

deps=""
if ls .gpu-deps/*.whl >/dev/null 2>&1; then
    deps=$(mktemp -d)
    trap 'rm -rf "$deps"' EXIT
    for whl in .gpu-deps/*.whl; do
        "$py" -m zipfile -e "$whl" "$deps" || exit 1
    done
    # Appended: packages already on the machine win.
    export PYTHONPATH="$PYTHONPATH:$deps"
fi
bench_flags=""
test_flags=()
if ! "$py" -c "import pytest_benchmark" 2>/dev/null; then
    echo "pytest-benchmark not found (prepare .gpu-deps, see the top of this file): no GPU benchmarks" >&2
    bench_flags="missing"
    test_flags=(-o "addopts=-ra")  # the project's addopts name a pytest-benchmark option
fi

# What the GPU machine reports, then the tour (the README's main job) on the GPU.
"$py" -m xptorch info 2>&1 | tee "$out/tour.log"
timeout 60 "$py" -m xptorch tour --device cuda --steps 100 --out "$(mktemp -d)/report" >>"$out/tour.log" 2>&1
tour_rc=$?
echo "tour exit status: $tour_rc" | tee -a "$out/tour.log"

twin_flags=("${test_flags[@]}")
# pytest-xdist, where present, spreads the tests over XPT_WORKERS processes (default 8; 0 runs them in one).
workers=${XPT_WORKERS:-8}
if [ "$workers" != "0" ] && "$py" -c "import xdist" 2>/dev/null; then
    test_flags+=(-n "$workers")
fi
# pytest-timeout, where present, ends a hung test (and names it) instead of the whole run.
if "$py" -c "import pytest_timeout" 2>/dev/null; then
    test_flags+=(--timeout 120)
fi

# The GPU set: tests marked cuda, and every test parametrised on the real 'cuda' device (tests/seeds too).
timeout 300 "$py" -m pytest tests -k cuda "${test_flags[@]}" -p no:cacheprovider --continue-on-collection-errors -q -rfEs --tb=short \
    --durations=15 --junitxml "$out/gpu-tests.xml" 2>&1 | tee "$out/gpu-tests.log"
tests_rc=${PIPESTATUS[0]}

# The CPU twins of the failed GPU tests ([cuda...] -> [cpu...]): a test that fails on this machine's CPU too
# fails for the oracle (a torch other than the pinned one, another Python), not for the GPU.
"$py" - "$out/gpu-tests.xml" "$out/twins.txt" <<'EOF'
import sys
import xml.etree.ElementTree as ET

ids = []
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    root = None
for tc in (root.iter("testcase") if root is not None else ()):
    if tc.find("failure") is None and tc.find("error") is None:
        continue
    name = tc.get("name", "")
    twin = name.replace("default-cuda", "default-cpu").replace("[cuda-", "[cpu-").replace("[cuda]", "[cpu]")
    if twin != name:
        ids.append(tc.get("classname", "").replace(".", "/") + ".py::" + twin)
with open(sys.argv[2], "w") as f:
    f.write("\n".join(ids) + ("\n" if ids else ""))
EOF
if [ -s "$out/twins.txt" ]; then
    # Test ids hold spaces: pytest.main gets them one per line from the file.
    timeout 150 "$py" -c 'import sys, pytest; ids = [l for l in open(sys.argv[1]).read().splitlines() if l]
sys.exit(pytest.main(ids + sys.argv[2:]))' "$out/twins.txt" "${twin_flags[@]}" -p no:cacheprovider -q -rfE \
        --tb=line --junitxml "$out/gpu-twins.xml" >>"$out/gpu-tests.log" 2>&1
fi
rm -f "$out/twins.txt"

if [ -z "$bench_flags" ]; then
    timeout 120 "$py" -m pytest bench/test_bench_kernels_gpu.py -p no:cacheprovider -q -rfEs \
        -W "ignore::pytest_benchmark.logger.PytestBenchmarkWarning" --benchmark-enable \
        --benchmark-json "$out/gpu-bench.json" 2>&1 | tee "$out/gpu-bench.log"
    bench_rc=${PIPESTATUS[0]}
else
    bench_rc=1
fi
wall=$(( $(date +%s) - start ))
echo "wall time: $wall s"

"$py" - "$out" "$tests_rc" "$bench_rc" "$tour_rc" "$wall" <<'EOF'
import importlib.util
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

out, tests_rc, bench_rc, tour_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
wall = sys.argv[5]
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
missing = [m for m in ("pytest_benchmark", "hypothesis", "safetensors", "matplotlib")
           if importlib.util.find_spec(m) is None]
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
lines.append(f"Tour on cuda: exit status {tour_rc} (tour.log)")
lines.append(f"GPU tests: {passed} passed, {counts['failures']} failed, {counts['errors']} errors, "
             f"{counts['skipped']} skipped (pytest exit {tests_rc}); wall time {wall} s")


def failed(path):
    """{test id: first line of its message} of the failures and errors in a JUnit file."""
    found = {}
    if os.path.exists(path):
        for tc in ET.parse(path).getroot().iter("testcase"):
            bad = tc.find("failure") if tc.find("failure") is not None else tc.find("error")
            if bad is not None:
                key = tc.get("classname", "").replace(".", "/") + ".py::" + tc.get("name", "")
                found[key] = (bad.get("message") or "").strip().splitlines()[0][:160] if bad.get("message") else ""
    return found


gpu_failed = failed(xml_path)
twin_failed = failed(os.path.join(out, "gpu-twins.xml"))


def twin_of(key):
    return key.replace("default-cuda", "default-cpu").replace("[cuda-", "[cpu-").replace("[cuda]", "[cpu]")


oracle = sorted(k for k in gpu_failed if twin_of(k) != k and twin_of(k) in twin_failed)
gpu_only = sorted(k for k in gpu_failed if k not in oracle)
if gpu_failed:
    lines.append(f"  {len(oracle)} of the failures fail on this machine's CPU too (the oracle here differs from the "
                 f"pinned torch/Python: not GPU problems); {len(gpu_only)} fail on the GPU only:")
    lines.extend(f"    {k}: {gpu_failed[k]}" for k in gpu_only)

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
bad = tests_rc != 0 or bench_rc != 0 or tour_rc != 0 or counts["failures"] or counts["errors"] or no_gpu
sys.exit(1 if bad else 0)
EOF
