"""Every family's hand-written adjoint and sparsity pattern against JAX's own derivatives."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vjplab
from tests.cases import CASES


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


@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_sparsity_equals_jacobian_structure(family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=2)
    jacobian = np.asarray(jax.jacfwd(p.f)(p.x))
    pattern = p.sparsity()
    assert pattern.shape == jacobian.shape == (p.out_size, p.in_size)
    assert pattern.dtype == bool
    missed = (jacobian != 0) & ~pattern
    assert not missed.any(), f"sparsity() misses {int(missed.sum())} nonzero entries"
    # At random x no structural entry vanishes numerically for these families.
    np.testing.assert_array_equal(pattern, jacobian != 0)
    rows, cols = p.sparsity_coo()
    assert len(set(zip(rows.tolist(), cols.tolist()))) == len(rows) == p.nnz()


@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_locality_bounds_dependence(family, dimension, locality):
    """Output rows only reach inputs within the family's stencil (max over rows of nnz)."""
    p = vjplab.problem(family, dimension, locality, dtype="float64")
    per_row = p.sparsity().sum(axis=1).max()
    fam = vjplab.FAMILIES[family]
    if fam.uses_locality:
        width = 2 * locality + 1
        assert per_row <= width ** len(p.grid_shape) * max(1, p.in_size // int(np.prod(p.grid_shape)))
    else:
        assert per_row == p.in_size


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
    assert STRATEGIES.names() == vjplab.strategies() == catalog.strategy_names()
    assert {s.name for s in STRATEGIES if s.dense} == catalog.DENSE_STRATEGIES
    assert {f.name for f in FAMILIES if not f.uses_locality} == catalog.LOCALITY_FREE_FAMILIES


def test_listing_names_imports_no_jax():
    """asv processes that only read stored metrics must not pay for importing JAX."""
    import subprocess
    import sys

    code = ("import sys, vjplab; sys.path.insert(0, '.'); import benchmarks.bench_metrics; "
            "print(len(vjplab.families()), 'jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=__import__("pathlib").Path(__file__).resolve().parents[1])
    assert out.stdout.split() == [str(len(vjplab.families())), "False"]
