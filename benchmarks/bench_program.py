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

from .params import GRID, PARAM_NAMES, SPACE, skip_unless_selected, sweep_params


class ProgramBenchmark:
    """Base: ``op`` names the count (vjplab.measure.hlo.COUNTED_OPS) a subclass reports."""

    op: str
    param_names = PARAM_NAMES
    params = sweep_params(SPACE.metrics)
    timeout = 120.0
    version = "1"

    def setup_cache(self):
        from vjplab.measure.fingerprints import fingerprint_sweep, sidecar_from_environment

        from .common import start_benchmark_process

        start_benchmark_process()
        sidecar, note = sidecar_from_environment()
        return fingerprint_sweep(GRID, sidecar=sidecar, note=note)

    setup_cache.timeout = 3600.0

    def setup(self, table, family, strategy, dimension, locality):
        skip_unless_selected("metrics", family, strategy, dimension, locality)
        entry = table[(family, strategy, dimension, locality)]
        if "skipped" in entry:
            raise NotImplementedError(entry["skipped"])
        if "failed" in entry:  # asv records a failure for this combination alone
            raise RuntimeError(f"compiling this combination failed: {entry['failed']}")
        self.value = entry["counts"][self.op]


def program_benchmark(name: str, op: str, method: str, pretty_name: str, doc: str) -> type:
    """A ProgramBenchmark subclass whose one track_ method reports the count of ``op``."""

    def track(self, table, family, strategy, dimension, locality):
        return self.value

    track.unit = "instructions"
    track.pretty_name = pretty_name
    return type(name, (ProgramBenchmark,), {"__doc__": doc, "__module__": __name__,
                                            "op": op, method: track})


HLOFusions = program_benchmark(
    "HLOFusions", "fusion", "track_hlo_fusions", "VJP fused kernels (HLO fusions)",
    "Fusion instructions outside fused computations of the optimized HLO: fused kernels.")
HLOCopies = program_benchmark(
    "HLOCopies", "copy", "track_hlo_copies", "VJP HLO copies",
    "copy instructions of the optimized HLO (fused computations included).")
HLOTransposes = program_benchmark(
    "HLOTransposes", "transpose", "track_hlo_transposes", "VJP HLO transposes",
    "transpose instructions of the optimized HLO (fused computations included).")
HLOPads = program_benchmark(
    "HLOPads", "pad", "track_hlo_pads", "VJP HLO pads",
    "pad instructions of the optimized HLO (fused computations included).")
HLOConcatenates = program_benchmark(
    "HLOConcatenates", "concatenate", "track_hlo_concatenates", "VJP HLO concatenates",
    "concatenate instructions of the optimized HLO (fused computations included).")
HLOSlices = program_benchmark(
    "HLOSlices", "slice", "track_hlo_slices", "VJP HLO slices",
    "slice instructions (not dynamic-slice) of the optimized HLO (fused computations included).")
HLODynamicUpdateSlices = program_benchmark(
    "HLODynamicUpdateSlices", "dynamic-update-slice", "track_hlo_dynamic_update_slices",
    "VJP HLO dynamic-update-slices",
    "dynamic-update-slice instructions of the optimized HLO (fused computations included).")
HLOWhiles = program_benchmark(
    "HLOWhiles", "while", "track_hlo_whiles", "VJP HLO while loops",
    "while instructions of the optimized HLO (fused computations included).")
HLOCustomCalls = program_benchmark(
    "HLOCustomCalls", "custom-call", "track_hlo_custom_calls", "VJP HLO custom-calls",
    "custom-call instructions of the optimized HLO (fused computations included).")
