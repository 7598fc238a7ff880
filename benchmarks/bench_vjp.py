"""Latency: one VJP call including block_until_ready, over family x strategy x N x k."""

from .common import VJPBenchmark


class TimeVJP(VJPBenchmark):
    """Every strategy; dense ones run only at the sweep's small dimensions and within the
    memory budget."""

    kind = "latency"

    def time_vjp(self, family, strategy, dimension, locality):
        for _ in range(self.calls):  # PerCallTimer divides the sample by self.calls
            self.prepared.call()
