"""Compare two result sets measurement by measurement, with the history's per-kind rules.

A **side** is either an asv results directory (``<dir>/benchmarks.json``,
``<dir>/<machine>/<commit>-<env>.json``; every file in it) or a commit hash or unique prefix
(4 to 40 hex digits; the files of that commit in the results directory given). Either side can
be narrowed to one machine (``machine``) or one JAX release (``jax``).

**Pairing.** Measurements pair when they share

* the machine -- unless both sides are narrowed to one machine each (``--machine-a`` and
  ``--machine-b``): comparing two machines then pairs across them;
* the JAX release -- unless each side holds exactly one: A/B of two releases (or of two
  environments of one release) pairs across them, while two commits recorded in several
  releases pair release by release;
* the benchmark, its parameters and asv's benchmark version (a pair of different versions is
  counted as "version differs", never classified).

Within a side, each pairing key takes its newest measurement (``steps.newest_by``: when asv ran
it); if that one is null (failed or skipped) the pair is "null on one side", not classified;
null on both sides ("measured on neither": typically a parameter set outside both runs' grids,
asv stores every parameter of the one fixed space) is counted apart.

**Classification** is ``steps.classify`` with A as before and B as after: a regression means
B is worse. Nothing is written into any results directory.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.history.derived import method_name
from vjplab.history.results import Measurement, ResultsError, ResultsFile, ResultsSet, load_results
from vjplab.history.steps import RULES, Rules, Verdict, classify, newest_by, worst_first
from vjplab.history.versions import sort_versions

COMMIT_PATTERN = re.compile(r"[0-9a-fA-F]{4,40}")
#: reasons a key present on a side is not classified
ONLY_A, ONLY_B, NULL, NULL_BOTH, VERSION_DIFFERS = "only in A", "only in B", \
    "null on one side", "measured on neither", "benchmark version differs"
NOT_COMPARED = (ONLY_A, ONLY_B, NULL, NULL_BOTH, VERSION_DIFFERS)


@dataclass
class Side:
    """One result set: what the user named and the results it resolved to."""

    name: str  # "A" or "B"
    spec: str
    #: "results directory" or "commit <hash> in <results dir>"
    origin: str
    results: ResultsSet

    @property
    def machines(self) -> list[str]:
        return sorted({f.machine for f in self.results.files})

    @property
    def jax_versions(self) -> list[str]:
        return sort_versions(f.jax for f in self.results.files)


@dataclass(frozen=True)
class Pair:
    a: Measurement
    b: Measurement
    verdict: Verdict

    @property
    def benchmark(self) -> str:
        return self.a.benchmark

    @property
    def kind(self) -> str:
        return method_name(self.a.benchmark)

    @property
    def ratio(self) -> float:
        return self.b.value / self.a.value if self.a.value else float("inf")


@dataclass
class KindSummary:
    kind: str
    pairs: int = 0
    regressions: int = 0
    improvements: int = 0
    not_compared: Counter = field(default_factory=Counter)

    @property
    def flagged(self) -> int:
        return self.regressions + self.improvements

    @property
    def flag_rate(self) -> float | None:
        """Flagged pairs in percent of the pairs compared (None when none were)."""
        return 100.0 * self.flagged / self.pairs if self.pairs else None


@dataclass
class Comparison:
    a: Side
    b: Side
    rules: Rules
    match_machine: bool
    match_jax: bool
    pairs: list[Pair]
    #: kind -> summary, in the rules' table order, then other kinds by name
    kinds: dict[str, KindSummary]

    @property
    def flagged(self) -> list[Pair]:
        """Regressions then improvements, worst first."""
        return worst_first([p for p in self.pairs if p.verdict != Verdict.NO_CHANGE])

    @property
    def regressions(self) -> list[Pair]:
        return [p for p in self.pairs if p.verdict == Verdict.REGRESSION]

    def sources(self, side: Side) -> list[ResultsFile]:
        """The results files the side's compared or considered measurements came from."""
        used = {m.file for p in self.pairs for m in ((p.a,) if side is self.a else (p.b,))}
        files = [f for f in side.results.files if f.file in used] or side.results.files
        return sorted(files, key=lambda f: (f.machine, f.jax, f.commit, f.env))


def looks_like_commit(spec: str) -> bool:
    return bool(COMMIT_PATTERN.fullmatch(spec))


def load_side(name: str, spec: str, results_dir: Path | None, machine: str | None = None,
              jax: str | None = None) -> Side:
    """Resolve ``spec`` (a results directory, else a commit in ``results_dir``), narrowed to
    ``machine`` / ``jax`` when given. ValueError (with the allowed values) when it names
    nothing: no such directory and not a commit hash, an unknown or ambiguous commit, a
    directory without results, an unknown machine or JAX release."""
    path = Path(spec)
    if path.is_dir():
        results, origin = load_results(path), f"results directory {path}"
        if not results.files:
            raise ValueError(f"side {name}: {path} holds no asv results files (expected "
                             f"<dir>/<machine>/<commit>-<env>.json, format version 2)"
                             + "".join(f"; {m}" for m in results.messages))
    elif looks_like_commit(spec):
        if results_dir is None:
            raise ValueError(f"side {name}: {spec} looks like a commit; pass --results-dir")
        everything = load_results(results_dir)
        results, commit = _commit_subset(name, spec, everything, Path(results_dir))
        origin = f"commit {commit[:8]} in {results_dir}"
    else:
        raise ValueError(f"side {name}: {spec!r} is neither an existing results directory nor "
                         f"a commit hash (4 to 40 hex digits, looked up in --results-dir)")
    if machine is not None:
        machines = sorted({f.machine for f in results.files})
        if machine not in machines:
            raise ValueError(f"side {name}: machine {machine!r} not in {origin}; allowed: "
                             f"{', '.join(machines)}")
        results = results.subset(lambda mach, commit, env, jx: mach == machine)
    if jax is not None:
        versions = sort_versions(f.jax for f in results.files)
        if jax not in versions:
            raise ValueError(f"side {name}: JAX {jax} not in {origin}; allowed: "
                             f"{', '.join(versions)}")
        results = results.subset(lambda mach, commit, env, jx: jx == jax)
    return Side(name, spec, origin, results)


def _commit_subset(name: str, spec: str, everything: ResultsSet,
                   results_dir: Path) -> tuple[ResultsSet, str]:
    prefix = spec.lower()
    commits = sorted({f.commit for f in everything.files if f.commit.lower().startswith(prefix)})
    if not commits:
        newest = sorted({(f.date, f.commit) for f in everything.files}, reverse=True)
        known = ", ".join(c[:8] for _, c in newest[:10]) or "none"
        raise ValueError(f"side {name}: commit {spec} not found in {results_dir}; recorded "
                         f"commits (newest first): {known}")
    if len(commits) > 1:
        raise ValueError(f"side {name}: commit prefix {spec} is ambiguous in {results_dir}; "
                         f"matches: {', '.join(c[:12] for c in commits)}")
    commit = commits[0]
    return everything.subset(lambda mach, c, env, jx: c == commit), commit


def compare(a: Side, b: Side, rules: Rules = RULES, match_machine: bool = True) -> Comparison:
    """Pair A's and B's measurements (module docstring) and classify each pair, A -> B."""
    match_jax = not (len(a.jax_versions) == 1 and len(b.jax_versions) == 1)

    def key(m: Measurement) -> Hashable:
        return (m.machine if match_machine else None, m.jax if match_jax else None,
                m.benchmark, m.params)

    newest_a = newest_by(a.results.measurements, key)
    newest_b = newest_by(b.results.measurements, key)
    kinds: dict[str, KindSummary] = {}
    pairs: list[Pair] = []
    for k in set(newest_a) | set(newest_b):
        ma, mb = newest_a.get(k), newest_b.get(k)
        kind = method_name((ma or mb).benchmark)
        summary = kinds.setdefault(kind, KindSummary(kind))
        if ma is None or mb is None:
            summary.not_compared[ONLY_B if ma is None else ONLY_A] += 1
        elif ma.version != mb.version:
            summary.not_compared[VERSION_DIFFERS] += 1
        elif not (ma.measured or mb.measured):
            summary.not_compared[NULL_BOTH] += 1
        elif not (ma.measured and mb.measured):
            summary.not_compared[NULL] += 1
        else:
            pair = Pair(ma, mb, classify(ma.benchmark, ma, mb, rules))
            pairs.append(pair)
            summary.pairs += 1
            summary.regressions += pair.verdict == Verdict.REGRESSION
            summary.improvements += pair.verdict == Verdict.IMPROVEMENT
    order = {kind: i for i, kind in enumerate(rules)}
    ordered = dict(sorted(kinds.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    pairs.sort(key=lambda p: (p.a.benchmark, p.a.params, p.a.machine, p.a.jax))
    return Comparison(a, b, rules, match_machine, match_jax, pairs, ordered)


def run_compare(spec_a: str, spec_b: str, results_dir: Path | None, rules: Rules = RULES,
                machine_a: str | None = None, machine_b: str | None = None,
                jax_a: str | None = None, jax_b: str | None = None) -> Comparison:
    """Load both sides and compare them; machine is ignored in pairing when both machines are
    named. Raises ValueError (ResultsError included) for anything that names no results."""
    try:
        a = load_side("A", spec_a, results_dir, machine_a, jax_a)
        b = load_side("B", spec_b, results_dir, machine_b, jax_b)
    except ResultsError as exc:
        raise ValueError(str(exc)) from None
    comparison = compare(a, b, rules, match_machine=not (machine_a and machine_b))
    if not comparison.pairs and not any(s.not_compared for s in comparison.kinds.values()):
        raise ValueError("no measurements on either side")
    return comparison


def not_compared_totals(comparison: Comparison) -> dict[str, int]:
    totals: Counter = Counter()
    for summary in comparison.kinds.values():
        totals.update(summary.not_compared)
    return {reason: totals[reason] for reason in NOT_COMPARED if totals[reason]}


def jax_by_machine(side: Side) -> dict[str, list[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for f in side.results.files:
        out[f.machine].add(f.jax)
    return {m: sort_versions(v) for m, v in sorted(out.items())}
