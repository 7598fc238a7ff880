"""A run of the suite cut into pieces that asv saves as they finish: one family each.

asv saves an environment's results only when every benchmark of an ``asv run`` has finished,
so an interrupted run used to keep nothing. A piece is one ``asv run`` whose ``--bench`` regex
selects exactly one family's parameter sets of the grid (every benchmark kind: latency,
metrics, peak memory); asv merges each piece into the same commit/environment results file
(``Results.load_data`` plus ``selected_idx``: the sets a regex leaves out keep their stored
values). The piece's processes see ``VJPLAB_GRID_FAMILIES`` = its family and
``VJPLAB_GRID_DIMENSIONS`` = its sets' dimensions, so the metrics' shared ``setup_cache`` sweeps
that family at those dimensions only, instead of the whole grid once per piece (a ``--bench``
that narrows a run to N = 1e3 narrows the shared measurement with it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from vjplab import catalog
from vjplab.grid import DIMENSIONS_ENV, FAMILIES_ENV, Grid
from vjplab.selection import names_regex, param_set_name, selection_of

#: (asv benchmark name, parameter values) of one parameter set
ParamSet = tuple[str, tuple]


@dataclass(frozen=True)
class Piece:
    """One family's parameter sets of a run; ``label`` is what the terminal shows."""

    family: str
    param_sets: tuple[ParamSet, ...] = field(repr=False)

    @property
    def label(self) -> str:
        return self.family

    @property
    def size(self) -> int:
        return len(self.param_sets)

    @property
    def latency_sets(self) -> int:
        return sum(1 for name, _ in self.param_sets if selection_of(name).kind == "latency")

    @property
    def regex(self) -> str:
        """asv's ``--bench`` regex selecting exactly this piece's parameter sets."""
        return names_regex((re.escape(name), values) for name, values in self.param_sets)

    @property
    def dimensions(self) -> list[int]:
        """The dimensions of the piece's parameter sets."""
        return sorted({dict(zip(selection_of(name).params, values))["dimension"]
                       for name, values in self.param_sets})

    @property
    def env(self) -> dict[str, str]:
        """Environment of the piece's benchmark processes: its family and its dimensions, so
        that a shared setup_cache measures what the piece runs, not the whole grid."""
        return {FAMILIES_ENV: self.family, DIMENSIONS_ENV: ",".join(map(str, self.dimensions))}

    def names(self) -> list[str]:
        """asv's names of the parameter sets (``name(repr(p1), ...)``)."""
        return [param_set_name(name, values) for name, values in self.param_sets]


def grid_param_sets(grid: Grid, benchmarks: Iterable[str]) -> list[ParamSet]:
    """Every parameter set ``grid`` runs, of the suite's ``benchmarks`` (asv names)."""
    return [(name, combo) for name in sorted(benchmarks)
            for combo in selection_of(name).combinations(grid)]


def filter_by_regex(param_sets: Iterable[ParamSet], user_regex: str | None) -> list[ParamSet]:
    """The parameter sets whose asv name ``user_regex`` matches (``re.search``, as asv's
    ``--bench``); all of them when it is None. ValueError when it is not a regex."""
    sets = list(param_sets)
    if not user_regex:
        return sets
    try:
        pattern = re.compile(user_regex)
    except re.error as exc:
        raise ValueError(f"--bench {user_regex!r} is not a valid regular expression: {exc}") \
            from None
    return [(name, values) for name, values in sets
            if pattern.search(param_set_name(name, values))]


def in_families(param_sets: Iterable[ParamSet], families: Iterable[str] | None
                ) -> list[ParamSet]:
    """The parameter sets of ``families`` (all of them when None): a shard of a grid."""
    sets = list(param_sets)
    if families is None:
        return sets
    wanted = set(families)
    return [(name, values) for name, values in sets
            if dict(zip(selection_of(name).params, values))["family"] in wanted]


def split_by_family(param_sets: Sequence[ParamSet]) -> list[Piece]:
    """One piece per family, in the catalog's order (parameter sets keep their order)."""
    by_family: dict[str, list[ParamSet]] = {}
    for name, values in param_sets:
        family = dict(zip(selection_of(name).params, values))["family"]
        by_family.setdefault(family, []).append((name, values))
    order = {family: i for i, family in enumerate(catalog.family_names())}
    return [Piece(family, tuple(sets))
            for family, sets in sorted(by_family.items(), key=lambda kv: order.get(kv[0], 1e9))]
