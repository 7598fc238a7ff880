"""Parameter lists of the suite. Imports nothing heavy (no JAX), so a combination that a sweep
leaves out is skipped in a process that costs ~0.1 s instead of ~0.9 s with JAX."""

from __future__ import annotations

from vjplab.grid import Sweep, active_grid

GRID = active_grid()
PARAM_NAMES = ["family", "strategy", "dimension", "locality"]


def sweep_params(sweep: Sweep) -> list[list]:
    """asv params of a sweep: family x strategy x dimension x locality."""
    return [sweep.family_names, sweep.strategy_names, list(sweep.all_dimensions),
            list(sweep.localities)]
