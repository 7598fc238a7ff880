"""``smoothness_1d``: a radius-k smoothness regulariser on a 1-D periodic grid (a scalar loss).

Loss (indices mod N), with the weights ``w_j = 1 / j^2`` (a difference over distance j, squared
and divided by j^2, is a squared first derivative; ``WEIGHT_POWER``)::

    L(x) = sum_{i=0..N-1} sum_{j=1..k} w_j (x_{i+j} - x_i)^2
         = sum( sum_{j=1..k} w_j (roll(x, -j) - x)^2 )

the Tikhonov / Laplacian-prior smoothness penalty as people write it for signals, time series
and 1-D inverse problems (k = 1: the sum of squared forward differences). As a family it is
``f(x) = [L(x)]`` (M = 1, a flat array of shape (1,)); see ``ScalarLoss`` for the conventions:
the Problem's cotangent is ``c = [1]``, so every strategy's VJP is ``grad L``, exactly what
``jax.grad(L)`` computes.

Gradient (derivation): ``x_m`` appears in the pairs (i, i + j) with i + j = m, which give
``2 w_j (x_m - x_{m-j})``, and with i = m, which give ``-2 w_j (x_{m+j} - x_m)``; so::

    dL/dx_m = 2 sum_{j=1..k} w_j (2 x_m - x_{m-j} - x_{m+j})
    grad L  = 2 sum_{j=1..k} w_j (2 x - roll(x, j) - roll(x, -j))

and the hand-written VJP is ``J^T c = c_0 grad L(x)`` (``2 c_0`` multiplies the sum once).

Sizes: any N >= 3; k runs over 1..(N - 1) // 2 (the offsets ±1..±k distinct mod N), so no
pair is counted under two offsets.

Sparsity: the full row (L depends on every x_i). ``dL/dx_m`` is numerically zero where ``x_m``
equals the weighted mean of its 2k neighbours (e.g. a constant x); ``sparsity_coo`` lists it
anyway. Hessian: the constant ``2 sum_j w_j (2 I - S_j - S_{-j})`` (S_j the periodic shift), a
band of radius k: ``grad L(x)_m`` depends on x within distance k of m.

Sample input: standard normal (the default), a rough signal.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from vjplab.family.base import ScalarLoss, Spec, register_family

#: ``w_j = j^(-WEIGHT_POWER)``.
WEIGHT_POWER: int = 2


def weights(k: int) -> np.ndarray:
    """``w_1..w_k`` (float64): index j - 1 holds ``w_j = 1 / j^2``."""
    return 1.0 / np.arange(1, k + 1, dtype=np.float64) ** WEIGHT_POWER


@register_family
class Smoothness1D(ScalarLoss):
    name = "smoothness_1d"
    ndim = 1

    def loss(self, spec: Spec) -> Callable[[jax.Array], jax.Array]:
        w = weights(spec.locality).astype(spec.dtype)

        def loss(x: jax.Array) -> jax.Array:
            density = jnp.zeros_like(x)
            for j in range(1, len(w) + 1):
                diff = jnp.roll(x, -j) - x
                density = density + w[j - 1] * (diff * diff)
            return jnp.sum(density)

        return loss

    def scaled_gradient(self, spec: Spec) -> Callable[[jax.Array, jax.Array], jax.Array]:
        w = weights(spec.locality).astype(spec.dtype)

        def gradient(x: jax.Array, s: jax.Array) -> jax.Array:
            out = jnp.zeros_like(x)
            for j in range(1, len(w) + 1):
                out = out + w[j - 1] * (2 * x - jnp.roll(x, j) - jnp.roll(x, -j))
            return (2 * s) * out

        return gradient
