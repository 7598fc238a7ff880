"""Series over JAX versions and the classification of each step between consecutive versions.

**Series.** One series per (machine, benchmark, parameters, benchmark version): asv changes a
benchmark's ``version`` when its code changes, and results of different versions are separate
series (labelled in the report), never compared. A release's point in a series comes from the
newest results file of that machine and release that ran the benchmark (newest = when asv ran
it, the file's ``started_at`` for that benchmark, then the commit date). If that file holds null
for the combination (failed or skipped), the point is **missing** there: it is reported as such
and never replaced by an older file's value. Steps join consecutive measured points.

**Classification** of a step before -> after, by the benchmark's kind (its method name, e.g.
``time_vjp``) and the kind's rule in ``RULES``:

* deterministic kinds (XLA flops, bytes accessed, XLA memory, the HLO op counts; threshold
  None): a regression if the value grew, an improvement if it shrank, no change only if
  identical;
* otherwise, with the kind's threshold t and absolute floor f (0 unless stated): no change if
  the intervals asv stored overlap -- its 99% confidence intervals of the median, **or** the
  interquartile ranges of the samples (a result with neither, such as a single-sample track_ or
  peakmem_, is judged by the values alone); else a **regression** if after - before > max(f, (t - 1) * |before|) -- for positive
  values with f = 0 that is after/before > t --, an **improvement** if
  before - after > max(f, (t - 1) * |after|), no change otherwise.

Why the interquartile ranges too: asv pools the samples of three processes (rounds), and a
process can settle in a slower steady state than another. The pooled median's confidence
interval is then narrow while the samples span two modes, and the median moves between runs
of the same code. On the A/A pair of the default grid (docs/results.md), 5 of 322 latency
pairs had disjoint confidence intervals beyond 1.1x, 3 of them with overlapping interquartile
ranges; a planted x1.3 slowdown on the smoke grid was flagged on 48 of 48 either way.

``--threshold`` overrides (``rules_with``): a bare ratio sets every non-deterministic kind (and
benchmarks outside the table), ``KIND=RATIO`` one kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum

from vjplab.history.derived import NET_METHOD, method_name
from vjplab.history.results import Measurement
from vjplab.history.versions import sort_versions
from vjplab.measure.hlo import TRACKED_PLURALS

MIB = 2.0**20


@dataclass(frozen=True)
class Rule:
    """How a step of one kind of benchmark is classified (see the module docstring)."""

    kind: str
    label: str
    #: ratio beyond which a step counts; None: deterministic, any change counts
    threshold: float | None
    #: absolute change (in the benchmark's unit) a step must exceed as well
    floor: float = 0.0
    #: a bandwidth: a drop is the regression (before and after swap roles in ``classify``)
    higher_is_better: bool = False

    def describe(self) -> str:
        if self.threshold is None:
            return "any change"
        text = f"{self.threshold:g}x"
        if self.floor:
            text += f" and > {self.floor / MIB:g} MiB" if self.floor >= MIB else f" and > {self.floor:g}"
        return text


#: Per-kind rules, keyed by the benchmark's method name. None larger than 1.25. The timings
#: asv measures in one process (track_device_time, track_compile_time: a median of samples
#: from one process, whose steady state can differ from another process's) get 1.2: on the
#: default grid's A/A pair (docs/protocol.md) 1.2 flagged 1 of 76 of each, 1.1 flagged 3 and
#: 2 of 76; the rest 1.1.
RULES: dict[str, Rule] = {rule.kind: rule for rule in (
    Rule("time_vjp", "latency (time_vjp)", 1.1),
    Rule("track_device_time", "device time", 1.2),
    Rule("track_compile_time", "compile time", 1.2),
    # derived from track_device_time's samples (minimal bytes / device time): the same noise
    Rule("track_achieved_bandwidth", "achieved bandwidth", 1.2, higher_is_better=True),
    Rule("track_bandwidth_fraction", "bandwidth fraction of the copy kernel", 1.2,
         higher_is_better=True),
    Rule("peakmem_vjp", "peak memory (peakmem_vjp)", 1.1),
    Rule("peakmem_reference", "peak memory of the reference", 1.1),
    # Floor: in an A/A pair of smoke-grid runs (48 combinations, N = 100) the net value
    # (~22-43 MiB) moved by 1.0-4.1 MiB between runs; 8 MiB is twice the largest shift.
    Rule(NET_METHOD, "peak memory net of reference", 1.1, floor=8 * MIB),
    Rule("track_flops", "XLA flops", None),
    Rule("track_bytes_accessed", "XLA bytes accessed", None),
    Rule("track_xla_memory", "XLA memory", None),
    # op counts of the optimized HLO program (benchmarks/bench_program.py)
    *(Rule(f"track_hlo_{plural}", f"HLO {op} count", None)
      for op, plural in TRACKED_PLURALS.items()),
    # the sparse strategies' phases (benchmarks/bench_sparse.py); colours are deterministic
    Rule("track_sparse_plan_time", "sparse pattern + colouring", 1.2),
    Rule("track_sparse_jacobian_time", "sparse Jacobian at x", 1.2),
    Rule("track_sparse_product_time", "sparse J^T c", 1.2),
    Rule("track_sparse_colours", "sparse colours", None),
)}
#: benchmarks outside RULES (a new time_/track_ method) are noisy, with this threshold
DEFAULT_THRESHOLD = 1.1
#: the key of ``rules_with`` overrides that sets every non-deterministic kind
ALL_KINDS = "*"

Rules = Mapping[str, Rule]


def rules_with(overrides: Mapping[str, float] | None = None, base: Rules = RULES) -> dict[str, Rule]:
    """``base`` with thresholds overridden: ``{"*": t}`` sets every non-deterministic kind (and
    the default for benchmarks outside the table), ``{kind: t}`` one kind (applied after "*").
    Raises ValueError for an unknown or deterministic kind, or a ratio <= 1."""
    rules = dict(base)
    rules.setdefault(ALL_KINDS, Rule(ALL_KINDS, "other benchmarks", DEFAULT_THRESHOLD))
    overrides = dict(overrides or {})
    noisy = sorted(k for k, r in rules.items() if r.threshold is not None and k != ALL_KINDS)
    for kind, threshold in sorted(overrides.items(), key=lambda kv: kv[0] != ALL_KINDS):
        if kind != ALL_KINDS and kind not in noisy:
            why = "flags any change (deterministic)" if kind in rules else "is not a kind"
            raise ValueError(f"threshold for {kind!r}: {kind!r} {why}; allowed: a bare ratio "
                             f"(every kind) or KIND=RATIO with KIND one of {', '.join(noisy)}")
        if not isinstance(threshold, (int, float)) or not threshold > 1:
            raise ValueError(f"threshold must be > 1 (a ratio such as 1.1), got {threshold}")
        targets = [ALL_KINDS] + noisy if kind == ALL_KINDS else [kind]
        for target in targets:
            rules[target] = replace(rules[target], threshold=float(threshold))
    return rules


def parse_thresholds(specs: Iterable[str] | None) -> dict[str, float]:
    """CLI values of ``--threshold``: ``RATIO`` (every non-deterministic kind) or
    ``KIND=RATIO``; ValueError names the allowed forms and kinds."""
    out: dict[str, float] = {}
    for spec in specs or []:
        kind, sep, ratio = spec.rpartition("=")
        kind = kind.strip() if sep else ALL_KINDS
        try:
            out[kind] = float(ratio)
        except ValueError:
            raise ValueError(f"--threshold {spec!r}: expected RATIO or KIND=RATIO (e.g. 1.2 or "
                             f"track_compile_time=1.3)") from None
    rules_with(out)  # validates kinds and ratios
    return out


def rule_for(benchmark: str, rules: Rules = RULES) -> Rule:
    """The rule of a benchmark's kind; a benchmark outside the table is noisy, with the
    ``"*"`` threshold (DEFAULT_THRESHOLD unless overridden)."""
    kind = method_name(benchmark)
    if kind in rules:
        return rules[kind]
    default = rules.get(ALL_KINDS)
    return Rule(kind, kind, default.threshold if default else DEFAULT_THRESHOLD)


def kinds_table(rules: Rules = RULES) -> list[Rule]:
    """The rules in table order, without the ``"*"`` default."""
    return [r for k, r in rules.items() if k != ALL_KINDS]


class Verdict(str, Enum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NO_CHANGE = "no change"


@dataclass(frozen=True)
class Step:
    machine: str
    benchmark: str
    params: tuple[str, ...]
    before_version: str
    after_version: str
    before: float
    after: float
    verdict: Verdict
    #: the commits (full hashes) of the two results files compared
    before_commit: str = ""
    after_commit: str = ""
    #: asv's version of the benchmark (both sides have the same)
    benchmark_version: str | None = None

    @property
    def ratio(self) -> float:
        return self.after / self.before if self.before else float("inf")

    @property
    def kind(self) -> str:
        return method_name(self.benchmark)


SeriesKey = tuple[str, str, tuple[str, ...], str | None]


def is_deterministic(benchmark: str, rules: Rules = RULES) -> bool:
    return rule_for(benchmark, rules).threshold is None


def newest_by(measurements: Iterable[Measurement],
              key: Callable[[Measurement], Hashable]) -> dict[Hashable, Measurement]:
    """key -> the newest measurement with that key (``Measurement.when``, then the file name),
    null or not: a null newest one is kept, never replaced by an older value."""
    newest: dict[Hashable, Measurement] = {}
    for m in measurements:
        k = key(m)
        old = newest.get(k)
        if old is None or (m.when, m.file) > (old.when, old.file):
            newest[k] = m
    return newest


def build_series(measurements: Iterable[Measurement]) -> dict[SeriesKey, dict[str, Measurement]]:
    """(machine, benchmark, params, benchmark version) -> {jax version: measurement}.

    Per (machine, release, benchmark, params) the newest measurement (``Measurement.when``) is
    chosen, null or not; its benchmark version picks the series. Null points stay in the series
    (``measured`` False: missing there); a series with no measured point is dropped. Versions
    are sorted as versions."""
    newest = newest_by(measurements, lambda m: (m.machine, m.jax, m.benchmark, m.params))
    series: dict[SeriesKey, dict[str, Measurement]] = defaultdict(dict)
    for m in newest.values():
        series[(m.machine, m.benchmark, m.params, m.version)][m.jax] = m
    return {key: {v: per_version[v] for v in sort_versions(per_version)}
            for key, per_version in series.items()
            if any(p.measured for p in per_version.values())}


def _intervals_overlap(ia: tuple[float, float] | None, ib: tuple[float, float] | None) -> bool:
    return ia is not None and ib is not None and ia[0] <= ib[1] and ib[0] <= ia[1]


def _overlap(a: Measurement, b: Measurement) -> bool:
    """Whether the two results cannot be told apart: their 99% confidence intervals overlap,
    or their interquartile ranges do (neither stored: False, the values alone decide)."""
    return _intervals_overlap(a.ci, b.ci) or _intervals_overlap(a.quartiles, b.quartiles)


def classify(benchmark: str, before: Measurement, after: Measurement,
             rules: Rules = RULES) -> Verdict:
    """The verdict of before -> after under the rule of the benchmark's kind (module docstring)."""
    rule = rule_for(benchmark, rules)
    if rule.higher_is_better:  # a drop is the regression: judge it as a rise of the inverse
        before, after = after, before
    if rule.threshold is None:
        if after.value == before.value:
            return Verdict.NO_CHANGE
        return Verdict.REGRESSION if after.value > before.value else Verdict.IMPROVEMENT
    if rule.threshold <= 1:
        raise ValueError(f"threshold must be > 1 (a ratio such as 1.1), got {rule.threshold}")
    if _overlap(before, after):
        return Verdict.NO_CHANGE
    slack = rule.threshold - 1
    if after.value - before.value > max(rule.floor, slack * abs(before.value)):
        return Verdict.REGRESSION
    if before.value - after.value > max(rule.floor, slack * abs(after.value)):
        return Verdict.IMPROVEMENT
    return Verdict.NO_CHANGE


def steps(series: Mapping[SeriesKey, Mapping[str, Measurement]],
          rules: Rules = RULES) -> list[Step]:
    """Every step between consecutive measured versions of every series (missing points are
    skipped: the step joins the versions on either side; a series of one point has none)."""
    out = []
    for (machine, benchmark, params, bench_version), per_version in series.items():
        points = [(v, m) for v, m in per_version.items() if m.measured]
        for (a, before), (b, after) in zip(points, points[1:]):
            out.append(Step(machine, benchmark, params, a, b, before.value, after.value,
                            classify(benchmark, before, after, rules), before.commit,
                            after.commit, bench_version))
    return out


def missing_points(series: Mapping[SeriesKey, Mapping[str, Measurement]]
                   ) -> list[tuple[SeriesKey, Measurement]]:
    """(series, null measurement) for every release whose newest results file holds null."""
    return [(key, m) for key, per_version in series.items()
            for m in per_version.values() if not m.measured]


def worst_first(all_steps: list) -> list:
    """Regressions (largest ratio first; for a higher-is-better kind the largest drop), then
    improvements (largest gain first), then the rest.
    Sorts anything with ``verdict`` and ``ratio`` (steps, compare's pairs)."""
    order = {Verdict.REGRESSION: 0, Verdict.IMPROVEMENT: 1, Verdict.NO_CHANGE: 2}

    def key(step: Step):
        r = step.ratio
        benchmark = getattr(step, "benchmark", None)
        if benchmark is not None and rule_for(benchmark).higher_is_better:
            r = 1 / r if r else float("inf")  # a bandwidth: the larger drop is the worse
        return (order[step.verdict], -r if step.verdict != Verdict.IMPROVEMENT else r)

    return sorted(all_steps, key=key)
