"""Registers per thread of every CUDA kernel, per architecture, as NVRTC's ptxas reports them.

    python bench/kernel_registers.py            # print the table
    python bench/kernel_registers.py --write    # also replace its section in bench/README.md

Needs CuPy and the nvidia-cuda-nvrtc wheel (the test extra), no GPU. The same builds are checked by
tests/backend/test_kernel_build.py against its register bound.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

BEGIN, END = "<!-- kernel-registers:begin -->", "<!-- kernel-registers:end -->"


def measure(first_arch=70):
    from cupy.cuda import nvrtc

    from xptorch.backend import cuda_kernels as ck

    archs = [cc for cc in ck.supported_archs() if cc >= first_arch]
    rows = {}
    for program in (p for p in vars(ck).values() if isinstance(p, ck.Program)):
        src = program.source()
        for cc in archs:
            _, log, _, _ = ck.build(src, cc, program.files[-1])
            for fn, (regs, stack, st, ld) in ck.resource_usage(log).items():
                if regs is not None:
                    rows.setdefault((program.files[-1], fn), {})[cc] = (regs, stack, st + ld)
    return archs, rows, "%d.%d" % nvrtc.getVersion()


def markdown(archs, rows, version):
    head = "| program | kernel | " + " | ".join(f"sm_{a}" for a in archs) + " |"
    lines = [
        "## CUDA kernels: registers per thread",
        "",
        f"NVRTC {version} (the `nvidia-cuda-nvrtc-cu12` wheel), `--ptxas-options=-v`, the runtime's own",
        "options; regenerate with `python bench/kernel_registers.py --write` (no GPU needed). No kernel",
        "spills on any architecture; the normal kernels keep a 40-byte stack frame for the trigonometric",
        "argument reduction. `tests/backend/test_kernel_build.py` fails on a spill or on more registers",
        "than its bound (96 on sm_70/72, 64 elsewhere).",
        "",
        head,
        "| --- | --- | " + " | ".join("---:" for _ in archs) + " |",
    ]
    for (prog, fn) in sorted(rows):
        per = rows[(prog, fn)]
        cells = []
        for a in archs:
            regs, stack, spill = per.get(a, (None, 0, 0))
            cells.append("" if regs is None else f"{regs}" + ("*" if spill else ""))
        lines.append(f"| {prog} | `{fn}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(readme, text):
    with open(readme, encoding="utf-8") as f:
        doc = f.read()
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in doc:
        doc = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(readme, "w", encoding="utf-8") as f:
        f.write(doc)


if __name__ == "__main__":
    text = markdown(*measure())
    print(text)
    if "--write" in sys.argv[1:]:
        write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md"), text)
