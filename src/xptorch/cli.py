"""The `xptorch` command: `xptorch info`, `xptorch tour` and `xptorch run`."""
import argparse
import sys

__all__ = ["main", "info_text"]


def info_text():
    """Version, array backends and CUDA devices, as `xptorch info` prints them."""
    import platform

    import numpy

    from . import __version__, cuda

    lines = [f"xptorch {__version__}", f"python {platform.python_version()} ({sys.executable})",
             f"numpy {numpy.__version__}"]
    if cuda.is_available():
        from . import backend

        cp = backend.cupy_module()
        lines.append(f"cupy {cp.__version__}" if cp is not None and cp is not numpy
                     else "cupy stand-in: NumPy arrays simulate CUDA devices")
        n = cuda.device_count()
        lines.append(f"CUDA devices: {n}")
        for i in range(n):
            try:
                name = cuda.get_device_name(i)
            except Exception as exc:  # a simulated or odd device still gets listed
                name = f"(name unavailable: {exc})"
            lines.append(f"  cuda:{i}  {name}")
    else:
        try:
            import cupy

            version = f"cupy {cupy.__version__} (installed, but CUDA is unusable)"
        except Exception:
            version = "cupy not available"
        lines.append(version)
        lines.append(f"CUDA: unavailable: {cuda.why_unavailable()}")
        lines.append("CUDA devices: 0")
    try:
        import matplotlib

        lines.append(f"matplotlib {matplotlib.__version__} (plots in reports)")
    except ImportError:
        lines.append("matplotlib not installed: reports have no plots (pip install 'xptorch[viz]')")
    return "\n".join(lines)


def _parser():
    p = argparse.ArgumentParser(prog="xptorch", description="PyTorch's parameter world on NumPy and CuPy.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, array backends and CUDA devices")
    t = sub.add_parser("tour", help="walk through parameter management and a monitored training run, "
                                    "writing a report")
    t.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run (auto: CUDA when available, else CPU)")
    t.add_argument("--steps", type=int, default=200, help="training steps (default 200)")
    t.add_argument("--out", default="xptorch-report", help="report folder (default ./xptorch-report)")
    t.add_argument("--every", type=int, default=None,
                   help="record parameters every N steps (default: 1 up to 50 steps, else 10)")
    r = sub.add_parser("run", help="start N ranks of a training script (torchrun's flags)")
    from .distributed.run import add_arguments

    add_arguments(r)
    return p


def main(argv=None):
    """Entry point; returns the exit status (0 on success)."""
    args = _parser().parse_args(argv)
    if args.command == "info":
        print(info_text())
        return 0
    if args.command == "run":
        from .distributed.run import launch

        return launch(args)
    from .tour import ReportDirError, run_tour

    if args.steps < 1:
        print(f"xptorch tour: error: --steps must be at least 1, got {args.steps}", file=sys.stderr)
        return 2
    if args.every is not None and args.every < 1:
        print(f"xptorch tour: error: --every must be at least 1, got {args.every}", file=sys.stderr)
        return 2
    try:
        run_tour(device=args.device, steps=args.steps, out=args.out, every=args.every)
    except ReportDirError as exc:
        print(f"xptorch tour: error: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        if "CUDA is not available" not in str(exc):
            raise
        print(f"xptorch tour: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
