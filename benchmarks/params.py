"""Parameter lists of the suite. Imports nothing heavy (no JAX), so a combination that the
grid leaves out is skipped in a process that costs ~0.1 s instead of ~0.9 s with JAX.

``params`` are ONE fixed space, ``vjplab.grid.PARAM_SPACE`` (the union of every grid), whatever
grid runs: results of different grids are then the same benchmarks to asv. ``GRID`` (VJPLAB_GRID)
only selects which combinations run; ``selection_reason`` says why another one is skipped.
"""

from __future__ import annotations

from vjplab.grid import PARAM_SPACE, Sweep, active_grid

GRID = active_grid()
SPACE = PARAM_SPACE
PARAM_NAMES = ["family", "strategy", "dimension", "locality"]


def sweep_params(sweep: Sweep) -> list[list]:
    """asv params of a sweep: family x strategy x dimension x locality."""
    return [sweep.family_names, sweep.strategy_names, list(sweep.all_dimensions),
            list(sweep.localities)]


def skip_unless_selected(kind: str, family: str, strategy: str | None, dimension: int,
                         locality: int | None) -> None:
    """Raise NotImplementedError (asv: skipped) with the reason when the active grid's ``kind``
    sweep does not run this combination."""
    reason = GRID.selection_reason(kind, family, strategy, dimension, locality)
    if reason:
        raise NotImplementedError(reason)
