#!/usr/bin/env python3
"""The GitHub Actions matrix of .github/workflows/benchmarks.yml, printed as JSON.

    python .ci/workflow/matrix.py --grid GRID [--shards GRID,...] [--machines NAME,...]

Timings are comparable only on one machine, so the parallel axes are machines and shards,
never the JAX releases of one series: every job records *every* release of asv.conf.json
(serially, `vjplab record`) under an asv machine name of its own. A shard is a grid of
vjplab.grid (default: ``--grid``); a job's machine name is ``<machine>-<shard>``, so two jobs
never write results under one name (vjplab merge refuses that). The release list is read
from asv.conf.json's ``include`` entries by vjplab's own reader (vjplab.history.record), not
kept by hand; it is printed for the record jobs' logs and checked by tests/test_workflow.py.

Output (one line): {"include": [{"shard": ..., "machine": ...}, ...], "releases": [...]}.
With --github-output FILE, also appends ``matrix=`` and ``releases=`` lines to FILE (the
job outputs of the workflow's matrix job).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from vjplab.grid import GRIDS  # noqa: E402
from vjplab.history.record import choose_versions  # noqa: E402
from vjplab.suite import read_asv_config  # noqa: E402


def names(text: str, what: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError(f"{what}: give at least one name")
    if len(set(items)) != len(items):
        raise ValueError(f"{what}: {text!r} names one more than once")
    return items


def matrix(grid: str, shards: list[str] | None = None,
           machines: list[str] = ("gha-ubuntu",)) -> dict:
    """Jobs (shards x machines) and the releases each job records."""
    shards = shards or [grid]
    unknown = [s for s in shards if s not in GRIDS]
    if unknown:
        raise ValueError(f"unknown grid(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(sorted(GRIDS))}")
    include = [{"shard": shard, "machine": f"{machine}-{shard}"}
               for machine in machines for shard in shards]
    return {"include": include, "releases": choose_versions(read_asv_config(ROOT), None)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", required=True, help=f"one of {', '.join(sorted(GRIDS))}")
    parser.add_argument("--shards", help="comma-separated grids, one job each (default: --grid)")
    parser.add_argument("--machines", default="gha-ubuntu",
                        help="comma-separated machine names, one job per shard each")
    parser.add_argument("--github-output", type=Path, help="append matrix= and releases= here")
    args = parser.parse_args(argv)
    try:
        shards = names(args.shards, "--shards") if args.shards else None
        result = matrix(args.grid, shards, names(args.machines, "--machines"))
    except ValueError as exc:
        print(f"matrix.py: {exc}", file=sys.stderr)
        return 2
    line = json.dumps(result)
    print(line)
    if args.github_output:
        with args.github_output.open("a") as out:
            out.write(f"matrix={json.dumps({'include': result['include']})}\n")
            out.write(f"releases={json.dumps(result['releases'])}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
