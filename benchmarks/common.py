"""The one base class of the suite: setup prepares (builds, compiles, warms) the VJP.

Subclasses only declare ``params`` and a ``time_`` method. Parameter values come from the
registries and the grid named by VJPLAB_GRID, so a new family or strategy needs no edit here.
"""

from __future__ import annotations

import os

import jax
import jaxlib

import vjplab
from vjplab.families import FAMILIES
from vjplab.grid import active_grid
from vjplab.prepared import PreparedVJP, prepare
from vjplab.strategies import STRATEGIES

GRID = active_grid()
FAMILY_NAMES: list[str] = vjplab.families()
STRATEGY_NAMES: list[str] = vjplab.strategies()
#: Strategies that never form the dense Jacobian: the only ones run at GRID.large_dimensions.
SCALABLE_STRATEGY_NAMES: list[str] = [s for s in STRATEGY_NAMES if not STRATEGIES[s].dense]


class VJPBenchmark:
    """Base class over (family, strategy, dimension, locality).

    Timing protocol: asv re-runs ``setup`` before each sample, so setup only fetches the cached
    PreparedVJP (compiled and run once on first use; compilation is never timed). ``number`` is
    set explicitly to 1 (asv otherwise resolves it to 1 anyway when setup exists) and each call
    is timed with block_until_ready; ``repeat`` takes 3 to 100 samples within about 0.3 s after a
    short warm-up; one round per environment keeps the default grid within its time budget.
    """

    param_names = ["family", "strategy", "dimension", "locality"]
    number = 1
    repeat = (3, 100, 0.3)
    min_run_count = 3
    warmup_time = 0.05
    rounds = 1
    timeout = 300.0

    def setup(self, family: str, strategy: str, dimension: int, locality: int) -> None:
        check_jax_label()
        if not FAMILIES[family].uses_locality and locality != GRID.localities[0]:
            raise NotImplementedError(
                f"{family} ignores locality; it is measured at locality={GRID.localities[0]} only"
            )
        self.prepared: PreparedVJP = prepare(family, strategy, dimension, locality)


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
