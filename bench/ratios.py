"""Run the CPU benchmarks side by side and print (or write into bench/README.md) the ratio table.

    python bench/ratios.py                   # run bench/ on CPU, print the table
    python bench/ratios.py --write           # run, then replace the table in bench/README.md
    python bench/ratios.py -k conv           # extra arguments go to pytest
    python bench/ratios.py results.json      # table from an existing --benchmark-json file

Ratios are xptorch time / torch time (lower is better): the median of per-round ratios from rounds
that alternate the two libraries in one process (bench/sidebyside.py), with the quartiles as spread;
rows marked ¹ time torch in a spawned process of its own, and list the in-process figure below.
XPTORCH_BENCH_THREADS (default 1) sets both libraries' threads.
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, "README.md")
BEGIN, END = "<!-- ratios:begin -->", "<!-- ratios:end -->"


def _fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _section(b):
    """Benchmarks are grouped by file: bench/test_bench_conv.py -> 'conv'."""
    m = re.search(r"test_bench_(\w+)\.py", b.get("fullname", ""))
    return m.group(1) if m else "other"


def _doc(section):
    path = os.path.join(HERE, f"test_bench_{section}.py")
    try:
        with open(path) as f:
            src = f.read()
    except OSError:
        return ""
    m = re.match(r'\s*"""(.*?)(\n|""")', src)
    return m.group(1).strip() if m else ""


def table(data):
    sections = {}
    for b in data["benchmarks"]:
        ex = b.get("extra_info") or {}
        if ex.get("side_by_side") or ex.get("one_sided"):
            sections.setdefault(_section(b), []).append((b["group"] or b["name"], ex))
    out = []
    for sec in sorted(sections):
        out.append(f"### {sec}\n")
        doc = _doc(sec)
        if doc:
            out.append(doc + "\n")
        pairs = [(g, ex) for g, ex in sections[sec] if ex.get("side_by_side")]
        solo = [(g, ex) for g, ex in sections[sec] if ex.get("one_sided")]
        if pairs:
            out.append("| workload | xptorch | torch | ratio | spread (q1-q3) | rounds |")
            out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
            for g, ex in sorted(pairs, key=lambda p: p[0]):
                mark = " ¹" if ex.get("torch_process") else ""
                out.append(f"| {g}{mark} | {_fmt(ex['xptorch_s'])} | {_fmt(ex['torch_s'])} | {ex['ratio']:.2f} | "
                           f"{ex['ratio_q1']:.2f}-{ex['ratio_q3']:.2f} | {ex['rounds']} |")
            spawned = [(g, ex) for g, ex in sorted(pairs, key=lambda p: p[0]) if ex.get("torch_process")]
            if spawned:
                out.append("")
                out.append("¹ torch timed in its own spawned process, which never imports xptorch (glibc's stock "
                           "malloc); the same rounds also timed torch inside xptorch's process:")
                out.append("")
                out.append("| workload | torch in xptorch's process | ratio | spread (q1-q3) |")
                out.append("| --- | ---: | ---: | ---: |")
                for g, ex in spawned:
                    out.append(f"| {g} | {_fmt(ex['torch_inprocess_s'])} | {ex['ratio_inprocess']:.2f} | "
                               f"{ex['ratio_inprocess_q1']:.2f}-{ex['ratio_inprocess_q3']:.2f} |")
        if solo:
            out.append("")
            out.append("| xptorch only | variant | median |")
            out.append("| --- | --- | ---: |")
            for g, ex in solo:
                out.append(f"| {g} | {ex['one_sided']} | {_fmt(ex['median_s'])} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def machine(data=None):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    import numpy

    try:
        import torch

        tv = torch.__version__
    except ImportError:
        tv = "missing"
    blas = "unknown BLAS"
    try:
        import threadpoolctl

        infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            blas = f"{infos[0]['internal_api']} {infos[0].get('version') or ''}".strip()
    except ImportError:
        pass
    threads = os.environ.get("XPTORCH_BENCH_THREADS", "1")
    clock = ", timed by CPU time" if os.environ.get("XPTORCH_BENCH_CLOCK") == "process" else ""
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 2 ** 20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"Machine: {os.cpu_count()}-core {cpu}{mem}, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, NumPy {numpy.__version__} ({blas}), torch {tv}; "
            f"{threads} thread(s) each{clock}; {when}.")


def write_readme(text):
    with open(README) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{README} has no {BEGIN} ... {END} markers")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(README, "w") as f:
        f.write(head + BEGIN + "\n" + text + END + tail)


def main(argv):
    write = "--write" in argv
    argv = [a for a in argv if a != "--write"]
    if argv and argv[0].endswith(".json"):
        with open(argv[0]) as f:
            data = json.load(f)
        text = machine(data) + "\n\n" + table(data)
        print(text)
        if write:
            write_readme(text)
        return 0
    threads = os.environ.get("XPTORCH_BENCH_THREADS", "1")
    env = dict(os.environ, XPTORCH_BENCH_THREADS=threads, OMP_NUM_THREADS=threads,
               OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    src = os.path.join(os.path.dirname(HERE), "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "bench.json")
        rc = subprocess.call([sys.executable, "-m", "pytest", HERE, "-q", "--benchmark-enable",
                              "--ignore", os.path.join(HERE, "test_bench_kernels_gpu.py"),
                              f"--benchmark-json={out}", "-p", "no:cacheprovider", *argv], env=env)
        if not os.path.exists(out):
            return rc or 1
        with open(out) as f:
            data = json.load(f)
    text = machine(data) + "\n\n" + table(data)
    print(text)
    if write:
        write_readme(text)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
