"""Scalar-loss families (M = 1): the VJP with cotangent 1 is jax.grad, the formulas are their
docstrings', the gradient is local, and bad sizes fail naming the allowed ones.

The registry-driven tests (test_families, test_strategies) cover them too: the adjoint against
jax.vjp, every strategy against the adjoint, the pattern against the dense Jacobian.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vjplab
from tests.cases import CASES
from tests.geometry import SCALAR_LOSSES, gradient_geometry, locality_violations
from tests.test_strategies import (FLOAT32_RTOL, LARGEST_CASE_PER_FAMILY, assert_float32_matches,
                                   vjp_or_skip)
from vjplab.family.base import ScalarLoss
from vjplab.strategy import STRATEGIES

SCALAR_FAMILIES = sorted(SCALAR_LOSSES)
SCALAR_CASES = [case for case in CASES if case[0] in SCALAR_LOSSES]


def test_scalar_losses_are_registered():
    registered = [name for name in vjplab.families()
                  if isinstance(vjplab.FAMILIES[name], ScalarLoss)]
    assert registered == SCALAR_FAMILIES
    assert {name for name, _, _ in SCALAR_CASES} == set(SCALAR_FAMILIES)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("family", SCALAR_FAMILIES)
def test_scalar_loss_shapes_and_cotangent_one(family, dtype):
    n = vjplab.nearest_dimension(family, 1000)
    p = vjplab.problem(family, n, 2, dtype=dtype)
    assert p.out_size == 1 and p.f(p.x).shape == (1,) and p.f(p.x).dtype == p.dtype
    np.testing.assert_array_equal(p.cotangent, np.ones(1, dtype=dtype))
    assert p.sparsity().shape == (1, n) and p.sparsity().all() and p.nnz() == n


@pytest.mark.parametrize("family,dimension,locality", SCALAR_CASES)
def test_exact_vjp_with_cotangent_one_is_jax_grad_float64(family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=4)
    expected = jax.grad(lambda x: p.f(x)[0])(p.x)
    actual = p.exact_vjp(p.x, jnp.ones(1, dtype=jnp.float64))
    assert actual.shape == p.x.shape and actual.dtype == jnp.float64
    np.testing.assert_allclose(actual, expected, rtol=1e-12,
                               atol=1e-12 * float(jnp.max(jnp.abs(expected)) + 1))
    # The Problem's own cotangent is 1, so the Problem's VJP is the gradient itself.
    np.testing.assert_array_equal(p.exact_vjp(p.x, p.cotangent), actual)
    # Any other cotangent scales it.
    np.testing.assert_allclose(p.exact_vjp(p.x, jnp.full(1, -2.5)), -2.5 * expected,
                               rtol=1e-12, atol=1e-12 * float(jnp.max(jnp.abs(expected)) + 1))


@pytest.mark.parametrize("strategy", vjplab.strategies())
@pytest.mark.parametrize("family", SCALAR_FAMILIES)
def test_every_strategy_is_jax_grad(family, strategy):
    p = vjplab.problem(family, vjplab.nearest_dimension(family, 100), 1, dtype="float64", seed=4)
    expected = jax.grad(lambda x: p.f(x)[0])(p.x)
    # sparse strategies skip a scalar loss with the reason (one dense row: nothing to colour)
    np.testing.assert_allclose(vjp_or_skip(strategy, p)(p.x, p.cotangent), expected,
                               rtol=1e-12, atol=1e-12 * float(jnp.max(jnp.abs(expected))))


@pytest.mark.parametrize("family,dimension,locality", SCALAR_CASES)
def test_gradient_is_local(family, dimension, locality):
    """The Hessian's nonzeros lie within the docstring's radius (per axis, periodic), and some
    reach it: grad L is a local vector function even though L depends on every input."""
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=2)
    hessian = np.asarray(jax.hessian(lambda x: p.f(x)[0])(p.x)).reshape(dimension, dimension)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-12, atol=1e-12)
    radius = SCALAR_LOSSES[family][1](locality)
    geo = gradient_geometry(p)
    assert not locality_violations(hessian != 0, geo, radius)
    if radius <= min(p.grid_shape) // 2:  # the radius fits the periodic grid: it is reached
        assert locality_violations(hessian != 0, geo, radius - 1)


# --- the docstring formulas, written again from the docstrings in numpy ---------------------


def stencil_weights(k: int, derivative: int) -> np.ndarray:
    """Order-2k central weights of d/dt (1) or d^2/dt^2 (2) on offsets -k..k (index o + k holds
    offset o): the moment system ``sum_o w_o o^m = m! [m == derivative]`` (m = 0..2k), solved
    exactly in rationals (in floats it is ill-conditioned)."""
    size = 2 * k + 1
    rows = [[Fraction(o) ** m for o in range(-k, k + 1)]
            + [Fraction(math.factorial(m) if m == derivative else 0)] for m in range(size)]
    for col in range(size):  # Gauss-Jordan elimination
        pivot = next(r for r in range(col, size) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(size):
            if r != col and rows[r][col] != 0:
                rows[r] = [a - rows[r][col] * b for a, b in zip(rows[r], rows[col])]
    return np.array([float(row[-1]) for row in rows])


def shift(grid: np.ndarray, offset: int, axis: int) -> np.ndarray:
    """``grid[p + offset e_axis]`` at every p, periodic."""
    return np.roll(grid, -offset, axis=axis)


def reference(family: str, x: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """(L(x), grad L(x)) from the family's docstring (numpy, float64)."""
    if family == "smoothness_1d":
        loss = sum((shift(x, j, 0) - x) ** 2 / j**2 for j in range(1, k + 1)).sum()
        grad = 2 * sum((2 * x - shift(x, -j, 0) - shift(x, j, 0)) / j**2 for j in range(1, k + 1))
        return float(loss), grad
    d = SCALAR_LOSSES[family][0]
    n = round(x.size ** (1 / d))
    shape = (n,) * d
    u = x.reshape(shape)
    second = stencil_weights(k, 2)
    if family == "ginzburg_landau_2d":
        # The difference form of the gradient energy (summation by parts), not the code's.
        gradient_energy = sum(second[k + o] * (shift(u, o, a) - u) ** 2
                              for a in range(2) for o in range(1, k + 1))
        loss = (0.5 * gradient_energy + 0.25 * (u * u - 1) ** 2).sum()
        laplacian = sum(second[k + o] * shift(u, o, a) for a in range(2) for o in range(-k, k + 1))
        return float(loss), (-laplacian + u**3 - u).ravel()
    # least_squares_3d: A as a dense matrix, A x = -nu Lap_k x + sum_a v_a D_k^a x, nu = 0.1.
    first = stencil_weights(k, 1)
    index = np.arange(x.size).reshape(shape)
    matrix = np.zeros((x.size, x.size))
    for a, v in enumerate((1.0, 0.5, 0.25)):
        for o in range(-k, k + 1):
            np.add.at(matrix, (index.ravel(), shift(index, o, a).ravel()),
                      -0.1 * second[k + o] + v * first[k + o])
    s = np.sin(2 * np.pi * np.arange(n) / n)
    data = (s[:, None, None] * s[None, :, None] * s[None, None, :]).ravel()
    residual = matrix @ x - data
    return float(0.5 * residual @ residual), matrix.T @ residual


@pytest.mark.parametrize("family,dimension,locality", SCALAR_CASES)
def test_loss_and_gradient_are_the_docstring_formulas(family, dimension, locality):
    p = vjplab.problem(family, dimension, locality, dtype="float64", seed=6)
    x = np.asarray(p.x)
    loss, grad = reference(family, x, locality)
    np.testing.assert_allclose(float(p.f(p.x)[0]), loss, rtol=1e-10)
    np.testing.assert_allclose(p.exact_vjp(p.x, p.cotangent), grad, rtol=1e-10,
                               atol=1e-10 * np.abs(grad).max())


@pytest.mark.parametrize("family", SCALAR_FAMILIES)
def test_float32_check_catches_the_loss_without_its_outermost_terms(family):
    """The float32 strategy test's tolerance catches an off-by-one in a loss's tap loop: the
    gradient of the same loss at k - 1 (the same x: the seed draws x independently of k)."""
    name, n, k = next(c for c in LARGEST_CASE_PER_FAMILY if c[0] == family)
    assert k >= 2
    reference64 = vjplab.problem(family, n, k, dtype="float64", seed=3)
    expected = reference64.exact_vjp(reference64.x, reference64.cotangent)
    p32 = vjplab.problem(family, n, k, dtype="float32", seed=3)
    assert_float32_matches(vjplab.vjp("jax_vjp", p32)(p32.x, p32.cotangent), expected)
    short = vjplab.problem(family, n, k - 1, dtype="float32", seed=3)
    with pytest.raises(AssertionError, match="relative error"):
        assert_float32_matches(vjplab.vjp("jax_vjp", short)(short.x, short.cotangent), expected)
    assert FLOAT32_RTOL < 1e-3


# --- sizes and their errors --------------------------------------------------------------------


@pytest.mark.parametrize("family,nominal,expected", [
    ("smoothness_1d", 1, 3), ("smoothness_1d", 1000, 1000),
    ("ginzburg_landau_2d", 1, 9), ("ginzburg_landau_2d", 100, 100),
    ("ginzburg_landau_2d", 1000, 1024), ("ginzburg_landau_2d", 100_000, 99_856),
    ("least_squares_3d", 1, 27), ("least_squares_3d", 100, 125),
    ("least_squares_3d", 10_000, 10_648), ("least_squares_3d", 100_000, 97_336),
    ("least_squares_3d", 1_000_000, 1_000_000),
])
def test_nearest_dimension(family, nominal, expected):
    assert vjplab.nearest_dimension(family, nominal) == expected


@pytest.mark.parametrize("family,dimension,message", [
    ("smoothness_1d", 2, r"smoothness_1d needs dimension >= 3; nearest: 3"),
    ("ginzburg_landau_2d", 4, r"needs dimension = n\^2 for an integer n >= 3, "
                              r"e\.g\. 9, 16, 25, \.\.\.; nearest: 9"),
    ("ginzburg_landau_2d", 1000, r"n\^2 .*nearest: 961 or 1024"),
    ("least_squares_3d", 8, r"needs dimension = n\^3 for an integer n >= 3, "
                            r"e\.g\. 27, 64, 125, \.\.\.; nearest: 27"),
    ("least_squares_3d", 100, r"n\^3 .*nearest: 64 or 125"),
])
def test_bad_dimension_names_the_valid_ones(family, dimension, message):
    with pytest.raises(ValueError, match=message):
        vjplab.problem(family, dimension, 1)


@pytest.mark.parametrize("family,dimension,locality,allowed", [
    ("smoothness_1d", 10, 0, "1..4"), ("smoothness_1d", 10, 5, "1..4"),
    ("ginzburg_landau_2d", 100, 0, "1..4"), ("ginzburg_landau_2d", 100, 5, "1..4"),
    ("least_squares_3d", 125, 0, "1..2"), ("least_squares_3d", 1000, 16, "1..4"),
])
def test_bad_locality_names_the_allowed_range(family, dimension, locality, allowed):
    with pytest.raises(ValueError, match=rf"locality {locality} is not allowed for dimension "
                                         rf"{dimension}; allowed: {re.escape(allowed)}"):
        vjplab.problem(family, dimension, locality)


# --- strategies and the memory budget ----------------------------------------------------------


@pytest.mark.parametrize("family", SCALAR_FAMILIES)
def test_naive_jacrev_forms_a_one_row_jacobian(family):
    p = vjplab.problem(family, vjplab.nearest_dimension(family, 100), 1, dtype="float64")
    assert jax.jacrev(p.f)(p.x).shape == (1, p.in_size)
    assert jax.jacfwd(p.f)(p.x).shape == (1, p.in_size)


# --- the grids -----------------------------------------------------------------------------------


def grid_dimensions(grid: str, kind: str, family: str, dtype: str = "float32") -> set[int]:
    from vjplab.grid import GRIDS

    sweep = GRIDS[grid].sweep(kind)
    return {c[2] for c in sweep.combinations()
            if c[0] == family and c[4] == dtype and sweep.skip_reason(*c) is None}


@pytest.mark.parametrize("family", SCALAR_FAMILIES)
def test_scalar_losses_run_in_every_grid_float64_at_the_largest_n(family):
    """Every grid runs the scalar losses as every other family in float32; default and history
    add float64 latency at the largest N, full float64 everywhere."""
    from vjplab.grid import GRIDS

    for grid in ("default", "full", "smoke", "history"):
        for kind in ("latency", "metrics"):
            assert grid_dimensions(grid, kind, family) == grid_dimensions(grid, kind,
                                                                          "roll_cubic")
    for grid in ("default", "history"):
        assert grid_dimensions(grid, "latency", family, "float64") == {1_000_000}
        assert grid_dimensions(grid, "latency", "roll_cubic", "float64") == set()
        assert grid_dimensions(grid, "metrics", family, "float64") == set()
    assert grid_dimensions("full", "latency", family, "float64") == \
        grid_dimensions("full", "latency", family)
    reason = GRIDS["default"].selection_reason("latency", family, "jax_vjp", 1_000, 1,
                                               "float64")
    assert reason == "float64 is measured here at N = 1000000 only"
    assert GRIDS["full"].selection_reason("latency", family, "naive_jacrev", 10_000, 16,
                                          "float64") is None


def test_dense_memory_estimate_of_a_scalar_loss():
    """naive_jacrev of a scalar loss is one reverse pass (O(N)); naive_jacfwd pushes N tangents
    through f (~3 N^2: measured at N = 1e4, k = 1..16, 1.2 to 8 GiB and 1 to 18 s a call), so
    the default budget skips it at 1e4 as it does every square Jacobian's."""
    p = vjplab.problem("ginzburg_landau_2d", 10_000, 1)
    jacrev, jacfwd = STRATEGIES["naive_jacrev"], STRATEGIES["naive_jacfwd"]
    assert jacrev.memory_bytes(p) == (3 * 10_000 + 1) * 4
    assert jacfwd.memory_bytes(p) == (10_000 + 3 * 10_000**2) * 4
    assert jacrev.infeasible_reason(p) is None
    assert "budget" in jacfwd.infeasible_reason(p)
    assert jacfwd.infeasible_reason(vjplab.problem("ginzburg_landau_2d", 1024, 1)) is None
    # A square Jacobian's estimate is the same for both: 4 N^2.
    square = vjplab.problem("roll_cubic", 1000, 1)
    assert jacrev.memory_bytes(square) == jacfwd.memory_bytes(square) == 4 * 1000**2 * 4
