"""The bandwidth floor per family and strategy (docs/results.md, "The bandwidth floor").

    taskset -c 1 python .ci/bandwidth_table.py [N]

measures the default grid's metrics sweep at N (default: its largest, 1e5), k = 4, float32,
in this one process, as the metrics benchmarks do (vjplab.measure.sweep.measure_combinations:
the copy kernel once, then every combination's device time), and prints a Markdown table of
the median device time, achieved bandwidth (minimal bytes / device time) and its fraction of
the copy kernel's bandwidth.
"""
import dataclasses
import io
import statistics
import sys
import time

import jax
from vjplab.grid import GRIDS
from vjplab.measure.sweep import measure_combinations, _stream_bytes
from vjplab.measure.bandwidth import stream_bandwidth

sweep = GRIDS["default"].metrics
n_max = int(sys.argv[1]) if len(sys.argv) > 1 else max(sweep.dimensions + sweep.large_dimensions)
sweep = dataclasses.replace(sweep, dimensions=(n_max,), large_dimensions=(), localities=(4,))
combos = [c for c in sweep.combinations() if c[4] == "float32"]
t = time.perf_counter()
stream = stream_bandwidth("float32", _stream_bytes(combos))
print(f"jax {jax.__version__}, stream (copy kernel, {_stream_bytes(combos) >> 20} MiB arrays): "
      f"{stream / 1e9:.1f} GB/s, measured in {time.perf_counter() - t:.2f} s", flush=True)
table = measure_combinations(combos, sweep, progress=io.StringIO())
print("| family | strategy | device time | GB/s | of stream |")
print("|---|---|---:|---:|---:|")
for c in combos:
    e = table[c]
    if "device_time" not in e:
        continue
    dt = statistics.median(e["device_time"]["samples"])
    bw = statistics.median(e["achieved_bandwidth"]["samples"])
    fr = statistics.median(e["bandwidth_fraction"]["samples"])
    print(f"| {c[0]} | {c[1]} | {dt * 1e6:.0f} us | {bw:.2f} | {100 * fr:.1f}% |", flush=True)
