"""Read asv's results directory (format version 2) into measurements labelled by JAX version.

Layout read: ``<results>/benchmarks.json`` (units and types) and ``<results>/<machine>/*.json``
(one file per commit and environment; ``params`` holds the ``jax``/``jaxlib`` labels). Problems
(missing directory, unknown format version, unreadable file) become messages, never crashes,
and nothing is written.
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
    date: int
    benchmark: str
    params: tuple[str, ...]
    value: float
    #: (low, high) of asv's 99% confidence interval, or None (track_ benchmarks have none)
    ci: tuple[float, float] | None
    #: (q25, q75) of the samples, or None
    quartiles: tuple[float, float] | None


@dataclass
class ResultsSet:
    measurements: list[Measurement] = field(default_factory=list)
    #: benchmark name -> metadata from benchmarks.json (unit, type, param_names)
    benchmarks: dict[str, dict] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _pair(a, b) -> tuple[float, float] | None:
    return (float(a), float(b)) if _finite(a) and _finite(b) else None


def load_results(results_dir: Path | str) -> ResultsSet:
    """Every finite measurement in ``results_dir`` that carries a jax label."""
    root = Path(results_dir)
    if not root.is_dir():
        raise ResultsError(f"results directory {root} does not exist; run `python -m vjplab "
                           f"bench` or `python -m vjplab record` first")
    out = ResultsSet()
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
    return out


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
    jax_version = (data.get("params") or {}).get("jax") or (data.get("requirements") or {}).get("jax")
    if not jax_version:
        out.messages.append(f"{path}: no jax label in its params; skipped")
        return
    columns = data.get("result_columns") or []
    for name, row in (data.get("results") or {}).items():
        cols = dict(zip(columns, row))
        values = cols.get("result")
        if values is None:
            continue
        param_lists = cols.get("params") or []
        combos = list(itertools.product(*param_lists)) if param_lists else [()]
        if not isinstance(values, list):
            values = [values]
        stats = {key: cols.get(key) or [None] * len(values)
                 for key in ("stats_ci_99_a", "stats_ci_99_b", "stats_q_25", "stats_q_75")}
        for index, (combo, value) in enumerate(zip(combos, values)):
            if not _finite(value):
                continue
            out.measurements.append(Measurement(
                machine=machine, jax=str(jax_version), commit=str(data.get("commit_hash", "")),
                date=int(data.get("date") or 0), benchmark=name, params=tuple(combo),
                value=float(value),
                ci=_pair(stats["stats_ci_99_a"][index], stats["stats_ci_99_b"][index]),
                quartiles=_pair(stats["stats_q_25"][index], stats["stats_q_75"][index])))
