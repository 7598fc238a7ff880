"""Issue 3's CPU acceptance check: asv's time_vjp median against the reference command.

roll_cubic, N in {1e3, 1e4}, k in {1, 16}, strategies naive_jacrev / jax_vjp / exact. asv runs
with the suite's own protocol (``python -m vjplab bench --bench ...``, rounds as in the suite);
the reference is ``python -m vjplab measure ... --processes P`` (medians over P fresh
processes). The memory budget is raised to 8 GiB so that naive_jacrev runs at N = 1e4.

    python .ci/protocol_check.py OUTPUT_DIR [--processes 3] [--rounds R]

Prints a Markdown table and "M/12 within 15%"; exits 1 when fewer than 12 agree.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import subprocess
import sys

STRATEGIES = ("naive_jacrev", "jax_vjp", "exact")
DIMENSIONS = (1000, 10000)
LOCALITIES = (1, 16)
TOLERANCE = 0.15


def asv_medians(output_dir: str, env: dict, rounds: int | None) -> dict:
    regex = (rf"time_vjp\('roll_cubic', '({'|'.join(STRATEGIES)})', "
             rf"({'|'.join(map(str, DIMENSIONS))}), ({'|'.join(map(str, LOCALITIES))})\)")
    # --allow-dirty: a check of the protocol on this working tree, into its own output dir.
    command = [sys.executable, "-m", "vjplab", "bench", "--output-dir", output_dir, "--bench",
               regex, "--no-publish", "--allow-dirty"] + (["--rounds", str(rounds)] if rounds else [])
    subprocess.run(command, env=env, check=True, capture_output=True)
    files = [f for f in glob.glob(os.path.join(output_dir, "results", "*", "*.json"))
             if not f.endswith("machine.json")]
    data = json.load(open(max(files, key=os.path.getmtime)))
    columns = dict(zip(data["result_columns"], data["results"]["bench_vjp.TimeVJP.time_vjp"]))
    combos = itertools.product(*columns["params"])
    return {tuple(eval(value) for value in combo): result
            for result, combo in zip(columns["result"], combos) if result == result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=None, help="asv rounds (default: suite's)")
    args = parser.parse_args()
    env = dict(os.environ, VJPLAB_MEMORY_BUDGET_BYTES=str(8 * 1024**3))
    asv = asv_medians(args.output_dir, env, args.rounds)
    print("| strategy | N | k | asv median | reference | asv/ref | reference, per process |")
    print("|---|---|---|---|---|---|---|", flush=True)
    agreed = 0
    for n, k in itertools.product(DIMENSIONS, LOCALITIES):
        out = subprocess.run([sys.executable, "-m", "vjplab", "measure", "roll_cubic",
                              ",".join(STRATEGIES), "--dimension", str(n), "--locality", str(k),
                              "--processes", str(args.processes), "--json"],
                             env=env, check=True, capture_output=True, text=True).stdout
        for row in json.loads(out):
            measured, reference = asv[("roll_cubic", row["strategy"], n, k)], row["latency"]
            ratio = measured / reference
            agreed += abs(ratio - 1) <= TOLERANCE
            per_process = " ".join(f"{x * 1e6:.1f}" for x in row.get("process_latencies", []))
            print(f"| {row['strategy']} | {n:.0e} | {k} | {measured * 1e6:.1f} µs | "
                  f"{reference * 1e6:.1f} µs | {ratio:.2f} | {per_process} |", flush=True)
    print(f"\n{agreed}/12 within {TOLERANCE:.0%}")
    return 0 if agreed == 12 else 1


if __name__ == "__main__":
    sys.exit(main())
