"""Series over JAX versions and the classification of each step between consecutive versions.

A step from version a to b of one (machine, benchmark, parameters) series is:

* for deterministic metrics (XLA flops, bytes accessed, XLA memory): a regression if the value
  grew, an improvement if it shrank, no change only if identical;
* otherwise: a regression if after/before > threshold AND the two intervals asv stored do not
  overlap (its 99% confidence intervals, else the sample quartiles; a track_ result has neither,
  so the ratio alone decides); an improvement symmetrically with before/after > threshold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import Enum

from vjplab.history.results import Measurement
from vjplab.history.versions import sort_versions

#: Benchmarks whose value is a deterministic property of the compiled program.
DETERMINISTIC_SUFFIXES = (".track_flops", ".track_bytes_accessed", ".track_xla_memory")
DEFAULT_THRESHOLD = 1.1


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

    @property
    def ratio(self) -> float:
        return self.after / self.before if self.before else float("inf")


SeriesKey = tuple[str, str, tuple[str, ...]]


def is_deterministic(benchmark: str) -> bool:
    return benchmark.endswith(DETERMINISTIC_SUFFIXES)


def build_series(measurements: list[Measurement]) -> dict[SeriesKey, dict[str, Measurement]]:
    """(machine, benchmark, params) -> {jax version: newest measurement}, versions sorted."""
    series: dict[SeriesKey, dict[str, Measurement]] = defaultdict(dict)
    for m in measurements:
        per_version = series[(m.machine, m.benchmark, m.params)]
        if m.jax not in per_version or m.date >= per_version[m.jax].date:
            per_version[m.jax] = m
    return {key: {v: per_version[v] for v in sort_versions(per_version)}
            for key, per_version in series.items()}


def _interval(m: Measurement) -> tuple[float, float] | None:
    return m.ci or m.quartiles


def _overlap(a: Measurement, b: Measurement) -> bool:
    ia, ib = _interval(a), _interval(b)
    if ia is None or ib is None:
        return False  # nothing to compare: the ratio alone decides
    return ia[0] <= ib[1] and ib[0] <= ia[1]


def classify(benchmark: str, before: Measurement, after: Measurement,
             threshold: float = DEFAULT_THRESHOLD) -> Verdict:
    if threshold <= 1:
        raise ValueError(f"threshold must be > 1 (a ratio such as 1.1), got {threshold}")
    if is_deterministic(benchmark):
        if after.value == before.value:
            return Verdict.NO_CHANGE
        return Verdict.REGRESSION if after.value > before.value else Verdict.IMPROVEMENT
    if _overlap(before, after):
        return Verdict.NO_CHANGE
    if after.value > threshold * before.value:
        return Verdict.REGRESSION
    if before.value > threshold * after.value:
        return Verdict.IMPROVEMENT
    return Verdict.NO_CHANGE


def steps(series: dict[SeriesKey, dict[str, Measurement]],
          threshold: float = DEFAULT_THRESHOLD) -> list[Step]:
    """Every step between consecutive versions of every series (series of one version: none)."""
    out = []
    for (machine, benchmark, params), per_version in series.items():
        versions = list(per_version)
        for a, b in zip(versions, versions[1:]):
            before, after = per_version[a], per_version[b]
            out.append(Step(machine, benchmark, params, a, b, before.value, after.value,
                            classify(benchmark, before, after, threshold)))
    return out


def worst_first(all_steps: list[Step]) -> list[Step]:
    """Regressions (largest ratio first), then improvements (largest gain first), then the rest."""
    order = {Verdict.REGRESSION: 0, Verdict.IMPROVEMENT: 1, Verdict.NO_CHANGE: 2}

    def key(step: Step):
        r = step.ratio
        return (order[step.verdict], -r if step.verdict != Verdict.IMPROVEMENT else r)

    return sorted(all_steps, key=key)
