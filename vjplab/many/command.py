"""``python -m vjplab many``: measure the many-VJPs sweeps of a grid here and print the
'which strategy for how many VJPs' and adjoint tables (Markdown), with the machine.

By default the ``default`` grid's sweeps (N = 1e3, K = 1, 16, 256, float64); ``--families``
and ``--dimensions`` narrow a grid's sweeps (``--grid full --dimensions 1000,10000``: every
K-method and adjoint method at two sizes). The process enters the sweep's dtype and pins itself to one CPU first, as a
benchmark process does (vjplab.x64, vjplab.cpu_affinity).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from vjplab.grid import GRIDS


def add_parser(sub) -> None:
    many = sub.add_parser("many", help="K cotangents and the adjoint solve at one point: "
                                       "measure here, print the tables")
    many.add_argument("--grid", choices=sorted(GRIDS), default="default",
                      help="whose many-VJPs sweeps to measure (default: %(default)s)")
    many.add_argument("--families", help="comma-separated families (default: the grid's)")
    many.add_argument("--dimensions", help="comma-separated N, a subset of the grid's "
                                           "(default: all of them)")
    many.add_argument("--kind", choices=("cotangents", "adjoint", "both"), default="both")
    many.add_argument("--json", type=Path, help="also write the measured tables here")


def many_command(args: argparse.Namespace) -> int:
    import jax

    from vjplab.cpu_affinity import pin_for_timing
    from vjplab.many import table
    from vjplab.many.measure import measure_many
    from vjplab.x64 import enter

    grid = GRIDS[args.grid]
    if args.families:
        try:
            grid = grid.restricted_to(f.strip() for f in args.families.split(","))
        except ValueError as exc:
            print(f"vjplab many: {exc}", file=sys.stderr)
            return 2
    kinds = ("cotangents", "adjoint") if args.kind == "both" else (args.kind,)
    sweeps = {kind: grid.sweep(kind) for kind in kinds}
    if args.dimensions:
        try:
            wanted = [int(n) for n in args.dimensions.split(",")]
            sweeps = {kind: sweep.at_dimensions(wanted) for kind, sweep in sweeps.items()}
        except ValueError as exc:
            print(f"vjplab many: --dimensions: {exc}", file=sys.stderr)
            return 2
    if not any(list(s.combinations()) for s in sweeps.values()):
        print(f"vjplab many: the {grid.name!r} grid runs no many-VJPs combination of "
              f"{args.kind}", file=sys.stderr)
        return 2
    enter(next(iter(sweeps.values())).dtypes[0])
    pin_for_timing()
    measured = {kind: measure_many(kind, sweep) for kind, sweep in sweeps.items()}
    print(f"machine: {platform.node()} ({platform.processor() or platform.machine()}), "
          f"JAX {jax.__version__}, backend {jax.default_backend()}, grid {grid.name}")
    if "cotangents" in measured:
        times = table.from_sweep("cotangents", sweeps["cotangents"].param_names,
                                 measured["cotangents"])
        print("\n" + table.cotangent_markdown(table.cotangent_rows(times)))
    if "adjoint" in measured:
        results = table.from_sweep("adjoint", sweeps["adjoint"].param_names, measured["adjoint"])
        print("\n" + table.adjoint_markdown(results))
    for kind, entries in measured.items():
        for combo, entry in entries.items():
            if "failed" in entry:
                print(f"FAILED {kind} {combo}: {entry['failed']}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(
            {kind: [[list(combo), entry] for combo, entry in entries.items()]
             for kind, entries in measured.items()}, indent=1))
    return 0
