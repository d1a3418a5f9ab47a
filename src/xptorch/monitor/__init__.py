"""Watching training: per-parameter figures (Monitor), a model summary table, exports and plots."""
from .monitor import DEFAULT_EVERY, FIGURES, Monitor
from .summary import summary
from .export import write_csv, write_json
from .plots import plot_figure, save_plots

__all__ = ["Monitor", "DEFAULT_EVERY", "FIGURES", "summary", "write_csv", "write_json", "plot_figure", "save_plots"]
