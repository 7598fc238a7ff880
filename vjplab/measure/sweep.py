"""Measure device time, compile time and XLA statistics for a whole sweep in ONE process.

asv starts a process per benchmark and parameter set; importing JAX alone costs ~0.6 s there.
The metric benchmarks therefore compute everything once per environment in asv's
``setup_cache`` (this function) and their ``track_`` methods only look the numbers up.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from vjplab.grid import Sweep

#: Keys of a measured entry (values: float, or None where the backend provides no number).
METRICS = ("device_time", "compile_seconds", "flops", "bytes_accessed", "xla_memory_bytes")


def measure_combination(family: str, strategy: str, dimension: int, locality: int,
                        sweep: Sweep) -> dict:
    """All metrics of one combination, or {"skipped": reason}."""
    from vjplab.measure.timing import device_time
    from vjplab.measure.xla import compile_seconds, xla_stats
    from vjplab.prepared import Infeasible, prepare

    reason = sweep.skip_reason(family, strategy, dimension, locality)
    if reason:
        return {"skipped": reason}
    try:
        prepared = prepare(family, strategy, dimension, locality)
    except Infeasible as exc:
        return {"skipped": str(exc)}
    stats = xla_stats(prepared)
    return {
        "device_time": device_time(prepared, repeats=5).median,
        "compile_seconds": compile_seconds(prepared),
        "flops": stats.flops,
        "bytes_accessed": stats.bytes_accessed,
        "xla_memory_bytes": stats.memory_bytes,
    }


def measure_sweep(sweep: Sweep, progress: TextIO = sys.stderr) -> dict[tuple, dict]:
    """{(family, strategy, dimension, locality): entry} for every combination of ``sweep``."""
    combos = list(sweep.combinations())
    table = {}
    started = time.perf_counter()
    for index, combo in enumerate(combos, 1):
        table[combo] = measure_combination(*combo, sweep=sweep)
        if index % 20 == 0 or index == len(combos):
            print(f"metrics: {index}/{len(combos)} combinations, "
                  f"{time.perf_counter() - started:.0f} s", file=progress, flush=True)
    return table
