"""``least_squares_3d``: the least-squares misfit of a local operator on an n^3 periodic grid
(a scalar loss).

Unknown ``x`` on an ``n x n x n`` periodic grid (unit spacing), N = n^3, C order
(``x[(i n + j) n + l] = X[i, j, l]``; ``Spec.grid_shape`` is ``(n, n, n)``). Loss::

    L(x) = (1/2) ||A x - d||^2 = (1/2) sum_p r[p]^2,   r = A x - d

the data misfit of a linear inverse problem (fit x so that a local operator applied to it
matches data), with ``A`` the steady advection-diffusion operator, radius k::

    A x = -nu Lap_k(x) + sum_{a=0,1,2} v_a D_k^a(x),   nu = 1/10,  v = (1, 1/2, 1/4)

(``NU``, ``VELOCITY``). On each axis a, ``D_k^a`` and the axis's part of ``Lap_k`` are the
order-2k central first- and second-difference stencils of ``burgers_1d`` (``central_weights``:
``a_o`` odd, ``a_{-o} = -a_o``, ``a_0 = 0``; ``b_o`` even), indices mod n. So A is a
"plus"-shaped stencil, NOT symmetric (the advection part is antisymmetric)::

    (A x)[p] = C x[p] + sum_a sum_{o=1..k} ( F_{a,o} x[p + o e_a] + G_{a,o} x[p - o e_a] )
    C = -3 nu b_0,   F_{a,o} = -nu b_o + v_a a_o,   G_{a,o} = -nu b_o - v_a a_o

With ``b_o = 2 a_o / o`` (o >= 1), ``F_{a,o} = a_o (v_a - 2 nu / o)`` and ``G_{a,o} = -a_o (v_a +
2 nu / o)``: none vanishes, because ``2 nu / o <= 1/5`` is below every ``v_a`` (with nu = 1 the
upwind taps at ``o = 2 nu / v_a`` = 2, 4, 8 would be exactly zero).

The data are a fixed smooth field, ``d[i, j, l] = s_i s_j s_l`` with ``s_i = sin(2 pi i / n)``,
formed in-graph from one length-n vector (the compiled program carries no N-sized constant).
As a family it is ``f(x) = [L(x)]`` (M = 1, shape (1,)); see ``ScalarLoss``: the Problem's
cotangent is ``c = [1]``, so every strategy's VJP is ``grad L``, exactly what ``jax.grad(L)``
computes.

Gradient (derivation): ``dL = r^T dr = r^T A dx``, so ``grad L = A^T r = A^T (A x - d)``. The
entry ``A[q, q + o e_a] = F_{a,o}`` becomes ``A^T[p, p - o e_a]``, i.e. the transpose swaps the
forward and backward coefficients::

    (A^T r)[p] = C r[p] + sum_a sum_{o=1..k} ( G_{a,o} r[p + o e_a] + F_{a,o} r[p - o e_a] )
    A^T = -nu Lap_k - sum_a v_a D_k^a          (the adjoint operator: the flow reversed)

and the hand-written VJP is ``J^T c = A^T (c_0 r)`` (one application of A, one of A^T).

Sizes: N = n^3 with n >= 3 (27, 64, 125, ...); k runs over 1..(n - 1) // 2 (the 2k + 1 offsets
of an axis distinct mod n). Other N raise a ValueError naming the nearest valid ones; the
benchmarks run at ``nearest_dimension`` (1e2 -> 125, 1e3 -> 1000, 1e4 -> 10648, 1e5 -> 97336).

Sparsity: the full row (every column of A has its nonzero centre C). ``(A^T r)[p]`` is
numerically zero at special x (e.g. a solution of A x = d); ``sparsity_coo`` lists it anyway.
Hessian: ``A^T A``, two plus stencils composed: ``grad L(x)_p`` depends on x within grid
distance 2k of p (2k along one axis, k in each of two).

Sample input: standard normal (the default).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from vjplab.family.base import ScalarLoss, Spec, register_family
from vjplab.family.burgers_1d import central_weights

#: Diffusion coefficient (2 NU / o < min(VELOCITY) for every o >= 1: no tap of A vanishes).
NU: float = 0.1
#: Advection velocity, one component per grid axis.
VELOCITY: tuple[float, float, float] = (1.0, 0.5, 0.25)


def coefficients(k: int) -> tuple[float, np.ndarray, np.ndarray]:
    """``(C, F, G)`` in float64: ``F[a, o - 1]`` multiplies ``x[p + o e_a]``, ``G[a, o - 1]``
    multiplies ``x[p - o e_a]`` in ``(A x)[p]`` (o = 1..k)."""
    a, b = central_weights(k)  # index k + o holds offset o
    first, second = a[k + 1:], b[k + 1:]
    velocity = np.asarray(VELOCITY)[:, None]
    forward = -NU * second[None, :] + velocity * first[None, :]
    backward = -NU * second[None, :] - velocity * first[None, :]
    return -3.0 * NU * b[k], forward, backward


def _stencil(z: jax.Array, centre: np.generic, forward: np.ndarray,
             backward: np.ndarray) -> jax.Array:
    """``C z[p] + sum_a sum_o (forward[a, o-1] z[p + o e_a] + backward[a, o-1] z[p - o e_a])``,
    periodic: ``A z`` with (forward, backward) = (F, G), ``A^T z`` with (G, F)."""
    out = centre * z
    for o in range(1, forward.shape[1] + 1):
        for axis in range(z.ndim):
            out = out + forward[axis, o - 1] * jnp.roll(z, -o, axis=axis)
            out = out + backward[axis, o - 1] * jnp.roll(z, o, axis=axis)
    return out


@register_family
class LeastSquares3D(ScalarLoss):
    name = "least_squares_3d"
    ndim = 3

    def _constants(self, spec: Spec) -> tuple[np.generic, np.ndarray, np.ndarray, np.ndarray]:
        dtype = spec.dtype
        centre, forward, backward = coefficients(spec.locality)
        n = spec.grid_shape[0]
        profile = np.sin(2 * np.pi * np.arange(n) / n)
        return (dtype.type(centre), forward.astype(dtype), backward.astype(dtype),
                profile.astype(dtype))

    def _residual(self, spec: Spec) -> Callable[[jax.Array], jax.Array]:
        shape = spec.grid_shape
        centre, forward, backward, profile = self._constants(spec)

        def residual(x: jax.Array) -> jax.Array:
            s = jnp.asarray(profile)
            data = s[:, None, None] * s[None, :, None] * s[None, None, :]
            return _stencil(x.reshape(shape), centre, forward, backward) - data

        return residual

    def loss(self, spec: Spec) -> Callable[[jax.Array], jax.Array]:
        residual = self._residual(spec)
        half = spec.dtype.type(0.5)

        def loss(x: jax.Array) -> jax.Array:
            r = residual(x)
            return half * jnp.sum(r * r)

        return loss

    def scaled_gradient(self, spec: Spec) -> Callable[[jax.Array, jax.Array], jax.Array]:
        residual = self._residual(spec)
        centre, forward, backward, _ = self._constants(spec)

        def gradient(x: jax.Array, s: jax.Array) -> jax.Array:
            return _stencil(s * residual(x), centre, backward, forward).ravel()

        return gradient
