"""What program fingerprints cost: the fingerprint sweep of a grid in one process, as the
``setup_cache`` of benchmarks/bench_program.py runs it (one family after another).

    python .ci/fingerprint_cost.py [GRID] [--rows rows.json]

Prints the seconds per family and a summary (wall time, combinations, compiled, infeasible,
mean and largest compile time, mean canonicalisation time, distinct programs); ``--rows``
writes every combination's timings and counts as JSON. Run it pinned (``taskset -c 0``) to
compare with asv's numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grid", nargs="?", default="default")
    parser.add_argument("--rows", type=Path, help="write every combination's row as JSON")
    args = parser.parse_args()

    from vjplab import compat

    compat.disable_persistent_compilation_cache()
    from vjplab.grid import GRIDS
    from vjplab.measure.fingerprints import sweep_combinations
    from vjplab.measure.hlo import fingerprint
    from vjplab.prepared import Infeasible, compiled_vjp

    grid = GRIDS[args.grid]
    rows = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for family in grid.latency.family_names:
        piece = grid.restricted_to([family])
        family_started = time.perf_counter()
        for combo in sweep_combinations(piece):
            t0 = time.perf_counter()
            try:
                compiled = compiled_vjp(*combo)
            except Infeasible:
                rows.append({"combo": combo, "infeasible": True})
                continue
            t1 = time.perf_counter()
            found = fingerprint(compiled.as_text())
            rows.append({"combo": combo, "compile_s": t1 - t0,
                         "canonical_s": time.perf_counter() - t1, "sha256": found.sha256,
                         "counts": found.counts})
        print(f"{family}: {time.perf_counter() - family_started:.1f} s", flush=True)
    compiled_rows = [r for r in rows if "sha256" in r]
    summary = {
        "grid": args.grid, "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(time.process_time() - cpu_started, 1),
        "combinations": len(rows), "compiled": len(compiled_rows),
        "infeasible": len(rows) - len(compiled_rows),
        "mean_compile_s": round(sum(r["compile_s"] for r in compiled_rows)
                                / max(1, len(compiled_rows)), 3),
        "max_compile": max(((round(r["compile_s"], 2), r["combo"]) for r in compiled_rows),
                           default=None),
        "mean_canonical_s": round(sum(r["canonical_s"] for r in compiled_rows)
                                  / max(1, len(compiled_rows)), 4),
        "distinct_programs": len({r["sha256"] for r in compiled_rows}),
        "cpus_allowed": len(os.sched_getaffinity(0)),
    }
    print(json.dumps(summary))
    if args.rows:
        args.rows.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
