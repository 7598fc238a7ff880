"""``brusselator_2d``: the residual of the 2-D Brusselator reaction–diffusion system (periodic).

Two species ``u, v`` on an ``n x n`` periodic grid (unit spacing), so N = M = 2 n^2. Flattening is
species-major, each species in C order of the grid::

    x = concat(u.ravel(), v.ravel()),   u[i, j] = x[i n + j],   v[i, j] = x[n^2 + i n + j]

and the output is laid out the same way: ``f(x) = concat(f_u.ravel(), f_v.ravel())``.
``Spec.grid_shape`` is ``(2, n, n)``, i.e. ``x.reshape(grid_shape)`` stacks ``u`` over ``v``.

Function (the standard Brusselator, with the constants of the SciML ``brusselator_2d`` benchmark
and a fixed diffusion coefficient on the unit-spacing grid)::

    f_u = A + u^2 v - (B + 1) u + alpha Lap_k(u)
    f_v = B u - u^2 v           + alpha Lap_k(v)

    A = 1,  B = 3.4,  alpha = 0.1

``Lap_k`` is the radius-k Laplacian: on each axis the central second-difference stencil of order
2k (the most accurate one on 2k + 1 points), summed over both axes, indices mod n::

    Lap_k(u)[i, j] = sum_{o=-k..k} w_o (u[i + o, j] + u[i, j + o])

    w_o = 2 (-1)^(o+1) / o^2 * (k!)^2 / ((k - o)! (k + o)!)    (o != 0),   w_{-o} = w_o
    w_0 = -2 sum_{o=1..k} 1 / o^2

(k = 1: [1, -2, 1]; k = 2: [-1/12, 4/3, -5/2, 4/3, -1/12]). The closed form is the solution of
the Vandermonde moment system ``sum_o w_o o^m = 2 [m == 2]`` (m = 0..2k); it is evaluated once in
float64 with the ratio ``(k!)^2 / ((k-o)!(k+o)!) = prod_{i=1..o} (k - i + 1) / (k + i)``, which
stays accurate for every k (the Vandermonde solve itself is ill-conditioned beyond k ~ 10), then
cast to the spec's dtype.

Locality: ``f_u[i, j]`` and ``f_v[i, j]`` depend on ``u`` and ``v`` only within grid distance k in
every axis (a "plus"-shaped stencil of radius k). k runs over 1..(n - 1) // 2, so the 2k + 1
offsets of each axis are distinct mod n; hence n >= 3 and N is one of 18, 32, 50, 72, ...

Jacobian (4k + 2 structural nonzeros per row; ``delta`` is the plus stencil)::

    d f_u[p] / d u[q] = (2 u v - (B + 1))[p] [q == p] + alpha (Lap_k)_{pq}
    d f_u[p] / d v[q] = u[p]^2 [q == p]
    d f_v[p] / d u[q] = (B - 2 u v)[p] [q == p]
    d f_v[p] / d v[q] = -u[p]^2 [q == p] + alpha (Lap_k)_{pq}

with ``(Lap_k)_{pq} = 2 w_0`` at q = p and ``w_o`` at q = p + o e_a (a in {0, 1}, 1 <= |o| <= k).
The pattern is the plus stencil in the diagonal blocks plus the diagonal of the off-diagonal
blocks. Entries can be numerically zero at special inputs: ``u[p] = 0`` zeroes both ``u^2`` entries,
``2 u v = B + 1 - 2 alpha w_0`` or ``2 u v = B`` zero a diagonal entry, and for large k the far
weights (``|w_k| ~ 4^-k``) underflow: ``alpha w_k`` is exactly zero in float32 from k = 70
(n >= 141) and in float64 from k = 531; ``sparsity_coo`` lists them all anyway.

Adjoint (the hand-written VJP). ``Lap_k`` is symmetric on the periodic grid (``w_{-o} = w_o``),
so ``Lap_k^T = Lap_k``; for ``c = concat(c_u.ravel(), c_v.ravel())``::

    (J^T c)_u = c_u (2 u v - (B + 1)) + c_v (B - 2 u v) + alpha Lap_k(c_u)
    (J^T c)_v = (c_u - c_v) u^2                        + alpha Lap_k(c_v)

Sample input: a perturbation of the homogeneous steady state ``u* = A, v* = B / A``:
``u = A (1 + 0.1 z_u)``, ``v = (B / A) (1 + 0.1 z_v)`` with ``z`` standard normal.
"""

from __future__ import annotations

import functools
import math
import operator

import jax.numpy as jnp
import numpy as np

from vjplab.family.base import Family, Spec, register_family

#: Brusselator constants (those of the SciML ``brusselator_2d`` benchmark) and diffusion.
A: float = 1.0
B: float = 3.4
ALPHA: float = 0.1
#: Relative size of the noise added to the steady state by ``sample_input``.
NOISE: float = 0.1
#: Smallest grid side: k = 1 needs 3 distinct offsets per axis.
MIN_SIDE: int = 3


def laplacian_weights(k: int) -> np.ndarray:
    """The order-2k central second-difference weights ``w_0..w_k`` (float64, ``w_{-o} = w_o``)."""
    weights = np.zeros(k + 1, dtype=np.float64)
    ratio = 1.0  # (k!)^2 / ((k - o)! (k + o)!), built up one factor at a time
    for o in range(1, k + 1):
        ratio *= (k - o + 1) / (k + o)
        weights[o] = 2.0 * (-1.0) ** (o + 1) / o**2 * ratio
    weights[0] = -2.0 * math.fsum(1.0 / o**2 for o in range(1, k + 1))
    return weights


def _side(dimension: int) -> int | None:
    """n with 2 n^2 == dimension, or None."""
    if dimension % 2:
        return None
    n = math.isqrt(dimension // 2)
    return n if 2 * n * n == dimension else None


def _nearest_text(dimension: int) -> str:
    """The valid dimensions either side of an invalid ``dimension``, for error messages."""
    n = math.isqrt(dimension // 2)
    if n < MIN_SIDE:
        return str(2 * MIN_SIDE * MIN_SIDE)
    return f"{2 * n * n} or {2 * (n + 1) ** 2}"


def periodic_laplacian(w: np.ndarray, z: "jnp.ndarray") -> "jnp.ndarray":
    """``Lap_k(z)`` for a d-dimensional array ``z``: on each axis the order-2k central stencil
    with weights ``w`` (``laplacian_weights(k)``), summed over the axes, indices periodic.

    On an (n, n) array this is the plus-shaped radius-k stencil of ``brusselator_2d``, its terms
    added in the same order as always (axis 0 before axis 1, +o before -o)."""
    out = z.ndim * w[0] * z
    for o in range(1, len(w)):
        taps = functools.reduce(operator.add, (jnp.roll(z, sign * o, axis=axis)
                                               for axis in range(z.ndim) for sign in (1, -1)))
        out = out + w[o] * taps
    return out


@register_family
class Brusselator2D(Family):
    name = "brusselator_2d"
    min_locality = 1

    # --- sizes -------------------------------------------------------------------------------
    def grid_shape(self, dimension: int) -> tuple[int, ...]:
        n = _side(dimension)
        if n is None or n < MIN_SIDE:
            examples = ", ".join(str(2 * m * m) for m in range(MIN_SIDE, MIN_SIDE + 3))
            raise ValueError(
                f"{self.name} needs dimension = 2 n^2 for an integer n >= {MIN_SIDE}, "
                f"e.g. {examples}, ...; nearest: {_nearest_text(dimension)}"
            )
        return (2, n, n)

    def nearest_dimension(self, dimension: int) -> int:
        lowest = 2 * MIN_SIDE * MIN_SIDE
        if dimension <= lowest:
            return lowest
        n = math.isqrt(dimension // 2)
        below, above = 2 * n * n, 2 * (n + 1) ** 2
        # Ties go to the smaller grid.
        return below if dimension - below <= above - dimension else above

    def max_locality(self, grid_shape: tuple[int, ...]) -> int:
        return (min(grid_shape[1:]) - 1) // 2

    # --- the function ------------------------------------------------------------------------
    def _constants(self, spec: Spec) -> tuple[np.ndarray, np.generic, np.generic, np.generic]:
        dtype = spec.dtype
        w = laplacian_weights(spec.locality).astype(dtype)
        return w, dtype.type(A), dtype.type(B), dtype.type(ALPHA)

    def function(self, spec: Spec):
        _, n, _ = spec.grid_shape
        w, a, b, alpha = self._constants(spec)

        def f(x):
            u = x[: n * n].reshape(n, n)
            v = x[n * n:].reshape(n, n)
            u2v = u * u * v
            f_u = a + u2v - (b + 1) * u + alpha * periodic_laplacian(w, u)
            f_v = b * u - u2v + alpha * periodic_laplacian(w, v)
            return jnp.concatenate([f_u.ravel(), f_v.ravel()])

        return f

    def exact_vjp(self, spec: Spec):
        _, n, _ = spec.grid_shape
        w, _, b, alpha = self._constants(spec)

        def vjp(x, c):
            u = x[: n * n].reshape(n, n)
            v = x[n * n:].reshape(n, n)
            c_u = c[: n * n].reshape(n, n)
            c_v = c[n * n:].reshape(n, n)
            two_uv = 2 * u * v
            g_u = c_u * (two_uv - (b + 1)) + c_v * (b - two_uv) + alpha * periodic_laplacian(w, c_u)
            g_v = (c_u - c_v) * (u * u) + alpha * periodic_laplacian(w, c_v)
            return jnp.concatenate([g_u.ravel(), g_v.ravel()])

        return vjp

    def sparsity_coo(self, spec: Spec):
        _, n, _ = spec.grid_shape
        k = spec.locality
        n2 = n * n
        i, j = np.divmod(np.arange(n2), n)
        # Plus stencil of radius k (centre once): offsets along axis 0, then axis 1 without 0.
        offsets = np.arange(-k, k + 1)
        nonzero = offsets[offsets != 0]
        plus = np.concatenate([
            ((i[:, None] + offsets) % n) * n + j[:, None],
            i[:, None] * n + (j[:, None] + nonzero) % n,
        ], axis=1)  # (n^2, 4k + 1)
        centre = np.arange(n2)[:, None]
        cols_u = np.concatenate([plus, n2 + centre], axis=1)  # f_u: u plus stencil, v centre
        cols_v = np.concatenate([centre, n2 + plus], axis=1)  # f_v: u centre, v plus stencil
        cols = np.concatenate([cols_u, cols_v], axis=0)
        rows = np.repeat(np.arange(2 * n2), cols.shape[1])
        return rows, cols.ravel()

    def sample_input(self, spec: Spec, rng: np.random.Generator) -> np.ndarray:
        n2 = spec.dimension // 2
        z = rng.standard_normal(spec.dimension)
        steady = np.concatenate([np.full(n2, A), np.full(n2, B / A)])
        return steady * (1.0 + NOISE * z)
