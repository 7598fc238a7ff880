"""'Which strategy for how many VJPs': the K-cotangent and adjoint tables, from measured numbers.

Input is the time of all K VJPs per (family, method, N, K) and of the adjoint solve per
(family, method, N): either a measurement table (``vjplab.many.measure.measure_many``, what
``python -m vjplab many`` prints) or an asv results file (``from_measurements``: the
``bench_many`` benchmarks of one run, what the report page shows).

Per (family, N) and K the table names the fastest *automatic* method (every K-method but the
hand-written ``exact``) and its time over ``exact``'s at the same K. The break-even K of a
sparse method (J formed once, then one O(nnz) product per cotangent) is where it starts to pay
for that set-up: each automatic method's time is modelled as ``t(K) = a + b K`` through its
times at the smallest and largest measured K (b: the cost per VJP, a: the rest, the set-up),
and the break-even is the smallest integer K from which the sparse line stays at or below every
other automatic method's line: ``max(1, ceil(max_j (a_s - a_j) / (b_j - b_s)))`` when the
sparse method's b_s is below every b_j, none otherwise (its products cost more than the others'
VJPs, so it falls behind for large K whatever it saves at small K), and none past
``BREAK_EVEN_LIMIT``. A least-squares line is not used: with K = 1, 16, 256 it is set by the
largest K and its intercept (the set-up) can come out negative.
"""

from __future__ import annotations

import html
import math
import statistics
from dataclasses import dataclass
from typing import Iterable

from vjplab.many.names import ADJOINT_METHODS, HAND_WRITTEN, SPARSE_METHODS

COTANGENTS_BENCHMARK = "bench_many.TimeCotangents.track_cotangents_time"
ADJOINT_BENCHMARKS = {"seconds": "bench_many.AdjointSolve.track_adjoint_time",
                      "iterations": "bench_many.AdjointCounts.track_adjoint_iterations",
                      "vjps": "bench_many.AdjointCounts.track_adjoint_vjps"}
#: The break-even search stops here ("none up to ...").
BREAK_EVEN_LIMIT = 100_000

#: (family, method, N, K) -> seconds for all K VJPs
CotangentTimes = dict[tuple[str, str, int, int], float]
#: (family, method, N) -> {"seconds": s, "iterations": S or None, "vjps": V or None}
AdjointResults = dict[tuple[str, str, int], dict]


def seconds_of(value) -> float | None:
    """A measured time: a number, or asv samples (their median); None for a gap."""
    if isinstance(value, dict) and "samples" in value:
        value = statistics.median(value["samples"])
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def from_sweep(kind: str, sweep_param_names: Iterable[str], table: dict[tuple, dict]) -> dict:
    """CotangentTimes (kind "cotangents") or AdjointResults ("adjoint") of a measured table
    (``measure_many``); skipped and failed combinations are left out."""
    names = list(sweep_param_names)
    out: dict = {}
    for combo, entry in table.items():
        params = dict(zip(names, combo))
        seconds = seconds_of(entry.get("seconds"))
        if seconds is None:
            continue
        if kind == "cotangents":
            out[(params["family"], params["method"], params["dimension"],
                 params["cotangents"])] = seconds
        else:
            out[(params["family"], params["method"], params["dimension"])] = {
                "seconds": seconds, "iterations": entry.get("iterations"),
                "vjps": entry.get("vjps")}
    return out


def from_measurements(measurements: Iterable) -> tuple[CotangentTimes, AdjointResults]:
    """The tables of one asv results file's ``bench_many`` measurements (vjplab.history.results
    Measurement: params as repr strings, value the median; NaN for a gap)."""
    def plain(params):
        return [p.strip("'\"") for p in params]

    cotangents: CotangentTimes = {}
    adjoint: AdjointResults = {}
    keys = {bench: key for key, bench in ADJOINT_BENCHMARKS.items()}
    for m in measurements:
        value = m.value if isinstance(m.value, (int, float)) and math.isfinite(m.value) else None
        if value is None:
            continue
        if m.benchmark == COTANGENTS_BENCHMARK:
            family, method, n, k, _dtype = plain(m.params)
            cotangents[(family, method, int(n), int(k))] = value
        elif m.benchmark in keys:
            family, method, n, _dtype = plain(m.params)
            entry = adjoint.setdefault((family, method, int(n)),
                                       {"seconds": None, "iterations": None, "vjps": None})
            entry[keys[m.benchmark]] = value
    adjoint = {key: e for key, e in adjoint.items() if e["seconds"] is not None}
    return cotangents, adjoint


@dataclass(frozen=True)
class Winner:
    """The fastest automatic method at one (family, N, K), and its time over exact's."""

    method: str
    seconds: float
    vs_exact: float | None


@dataclass(frozen=True)
class FamilyRow:
    family: str
    dimension: int
    exact: dict[int, float]
    winners: dict[int, Winner]
    #: sparse method -> break-even K (None: none up to BREAK_EVEN_LIMIT); absent: not measured
    break_even: dict[str, int | None]


def linear_fit(points: dict[int, float]) -> tuple[float, float]:
    """(a, b) of the line t = a + b K through ``points`` {K: t} at the smallest and the largest
    K (module docstring); one point: a = 0, b = t / K."""
    if len(points) == 1:
        ((k, t),) = points.items()
        return 0.0, t / k
    low, high = min(points), max(points)
    b = (points[high] - points[low]) / (high - low)
    return points[low] - b * low, b


def break_even(sparse: dict[int, float], others: list[dict[int, float]],
               limit: int = BREAK_EVEN_LIMIT) -> int | None:
    """Smallest K (1 <= K <= limit) from which the sparse line stays at or below every other
    method's line (module docstring); None when there is none."""
    if not others:
        return None
    a_s, b_s = linear_fit(sparse)
    fits = [linear_fit(o) for o in others]
    if any(b <= b_s for _, b in fits):
        return None  # some other method costs no more per VJP: sparse never stays ahead
    start = max([1] + [math.ceil((a_s - a) / (b - b_s) - 1e-9) for a, b in fits])
    return start if start <= limit else None


def cotangent_rows(times: CotangentTimes) -> list[FamilyRow]:
    """One FamilyRow per measured (family, N), sorted."""
    groups: dict[tuple[str, int], dict[str, dict[int, float]]] = {}
    for (family, method, n, k), seconds in times.items():
        groups.setdefault((family, n), {}).setdefault(method, {})[k] = seconds
    rows = []
    for (family, n), by_method in sorted(groups.items()):
        exact = by_method.get(HAND_WRITTEN, {})
        automatic = {m: t for m, t in by_method.items() if m != HAND_WRITTEN}
        counts = sorted({k for t in by_method.values() for k in t})
        winners = {}
        for k in counts:
            measured = {m: t[k] for m, t in automatic.items() if k in t}
            if measured:
                method = min(measured, key=measured.get)
                winners[k] = Winner(method, measured[method],
                                    measured[method] / exact[k] if k in exact else None)
        others = [t for m, t in automatic.items() if m not in SPARSE_METHODS]
        sparse = {m: break_even(automatic[m], others) for m in SPARSE_METHODS
                  if m in automatic}
        rows.append(FamilyRow(family, n, exact, winners, sparse))
    return rows


def _n(n: int) -> str:
    exponent = round(math.log10(n)) if n > 0 else 0
    return f"1e{exponent}" if 10 ** exponent == n else str(n)


def _k_counts(rows: list[FamilyRow]) -> list[int]:
    return sorted({k for row in rows for k in row.winners})


def _winner_text(winner: Winner | None) -> str:
    if winner is None:
        return "-"
    ratio = f" ({winner.vs_exact:.2f}x exact)" if winner.vs_exact is not None else ""
    return f"{winner.method}{ratio}"


def _break_even_text(row: FamilyRow) -> str:
    if not row.break_even:
        return "no sparse method"
    return ", ".join(f"{m.removeprefix('sparse_')}: {'never' if k is None else k}"
                     for m, k in sorted(row.break_even.items()))


#: What the break-even column means (the tables' footnote).
BREAK_EVEN_NOTE = ("Break-even K: from this K on the sparse Jacobian (formed once, then one "
                   "product per cotangent) stays the fastest automatic method, on lines "
                   "t = a + b K through each method's times at the smallest and largest K; "
                   f"never: its cost per VJP b is not below every other method's (or the "
                   f"crossing is past K = {BREAK_EVEN_LIMIT:,}), so whatever it saves at small K "
                   "it falls behind.")


def cotangent_markdown(rows: list[FamilyRow]) -> str:
    """The 'which strategy for how many VJPs' table as Markdown."""
    counts = _k_counts(rows)
    head = ("| family | N | " + " | ".join(f"K = {k}: fastest automatic (time / exact's)"
                                           for k in counts) + " | sparse break-even K |")
    lines = [head, "|" + " --- |" * (len(counts) + 3)]
    for row in rows:
        cells = [_winner_text(row.winners.get(k)) for k in counts]
        lines.append(f"| {row.family} | {row.dimension} | " + " | ".join(cells)
                     + f" | {_break_even_text(row)} |")
    return "\n".join(lines + ["", BREAK_EVEN_NOTE])


def _adjoint_order(results: AdjointResults) -> list[tuple[tuple[str, str, int], dict]]:
    """Rows by family, N, then method in ADJOINT_METHODS order (exact first)."""
    def key(item):
        (family, method, n), _ = item
        rank = ADJOINT_METHODS.index(method) if method in ADJOINT_METHODS else len(ADJOINT_METHODS)
        return family, n, rank, method

    return sorted(results.items(), key=key)


def adjoint_markdown(results: AdjointResults) -> str:
    """The adjoint solve per (family, N, method): time to solution, iterations, VJPs, ratio."""
    lines = ["| family | N | method | time to solution | / exact | iterations | VJPs per solve |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for (family, method, n), entry in _adjoint_order(results):
        exact = results.get((family, HAND_WRITTEN, n), {}).get("seconds")
        ratio = f"{entry['seconds'] / exact:.2f}" if exact else "-"
        counts = [str(int(entry[key])) if entry.get(key) is not None else "- (direct)"
                  for key in ("iterations", "vjps")]
        lines.append(f"| {family} | {n} | {method} | {entry['seconds'] * 1e3:.3g} ms | {ratio} | "
                     f"{counts[0]} | {counts[1]} |")
    return "\n".join(lines)


def cotangent_html(rows: list[FamilyRow]) -> str:
    """The same table as an HTML <table> (the report page's section body)."""
    counts = _k_counts(rows)
    head = "".join(f"<th>K = {k}</th>" for k in counts)
    body = []
    for row in rows:
        cells = "".join(f"<td>{html.escape(_winner_text(row.winners.get(k)))}</td>"
                        for k in counts)
        body.append(f"<tr><td>{html.escape(row.family)}</td><td>{row.dimension}</td>{cells}"
                    f"<td>{html.escape(_break_even_text(row))}</td></tr>")
    return (f'<table id="many-vjps"><tr><th>family</th><th>N</th>{head}'
            f"<th>sparse break-even K</th></tr>{''.join(body)}</table>")


def adjoint_html(results: AdjointResults) -> str:
    rows = []
    for (family, method, n), entry in _adjoint_order(results):
        exact = results.get((family, HAND_WRITTEN, n), {}).get("seconds")
        ratio = f"{entry['seconds'] / exact:.2f}&times;" if exact else ""
        counts = [str(int(entry[key])) if entry.get(key) is not None else "direct"
                  for key in ("iterations", "vjps")]
        rows.append(f"<tr><td>{html.escape(family)}</td><td>{n}</td><td>{html.escape(method)}"
                    f"</td><td>{entry['seconds'] * 1e3:.3g} ms</td><td>{ratio}</td>"
                    f"<td>{counts[0]}</td><td>{counts[1]}</td></tr>")
    return ('<table id="adjoint-solve"><tr><th>family</th><th>N</th><th>method</th>'
            "<th>time to solution</th><th>/ exact</th><th>iterations</th>"
            f"<th>VJPs per solve</th></tr>{''.join(rows)}</table>")


def report_section(measurements: Iterable, machine: str) -> str:
    """The report page's section (vjplab.dashboard.report_page): both tables from one results
    file's ``bench_many`` measurements; a line saying how to get them when the run has none."""
    cotangents, adjoint = from_measurements(measurements)
    if not cotangents and not adjoint:
        return ('<section id="many"><h2>Which strategy for how many VJPs</h2><p>This run has '
                "no many-VJPs numbers (benchmarks/bench_many.py runs on the default and full "
                "grids; <code>python -m vjplab many</code> measures them alone).</p></section>")
    parts = ['<section id="many"><h2>Which strategy for how many VJPs</h2>',
             f"<p>K VJPs J(x)<sup>T</sup>c<sub>i</sub> at one point x on "
             f"{html.escape(machine)}, float64, k = 1 (N: the grid's size; each family runs "
             "at its nearest valid N). Each cell: the fastest <em>automatic</em> method for "
             "all K VJPs together, and its time over the hand-written adjoint's "
             "(<code>exact</code>, vmapped over K); below 1 it beats it. "
             "<code>loop_vjp</code>: K <code>jax.vjp</code> calls; <code>vmap_vjp</code>: one "
             "call, the pullback vmapped over K; <code>reused_vjp</code> / "
             "<code>reused_linearize</code>: the pullback built once, then K calls (what a "
             "Krylov solver can do); <code>sparse_*</code>: J formed once by colouring (the "
             "colouring itself untimed), then one product C J. At small N and K every call sits "
             "near the per-call floor (~15 &micro;s pinned on a CPU), so ratios there are ~1; "
             "docs/results.md has both sizes and what they say.</p>"]
    if cotangents:
        parts.append(cotangent_html(cotangent_rows(cotangents)))
        parts.append(f'<p class="note">{html.escape(BREAK_EVEN_NOTE)}</p>')
    if adjoint:
        parts.append("<h3>The adjoint solve J(u)<sup>T</sup> &lambda; = g</h3><p>brusselator_2d "
                     "(k = 1) at the root u of a manufactured steady residual; GMRES (restart "
                     "30, relative tolerance 1e-11) with each VJP as the operator "
                     "(<code>reused_vjp</code>: the pullback built once per solve), the dense "
                     "solve (<code>jax.jacfwd</code>, then LU) and GMRES on a sparse J formed "
                     "once per solve. Every method's &lambda; matches the dense solve's to a "
                     "relative 1e-8. Time to solution; iterations and VJPs (operator "
                     "applications) counted in a separate untimed solve.</p>")
        parts.append(adjoint_html(adjoint))
    parts.append("</section>")
    return "\n".join(parts)
