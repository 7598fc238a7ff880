"""The review's hoisting table, re-measured: device time with the old loop (cotangent closed
over, kept as a test fixture) and with the hoist-proof loop, against the call's latency.

    python .ci/hoisting_table.py [--processes 3]

Each process is pinned (VJPLAB_CPU_AFFINITY, default auto) and runs with glibc's malloc
thresholds fixed as the acceptance check's do; medians over the processes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = [("roll_cubic", "exact", 100_000, 4), ("roll_cubic", "jax_vjp", 100_000, 4),
         ("brusselator_2d", "jax_vjp", 100_000, 4), ("dense_control", "jax_vjp", 1_000, 0),
         ("burgers_1d", "jax_vjp", 100_000, 16)]


def child(case: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.test_device_time import closed_over_loop
    from vjplab.cpu_affinity import pin_for_timing
    from vjplab.measure import acceptance

    pin_for_timing()
    family, strategy, n, k = case[0], case[1], int(case[2]), int(case[3])
    new = acceptance.measure_case(family, strategy, n, k)
    old = acceptance.measure_case(family, strategy, n, k, loop=closed_over_loop)
    print(json.dumps(dict(latency=new["latency"], empty=new["empty_call"],
                          new=new["device_time"], old=old["device_time"])))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--case", nargs=4)
    args = parser.parse_args()
    if args.case:
        return child(args.case)
    from vjplab.allocator import timing_environ
    from vjplab.measure.report import format_seconds

    env = timing_environ(os.environ)
    print("| family strategy N k | old loop | hoist-proof loop | latency | empty call "
          "| old / (lat - empty) | new / (lat - empty) |\n|---|---|---|---|---|---|---|")
    for case in CASES:
        runs = [json.loads(subprocess.run(
            [sys.executable, __file__, "--case", *map(str, case)], env=env, check=True,
            capture_output=True, text=True).stdout) for _ in range(args.processes)]
        m = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        net = m["latency"] - m["empty"]
        print(f"| {' '.join(map(str, case))} | {format_seconds(m['old'])} | "
              f"{format_seconds(m['new'])} | {format_seconds(m['latency'])} | "
              f"{format_seconds(m['empty'])} | {m['old'] / net:.2f} | {m['new'] / net:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
