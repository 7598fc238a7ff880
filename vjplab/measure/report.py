"""``python -m vjplab measure``: a steady-state reference to check asv's numbers against."""

from __future__ import annotations

import json
import statistics
import os
import subprocess
import sys
from typing import TextIO

from vjplab.allocator import settle_in_process, timing_environ
from vjplab.cpu_affinity import pin_for_timing
from vjplab.measure.bandwidth import GB, minimal_bytes, stream_array_bytes, stream_bandwidth
from vjplab.measure.timing import device_time, empty_call_latency, reference_latency
from vjplab.measure.xla import compile_time, xla_stats
from vjplab.prepared import Infeasible, prepare


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if float(f"{seconds:.3g}") >= scale:  # 9.9996e-7 is "1 us", not "1e+03 ns"
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_count(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix}{unit}"
    return f"{value:.3g} {unit}".strip()


def check_names(family: str, strategies: list[str]) -> None:
    """ValueError naming the allowed values for an unknown family or strategy."""
    from vjplab.family import FAMILIES
    from vjplab.strategy import STRATEGIES

    FAMILIES[family]
    for strategy in strategies:
        STRATEGIES[strategy]


HEADER = (f"{'strategy':<20} {'latency (median)':>17} {'IQR / process range':>21} "
          f"{'device time':>12} {'bandwidth (% copy)':>19} {'compile':>9} {'flops':>9} {'bytes':>9} {'XLA mem':>9}")


def measure_rows(family: str, strategies: list[str], dimension: int, locality: int,
                 dtype: str = "float32", repeats: int = 15,
                 progress: TextIO | None = None) -> list[dict]:
    """Measure each strategy in this process: one dict per strategy (``skipped`` if infeasible).

    The process is pinned first (``vjplab.cpu_affinity``), as asv's benchmark processes are.
    """
    check_names(family, strategies)
    settle_in_process()
    pin_for_timing()
    rows = []
    for strategy in strategies:
        try:
            prepared = prepare(family, strategy, dimension, locality, dtype)
        except Infeasible as exc:
            rows.append(dict(strategy=strategy, skipped=str(exc)))
            if progress is not None:
                print(format_row(rows[-1]), file=progress, flush=True)
            continue
        latency = reference_latency(prepared, repeats=repeats)
        stats = xla_stats(prepared)
        seconds = device_time(prepared).median
        floor = minimal_bytes(prepared.problem)  # vjplab.measure.bandwidth: a floor
        stream = stream_bandwidth(dtype, stream_array_bytes(floor))  # once per process
        rows.append(dict(
            strategy=strategy, dimension=prepared.problem.dimension, latency=latency.median,
            spread_low=latency.q25, spread_high=latency.q75,
            empty_call=empty_call_latency(prepared, repeats=repeats).median,
            device_time=seconds, achieved_bandwidth=floor / seconds / GB,
            bandwidth_fraction=floor / seconds / stream,
            compile_seconds=compile_time(prepared).median,
            flops=stats.flops, bytes_accessed=stats.bytes_accessed,
            xla_memory_bytes=stats.memory_bytes))
        if progress is not None:
            print(format_row(rows[-1]), file=progress, flush=True)
    return rows


def format_row(row: dict) -> str:
    if "skipped" in row:
        return f"{row['strategy']:<20} skipped: {row['skipped']}"
    spread = f"{format_seconds(row['spread_low'])}..{format_seconds(row['spread_high'])}"
    return (f"{row['strategy']:<20} {format_seconds(row['latency']):>17} {spread:>21} "
            f"{format_seconds(row['device_time']):>12} {format_bandwidth(row):>19} "
            f"{format_seconds(row['compile_seconds']):>9} "
            f"{format_count(row['flops']):>9} {format_count(row['bytes_accessed'], 'B'):>9} "
            f"{format_count(row['xla_memory_bytes'], 'B'):>9}")


def format_bandwidth(row: dict) -> str:
    """``12.3 GB/s (45%)``: minimal bytes / device time, and that over the copy kernel's."""
    if row.get("achieved_bandwidth") is None:
        return "-"
    return f"{row['achieved_bandwidth']:.3g} GB/s ({100 * row['bandwidth_fraction']:.0f}%)"


def format_ratio(ratio: float) -> str:
    """3 significant digits at most: 1.02x, 23.9x, 978x."""
    return f"{ratio:.0f}x" if ratio >= 100 else f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def comparison_line(rows: list[dict]) -> str | None:
    """The strategies' latencies as ratios, the table's last line (None: fewer than two
    strategies measured): against ``exact`` (the hand-written adjoint) when it was measured,
    else against the fastest strategy measured (a user function, a family without an
    adjoint, or ``exact`` not asked for), fastest first."""
    measured = [row for row in rows if "skipped" not in row]
    if len(measured) < 2:
        return None
    reference = next((row for row in measured if row["strategy"] == "exact"), None)
    if reference is not None:
        label = "exact (the hand-written adjoint)"
    else:
        reference = min(measured, key=lambda row: row["latency"])
        skipped = next((row for row in rows if row["strategy"] == "exact"), None)
        label = (f"the fastest automatic strategy, {reference['strategy']}"
                 + (" (no hand-written adjoint)" if skipped is not None else ""))
    others = sorted((row for row in measured if row is not reference),
                    key=lambda row: row["latency"])
    ratios = ", ".join(f"{row['strategy']} {format_ratio(row['latency'] / reference['latency'])}"
                       for row in others)
    return f"latency against {label}: {ratios}"


def combine_processes(runs: list[list[dict]]) -> list[dict]:
    """Median over processes of each number; the spread becomes the range of the per-process
    latency medians (a process can settle in a slower steady state than another)."""
    combined = []
    for per_strategy in zip(*runs):
        first = per_strategy[0]
        if "skipped" in first:
            combined.append(first)
            continue
        row = {key: statistics.median(r[key] for r in per_strategy)
               if isinstance(first[key], (int, float)) and key != "dimension" else first[key]
               for key in first}
        latencies = [r["latency"] for r in per_strategy]
        row.update(spread_low=min(latencies), spread_high=max(latencies),
                   process_latencies=latencies)
        combined.append(row)
    return combined


def measure_in_processes(argv: list[str], processes: int, progress: TextIO) -> list[dict]:
    """Run ``python -m vjplab measure <argv> --json`` in fresh processes and combine them."""
    runs = []
    for index in range(processes):
        out = subprocess.run([sys.executable, "-m", "vjplab", "measure", *argv, "--json"],
                             check=True, capture_output=True, text=True,
                             env=timing_environ(os.environ)).stdout
        runs.append(json.loads(out))
        print(f"process {index + 1}/{processes} done", file=progress, flush=True)
    return combine_processes(runs)
