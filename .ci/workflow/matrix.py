#!/usr/bin/env python3
"""The GitHub Actions matrix of .github/workflows/benchmarks.yml, printed as JSON.

    python .ci/workflow/matrix.py --grid GRID [--shards GRID,...] [--machines NAME,...]

Timings are comparable only on one machine, so the parallel axes are machines and shards,
never the JAX releases of one series: every job records *every* release of asv.conf.json
(serially, `vjplab record`) under an asv machine name of its own. A shard is a grid of
vjplab.grid (default: ``--grid``), or ``GRID/N``: that grid's families dealt round-robin (in the
catalog's order) into N jobs, each recording its families only (`vjplab record --families`);
a job's machine name is ``<machine>-<shard>`` (``gha-ubuntu-default-2of3``), so two jobs never
write results under one name (vjplab merge refuses that). The release list is read
from asv.conf.json's ``include`` entries by vjplab's own reader (vjplab.history.record), not
kept by hand; it is printed for the record jobs' logs and checked by tests/test_workflow.py.

Output (one line): {"include": [{"shard": ..., "grid": ..., "families": "a,b" or "",
"machine": ...}, ...], "releases": [...]}.
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


def split(shard: str) -> list[dict[str, str]]:
    """``GRID`` -> one job of the whole grid; ``GRID/N`` -> N jobs, the grid's families dealt
    round-robin. ValueError names the allowed grids, or says what N may be."""
    grid, _, count = shard.partition("/")
    if grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r} in shard {shard!r}; allowed: "
                         f"{', '.join(sorted(GRIDS))}, each optionally /N")
    if not count:
        return [{"shard": grid, "grid": grid, "families": ""}]
    families = GRIDS[grid].family_names
    if not count.isdigit() or not 1 <= int(count) <= len(families):
        raise ValueError(f"shard {shard!r}: N must be a whole number from 1 to "
                         f"{len(families)} (the {grid!r} grid's families)")
    n = int(count)
    return [{"shard": f"{grid}-{i + 1}of{n}", "grid": grid,
             "families": ",".join(families[i::n])} for i in range(n)]


def matrix(grid: str, shards: list[str] | None = None,
           machines: list[str] = ("gha-ubuntu",)) -> dict:
    """Jobs (shards x machines) and the releases each job records."""
    jobs = [job for shard in (shards or [grid]) for job in split(shard)]
    include = [{**job, "machine": f"{machine}-{job['shard']}"}
               for machine in machines for job in jobs]
    return {"include": include, "releases": choose_versions(read_asv_config(ROOT), None)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", required=True, help=f"one of {', '.join(sorted(GRIDS))}")
    parser.add_argument("--shards", help="comma-separated grids, one job each, or GRID/N: N "
                                         "jobs of its families (default: --grid)")
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
