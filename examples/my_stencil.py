"""Your own function, measured with every strategy: an example for ``--function``.

    python -m vjplab measure --function examples.my_stencil:make --dimension 1000 --locality 2

``make(N, k)`` returns ``(f, x, cotangent)`` (the contract: vjplab/user_function.py). Here f is
the residual of a nonlinear diffusion step on a periodic 1-D grid, with a radius-k Laplacian:

    f(u)_i = u_i^3 - (1 + u_i^2) * sum_{j=1..k} (u_{i+j} - 2 u_i + u_{i-j}) / j^2

Output i depends on the inputs within k of i. No adjoint is written: vjplab compares the
automatic strategies (jax.vjp, jax.grad of a dot product, linearize + transpose, and the dense
Jacobian at small N) with each other. x and the cotangent are float32, or float64 under
``--dtype float64`` (which turns on 64-bit JAX before ``make`` is called).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def make(n: int, k: int):
    def f(u):
        laplacian = sum((jnp.roll(u, -j) - 2 * u + jnp.roll(u, j)) / j**2
                        for j in range(1, k + 1))
        return u**3 - (1 + u**2) * laplacian

    dtype = np.float64 if jax.config.jax_enable_x64 else np.float32
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(dtype)
    cotangent = rng.standard_normal(n).astype(dtype)
    return f, x, cotangent
