"""``ginzburg_landau_2d``: the discretised Ginzburg-Landau (Allen-Cahn) energy on an n x n
periodic grid (a scalar loss).

Field ``u`` on an ``n x n`` periodic grid (unit spacing), N = n^2, ``u[i, j] = x[i n + j]``
(C order; ``Spec.grid_shape`` is ``(n, n)``). Energy, with ``kappa = 1`` (``KAPPA``)::

    E(u) = sum_p [ (kappa / 2) |grad_k u|^2[p] + (1/4) (u[p]^2 - 1)^2 ]
         = sum_p [ -(kappa / 2) u[p] Lap_k(u)[p] + (1/4) (u[p]^2 - 1)^2 ]

the gradient energy plus the double-well potential of phase-field models (its gradient flow is
the Allen-Cahn equation, its H^-1 flow Cahn-Hilliard). ``Lap_k`` is the radius-k Laplacian of
``brusselator_2d`` (``periodic_laplacian``): on each axis the order-2k central second-difference
stencil ``w_0..w_k`` (``laplacian_weights``), summed over both axes, indices mod n. The two lines
agree by summation by parts: on a periodic axis, with ``w_0 = -2 sum_{o>=1} w_o``,

    -(1/2) sum_p u[p] Lap_k(u)[p] = (1/2) sum_p sum_{a=0,1} sum_{o=1..k} w_o (u[p + o e_a] - u[p])^2

(k = 1: ``(1/2)`` the sum of squared forward differences, the textbook ``|grad u|^2``); the code
evaluates the first form. As a family it is ``f(x) = [E(x)]`` (M = 1, shape (1,)); see
``ScalarLoss``: the Problem's cotangent is ``c = [1]``, so every strategy's VJP is ``grad E``,
exactly what ``jax.grad(E)`` computes.

Gradient (derivation): ``Lap_k`` is symmetric on the periodic grid (``w_{-o} = w_o``), so the
quadratic term ``-(kappa/2) u^T Lap_k u`` has gradient ``-(kappa/2) (Lap_k + Lap_k^T) u =
-kappa Lap_k u``; the potential's is ``(u^2 - 1) u``. Hence the chemical potential::

    grad E = mu = -kappa Lap_k(u) + u^3 - u

and the hand-written VJP is ``J^T c = c_0 mu`` (one Laplacian, no autodiff).

Sizes: N = n^2 with n >= 3 (9, 16, 25, ...); k runs over 1..(n - 1) // 2 (the 2k + 1 offsets of
an axis distinct mod n). Other N raise a ValueError naming the nearest valid ones; the
benchmarks run at ``nearest_dimension`` (1e3 -> 1024, 1e4 -> 10000).

Sparsity: the full row (E depends on every u[p]). ``mu[p]`` is numerically zero at special
fields (``u = 0`` or ``u = ±1`` everywhere, or where ``u^3 - u`` balances ``kappa Lap_k u``);
``sparsity_coo`` lists it anyway. Hessian: ``-kappa Lap_k + diag(3 u^2 - 1)``, the plus stencil
of radius k: ``mu[p]`` depends on u within grid distance k of p.

Sample input: standard normal (the default), a rough quenched field.
"""

from __future__ import annotations

from typing import Callable

import jax
import numpy as np

from vjplab.family.base import ScalarLoss, Spec, register_family
from vjplab.family.brusselator_2d import laplacian_weights, periodic_laplacian

#: Gradient-energy coefficient (interface width ~ sqrt(KAPPA) grid cells).
KAPPA: float = 1.0


@register_family
class GinzburgLandau2D(ScalarLoss):
    name = "ginzburg_landau_2d"
    ndim = 2

    def _constants(self, spec: Spec) -> tuple[np.ndarray, np.generic]:
        return laplacian_weights(spec.locality).astype(spec.dtype), spec.dtype.type(KAPPA)

    def loss(self, spec: Spec) -> Callable[[jax.Array], jax.Array]:
        shape = spec.grid_shape
        w, kappa = self._constants(spec)
        half_kappa, quarter = kappa / 2, spec.dtype.type(0.25)

        def energy(x: jax.Array) -> jax.Array:
            u = x.reshape(shape)
            well = u * u - 1
            density = quarter * (well * well) - half_kappa * (u * periodic_laplacian(w, u))
            return density.sum()

        return energy

    def scaled_gradient(self, spec: Spec) -> Callable[[jax.Array, jax.Array], jax.Array]:
        shape = spec.grid_shape
        w, kappa = self._constants(spec)

        def gradient(x: jax.Array, s: jax.Array) -> jax.Array:
            u = x.reshape(shape)
            mu = u * (u * u - 1) - kappa * periodic_laplacian(w, u)
            return (s * mu).ravel()

        return gradient
