"""This run's numbers, read from asv's results directory and the vjplab run manifest.

"This run" is ONE results file: the newest (by asv's ``started_at``) of the chosen machine,
optionally restricted to a commit and an environment. Its latency (``time_vjp``), device time
(``track_device_time``) and XLA memory (``track_xla_memory``) become rows, one per
(family, N, k, strategy) of the grid that produced it (the manifest's sweeps; without a
manifest, the combinations with any stored value). A value asv stored as null is a gap with a
reason: the manifest's skip reason, "not in the grid's sweep", or "no value stored".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.dashboard.run_manifest import read_run_manifest
from vjplab.history.results import ResultsFile, ResultsSet, load_results
from vjplab.selection import param_set_name

LATENCY = "bench_vjp.TimeVJP.time_vjp"
DEVICE = "bench_metrics.DeviceTime.track_device_time"
MEMORY = "bench_metrics.XLAMemory.track_xla_memory"
BANDWIDTH = "bench_metrics.AchievedBandwidth.track_achieved_bandwidth"
FRACTION = "bench_metrics.BandwidthFraction.track_bandwidth_fraction"
#: metric key -> (asv benchmark, sweep kind of vjplab.grid)
METRICS = {"latency": (LATENCY, "latency"), "device_time": (DEVICE, "metrics"),
           "xla_memory": (MEMORY, "metrics"), "achieved_bandwidth": (BANDWIDTH, "metrics"),
           "bandwidth_fraction": (FRACTION, "metrics")}
#: the hand-written adjoint every ratio is taken against
REFERENCE_STRATEGY = "exact"
#: table and legend order: the dense routes, the autodiff routes, the hand-written adjoint last
STRATEGY_ORDER = ("naive_jacrev", "naive_jacfwd", "jax_vjp", "grad_dot", "linearize_transpose",
                  REFERENCE_STRATEGY)
NO_MANIFEST = ("no value stored in the results file, and no vjplab run manifest beside it to "
               "say why (skipped, failed, or not selected)")

Combo = tuple[str, str, int, int]


@dataclass(frozen=True)
class Cell:
    """One number of the table: ``value`` (None for a gap) or the ``reason`` it is missing."""

    value: float | None
    reason: str | None = None


@dataclass
class RunData:
    """One results file's values, with its manifest (None when absent) and machine.json."""

    file: ResultsFile
    results_path: Path
    values: dict[str, dict[Combo, float]]
    manifest: dict | None
    machine_info: dict
    run_at: int
    other_files: list[str] = field(default_factory=list)
    accuracy: dict[Combo, Cell] = field(default_factory=dict)
    #: everything read from the results directory (the report's reference section uses the
    #: run's file's every benchmark)
    results: ResultsSet | None = None

    def cell(self, metric: str, combo: Combo) -> Cell:
        """The stored value of ``metric`` at ``combo``, or a gap with its reason."""
        value = self.values.get(metric, {}).get(combo)
        if value is not None and math.isfinite(value):
            return Cell(value)
        return Cell(None, self.gap_reason(METRICS[metric][1], combo))

    def gap_reason(self, kind: str, combo: Combo) -> str:
        if self.manifest is None:
            return NO_MANIFEST
        family, strategy, dimension, locality = combo
        for entry in self.manifest.get("skips", {}).get(kind, []):
            if tuple(entry[:4]) == combo:
                return str(entry[4])
        sweep = self.manifest.get("sweeps", {}).get(kind, {})
        dims = sweep.get("dimensions", []) + sweep.get("large_dimensions", [])
        if not self.in_sweep(kind, combo):
            return (f"not in the {self.manifest.get('grid')!r} grid's {kind} sweep (N = "
                    f"{', '.join(map(str, dims))}; k = "
                    f"{', '.join(map(str, sweep.get('localities', [])))})")
        regex = self.manifest.get("bench_regex")
        if regex:
            return f"no value stored: not selected by --bench {regex!r}, or it failed"
        return "no value stored: the benchmark failed (see asv's log)"

    def combos(self) -> list[Combo]:
        """Every (family, strategy, N, k) the table shows: the manifest's sweeps (as far as its
        ``--bench`` regex selects them), or (without
        a manifest) each strategy with a stored value at each (family, N, k) with one; sorted
        by family, N, k, then strategy_key."""
        out: set[Combo] = set()
        if self.manifest is not None:
            for sweep in self.manifest.get("sweeps", {}).values():
                for family in sweep["families"]:
                    for strategy in sweep["strategies"]:
                        for n in sweep["dimensions"] + sweep["large_dimensions"]:
                            for k in sweep["localities"]:
                                out.add((family, strategy, n, k))
            out = {c for c in out if self.selected(c)}
        else:  # every strategy with a value, at every (family, N, k) with a value
            measured = {c for per_combo in self.values.values()
                        for c, v in per_combo.items() if math.isfinite(v)}
            for family, n, k in {(c[0], c[2], c[3]) for c in measured}:
                out.update((family, s, n, k) for s in {c[1] for c in measured})
        return sorted(out, key=lambda c: (c[0], c[2], c[3], strategy_key(c[1])))

    def selected(self, combo: Combo) -> bool:
        """Whether the run's ``--bench`` regex (the manifest's; none: everything) selects any
        of the report's benchmarks at ``combo``, as asv matches it (re.search on the name)."""
        regex = (self.manifest or {}).get("bench_regex")
        if not regex:
            return True
        return any(re.search(regex, param_set_name(bench, combo + ("float32",)))
                   for bench, kind in METRICS.values() if self.in_sweep(kind, combo))

    def in_sweep(self, kind: str, combo: Combo) -> bool:
        """Whether the manifest's ``kind`` sweep holds ``combo``."""
        sweep = (self.manifest or {}).get("sweeps", {}).get(kind, {})
        family, strategy, dimension, locality = combo
        return (family in sweep.get("families", []) and strategy in sweep.get("strategies", [])
                and dimension in sweep.get("dimensions", []) + sweep.get("large_dimensions", [])
                and locality in sweep.get("localities", []))

    def strategies(self) -> list[str]:
        """The strategies of the table in STRATEGY_ORDER (others before ``exact``)."""
        return sorted({c[1] for c in self.combos()}, key=strategy_key)


def strategy_key(strategy: str) -> tuple[int, str]:
    """Sort key: STRATEGY_ORDER, unknown strategies (alphabetically) just before ``exact``."""
    if strategy in STRATEGY_ORDER:
        rank = STRATEGY_ORDER.index(strategy)
        return (rank if strategy != REFERENCE_STRATEGY else len(STRATEGY_ORDER), strategy)
    return (len(STRATEGY_ORDER) - 1, strategy)


def _parse(params: tuple[str, ...]) -> Combo | None:
    """asv's repr strings ``("'roll_cubic'", "'jax_vjp'", '100', '1', "'float32'")`` as a Combo;
    None for another dtype (the report's tables are float32; float64 has its own series in the
    history and asv's pages). Results from before the dtype parameter have four values."""
    if len(params) == 5 and params[4].strip("'\"") == "float32":
        params = params[:4]
    if len(params) != 4:
        return None
    try:
        return (params[0].strip("'\""), params[1].strip("'\""), int(params[2]), int(params[3]))
    except ValueError:
        return None


def _accuracy(manifest: dict | None) -> dict[Combo, Cell]:
    if manifest is None:
        return {}
    out = {}
    for entry in manifest.get("accuracy", {}).get("values", []):
        family, strategy, n, k, error, reason = entry
        out[(family, strategy, int(n), int(k))] = Cell(
            float(error) if isinstance(error, (int, float)) else None, reason)
    return out


def load_run(results_dir: Path, commit: str | None = None, machine: str | None = None,
             env: str | None = None) -> RunData:
    """The newest results file of ``machine`` (default: the machine of the newest file of all)
    at ``commit`` (a hash or prefix; default: any) in environment ``env`` (default: any).

    ValueError (naming what exists) when nothing matches or the directory holds no results.
    """
    return run_of(load_results(results_dir), results_dir, commit, machine, env)


def run_of(results: ResultsSet, results_dir: Path, commit: str | None = None,
           machine: str | None = None, env: str | None = None) -> RunData:
    """``load_run`` over results already read from ``results_dir`` (one read for many runs)."""
    files = results.files
    if not files:
        raise ValueError(f"{results_dir} holds no asv results files; run `python -m vjplab "
                         f"bench` first" + "".join(f" ({m})" for m in results.messages))
    run_at: dict[str, int] = {}
    for m in results.measurements:
        run_at[m.file] = max(run_at.get(m.file, 0), m.run_at or m.date)
    machines = sorted({f.machine for f in files})
    if machine is not None and machine not in machines:
        raise ValueError(f"unknown machine {machine!r}; allowed: {', '.join(machines)}")
    candidates = [f for f in files if machine is None or f.machine == machine]
    if commit is not None:
        commits = sorted({f.commit for f in candidates})
        candidates = [f for f in candidates if commit and f.commit.startswith(commit)]
        if not candidates:
            raise ValueError(f"no results of commit {commit!r}; allowed: "
                             f"{', '.join(c[:8] for c in commits)}")
    if env is not None:
        envs = sorted({f.env for f in candidates})
        candidates = [f for f in candidates if f.env == env]
        if not candidates:
            raise ValueError(f"no results of environment {env!r}; allowed: {', '.join(envs)}")
    newest = max(candidates, key=lambda f: (run_at.get(f.file, 0), f.date, f.file))
    if machine is None:  # the newest file's machine; then that machine's newest file
        newest = max((f for f in candidates if f.machine == newest.machine),
                     key=lambda f: (run_at.get(f.file, 0), f.date, f.file))
    values: dict[str, dict[Combo, float]] = {key: {} for key in METRICS}
    wanted = {bench: key for key, (bench, _) in METRICS.items()}
    for m in results.measurements:
        if m.file == newest.file and m.benchmark in wanted:
            combo = _parse(m.params)
            if combo is not None:
                values[wanted[m.benchmark]][combo] = m.value
    path = Path(results_dir) / newest.file
    manifest = read_run_manifest(path)
    machine_json = path.parent / "machine.json"
    try:
        machine_info = json.loads(machine_json.read_text())
    except (OSError, ValueError):
        machine_info = {}
    return RunData(file=newest, results_path=path, values=values, manifest=manifest,
                   machine_info=machine_info if isinstance(machine_info, dict) else {},
                   run_at=run_at.get(newest.file, 0),
                   other_files=sorted(f.file for f in files if f.file != newest.file),
                   accuracy=_accuracy(manifest), results=results)
