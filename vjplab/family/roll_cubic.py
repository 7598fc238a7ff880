"""``roll_cubic``: the JAX autodiff tutorial's stencil, generalised to radius k (periodic).

Function (indices mod N)::

    f(x)_i = x_i^3 - sum_{j=1..k} (x_{i+j}^2 + x_{i-j}^2)
           = x^3 - sum_{j=1..k} (roll(x, -j)^2 + roll(x, j)^2)

At k = 1 this is exactly the tutorial's ``x**3 - roll(x, -1)**2 - roll(x, 1)**2`` (the terms are
subtracted in the same order, so the float results agree bit for bit).

Jacobian: ``J_ii = 3 x_i^2`` and ``J_{i,i±j} = -2 x_{i±j}`` for ``1 <= j <= k``; 2k+1 nonzeros
per row, so k <= (N - 1) / 2 keeps the offsets distinct.

Adjoint (the hand-written VJP)::

    (J^T c)_m = 3 x_m^2 c_m - 2 x_m sum_{j=1..k} (c_{m-j} + c_{m+j})
              = 3 x^2 c - 2 x * sum_{j=1..k} (roll(c, j) + roll(c, -j))
"""

from __future__ import annotations

import jax.numpy as jnp

from vjplab.family.base import Family, Spec, periodic_band_coo, register_family


@register_family
class RollCubic(Family):
    name = "roll_cubic"

    def function(self, spec: Spec):
        k = spec.locality

        def f(x):
            out = x**3
            for j in range(1, k + 1):
                out = out - jnp.roll(x, -j) ** 2 - jnp.roll(x, j) ** 2
            return out

        return f

    def exact_vjp(self, spec: Spec):
        k = spec.locality

        def vjp(x, c):
            neighbours = jnp.zeros_like(c)
            for j in range(1, k + 1):
                neighbours = neighbours + jnp.roll(c, j) + jnp.roll(c, -j)
            return 3 * x**2 * c - 2 * x * neighbours

        return vjp

    def sparsity_coo(self, spec: Spec):
        k = spec.locality
        return periodic_band_coo(spec.dimension, range(-k, k + 1))
