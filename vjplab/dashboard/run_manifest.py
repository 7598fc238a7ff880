"""The vjplab run manifest: what asv does not store about a ``vjplab bench`` run.

asv's results file says which values were measured, not which grid chose them, why a
combination was skipped, which JAX really ran (beyond the labels), on what hardware JAX ran, or
how the timings were taken. ``vjplab bench`` writes these into a small manifest next to asv's
results file, and the run report (vjplab.dashboard.report_page) reads it back.

Where: ``<results>/<machine>/<stem>.vjplab-run.manifest`` beside ``<results>/<machine>/<stem>.json``
(asv's file for that commit and environment). Why there and why that suffix:

* asv (0.6, ``asv.results.iter_results_paths``) loads every ``*.json`` under the results
  directory except ``machine.json`` and ``benchmarks.json``; a ``.manifest`` file is invisible
  to asv's publish, compare and rm, and to vjplab.history (which globs ``*.json`` too);
* the same stem pairs a manifest with exactly one results file, with no index to keep in sync;
* it travels with the results directory when that is copied to another machine.

The content is JSON text (``FORMAT``/``VERSION`` first); the report ignores a manifest whose
format it does not know. Float32 accuracy against the float64 hand-written adjoint is measured
here, at bench time, in the interpreter that ran the suite (the report may be written later by
another JAX), and only at small dimensions (``ACCURACY_MAX_DIMENSION``): it costs one compile
per combination.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import Iterable

from vjplab.grid import GRIDS, SWEEP_KINDS, Grid, Sweep

FORMAT = "vjplab-run-manifest"
VERSION = 1
SUFFIX = ".vjplab-run.manifest"
#: accuracy is measured at each sweep's smallest dimension, if it is at most this (nominal N)
ACCURACY_MAX_DIMENSION = 1000
#: how the accuracy column is defined (shown on the report page)
ACCURACY_DEFINITION = ("max |g32 - g64| / max |g64| over the VJP's entries, where g32 is the "
                       "strategy's float32 VJP and g64 the hand-written adjoint in float64 at the "
                       "same inputs (seed 0)")
#: the timing protocol in one paragraph (docs/protocol.md has the evidence)
PROTOCOL_SUMMARY = (
    "Latency (asv time_vjp): per-call time of back-to-back jitted calls with "
    "block_until_ready, samples of ~5 ms after a 20 ms warm-up, pooled over asv's rounds "
    "(one fresh process each, at different times of the run); median reported. Device time "
    "(track_device_time): R evaluations inside one jitted fori_loop that XLA cannot hoist "
    "from, divided by R. XLA memory (track_xla_memory): argument + output + temp - alias "
    "bytes of the compiled VJP. Compilation is never timed. See docs/protocol.md.")
#: the suite's asv rounds when ``vjplab bench`` does not override them (benchmarks/common.py)
DEFAULT_ROUNDS = 3


def manifest_path(results_file: Path) -> Path:
    """The manifest beside asv's results file ``<stem>.json``."""
    results_file = Path(results_file)
    if results_file.suffix != ".json" or results_file.name in ("machine.json", "benchmarks.json"):
        raise ValueError(f"{results_file} is not an asv results file (allowed: a *.json file "
                         f"under <results>/<machine>/)")
    return results_file.with_name(results_file.stem + SUFFIX)


def read_run_manifest(results_file: Path) -> dict | None:
    """The manifest of asv's ``results_file``, or None when there is none (or it is not a
    vjplab manifest of a known version)."""
    path = manifest_path(results_file)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        return None
    return data


def sweep_summary(sweep: Sweep) -> dict:
    """A sweep as plain lists (families, strategies, dimensions, large_dimensions, localities)."""
    return {"families": sweep.family_names, "strategies": sweep.strategy_names,
            "dimensions": list(sweep.dimensions), "large_dimensions": list(sweep.large_dimensions),
            "localities": list(sweep.localities)}


def skip_reasons(grid: Grid, kind: str) -> list[list]:
    """``[family, strategy, N, k, reason]`` for every combination of the grid's ``kind`` sweep
    that does not run: left out by the sweep (dense strategy at a large N, locality-free
    family), or infeasible (k too large for N, over the memory budget; decided without
    compiling)."""
    from vjplab.problems import nearest_dimension, problem
    from vjplab.strategy import STRATEGIES

    sweep = grid.sweep(kind)
    problems: dict[tuple[str, int, int], object] = {}
    out = []
    for family, strategy, dimension, locality, dtype in sweep.combinations():
        if dtype != "float32":  # the report's tables are float32 (vjplab.dashboard.run_data)
            continue
        reason = sweep.skip_reason(family, strategy, dimension, locality)
        if reason is None:
            key = (family, dimension, locality)
            if key not in problems:
                try:
                    problems[key] = problem(family, nearest_dimension(family, dimension), locality)
                except ValueError as exc:
                    problems[key] = str(exc)
            built = problems[key]
            reason = (built if isinstance(built, str)
                      else STRATEGIES[strategy].infeasible_reason(built))
        if reason:
            out.append([family, strategy, dimension, locality, reason])
    return out


def accuracy_combinations(grid: Grid) -> list[tuple[str, str, int, int]]:
    """The (family, strategy, N, k) whose float32 accuracy is measured: each sweep's smallest
    dimension (when at most ACCURACY_MAX_DIMENSION), every family, strategy and locality."""
    combos: dict[tuple[str, str, int, int], None] = {}
    for kind in SWEEP_KINDS:
        sweep = grid.sweep(kind)
        smallest = min(sweep.all_dimensions)
        if smallest > ACCURACY_MAX_DIMENSION:
            continue
        for combo in sweep.combinations():
            if combo[2] == smallest and combo[4] == "float32" \
                    and sweep.skip_reason(*combo) is None:
                combos.setdefault(tuple(combo[:4]), None)
    return list(combos)


def relative_error(actual, expected) -> float:
    """max |actual - expected| / max |expected| (over 1 where expected is all zero)."""
    import numpy as np

    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return float(np.max(np.abs(actual - expected))) / (scale or 1.0) if expected.size else 0.0


def float32_accuracy(combos: Iterable[tuple[str, str, int, int]]) -> list[list]:
    """``[family, strategy, N, k, error]`` (error None plus a reason when the combination
    cannot run) of each strategy's float32 VJP against the float64 hand-written adjoint.

    Turns on 64-bit JAX for the reference and restores the previous setting afterwards.
    """
    import jax

    import vjplab
    from vjplab.problems import nearest_dimension
    from vjplab.strategy import STRATEGIES

    previous = bool(jax.config.jax_enable_x64)
    jax.config.update("jax_enable_x64", True)
    out: list[list] = []
    references: dict[tuple[str, int, int], object] = {}
    try:
        for family, strategy, dimension, locality in combos:
            n = nearest_dimension(family, dimension)
            try:
                p32 = vjplab.problem(family, n, locality, dtype="float32")
            except ValueError as exc:
                out.append([family, strategy, dimension, locality, None, str(exc)])
                continue
            reason = STRATEGIES[strategy].infeasible_reason(p32)
            if reason:
                out.append([family, strategy, dimension, locality, None, reason])
                continue
            key = (family, n, locality)
            try:
                if key not in references:
                    p64 = vjplab.problem(family, n, locality, dtype="float64")
                    references[key] = (None if p64.exact_vjp is None
                                       else p64.exact_vjp(p64.x, p64.cotangent))
                if references[key] is None:
                    out.append([family, strategy, dimension, locality, None,
                                f"{family} has no hand-written adjoint to measure float32 "
                                f"accuracy against"])
                    continue
                g32 = vjplab.vjp(strategy, p32)(p32.x, p32.cotangent)
            except Exception as exc:  # noqa: BLE001 - a failed check must not lose the run
                out.append([family, strategy, dimension, locality, None,
                            f"the accuracy check failed: {type(exc).__name__}: {exc}"])
                continue
            out.append([family, strategy, dimension, locality,
                        relative_error(g32, references[key]), None])
    finally:
        jax.config.update("jax_enable_x64", previous)
    return out


def machine_description() -> dict:
    """This host as JAX and the OS see it (asv's machine.json has the rest)."""
    import jax

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    devices = jax.devices()
    return {"node": platform.node(), "platform": platform.platform(), "cpu_model": cpu,
            "cpu_count": os.cpu_count(), "backend": jax.default_backend(),
            "devices": f"{len(devices)} x {devices[0].device_kind}" if devices else "none"}


def build_run_manifest(results_file: Path, grid: str, *, bench: str | None = None,
                       rounds: int | None = None, accuracy: bool = True) -> dict:
    """The manifest of a run of ``grid`` whose results asv saved in ``results_file``."""
    import jax
    import jaxlib

    from vjplab.allocator import describe_for_run
    from vjplab.cpu_affinity import describe_pinning, requested_cpus

    if grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r}; allowed: {', '.join(sorted(GRIDS))}")
    chosen = GRIDS[grid]
    results_file = Path(results_file)
    accuracy_rows = float32_accuracy(accuracy_combinations(chosen)) if accuracy else []
    return {
        "format": FORMAT, "version": VERSION,
        "results_file": f"{results_file.parent.name}/{results_file.name}",
        "written_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "grid": grid, "bench_regex": bench,
        "sweeps": {kind: sweep_summary(chosen.sweep(kind)) for kind in SWEEP_KINDS},
        "skips": {kind: skip_reasons(chosen, kind) for kind in SWEEP_KINDS},
        "jax": jax.__version__, "jaxlib": jaxlib.__version__, "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "machine": machine_description(),
        "protocol": {"rounds": rounds or DEFAULT_ROUNDS,
                     "pinning": describe_pinning(requested_cpus()),
                     "allocator": describe_for_run(),
                     "summary": PROTOCOL_SUMMARY},
        "accuracy": {"dtype": "float32", "definition": ACCURACY_DEFINITION,
                     "max_dimension": ACCURACY_MAX_DIMENSION, "values": accuracy_rows},
    }


def write_run_manifest(results_file: Path, grid: str, *, bench: str | None = None,
                       rounds: int | None = None, accuracy: bool = True) -> Path:
    """Write the manifest of asv's ``results_file`` (see the module docstring); return its path.

    ValueError for an unknown grid, or a ``results_file`` that is not an existing ``*.json``.
    """
    path = manifest_path(results_file)
    if not Path(results_file).is_file():
        raise ValueError(f"asv results file {results_file} does not exist")
    data = build_run_manifest(results_file, grid, bench=bench, rounds=rounds, accuracy=accuracy)
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    return path


def newest_results_file(results_dir: Path, commit: str, python: str | None = None) -> Path | None:
    """The most recently written asv results file of ``commit`` in ``results_dir`` of the
    environment whose interpreter is ``python`` (default: this one; when asv recorded another
    path for it, the newest file of ``commit`` labelled with this JAX), or None."""
    import jax

    python = python or sys.executable
    same_python, same_jax = [], []
    for path in Path(results_dir).glob(f"*/{commit[:8]}-*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not str(data.get("commit_hash", "")).startswith(commit[:8]):
            continue
        if data.get("python") == python:
            same_python.append((path.stat().st_mtime, path))
        elif (data.get("params") or {}).get("jax") == jax.__version__:
            same_jax.append((path.stat().st_mtime, path))
    found = same_python or same_jax
    return max(found)[1] if found else None


def record_run(results_dir: Path, commit: str, grid: str, *, bench: str | None = None,
               rounds: int | None = None) -> Path | None:
    """What ``vjplab bench`` calls after asv run: write the manifest beside this run's results
    file and print its path (or one line saying why there is none). Never raises for a run
    whose results are missing: the benchmark run itself is what matters."""
    results_file = newest_results_file(Path(results_dir), commit)
    if results_file is None:
        print(f"run manifest: no asv results file of commit {commit[:8]} for {sys.executable} "
              f"under {results_dir}; none written", flush=True)
        return None
    try:
        path = write_run_manifest(results_file, grid, bench=bench, rounds=rounds)
    except (OSError, ValueError) as exc:
        print(f"run manifest: not written ({exc})", flush=True)
        return None
    print(f"run manifest: {path}", flush=True)
    return path


def finite_or_none(value: float | None) -> float | None:
    """``value`` when it is a finite number, else None (JSON has no NaN)."""
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None
