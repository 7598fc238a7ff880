"""The sparse strategies in three phases, and their colour counts, as asv track_ benchmarks.

``setup_cache`` (shared by every class here) measures the active grid's **sparse** sweep
(vjplab.grid: the ``default`` grid at N = 1e3, k = 1 and 4, every vector-map family;
``full`` at N = 1e2 .. 1e6 up to the practical colouring limit, k = 1, 4, 16, float32 and
float64; ``smoke`` roll_cubic at N = 100) once per environment in one process
(vjplab.sparse.phases); each track_ process only reads its number, so this module imports no
JAX at import time. Phase 1 (pattern + colouring) is slow Python; timing it as asv samples of
whole builds in one process costs one build per sample instead of one asv process each.

A library that is missing (the ``sparse`` extra) or unsupported by this JAX (asdex needs
jax >= 0.9.0) skips every combination with that reason.
"""

from __future__ import annotations

from .params import GRID, PARAM_NAMES, SPACE, class_with_track, sweep_params, table_entry


class SparsePhaseBenchmark:
    """Base: ``metric`` names the entry of vjplab.sparse.phases that a subclass reports."""

    metric: str
    param_names = PARAM_NAMES
    params = sweep_params(SPACE.sparse)
    timeout = 120.0
    version = "1"

    def setup_cache(self):
        from vjplab.sparse.phases import measure_phases

        from .common import start_benchmark_process

        start_benchmark_process()
        return measure_phases(GRID.sparse)

    setup_cache.timeout = 3600.0

    def setup(self, table, family, strategy, dimension, locality, dtype):
        entry = table_entry(table, family, strategy, dimension, locality, dtype, "measuring",
                            kind="sparse")
        self.value = entry[self.metric]


def _phase(name: str, metric: str, method: str, unit: str, pretty_name: str, doc: str) -> type:
    return class_with_track(SparsePhaseBenchmark, __name__, name, method, unit, pretty_name,
                            doc, metric=metric)


SparsePlanTime = _phase(
    "SparsePlanTime", "plan_seconds", "track_sparse_plan_time", "seconds",
    "sparse phase 1: pattern + colouring (once per pattern)",
    "Wall time of one vjplab.sparse.plan: asdex detects the pattern from the jaxpr, sparsejac "
    "is given it; both colour the columns (samples: one build each).")
SparseJacobianTime = _phase(
    "SparseJacobianTime", "jacobian_seconds", "track_sparse_jacobian_time", "seconds",
    "sparse phase 2: J at a new x as BCOO (once per x)",
    "One call of the jitted plan.jacobian at a new x: colours JVPs + the gather into a BCOO.")
SparseProductTime = _phase(
    "SparseProductTime", "product_seconds", "track_sparse_product_time", "seconds",
    "sparse phase 3: J^T c with a new cotangent (once per cotangent)",
    "One call of the jitted transpose_product(J, c): a sparse product over J's nonzeros.")
SparseColours = _phase(
    "SparseColours", "colours", "track_sparse_colours", "colours",
    "sparse: colours (JVPs per Jacobian)",
    "Colours of the column colouring: at least the densest row's nonzeros (2k + 1 for a "
    "periodic band).")
