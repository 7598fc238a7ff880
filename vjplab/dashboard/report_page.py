"""``vjplab-report.html``: the report of this environment's run, the page people open first.

Static HTML (no JavaScript) plus PNG plots (matplotlib, Agg) and the table as CSV and JSON,
all written into asv's html directory:

* the seed case up front: roll_cubic, k = 1, N = 100 (1e3 where the run lacks 100),
  naive_jacrev against jax.vjp;
* which strategy is fastest per family x N x k;
* per family, latency and device time against N (log-log, one line per strategy, one panel
  per locality);
* the sparse Jacobians' phases and colour counts, with the sparsity picture of roll_cubic
  coloured by colour group (vjplab.dashboard.sparse_section);
* every strategy's latency, device time, XLA memory and float32 accuracy, with ratios to the
  hand-written adjoint ``exact``; gaps (skipped, not in the grid) show the reason in a
  footnote, never a zero;
* which strategy for how many VJPs at one point (K cotangents, the adjoint solve;
  vjplab.many.table), where the run measured them;
* the machine, JAX/jaxlib, grid and protocol that produced it.

Numbers come from ONE asv results file (vjplab.dashboard.run_data) and the vjplab run manifest
beside it (vjplab.dashboard.run_manifest); plots are drawn by vjplab.dashboard.report_plots.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from vjplab.dashboard import machines_section, sparse_section
from vjplab.dashboard.reference_section import compare_with_reference, section_html
from vjplab.dashboard.report_plots import format_n as _n
from vjplab.dashboard.report_plots import growth_exponent, write_plots
from vjplab.dashboard.run_data import (METRICS, REFERENCE_STRATEGY, Cell, Combo, RunData,
                                       load_run)
from vjplab.dashboard.run_manifest import ACCURACY_DEFINITION, finite_or_none
from vjplab.measure.report import format_count, format_seconds

PAGE_NAME = "vjplab-report.html"
PLOTS_DIR = "vjplab-report"
CSV_NAME = "vjplab-report.csv"
JSON_NAME = "vjplab-report.json"
HISTORY_PAGE = "vjplab-history.html"
SEED = ("roll_cubic", 100, 1)
#: the seed case's sizes, in order of preference: the tutorial's N = 100 where the run has it
#: (smoke, full), else N = 1e3 (the default grid starts there)
SEED_DIMENSIONS = (100, 1_000)
SEED_NAIVE, SEED_AUTODIFF = "naive_jacrev", "jax_vjp"
CSV_COLUMNS = ["family", "dimension", "locality", "strategy", "fastest", "latency_s",
               "latency_vs_exact", "device_time_s", "device_time_vs_exact",
               "achieved_bandwidth_gb_s", "bandwidth_fraction", "xla_memory_bytes",
               "float32_max_rel_error", "latency_missing", "device_time_missing",
               "xla_memory_missing", "float32_error_missing"]


@dataclass
class Row:
    """One (family, N, k, strategy) of the table."""

    combo: Combo
    latency: Cell
    device_time: Cell
    xla_memory: Cell
    accuracy: Cell
    latency_ratio: float | None
    device_ratio: float | None
    fastest: bool = False
    #: minimal bytes / device time (GB/s) and its fraction of the copy kernel's bandwidth
    bandwidth: Cell = Cell(None, "no bandwidth")
    fraction: Cell = Cell(None, "no bandwidth")


class Footnotes:
    """Numbered reasons for gaps (one number per distinct reason)."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def ref(self, reason: str) -> str:
        if reason not in self.reasons:
            self.reasons.append(reason)
        number = self.reasons.index(reason) + 1
        return f'<sup><a href="#gap-{number}">{number}</a></sup>'

    def html(self) -> str:
        items = "".join(f'<li id="gap-{i}">{html.escape(r)}</li>'
                        for i, r in enumerate(self.reasons, 1))
        return f'<ol class="notes">{items}</ol>' if items else "<p>No gaps.</p>"


def _ratio(value: float | None, reference: float | None) -> float | None:
    return value / reference if value is not None and reference else None


def build_rows(run: RunData) -> list[Row]:
    """Every table row; ``fastest`` marks the lowest latency of each (family, N, k) (lowest
    device time where no latency was measured)."""
    rows = []
    for combo in run.combos():
        family, strategy, n, k = combo
        reference = (family, REFERENCE_STRATEGY, n, k)
        cells = {key: run.cell(key, combo) for key in METRICS}
        accuracy = run.accuracy.get(combo, Cell(None, _accuracy_gap(run)))
        rows.append(Row(combo, cells["latency"], cells["device_time"], cells["xla_memory"],
                        accuracy,
                        _ratio(cells["latency"].value, run.cell("latency", reference).value),
                        _ratio(cells["device_time"].value,
                               run.cell("device_time", reference).value),
                        bandwidth=cells["achieved_bandwidth"],
                        fraction=cells["bandwidth_fraction"]))
    groups: dict[tuple, list[Row]] = {}
    for row in rows:
        groups.setdefault((row.combo[0], row.combo[2], row.combo[3]), []).append(row)
    for group in groups.values():
        for metric in ("latency", "device_time"):
            measured = [r for r in group if getattr(r, metric).value is not None]
            if measured:
                min(measured, key=lambda r: getattr(r, metric).value).fastest = True
                break
    return rows


def _accuracy_gap(run: RunData) -> str:
    if run.manifest is None:
        return "float32 accuracy is recorded by `vjplab bench` in its run manifest; none here"
    sizes = sorted({(c[2], c[3]) for c in run.accuracy})
    where = ", ".join(f"N = {_n(n)} k = {k}" for n, k in sizes) or "no size"
    return (f"float32 accuracy is measured at small sizes only ({where}): one compile per "
            f"combination, at the end of `vjplab bench`")


def fastest_by_group(rows: list[Row]) -> dict[tuple[str, int, int], Row]:
    """(family, N, k) -> the fastest row."""
    return {(r.combo[0], r.combo[2], r.combo[3]): r for r in rows if r.fastest}


# ---------------------------------------------------------------- formatting


def _value_cell(cell: Cell, text: str, notes: Footnotes) -> str:
    """A number (its exact value in ``data-value``), or a gap: a dash and its footnote."""
    if cell.value is None:
        return f'<td class="gap">&mdash;{notes.ref(cell.reason or "no value")}</td>'
    return f'<td data-value="{cell.value!r}">{html.escape(text)}</td>'


def _ratio_cell(ratio: float | None) -> str:
    if ratio is None:
        return '<td class="na"></td>'
    return f'<td data-value="{ratio!r}">{format_ratio(ratio)}&times;</td>'


def format_ratio(ratio: float) -> str:
    """Three significant digits at most: 0.97, 8.21, 48.5, 825."""
    return f"{ratio:.0f}" if ratio >= 100 else f"{ratio:.1f}" if ratio >= 10 else f"{ratio:.2f}"


def _seconds(cell: Cell) -> str:
    return format_seconds(cell.value) if cell.value is not None else ""


def _bytes(cell: Cell) -> str:
    return format_count(cell.value, "B") if cell.value is not None else ""


def _bandwidth(row: Row) -> str:
    """``12.3 GB/s (45%)``: the achieved bandwidth and its fraction of the copy kernel's."""
    if row.bandwidth.value is None:
        return ""
    share = f" ({100 * row.fraction.value:.0f}%)" if row.fraction.value is not None else ""
    return f"{row.bandwidth.value:.3g} GB/s{share}"


#: what the bandwidth column means (vjplab.measure.bandwidth)
BANDWIDTH_DEFINITION = (
    "bandwidth = the minimal bytes of a VJP, (2N + M) x itemsize (x and c read once, the "
    "result written once), over its device time; in brackets, that as a share of a copy "
    "kernel's bandwidth measured in the same process on the same device and pinning. The "
    "minimal bytes are a floor (a real kernel reads more), so near 100% means the VJP streams "
    "at the machine's speed and little is left to win; far below means it moves or computes "
    "much more than the floor")


def _error(cell: Cell) -> str:
    return f"{cell.value:.2g}" if cell.value is not None else ""


# ---------------------------------------------------------------- sections


def seed_case(run: RunData) -> tuple[str, int, int]:
    """(family, N, k) of the seed case: roll_cubic, k = 1, at the first of SEED_DIMENSIONS where
    the run measured both naive_jacrev's and jax.vjp's latency (else the first of them)."""
    family, _, k = SEED
    for n in SEED_DIMENSIONS:
        if all(run.cell("latency", (family, s, n, k)).value is not None
               for s in (SEED_NAIVE, SEED_AUTODIFF)):
            return family, n, k
    return family, SEED_DIMENSIONS[0], k


def seed_section(run: RunData, notes: Footnotes) -> str:
    """roll_cubic, k = 1 (``seed_case``): naive_jacrev against jax.vjp, both numbers and the
    ratio."""
    family, n, k = seed_case(run)
    naive, auto = (family, SEED_NAIVE, n, k), (family, SEED_AUTODIFF, n, k)
    lines = []
    for metric, label in (("latency", "latency (one call)"), ("device_time", "device time")):
        a, b = run.cell(metric, naive), run.cell(metric, auto)
        ratio = _ratio(a.value, b.value)
        verdict = (f'<td class="ratio" data-value="{ratio!r}"><b>{ratio:.1f}&times;</b> '
                   f'{"slower" if ratio >= 1 else "faster"}</td>' if ratio is not None
                   else '<td class="na">no ratio</td>')
        lines.append(f"<tr><th>{label}</th>{_value_cell(a, _seconds(a), notes)}"
                     f"{_value_cell(b, _seconds(b), notes)}{verdict}</tr>")
    return f"""<section class="seed"><h2>The seed case: roll_cubic, N = {n}, k = {k}</h2>
<p>The JAX tutorial's function. The naive route forms the dense Jacobian
(<code>jax.jacrev</code>, then <code>c @ J</code>); <code>jax.vjp</code> never does.</p>
<table id="seed"><tr><th></th><th>naive_jacrev</th><th>jax_vjp</th><th>naive / jax.vjp</th></tr>
{''.join(lines)}</table>
<p class="headline">{growth_sentence(run)}</p></section>"""


def _fastest_autodiff(rows: list[Row], best: Row, metric: str) -> Row | None:
    """When ``best`` is the hand-written adjoint: the fastest other strategy of its group by
    ``metric`` (what a user without a hand-written adjoint should pick); else None."""
    if best.combo[1] != REFERENCE_STRATEGY:
        return None
    family, _, n, k = best.combo
    others = [r for r in rows if (r.combo[0], r.combo[2], r.combo[3]) == (family, n, k)
              and r.combo[1] != REFERENCE_STRATEGY and getattr(r, metric).value is not None]
    return min(others, key=lambda r: getattr(r, metric).value) if others else None


def growth_sentence(run: RunData) -> str:
    """How naive_jacrev and jax.vjp latencies grow with N on roll_cubic, k = 1 (HTML)."""
    family, _, k = SEED
    dims = sorted({c[2] for c in run.combos() if c[0] == family and c[3] == k})
    pairs = [(n, run.cell("latency", (family, SEED_NAIVE, n, k)).value,
              run.cell("latency", (family, SEED_AUTODIFF, n, k)).value) for n in dims]
    both = [(n, a, b) for n, a, b in pairs if a is not None and b is not None]
    if len(both) < 2:
        where = f"one size, N = {_n(both[0][0])}" if both else "no common size"
        return (f"This run measured both at {where}: run a grid with more sizes (the default "
                f"grid: N = 1e3 to 1e6) to see how the gap grows with N.")
    xs = [n for n, _, _ in both]
    naive = growth_exponent(xs, [a for _, a, _ in both])
    auto = growth_exponent(xs, [b for _, _, b in both])
    n, a, b = both[-1]
    flat = " (flat: the per-call floor dominates)" if auto < 0.3 else ""
    return (f"From N = {_n(xs[0])} to {_n(n)}, naive_jacrev's latency grows as "
            f"N<sup>{naive:.1f}</sup> and jax.vjp's as N<sup>{auto:.1f}</sup>{flat}: at "
            f"N = {_n(n)} "
            f"naive_jacrev takes <b>{a / b:.0f}&times;</b> as long ({format_seconds(a)} against "
            f"{format_seconds(b)}).")


def fastest_section(rows: list[Row], notes: Footnotes) -> str:
    """Rows family x k, columns N: the fastest strategy and its latency (x exact)."""
    best = fastest_by_group(rows)
    dims = sorted({key[1] for key in {(r.combo[0], r.combo[2], r.combo[3]) for r in rows}})
    pairs = sorted({(r.combo[0], r.combo[3]) for r in rows if r.fastest})
    body = []
    for family, k in pairs:
        cells = []
        for n in dims:
            row = best.get((family, n, k))
            if row is None:
                present = any(r.combo[0] == family and r.combo[2] == n and r.combo[3] == k
                              for r in rows)
                reason = (f"no strategy measured for {family} N={n} k={k}" if present
                          else f"{family} N={n} k={k} is not in this run's grid")
                cells.append(f'<td class="gap">&mdash;{notes.ref(reason)}</td>')
                continue
            metric = "latency" if row.latency.value is not None else "device_time"
            cell = getattr(row, metric)
            unit = "" if metric == "latency" else " (device)"
            runner = _fastest_autodiff(rows, row, metric)
            extra = ""
            if runner is not None:
                ratio = _ratio(getattr(runner, metric).value, cell.value)
                extra = (f'<br><small data-autodiff="{runner.combo[1]}">without it: '
                         f'{runner.combo[1]} {format_seconds(getattr(runner, metric).value)}'
                         f'{f" ({ratio:.1f}&times;)" if ratio else ""}</small>')
            cells.append(f'<td data-strategy="{row.combo[1]}" data-value="{cell.value!r}">'
                         f'<b>{row.combo[1]}</b> {format_seconds(cell.value)}{unit}{extra}</td>')
        body.append(f"<tr><th>{family}</th><th>{k}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>N = {_n(n)}</th>" for n in dims)
    return f"""<section><h2>Which strategy at which size</h2>
<p>Fastest strategy by latency (by device time where the grid measured no latency) for each
family, locality k and dimension N. Where that is the hand-written adjoint
(<code>exact</code>), the line below names the fastest strategy without one, and how many
times slower it is. Every strategy's numbers and ratios are in the
<a href="#table">full table</a>.</p>
<table id="fastest"><tr><th>family</th><th>k</th>{head}</tr>
{''.join(body)}</table></section>"""


def table_section(rows: list[Row], notes: Footnotes) -> str:
    """The full table: one row per strategy under a header row per (family, N, k)."""
    body, current = [], None
    for row in rows:
        family, strategy, n, k = row.combo
        if (family, n, k) != current:
            current = (family, n, k)
            body.append(f'<tr class="group"><th colspan="9">{family}, N = {_n(n)}, k = {k}'
                        f"</th></tr>")
        klass = ' class="fastest"' if row.fastest else ""
        mark = " &#9733;" if row.fastest else ""
        body.append(
            f'<tr{klass} data-family="{family}" data-strategy="{strategy}" data-dimension="{n}" '
            f'data-locality="{k}"><td>{strategy}{mark}</td>'
            f"{_value_cell(row.latency, _seconds(row.latency), notes)}"
            f"{_ratio_cell(row.latency_ratio)}"
            f"{_value_cell(row.device_time, _seconds(row.device_time), notes)}"
            f"{_ratio_cell(row.device_ratio)}"
            f"{_value_cell(row.bandwidth, _bandwidth(row), notes)}"
            f"{_value_cell(row.xla_memory, _bytes(row.xla_memory), notes)}"
            f"{_value_cell(row.accuracy, _error(row.accuracy), notes)}</tr>")
    return f"""<section><h2 id="table">Every strategy: latency, device time, memory, accuracy</h2>
<p>&#9733; = fastest of its group. &times; exact = the value over the hand-written adjoint's
(<code>exact</code>) at the same family, N and k: above 1 is slower. {html.escape(
        BANDWIDTH_DEFINITION)}. float32 error: {html.escape(
        ACCURACY_DEFINITION)}. A dash is a gap (skipped, or not in this grid), never a zero: its
footnote says why. Download: <a href="{CSV_NAME}">CSV</a>, <a href="{JSON_NAME}">JSON</a>.</p>
<table id="strategies"><tr><th>strategy</th><th>latency</th><th>&times; exact</th>
<th>device time</th><th>&times; exact</th><th>bandwidth (% of copy)</th><th>XLA memory</th><th>float32 max rel. error</th></tr>
{''.join(body)}</table></section>"""


def _when(ms: int) -> str:
    if not ms:
        return "unknown"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")


def run_info(run: RunData) -> list[tuple[str, str]]:
    """(label, text) pairs: machine, versions, grid, protocol, provenance."""
    info = run.machine_info
    manifest = run.manifest or {}
    host = manifest.get("machine", {})
    ram = info.get("ram")
    machine = (f"{run.file.machine}: {host.get('cpu_model') or info.get('cpu', '?')}, "
               f"{info.get('num_cpu', host.get('cpu_count', '?'))} CPUs, "
               f"{format_count(float(ram), 'B') if str(ram).isdigit() else '? B'} RAM, "
               f"{info.get('os', host.get('platform', '?'))}, {info.get('arch', '?')}")
    if host:
        machine += f"; JAX backend {host.get('backend')} ({host.get('devices')})"
    pairs = [("machine", machine),
             ("JAX / jaxlib", f"{run.file.jax} / {run.file.jaxlib}"
              + (f" (imported at bench time: {manifest['jax']} / {manifest['jaxlib']})"
                 if manifest else "")),
             ("run", f"commit {run.file.commit[:8]}, asv ran it {_when(run.run_at)}; "
                     f"results file {run.file.file}")]
    if manifest:
        grid = manifest.get("grid", "?")
        sweeps = "; ".join(
            f"{kind}: N = {', '.join(_n(n) for n in s['dimensions'] + s['large_dimensions'])}, "
            f"k = {', '.join(map(str, s['localities']))}" for kind, s in manifest["sweeps"].items())
        regex = manifest.get("bench_regex")
        pairs += [("grid", f"{grid} ({sweeps})" + (f"; --bench {regex}" if regex else "")),
                  ("protocol", f"{manifest['protocol'].get('rounds')} asv rounds, "
                               f"{manifest['protocol'].get('pinning')}"
                               + (f", {manifest['protocol']['allocator']}"
                                  if manifest['protocol'].get('allocator') else "") + ". "
                               f"{manifest['protocol'].get('summary')}"),
                  ("manifest", f"written {manifest.get('written_at')}, Python "
                               f"{manifest.get('python')}")]
    else:
        pairs.append(("grid", "unknown: no vjplab run manifest beside the results file "
                              "(results not written by `vjplab bench`); gaps have no reasons"))
    if run.other_files:
        pairs.append(("not shown", f"{len(run.other_files)} other results file(s) in this "
                                   f"directory (other commits or environments; see the "
                                   f"history page)"))
    return pairs


# ---------------------------------------------------------------- downloads


def row_record(row: Row) -> dict:
    """One table row as plain values (None at gaps, with the gap's reason)."""
    family, strategy, n, k = row.combo
    return {"family": family, "dimension": n, "locality": k, "strategy": strategy,
            "fastest": row.fastest, "latency_s": row.latency.value,
            "latency_vs_exact": finite_or_none(row.latency_ratio),
            "device_time_s": row.device_time.value,
            "device_time_vs_exact": finite_or_none(row.device_ratio),
            "achieved_bandwidth_gb_s": row.bandwidth.value,
            "bandwidth_fraction": row.fraction.value,
            "xla_memory_bytes": row.xla_memory.value,
            "float32_max_rel_error": row.accuracy.value,
            "latency_missing": None if row.latency.value is not None else row.latency.reason,
            "device_time_missing": (None if row.device_time.value is not None
                                    else row.device_time.reason),
            "xla_memory_missing": (None if row.xla_memory.value is not None
                                   else row.xla_memory.reason),
            "float32_error_missing": (None if row.accuracy.value is not None
                                      else row.accuracy.reason)}


def table_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row_record(row).items()})
    return out.getvalue()


def table_json(run: RunData, rows: list[Row]) -> str:
    seed = {metric: {s: run.cell(metric, (SEED[0], s, SEED[1], SEED[2])).value
                     for s in (SEED_NAIVE, SEED_AUTODIFF)} for metric in ("latency", "device_time")}
    return json.dumps({"run": dict(run_info(run)), "results_file": run.file.file,
                       "seed_case": {"family": SEED[0], "dimension": SEED[1],
                                     "locality": SEED[2], **seed},
                       "rows": [row_record(r) for r in rows]}, indent=1, allow_nan=False)


# ---------------------------------------------------------------- the page

STYLE_SHEET = """body{font-family:sans-serif;margin:1.5em;max-width:1250px}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
tr.group th{text-align:left;background:#e4ecf7} tr.fastest td{background:#eaf6e6;font-weight:bold}
td.gap{color:#999;text-align:center} td.gap a{text-decoration:none}
.seed{background:#fffbe6;border:1px solid #e6d9a8;padding:0.3em 1em 1em}
.seed td,.seed th{font-size:15px} .headline{font-size:17px} .ratio{color:#b00}
dl.info{display:grid;grid-template-columns:max-content auto;gap:2px 1em;font-size:13px}
dl.info dt{font-weight:bold} dl.info dd{margin:0} img{max-width:100%}
nav a{margin-right:1.2em} ol.notes,p.note{font-size:12px;color:#555}
#reference details{margin:0.3em 0} #reference summary{cursor:pointer;font-size:14px}
.warn{color:#b00;font-weight:bold}"""


def many_section(run: RunData) -> str:
    """'Which strategy for how many VJPs' (vjplab.many.table) from this run's file."""
    from vjplab.many.table import report_section

    measurements = [m for m in (run.results.measurements if run.results else [])
                    if m.file == run.file.file]
    return report_section(measurements, run.file.machine)


def render(run: RunData, rows: list[Row], figures: list[tuple[str, str, str]],
           reference: str = "", sparse: str = "", machines: str = "") -> str:
    """The page; ``reference`` is the section beside the reference machine (HTML, may be
    empty: vjplab.dashboard.reference_section), ``sparse`` the sparse Jacobians' section (HTML,
    may be empty: vjplab.dashboard.sparse_section), ``machines`` the other machines of the
    results directory (HTML, may be empty: vjplab.dashboard.machines_section)."""
    notes = Footnotes()
    seed = seed_section(run, notes)
    fastest = fastest_section(rows, notes)
    table = table_section(rows, notes)
    info = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
                   for k, v in run_info(run))
    by_family: dict[str, list[str]] = {}
    for family, title, name in figures:
        by_family.setdefault(family, []).append(
            f'<img src="{PLOTS_DIR}/{name}" alt="{html.escape(title)}">')
    plots = "".join(f"<h3>{family}</h3>{''.join(imgs)}" for family, imgs in by_family.items())
    many = many_section(run)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>vjplab: this run's results</title>
<style>{STYLE_SHEET}</style></head><body>
<h1>vjplab: this run's results</h1>
<nav><a href="index.html">asv dashboard</a><a href="{HISTORY_PAGE}">JAX-version history &amp; regressions</a>
<a href="{CSV_NAME}">table as CSV</a><a href="{JSON_NAME}">table as JSON</a></nav>
<p>jax {html.escape(run.file.jax)} on {html.escape(run.file.machine)}, commit
{html.escape(run.file.commit[:8])}. Lower is better everywhere.</p>
{seed}
{fastest}
{reference}
{machines}
<section><h2>Latency and device time against N</h2>
<p>Log-log, one line per strategy, one panel per locality k. Dashed: strategies that form the
dense Jacobian. &prop; N<sup>p</sup> at a line's end: how it grows with N (slope of the log-log
line; 1 = linear, 2 = quadratic). A missing point is a gap (see the table's footnotes).
Latency is one call including dispatch; device time is the computation alone (R calls in
one jitted loop).</p>
{plots or '<p>No measured latency or device time in this run.</p>'}</section>
{sparse}
{table}
{many}
<section><h2>Gaps</h2>{notes.html()}</section>
<section><h2>What produced these numbers</h2><dl class="info">{info}</dl></section>
</body></html>
"""


def write_report(results_dir: Path, html_dir: Path, commit: str | None = None,
                 machine: str | None = None, reference_dir: Path | bool | None = None) -> Path:
    """Write ``vjplab-report.html``, its plots, CSV and JSON into ``html_dir``; return the page.

    "This run" is the newest results file of ``machine`` (default: the machine that ran last),
    at ``commit`` when given. It is set beside the shipped reference machine's results
    (``reference_dir`` as in vjplab.reference.find_reference: None for the default place,
    False to leave it out). ValueError when the results directory holds nothing to report,
    or ``html_dir`` is not a directory.
    """

    html_dir = Path(html_dir)
    if html_dir.exists() and not html_dir.is_dir():
        raise ValueError(f"html directory {html_dir} is a file; allowed: a directory "
                         f"(created if missing)")
    run = load_run(Path(results_dir), commit=commit, machine=machine)
    rows = build_rows(run)
    html_dir.mkdir(parents=True, exist_ok=True)
    figures = write_plots(run, html_dir / PLOTS_DIR)
    (html_dir / CSV_NAME).write_text(table_csv(rows))
    (html_dir / JSON_NAME).write_text(table_json(run, rows))
    page = html_dir / PAGE_NAME
    page.write_text(render(run, rows, figures,
                           section_html(compare_with_reference(run, reference_dir)),
                           sparse_section.section_html(run, html_dir / PLOTS_DIR, PLOTS_DIR),
                           machines_section.section_html(run, Path(results_dir))))
    return page


LINK_MARKER = "<!-- vjplab-report-link -->"


def link_report_from_dashboard(html_dir: Path) -> bool:
    """Put a visible banner linking the report at the top of asv's ``index.html`` (once), and
    of its ``error.html`` (where asv sends a browser whose CDN scripts failed to load).

    The banner is fixed at the top right, under the history page's (link_from_dashboard in
    vjplab.history.report), so that asv's left-aligned navigation stays visible. Returns True
    when index.html now links the report, False when there is no index.html.
    """
    linked = False
    for name in ("index.html", "error.html"):
        page = Path(html_dir) / name
        if not page.is_file():
            continue
        text = page.read_text()
        if LINK_MARKER not in text:
            banner = (f'{LINK_MARKER}<div style="position:fixed;top:44px;right:8px;'
                      f'z-index:9999;background:#fffbe6;padding:6px 12px;border:1px solid '
                      f'#e6d9a8;font:bold 15px sans-serif"><a href="{PAGE_NAME}">This '
                      f'run&#39;s results: which VJP strategy is fastest &rarr;</a></div>')
            text, count = re.subn(r"(<body[^>]*>)", lambda m: m.group(1) + banner, text,
                                  count=1)
            if not count:
                raise ValueError(f"{page} has no <body> tag; allowed: a page asv published")
            page.write_text(text)
        linked = linked or name == "index.html"
    return linked
