"""Command line: ``python -m vjplab <command>`` (also installed as ``vjplab``).

Commands:
  bench     benchmark this environment with asv, save results, publish the dashboard
  list      the registered families and strategies
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vjplab.grid import GRIDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vjplab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser("bench", help="asv run (this environment) + asv publish")
    bench.add_argument("--grid", choices=sorted(GRIDS), default="default",
                       help="parameter grid (default: %(default)s)")
    bench.add_argument("--machine", help="asv machine name (default: this host's name)")
    bench.add_argument("--bench", help="regex selecting benchmarks (asv run --bench)")
    bench.add_argument("--no-publish", action="store_true", help="skip asv publish")
    bench.add_argument("--output-dir", type=Path,
                       help="put results, html and the derived config here instead of .asv/")

    sub.add_parser("list", help="registered families and strategies")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        from vjplab.suite import bench_current_environment

        bench_current_environment(grid=args.grid, machine=args.machine, bench=args.bench,
                                  publish=not args.no_publish, output_dir=args.output_dir)
    elif args.command == "list":
        import vjplab

        print("families:  " + ", ".join(vjplab.families()))
        print("strategies: " + ", ".join(vjplab.strategies()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
