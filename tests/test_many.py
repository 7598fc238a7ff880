"""Many VJPs at one point: every K-method agrees with the hand-written adjoint applied K times,
and every adjoint solve's lambda with the dense solve (float64, small N)."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vjplab
from vjplab.many import adjoint, cotangents
from vjplab.many.names import (ADJOINT_FAMILIES, ADJOINT_METHODS, COTANGENT_FAMILIES,
                               COTANGENT_METHODS, SPARSE_METHODS)
from vjplab.family import brusselator_2d
from vjplab.prepared import Infeasible

#: One small case per K family (N ~ 100, k = 2: boundary rows, wrap-around and taps all occur).
COTANGENT_CASES = [(family, vjplab.nearest_dimension(family, 100), 1 if family == "dense_control"
                    else 2) for family in COTANGENT_FAMILIES]


def test_registries_hold_exactly_the_names():
    assert cotangents.K_METHODS.names() == sorted(COTANGENT_METHODS)
    assert adjoint.ADJOINT_SOLVERS.names() == sorted(ADJOINT_METHODS)
    assert not set(COTANGENT_FAMILIES) & {"smoothness_1d", "least_squares_3d",
                                          "ginzburg_landau_2d"}


def _prepared_or_skip(make):
    try:
        return make()
    except Infeasible as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("method", COTANGENT_METHODS)
@pytest.mark.parametrize("family,dimension,locality", COTANGENT_CASES)
def test_k_method_matches_hand_written_adjoint(method, family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=3)
    count = 5
    prepared = _prepared_or_skip(lambda: cotangents.prepare_k(p, method, count))
    result = prepared.stacked()
    stack = cotangents.cotangent_stack(p, count)
    expected = np.stack([np.asarray(p.exact_vjp(p.x, c)) for c in stack])
    assert result.shape == (count, p.in_size) and result.dtype == jnp.float64
    scale = np.max(np.abs(expected))
    assert np.max(np.abs(np.asarray(result) - expected)) <= 1e-12 * scale
    # the rows differ (a method that returned one VJP K times would pass with equal rows)
    assert np.max(np.abs(expected[1] - expected[0])) > 1e-3 * scale


def test_cotangent_stack_starts_with_the_problems_cotangent_and_checks_count():
    p = vjplab.problem("roll_cubic", 50, 1, dtype="float64")
    stack = cotangents.cotangent_stack(p, 3)
    assert stack.shape == (3, 50)
    np.testing.assert_array_equal(stack[0], p.cotangent)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="integer >= 1"):
            cotangents.cotangent_stack(p, bad)
    with pytest.raises(ValueError, match="allowed: exact, loop_vjp"):
        cotangents.prepare_k(p, "nope", 2)


def test_reused_pullback_runs_the_forward_pass_once():
    """``reusable`` splits a pullback: the per-cotangent program holds no forward pass. For
    f = exp, the forward's exp is in ``residuals`` and absent from ``apply`` (which multiplies
    the stored exp(x) by c)."""
    x = jnp.linspace(-1.0, 1.0, 16)
    c = jnp.cos(3.0 * x)
    for build in (lambda y: jax.vjp(jnp.exp, y)[1],
                  lambda y: jax.linear_transpose(jax.linearize(jnp.exp, y)[1], y)):
        residuals, apply = cotangents.reusable(build)
        arrays = residuals(x)
        exp_op = re.compile(r"=\s*exp\b")
        assert exp_op.search(str(jax.make_jaxpr(residuals)(x)))
        assert not exp_op.search(str(jax.make_jaxpr(apply)(arrays, c)))
        np.testing.assert_allclose(apply(arrays, c), jnp.exp(x) * c, rtol=1e-14)


@pytest.fixture(scope="module")
def steady_small():
    return adjoint.steady("brusselator_2d", 200)  # n = 10, N = 200


def test_newton_finds_the_manufactured_root(steady_small):
    sp = steady_small
    assert sp.problem.dimension == 200 and sp.problem.dtype == np.float64
    assert 1 <= sp.newton_steps <= adjoint.NEWTON_MAX_STEPS
    assert float(jnp.linalg.norm(sp.residual(sp.u))) <= adjoint.NEWTON_TOL * max(
        1.0, float(jnp.linalg.norm(sp.source)))
    # u* is the sample's noise scaled to MANUFACTURED_NOISE around the homogeneous state
    u0 = adjoint.initial_guess(sp.problem)
    np.testing.assert_allclose((sp.root - u0) / (sp.problem.x - u0),
                               adjoint.MANUFACTURED_NOISE / brusselator_2d.NOISE, rtol=1e-12)
    # the start (homogeneous state) is not the root; Newton lands on u*
    assert float(jnp.max(jnp.abs(u0 - sp.root))) > 0.02
    np.testing.assert_allclose(sp.u, sp.root, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ADJOINT_METHODS)
def test_adjoint_solution_matches_dense_solve(steady_small, method):
    sp = steady_small
    jacobian = np.asarray(jax.jacfwd(sp.problem.f)(sp.u))
    expected = np.linalg.solve(jacobian.T, np.asarray(sp.g))
    prepared = _prepared_or_skip(lambda: adjoint.prepare_adjoint(sp, method))
    lam = np.asarray(prepared.call())
    error = np.linalg.norm(lam - expected) / np.linalg.norm(expected)
    assert error <= adjoint.LAMBDA_RTOL, f"{method}: relative error {error:.3g}"
    # lambda really solves the adjoint system
    assert np.linalg.norm(jacobian.T @ lam - np.asarray(sp.g)) <= 1e-8 * np.linalg.norm(sp.g)


@pytest.mark.parametrize("method", ["exact", "reused_vjp"])
def test_count_solve_counts_operator_applications(steady_small, method):
    count = adjoint.count_solve(steady_small, method)
    restart = adjoint.GMRES_OPTIONS["restart"]
    assert count.iterations >= 5  # a random right-hand side needs several Krylov steps
    assert count.vjps == 1 + count.iterations + -(-count.iterations // restart)
    assert adjoint.count_solve(steady_small, "dense") is None


def test_every_vjp_strategy_counts_the_same_iterations(steady_small):
    counts = {m: adjoint.count_solve(steady_small, m)
              for m in ("exact", "jax_vjp", "grad_dot", "linearize_transpose")}
    assert len({c.iterations for c in counts.values()}) == 1, counts


def test_krylov_steps_inverts_the_count():
    restart = adjoint.GMRES_OPTIONS["restart"]
    for steps in range(0, 200):
        assert adjoint.krylov_steps(1 + steps + -(-steps // restart)) == steps
    with pytest.raises(ValueError, match="no incremental GMRES run"):
        adjoint.krylov_steps(1 + restart + 2, restart=restart)  # 30 steps = 1 cycle: 32, not 33


def test_steady_rejects_other_families_and_float32():
    with pytest.raises(ValueError, match="allowed: brusselator_2d"):
        adjoint.steady("roll_cubic", 100)
    with pytest.raises(ValueError, match="allowed: float64"):
        adjoint.steady("brusselator_2d", 200, dtype="float32")


def test_sparse_methods_skip_with_a_reason_when_unavailable():
    p = vjplab.problem("roll_cubic", 50, 1, dtype="float64")
    for method in SPARSE_METHODS:
        try:
            cotangents.prepare_k(p, method, 2)
        except Infeasible as exc:
            assert str(exc)  # a reason, never an empty skip
    with pytest.raises(ValueError, match="allowed: asdex, sparsejac"):
        cotangents.sparse_plan(p, "scipy")
