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

#: Keys of a measured entry. Values: a float; for the two timings a dict of asv samples
#: (``{"samples": [...], "number": 1}``, see ``TimingStats.asv_samples``); None where the
#: backend provides no number.
#: ``achieved_bandwidth`` (GB/s) and ``bandwidth_fraction`` are asv samples derived from the
#: device time's samples (vjplab.measure.bandwidth); ``stream_bandwidth`` (bytes/s) is the copy
#: kernel of this process and dtype, the same for every entry of it. An entry of a sweep that
#: leaves a metric out (compile time, ``Sweep.compile_time``) also has ``not_measured``:
#: {metric: the reason}.
METRICS = ("device_time", "compile_seconds", "flops", "bytes_accessed", "xla_memory_bytes",
           "achieved_bandwidth", "bandwidth_fraction", "stream_bandwidth")

#: Samples per combination: device time (one per loop run) and compile time.
DEVICE_TIME_SAMPLES = 7


def measure_combination(family: str, strategy: str, dimension: int, locality: int,
                        dtype: str, sweep: Sweep, stream: float | None = None) -> dict:
    """All metrics of one combination, {"skipped": reason}, or {"failed": what went wrong}.

    A failure of one combination (an error in a family or strategy, XLA running out of memory)
    is recorded for that combination alone: the other combinations still get their numbers.
    ``stream``: the copy kernel's bytes/s in this process (default: measured, cached).
    """
    from vjplab.measure.bandwidth import bandwidth_metrics, stream_bandwidth
    from vjplab.measure.timing import device_time
    from vjplab.measure.xla import compile_time, xla_stats
    from vjplab.prepared import Infeasible, prepare

    reason = sweep.skip_reason(family, strategy, dimension, locality, dtype)
    if reason:
        return {"skipped": reason}
    not_measured = {} if sweep.compile_time else {
        "compile_seconds": "this grid does not measure compile time (six cold compiles per "
                           "combination; see vjplab.grid)"}
    try:
        prepared = prepare(family, strategy, dimension, locality, dtype)
        stats = xla_stats(prepared)
        timing = device_time(prepared, repeats=DEVICE_TIME_SAMPLES)
        stream = stream_bandwidth(dtype) if stream is None else stream
        return {
            "device_time": timing.asv_samples(),
            "compile_seconds": (compile_time(prepared).asv_samples() if sweep.compile_time
                                else None),
            "flops": stats.flops,
            "bytes_accessed": stats.bytes_accessed,
            "xla_memory_bytes": stats.memory_bytes,
            **bandwidth_metrics(prepared.problem, list(timing.samples), stream),
            "stream_bandwidth": stream,
            **({"not_measured": not_measured} if not_measured else {}),
        }
    except Infeasible as exc:
        return {"skipped": str(exc)}
    except Exception as exc:  # noqa: BLE001 - recorded per combination, see the docstring
        return {"failed": f"{type(exc).__name__}: {exc}"}


def measure_sweep(sweep: Sweep, progress: TextIO = sys.stderr) -> dict[tuple, dict]:
    """{(family, strategy, dimension, locality, dtype): entry} for every combination of
    ``sweep``: float32 in this process, float64 in a fresh one (vjplab.x64: jax_enable_x64 is
    process-wide)."""
    from vjplab import x64

    combos = list(sweep.combinations())
    narrow = [c for c in combos if c[4] == "float32"]
    wide = [c for c in combos if c[4] != "float32"]
    table = measure_combinations(narrow, sweep, progress)
    if wide:
        table.update(x64.in_own_process("vjplab.measure.sweep:measure_combinations", wide,
                                        sweep))
    return {combo: table[combo] for combo in combos}


def measure_combinations(combos: list[tuple], sweep: Sweep,
                         progress: TextIO = sys.stderr) -> dict[tuple, dict]:
    """``measure_combination`` of each of ``combos`` (all of one dtype), in this process."""
    from vjplab import compat
    from vjplab.measure.bandwidth import stream_bandwidth

    compat.disable_persistent_compilation_cache()  # before the process's first compile
    table = {}
    started = time.perf_counter()
    stream = stream_bandwidth(combos[0][4], _stream_bytes(combos)) if combos else None
    for index, combo in enumerate(combos, 1):
        table[combo] = measure_combination(*combo, sweep=sweep, stream=stream)
        if index % 20 == 0 or index == len(combos):
            print(f"metrics: {index}/{len(combos)} {combo[4]} combinations, "
                  f"{time.perf_counter() - started:.0f} s", file=progress, flush=True)
    return table


def _stream_bytes(combos: list[tuple]) -> int:
    """Copy-kernel array bytes for ``combos``: max(64 MiB, 4 x their largest minimal bytes)."""
    from vjplab.measure.bandwidth import minimal_bytes, stream_array_bytes
    from vjplab.problems import make_spec

    largest = 0
    for family, _, dimension, locality, dtype in combos:
        try:
            largest = max(largest, minimal_bytes(make_spec(family, dimension, locality, dtype)))
        except ValueError:  # an infeasible size: measure_combination skips it
            continue
    return stream_array_bytes(largest)
