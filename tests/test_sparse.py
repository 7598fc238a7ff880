"""vjplab.sparse: sparse Jacobians by colouring against the dense one (float64), colour counts
against the structure, the sparse strategies, skips with reasons, and the spy picture."""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vjplab
from vjplab import catalog
from vjplab.prepared import Infeasible
from vjplab.sparse import (COLOURING_LIMIT_NNZ, LIBRARIES, SparsePlan, plan, transpose_product,
                           unavailable_reason)

#: vector maps of several structures: periodic band, banded convolution, 1-d and 2-d
#: stencils, a PDE residual with boundaries, and the dense control
CASES = [("roll_cubic", 30, 2), ("banded_conv", 40, 3), ("squared_differences_1d", 30, 2),
         ("squared_differences_2d", 36, 1), ("burgers_1d", 32, 1), ("brusselator_2d", 32, 1),
         ("dense_control", 12, 0)]


#: (library, family) -> the primitive whose missing detection rule makes the plan Infeasible
#: (asdex 0.5.1 has no rule for the barrier dense_control puts on its constant matrix)
UNDETECTABLE = {("asdex", "dense_control"): "optimization_barrier"}


def needs(library: str) -> None:
    reason = unavailable_reason(library)
    if reason:
        pytest.skip(reason)


def plan_or_undetectable(p, library: str) -> SparsePlan | None:
    """``plan(p, library)``; None after checking that a known undetectable case raises
    Infeasible naming its library and primitive."""
    primitive = UNDETECTABLE.get((library, p.family))
    if primitive is None:
        return plan(p, library)
    with pytest.raises(Infeasible, match=f"{library} cannot detect.*{primitive}"):
        plan(p, library)
    return None


def dense_jacobian(p) -> np.ndarray:
    return np.asarray(jax.jacfwd(p.f)(p.x))


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_sparse_jacobian_matches_dense(library, family, dimension, locality):
    needs(library)
    p = vjplab.problem(family, vjplab.nearest_dimension(family, dimension), locality, "float64")
    sparse_plan = plan_or_undetectable(p, library)
    if sparse_plan is None:
        return
    assert isinstance(sparse_plan, SparsePlan) and sparse_plan.library == library
    matrix = jax.jit(sparse_plan.jacobian)(p.x)
    assert matrix.shape == sparse_plan.shape == (p.out_size, p.in_size)
    assert matrix.dtype == jnp.float64
    dense = dense_jacobian(p)
    np.testing.assert_allclose(np.asarray(matrix.todense()), dense, rtol=1e-12, atol=1e-12)
    # every structural nonzero of the family is in the plan's pattern
    assert sparse_plan.nnz >= np.count_nonzero(dense)
    assert sparse_plan.nnz <= p.out_size * p.in_size
    product = jax.jit(transpose_product)(matrix, p.cotangent)
    np.testing.assert_allclose(np.asarray(product), dense.T @ np.asarray(p.cotangent),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.asarray(product), np.asarray(p.exact_vjp(p.x, p.cotangent)),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_colours_respect_the_densest_row(library, family, dimension, locality):
    """Columns of one row need distinct colours, and the colouring is valid: no two columns
    of one colour share a row."""
    needs(library)
    p = vjplab.problem(family, vjplab.nearest_dimension(family, dimension), locality, "float64")
    sparse_plan = plan_or_undetectable(p, library)
    if sparse_plan is None:
        return
    rows, cols = p.sparsity_coo()
    densest_row = np.bincount(rows, minlength=p.out_size).max()
    assert sparse_plan.colours >= densest_row
    assert sparse_plan.colours <= p.in_size
    colours = np.asarray(sparse_plan.column_colours)
    assert colours.shape == (p.in_size,)
    assert len(np.unique(colours[colours >= 0])) == sparse_plan.colours
    pairs = set(zip(rows.tolist(), colours[cols].tolist()))
    assert len(pairs) == len(rows), "two columns of one colour share a row"


@pytest.mark.parametrize("locality", [1, 2, 4])
def test_sparsejac_colours_a_periodic_band_with_2k_plus_1(locality):
    needs("sparsejac")
    taps = 2 * locality + 1
    p = vjplab.problem("roll_cubic", 6 * taps, locality, "float64")
    assert plan(p, "sparsejac").colours == taps
    if unavailable_reason("asdex") is None:
        assert plan(p, "asdex").colours >= taps


@pytest.mark.parametrize("library", LIBRARIES)
def test_strategy_matches_exact_vjp(library):
    needs(library)
    p = vjplab.problem("roll_cubic", 50, 3, "float64")
    vjp = jax.jit(vjplab.STRATEGIES[f"{library}_sparse"].make_vjp(p))
    np.testing.assert_allclose(np.asarray(vjp(p.x, p.cotangent)),
                               np.asarray(p.exact_vjp(p.x, p.cotangent)), rtol=1e-10)


def test_sparse_strategies_are_catalogued():
    assert catalog.SPARSE_STRATEGIES == {f"{lib}_sparse" for lib in LIBRARIES}
    for name in catalog.SPARSE_STRATEGIES:
        assert vjplab.STRATEGIES[name].library in LIBRARIES


@pytest.mark.parametrize("library", LIBRARIES)
def test_missing_library_is_infeasible_with_the_reason(library, monkeypatch):
    monkeypatch.setitem(sys.modules, library, None)  # `import library` raises ImportError
    reason = unavailable_reason(library)
    assert reason is not None and library in reason and "vjplab[sparse]" in reason
    p = vjplab.problem("roll_cubic", 30, 1, "float64")
    with pytest.raises(Infeasible, match=library):
        plan(p, library)
    assert vjplab.STRATEGIES[f"{library}_sparse"].infeasible_reason(p) == reason


def test_old_jax_skips_asdex_with_its_requirement(monkeypatch):
    from vjplab.sparse import libraries

    monkeypatch.setattr(libraries, "installed_jax_version", lambda: "0.4.31")
    reason = unavailable_reason("asdex")
    assert reason is not None and "jax >= 0.9.0" in reason and "0.4.31" in reason
    if unavailable_reason("sparsejac") is None:  # sparsejac declares no JAX bound
        assert libraries.unavailable_reason("sparsejac") is None


def test_unknown_library_is_a_value_error():
    p = vjplab.problem("roll_cubic", 30, 1, "float64")
    for call in (lambda: unavailable_reason("scipy"), lambda: plan(p, "scipy")):
        with pytest.raises(ValueError, match="asdex, sparsejac"):
            call()


@pytest.mark.parametrize("library", LIBRARIES)
def test_scalar_losses_and_large_patterns_are_infeasible(library, monkeypatch):
    from vjplab.sparse import plans

    needs(library)
    loss = vjplab.problem(sorted(catalog.SCALAR_LOSS_FAMILIES)[0], 64, 1, "float64")
    with pytest.raises(Infeasible, match="scalar loss"):
        plan(loss, library)
    p = vjplab.problem("roll_cubic", 30, 1, "float64")
    monkeypatch.setitem(plans.COLOURING_LIMIT_NNZ, library, p.nnz() - 1)
    with pytest.raises(Infeasible, match="COLOURING_LIMIT_NNZ"):
        plan(p, library)
    assert COLOURING_LIMIT_NNZ[library] == p.nnz() - 1


def test_grids_keep_sparse_strategies_to_their_dimensions():
    from vjplab.grid import GRIDS

    default = GRIDS["default"]
    for n in default.latency.all_dimensions:
        assert "sparse phases only" in default.latency.skip_reason("roll_cubic", "asdex_sparse",
                                                                   n, 1)
    assert default.latency.skip_reason("roll_cubic", "jax_vjp", 1000, 1) is None
    sparse = default.sparse
    assert max(sparse.all_dimensions) <= 10_000
    assert not set(sparse.family_names) & catalog.SCALAR_LOSS_FAMILIES
    assert set(sparse.strategy_names) == catalog.SPARSE_STRATEGIES
    combos = [c for c in sparse.combinations() if sparse.skip_reason(*c) is None]
    assert combos and all(c[2] <= 10_000 for c in combos)
    full = GRIDS["full"].latency
    assert full.skip_reason("roll_cubic", "sparsejac_sparse", 1_000_000, 4) is None
    assert "scalar loss" in full.skip_reason("smoothness_1d", "asdex_sparse", 1000, 4)


def test_phases_of_the_smoke_grid(capsys):
    from vjplab.grid import GRIDS
    from vjplab.sparse.phases import COUNTS, PHASES, measure_combinations

    sweep = GRIDS["smoke"].sparse
    combos = [c for c in sweep.combinations() if c[4] == "float32"]
    assert combos
    table = measure_combinations(combos, sweep)
    for combo in combos:
        library = vjplab.STRATEGIES[combo[1]].library
        entry = table[combo]
        if unavailable_reason(library):
            assert entry == {"skipped": unavailable_reason(library)}
            continue
        assert set(entry) == set(PHASES) | set(COUNTS), entry
        for phase in PHASES:
            assert entry[phase]["number"] == 1 and min(entry[phase]["samples"]) > 0
        assert entry["colours"] >= 2 * combo[3] + 1


def test_spy_writes_a_png(tmp_path):
    from vjplab.cli import main
    from vjplab.sparse.spy import default_library

    try:
        default_library()
    except ValueError as exc:
        pytest.skip(str(exc))
    out = tmp_path / "spy.png"
    assert main(["spy", "roll_cubic", "--dimension", "40", "--locality", "2", "-o",
                 str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["spy", "roll_cubic", "--dimension", "40", "--locality", "2", "--library",
                 "scipy", "-o", str(tmp_path / "x.png")]) == 2


def test_report_page_has_the_sparse_phases_and_the_picture(tmp_path):
    """A run with sparse phases: the report's section lists them and shows the spy picture
    (or says why it could not be drawn, with the command); a run without: a note with the
    command."""
    import json

    from tests.asv_files import FOUR, TIME, entry, write_file
    from vjplab.dashboard import report_page, sparse_section

    results = tmp_path / "results"
    params = [["'roll_cubic'"], ["'asdex_sparse'", "'sparsejac_sparse'"], ["1000"], ["4"],
              ["'float32'"]]
    values = {"bench_sparse.SparseColours.track_sparse_colours": [9, 10],
              "bench_sparse.SparsePlanTime.track_sparse_plan_time": [0.25, 0.125],
              "bench_sparse.SparseJacobianTime.track_sparse_jacobian_time": [4e-5, 5e-5],
              "bench_sparse.SparseProductTime.track_sparse_product_time": [3e-5, None]}
    results.mkdir()
    meta = {TIME: {"unit": "seconds", "type": "time", "param_names": FOUR},
            **{name: {"unit": "seconds", "type": "track", "param_names": FOUR + ["dtype"]}
               for name in values}}
    (results / "benchmarks.json").write_text(json.dumps(
        {**{n: {"name": n, "version": "v1" * 32, **m} for n, m in meta.items()}, "version": 2}))
    write_file(results, {TIME: entry([1e-4, 2e-5]),
                         **{name: entry(v, params) for name, v in values.items()}})
    page = report_page.write_report(results, tmp_path / "html", reference_dir=False)
    text = page.read_text()
    section = text[text.index('<section id="sparse">'):]
    section = section[:section.index("</section>")]
    assert ("<tr><td>roll_cubic</td><td>asdex_sparse</td><td>1e3</td><td>4</td><td>9</td>"
            "<td>250 ms</td>") in section
    assert "<td>sparsejac_sparse</td><td>1e3</td><td>4</td><td>10</td>" in section
    assert "&ndash;" in section  # the missing product time is a gap, not a zero
    command = sparse_section.spy_command(*sparse_section.SPY_CASE)
    assert command in section
    spy_png = tmp_path / "html" / report_page.PLOTS_DIR / sparse_section.SPY_NAME
    try:
        from vjplab.sparse.spy import default_library

        default_library()
    except ValueError:
        assert "could not be drawn" in section and not spy_png.exists()
    else:
        assert f'src="{report_page.PLOTS_DIR}/{sparse_section.SPY_NAME}"' in section
        assert spy_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    plain = tmp_path / "plain"
    write_file(plain, {TIME: entry([1e-4, 2e-5])})
    text = report_page.write_report(plain, tmp_path / "plain-html", reference_dir=False)\
        .read_text()
    assert "This run measured no sparse phases" in text and command in text
    assert not (tmp_path / "plain-html" / report_page.PLOTS_DIR / sparse_section.SPY_NAME)\
        .exists()
