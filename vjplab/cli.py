"""Command line: ``python -m vjplab <command>`` (also installed as ``vjplab``).

Commands:
  bench     benchmark this environment with asv, save results, publish the dashboard
  measure   steady-state reference latency, device time, compile time and XLA statistics of
            one family and strategy (to check asv's numbers against)
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
    bench.add_argument("--rounds", type=int,
                       help="asv rounds (processes per parameter set); the suite's default is 1")
    bench.add_argument("--output-dir", type=Path,
                       help="put results, html and the derived config here instead of .asv/")

    measure = sub.add_parser("measure", help="reference timings of one family and strategy")
    measure.add_argument("family")
    measure.add_argument("strategy", help="a strategy name, several joined by commas, or 'all'")
    measure.add_argument("--dimension", type=int, required=True, help="input size N")
    measure.add_argument("--locality", type=int, required=True, help="stencil radius k")
    measure.add_argument("--dtype", default="float32", help="float32 (default) or float64")
    measure.add_argument("--repeats", type=int, default=15,
                         help="repeats of the continuous loop (median reported)")
    measure.add_argument("--processes", type=int, default=1,
                         help="measure in this many fresh processes and report medians over them "
                              "(a process can settle in a slower steady state than another)")
    measure.add_argument("--json", action="store_true", help="print rows as JSON")

    sub.add_parser("list", help="registered families and strategies")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        from vjplab.suite import bench_current_environment

        bench_current_environment(grid=args.grid, machine=args.machine, bench=args.bench,
                                  publish=not args.no_publish, output_dir=args.output_dir,
                                  rounds=args.rounds)
    elif args.command == "measure":
        return measure_command(args)
    elif args.command == "list":
        import vjplab

        print("families:  " + ", ".join(vjplab.families()))
        print("strategies: " + ", ".join(vjplab.strategies()))
    return 0


def measure_command(args: argparse.Namespace) -> int:
    import json

    import vjplab
    from vjplab.measure import report

    if args.dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)
    names = vjplab.strategies() if args.strategy == "all" else args.strategy.split(",")
    title = f"{args.family} N={args.dimension} k={args.locality} {args.dtype}"
    try:
        report.check_names(args.family, names)
        if args.processes > 1:
            forwarded = [args.family, ",".join(names), "--dimension", str(args.dimension),
                         "--locality", str(args.locality), "--dtype", args.dtype,
                         "--repeats", str(args.repeats)]
            if not args.json:
                print(title + f", medians over {args.processes} processes", flush=True)
            rows = report.measure_in_processes(forwarded, args.processes, sys.stderr)
        elif args.json:
            rows = report.measure_rows(args.family, names, args.dimension, args.locality,
                                       args.dtype, args.repeats)
        else:
            print(title, flush=True)
            print(report.HEADER + "\n" + "-" * len(report.HEADER), flush=True)
            report.measure_rows(args.family, names, args.dimension, args.locality, args.dtype,
                                args.repeats, progress=sys.stdout)
            return 0
    except ValueError as exc:
        print(f"vjplab measure: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows))
    else:
        print(report.HEADER + "\n" + "-" * len(report.HEADER))
        for row in rows:
            print(report.format_row(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
