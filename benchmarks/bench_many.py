"""Many VJPs at one point (vjplab.many): K cotangents at one x, and the adjoint solve.

Their parameters are not the 5-parameter VJP space (K and the method are no strategy), so they
have sweeps of their own (vjplab.grid.ManySweep): ``TimeCotangents`` over family x method x
dimension x cotangents (K) x dtype, ``AdjointSolve`` over family x method x dimension x dtype.
The ``default`` grid runs them at N = 1e3 with K = 1, 16, 256, ``full`` adds N = 1e4 and 1e5;
no other grid runs them. As for the metric benchmarks, one ``setup_cache`` per class measures
every combination of the piece (one family) in one process (vjplab.many.measure), and each
track_ process only reads its number, so this module imports no JAX at import time.

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


class AdjointSolve:
    """J(u)^T lambda = g at the steady state u (vjplab.many.adjoint): time to solution,
    Krylov iterations and VJPs per solve."""

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

    def _count(self, key: str):
        if self.entry.get(key) is None:
            raise NotImplementedError("the dense solve makes no VJPs (it forms J with N JVPs "
                                      "and factorises it)")
        return self.entry[key]

    def track_adjoint_time(self, table, family, method, dimension, dtype):
        return self.entry["seconds"]

    track_adjoint_time.unit = "seconds"
    track_adjoint_time.pretty_name = "adjoint solve: time to solution"

    def track_adjoint_iterations(self, table, family, method, dimension, dtype):
        return self._count("iterations")

    track_adjoint_iterations.unit = "iterations"
    track_adjoint_iterations.pretty_name = "adjoint solve: GMRES (Krylov) iterations"

    def track_adjoint_vjps(self, table, family, method, dimension, dtype):
        return self._count("vjps")

    track_adjoint_vjps.unit = "VJPs"
    track_adjoint_vjps.pretty_name = "adjoint solve: VJPs (operator applications) per solve"
