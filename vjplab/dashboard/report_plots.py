"""The run report's plots: per family, latency and device time against N (matplotlib, Agg).

Several sizes: log-log lines, one per strategy (dashed: the dense-Jacobian routes), one panel
per locality, each line labelled with its growth exponent (the slope of the log-log line).
One size only (e.g. the smoke grid): a dot per strategy, since a line needs two points.
A gap is NaN, so a line breaks there instead of dropping to zero.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from vjplab.dashboard.run_data import RunData
from vjplab.measure.report import format_seconds

#: fixed colours and markers, so a strategy looks the same in every plot
STYLE = {"naive_jacrev": ("#d62728", "s", "--"), "naive_jacfwd": ("#ff7f0e", "D", "--"),
         "jax_vjp": ("#1f77b4", "o", "-"), "grad_dot": ("#2ca02c", "^", "-"),
         "linearize_transpose": ("#9467bd", "v", "-"), "exact": ("#000000", "*", "-")}


def format_n(value: int) -> str:
    """1000 -> 1e3 (powers of ten), else the integer."""
    exponent = len(str(value)) - 1
    return f"1e{exponent}" if value >= 1000 and value == 10 ** exponent else str(value)


def _series(run: RunData, metric: str, family: str, k: int) -> dict[str, tuple[list, list]]:
    """strategy -> (N values, values with NaN at gaps) over the run's dimensions."""
    dims = sorted({c[2] for c in run.combos() if c[0] == family and c[3] == k})
    out = {}
    for strategy in run.strategies():
        ys = [run.cell(metric, (family, strategy, n, k)).value for n in dims]
        if any(y is not None for y in ys):
            out[strategy] = (dims, [float("nan") if y is None else y for y in ys])
    return out


def growth_exponent(xs: list[int], ys: list[float]) -> float | None:
    """The least-squares slope of log y against log x over the finite points (None: < 2)."""
    import numpy as np

    points = [(x, y) for x, y in zip(xs, ys) if y == y and y > 0]
    if len({x for x, _ in points}) < 2:
        return None
    logs = np.log10(np.array(points, dtype=float))
    return float(np.polyfit(logs[:, 0], logs[:, 1], 1)[0])


def _label_growth(ax, xs: list[int], ys: list[float], color, labelled: list[float]) -> None:
    """Write ``∝ N^p`` after a line's last point, unless another label sits at that height."""
    exponent = growth_exponent(xs, ys)
    last = [(x, y) for x, y in zip(xs, ys) if y == y and y > 0]
    if exponent is None or not last:
        return
    x, y = last[-1]
    if any(abs(math.log10(y) - other) < 0.2 for other in labelled):
        return
    labelled.append(math.log10(y))
    ax.annotate(f"$\\propto N^{{{exponent:.1f}}}$", (x, y), xytext=(5, 0),
                textcoords="offset points", fontsize=10, color=color, va="center")


def _log_ticks(axis, values: list[float], seconds) -> None:
    """Major ticks at 1, 2, 5 x 10^n over a narrow range, at 10^n over a wide one."""
    from matplotlib.ticker import LogLocator, NullFormatter

    finite = [v for v in values if v == v and v > 0]
    wide = bool(finite) and max(finite) / min(finite) > 30
    axis.set_major_locator(LogLocator(subs=(1.0,) if wide else (1.0, 2.0, 5.0)))
    axis.set_major_formatter(seconds)
    axis.set_minor_formatter(NullFormatter())


def _line_panel(ax, series: dict[str, tuple[list, list]], seconds) -> None:
    """Log-log lines against N, each with its growth exponent."""
    from matplotlib.ticker import FuncFormatter

    labelled: list[float] = []
    for strategy, (xs, ys) in series.items():
        color, marker, line = STYLE.get(strategy, (None, "o", "-"))
        ax.plot(xs, ys, marker=marker, linestyle=line, color=color, label=strategy,
                markersize=6)
        _label_growth(ax, xs, ys, color, labelled)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.margins(x=0.3)
    _log_ticks(ax.yaxis, [y for _, ys in series.values() for y in ys], seconds)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_n(int(v)) if v >= 1 else ""))
    ax.set_xlabel("N (input size)")
    ax.grid(True, which="both", alpha=0.3)


def _dot_panel(ax, series: dict[str, tuple[list, list]], seconds) -> None:
    """One size only: a dot per strategy (rows), value on a log axis, labelled with it."""
    names = [s for s, (_, ys) in series.items() if ys[0] == ys[0]]
    for row, strategy in enumerate(names):
        value = series[strategy][1][0]
        color, marker, _ = STYLE.get(strategy, (None, "o", "-"))
        ax.plot([value], [row], marker=marker, color=color, markersize=8, linestyle="")
        ax.annotate(format_seconds(value), (value, row), xytext=(7, 0),
                    textcoords="offset points", va="center", fontsize=9, color=color)
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.margins(x=0.35)
    _log_ticks(ax.xaxis, [series[s][1][0] for s in names], seconds)
    ax.grid(True, axis="x", which="both", alpha=0.3)


def write_plots(run: RunData, plots_dir: Path) -> list[tuple[str, str, str]]:
    """One PNG per (family, metric) with a panel per locality; (family, title, file name).

    Several sizes: log-log lines against N. One size only (e.g. the smoke grid): a dot per
    strategy at that N, since a line needs two points.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    seconds = FuncFormatter(lambda value, _: format_seconds(value) if value > 0 else "")
    plots_dir.mkdir(parents=True, exist_ok=True)
    figures = []
    families = sorted({c[0] for c in run.combos()})
    for family in families:
        for metric, label in (("latency", "latency per call"), ("device_time", "device time")):
            panels = [(k, _series(run, metric, family, k))
                      for k in sorted({c[3] for c in run.combos() if c[0] == family})]
            panels = [(k, s) for k, s in panels if s]
            if not panels:
                continue
            single = all(len(xs) == 1 for _, series in panels for xs, _ in series.values())
            fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 1.6, 3.4),
                                     squeeze=False, sharey=not single)
            for ax, (k, series) in zip(axes[0], panels):
                if single:
                    _dot_panel(ax, series, seconds)
                    n = next(iter(series.values()))[0][0]
                    ax.set_title(f"k = {k}, N = {format_n(n)}", fontsize=10)
                    ax.set_xlabel(label)
                else:
                    _line_panel(ax, series, seconds)
                    ax.set_title(f"k = {k}", fontsize=10)
            if single:
                title = f"{family}: {label} (one size in this grid)"
                fig.suptitle(title, fontsize=11)
                fig.tight_layout()
            else:
                axes[0][0].set_ylabel(label)
                handles, labels = axes[0][0].get_legend_handles_labels()
                for ax in axes[0][1:]:
                    for h, lab in zip(*ax.get_legend_handles_labels()):
                        if lab not in labels:
                            handles.append(h)
                            labels.append(lab)
                fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
                title = f"{family}: {label} against N"
                fig.suptitle(title, fontsize=11)
                fig.tight_layout(rect=(0, 0, 1 - 1.5 / fig.get_figwidth(), 1))
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{family}-{metric}") + ".png"
            fig.savefig(plots_dir / name, dpi=90)
            plt.close(fig)
            figures.append((family, title, name))
    return figures
