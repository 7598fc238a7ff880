"""Fabricated asv results (format version 2) laid out as asv writes them.

Layout and columns copied from a real smoke-grid run (asv 0.6): ``<root>/benchmarks.json``,
``<root>/<machine>/machine.json`` and ``<root>/<machine>/<commit[:8]>-<env>.json`` whose
``results`` map a benchmark name to a row of ``result_columns`` (trailing nulls trimmed).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a",
           "stats_ci_99_b", "stats_q_25", "stats_q_75", "stats_number", "stats_repeat",
           "samples", "profile"]
TIME = "bench_vjp.TimeVJP.time_vjp"
DEVICE = "bench_metrics.DeviceTime.track_device_time"
COMPILE = "bench_metrics.CompileTime.track_compile_time"
FLOPS = "bench_metrics.Flops.track_flops"
PEAKMEM = "bench_memory.PeakMemVJP.peakmem_vjp"
REFERENCE = "bench_memory.PeakMemReference.peakmem_reference"
NET = "bench_memory.PeakMemVJP.peakmem_vjp_net"
FOUR = ["family", "strategy", "dimension", "locality"]
META = {
    TIME: {"unit": "seconds", "type": "time", "param_names": FOUR},
    DEVICE: {"unit": "seconds", "type": "track", "param_names": FOUR},
    COMPILE: {"unit": "seconds", "type": "track", "param_names": FOUR},
    FLOPS: {"unit": "flops", "type": "track", "param_names": FOUR},
    PEAKMEM: {"unit": "bytes", "type": "peakmemory", "param_names": FOUR},
    REFERENCE: {"unit": "bytes", "type": "peakmemory", "param_names": ["family", "dimension"]},
}
#: family x strategy x N x k of the fabricated benchmarks: 2 combinations
PARAMS = [["'roll_cubic'"], ["'jax_vjp'", "'exact'"], ["100"], ["1"]]
MIB = 2**20


def entry(values: list, params: list | None = None, version: str = "v1" * 32,
          started_at: int = 1_000, ci: list | None = None, rel_ci: float | None = None) -> list:
    """A ``results`` row. ``ci``: list of (low, high) per value; ``rel_ci``: +-fraction of each
    value (a time_ benchmark's 99% interval); neither: no stats (track_, peakmem_)."""
    params = PARAMS if params is None else params
    assert len(values) == len(list(itertools.product(*params)))
    if rel_ci is not None:
        ci = [None if v is None else (v * (1 - rel_ci), v * (1 + rel_ci)) for v in values]
    row = [values, params, version, started_at, 1.0]
    if ci is not None:
        row += [[c and c[0] for c in ci], [c and c[1] for c in ci]]
    return row


def write_file(root: Path, results: dict[str, list], *, machine: str = "vm",
               commit: str = "aaaa1111" * 5, jax: str = "0.10.2", env: str | None = None,
               date: int = 1_000) -> Path:
    """One results file (and machine.json, and benchmarks.json if missing)."""
    (root / machine).mkdir(parents=True, exist_ok=True)
    (root / machine / "machine.json").write_text(json.dumps({"machine": machine,
                                                              "version": 1}))
    if not (root / "benchmarks.json").exists():
        write_benchmarks(root)
    env = env or f"virtualenv-py3.11-jax{jax}-jaxlib{jax}"
    data = {"commit_hash": commit, "env_name": env, "date": date,
            "params": {"arch": "x86_64", "machine": machine, "python": "3.11", "jax": jax,
                       "jaxlib": jax},
            "python": "3.11", "requirements": {"jax": jax, "jaxlib": jax},
            "env_vars": {"VJPLAB_JAX_LABEL": jax}, "result_columns": COLUMNS,
            "results": results, "durations": {}, "version": 2}
    path = root / machine / f"{commit[:8]}-{env}.json"
    path.write_text(json.dumps(data))
    return path


def write_benchmarks(root: Path, versions: dict[str, str] | None = None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    meta = {name: {"name": name, "version": (versions or {}).get(name, "v1" * 32), **m}
            for name, m in META.items()}
    (root / "benchmarks.json").write_text(json.dumps({**meta, "version": 2}))


def snapshot(root: Path) -> dict[Path, bytes]:
    """Every file's bytes, to check that nothing was written."""
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
