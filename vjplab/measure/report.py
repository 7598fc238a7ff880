"""``python -m vjplab measure``: a steady-state reference to check asv's numbers against."""

from __future__ import annotations

import sys
from typing import TextIO

from vjplab.measure.timing import device_time, reference_latency
from vjplab.measure.xla import compile_seconds, xla_stats
from vjplab.prepared import Infeasible, prepare


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_count(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix}{unit}"
    return f"{value:.3g} {unit}".strip()


def measure_table(family: str, strategies: list[str], dimension: int, locality: int,
                  dtype: str = "float32", repeats: int = 15, out: TextIO = sys.stdout) -> list[dict]:
    """Measure each strategy and print one row per strategy as it finishes (progress)."""
    from vjplab.family import FAMILIES
    from vjplab.strategy import STRATEGIES

    FAMILIES[family]  # unknown names fail here, before any output
    for strategy in strategies:
        STRATEGIES[strategy]
    rows = []
    header = (f"{'strategy':<20} {'latency (median)':>17} {'IQR':>19} {'device time':>12} "
              f"{'compile':>9} {'flops':>9} {'bytes':>9} {'XLA mem':>9}")
    print(f"{family} N={dimension} k={locality} {dtype}", file=out)
    print(header, file=out)
    print("-" * len(header), file=out, flush=True)
    for strategy in strategies:
        try:
            prepared = prepare(family, strategy, dimension, locality, dtype)
        except Infeasible as exc:
            print(f"{strategy:<20} skipped: {exc}", file=out, flush=True)
            continue
        latency = reference_latency(prepared, repeats=repeats)
        device = device_time(prepared)
        stats = xla_stats(prepared)
        compile_s = compile_seconds(prepared)
        row = dict(strategy=strategy, dimension=prepared.problem.dimension, latency=latency.median,
                   latency_q25=latency.q25, latency_q75=latency.q75, device_time=device.median,
                   compile_seconds=compile_s, flops=stats.flops,
                   bytes_accessed=stats.bytes_accessed, xla_memory_bytes=stats.memory_bytes)
        rows.append(row)
        iqr = f"{format_seconds(latency.q25)}..{format_seconds(latency.q75)}"
        print(f"{strategy:<20} {format_seconds(latency.median):>17} {iqr:>19} "
              f"{format_seconds(device.median):>12} {format_seconds(compile_s):>9} "
              f"{format_count(stats.flops):>9} {format_count(stats.bytes_accessed, 'B'):>9} "
              f"{format_count(stats.memory_bytes, 'B'):>9}", file=out, flush=True)
    return rows
