"""The run report's "Your run beside the reference machine", and its line in bench's summary.

The run (ONE results file, vjplab.dashboard.run_data) is set beside the shipped reference
machine's results (vjplab.reference) of the same JAX release: its newest results file of that
release. When the reference has no results of that release, the nearest release it has is
used instead (the newest one not after it, else the oldest one after it), and the section says
so: such ratios mix the machine with the release.

**Matching**: a parameter set pairs with the reference's when the benchmark is the same and its
parameters are the same by name (the names come from each side's ``benchmarks.json``, so a
parameter added to the suite, such as ``dtype``, is matched by name, never by position), and
both sides measured a value. When asv's benchmark versions differ (the benchmark's code
changed between the reference's commit and yours) the pair is shown with that note and left
out of every median.

**Figures**: per benchmark, the number of pairs, the median of your value over the reference's
and its range; the headline is the latency (``time_vjp``) median. A ratio above 1 means your
run took longer (or used more) than the reference machine. Ratios are taken where both values
are positive, or equal (a net memory can be <= 0; an op count 0 on both sides is 1).
"""

from __future__ import annotations

import html
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.dashboard.run_data import LATENCY, RunData
from vjplab.history.labels import describe_params, format_value, short_name, unit_of
from vjplab.history.results import Measurement, ResultsFile, ResultsSet
from vjplab.history.derived import method_name
from vjplab.history.steps import RULES, newest_by, rule_for
from vjplab.history.versions import sort_versions, version_key
from vjplab.reference import find_reference, load_reference

SECTION_TITLE = "Your run beside the reference machine"


@dataclass(frozen=True)
class Pair:
    """One parameter set measured by both."""

    benchmark: str
    #: the run's parameters (asv's repr strings)
    params: tuple[str, ...]
    yours: float
    reference: float
    #: asv's benchmark version is the same on both sides (else: not in the medians)
    same_version: bool

    @property
    def ratio(self) -> float | None:
        """Yours over the reference's: 1 when they are equal (an op count of 0 on both sides),
        else None unless both are positive."""
        if self.yours == self.reference:
            return 1.0
        return self.yours / self.reference if self.yours > 0 and self.reference > 0 else None


@dataclass
class Comparison:
    #: how pages name the reference machine
    label: str
    #: its machine(s)
    machine: str
    your_jax: str
    #: the reference's release compared (== your_jax, or the nearest)
    reference_jax: str
    #: every release the reference has
    releases: list[str]
    reference_file: ResultsFile
    pairs: list[Pair]
    #: the run's benchmark metadata, to describe parameters and units
    benchmarks: dict[str, dict] = field(default_factory=dict)
    #: benchmarks both ran whose parameter names differ (never matched)
    renamed: list[str] = field(default_factory=list)

    @property
    def same_release(self) -> bool:
        return self.reference_jax == self.your_jax

    def benchmark_names(self) -> list[str]:
        """The benchmarks with pairs, in the order of the history's kinds table (latency
        first), then the others by name."""
        kinds = list(RULES)
        return sorted({p.benchmark for p in self.pairs},
                      key=lambda b: (kinds.index(method_name(b)) if method_name(b) in kinds
                                     else len(kinds), b))

    def ratios(self, benchmark: str) -> list[float]:
        """The comparable ratios of ``benchmark`` (same benchmark version, both positive)."""
        return [p.ratio for p in self.pairs
                if p.benchmark == benchmark and p.same_version and p.ratio is not None]

    def other_versions(self, benchmark: str) -> int:
        return sum(1 for p in self.pairs if p.benchmark == benchmark and not p.same_version)

    def headline(self) -> tuple[str, float, int] | None:
        """(benchmark, median ratio, number of ratios) of the latency, else of the first
        benchmark with ratios; None when nothing is comparable."""
        for benchmark in self.benchmark_names():
            ratios = self.ratios(benchmark)
            if ratios:
                return benchmark, statistics.median(ratios), len(ratios)
        return None


def nearest_release(version: str, releases: list[str]) -> str:
    """``version`` when in ``releases``, else the newest release before it, else the oldest
    after it. ValueError when ``releases`` is empty."""
    if not releases:
        raise ValueError("the reference holds no releases")
    ordered = sort_versions(releases)
    if version in ordered:
        return version
    before = [r for r in ordered if version_key(r) < version_key(version)]
    return before[-1] if before else ordered[0]


def _named(results: ResultsSet, m: Measurement) -> tuple:
    names = results.benchmarks.get(m.benchmark, {}).get("param_names") or [
        f"#{i}" for i in range(len(m.params))]
    return (m.benchmark, tuple(zip(names, m.params)))


def _run_at(results: ResultsSet) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in results.measurements:
        out[m.file] = max(out.get(m.file, 0), m.run_at or m.date)
    return out


def compare_with_reference(run: RunData, reference_dir: Path | bool | None = None
                           ) -> Comparison | str | None:
    """The comparison; a sentence saying why there is none (no reference, no results in it);
    None when the reference was left out on purpose (``reference_dir=False``, or
    ``VJPLAB_REFERENCE_DIR=off``). ``reference_dir`` as in vjplab.reference.find_reference."""
    try:
        reference, why = find_reference(reference_dir)
    except ValueError as exc:
        return str(exc)
    if reference is None:
        return why or None
    ref = load_reference(reference)
    if not ref.files:
        return f"the reference machine's results at {reference.results_dir} hold no results files"
    releases = sort_versions(f.jax for f in ref.files)
    chosen = nearest_release(run.file.jax, releases)
    run_at = _run_at(ref)
    ref_file = max((f for f in ref.files if f.jax == chosen),
                   key=lambda f: (run_at.get(f.file, 0), f.date, f.file))
    user = run.results
    mine = [m for m in (user.measurements if user else []) if m.file == run.file.file
            and m.measured]
    theirs = newest_by((m for m in ref.measurements if m.file == ref_file.file and m.measured),
                       lambda m: _named(ref, m))
    pairs = []
    for m in mine:
        other = theirs.get(_named(user, m))
        if other is not None:
            pairs.append(Pair(m.benchmark, m.params, m.value, other.value,
                              m.version == other.version or None in (m.version, other.version)))
    renamed = sorted(b for b in {m.benchmark for m in mine} & {k[0] for k in theirs}
                     if (user.benchmarks.get(b, {}).get("param_names")
                         != ref.benchmarks.get(b, {}).get("param_names")))
    return Comparison(label=ref.reference_label, machine=ref_file.machine,
                      your_jax=run.file.jax, reference_jax=chosen, releases=releases,
                      reference_file=ref_file,
                      pairs=sorted(pairs, key=lambda p: (p.benchmark != LATENCY, p.benchmark,
                                                         p.params)),
                      benchmarks=user.benchmarks if user else {}, renamed=renamed)


def _times(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.1f}x"


def summary_line(run: RunData, reference_dir: Path | bool | None = None) -> str | None:
    """bench's closing line: ``beside the reference machine NAME (jax 0.10.2): your latency is
    1.07x its (median over 412 parameter sets)``; None without a reference."""
    comparison = compare_with_reference(run, reference_dir)
    if not isinstance(comparison, Comparison):
        return None
    release = (f"jax {comparison.reference_jax}" if comparison.same_release else
               f"no jax {comparison.your_jax} there; its nearest, jax {comparison.reference_jax}")
    head = f"beside the reference machine {comparison.machine} ({release}): "
    top = comparison.headline()
    if not comparison.pairs:
        return head + "no parameter set in common with this run"
    if top is None:
        return head + (f"{len(comparison.pairs)} parameter sets in common, none comparable: "
                       f"their benchmark versions differ (the benchmarks' code changed since "
                       f"the reference was recorded)")
    benchmark, median, count = top
    what = "latency" if benchmark == LATENCY else short_name(benchmark)
    return (head + f"your {what} is {_times(median)} the reference's (median over {count} "
                   f"parameter sets; above 1: slower)")


def _benchmark_label(benchmark: str) -> str:
    """``latency (time_vjp)``, ``peak memory of the reference (peakmem_reference)``."""
    label, method = rule_for(benchmark).label, method_name(benchmark)
    return label if method in label else f"{label} ({method})"


def _summary_table(c: Comparison) -> str:
    """Per benchmark: comparable parameter sets, median ratio, range (and a note column
    only when a benchmark has pairs of another benchmark version)."""
    notes = any(c.other_versions(b) for b in c.benchmark_names())
    rows = []
    for benchmark in c.benchmark_names():
        ratios = c.ratios(benchmark)
        others = c.other_versions(benchmark)
        cells = ([f'<td data-value="{statistics.median(ratios)!r}">'
                  f"{_times(statistics.median(ratios))}</td>",
                  f"<td>{_times(min(ratios))} to {_times(max(ratios))}</td>"] if ratios
                 else ['<td class="na">&mdash;</td>', '<td class="na">&mdash;</td>'])
        note = (f"<td>{others} of another benchmark version (its code changed): not "
                f"compared</td>" if others else "<td></td>") if notes else ""
        rows.append(f'<tr data-benchmark="{html.escape(benchmark)}" data-count="{len(ratios)}">'
                    f"<td>{html.escape(_benchmark_label(benchmark))}</td><td>{len(ratios)}</td>"
                    + "".join(cells) + note + "</tr>")
    return (f'<table id="reference-summary"><tr><th>benchmark</th><th>parameter sets</th>'
            f"<th>median yours / reference</th><th>range</th>{'<th>note</th>' if notes else ''}"
            f"</tr>{''.join(rows)}</table>")


def _detail(c: Comparison, benchmark: str) -> str:
    """Every pair of ``benchmark``: parameters, both values, the ratio (and a note column when
    some pair has another benchmark version)."""
    unit = unit_of(c.benchmarks, benchmark)
    pairs = [p for p in c.pairs if p.benchmark == benchmark]
    notes = not all(p.same_version for p in pairs)

    def row(p: Pair) -> str:
        ratio = (f'<td data-value="{p.ratio!r}">{_times(p.ratio)}</td>' if p.ratio is not None
                 else '<td class="na">&mdash;</td>')
        note = (f"<td>{'' if p.same_version else 'benchmark version differs: not compared'}"
                f"</td>" if notes else "")
        return (f"<tr><td>{html.escape(describe_params(c.benchmarks, benchmark, p.params))}</td>"
                f'<td data-value="{p.yours!r}">{html.escape(format_value(p.yours, unit))}</td>'
                f'<td data-value="{p.reference!r}">'
                f"{html.escape(format_value(p.reference, unit))}</td>{ratio}{note}</tr>")

    return (f"<h4>{html.escape(_benchmark_label(benchmark))}: {len(pairs)} parameter sets</h4>"
            f'<table class="reference-pairs" data-benchmark="{html.escape(benchmark)}"><tr>'
            f"<th>parameters</th><th>yours</th><th>reference</th><th>yours / reference</th>"
            f"{'<th>note</th>' if notes else ''}</tr>{''.join(row(p) for p in pairs)}</table>")


def section_html(comparison: Comparison | str | None) -> str:
    """The report's section (empty when the reference was left out on purpose)."""
    if comparison is None:
        return ""
    if isinstance(comparison, str):
        return (f'<section id="reference"><h2>{SECTION_TITLE}</h2>'
                f"<p>{html.escape(comparison)}.</p></section>")
    c = comparison
    label = html.escape(c.label)
    if c.same_release:
        release = f"Both ran jax {html.escape(c.your_jax)}."
    else:
        release = (f'<span class="warn">The reference machine has no jax '
                   f'{html.escape(c.your_jax)}</span> (it has {html.escape(", ".join(c.releases))});'
                   f" shown beside its nearest release, <b>jax {html.escape(c.reference_jax)}</b>:"
                   f" these ratios mix the machine with the JAX release.")
    top = c.headline()
    if not c.pairs:
        renamed = (f" Parameter names differ for {', '.join(short_name(b) for b in c.renamed)}"
                   f" (a parameter was added or renamed since the reference was recorded)."
                   if c.renamed else "")
        body = f"<p>No parameter set of this run was measured there too.{html.escape(renamed)}</p>"
    else:
        if top is None:
            head = ("<p class=\"headline\">No parameter set can be compared: the benchmarks' "
                    "versions differ (their code changed between the reference's commit and "
                    "yours).</p>")
        else:
            benchmark, median, count = top
            what = "latency" if benchmark == LATENCY else html.escape(short_name(benchmark))
            yours, theirs = (("", "") if c.same_release else
                             (f" (jax {html.escape(c.your_jax)})",
                              f" (jax {html.escape(c.reference_jax)})"))
            head = (f'<p class="headline" data-median="{median!r}" data-count="{count}">Your '
                    f"{what}{yours} is <b>{_times(median)}</b> the reference machine's{theirs} "
                    f"(median over {count} parameter sets; above 1: slower than it).</p>")
        body = (head + _summary_table(c)
                + f"<details><summary>every parameter set measured by both "
                  f"({len(c.pairs)})</summary>"
                + "".join(_detail(c, b) for b in c.benchmark_names()) + "</details>")
    return (f'<section id="reference"><h2>{SECTION_TITLE}</h2>'
            f"<p>Set beside the <b>{label}</b>. Its results ship with vjplab "
            f"(results/reference/); a parameter set pairs with yours when the benchmark and "
            f"every parameter are the same; ratios are yours over the reference's. "
            f"{release} Reference results file: "
            f"<code>{html.escape(c.reference_file.file)}</code> (commit "
            f"{html.escape(c.reference_file.commit[:8])}).</p>{body}</section>")
