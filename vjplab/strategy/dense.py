"""Dense strategies: materialise the full Jacobian, then contract with the cotangent.

``naive_jacrev``: ``J = jax.jacrev(f)(x)`` (M reverse passes, batched with vmap), ``c @ J``.
``naive_jacfwd``: ``J = jax.jacfwd(f)(x)`` (N forward passes, batched with vmap), ``c @ J``.

Both form all M N entries even when J has O(N k) nonzeros; they are the tutorial's "naive"
method. jacrev pushes M cotangents through f, jacfwd N tangents: both cost O(N^2) for a square
Jacobian, whereas for a scalar loss (M = 1) jacrev is one reverse pass and jacfwd still O(N^2). The contraction uses ``precision=HIGHEST`` because the default float32
matmul on GPUs is TF32, which disagrees with the exact VJP at N = 1e4.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from vjplab.strategy.base import Strategy, register_strategy

#: Working set of a dense strategy, in elements of the dtype: the M x N Jacobian itself; the
#: batch of basis vectors flowing through f (M cotangents for jacrev, N tangents for jacfwd), of
#: which about two batch x max(M, N) arrays are live at once after XLA fusion; and the
#: batch x batch basis. For a square Jacobian (M = N) both are 4 N^2; for a scalar loss (M = 1)
#: jacrev needs O(N) (one reverse pass) and jacfwd 3 N^2 (N tangents through f).
BATCHED_ARRAYS = 2


def _dense_memory(batch_of: Callable[[int, int], int]) -> Callable:
    """The memory estimate of a dense strategy whose batch is ``batch_of(M, N)``."""
    def memory_bytes(problem) -> int:
        m, n, item = problem.out_size, problem.in_size, problem.dtype.itemsize
        batch = batch_of(m, n)
        return (m * n + BATCHED_ARRAYS * batch * max(m, n) + batch * batch) * item

    return memory_bytes


def _contract_jacobian(jacobian_of: Callable) -> Callable:
    def make_vjp(problem):
        jacobian = jacobian_of(problem.f)

        def vjp(x, c):
            return jnp.matmul(c, jacobian(x), precision=jax.lax.Precision.HIGHEST)

        return vjp

    return make_vjp


for _name, _jacobian, _batch in (("naive_jacrev", jax.jacrev, lambda m, n: m),
                                 ("naive_jacfwd", jax.jacfwd, lambda m, n: n)):
    register_strategy(Strategy(
        name=_name,
        summary=f"J = jax.{_jacobian.__name__}(f)(x), then c @ J (dense, O(MN))",
        make_vjp=_contract_jacobian(_jacobian),
        memory_bytes=_dense_memory(_batch),
        dense=True,
    ))
