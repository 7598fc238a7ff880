"""The "which strategy for how many VJPs" tables from several runs of `vjplab many`, each
combination at the smallest of its runs' medians (on a shared machine, load only slows).

    python -m vjplab many --grid full --dimensions 1000,10000 --json run1.json   # twice or more
    python .ci/many_table.py run1.json run2.json

Prints the K-cotangent table and the adjoint-solve table as Markdown (docs/results.md, "Which
strategy for how many VJPs"), then, per family, the best automatic method's time over the
hand-written adjoint's at K = 1 and K = 256.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vjplab.grid import GRIDS  # noqa: E402
from vjplab.many import table  # noqa: E402


def smallest(runs: list[dict], kind: str, names: tuple[str, ...]) -> dict:
    """The table of ``kind`` with each combination's smallest median over ``runs``."""
    best: dict = {}
    for run in runs:
        one = table.from_sweep(kind, names, {tuple(c): e for c, e in run.get(kind, [])})
        for key, value in one.items():
            seconds = value if kind == "cotangents" else value["seconds"]
            kept = best.get(key)
            kept_seconds = kept if kind == "cotangents" or kept is None else kept["seconds"]
            if kept is None or seconds < kept_seconds:
                best[key] = value
    return best


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    runs = [json.loads(Path(p).read_text()) for p in paths]
    full = GRIDS["full"]
    times = smallest(runs, "cotangents", full.cotangents.param_names)
    rows = table.cotangent_rows(times)
    print(f"{len(runs)} run(s), each combination at its smallest median\n")
    print(table.cotangent_markdown(rows) + "\n")
    print(table.adjoint_markdown(smallest(runs, "adjoint", full.adjoint.param_names)) + "\n")
    print("best automatic / hand-written adjoint, K = 1 and K = 256, per family and N:")
    for row in rows:
        ratios = [row.winners.get(k) for k in (1, 256)]
        text = " and ".join(f"{w.vs_exact:.2f} ({w.method})" if w and w.vs_exact else "-"
                            for w in ratios)
        print(f"  {row.family} N = {row.dimension}: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
