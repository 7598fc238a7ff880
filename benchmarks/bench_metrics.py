"""Device time, compile time and XLA cost/memory of each VJP, as asv track_ benchmarks.

``setup_cache`` (shared by every class here: asv keys it by source line) measures the whole
metrics sweep once per environment in one process; each track_ process only reads its number,
so this module imports no JAX at import time.
"""

from __future__ import annotations

from .params import GRID, PARAM_NAMES, sweep_params


class MetricBenchmark:
    """Base: ``metric`` names the entry of vjplab.measure.sweep that a subclass reports."""

    metric: str
    param_names = PARAM_NAMES
    params = sweep_params(GRID.metrics)
    timeout = 120.0

    def setup_cache(self):
        from vjplab.measure.sweep import measure_sweep

        from .common import check_jax_label

        check_jax_label()
        return measure_sweep(GRID.metrics)

    setup_cache.timeout = 3600.0

    def setup(self, table, family, strategy, dimension, locality):
        entry = table[(family, strategy, dimension, locality)]
        if "skipped" in entry:
            raise NotImplementedError(entry["skipped"])
        if entry.get(self.metric) is None:
            raise NotImplementedError(f"this JAX release/backend provides no {self.metric}")
        self.value = entry[self.metric]


class DeviceTime(MetricBenchmark):
    """R VJP evaluations inside one jitted fori_loop, divided by R: no dispatch cost."""

    metric = "device_time"

    def track_device_time(self, table, family, strategy, dimension, locality):
        return self.value

    track_device_time.unit = "seconds"
    track_device_time.pretty_name = "VJP device time (in-jit loop, per evaluation)"


class CompileTime(MetricBenchmark):
    """Trace + lower + XLA compile of the jitted VJP from cold caches."""

    metric = "compile_seconds"

    def track_compile_time(self, table, family, strategy, dimension, locality):
        return self.value

    track_compile_time.unit = "seconds"
    track_compile_time.pretty_name = "VJP compile time (trace + lower + compile, cold)"


class Flops(MetricBenchmark):
    """XLA cost analysis: floating-point operations of one compiled VJP."""

    metric = "flops"

    def track_flops(self, table, family, strategy, dimension, locality):
        return self.value

    track_flops.unit = "flops"
    track_flops.pretty_name = "VJP flops (XLA cost analysis)"


class BytesAccessed(MetricBenchmark):
    """XLA cost analysis: bytes read and written by one compiled VJP."""

    metric = "bytes_accessed"

    def track_bytes_accessed(self, table, family, strategy, dimension, locality):
        return self.value

    track_bytes_accessed.unit = "bytes"
    track_bytes_accessed.pretty_name = "VJP bytes accessed (XLA cost analysis)"


class XLAMemory(MetricBenchmark):
    """XLA memory analysis: argument + output + temp - alias bytes of one compiled VJP."""

    metric = "xla_memory_bytes"

    def track_xla_memory(self, table, family, strategy, dimension, locality):
        return self.value

    track_xla_memory.unit = "bytes"
    track_xla_memory.pretty_name = "VJP buffers (XLA memory analysis)"
