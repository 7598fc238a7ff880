"""``burgers_1d``: the residual of steady viscous Burgers, ``u u_x - nu u_xx``, with Dirichlet ends.

Grid: N unknowns ``u_0 .. u_{N-1}`` at ``t_i = (i + 1) h`` on (0, 1), ``h = 1 / (N + 1)``,
``nu = 0.01`` (``NU``). The stencil has radius k: the k ghost values left of the grid
(``u_{-k} .. u_{-1}``) are the constant ``U_LEFT = 1`` and the k ghost values right of it
(``u_N .. u_{N+k-1}``) are the constant ``U_RIGHT = -1``. Ghosts are constants, not unknowns, so
rows within k of an end see fewer unknowns than interior rows (the problem is not periodic).

Function, with ``ũ`` = u extended by the ghost values::

    (D1 ũ)_i = (1/h)   sum_{j=-k..k} a_j ũ_{i+j}
    (D2 ũ)_i = (1/h^2) sum_{j=-k..k} b_j ũ_{i+j}
    f(u)_i   = u_i (D1 ũ)_i - nu (D2 ũ)_i

``a``, ``b`` are the standard central finite-difference weights of order 2k for the first and the
second derivative on offsets -k..k, from their closed forms (the solution of the Vandermonde
system ``sum_j a_j j^p = p! delta_{p,d}``, p = 0..2k), with ``r_j = (k!)^2 / ((k-j)! (k+j)!)``::

    a_0 = 0,   a_{±j} = ±(-1)^(j+1) r_j / j              (j = 1..k)
    b_0 = -2 sum_{j=1..k} 1/j^2,   b_{±j} = 2 (-1)^(j+1) r_j / j^2

computed in float64 (``r_j`` by its product recurrence, a few ulps) and cast to ``spec.dtype``.

Jacobian (M = N): ``J = diag(D1 ũ) + diag(u) A - nu B`` where ``A``, ``B`` are D1, D2 restricted
to the unknown columns (``A_{i,i+j} = a_j / h``, ``B_{i,i+j} = b_j / h^2`` for
``0 <= i + j < N``); the ghosts enter only ``D1 ũ``. Entries::

    J_ii     = (D1 ũ)_i - nu b_0 / h^2
    J_{i,i+j} = u_i a_j / h - nu b_j / h^2 = (a_j / h) (u_i - 2 nu / (j h))    (j != 0)

The pattern is the band ``|i - j| <= k`` clipped to ``[0, N)``. Every band entry is structurally
nonzero; one is numerically zero only (i) at special inputs (``u_i = 2 nu / (j h)`` for an
off-diagonal, or ``(D1 ũ)_i = nu b_0 / h^2`` on the diagonal) or (ii) for large k, because
``r_k ≈ sqrt(pi k) 4^(-k)``: the outermost weights underflow to 0 from about k = 76 in float32
(subnormal from about k = 64, which GPUs flush to zero) and k = 530 in float64 (subnormal from
about k = 512); the exact thresholds shift a little with N through h.

Locality: ``1 <= k <= N // 2`` (the stencil of the middle row spans at most the whole grid plus
its ghosts), so N >= 2.

Adjoint (the hand-written VJP), with v outside ``[0, N)`` taken as 0::

    J^T c = A^T (u c) + (D1 ũ) c - nu B^T c
    (A^T v)_m = (1/h) sum_{j=-k..k} a_j v_{m-j},   (B^T v)_m = (1/h^2) sum_{j=-k..k} b_j v_{m-j}

applied by zero-padding ``u c`` and ``c`` by k on each side and adding shifted slices.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from vjplab.family.base import Family, Spec, register_family

#: Viscosity.
NU = 0.01
#: Dirichlet value of the k ghost points left of the grid (t <= 0).
U_LEFT = 1.0
#: Dirichlet value of the k ghost points right of the grid (t >= 1).
U_RIGHT = -1.0
#: Amplitude of the standard normal noise added to the smooth sample profile.
SAMPLE_NOISE = 0.1


def central_weights(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Order-2k central FD weights (a, b) for d/dt and d^2/dt^2 on offsets -k..k, unit spacing.

    Index ``j + k`` holds offset j. float64.
    """
    a = np.zeros(2 * k + 1)
    b = np.zeros(2 * k + 1)
    r = 1.0
    for j in range(1, k + 1):
        r *= (k - j + 1) / (k + j)  # r_j = (k!)^2 / ((k - j)! (k + j)!)
        sign = 1.0 if j % 2 == 1 else -1.0
        a[k + j] = sign * r / j
        a[k - j] = -a[k + j]
        b[k + j] = b[k - j] = 2.0 * sign * r / j**2
    b[k] = -2.0 * sum(1.0 / j**2 for j in range(1, k + 1))
    return a, b


def _stencils(spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    """``(a / h, nu b / h^2)`` in ``spec.dtype``: the weights of D1 and of nu D2."""
    k, n = spec.locality, spec.dimension
    h = 1.0 / (n + 1)
    a, b = central_weights(k)
    return (a / h).astype(spec.dtype), (NU * b / h**2).astype(spec.dtype)


@register_family
class Burgers1D(Family):
    name = "burgers_1d"
    min_locality = 1

    def grid_shape(self, dimension: int) -> tuple[int, ...]:
        if dimension < 2:
            raise ValueError(
                f"{self.name}: dimension {dimension} is too small; allowed: dimension >= 2"
            )
        return (dimension,)

    def max_locality(self, grid_shape: tuple[int, ...]) -> int:
        """Largest k: the stencil 2k + 1 spans at most the grid plus one ghost, ``k <= N // 2``."""
        return grid_shape[0] // 2

    def function(self, spec: Spec) -> Callable[[jax.Array], jax.Array]:
        k, n = spec.locality, spec.dimension
        d1w, d2w = _stencils(spec)
        left = np.full(k, U_LEFT, dtype=spec.dtype)
        right = np.full(k, U_RIGHT, dtype=spec.dtype)

        def f(u: jax.Array) -> jax.Array:
            up = jnp.concatenate([left, u, right])
            # up[k + j : k + j + n][i] = ũ_{i + j}.
            d1 = d1w[0] * up[0:n]
            d2 = d2w[0] * up[0:n]
            for m in range(1, 2 * k + 1):
                d1 = d1 + d1w[m] * up[m:m + n]
                d2 = d2 + d2w[m] * up[m:m + n]
            return u * d1 - d2

        return f

    def exact_vjp(self, spec: Spec) -> Callable[[jax.Array, jax.Array], jax.Array]:
        k, n = spec.locality, spec.dimension
        d1w, d2w = _stencils(spec)
        left = np.full(k, U_LEFT, dtype=spec.dtype)
        right = np.full(k, U_RIGHT, dtype=spec.dtype)
        zeros = np.zeros(k, dtype=spec.dtype)

        def vjp(u: jax.Array, c: jax.Array) -> jax.Array:
            up = jnp.concatenate([left, u, right])
            d1 = d1w[0] * up[0:n]
            for m in range(1, 2 * k + 1):
                d1 = d1 + d1w[m] * up[m:m + n]
            # Transposes: offset j = m - k needs v_{i - j} = vp[i + k - j] = vp[2k - m + i].
            ucp = jnp.concatenate([zeros, u * c, zeros])
            cp = jnp.concatenate([zeros, c, zeros])
            out = d1 * c
            for m in range(2 * k + 1):
                s = 2 * k - m
                out = out + d1w[m] * ucp[s:s + n] - d2w[m] * cp[s:s + n]
            return out

        return vjp

    def sparsity_coo(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        k, n = spec.locality, spec.dimension
        rows = np.repeat(np.arange(n), 2 * k + 1)
        cols = rows + np.tile(np.arange(-k, k + 1), n)
        keep = (cols >= 0) & (cols < n)
        return rows[keep], cols[keep]

    def sample_input(self, spec: Spec, rng: np.random.Generator) -> np.ndarray:
        """``cos(pi t)`` (which meets the ghost values 1 and -1) plus 0.1 standard normal noise."""
        n = spec.dimension
        t = np.arange(1, n + 1) / (n + 1)
        return np.cos(np.pi * t) + SAMPLE_NOISE * rng.standard_normal(n)
