"""The regression report: a terminal table (worst first), Markdown, and an HTML page with plots.

Plots: one per (machine, benchmark, parameters without the strategy); x = JAX version (sorted
as versions, evenly spaced), one line per strategy, log y.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from vjplab.history.results import ResultsSet
from vjplab.history.steps import (DEFAULT_THRESHOLD, SeriesKey, Step, Verdict, build_series,
                                  steps, worst_first)
from vjplab.history.versions import sort_versions
from vjplab.measure.report import format_count, format_seconds

PAGE_NAME = "vjplab-history.html"
PLOTS_DIR = "vjplab-history"


@dataclass
class History:
    results: ResultsSet
    series: dict[SeriesKey, dict]
    steps: list[Step]
    threshold: float

    @property
    def versions(self) -> list[str]:
        return sort_versions(m.jax for m in self.results.measurements)

    @property
    def regressions(self) -> list[Step]:
        return [s for s in self.steps if s.verdict == Verdict.REGRESSION]


def build_history(results: ResultsSet, threshold: float = DEFAULT_THRESHOLD) -> History:
    series = build_series(results.measurements)
    return History(results, series, worst_first(steps(series, threshold)), threshold)


def format_value(value: float, unit: str | None) -> str:
    if unit == "seconds":
        return format_seconds(value)
    if unit == "bytes":
        return format_count(value, "B")
    return format_count(value)


def describe_params(history: History, benchmark: str, params: tuple[str, ...],
                    drop: str | None = None) -> str:
    """``roll_cubic jax_vjp N=100 k=1``; ``drop`` names a parameter already left out of
    ``params`` (the plots' line parameter)."""
    names = [n for n in history.results.benchmarks.get(benchmark, {}).get("param_names") or []
             if n != drop]
    parts = []
    for name, value in zip(names, params):
        value = value.strip("'")
        parts.append({"dimension": f"N={value}", "locality": f"k={value}"}.get(name, value))
    return " ".join(parts) if parts else ", ".join(params)


def short_name(benchmark: str) -> str:
    return benchmark.split(".", 1)[-1]


def _unit(history: History, benchmark: str) -> str | None:
    return history.results.benchmarks.get(benchmark, {}).get("unit")


def summary_lines(history: History) -> list[str]:
    counts = Counter(s.verdict for s in history.steps)
    machines = sorted({m.machine for m in history.results.measurements})
    lines = [f"JAX versions: {', '.join(history.versions) or 'none'}; machines: "
             f"{', '.join(machines) or 'none'}; threshold {history.threshold:g}",
             f"{len(history.steps)} steps: {counts[Verdict.REGRESSION]} regressions, "
             f"{counts[Verdict.IMPROVEMENT]} improvements, {counts[Verdict.NO_CHANGE]} no change"]
    partial = sum(1 for per_version in history.series.values()
                  if 0 < len(per_version) < len(history.versions))
    if partial:
        lines.append(f"{partial} series lack some versions (benchmark or combination not "
                     f"recorded there); their steps join the versions they have")
    if len(history.versions) < 2:
        lines.append("fewer than two JAX versions recorded: no steps to classify "
                     "(record more with `python -m vjplab record`)")
    return lines + [f"note: {m}" for m in history.results.messages]


def _step_cells(history: History, step: Step) -> list[str]:
    unit = _unit(history, step.benchmark)
    return [step.verdict.value, f"{step.before_version} -> {step.after_version}",
            f"{step.ratio:.2f}x", format_value(step.before, unit), format_value(step.after, unit),
            short_name(step.benchmark), describe_params(history, step.benchmark, step.params),
            step.machine]


STEP_HEADER = ["verdict", "JAX step", "ratio", "before", "after", "benchmark", "parameters",
               "machine"]


def terminal_table(history: History, limit: int = 40) -> str:
    """Summary plus the ``limit`` worst steps that changed (regressions first)."""
    changed = [s for s in history.steps if s.verdict != Verdict.NO_CHANGE][:limit]
    rows = [STEP_HEADER] + [_step_cells(history, s) for s in changed]
    widths = [max(len(r[i]) for r in rows) for i in range(len(STEP_HEADER))]
    lines = summary_lines(history)
    if changed:
        lines.append("")
        for index, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(history: History) -> str:
    lines = ["# vjplab: JAX-version history", ""]
    lines += [f"- {line}" for line in summary_lines(history)]
    changed = [s for s in history.steps if s.verdict != Verdict.NO_CHANGE]
    lines += ["", "| " + " | ".join(STEP_HEADER) + " |", "|" + "---|" * len(STEP_HEADER)]
    lines += ["| " + " | ".join(_step_cells(history, s)) + " |" for s in changed]
    if not changed:
        lines.append("| " + " | ".join(["no change"] + [""] * (len(STEP_HEADER) - 1)) + " |")
    return "\n".join(lines) + "\n"


def _plot_groups(history: History) -> dict[tuple, dict[str, dict]]:
    """(machine, benchmark, params without strategy) -> {strategy: {version: value}}."""
    groups: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for (machine, benchmark, params), per_version in history.series.items():
        names = history.results.benchmarks.get(benchmark, {}).get("param_names") or []
        if "strategy" in names:
            i = names.index("strategy")
            line, rest = params[i].strip("'"), params[:i] + params[i + 1:]
        else:
            line, rest = short_name(benchmark), params
        groups[(machine, benchmark, rest)][line] = {v: m.value for v, m in per_version.items()}
    return groups


def write_html(history: History, html_dir: Path) -> Path:
    """Write ``vjplab-history.html`` and its plots into ``html_dir``; return the page's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    html_dir.mkdir(parents=True, exist_ok=True)
    plots_dir = html_dir / PLOTS_DIR
    plots_dir.mkdir(exist_ok=True)
    versions = history.versions
    position = {v: i for i, v in enumerate(versions)}
    figures = []
    for index, ((machine, benchmark, rest), lines) in enumerate(sorted(_plot_groups(history).items())):
        if max(len(points) for points in lines.values()) < 2:
            continue
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        for strategy, points in sorted(lines.items()):
            xs = [position[v] for v in points]
            ax.plot(xs, list(points.values()), marker="o", label=strategy)
        ax.set_yscale("log")
        ax.set_xticks(range(len(versions)), versions, rotation=45, fontsize=8)
        ax.set_xlabel("JAX version")
        ax.set_ylabel(_unit(history, benchmark) or "value")
        title = f"{short_name(benchmark)}\n{describe_params(history, benchmark, rest, 'strategy')}"
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{machine}-{short_name(benchmark)}-{index}") + ".png"
        fig.savefig(plots_dir / name, dpi=80)
        plt.close(fig)
        figures.append((machine, title, name))
    changed = [s for s in history.steps if s.verdict != Verdict.NO_CHANGE]
    rows = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _step_cells(history, s))
                     + "</tr>" for s in changed)
    figs = "\n".join(f'<figure><img src="{PLOTS_DIR}/{n}" alt="{html.escape(t)}">'
                     f"<figcaption>{html.escape(m)}</figcaption></figure>"
                     for m, t, n in figures)
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(history))
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>vjplab: JAX-version history</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:2px 6px}} figure{{display:inline-block;margin:4px}}
.regression td:first-child{{color:#b00}}</style></head><body>
<h1>vjplab: JAX-version history</h1>
<p><a href="index.html">&larr; asv dashboard</a></p>
<ul>{summary}</ul>
<h2>Steps that changed (worst first)</h2>
<table><tr>{''.join(f'<th>{h}</th>' for h in STEP_HEADER)}</tr>
{rows or '<tr><td colspan="8">no step changed</td></tr>'}
</table>
<h2>Series (x: JAX version, one line per strategy, log y)</h2>
{figs or '<p>no series with two or more JAX versions yet</p>'}
</body></html>
"""
    path = html_dir / PAGE_NAME
    path.write_text(page)
    link_from_dashboard(html_dir)
    return path


LINK_MARKER = "<!-- vjplab-history-link -->"


def link_from_dashboard(html_dir: Path) -> None:
    """Add a visible link to the history page at the top of asv's published index.html."""
    index = html_dir / "index.html"
    if not index.is_file():
        return
    text = index.read_text()
    if LINK_MARKER in text:
        return
    link = (f'{LINK_MARKER}<div style="position:fixed;top:4px;right:8px;z-index:9999;'
            f'background:#ffe;padding:4px 8px;border:1px solid #cc9">'
            f'<a href="{PAGE_NAME}">JAX-version history &amp; regressions</a></div>')
    text = re.sub(r"(<body[^>]*>)", r"\1" + link, text, count=1)
    index.write_text(text)
