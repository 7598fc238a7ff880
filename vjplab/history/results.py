"""Read asv's results directory (format version 2) into measurements labelled by JAX version.

Layout read: ``<results>/benchmarks.json`` (units, types, parameter names) and
``<results>/<machine>/*.json`` (one file per commit and environment; ``params`` holds the
``jax``/``jaxlib`` labels). Every parameter combination of every benchmark in a file becomes one
:class:`Measurement`, including those asv stored as null (failed or skipped): their value is NaN
(``measured`` is False), so a reader can say "missing in that file" instead of falling back to
another file's value. Each measurement carries the benchmark's asv ``version`` (asv changes it
when the benchmark's code changes), the commit, environment, results file and when asv ran it.

Problems (missing directory, unknown format version, unreadable file) become messages, never
crashes, and nothing is written.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_RESULTS_VERSIONS = (2,)


class ResultsError(ValueError):
    """The results directory cannot be read at all."""


@dataclass(frozen=True)
class Measurement:
    machine: str
    jax: str
    commit: str
    #: the commit's date (ms since the epoch, as asv stores it)
    date: int
    benchmark: str
    params: tuple[str, ...]
    #: NaN when asv stored null (the benchmark failed or skipped this combination)
    value: float
    #: (low, high) of asv's 99% confidence interval, or None (a single-sample result has none)
    ci: tuple[float, float] | None
    #: (q25, q75) of the samples, or None
    quartiles: tuple[float, float] | None
    #: asv's benchmark version (a hash of its code); None in files that do not store it
    version: str | None = None
    #: asv environment name
    env: str = ""
    #: when asv ran the benchmark (its ``started_at``, ms since the epoch); 0 if not stored
    run_at: int = 0
    #: the results file, relative to the results directory (``<machine>/<commit>-<env>.json``)
    file: str = ""
    jaxlib: str = ""

    @property
    def measured(self) -> bool:
        """False when asv stored null for this combination in this file."""
        return math.isfinite(self.value)

    @property
    def when(self) -> tuple[int, int]:
        """Sort key for "newest": when asv ran it, then the commit's date."""
        return (self.run_at or self.date, self.date)


@dataclass(frozen=True)
class ResultsFile:
    """One asv results file: a (machine, commit, environment)."""

    machine: str
    file: str
    commit: str
    date: int
    env: str
    jax: str
    jaxlib: str


@dataclass
class ResultsSet:
    #: every combination of every file, null ones included (``Measurement.measured``)
    measurements: list[Measurement] = field(default_factory=list)
    #: benchmark name -> metadata from benchmarks.json (unit, type, param_names, version)
    benchmarks: dict[str, dict] = field(default_factory=dict)
    files: list[ResultsFile] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    #: where it was read from
    root: Path | None = None
    #: machines read from another results directory than ``root`` (the reference machine's,
    #: vjplab.reference): machine -> that directory; its fingerprints lie beside it
    machine_roots: dict[str, Path] = field(default_factory=dict)
    #: the machines of the shipped reference (vjplab.reference), not the user's own
    reference_machines: frozenset[str] = frozenset()
    #: how the pages name the reference machine (vjplab.reference.Reference.label), or ""
    reference_label: str = ""

    def subset(self, keep) -> "ResultsSet":
        """The measurements and files for which ``keep(machine, commit, env, jax)`` is true."""
        return ResultsSet(
            [m for m in self.measurements if keep(m.machine, m.commit, m.env, m.jax)],
            self.benchmarks,
            [f for f in self.files if keep(f.machine, f.commit, f.env, f.jax)],
            list(self.messages), self.root, dict(self.machine_roots), self.reference_machines,
            self.reference_label)

    def root_of(self, machine: str) -> Path | None:
        """The results directory ``machine``'s files were read from (``Measurement.file`` is
        relative to it)."""
        return self.machine_roots.get(machine, self.root)

    def is_reference(self, machine: str) -> bool:
        """Whether ``machine`` is the shipped reference machine, not one of the user's."""
        return machine in self.reference_machines


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _pair(a, b) -> tuple[float, float] | None:
    return (float(a), float(b)) if _finite(a) and _finite(b) else None


def load_results(results_dir: Path | str) -> ResultsSet:
    """Every measurement in ``results_dir`` that carries a jax label, plus the derived series
    (vjplab.history.derived: peakmem net of its reference)."""
    from vjplab.history.derived import add_derived

    root = Path(results_dir)
    if not root.is_dir():
        raise ResultsError(f"results directory {root} does not exist; run `python -m vjplab "
                           f"bench` or `python -m vjplab record` first")
    out = ResultsSet(root=root)
    meta_path = root / "benchmarks.json"
    if meta_path.is_file():
        try:
            out.benchmarks = {k: v for k, v in json.loads(meta_path.read_text()).items()
                              if isinstance(v, dict)}
        except (OSError, ValueError) as exc:
            out.messages.append(f"{meta_path}: unreadable ({exc}); units unknown")
    else:
        out.messages.append(f"{meta_path} is missing; units unknown")
    machines = [d for d in sorted(root.iterdir()) if d.is_dir()]
    if not machines:
        out.messages.append(f"{root} holds no machine directories (no results yet)")
    for machine_dir in machines:
        for path in sorted(machine_dir.glob("*.json")):
            if path.name == "machine.json":
                continue
            _load_file(path, machine_dir.name, out)
    add_derived(out)
    return out


def _column(cols: dict, key: str, length: int) -> list:
    values = cols.get(key)
    return values if isinstance(values, list) and len(values) == length else [None] * length


def _load_file(path: Path, machine: str, out: ResultsSet) -> None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        out.messages.append(f"{path}: unreadable ({exc}); skipped")
        return
    version = data.get("version")
    if version not in SUPPORTED_RESULTS_VERSIONS:
        out.messages.append(f"{path}: asv results format version {version!r} is not supported "
                            f"(supported: {SUPPORTED_RESULTS_VERSIONS}); skipped")
        return
    params = data.get("params") or {}
    requirements = data.get("requirements") or {}
    jax_version = params.get("jax") or requirements.get("jax")
    if not jax_version:
        out.messages.append(f"{path}: no jax label in its params; skipped")
        return
    info = ResultsFile(machine=machine, file=f"{machine}/{path.name}",
                       commit=str(data.get("commit_hash", "")), date=int(data.get("date") or 0),
                       env=str(data.get("env_name", "")), jax=str(jax_version),
                       jaxlib=str(params.get("jaxlib") or requirements.get("jaxlib") or ""))
    out.files.append(info)
    columns = data.get("result_columns") or []
    for name, row in (data.get("results") or {}).items():
        cols = dict(zip(columns, row))
        param_lists = cols.get("params") or []
        combos = list(itertools.product(*param_lists)) if param_lists else [()]
        values = cols.get("result")
        if not isinstance(values, list):  # null for every combination (e.g. a build failure)
            values = [values] * len(combos) if param_lists else [values]
        n = len(values)
        stats = {key: _column(cols, key, n)
                 for key in ("stats_ci_99_a", "stats_ci_99_b", "stats_q_25", "stats_q_75")}
        bench_version = cols.get("version")
        started = cols.get("started_at")
        for index, (combo, value) in enumerate(zip(combos, values)):
            out.measurements.append(Measurement(
                machine=machine, jax=info.jax, commit=info.commit, date=info.date,
                benchmark=name, params=tuple(combo),
                value=float(value) if _finite(value) else math.nan,
                ci=_pair(stats["stats_ci_99_a"][index], stats["stats_ci_99_b"][index]),
                quartiles=_pair(stats["stats_q_25"][index], stats["stats_q_75"][index]),
                version=str(bench_version) if bench_version else None, env=info.env,
                run_at=int(started) if _finite(started) else 0, file=info.file,
                jaxlib=info.jaxlib))
