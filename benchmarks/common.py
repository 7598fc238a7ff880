"""The base class of the benchmarks that run a VJP: setup prepares (builds, compiles, warms) it.

Subclasses only declare ``kind`` (which sweep) and a ``time_``/``peakmem_`` method. Parameter
values come from the catalog and the union of every grid (the grid named by VJPLAB_GRID selects
what runs), so a new family or strategy needs no edit here. JAX and vjplab's strategies are imported at import time on purpose: asv's forkserver
(``launch_method``) imports this module once and forks every benchmark process from it, so a
process starts with JAX loaded (no backend yet: pinning and XLA's threads start in the child).
"""

from __future__ import annotations

import os
import time

import jax  # imported once in asv's forkserver, see above
import jaxlib

from vjplab.allocator import settle_in_process as settle_allocator
from vjplab.cpu_affinity import pin_for_timing
from vjplab.planted import active_factor
from vjplab.prepared import prepare  # likewise: the families and strategies
from vjplab.x64 import enter as enter_dtype

from .params import GRID, PARAM_NAMES, SPACE, skip_unless_selected, sweep_params


class PerCallTimer:
    """asv ``timer`` for a sample of ``calls`` back-to-back calls: clock / calls.

    asv re-runs setup between the calls of a sample whenever a benchmark has a setup (so an
    explicit ``number`` > 1 does not give back-to-back calls). ``time_vjp`` therefore makes
    ``calls`` consecutive calls itself and this timer divides the elapsed time by ``calls``:
    asv's samples are per-call means of a continuous loop, like the reference command's.
    """

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def __call__(self) -> float:
        return time.perf_counter() / self.calls


class VJPBenchmark:
    """Base class over (family, strategy, dimension, locality): the union of every grid's
    ``kind`` sweep; combinations the active grid does not run skip in setup with the reason.

    Timing protocol (docs/protocol.md, "The timing protocol"): asv re-runs ``setup`` before each sample, so
    setup only fetches the cached PreparedVJP (compiled and run once on first use; compilation
    is never timed) and makes one untimed call. A sample is ``calls`` back-to-back calls (about
    5 ms worth, at least one) each with block_until_ready, timed together; ``number`` = 1,
    ``repeat`` = 5 to 50 samples within about 0.1 s after a 0.02 s warm-up, in each of three
    rounds (three processes at different times of the family's piece of the run, vjplab.pieces;
    asv pools their samples, so one process in a slow steady state does not move the median). The process is
    pinned to one CPU first (vjplab.cpu_affinity).
    """

    #: "latency" or "metrics": which sweep of the active grid selects the combinations to run
    #: (params are always the union of every grid's, vjplab.grid.PARAM_SPACE).
    kind: str
    param_names = PARAM_NAMES
    number = 1
    repeat = (5, 50, 0.1)
    min_run_count = 5
    warmup_time = 0.02
    rounds = GRID.latency_rounds  # 3; the history grid 2 (vjplab.grid)
    timeout = 300.0

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.params = sweep_params(SPACE.sweep(cls.kind))

    def setup(self, family: str, strategy: str, dimension: int, locality: int,
              dtype: str) -> None:
        skip_unless_selected(self.kind, family, strategy, dimension, locality, dtype)
        start_benchmark_process(dtype)
        self.planted = active_factor()  # a planted slowdown (detection power) or 1.0
        self.prepared = prepare(family, strategy, dimension, locality, dtype)
        self.calls = self.prepared.calls_per_sample()
        self.timer = PerCallTimer(self.calls)
        # One untimed call right before the sample, so its first call finds XLA's worker
        # threads awake as in a continuous loop (after idle time a call costs up to 7x more).
        self.prepared.call()


def start_benchmark_process(dtype: str = "float32") -> None:
    """What every benchmark process does before its first JAX computation: refuse a
    mislabelled JAX, settle glibc's allocator (vjplab.allocator), put the process in ``dtype``'s mode (float64: ``jax_enable_x64``, one
    dtype per process, vjplab.x64), then pin to one CPU (vjplab.cpu_affinity; once per
    process)."""
    check_jax_label()
    settle_allocator()
    enter_dtype(dtype)
    pin_for_timing()


def check_jax_label() -> None:
    """Refuse to run when the imported JAX is not the one this asv environment claims.

    The claim comes from VJPLAB_JAX_LABEL / VJPLAB_JAXLIB_LABEL (set per environment in
    asv.conf.json, and by ``python -m vjplab bench``). A RuntimeError makes asv record a failure
    instead of a mislabelled result.
    """
    for env_var, module in (("VJPLAB_JAX_LABEL", jax), ("VJPLAB_JAXLIB_LABEL", jaxlib)):
        claimed = os.environ.get(env_var)
        if claimed and claimed != module.__version__:
            raise RuntimeError(
                f"this asv environment claims {module.__name__} {claimed} ({env_var}) but the "
                f"benchmark process imported {module.__name__} {module.__version__}; refusing to "
                f"record a mislabelled result"
            )
