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
PARAM_NAMES = ["family", "strategy", "dimension", "locality", "dtype"]


def sweep_params(sweep: Sweep) -> list[list]:
    """asv params of a sweep: family x strategy x dimension x locality x dtype."""
    return [sweep.family_names, sweep.strategy_names, list(sweep.all_dimensions),
            list(sweep.localities), list(sweep.dtypes)]


def table_entry(table: dict, family: str, strategy: str, dimension: int, locality: int,
                dtype: str, failed: str, kind: str = "metrics") -> dict:
    """The shared ``setup_cache`` table's entry of a combination of the ``kind`` sweep: skip
    (asv: NotImplementedError) when the grid or the table says so, fail (RuntimeError, asv
    records a failure for this combination alone) when ``failed`` this combination."""
    skip_unless_selected(kind, family, strategy, dimension, locality, dtype)
    entry = table[(family, strategy, dimension, locality, dtype)]
    if "skipped" in entry:
        raise NotImplementedError(entry["skipped"])
    if "failed" in entry:
        raise RuntimeError(f"{failed} this combination failed: {entry['failed']}")
    return entry


def class_with_track(base: type, module: str, name: str, method: str, unit: str,
                     pretty_name: str, doc: str, **attributes) -> type:
    """A subclass of ``base`` whose one track_ method ``method`` returns ``self.value``."""

    def track(self, table, family, strategy, dimension, locality, dtype):
        return self.value

    track.unit = unit
    track.pretty_name = pretty_name
    return type(name, (base,), {"__doc__": doc, "__module__": module, method: track,
                                **attributes})


def skip_unless_selected(kind: str, family: str, strategy: str | None, dimension: int,
                         locality: int | None, dtype: str | None = None) -> None:
    """Raise NotImplementedError (asv: skipped) with the reason when the active grid's ``kind``
    sweep does not run this combination."""
    reason = GRID.selection_reason(kind, family, strategy, dimension, locality, dtype)
    if reason:
        raise NotImplementedError(reason)
