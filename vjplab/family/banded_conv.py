"""``banded_conv``: a periodic width-(2k+1) convolution followed by ``tanh`` (periodic).

Function (indices mod N)::

    z_i    = sum_{j=-k..k} w_j x_{i+j}       = sum_{j=-k..k} w_j roll(x, -j)
    f(x)_i = tanh(z_i)

The kernel ``w`` (length 2k + 1, ``w[j + k]`` is the weight of offset j) is drawn once from a
standard normal Generator seeded by ``(spec.seed, 0xBC)`` (a stream separate from the one that
draws x and the cotangent) and normalised to unit 2-norm, so ``z`` is standard normal for a
standard normal x and ``tanh`` works in its curved range. It is cast to ``spec.dtype``.

Jacobian: ``J_{i,i+j} = w_j sech^2(z_i)`` for ``-k <= j <= k``; 2k+1 nonzeros per row, so
``k <= (N - 1) / 2`` keeps the offsets distinct (the default ``max_locality``). Every entry of the
band is structurally nonzero; one is numerically zero only where ``tanh(z_i)`` rounds to +-1
(``|z_i|`` above about 9 in float32, about 19 in float64), which the sample input never reaches.

Adjoint (the hand-written VJP), with ``g = c * sech^2(z) = c * (1 - tanh(z)^2)``::

    (J^T c)_m = sum_i c_i sech^2(z_i) w_{m-i} = sum_{j=-k..k} w_j g_{m-j}
              = sum_{j=-k..k} w_j roll(g, j)

i.e. the forward pass correlates with ``w`` (``roll(x, -j)``) and the adjoint convolves with it
(``roll(g, +j)``). Both passes are O(N k): they pad the vector periodically by k on each side
once and add 2k + 1 weighted slices of the padded vector instead of rolling 2k + 1 times.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from vjplab.family.base import Family, Spec, periodic_band_coo, register_family

#: Mixed into the seed so the kernel does not reuse the stream that draws x and the cotangent.
_KERNEL_STREAM = 0xBC


def kernel(spec: Spec) -> np.ndarray:
    """The normalised kernel ``w`` (length 2k + 1, offset j at index j + k), in ``spec.dtype``."""
    rng = np.random.default_rng([spec.seed, _KERNEL_STREAM])
    w = rng.standard_normal(2 * spec.locality + 1)
    w /= np.linalg.norm(w)
    return w.astype(spec.dtype)


def _periodic_pad(v: jax.Array, k: int) -> jax.Array:
    """``[v_{N-k}, ..., v_{N-1}, v_0, ..., v_{N-1}, v_0, ..., v_{k-1}]`` (needs k <= N)."""
    if k == 0:
        return v
    n = v.shape[0]
    return jnp.concatenate([v[n - k:], v, v[:k]])


@register_family
class BandedConv(Family):
    name = "banded_conv"

    def function(self, spec: Spec) -> Callable[[jax.Array], jax.Array]:
        k, n = spec.locality, spec.dimension
        w = kernel(spec)

        def f(x: jax.Array) -> jax.Array:
            xp = _periodic_pad(x, k)
            # xp[m : m + n][i] = x_{i + m - k}: slice m carries offset j = m - k.
            z = w[0] * xp[0:n]
            for m in range(1, 2 * k + 1):
                z = z + w[m] * xp[m:m + n]
            return jnp.tanh(z)

        return f

    def exact_vjp(self, spec: Spec) -> Callable[[jax.Array, jax.Array], jax.Array]:
        k, n = spec.locality, spec.dimension
        w = kernel(spec)

        def vjp(x: jax.Array, c: jax.Array) -> jax.Array:
            xp = _periodic_pad(x, k)
            z = w[0] * xp[0:n]
            for m in range(1, 2 * k + 1):
                z = z + w[m] * xp[m:m + n]
            t = jnp.tanh(z)
            g = c * (1 - t * t)
            gp = _periodic_pad(g, k)
            # Offset j = m - k needs g_{i - j} = gp[i + k - j] = gp[2k - m : 2k - m + n][i].
            out = w[0] * gp[2 * k:2 * k + n]
            for m in range(1, 2 * k + 1):
                out = out + w[m] * gp[2 * k - m:2 * k - m + n]
            return out

        return vjp

    def sparsity_coo(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        k = spec.locality
        return periodic_band_coo(spec.dimension, range(-k, k + 1))
