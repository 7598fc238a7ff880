"""``dense_control``: a dense layer ``tanh(W x)``, the control where every output sees every input.

Function::

    W_ij   = cos(a_i b_j) / sqrt(N)            (i, j = 0..N-1)
    f(x)   = tanh(W x)

``a`` and ``b`` (length N each) are drawn once, uniform on ``[-pi, pi]``, from a Generator seeded
by ``(spec.seed, 0xDC)`` (a stream separate from the one that draws x and the cotangent) and cast
to ``spec.dtype``. W itself is never stored: ``f`` forms it in the graph on every call from the
O(N) constants (O(N^2) work), so jit captures no N x N constant. ``a`` and ``b`` pass through
an optimization barrier (``vjplab.compat``) so that XLA cannot constant-fold W into an N x N literal at
compile time. The matrix-vector products use ``precision=HIGHEST`` (not TF32 on GPUs).

The row scale ``1 / sqrt(N)`` keeps ``(W x)_i`` of order 1 for a standard normal x.

Jacobian: ``J = diag(sech^2(W x)) W``, all M * N = N^2 entries structurally nonzero (an entry is
numerically zero only where ``cos(a_i b_j) = 0`` exactly or ``tanh`` rounds to +-1, which random
a, b and the sample input do not hit).

Locality is ignored (``uses_locality = False``): any k >= 0 is accepted and changes nothing.

Adjoint (the hand-written VJP)::

    J^T c = W^T (c * sech^2(W x)) = W^T (c * (1 - tanh(W x)^2))
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from vjplab import compat
from vjplab.family.base import Family, Spec, register_family

#: Mixed into the seed so a, b do not reuse the stream that draws x and the cotangent.
_MATRIX_STREAM = 0xDC

_HIGHEST = jax.lax.Precision.HIGHEST


def frequencies(spec: Spec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, 1 / sqrt(N))`` in ``spec.dtype``: ``W_ij = cos(a_i b_j) / sqrt(N)``."""
    n = spec.dimension
    rng = np.random.default_rng([spec.seed, _MATRIX_STREAM])
    a = rng.uniform(-np.pi, np.pi, spec.out_size)
    b = rng.uniform(-np.pi, np.pi, n)
    scale = np.asarray(1.0 / np.sqrt(n), dtype=spec.dtype)
    return a.astype(spec.dtype), b.astype(spec.dtype), scale


def _unscaled_matrix(a: np.ndarray, b: np.ndarray) -> jax.Array:
    """``cos(a_i b_j)`` (M x N), formed in the graph; the barrier stops constant folding."""
    a_t, b_t = compat.optimization_barrier((jnp.asarray(a), jnp.asarray(b)))
    return jnp.cos(a_t[:, None] * b_t[None, :])


@register_family
class DenseControl(Family):
    name = "dense_control"
    uses_locality = False

    def max_locality(self, grid_shape: tuple[int, ...]) -> int:
        """Locality is ignored: every output already depends on all N inputs, so 0 <= k <= N."""
        return int(np.prod(grid_shape))

    def workspace_bytes(self, spec: Spec) -> int:
        """W (M x N) is formed in the graph on every call."""
        return spec.out_size * spec.dimension * spec.dtype.itemsize

    def function(self, spec: Spec) -> Callable[[jax.Array], jax.Array]:
        a, b, scale = frequencies(spec)

        def f(x: jax.Array) -> jax.Array:
            w = _unscaled_matrix(a, b)
            return jnp.tanh(jnp.matmul(w, x, precision=_HIGHEST) * scale)

        return f

    def exact_vjp(self, spec: Spec) -> Callable[[jax.Array, jax.Array], jax.Array]:
        a, b, scale = frequencies(spec)

        def vjp(x: jax.Array, c: jax.Array) -> jax.Array:
            w = _unscaled_matrix(a, b)
            t = jnp.tanh(jnp.matmul(w, x, precision=_HIGHEST) * scale)
            g = c * (1 - t * t)
            return jnp.matmul(g, w, precision=_HIGHEST) * scale

        return vjp

    def sparsity_coo(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        m, n = spec.out_size, spec.dimension
        return np.repeat(np.arange(m), n), np.tile(np.arange(n), m)
