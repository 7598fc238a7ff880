"""The 'which strategy for how many VJPs' table: winners, ratios and break-even K from numbers,
from a measured table and from asv measurements; the grid's many-VJPs sweeps and selection."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from vjplab.grid import GRIDS, PARAM_SPACE
from vjplab.many import table
from vjplab.many.names import (ADJOINT_METHODS, COTANGENT_FAMILIES, COTANGENT_METHODS,
                               SPARSE_METHODS)
from vjplab.selection import selection_of


def synthetic(setup: dict[str, float], per: dict[str, float], counts=(1, 16, 256)):
    """Times t = setup + per * K of each method at one (family, N)."""
    return {("roll_cubic", m, 1000, k): setup[m] + per[m] * k for m in setup for k in counts}


def test_winners_ratios_and_break_even_from_lines():
    setup = {"exact": 1e-5, "vmap_vjp": 2e-5, "loop_vjp": 0.0, "sparse_asdex": 5.01e-4}
    per = {"exact": 1e-6, "vmap_vjp": 3e-6, "loop_vjp": 3e-5, "sparse_asdex": 1e-6}
    (row,) = table.cotangent_rows(synthetic(setup, per))
    assert row.winners[1].method == "vmap_vjp"
    assert row.winners[256].method == "sparse_asdex"  # 5.01e-4 + 2.56e-4 < 2e-5 + 7.68e-4
    assert math.isclose(row.winners[1].vs_exact, (2e-5 + 3e-6) / (1e-5 + 1e-6))
    # sparse beats vmap where 5.01e-4 + K 1e-6 <= 2e-5 + K 3e-6: K >= 240.5
    assert row.break_even == {"sparse_asdex": 241}
    markdown = table.cotangent_markdown([row])
    assert "| roll_cubic | 1000 | vmap_vjp (2.09x exact) |" in markdown
    assert "asdex: 241" in markdown


def test_break_even_none_and_always():
    assert table.break_even({1: 1.0, 16: 16.0}, [{1: 0.1, 16: 1.6}]) is None  # slower per VJP
    assert table.break_even({1: 0.1, 16: 1.6}, [{1: 1.0, 16: 16.0}]) == 1
    assert table.break_even({1: 1.0}, []) is None
    # ahead at K = 1 but dearer per VJP: it falls behind, so it never pays off for good
    assert table.break_even({1: 0.5, 256: 300.0}, [{1: 1.0, 256: 100.0}]) is None
    # equal cost per VJP: never strictly ahead for large K
    assert table.break_even({1: 2.0, 256: 257.0}, [{1: 1.0, 256: 256.0}]) is None
    # lines 11 + 0.5 K against K: cheaper per VJP, 11 more set-up: from K = 11 / 0.5 = 22 on
    assert table.break_even({1: 11.5, 256: 139.0}, [{1: 1.0, 256: 256.0}]) == 22
    assert table.break_even({1: 11.5, 256: 139.0}, [{1: 1.0, 256: 256.0}], limit=21) is None


def test_linear_fit_is_the_chord_of_the_smallest_and_largest_k():
    a, b = table.linear_fit({1: 3.0 + 2.0, 16: 3.0 + 32.0, 256: 3.0 + 512.0})
    assert math.isclose(a, 3.0) and math.isclose(b, 2.0)
    # the middle point does not move it (a least-squares line would: intercept < 0 here)
    a, b = table.linear_fit({1: 1.0, 16: 1.0, 256: 200.0})
    assert math.isclose(a + b, 1.0) and math.isclose(a + 256 * b, 200.0) and a > 0


def test_from_sweep_and_from_measurements_agree():
    names = ("family", "method", "dimension", "cotangents", "dtype")
    measured = {("burgers_1d", "vmap_vjp", 1000, 16, "float64"): {"seconds": {
                    "samples": [3.0, 1.0, 2.0], "number": 1}},
                ("burgers_1d", "sparse_asdex", 1000, 16, "float64"): {"skipped": "no asdex"}}
    assert table.from_sweep("cotangents", names, measured) == {
        ("burgers_1d", "vmap_vjp", 1000, 16): 2.0}
    ms = [SimpleNamespace(benchmark=table.COTANGENTS_BENCHMARK, value=2.0,
                          params=("'burgers_1d'", "'vmap_vjp'", "1000", "16", "'float64'")),
          SimpleNamespace(benchmark=table.ADJOINT_BENCHMARKS["seconds"], value=0.5,
                          params=("'brusselator_2d'", "'exact'", "1000", "'float64'")),
          SimpleNamespace(benchmark=table.ADJOINT_BENCHMARKS["vjps"], value=40.0,
                          params=("'brusselator_2d'", "'exact'", "1000", "'float64'")),
          SimpleNamespace(benchmark=table.ADJOINT_BENCHMARKS["seconds"], value=float("nan"),
                          params=("'brusselator_2d'", "'dense'", "1000", "'float64'"))]
    cotangents, adjoint = table.from_measurements(ms)
    assert cotangents == {("burgers_1d", "vmap_vjp", 1000, 16): 2.0}
    assert adjoint == {("brusselator_2d", "exact", 1000): {"seconds": 0.5, "iterations": None,
                                                           "vjps": 40.0}}
    html = table.report_section(ms, "machine-x")
    assert 'id="many-vjps"' in html and 'id="adjoint-solve"' in html and "machine-x" in html
    assert "no many-VJPs numbers" in table.report_section([], "m")


def test_grids_run_many_sweeps_on_default_and_full_only():
    default, full = GRIDS["default"], GRIDS["full"]
    assert default.cotangents.dimensions == (1_000,) and default.cotangents.counts == (1, 16, 256)
    # default: every non-scalar family but dense_control, one method per idea (budget)
    assert default.cotangents.families == tuple(f for f in COTANGENT_FAMILIES
                                                if f != "dense_control")
    assert default.cotangents.methods == ("exact", "loop_vjp", "vmap_vjp", "reused_vjp",
                                          "sparse_asdex")
    assert default.adjoint.methods == ("exact", "jax_vjp", "dense", "sparse_asdex")
    # full: everything, at three sizes
    assert full.cotangents.families == COTANGENT_FAMILIES
    assert full.cotangents.methods == COTANGENT_METHODS
    assert full.adjoint.methods == ADJOINT_METHODS
    assert full.cotangents.dimensions == (1_000, 10_000, 100_000)
    # the suite's space keeps the full order whatever grid cut it down
    assert PARAM_SPACE.cotangents.methods == COTANGENT_METHODS
    assert PARAM_SPACE.adjoint.methods == ADJOINT_METHODS
    assert "only at dimensions 1000" in full.many_selection_reason(
        "cotangents", family="dense_control", method="vmap_vjp", dimension=10_000,
        cotangents=1, dtype="float64")
    assert full.cotangents.at_dimensions([1_000, 7]).dimensions == (1_000,)
    with pytest.raises(ValueError, match="allowed: 1000, 10000, 100000"):
        full.cotangents.at_dimensions([7])
    assert "Jacobian is dense" in full.many_selection_reason(
        "cotangents", family="dense_control", method="sparse_sparsejac", dimension=1000,
        cotangents=1, dtype="float64")
    for name in ("history", "tiny", "gpu"):
        assert not list(GRIDS[name].cotangents.combinations()), name
        assert not list(GRIDS[name].adjoint.combinations()), name
    # smoke runs every benchmark kind once (asv's summary page asks for each one's graph)
    assert list(GRIDS["smoke"].cotangents.combinations()) == [
        ("roll_cubic", "exact", 1000, 1, "float64"), ("roll_cubic", "vmap_vjp", 1000, 1, "float64")]
    assert list(GRIDS["smoke"].adjoint.combinations()) == [
        ("brusselator_2d", "exact", 1000, "float64")]
    assert default.many_selection_reason("cotangents", family="roll_cubic", method="vmap_vjp",
                                         dimension=1000, cotangents=16, dtype="float64") is None
    reason = default.many_selection_reason("cotangents", family="smoothness_1d",
                                           method="vmap_vjp", dimension=1000, cotangents=16,
                                           dtype="float64")
    assert "not in the 'default' grid" in reason
    reason = GRIDS["full"].many_selection_reason("adjoint", family="brusselator_2d",
                                                 method="dense", dimension=100_000,
                                                 dtype="float64")
    assert "forms the dense Jacobian" in reason
    with pytest.raises(ValueError, match="no many-VJPs sweep"):
        default.many_selection_reason("latency", family="roll_cubic")
    # a piece of one family keeps only that family's many-VJPs combinations
    piece = default.restricted_to(["burgers_1d"])
    assert piece.cotangents.families == ("burgers_1d",) and piece.adjoint.families == ()


def test_selection_counts_the_default_grids_many_param_sets():
    cotangents = selection_of("bench_many.TimeCotangents.track_cotangents_time")
    adjoint = selection_of("bench_many.AdjointCounts.track_adjoint_vjps")
    families = len(COTANGENT_FAMILIES)
    # default: 7 families x 5 methods x 3 K
    assert len(cotangents.combinations(GRIDS["default"])) == (families - 1) * 5 * 3
    # full: 3 K x (3 sizes x every other family and method + dense_control at 1e3 alone,
    # without the sparse methods)
    assert len(cotangents.combinations(GRIDS["full"])) == 3 * (
        3 * (families - 1) * len(COTANGENT_METHODS)
        + len(COTANGENT_METHODS) - len(SPARSE_METHODS))
    # dense runs only at 1e3
    assert len(adjoint.combinations(GRIDS["default"])) == 4
    assert len(adjoint.combinations(GRIDS["full"])) == 3 * len(ADJOINT_METHODS) - 2
    assert PARAM_SPACE.cotangents.param_names == cotangents.params


def test_bench_many_setup_reads_the_table_and_skips_with_reasons():
    from benchmarks.bench_many import AdjointCounts, AdjointSolve, TimeCotangents
    from benchmarks.params import GRID

    if GRID.name != "default":
        pytest.skip(f"the benchmarks were imported with VJPLAB_GRID={GRID.name}")
    combo = ("roll_cubic", "vmap_vjp", 1000, 16, "float64")
    samples = {"samples": [1.0, 2.0], "number": 1}
    bench = TimeCotangents()
    bench.setup({combo: {"seconds": samples}}, *combo)
    assert bench.track_cotangents_time(None, *combo) == samples
    with pytest.raises(NotImplementedError, match="no asdex here"):
        bench.setup({combo: {"skipped": "no asdex here"}}, *combo)
    with pytest.raises(RuntimeError, match="boom"):
        bench.setup({combo: {"failed": "boom"}}, *combo)
    with pytest.raises(NotImplementedError, match="not in the 'default' grid"):
        bench.setup({}, "smoothness_1d", "vmap_vjp", 1000, 16, "float64")
    solve, counts = AdjointSolve(), AdjointCounts()
    dense = ("brusselator_2d", "dense", 1000, "float64")
    dense_table = {dense: {"seconds": samples, "vjps": None, "iterations": None}}
    solve.setup(dense_table, *dense)
    assert solve.track_adjoint_time(None, *dense) == samples
    with pytest.raises(NotImplementedError, match="makes no VJPs"):  # a skip in setup
        counts.setup(dense_table, *dense)
    gmres = ("brusselator_2d", "exact", 1000, "float64")
    counts.setup({gmres: {"seconds": samples, "vjps": 41, "iterations": 38}}, *gmres)
    assert counts.track_adjoint_vjps(None, *gmres) == 41
    assert counts.track_adjoint_iterations(None, *gmres) == 38
    # both classes share one setup_cache (asv keys it by the function's source line)
    assert AdjointSolve.setup_cache is AdjointCounts.setup_cache


def test_report_page_shows_the_many_section_from_a_results_file(tmp_path):
    """A results file with bench_many numbers: the page names the winner per K with its ratio,
    the break-even and the adjoint rows; a file without them says how to get them."""
    import json

    from tests.asv_files import entry, write_file
    from vjplab.dashboard import report_page

    k_params = [["'roll_cubic'"], ["'exact'", "'vmap_vjp'", "'sparse_asdex'"], ["1000"],
                ["1", "256"], ["'float64'"]]
    # exact 1 + K, vmap 2 + 2 K, sparse 50 + K / 2 (microseconds): sparse wins from K = 32
    times = [1e-6 * t for t in (2, 257, 4, 514, 50.5, 178)]
    a_params = [["'brusselator_2d'"], ["'exact'", "'dense'"], ["1000"], ["'float64'"]]
    results = {table.COTANGENTS_BENCHMARK: entry(times, k_params),
               table.ADJOINT_BENCHMARKS["seconds"]: entry([1e-3, 3e-2], a_params),
               table.ADJOINT_BENCHMARKS["vjps"]: entry([78.0, None], a_params),
               table.ADJOINT_BENCHMARKS["iterations"]: entry([74.0, None], a_params)}
    root = tmp_path / "results"
    write_file(root, results)
    meta = json.loads((root / "benchmarks.json").read_text())
    for name, names, unit in ((table.COTANGENTS_BENCHMARK, k_params, "seconds"),
                              *((b, a_params, u) for b, u in (
                                  (table.ADJOINT_BENCHMARKS["seconds"], "seconds"),
                                  (table.ADJOINT_BENCHMARKS["vjps"], "VJPs"),
                                  (table.ADJOINT_BENCHMARKS["iterations"], "iterations")))):
        meta[name] = {"name": name, "version": "v1" * 32, "unit": unit, "type": "track",
                      "param_names": ["family", "method", "dimension"]
                      + (["cotangents"] if len(names) == 5 else []) + ["dtype"]}
    (root / "benchmarks.json").write_text(json.dumps(meta))
    page = report_page.write_report(root, tmp_path / "html").read_text()
    section = page[page.index('<section id="many">'):]
    section = section[:section.index("</section>")]
    assert "<td>vmap_vjp (2.00x exact)</td>" in section  # K = 1: 4 / 2
    assert "<td>sparse_asdex (0.69x exact)</td>" in section  # K = 256: 178 / 257
    assert "asdex: 32" in section
    assert "<td>dense</td><td>30 ms</td><td>30.00&times;</td>" in section
    assert section.index("<td>exact</td>") < section.index("<td>dense</td>")  # exact first
    assert "<td>exact</td><td>1 ms</td><td>1.00&times;</td><td>74</td><td>78</td>" in section
    empty = tmp_path / "empty"
    write_file(empty, {})
    assert "no many-VJPs numbers" in report_page.write_report(empty, tmp_path / "h2").read_text()
