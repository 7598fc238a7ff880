"""Device time, compile time and XLA cost/memory of each VJP, as asv track_ benchmarks.

``setup_cache`` (shared by every class here: asv keys it by source line) measures the whole
metrics sweep once per environment in one process; each track_ process only reads its number,
so this module imports no JAX at import time.

Device time and compile time return asv samples (``{"samples": [...], "number": 1}``): asv
then stores their median with a 99% confidence interval and quartiles, as for ``time_``
benchmarks, so a comparison can tell a change from noise. Every class has an explicit asv
``version``: bump it when what a benchmark measures changes, so that asv and vjplab's history
never draw old and new numbers as one series (version 2: the hoist-proof device-time loop and
compile time as samples of minima; see vjplab/measure/).
"""

from __future__ import annotations

from .params import (GRID, PARAM_NAMES, SPACE, class_with_track, sweep_params,
                     table_entry)


class MetricBenchmark:
    """Base: ``metric`` names the entry of vjplab.measure.sweep that a subclass reports."""

    metric: str
    param_names = PARAM_NAMES
    params = sweep_params(SPACE.metrics)
    timeout = 120.0
    version = "2"

    def setup_cache(self):
        from vjplab.measure.sweep import measure_sweep

        from .common import start_benchmark_process

        start_benchmark_process()
        return measure_sweep(GRID.metrics)

    setup_cache.timeout = 3600.0

    def setup(self, table, family, strategy, dimension, locality, dtype):
        entry = table_entry(table, family, strategy, dimension, locality, dtype, "measuring")
        if entry.get(self.metric) is None:
            raise NotImplementedError(entry.get("not_measured", {}).get(self.metric)
                                      or f"this JAX release/backend provides no {self.metric}")
        self.value = entry[self.metric]


def metric_benchmark(name: str, metric: str, method: str, unit: str, pretty_name: str,
                     doc: str) -> type:
    """A MetricBenchmark subclass whose one track_ method reports ``metric``."""
    return class_with_track(MetricBenchmark, __name__, name, method, unit, pretty_name, doc,
                       metric=metric)


DeviceTime = metric_benchmark(
    "DeviceTime", "device_time", "track_device_time", "seconds",
    "VJP device time (in-jit loop, per evaluation)",
    "R VJP evaluations inside one jitted fori_loop that XLA cannot hoist from, divided by R.")
CompileTime = metric_benchmark(
    "CompileTime", "compile_seconds", "track_compile_time", "seconds",
    "VJP compile time (trace + lower + compile, cold)",
    "Trace + lower + XLA compile of the jitted VJP from cold caches (samples: minima of 2).")
Flops = metric_benchmark(
    "Flops", "flops", "track_flops", "flops", "VJP flops (XLA cost analysis)",
    "XLA cost analysis: floating-point operations of one compiled VJP.")
BytesAccessed = metric_benchmark(
    "BytesAccessed", "bytes_accessed", "track_bytes_accessed", "bytes",
    "VJP bytes accessed (XLA cost analysis)",
    "XLA cost analysis: bytes read and written by one compiled VJP.")
XLAMemory = metric_benchmark(
    "XLAMemory", "xla_memory_bytes", "track_xla_memory", "bytes",
    "VJP buffers (XLA memory analysis)",
    "XLA memory analysis: argument + output + temp - alias bytes of one compiled VJP.")
AchievedBandwidth = metric_benchmark(
    "AchievedBandwidth", "achieved_bandwidth", "track_achieved_bandwidth", "GB/s",
    "VJP achieved bandwidth (minimal bytes / device time)",
    "(2N + M) x itemsize (x and c read once, the result written once: a floor) over each "
    "device-time sample, in GB/s; derived from track_device_time's samples, not re-timed.")
BandwidthFraction = metric_benchmark(
    "BandwidthFraction", "bandwidth_fraction", "track_bandwidth_fraction", "unitless",
    "VJP bandwidth as a fraction of the copy kernel's",
    "Achieved bandwidth over the stream bandwidth of a copy kernel timed in the same process "
    "on the same device and pinning (vjplab.measure.bandwidth); stream = achieved / fraction.")
