"""What XLA made of each VJP: op counts of the optimized HLO program (asv track_), and its
fingerprint in a sidecar beside asv's results (vjplab/measure/fingerprints.py).

``setup_cache`` (shared by every class here) compiles, without running, every combination of
the piece's latency sweep and metrics sweep once, in one process per ``asv run`` piece (one
family), writes each program's canonical HLO text and sha256 to the sidecar (when vjplab bench
or record names it), and returns the counts; each track_ process only reads its number, so this
module imports no JAX at import time.

Which grid runs the track_ benchmarks: they belong to the **metrics** sweep (vjplab.selection),
i.e. on the ``default`` grid N = 1e3 (all strategies) and 1e5 (O(N) strategies) at k = 4, on
``full`` the whole latency sweep. The sidecar covers the latency sweep on every grid: the
history report needs a fingerprint for every time_vjp step. Counting every latency combination
as asv track_ benchmarks on the default grid would cost one process per benchmark and
parameter set (docs/asv.md, "Program fingerprints", has the measured costs).

Counts are deterministic (vjplab.history.steps: any change flags). What each counts:
vjplab/measure/hlo.py. Bump ``version`` when what they count changes (``CANONICAL_FORM``).
"""

from __future__ import annotations

from vjplab.measure.hlo import TRACKED_PLURALS  # no JAX: the track_ processes stay cheap

from .params import (GRID, PARAM_NAMES, SPACE, class_with_track, sweep_params,
                     table_entry)


class ProgramBenchmark:
    """Base: ``op`` names the count (vjplab.measure.hlo.COUNTED_OPS) a subclass reports."""

    op: str
    param_names = PARAM_NAMES
    params = sweep_params(SPACE.metrics)
    timeout = 120.0
    version = "1"

    # Its own setup_cache, like bench_metrics.MetricBenchmark's: asv keys a cache by the
    # function's source line, so one shared function would give both modules one cache.
    def setup_cache(self):
        from vjplab.measure.fingerprints import fingerprint_sweep, sidecar_from_environment

        from .common import start_benchmark_process

        start_benchmark_process()
        sidecar, note = sidecar_from_environment()
        return fingerprint_sweep(GRID, sidecar=sidecar, note=note)

    setup_cache.timeout = 3600.0

    def setup(self, table, family, strategy, dimension, locality, dtype):
        entry = table_entry(table, family, strategy, dimension, locality, dtype, "compiling")
        self.value = entry["counts"][self.op]


def _class_name(plural: str) -> str:
    """``dynamic_update_slices`` -> ``HLODynamicUpdateSlices``."""
    return "HLO" + "".join(part.capitalize() for part in plural.split("_"))


# One class per count: HLOFusions.track_hlo_fusions, HLOCopies.track_hlo_copies, ...
for _op, _plural in TRACKED_PLURALS.items():
    globals()[_class_name(_plural)] = class_with_track(
        ProgramBenchmark, __name__, _class_name(_plural), f"track_hlo_{_plural}", "instructions",
        "VJP fused kernels (HLO fusions)" if _op == "fusion" else f"VJP HLO {_op} instructions",
        "Fusion instructions outside fused computations of the optimized HLO: fused kernels."
        if _op == "fusion" else
        f"{_op} instructions of the optimized HLO (fused computations included).", op=_op)
del _op, _plural
