"""Does the device time measure the VJP's whole cost? The acceptance check of the loop.

A device time is trustworthy when the loop runs everything one call runs, minus the per-call
floor. So for every family x O(N) strategy at a size where the computation dominates the
floor (N = 1e6; dense_control at N = 1e3, where its O(N^2) work already takes milliseconds)::

    LOWER <= device time / (latency - empty-call latency) <= UPPER

with the medians of ``processes`` fresh pinned processes. A loop may legitimately beat a call
a little (it reuses its buffers where a call allocates new ones: roll_cubic jax_vjp at N = 1e6,
k = 16 ran at 0.67-0.71 in every loop variant tried); a loop from which XLA hoisted work reads
far lower (0.05-0.4 with the old closed-over cotangent), and a loop that adds work reads higher.

    python -m vjplab.measure.acceptance [--processes 3] [--dimension 1000000] [--locality 4]
                                        [--families a,b] [--json]

prints a table and exits 1 when any ratio is outside [LOWER, UPPER]. Each process measures
one family's strategies (``--case``), pinned like asv's benchmark processes.

The allocator. On the CPU, XLA takes each call's temporary buffers from glibc's malloc, which
maps memory over its mmap threshold (at most 32 MiB) afresh on every call and unmaps it after:
a call that needs more (jax.vjp's residuals at N = 1e6, k = 4: ~40 MB) pays page faults and
zeroing every time, a loop once per run. Measured on the project's 2-core VM, roll_cubic
jax_vjp N = 1e6, k = 4: 17.3 ms a call with glibc's defaults, 4.5 ms with the thresholds fixed,
device time 4.0 ms. That is real latency for a user, but not a property of the loop, so the
check runs its processes with ``vjplab.allocator.timing_environ`` (the thresholds fixed, buffers reused, and one
malloc arena: XLA runs a program on the caller's or a worker thread, and a worker thread's
arena is an mmapped heap of at most 64 MiB that maps a larger buffer afresh every time, which
left about one process in eight in the 4x page-faulting state with the thresholds alone) and
``--default-allocator`` shows the ratios with glibc's defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Callable

from vjplab.allocator import timing_environ

LOWER, UPPER = 0.6, 1.25
#: Size of the check for families whose work per call is O(N^2) (dense_control).
QUADRATIC_DIMENSION = 1_000
DEFAULT_DIMENSION, DEFAULT_LOCALITY = 1_000_000, 4


def acceptance_cases(dimension: int = DEFAULT_DIMENSION, locality: int = DEFAULT_LOCALITY,
                     families: list[str] | None = None,
                     quadratic_dimension: int = QUADRATIC_DIMENSION
                     ) -> list[tuple[str, str, int, int]]:
    """(family, strategy, N, k) for every family x strategy that never forms the Jacobian
    (dense or sparse: the sparse strategies build J by colouring, vjplab.sparse)."""
    from vjplab import catalog

    out = []
    formed = catalog.DENSE_STRATEGIES | catalog.SPARSE_STRATEGIES
    for family in families or catalog.family_names():
        n = quadratic_dimension if family in catalog.LOCALITY_FREE_FAMILIES else dimension
        for strategy in catalog.strategy_names():
            if strategy not in formed:
                out.append((family, strategy, n, locality))
    return out


def device_time_ratio(row: dict) -> float:
    """device time / (latency - empty-call latency) of a measured row; for a row combined from
    several processes, the median of the per-process ratios (each compares a call and a loop
    of one process: on this CPU some combinations, e.g. banded_conv's autodiff strategies at
    N = 1e6, run ~4x faster or slower in one process than in the next, and the call and the loop
    need not land in the same state)."""
    if "process_ratios" in row:
        return statistics.median(row["process_ratios"])
    return row["device_time"] / (row["latency"] - row["empty_call"])


def within_bounds(row: dict) -> bool:
    """True when the ratio is in [LOWER, UPPER]; a skipped row (infeasible here) counts as in."""
    return "skipped" in row or LOWER <= device_time_ratio(row) <= UPPER


def measure_case(family: str, strategy: str, dimension: int, locality: int,
                 loop: Callable | None = None, repeats: int = 9) -> dict:
    """Latency, empty-call latency and device time of one combination, in this process: the
    median of ``repeats`` samples each, taken one kind after the other (sampling the three in
    turn, one sample each, was tried: each switch between programs costs the next short sample
    up to 2x on the pinned CPU, e.g. squared_differences_1d at N = 1e6).
    """
    from vjplab.measure.timing import (continuous_loop_sampler, device_time_sampler,
                                       empty_call, hoist_proof_loop)
    from vjplab.prepared import Infeasible, prepare

    try:
        prepared = prepare(family, strategy, dimension, locality)
    except Infeasible as exc:
        return dict(family=family, strategy=strategy, dimension=dimension, locality=locality,
                    skipped=str(exc))
    medians = {}
    for key, make_sampler in (
            ("latency", lambda: continuous_loop_sampler(prepared.call)),
            ("empty_call", lambda: continuous_loop_sampler(empty_call(prepared))),
            ("device_time", lambda: device_time_sampler(prepared, loop=loop or hoist_proof_loop))):
        sample = make_sampler()
        medians[key] = statistics.median(sample() for _ in range(repeats))
    return dict(family=family, strategy=strategy, dimension=prepared.problem.dimension,
                locality=locality, **medians)


def measure_in_processes(cases: list[tuple[str, str, int, int]], processes: int,
                         default_allocator: bool = False) -> list[dict]:
    """Medians over ``processes`` fresh processes (one per family and process) of each case."""
    env = (dict(os.environ, VJPLAB_ALLOCATOR="default") if default_allocator
           else timing_environ(os.environ))
    by_family: dict[str, list] = {}
    for case in cases:
        by_family.setdefault(case[0], []).append(case)
    rows = []
    for family_cases in by_family.values():
        runs = []
        for _ in range(processes):
            argv = [sys.executable, "-m", "vjplab.measure.acceptance", "--json"]
            for case in family_cases:
                argv += ["--case", ":".join(map(str, case))]
            runs.append(json.loads(subprocess.run(argv, check=True, capture_output=True,
                                                  text=True, env=env).stdout))
        for per_case in zip(*runs):
            row = dict(per_case[0])
            if "skipped" in row:
                rows.append(row)
                continue
            for key in ("latency", "empty_call", "device_time"):
                row[key] = statistics.median(r[key] for r in per_case)
            row["process_ratios"] = [r["device_time"] / (r["latency"] - r["empty_call"])
                                     for r in per_case]
            rows.append(row)
    return rows


def format_table(rows: list[dict]) -> str:
    from vjplab.measure.report import format_seconds

    lines = [f"{'family':<24}{'strategy':<21}{'N':>9}{'k':>4}{'latency':>11}{'empty':>10}"
             f"{'device':>11}{'ratio':>7}  ok"]
    for r in rows:
        if "skipped" in r:
            lines.append(f"{r['family']:<24}{r['strategy']:<21}{r['dimension']:>9}"
                         f"{r['locality']:>4}  skipped: {r['skipped']}")
            continue
        lines.append(f"{r['family']:<24}{r['strategy']:<21}{r['dimension']:>9}{r['locality']:>4}"
                     f"{format_seconds(r['latency']):>11}{format_seconds(r['empty_call']):>10}"
                     f"{format_seconds(r['device_time']):>11}{device_time_ratio(r):>7.2f}  "
                     f"{'yes' if within_bounds(r) else 'NO'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vjplab.measure.acceptance",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--dimension", type=int, default=DEFAULT_DIMENSION)
    parser.add_argument("--locality", type=int, default=DEFAULT_LOCALITY)
    parser.add_argument("--quadratic-dimension", type=int, default=QUADRATIC_DIMENSION,
                        help="N for families whose work is O(N^2) (dense_control)")
    parser.add_argument("--families", help="comma-separated families (default: all)")
    parser.add_argument("--default-allocator", action="store_true",
                        help="measure with glibc's default malloc thresholds (see above)")
    parser.add_argument("--case", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.case:  # a child: measure in this (pinned) process
        from vjplab.cpu_affinity import pin_for_timing

        pin_for_timing()
        rows = []
        for case in args.case:
            family, strategy, n, k = case.split(":")
            rows.append(measure_case(family, strategy, int(n), int(k)))
        print(json.dumps(rows))
        return 0
    families = args.families.split(",") if args.families else None
    try:
        from vjplab.family import FAMILIES

        for family in families or []:
            FAMILIES[family]  # ValueError naming the allowed families
    except ValueError as exc:
        print(f"acceptance: {exc}", file=sys.stderr)
        return 2
    cases = acceptance_cases(args.dimension, args.locality, families, args.quadratic_dimension)
    rows = measure_in_processes(cases, args.processes, args.default_allocator)
    print(json.dumps(rows) if args.json else format_table(rows))
    bad = [r for r in rows if not within_bounds(r)]
    measured = [r for r in rows if "skipped" not in r]
    if not args.json:
        allocator = "glibc defaults" if args.default_allocator else "malloc thresholds fixed"
        print(f"{len(measured) - len(bad)}/{len(measured)} within [{LOWER}, {UPPER}] "
              f"(medians of {args.processes} processes, {allocator})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
