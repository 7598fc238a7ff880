"""Every family's hand-written adjoint and sparsity pattern against JAX's own derivatives."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vjplab
from tests.cases import CASES
from tests.geometry import geometry, locality_violations
from vjplab.family.base import ScalarLoss


def test_every_family_has_cases():
    covered = {name for name, _, _ in CASES}
    assert covered == set(vjplab.families())
    assert len(vjplab.families()) >= 6


@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_exact_vjp_matches_jax_vjp_float64(family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=1)
    expected = jax.vjp(p.f, p.x)[1](p.cotangent)[0]
    actual = p.exact_vjp(p.x, p.cotangent)
    assert actual.shape == p.x.shape and actual.dtype == jnp.float64
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * float(jnp.max(jnp.abs(expected)) + 1))


@functools.lru_cache(maxsize=None)
def dense_jacobian(family: str, dimension: int, locality: int) -> np.ndarray:
    """jax.jacfwd of the float64 problem at seed 2 (shared by the sparsity and locality tests)."""
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=2)
    jacobian = np.asarray(jax.jacfwd(p.f)(p.x))
    jacobian.flags.writeable = False
    return jacobian


@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_sparsity_equals_jacobian_structure(family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=2)
    jacobian = dense_jacobian(family, dimension, locality)
    pattern = p.sparsity()
    assert pattern.shape == jacobian.shape == (p.out_size, p.in_size)
    assert pattern.dtype == bool
    missed = (jacobian != 0) & ~pattern
    assert not missed.any(), f"sparsity() misses {int(missed.sum())} nonzero entries"
    # At random x no structural entry vanishes numerically for these families.
    np.testing.assert_array_equal(pattern, jacobian != 0)
    rows, cols = p.sparsity_coo()
    assert len(set(zip(rows.tolist(), cols.tolist()))) == len(rows)  # no duplicates
    assert p.nnz() == int(np.count_nonzero(jacobian))


def stencil_count_check(mask: np.ndarray, p: vjplab.Problem) -> bool:
    """The old check: no row has more nonzeros than a radius-k stencil has points.

    Blind to WHERE the nonzeros are: a band shifted by one has the same count per row. Kept
    only to show that blindness (test_locality_check_catches_a_shifted_band).
    """
    width = 2 * p.locality + 1
    fields = max(1, p.in_size // int(np.prod(p.grid_shape)))
    return int(mask.sum(axis=1).max()) <= width ** len(p.grid_shape) * fields


def assert_within_locality(mask: np.ndarray, p: vjplab.Problem) -> None:
    """Every nonzero (i, j) of ``mask`` (M x N) lies within grid distance k of output i."""
    violations = locality_violations(mask, geometry(p), p.locality)
    assert not violations, (
        f"{len(violations)} nonzeros beyond distance k={p.locality}, e.g. (row, col, distance) "
        f"{violations[:5]}")


@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_locality_bounds_dependence(family, dimension, locality):
    """Every structural nonzero of the Jacobian (jacfwd at random x, and the declared pattern)
    lies within distance k of its output on the family's grid (periodic axes wrap)."""
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=2)
    jacobian = dense_jacobian(family, dimension, locality) != 0
    if isinstance(vjplab.FAMILIES[family], ScalarLoss):
        # One output that depends on every input; the locality is the Hessian's
        # (tests/test_scalar_losses.py: test_gradient_is_local).
        assert jacobian.shape == (1, p.in_size) and jacobian.all() and p.sparsity().all()
    elif vjplab.FAMILIES[family].uses_locality:
        assert jacobian.any()
        assert_within_locality(jacobian, p)
        assert_within_locality(p.sparsity(), p)
    else:  # the control: every output depends on every input
        assert jacobian.all() and p.sparsity().all()


# Shifting the input by one flat index moves every stencil by one along the fastest grid axis:
# same count per row, but the far taps now sit at distance k + 1 (k + 1 <= n / 2 on periodic
# axes, so the shift does not wrap back within k).
SHIFTED_BAND_CASES = [("roll_cubic", 64, 2), ("banded_conv", 33, 2), ("burgers_1d", 18, 2),
                      ("brusselator_2d", 98, 2), ("squared_differences_1d", 33, 2),
                      ("squared_differences_2d", 64, 2), ("squared_differences_3d", 125, 2)]


@pytest.mark.parametrize("variant", ["real", "shifted_band"])
@pytest.mark.parametrize("family,dimension,locality", SHIFTED_BAND_CASES)
def test_locality_check_catches_a_shifted_band(family, dimension, locality, variant):
    """The distance check passes the real function and fails one whose band is shifted by
    one input, which the old per-row count check passes."""
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=2)
    f = p.f if variant == "real" else (lambda x: p.f(jnp.roll(x, -1)))
    jacobian = np.asarray(jax.jit(jax.jacfwd(f))(p.x)) != 0
    assert stencil_count_check(jacobian, p)  # the old check cannot tell the two apart
    if variant == "real":
        assert_within_locality(jacobian, p)
    else:
        with pytest.raises(AssertionError, match="beyond distance"):
            assert_within_locality(jacobian, p)


def test_cotangent_is_the_draw_after_x():
    """A family that does not override sample_cotangent keeps the cotangent it always had: the
    standard normal draw that follows x's in the seed's stream (stored results stay comparable)."""
    p = vjplab.problem("brusselator_2d", 98, 2, dtype="float64", seed=5)
    rng = np.random.default_rng(5)
    vjplab.FAMILIES["brusselator_2d"].sample_input(p.spec, rng)
    np.testing.assert_array_equal(p.cotangent, rng.standard_normal(p.out_size))


def test_same_seed_same_arrays():
    a = vjplab.problem("roll_cubic", 50, 2, seed=7)
    b = vjplab.problem("roll_cubic", 50, 2, seed=7)
    c = vjplab.problem("roll_cubic", 50, 2, seed=8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.cotangent, b.cotangent)
    assert not np.array_equal(a.x, c.x)


def test_roll_cubic_k1_is_the_tutorial_function_exactly():
    for dtype in ("float32", "float64"):
        p = vjplab.problem("roll_cubic", 1000, 1, dtype=dtype)
        tutorial = p.x**3 - jnp.roll(p.x, -1) ** 2 - jnp.roll(p.x, 1) ** 2
        np.testing.assert_array_equal(p.f(p.x), tutorial)
        np.testing.assert_array_equal(jax.jit(p.f)(p.x), jax.jit(
            lambda x: x**3 - jnp.roll(x, -1) ** 2 - jnp.roll(x, 1) ** 2)(p.x))


@pytest.mark.parametrize("family", vjplab.families())
def test_float32_problem_stays_float32(family):
    fam = vjplab.FAMILIES[family]
    n = fam.nearest_dimension(64)
    p = vjplab.problem(family, n, fam.min_locality if fam.min_locality else 1, dtype="float32")
    for array in (p.x, p.cotangent, p.f(p.x), p.exact_vjp(p.x, p.cotangent)):
        assert array.dtype == jnp.float32


def test_catalog_matches_registries():
    from vjplab import catalog
    from vjplab.family import FAMILIES
    from vjplab.strategy import STRATEGIES

    assert FAMILIES.names() == vjplab.families() == catalog.family_names()
    assert vjplab.strategies() == catalog.strategy_names()
    assert sorted(STRATEGIES.names()) == sorted(catalog.strategy_names())
    # asv's graph opens on the first value: a plain strategy, never a sparse one
    order = catalog.strategy_names()
    assert order[0] not in catalog.SPARSE_STRATEGIES
    assert order[-len(catalog.SPARSE_STRATEGIES):] == sorted(catalog.SPARSE_STRATEGIES)
    assert {s.name for s in STRATEGIES if s.dense} == catalog.DENSE_STRATEGIES
    assert {f.name for f in FAMILIES if not f.uses_locality} == catalog.LOCALITY_FREE_FAMILIES
    assert {f.name for f in FAMILIES if isinstance(f, ScalarLoss)} == catalog.SCALAR_LOSS_FAMILIES


def test_listing_names_imports_no_jax():
    """asv processes that only read stored metrics must not pay for importing JAX."""
    import subprocess
    import sys

    code = ("import sys, vjplab; sys.path.insert(0, '.'); import benchmarks.bench_metrics; "
            "print(len(vjplab.families()), 'jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=__import__("pathlib").Path(__file__).resolve().parents[1])
    assert out.stdout.split() == [str(len(vjplab.families())), "False"]
