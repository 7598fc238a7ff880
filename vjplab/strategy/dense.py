"""Dense strategies: materialise the full Jacobian, then contract with the cotangent.

``naive_jacrev``: ``J = jax.jacrev(f)(x)`` (M reverse passes, batched with vmap), ``c @ J``.
``naive_jacfwd``: ``J = jax.jacfwd(f)(x)`` (N forward passes, batched with vmap), ``c @ J``.

Both cost O(M N) memory and at least O(M N) time even when J has O(N k) nonzeros; they are the
tutorial's "naive" method. The contraction uses ``precision=HIGHEST`` because the default float32
matmul on GPUs is TF32, which disagrees with the exact VJP at N = 1e4.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from vjplab.strategy.base import Strategy, register_strategy

#: Working set of a dense strategy in units of one M x N array: the Jacobian itself plus the
#: batched (vmapped) cotangents/tangents flowing through the function (about two M x N arrays
#: live at once after XLA fusion), plus the M x M (jacrev) or N x N (jacfwd) basis.
DENSE_WORKSPACE_ARRAYS = 3


def _dense_memory(problem) -> int:
    m, n, item = problem.out_size, problem.in_size, problem.dtype.itemsize
    basis = max(m, n) ** 2
    return (DENSE_WORKSPACE_ARRAYS * m * n + basis) * item


def _contract_jacobian(jacobian_of: Callable) -> Callable:
    def make_vjp(problem):
        jacobian = jacobian_of(problem.f)

        def vjp(x, c):
            return jnp.matmul(c, jacobian(x), precision=jax.lax.Precision.HIGHEST)

        return vjp

    return make_vjp


for _name, _jacobian in (("naive_jacrev", jax.jacrev), ("naive_jacfwd", jax.jacfwd)):
    register_strategy(Strategy(
        name=_name,
        summary=f"J = jax.{_jacobian.__name__}(f)(x), then c @ J (dense, O(MN))",
        make_vjp=_contract_jacobian(_jacobian),
        memory_bytes=_dense_memory,
        dense=True,
    ))
