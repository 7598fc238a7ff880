"""Latency: one VJP call including block_until_ready, over family x strategy x N x k."""

import time

from vjplab.planted import stretch

from .common import VJPBenchmark


class TimeVJP(VJPBenchmark):
    """Every strategy; dense ones run only at the sweep's small dimensions and within the
    memory budget."""

    kind = "latency"

    def time_vjp(self, family, strategy, dimension, locality, dtype):
        started = time.perf_counter()
        for _ in range(self.calls):  # PerCallTimer divides the sample by self.calls
            self.prepared.call()
        stretch(started, self.planted)  # 1.0 (nothing) unless vjplab.planted is switched on
