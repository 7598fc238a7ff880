"""Latency of one VJP call (including block_until_ready) over family x strategy x N x k."""

from .common import (FAMILY_NAMES, GRID, SCALABLE_STRATEGY_NAMES, STRATEGY_NAMES,
                               VJPBenchmark)


class TimeVJP(VJPBenchmark):
    """Every strategy, N up to 1e5 (dense strategies skip what exceeds the memory budget)."""

    params = [FAMILY_NAMES, STRATEGY_NAMES, list(GRID.dimensions), list(GRID.localities)]

    def time_vjp(self, family, strategy, dimension, locality):
        self.prepared.call()


class TimeVJPLarge(VJPBenchmark):
    """Only strategies that never form J, at the largest N."""

    params = [FAMILY_NAMES, SCALABLE_STRATEGY_NAMES, list(GRID.large_dimensions),
              list(GRID.localities)]

    def time_vjp(self, family, strategy, dimension, locality):
        self.prepared.call()
