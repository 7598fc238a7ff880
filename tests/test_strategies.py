"""Every strategy agrees with the family's hand-written adjoint."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vjplab
from tests.cases import CASES
from tests.geometry import geometry, grid_distance
from vjplab.catalog import SPARSE_STRATEGIES
from vjplab.family.base import ScalarLoss
from vjplab.prepared import Infeasible
from vjplab.strategy import STRATEGIES

# float32 runs one representative non-trivial case per family: its largest N in CASES (~128)
# at the largest k there (3 to 6), where every stencil tap, boundary row and wrap-around occurs.
# (The smallest cases, N = 1 at k = 0 for three families, have no taps to get wrong.)
# Measured at these cases (jax 0.10.2, CPU): every strategy's error <= 5.4e-7 (dense_control),
# 37x below FLOAT32_RTOL; c @ J without its outermost taps: 5.2e-5 (burgers_1d, k = 6: far
# finite-difference weights ~1e-4) to 1 (squared_differences_3d), above it.
LARGEST_CASE_PER_FAMILY = sorted(
    {name: max((c for c in CASES if c[0] == name), key=lambda c: (c[1], c[2]))
     for name, _, _ in CASES}.values())
# The smallest case per family (what float32 ran before) stays, for the degenerate sizes.
SMALLEST_CASE_PER_FAMILY = sorted({name: (name, n, k) for name, n, k in reversed(CASES)}.values())

# float32 tolerance: each output entry sums at most a few hundred products of O(1) terms
# (the dense contraction c @ J sums M terms of which only the stencil's are nonzero), so the
# error is a small multiple of eps32 = 1.2e-7 times the largest magnitude; 2e-5 leaves room for
# the cubic/tanh terms while still catching any wrong sign, index or missing term (O(1) errors).
FLOAT32_RTOL = 2e-5


def relative_error(actual, expected) -> float:
    """max |actual - expected| over max |expected| (over 1 where expected is all zero)."""
    scale = float(jnp.max(jnp.abs(expected))) or 1.0
    return float(jnp.max(jnp.abs(actual - expected))) / scale


def assert_float32_matches(actual: jax.Array, reference: jax.Array) -> None:
    """A float32 VJP agrees with the float64 reference up to float32 rounding (FLOAT32_RTOL)."""
    assert actual.dtype == jnp.float32 and actual.shape == reference.shape
    error = relative_error(actual.astype(jnp.float64), reference)
    assert error < FLOAT32_RTOL, f"relative error {error:.3g} >= {FLOAT32_RTOL:g}"


#: Strategies checked against the hand-written adjoint (``exact`` wraps that adjoint itself:
#: compared with it, it could never fail; see test_exact_strategy_matches_jax_vjp_float64).
AUTODIFF_STRATEGIES = [s for s in vjplab.strategies() if s != "exact"]


def vjp_or_skip(strategy: str, p: vjplab.Problem):
    """``vjplab.vjp(strategy, p)``; a sparse strategy skips, with the reason, where it cannot
    run: a scalar loss (one dense row), its optional library missing (the ``sparse`` extra),
    or a primitive asdex's pattern detection has no rule for (tests/test_sparse.py asserts
    which case that is)."""
    if strategy not in SPARSE_STRATEGIES:
        return vjplab.vjp(strategy, p)
    reason = STRATEGIES[strategy].infeasible_reason(p)
    if reason:
        pytest.skip(reason)
    try:
        return vjplab.vjp(strategy, p)
    except Infeasible as exc:
        pytest.skip(str(exc))


#: Every autodiff strategy on every case; the sparse ones (a plan and a compile each, ~0.3 s)
#: on the largest and smallest case per family (tests/test_sparse.py checks their Jacobians).
FLOAT64_CASES = [(strategy, *case) for strategy in AUTODIFF_STRATEGIES
                 for case in (CASES if strategy not in SPARSE_STRATEGIES
                              else LARGEST_CASE_PER_FAMILY + SMALLEST_CASE_PER_FAMILY)]


@pytest.mark.parametrize("strategy,family,dimension,locality", FLOAT64_CASES)
def test_strategy_matches_exact_float64(strategy, family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=3)
    actual = vjp_or_skip(strategy, p)(p.x, p.cotangent)
    assert actual.shape == p.x.shape and actual.dtype == jnp.float64
    assert relative_error(actual, p.exact_vjp(p.x, p.cotangent)) < 1e-12


@pytest.mark.parametrize("family,dimension,locality",
                         LARGEST_CASE_PER_FAMILY + SMALLEST_CASE_PER_FAMILY)
def test_exact_strategy_matches_jax_vjp_float64(family, dimension, locality):
    """The ``exact`` strategy against JAX's own VJP (test_families checks the hand-written
    adjoint it runs against jax.vjp on every case; this checks the strategy that wraps it)."""
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=3)
    actual = vjplab.vjp("exact", p)(p.x, p.cotangent)
    assert actual.shape == p.x.shape and actual.dtype == jnp.float64
    assert relative_error(actual, jax.vjp(p.f, p.x)[1](p.cotangent)[0]) < 1e-12


def float32_problems(family: str, dimension: int, locality: int) -> tuple[vjplab.Problem, jax.Array]:
    """The float32 problem and the float64 hand-written adjoint at the same (rounded) inputs."""
    p32 = vjplab.problem(family, dimension, locality, dtype="float32", seed=3)
    p64 = vjplab.problem(family, dimension, locality, dtype="float64", seed=3)
    return p32, p64.exact_vjp(p64.x, p64.cotangent)  # same seed: same inputs, rounded


@pytest.mark.parametrize("strategy", vjplab.strategies())
@pytest.mark.parametrize("family,dimension,locality",
                         LARGEST_CASE_PER_FAMILY + SMALLEST_CASE_PER_FAMILY)
def test_strategy_matches_exact_float32(strategy, family, dimension, locality):
    p32, reference = float32_problems(family, dimension, locality)
    assert_float32_matches(vjp_or_skip(strategy, p32)(p32.x, p32.cotangent), reference)


def dense_float32_vjp(p32: vjplab.Problem, drop_outer_taps: bool) -> jax.Array:
    """c @ J in float32 from the dense Jacobian; with ``drop_outer_taps`` the taps at grid
    distance exactly k (k >= 1) are left out, as an off-by-one tap loop ``range(1, k)`` would."""
    jacobian = np.array(jax.jacfwd(p32.f)(p32.x))
    if drop_outer_taps and p32.locality >= 1:
        rows, cols = np.indices(jacobian.shape).reshape(2, -1)
        outer = grid_distance(geometry(p32), rows, cols) == p32.locality
        assert outer.any()
        jacobian[rows[outer], cols[outer]] = 0
    return jnp.matmul(p32.cotangent, jnp.asarray(jacobian), precision=jax.lax.Precision.HIGHEST)


# Scalar losses are left out: their one output has no grid position, so no tap of c @ J sits at
# distance k (tests/test_scalar_losses.py checks the float32 test against a loss without its
# outermost terms instead).
LOCALITY_FAMILIES = [f for f in vjplab.families() if vjplab.FAMILIES[f].uses_locality
                     and not isinstance(vjplab.FAMILIES[f], ScalarLoss)]


@pytest.mark.parametrize("variant", ["real", "outer_taps_dropped"])
@pytest.mark.parametrize("family", LOCALITY_FAMILIES)
def test_float32_check_catches_a_dropped_tap(family, variant):
    """At the float32 test's case the check passes c @ J and fails c @ J without the outermost
    taps. (The smallest cases the test ran before, N = 1 at k = 0 for three families, have no
    outer taps: there this bug changes nothing.)"""
    case = next(c for c in LARGEST_CASE_PER_FAMILY if c[0] == family)
    p32, reference = float32_problems(*case)
    actual = dense_float32_vjp(p32, drop_outer_taps=variant == "outer_taps_dropped")
    if variant == "real":
        assert_float32_matches(actual, reference)
        return
    with pytest.raises(AssertionError, match="relative error"):
        assert_float32_matches(actual, reference)


def test_strategies_registered():
    assert {"naive_jacrev", "naive_jacfwd", "jax_vjp", "grad_dot", "linearize_transpose",
            "exact"} <= set(vjplab.strategies())
    # sorted, the sparse ones last (asv's graphs open on the first strategy: catalog)
    from vjplab.catalog import SPARSE_STRATEGIES
    assert vjplab.strategies() == sorted(vjplab.strategies(),
                                         key=lambda s: (s in SPARSE_STRATEGIES, s))
    assert vjplab.strategies()[0] == "exact"


def test_memory_estimates_scale():
    small = vjplab.problem("roll_cubic", 1000, 1)
    large = vjplab.problem("roll_cubic", 10000, 1)
    dense, linear = STRATEGIES["naive_jacrev"], STRATEGIES["jax_vjp"]
    assert dense.memory_bytes(large) == pytest.approx(100 * dense.memory_bytes(small), rel=0.01)
    assert linear.memory_bytes(large) == 10 * linear.memory_bytes(small)
    # A dense Jacobian at N = 1e5 is 40 GB in float32: over any default budget.
    huge = vjplab.problem("roll_cubic", 100_000, 1)
    assert "budget" in dense.infeasible_reason(huge)
    assert linear.infeasible_reason(huge) is None
    assert dense.infeasible_reason(small) is None


def test_memory_budget_env(monkeypatch):
    p = vjplab.problem("roll_cubic", 1000, 1)
    monkeypatch.setenv("VJPLAB_MEMORY_BUDGET_BYTES", "1000")
    assert STRATEGIES["naive_jacrev"].infeasible_reason(p) is not None
    monkeypatch.setenv("VJPLAB_MEMORY_BUDGET_BYTES", "lots")
    with pytest.raises(ValueError, match="positive integer"):
        vjplab.memory_budget_bytes()


def test_dense_control_workspace_counts_for_every_strategy():
    p = vjplab.problem("dense_control", 100_000, 1)  # W alone would be 40 GB
    for name in vjplab.strategies():
        assert "budget" in STRATEGIES[name].infeasible_reason(p)
