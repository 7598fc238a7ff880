"""The regression page's structure: regressions grouped by JAX step, then by cause.

**JAX step.** Every step of the history joins two consecutive measured releases of one series;
the steps of one machine with the same releases before -> after form a *JAX step* (e.g.
``vm 0.9.2 -> 0.10.2``). A series with a missing point has a step over it (0.5.3 -> 0.7.2) and
so forms a JAX step of its own. Machines are separate (the user's results and a reference
history are different machines): a JAX step belongs to one machine.

**Combination.** Within a JAX step, the regressions of every kind measured on the same
parameters (every name and value of the benchmark's ``param_names``: ``time_vjp``,
``track_device_time``, ``track_flops``, ... of ``roll_cubic jax_vjp N=100 k=1``) form one row:
``roll_cubic jax_vjp N=100 k=1: time_vjp 1.80x, track_device_time 1.70x``.

**Cause** (vjplab.history.programs, one note per combination and pair of results files):

* ``same program``: the XLA program is identical on both sides, so the change is the runtime,
  code generation below HLO, dispatch or threading (or noise);
* ``program changed``: XLA optimised differently, with the op counts that differ;
* ``fingerprints missing``: no fingerprint on a side (recorded before fingerprints, or no
  program there);
* ``no program``: the benchmark's parameters name no combination (``peakmem_reference``: a
  family and a dimension only).

**Order.** Rows within a cause and causes within a JAX step: worst first (the largest
``severity`` of their timed regressions; a row with only deterministic kinds, such as flops or
an HLO count, by those). Within a row, the timed kinds worst first, then the deterministic.
JAX steps: per machine (by name), **newest first** (by the release after, then before): the
newest step is the one a user upgrading meets and the one JAX's developers can still act on,
and the order stays put as releases are added; each step's header and the index say its
worst ratio, so the worst step is found at a glance.

**Caught by** (per JAX step, for every kind with a step there): steps compared, regressions,
improvements; it says which kinds of benchmark flagged that JAX step (and which, with steps
there, did not).

**Bisected release**: a row gets the matching bisect verdict (vjplab.history.bisects; a
verdict of any kind of that combination, its own kind preferred), else the command that would
bisect it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from vjplab.history.bisects import Bisects, BisectVerdict
from vjplab.history.derived import NET_METHOD, VJP_METHOD
from vjplab.history.labels import describe_params
from vjplab.history.programs import CHANGED, LATENCY_KIND, SAME, UNKNOWN, ProgramNote
from vjplab.history.results import ResultsSet
from vjplab.history.steps import (Rules, Step, Verdict, is_deterministic, kinds_table,
                                  rule_for)
from vjplab.history.versions import version_key

NO_PROGRAM = "no program"
#: what each cause means, one line (the page and the Markdown print it)
MEANING = {
    SAME: "the XLA program is identical on both sides: runtime, code generation below HLO, "
          "dispatch or threading changed (or noise)",
    CHANGED: "XLA optimised the same function into another program",
    UNKNOWN: "no fingerprint on one side: cannot tell whether the program changed",
    NO_PROGRAM: "the benchmark's parameters name no combination (family, strategy, N, k), so "
                "there is no program to compare (peakmem_reference: family and N only)",
}


def severity(step: Step) -> float:
    """How bad a step is, for ordering: ``after / before`` for positive values; for a value
    that can be <= 0 (net memory) ``1 + (after - before) / |before|``, which is the same for
    positive values; infinite from 0."""
    if step.before > 0 and step.after > 0:
        return step.after / step.before
    if step.before == 0:
        return float("inf") if step.after != step.before else 1.0
    return 1 + (step.after - step.before) / abs(step.before)


def param_names(results: ResultsSet, benchmark: str, params: tuple[str, ...]) -> list[str]:
    """The benchmark's parameter names (benchmarks.json), else positional ``p0, p1, ...``."""
    names = list(results.benchmarks.get(benchmark, {}).get("param_names") or [])
    return names if len(names) == len(params) else [f"p{i}" for i in range(len(params))]


def asv_param_set(kind: str, params: tuple[str, ...]) -> str:
    """asv's name of a parameter set: ``time_vjp('roll_cubic', 'exact', 100, 1, 'float32')``."""
    return f"{kind}({', '.join(params)})"


@dataclass
class CombinationRow:
    """The regressions of one combination (every kind measured on it) in one JAX step."""

    machine: str
    #: (name, asv value) of every parameter
    params: tuple[tuple[str, str], ...]
    label: str
    cause: str
    note: ProgramNote | None
    #: the regressions: timings worst first, then the deterministic kinds worst first
    steps: list[Step] = field(default_factory=list)
    bisect: BisectVerdict | None = None
    #: the kinds among ``steps`` that flag any change (counts, flops: not timings)
    deterministic: frozenset[str] = frozenset()

    @property
    def worst(self) -> float:
        """The largest severity among the timed kinds, else among all: a count that doubled
        (one fusion more) does not outrank a latency that grew 1.8x."""
        timed = [s for s in self.steps if s.kind not in self.deterministic]
        return max(severity(s) for s in timed or self.steps)

    def bisect_kind(self) -> str:
        """The kind to bisect: the latency when it regressed here, else the worst real
        benchmark (the derived net memory is bisected on ``peakmem_vjp``)."""
        kinds = [s.kind for s in self.steps]
        if LATENCY_KIND in kinds:
            return LATENCY_KIND
        return VJP_METHOD if kinds[0] == NET_METHOD else kinds[0]

    def next_command(self, before: str, after: str) -> str:
        """``python -m vjplab bisect "<param set>" --from X --to Y``."""
        param_set = asv_param_set(self.bisect_kind(), tuple(v for _, v in self.params))
        return f'python -m vjplab bisect "{param_set}" --from {before} --to {after}'


@dataclass
class CauseGroup:
    """The combinations of one JAX step with one cause, worst first."""

    cause: str
    rows: list[CombinationRow]

    @property
    def worst(self) -> float:
        return max(row.worst for row in self.rows)

    def kinds(self) -> Counter:
        """Regressions per kind in this group."""
        return Counter(step.kind for row in self.rows for step in row.steps)


@dataclass(frozen=True)
class KindCount:
    """One kind's steps on one JAX step."""

    kind: str
    threshold: str
    compared: int
    regressions: int
    improvements: int


@dataclass
class JaxStep:
    """One machine's steps between two releases."""

    machine: str
    before: str
    after: str
    causes: list[CauseGroup]
    caught_by: list[KindCount]

    @property
    def rows(self) -> list[CombinationRow]:
        return [row for group in self.causes for row in group.rows]

    @property
    def regressions(self) -> int:
        return sum(len(row.steps) for row in self.rows)

    @property
    def worst(self) -> float | None:
        return max((group.worst for group in self.causes), default=None)

    @property
    def anchor(self) -> str:
        """An HTML id for the step's section."""
        return f"step-{self.machine}-{self.before}-{self.after}".replace(" ", "_")

    def caught_text(self, zeros: bool = True) -> str:
        """``time_vjp 2, track_device_time 1, track_compile_time 0`` (regressions per kind with
        steps here, most first; ``zeros=False`` leaves out the kinds that caught none)."""
        counts = sorted(self.caught_by, key=lambda c: -c.regressions)
        return ", ".join(f"{c.kind} {c.regressions}" for c in counts
                         if zeros or c.regressions)


def _row_key(results: ResultsSet, step: Step) -> tuple[tuple[str, str], ...]:
    return tuple(zip(param_names(results, step.benchmark, step.params), step.params))


def _caught_by(steps: list[Step], rules: Rules) -> list[KindCount]:
    """Per kind (the rules' table order, then other kinds by name): compared, regressions,
    improvements."""
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for step in steps:
        by_kind[step.kind][step.verdict] += 1
    order = {rule.kind: i for i, rule in enumerate(kinds_table(rules))}
    kinds = sorted(by_kind, key=lambda k: (order.get(k, len(order)), k))
    return [KindCount(kind, rule_for(kind, rules).describe(), sum(by_kind[kind].values()),
                      by_kind[kind][Verdict.REGRESSION], by_kind[kind][Verdict.IMPROVEMENT])
            for kind in kinds]


def group_regressions(results: ResultsSet, all_steps: list[Step], rules: Rules,
                      notes: dict[Step, ProgramNote], bisects: Bisects | None = None
                      ) -> list[JaxStep]:
    """Every JAX step of every machine (those without a regression too, with no causes),
    grouped and ordered as the module docstring says."""
    by_jax_step: dict[tuple[str, str, str], list[Step]] = defaultdict(list)
    for step in all_steps:
        by_jax_step[(step.machine, step.before_version, step.after_version)].append(step)
    out = []
    for (machine, before, after), steps_here in by_jax_step.items():
        rows: dict[tuple, CombinationRow] = {}
        for step in steps_here:
            if step.verdict != Verdict.REGRESSION:
                continue
            note = notes.get(step)
            cause = note.verdict if note else NO_PROGRAM
            key = (_row_key(results, step), cause)
            if key not in rows:
                rows[key] = CombinationRow(
                    machine, key[0], describe_params(results.benchmarks, step.benchmark,
                                                     step.params), cause, note)
            rows[key].steps.append(step)
        by_cause: dict[str, list[CombinationRow]] = defaultdict(list)
        for row in rows.values():
            row.deterministic = frozenset(s.kind for s in row.steps
                                          if is_deterministic(s.benchmark, rules))
            row.steps.sort(key=lambda s: (s.kind in row.deterministic, -severity(s), s.kind))
            if bisects is not None:
                names = [name for name, _ in row.params]
                row.bisect = bisects.find(machine, names, tuple(v for _, v in row.params),
                                          before, after, row.bisect_kind())
            by_cause[row.cause].append(row)
        causes = [CauseGroup(cause, sorted(group, key=lambda r: (-r.worst, r.label)))
                  for cause, group in by_cause.items()]
        causes.sort(key=lambda g: (-g.worst, g.cause))
        out.append(JaxStep(machine, before, after, causes, _caught_by(steps_here, rules)))
    out.sort(key=lambda j: (version_key(j.after), version_key(j.before)), reverse=True)
    out.sort(key=lambda j: j.machine)  # stable: per machine, newest first
    return out

