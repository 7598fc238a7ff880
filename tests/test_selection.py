"""One asv parameter space for every grid; a grid selects parameter sets with asv's --bench.

The selection regexes are checked with asv's own matching (asv.benchmarks.Benchmarks), not a
re-implementation of it.
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import types

import pytest
from asv.benchmarks import Benchmarks

from vjplab.grid import FLOAT64_FAMILIES, GRIDS, PARAM_SPACE
from vjplab.selection import (SELECTIONS, combine_with_user_regex, grid_regex, param_set_name,
                              selection_of)
from vjplab.suite import repo_root
from vjplab.suite_info import discover_suite

ROOT = repo_root()
def suite_info(grid: str) -> dict[str, dict]:
    """Every benchmark of benchmarks/ as asv names it, with its params as repr strings (as in
    asv's benchmarks.json), imported in a fresh process with VJPLAB_GRID=grid."""
    return discover_suite(ROOT, grid)


@pytest.fixture(scope="module")
def suite() -> dict[str, dict]:
    return suite_info("default")


def asv_selected(suite: dict[str, dict], regex: str) -> dict[str, set[tuple]]:
    """benchmark -> the parameter-value tuples asv itself runs for ``regex``."""
    benchmarks = [{"name": name, **info} for name, info in suite.items()]
    selected = Benchmarks(types.SimpleNamespace(benchmark_dir="benchmarks"), benchmarks,
                          regex=regex)
    result = {}
    for name, info in suite.items():
        combos = list(itertools.product(*info["params"]))
        result[name] = {combos[i] for i in selected.benchmark_selection[name]}
    return result


def grid_param_sets(suite: dict[str, dict], grid: str) -> dict[str, set[tuple]]:
    """What the grid should run, from the grid's sweeps (static skips left out)."""
    expected = {}
    for name in suite:
        selection = selection_of(name)
        expected[name] = {tuple(repr(v) for v in combo)
                          for combo in selection.combinations(GRIDS[grid])}
    return expected


def test_params_are_one_space_whatever_the_grid(suite):
    """asv params do not depend on VJPLAB_GRID, and hold every grid's combinations."""
    for grid in ("tiny", "gpu"):
        assert suite_info(grid) == suite, grid
    for name, info in suite.items():
        selection = selection_of(name)
        allowed = PARAM_SPACE.sweep(selection.kind).values()
        assert info["params"] == [[repr(v) for v in allowed[p]] for p in info["param_names"]]
        product = set(itertools.product(*info["params"]))
        for grid in GRIDS:
            assert grid_param_sets(suite, grid)[name] <= product, (grid, name)


def test_every_benchmark_belongs_to_one_selection(suite):
    assert suite, "no benchmarks found"
    for name, info in suite.items():
        assert tuple(info["param_names"]) == selection_of(name).params, name
    with pytest.raises(ValueError, match="matches 0 entries"):
        selection_of("bench_new.Unlisted.time_x")
    assert {selection_of(name) for name in suite} == set(SELECTIONS)


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_grid_regex_selects_exactly_the_grid_in_asv(suite, grid):
    assert asv_selected(suite, grid_regex(GRIDS[grid])) == grid_param_sets(suite, grid)


def test_user_regex_narrows_the_grid(suite):
    regex = combine_with_user_regex(grid_regex(GRIDS["smoke"]), "TimeVJP|DeviceTime")
    chosen = asv_selected(suite, regex)
    expected = grid_param_sets(suite, "smoke")
    for name in suite:
        wanted = expected[name] if ("TimeVJP" in name or "DeviceTime" in name) else set()
        assert chosen[name] == wanted, name
    # A regex on parameter values, anchored as asv users write them.
    regex = combine_with_user_regex(grid_regex(GRIDS["smoke"]), r"^bench_vjp.*\('roll_cubic', 'exact'")
    chosen = asv_selected(suite, regex)
    assert chosen["bench_vjp.TimeVJP.time_vjp"] == {("'roll_cubic'", "'exact'", "100", "1",
                                                      "'float32'")}
    assert sum(map(len, chosen.values())) == 1
    # Outside the grid: nothing, even when the user's regex asks for it.
    regex = combine_with_user_regex(grid_regex(GRIDS["tiny"]), "banded_conv")
    assert not any(asv_selected(suite, regex).values())


def test_bad_user_regex_is_a_value_error():
    with pytest.raises(ValueError, match="not a valid regular expression"):
        combine_with_user_regex(grid_regex(GRIDS["tiny"]), "TimeVJP(")


def test_param_set_name_is_asvs():
    assert (param_set_name("bench_vjp.TimeVJP.time_vjp", ("roll_cubic", "jax_vjp", 1000, 1, "float32"))
            == "bench_vjp.TimeVJP.time_vjp('roll_cubic', 'jax_vjp', 1000, 1, 'float32')")


SETUP_PROBE = """
import sys
from benchmarks.bench_vjp import TimeVJP
from benchmarks.bench_memory import PeakMemReference
from benchmarks.bench_metrics import DeviceTime
calls = {"time": TimeVJP().setup, "device": DeviceTime().setup,
         "reference": PeakMemReference().setup}
kind, *args = eval(sys.argv[1])
try:
    calls[kind](*args)
    print("ran")
except NotImplementedError as exc:
    print("skipped:", exc)
"""


def setup_outcome(grid: str, call: tuple) -> str:
    """Run one benchmark's setup in a fresh process (the suite reads VJPLAB_GRID on import)."""
    out = subprocess.run([sys.executable, "-c", SETUP_PROBE, repr(call)], cwd=ROOT,
                         capture_output=True, text=True, env=dict(os.environ, VJPLAB_GRID=grid),
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("grid, call, outcome", [
    ("tiny", ("time", "banded_conv", "exact", 100, 1, "float32"),
     "skipped: not in the 'tiny' grid (latency sweep): family 'banded_conv' is not one of "
     "'roll_cubic'"),
    ("tiny", ("time", "roll_cubic", "exact", 1000, 1, "float32"),
     "skipped: not in the 'tiny' grid (latency sweep): dimension 1000 is not one of 100"),
    ("tiny", ("time", "roll_cubic", "exact", 100, 1, "float64"),
     "skipped: not in the 'tiny' grid (latency sweep): dtype 'float64' is not one of "
     "'float32'"),
    ("default", ("device", {}, "banded_conv", "exact", 100, 1, "float32"),
     "skipped: not in the 'default' grid (metrics sweep): dimension 100 is not one of 1000, "
     "100000"),
    ("default", ("reference", "roll_cubic", 1000000),
     "skipped: not in the 'default' grid (metrics sweep): dimension 1000000 is not one of "
     "1000, 100000"),
    # The sweeps' own reasons stay.
    ("default", ("time", "roll_cubic", "naive_jacrev", 1000000, 1, "float32"),
     "skipped: naive_jacrev forms the dense Jacobian; this grid runs it only at dimensions "
     "1000"),
    ("default", ("time", "dense_control", "exact", 1000, 16, "float32"),
     "skipped: dense_control ignores locality; it is measured at locality=1 only"),
    ("default", ("time", "roll_cubic", "exact", 1000000, 1, "float64"),
     "skipped: float64 is measured here for " + ", ".join(FLOAT64_FAMILIES) + " only"),
    ("tiny", ("time", "roll_cubic", "exact", 100, 1, "float32"), "ran"),
    ("smoke", ("time", "burgers_1d", "exact", 100, 1, "float64"), "ran"),
])
def test_combinations_outside_the_grid_skip_in_setup_with_the_reason(grid, call, outcome):
    assert setup_outcome(grid, call) == outcome
