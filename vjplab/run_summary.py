"""The lines ``vjplab bench`` prints when it is done: the seed case, the fastest strategy per
family at the largest N, one line beside the shipped reference machine (when there is one:
vjplab.dashboard.reference_section), and where the three pages are.

The numbers are the report page's (vjplab.dashboard.run_data and report_page): the newest
results file of the commit just measured, latency of one call.
"""

from __future__ import annotations

from pathlib import Path

from vjplab.dashboard.reference_section import summary_line
from vjplab.dashboard.report_page import (HISTORY_PAGE, PAGE_NAME, SEED_AUTODIFF,
                                          SEED_NAIVE, Row, build_rows, fastest_by_group,
                                          format_ratio, seed_case)
from vjplab.dashboard.report_plots import format_n
from vjplab.dashboard.run_data import REFERENCE_STRATEGY, load_run
from vjplab.measure.report import format_seconds


def seed_line(run) -> str:
    """roll_cubic, k = 1 (report_page.seed_case): naive_jacrev against jax.vjp, both latencies
    and the ratio."""
    family, n, k = seed_case(run)
    naive = run.cell("latency", (family, SEED_NAIVE, n, k))
    auto = run.cell("latency", (family, SEED_AUTODIFF, n, k))
    head = f"seed case ({family}, N = {n}, k = {k}, one call): "
    if naive.value is None or auto.value is None:
        missing = naive if naive.value is None else auto
        return head + f"not measured ({missing.reason})"
    ratio = naive.value / auto.value
    return (head + f"{SEED_NAIVE} {format_seconds(naive.value)}, jax.vjp "
            f"{format_seconds(auto.value)}: naive is {format_ratio(ratio)}x "
            f"{'slower' if ratio >= 1 else 'faster'}")


def fastest_lines(rows: list[Row]) -> list[str]:
    """Per family, at its largest N with a latency: the fastest strategy per k, and the
    fastest automatic one (not the hand-written ``exact``) with its ratio to the fastest."""
    best = fastest_by_group(rows)
    lines = []
    for family in sorted({r.combo[0] for r in rows}):
        measured = [r for r in rows if r.combo[0] == family and r.latency.value is not None]
        if not measured:
            continue
        n = max(r.combo[2] for r in measured)
        parts = []
        for k in sorted({r.combo[3] for r in measured if r.combo[2] == n}):
            top = best.get((family, n, k))
            if top is None or top.latency.value is None:
                continue
            text = f"k = {k}: {top.combo[1]} {format_seconds(top.latency.value)}"
            autos = [r for r in measured if r.combo[2:] == (n, k)
                     and r.combo[1] != REFERENCE_STRATEGY]
            if top.combo[1] == REFERENCE_STRATEGY and autos:
                auto = min(autos, key=lambda r: r.latency.value)
                text += (f" (best automatic: {auto.combo[1]}, "
                         f"{format_ratio(auto.latency.value / top.latency.value)}x)")
            parts.append(text)
        lines.append(f"  {family:<24} N = {format_n(n):<4} " + "; ".join(parts))
    return lines


def summary(results_dir: Path, commit: str, html_dir: Path | None) -> list[str]:
    """The closing lines; a line saying why when the results cannot be read."""
    try:
        run = load_run(Path(results_dir), commit=commit)
    except ValueError as exc:
        return [f"no summary: {exc}"]
    rows = build_rows(run)
    lines = [seed_line(run), "fastest strategy at each family's largest N (latency of one "
                             "call; exact = the hand-written adjoint):"]
    lines += fastest_lines(rows) or ["  no latency measured"]
    beside = summary_line(run)
    if beside:
        lines.append(beside)
    if html_dir is not None:
        pages = [("report", Path(html_dir) / PAGE_NAME),
                 ("dashboard", Path(html_dir) / "index.html"),
                 ("history", Path(html_dir) / HISTORY_PAGE)]
        lines.append("pages:")
        lines += [f"  {label:<10} {path}" + ("" if path.is_file() else "  (not written)")
                  for label, path in pages]
    return lines
