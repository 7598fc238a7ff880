"""The base class of the benchmarks that run a VJP: setup prepares (builds, compiles, warms) it.

Subclasses only declare ``sweep`` and a ``time_``/``peakmem_`` method. Parameter values come
from the catalog and the grid named by VJPLAB_GRID, so a new family or strategy needs no edit
here. JAX is imported inside setup, after the cheap checks, never at import time.
"""

from __future__ import annotations

import os

from vjplab.grid import Sweep

from .params import PARAM_NAMES, sweep_params


class VJPBenchmark:
    """Base class over (family, strategy, dimension, locality) of a grid sweep.

    Timing protocol: asv re-runs ``setup`` before each sample, so setup only fetches the cached
    PreparedVJP (compiled and run once on first use; compilation is never timed). ``number`` is
    set explicitly to 1 (asv otherwise resolves it to 1 anyway when setup exists) and each call
    is timed with block_until_ready; ``repeat`` takes 3 to 100 samples within about 0.3 s after a
    short warm-up; one round per environment keeps the default grid within its time budget.
    """

    sweep: Sweep
    param_names = PARAM_NAMES
    number = 1
    repeat = (3, 100, 0.3)
    min_run_count = 3
    warmup_time = 0.05
    rounds = 1
    timeout = 300.0

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.params = sweep_params(cls.sweep)

    def setup(self, family: str, strategy: str, dimension: int, locality: int) -> None:
        reason = self.sweep.skip_reason(family, strategy, dimension, locality)
        if reason:
            raise NotImplementedError(reason)
        check_jax_label()
        from vjplab.prepared import prepare

        self.prepared = prepare(family, strategy, dimension, locality)


def check_jax_label() -> None:
    """Refuse to run when the imported JAX is not the one this asv environment claims.

    The claim comes from VJPLAB_JAX_LABEL / VJPLAB_JAXLIB_LABEL (set per environment in
    asv.conf.json, and by ``python -m vjplab bench``). A RuntimeError makes asv record a failure
    instead of a mislabelled result.
    """
    import jax
    import jaxlib

    for env_var, module in (("VJPLAB_JAX_LABEL", jax), ("VJPLAB_JAXLIB_LABEL", jaxlib)):
        claimed = os.environ.get(env_var)
        if claimed and claimed != module.__version__:
            raise RuntimeError(
                f"this asv environment claims {module.__name__} {claimed} ({env_var}) but the "
                f"benchmark process imported {module.__name__} {module.__version__}; refusing to "
                f"record a mislabelled result"
            )
