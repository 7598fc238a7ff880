"""The report page's "Other machines" section: this run beside every other machine whose results
are in the same results directory (a GPU recorded by ``.ci/gpu_check.sh`` and brought in with
``vjplab merge``, another CI job's machine), combination by combination.

Each other machine contributes its newest results file at this run's commit, else its newest
file at any commit (the section then names that commit). Its rows are every (family, N, k,
strategy) it measured a latency or device time for, with this run's value beside it where this
run measured the same combination, and the ratio other / this run; its achieved bandwidth and
the share of its own copy kernel's (vjplab.measure.bandwidth) say how close it is to its
memory system's speed.
"""

from __future__ import annotations

import html
import math
import statistics
from pathlib import Path

from vjplab.dashboard.report_plots import format_n
from vjplab.dashboard.run_data import STRATEGY_ORDER, Combo, RunData, run_of
from vjplab.measure.report import format_seconds

#: (metric key of RunData.values, column heading)
TIMINGS = (("latency", "latency"), ("device_time", "device time"))


def other_runs(run: RunData, results_dir: Path) -> list[RunData]:
    """The newest run of every other machine in ``results_dir``: at ``run``'s commit when it
    has one there, else at any commit."""
    if run.results is None:
        return []
    machines = sorted({f.machine for f in run.results.files} - {run.file.machine})
    others = []
    for machine in machines:
        try:
            others.append(run_of(run.results, results_dir, commit=run.file.commit,
                                 machine=machine))
        except ValueError:  # no file of this commit: its newest
            others.append(run_of(run.results, results_dir, machine=machine))
    return others


def measured(run: RunData, metric: str) -> dict[Combo, float]:
    """The run's finite, positive values of ``metric`` (asv stores NaN for a skipped set)."""
    return {c: v for c, v in run.values.get(metric, {}).items()
            if v is not None and math.isfinite(v) and v > 0}


def _order(combo: Combo) -> tuple:
    family, strategy, n, k = combo
    rank = STRATEGY_ORDER.index(strategy) if strategy in STRATEGY_ORDER else len(STRATEGY_ORDER)
    return family, n, k, rank, strategy


def median_ratio(run: RunData, other: RunData, metric: str) -> tuple[float, int] | None:
    """Median of other / this run over the combinations both measured, and how many."""
    mine, theirs = measured(run, metric), measured(other, metric)
    ratios = [theirs[c] / mine[c] for c in mine.keys() & theirs.keys()]
    return (statistics.median(ratios), len(ratios)) if ratios else None


def _ratio(mine: float | None, theirs: float | None) -> str:
    return f"{theirs / mine:.3g}x" if mine and theirs else ""


def _seconds(value: float | None) -> str:
    return format_seconds(value) if value else ""


def _machine_line(other: RunData) -> str:
    info = other.machine_info
    facts = [f"{info['num_cpu']} CPUs" if info.get("num_cpu") else "",
             str(info.get("cpu") or ""), str(info.get("arch") or ""),
             f"{int(info['ram']) / 1e9:.0f} GB RAM" if str(info.get("ram", "")).isdigit() else ""]
    return ", ".join(f for f in facts if f) or "no machine facts stored (asv machine.json)"


def machine_table(run: RunData, other: RunData) -> str:
    """One other machine's rows (HTML)."""
    values = {metric: (measured(run, metric), measured(other, metric))
              for metric in ("latency", "device_time", "achieved_bandwidth",
                             "bandwidth_fraction")}
    combos = sorted({c for metric, _ in TIMINGS for c in values[metric][1]}, key=_order)
    head = "".join(f"<th>{name}: this run</th><th>{html.escape(other.file.machine)}</th>"
                   f"<th>ratio</th>" for _, name in TIMINGS)
    rows = []
    for combo in combos:
        family, strategy, n, k = combo
        cells = []
        for metric, _ in TIMINGS:
            mine, theirs = (side.get(combo) for side in values[metric])
            cells += [_seconds(mine), _seconds(theirs), _ratio(mine, theirs)]
        bandwidth = values["achieved_bandwidth"][1].get(combo)
        share = values["bandwidth_fraction"][1].get(combo)
        cells.append(f"{bandwidth:.0f} GB/s ({100 * share:.0f}%)" if bandwidth and share
                     else "")
        rows.append(f"<tr><td>{html.escape(family)}</td><td>{format_n(n)}</td><td>{k}</td>"
                    f"<td>{html.escape(strategy)}</td>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f"<table><tr><th>family</th><th>N</th><th>k</th><th>strategy</th>{head}"
            f"<th>{html.escape(other.file.machine)}: bandwidth (% of its copy kernel)</th></tr>"
            + "".join(rows) + "</table>")


def section_html(run: RunData, results_dir: Path) -> str:
    """The section (HTML); empty when the results directory holds no other machine."""
    others = other_runs(run, results_dir)
    if not others:
        return ""
    parts = []
    for other in others:
        same = other.file.commit == run.file.commit
        where = ("the same commit" if same else
                 f"commit {html.escape(other.file.commit[:8])} (none of this run's)")
        summary = []
        for metric, name in TIMINGS:
            found = median_ratio(run, other, metric)
            if found:
                summary.append(f"{name} {found[0]:.3g}x this run's (median over {found[1]} "
                               f"combinations both measured)")
        parts.append(
            f"<h3>{html.escape(other.file.machine)}</h3>"
            f"<p>jax {html.escape(other.file.jax)}, {where}; {html.escape(_machine_line(other))}"
            f". {'; '.join(summary) + '.' if summary else 'No combination measured by both.'}"
            f"</p><details open><summary>every combination it measured "
            f"({len(measured(other, 'latency'))} latencies, "
            f"{len(measured(other, 'device_time'))} device times)</summary>"
            f"{machine_table(run, other)}</details>")
    return (f'<section id="machines"><h2>Other machines in these results</h2>'
            f"<p>Every other machine of this results directory (a GPU recorded with "
            f"<code>.ci/gpu_check.sh</code> and merged in with <code>vjplab merge</code>, another "
            f"job's machine), beside this run ({html.escape(run.file.machine)}, jax "
            f"{html.escape(run.file.jax)}). ratio = the other machine's value over this run's "
            f"(below 1: faster there). Device time on a GPU is the hoist-proof in-jit loop "
            f"(one kernel launch per iteration included); latency is one call with its "
            f"dispatch.</p>{''.join(parts)}</section>")
