"""Which parameter sets of a grid a results file still lacks (``vjplab record``'s "done").

A release counts as recorded for a grid when its results file (machine, commit, release) holds
a result for every parameter set the grid runs (``vjplab.selection``), for every benchmark of
the suite (benchmarks.json, written by asv beside the results). Read-only: asv's files are
parsed, never written.

asv stores ``null`` for a failed parameter set and ``NaN`` for a skipped one, but also ``NaN``
for a parameter set that a ``--bench`` regex left out of a run when the file had no earlier
result for it. So NaN counts as recorded only where the skip is expected: the combination is
infeasible here (``vjplab.prepared.infeasible_reason``: locality too large for N, over the memory
budget), or, for the metric benchmarks that share one measurement, another metric of the same
combination holds a number (that JAX release lacks this metric). Anything else is missing.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from pathlib import Path
from typing import Callable

from vjplab.grid import Grid
from vjplab.selection import FULL_PARAMS, Selection, selection_of

#: (benchmark name, parameter values) of one asv parameter set
ParamSet = tuple[str, tuple]


def stored_values(results_file: Path) -> dict[str, dict[tuple[str, ...], object]]:
    """benchmark -> {tuple of parameter reprs: stored value} of one asv results file."""
    data = json.loads(results_file.read_text())
    columns = data.get("result_columns", [])
    if "result" not in columns or "params" not in columns:
        raise ValueError(f"{results_file}: not an asv results file (no result_columns)")
    at_result, at_params = columns.index("result"), columns.index("params")
    table = {}
    for name, row in data.get("results", {}).items():
        values = row[at_result] if len(row) > at_result else None
        params = row[at_params] if len(row) > at_params else []
        combos = list(itertools.product(*params)) if params else [()]
        if values is None:
            values = [None] * len(combos)
        table[name] = dict(zip(combos, values))
    return table


def suite_benchmarks(benchmarks_json: Path) -> dict[str, list[str]]:
    """benchmark name -> its param names, from asv's benchmarks.json."""
    data = json.loads(benchmarks_json.read_text())
    return {name: list(info.get("param_names", [])) for name, info in data.items()
            if isinstance(info, dict) and "param_names" in info}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value)


def _expected_skip(selection: Selection, combo: tuple) -> bool:
    """True when the benchmark process will skip this combination here (see module doc)."""
    values = dict(zip(selection.params, combo))
    if "strategy" not in values:  # PeakMemReference only builds the problem: never skips
        return _many_skip(values["method"]) if "method" in values else False
    return _infeasible(*(values[p] for p in FULL_PARAMS))


def _many_skip(method: str) -> bool:
    """bench_many (vjplab.many): a sparse method skips where its library is unavailable."""
    from vjplab.many.names import SPARSE_METHODS

    if method not in SPARSE_METHODS:
        return False
    try:
        from vjplab.sparse import unavailable_reason
    except ImportError:
        return True
    return unavailable_reason(method.removeprefix("sparse_")) is not None


@functools.lru_cache(maxsize=None)
def _infeasible(family: str, strategy: str, dimension: int, locality: int,
                dtype: str = "float32") -> bool:
    from vjplab.prepared import infeasible_reason
    from vjplab.x64 import switched_for

    with switched_for(dtype):  # this driver process measures nothing
        return infeasible_reason(family, strategy, dimension, locality, dtype) is not None


def missing_parameter_sets(grid: Grid, benchmarks: dict[str, list[str]],
                           stored: dict[str, dict[tuple[str, ...], object]],
                           expected_skip: Callable[[Selection, tuple], bool] = _expected_skip
                           ) -> list[ParamSet]:
    """The (benchmark, values) of ``grid`` without a recorded result in ``stored``."""
    missing = []
    for name in sorted(benchmarks):
        selection = selection_of(name)
        if tuple(benchmarks[name]) != selection.params:
            raise ValueError(f"benchmark {name!r} has params {benchmarks[name]}, but "
                             f"vjplab.selection expects {list(selection.params)}")
        siblings = [b for b in benchmarks if selection_of(b) == selection]
        for combo in selection.combinations(grid):
            key = tuple(repr(v) for v in combo)
            value = stored.get(name, {}).get(key)
            if _is_number(value):
                continue
            if value is not None and math.isnan(value):  # skipped, or never selected
                if selection.shared_measurement and any(
                        _is_number(stored.get(b, {}).get(key)) for b in siblings):
                    continue
                if expected_skip(selection, combo):
                    continue
            missing.append((name, combo))
    return missing
