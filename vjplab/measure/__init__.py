"""Metrics of one prepared VJP beyond one call's wall time (see docs/asv.md, "The suite")."""

from vjplab.measure.timing import (TimingStats, device_time, empty_call_latency,
                                   hoist_proof_loop, loop_iterations, reference_latency)
from vjplab.measure.xla import XLAStats, compile_seconds, compile_time, xla_stats

__all__ = ["TimingStats", "device_time", "empty_call_latency", "hoist_proof_loop",
           "loop_iterations", "reference_latency", "XLAStats", "compile_seconds",
           "compile_time", "xla_stats"]
