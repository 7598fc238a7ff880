"""Peak resident memory (asv peakmem_) of a process that ran the VJP.

asv reports the process's peak RSS, which includes importing JAX, building the problem, setup's
compilation and first call, and the measured call. ``PeakMemReference`` does the same imports
and builds the same problem but never compiles or runs a VJP: subtract it (same family and
dimension) to see what compiling and running the VJP added, as scikit-image does.
"""

from .common import VJPBenchmark, start_benchmark_process
from .params import SPACE, skip_unless_selected


class PeakMemVJP(VJPBenchmark):
    kind = "metrics"
    rounds = 1  # peak RSS hardly varies between processes; extra rounds are for timings

    def peakmem_vjp(self, family, strategy, dimension, locality, dtype):
        self.prepared.call()


class PeakMemReference:
    """Imports and the Problem's arrays only: the baseline to subtract from PeakMemVJP."""

    param_names = ["family", "dimension"]
    params = [SPACE.metrics.family_names, list(SPACE.metrics.all_dimensions)]

    def setup(self, family, dimension):
        import vjplab

        skip_unless_selected("metrics", family, None, dimension, None)
        start_benchmark_process()  # as PeakMemVJP's, so the two are comparable
        fam = vjplab.FAMILIES[family]
        n = vjplab.nearest_dimension(family, dimension)
        self.problem = vjplab.problem(family, n, max(fam.min_locality, 1))
        self.problem.x.block_until_ready()

    def peakmem_reference(self, family, dimension):
        pass
