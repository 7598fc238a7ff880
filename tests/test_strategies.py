"""Every strategy agrees with the family's hand-written adjoint."""

from __future__ import annotations

import jax.numpy as jnp
import pytest

import vjplab
from tests.cases import CASES
from vjplab.strategy import STRATEGIES

# One representative case per family keeps float32 checks quick; float64 runs them all.
FIRST_CASE_PER_FAMILY = list({name: (name, n, k) for name, n, k in reversed(CASES)}.values())

# float32 tolerance: each output entry sums at most a few hundred products of O(1) terms
# (the dense contraction c @ J sums M terms of which only the stencil's are nonzero), so the
# error is a small multiple of eps32 = 1.2e-7 times the largest magnitude; 2e-5 leaves room for
# the cubic/tanh terms while still catching any wrong sign, index or missing term (O(1) errors).
FLOAT32_RTOL = 2e-5


def relative_error(actual, expected) -> float:
    scale = float(jnp.max(jnp.abs(expected))) or 1.0
    return float(jnp.max(jnp.abs(actual - expected))) / scale


@pytest.mark.parametrize("strategy", vjplab.strategies())
@pytest.mark.parametrize("family,dimension,locality", CASES)
def test_strategy_matches_exact_float64(strategy, family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=3)
    actual = vjplab.vjp(strategy, p)(p.x, p.cotangent)
    assert actual.shape == p.x.shape and actual.dtype == jnp.float64
    assert relative_error(actual, p.exact_vjp(p.x, p.cotangent)) < 1e-12


@pytest.mark.parametrize("strategy", vjplab.strategies())
@pytest.mark.parametrize("family,dimension,locality", FIRST_CASE_PER_FAMILY)
def test_strategy_matches_exact_float32(strategy, family, dimension, locality):
    p32 = vjplab.problem(family, dimension, locality, dtype="float32", seed=3)
    p64 = vjplab.problem(family, dimension, locality, dtype="float64", seed=3)
    actual = vjplab.vjp(strategy, p32)(p32.x, p32.cotangent)
    assert actual.dtype == jnp.float32
    reference = p64.exact_vjp(p64.x, p64.cotangent)  # same seed: same inputs, rounded
    assert relative_error(actual.astype(jnp.float64), reference) < FLOAT32_RTOL


def test_strategies_registered():
    assert {"naive_jacrev", "naive_jacfwd", "jax_vjp", "grad_dot", "linearize_transpose",
            "exact"} <= set(vjplab.strategies())
    assert vjplab.strategies() == sorted(vjplab.strategies())


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
