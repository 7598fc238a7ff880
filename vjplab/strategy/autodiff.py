"""Reverse-mode strategies that never form J: each costs about one extra pass of f.

``jax_vjp``:             ``jax.vjp(f, x)[1](c)[0]`` (the tutorial's "clever" method).
``grad_dot``:            ``jax.grad(lambda y: vdot(c, f(y)))(x)``, since grad_y <c, f(y)> = J^T c.
``linearize_transpose``: ``jax.linear_transpose(jax.linearize(f, x)[1], x)(c)[0]``: build the
                         JVP y -> J y once, then transpose that linear map.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from vjplab.strategy.base import Strategy, register_strategy

#: Residual arrays kept by reverse mode for a radius-k stencil: about one per stencil tap plus
#: the primal output and the cotangents (an estimate used only for the memory budget).
def _reverse_mode_memory(problem) -> int:
    taps = 2 * problem.locality + 1
    return (taps + 3) * (problem.in_size + problem.out_size) * problem.dtype.itemsize


def _jax_vjp(problem):
    f = problem.f

    def vjp(x, c):
        return jax.vjp(f, x)[1](c)[0]

    return vjp


def _grad_dot(problem):
    f = problem.f

    def vjp(x, c):
        return jax.grad(lambda y: jnp.vdot(c, f(y)))(x)

    return vjp


def _linearize_transpose(problem):
    f = problem.f

    def vjp(x, c):
        _, jvp = jax.linearize(f, x)
        return jax.linear_transpose(jvp, x)(c)[0]

    return vjp


for _name, _summary, _make in (
    ("jax_vjp", "jax.vjp(f, x)[1](c)", _jax_vjp),
    ("grad_dot", "jax.grad(y -> vdot(c, f(y)))(x)", _grad_dot),
    ("linearize_transpose", "jax.linear_transpose(jax.linearize(f, x)[1])(c)", _linearize_transpose),
):
    register_strategy(Strategy(name=_name, summary=_summary, make_vjp=_make,
                               memory_bytes=_reverse_mode_memory))
