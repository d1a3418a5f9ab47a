"""PNG plots of Monitor figures over the steps (matplotlib, from the optional 'viz' extra).

Figures are drawn on matplotlib's Agg canvas directly, so no pyplot state or interactive backend
of the caller is touched.
"""
import math
import os

__all__ = ["plot_figure", "plot_scalar", "save_plots", "PLOTS"]

# file name -> (figure key, title)
PLOTS = {
    "weight_norms.png": ("norm", "Weight norm per parameter"),
    "grad_norms.png": ("grad_norm", "Gradient norm per parameter"),
}


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "plots need matplotlib, which is not installed: pip install 'xptorch[viz]'"
        ) from exc
    return Figure, FigureCanvasAgg


def _label(monitor, name):
    for _, names in monitor._params:
        if names[0] == name:
            return " = ".join(names)
    return name


def plot_figure(monitor, key, path, title=None, logy=None):
    """One line per parameter of figure `key` ('norm', 'grad_norm', ...) against the step."""
    Figure, Canvas = _matplotlib()
    fig = Figure(figsize=(7, 4.2), dpi=100)
    Canvas(fig)
    ax = fig.add_subplot(1, 1, 1)
    series = monitor.history(key)
    positive = True
    for name, (steps, vals) in series.items():
        ax.plot(steps, vals, label=_label(monitor, name), linewidth=1.4)
        positive &= all(v > 0 for v in vals if not math.isnan(v))
    if logy if logy is not None else (positive and series):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(key)
    ax.set_title(title or key)
    ax.grid(True, alpha=0.3)
    if series:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(os.fspath(path), format="png")
    return os.fspath(path)


def plot_scalar(monitor, key, path, title=None):
    """A scalar passed to Monitor.step (such as loss) against the step."""
    Figure, Canvas = _matplotlib()
    fig = Figure(figsize=(7, 4.2), dpi=100)
    Canvas(fig)
    ax = fig.add_subplot(1, 1, 1)
    rows = [r for r in monitor.scalars if key in r]
    vals = [r[key] for r in rows]
    ax.plot([r["step"] for r in rows], vals, linewidth=1.4)
    if vals and all(v > 0 for v in vals):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(key)
    ax.set_title(title or key)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.fspath(path), format="png")
    return os.fspath(path)


def save_plots(monitor, out_dir):
    """weight_norms.png, grad_norms.png (and loss.png when step() was given loss=) in out_dir."""
    _matplotlib()
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    paths = [plot_figure(monitor, key, os.path.join(out_dir, fname), title)
             for fname, (key, title) in PLOTS.items()]
    if any("loss" in r for r in monitor.scalars):
        paths.append(plot_scalar(monitor, "loss", os.path.join(out_dir, "loss.png"), "Training loss"))
    return paths
