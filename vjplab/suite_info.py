"""The suite's benchmarks as asv names them, found the way asv's discovery finds them.

asv names a benchmark ``module.Class.method`` for every method whose name starts with one of
asv's prefixes, and matches ``--bench`` regexes against ``name(repr(p1), ...)``. The modules
import JAX (for asv's forkserver), so discovery runs in a fresh interpreter, as asv's does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: The modules of benchmarks/ (a test checks that no other module defines benchmarks).
BENCHMARK_MODULES = ("bench_vjp", "bench_memory", "bench_metrics", "bench_program",
                     "bench_sparse", "bench_many")
#: asv's benchmark-method prefixes.
ASV_PREFIXES = ("time_", "track_", "peakmem_", "mem_", "timeraw_")

_DISCOVER = """
import importlib, inspect, json
out = {}
for module in %r:
    mod = importlib.import_module("benchmarks." + module)
    for cls_name, cls in vars(mod).items():
        if not inspect.isclass(cls) or cls.__module__ != mod.__name__:
            continue
        for attr in dir(cls):
            if attr.startswith(%r):
                out[f"{module}.{cls_name}.{attr}"] = {
                    "param_names": list(cls.param_names),
                    "params": [[repr(v) for v in values] for values in cls.params]}
print(json.dumps(out))
""" % (BENCHMARK_MODULES, ASV_PREFIXES)


def discover_suite(root: Path, grid: str = "default") -> dict[str, dict]:
    """benchmark name -> {"param_names": [...], "params": [[repr, ...], ...]} (as in asv's
    benchmarks.json), imported in a fresh process under ``root`` with VJPLAB_GRID=grid.

    RuntimeError with the interpreter's message when the suite cannot be imported.
    """
    out = subprocess.run([sys.executable, "-c", _DISCOVER], cwd=root, capture_output=True,
                         text=True, env=dict(os.environ, VJPLAB_GRID=grid), timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"importing the benchmark suite under {root} failed:\n{out.stderr}")
    return json.loads(out.stdout)
