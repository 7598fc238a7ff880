"""Many VJPs at one point (vjplab.many): K cotangents at one x, and the adjoint solve.

Their parameters are not the 5-parameter VJP space (K and the method are no strategy), so they
have sweeps of their own (vjplab.grid.ManySweep): ``TimeCotangents`` over family x method x
dimension x cotangents (K) x dtype, ``AdjointSolve`` (time) and ``AdjointCounts`` (iterations,
VJPs) over family x method x dimension x dtype. The ``full`` grid runs them at N = 1e3, 1e4,
1e5 with K = 1, 16, 256, ``default`` at N = 1e3 with fewer methods (vjplab.grid); no other grid
runs them. As for the metric benchmarks, one ``setup_cache`` per sweep measures every
combination of the piece (one family) in one process (vjplab.many.measure; the two adjoint
classes share theirs), and each track_ process only reads its number, so this module imports
no JAX at import time.

The times are asv samples (median and 99% interval stored); iterations and VJPs per solve come
from a separate untimed solve that counts operator applications (vjplab.many.adjoint).
"""

from __future__ import annotations

from vjplab.selection import ADJOINT_PARAMS, COTANGENT_PARAMS

from .params import GRID, SPACE


def _entry(table: dict, kind: str, params: dict, failed: str) -> dict:
    reason = GRID.many_selection_reason(kind, **params)
    if reason:
        raise NotImplementedError(reason)
    entry = table[tuple(params.values())]
    if "skipped" in entry:
        raise NotImplementedError(entry["skipped"])
    if "failed" in entry:
        raise RuntimeError(f"{failed} this combination failed: {entry['failed']}")
    return entry


def _start(kind: str) -> None:
    from .common import start_benchmark_process

    dtypes = GRID.sweep(kind).dtypes
    start_benchmark_process(dtypes[0] if dtypes else "float32")


class TimeCotangents:
    """K VJPs J(x)^T c_i at one x by each K-method (vjplab.many.cotangents), all K together."""

    param_names = list(COTANGENT_PARAMS)
    params = list(SPACE.cotangents.values().values())
    timeout = 120.0
    version = "1"

    def setup_cache(self):
        from vjplab.many.measure import measure_many

        _start("cotangents")
        return measure_many("cotangents", GRID.cotangents)

    setup_cache.timeout = 1800.0

    def setup(self, table, family, method, dimension, cotangents, dtype):
        self.entry = _entry(table, "cotangents", dict(zip(COTANGENT_PARAMS, (
            family, method, dimension, cotangents, dtype))), "measuring")

    def track_cotangents_time(self, table, family, method, dimension, cotangents, dtype):
        return self.entry["seconds"]

    track_cotangents_time.unit = "seconds"
    track_cotangents_time.pretty_name = "K VJPs at one point (all K, seconds)"


class _AdjointTable:
    """The adjoint sweep's table, measured once by ``setup_cache`` (asv keys it by its source
    line, so both classes below share one measurement)."""

    param_names = list(ADJOINT_PARAMS)
    params = list(SPACE.adjoint.values().values())
    timeout = 120.0
    version = "1"

    def setup_cache(self):
        from vjplab.many.measure import measure_many

        _start("adjoint")
        return measure_many("adjoint", GRID.adjoint)

    setup_cache.timeout = 1800.0

    def setup(self, table, family, method, dimension, dtype):
        self.entry = _entry(table, "adjoint", dict(zip(ADJOINT_PARAMS, (
            family, method, dimension, dtype))), "solving")


class AdjointSolve(_AdjointTable):
    """J(u)^T lambda = g at the steady state u (vjplab.many.adjoint): time to solution."""

    def track_adjoint_time(self, table, family, method, dimension, dtype):
        return self.entry["seconds"]

    track_adjoint_time.unit = "seconds"
    track_adjoint_time.pretty_name = "adjoint solve: time to solution"


class AdjointCounts(_AdjointTable):
    """Krylov iterations and VJPs of one adjoint solve, counted in a separate untimed solve;
    the dense solve skips (it makes no VJPs)."""

    def setup(self, table, family, method, dimension, dtype):
        super().setup(table, family, method, dimension, dtype)
        if self.entry.get("vjps") is None:
            raise NotImplementedError("the dense solve makes no VJPs (it forms J with N JVPs "
                                      "and factorises it)")

    def track_adjoint_iterations(self, table, family, method, dimension, dtype):
        return self.entry["iterations"]

    track_adjoint_iterations.unit = "iterations"
    track_adjoint_iterations.pretty_name = "adjoint solve: GMRES (Krylov) iterations"

    def track_adjoint_vjps(self, table, family, method, dimension, dtype):
        return self.entry["vjps"]

    track_adjoint_vjps.unit = "VJPs"
    track_adjoint_vjps.pretty_name = "adjoint solve: VJPs (operator applications) per solve"
