"""vjplab: vector-Jacobian products of functions with small locality, benchmarked across JAX.

Public API::

    vjplab.families()                 # sorted names of registered function families
    vjplab.strategies()               # sorted names of registered VJP strategies
    p = vjplab.problem("roll_cubic", dimension=100, locality=1, dtype="float32", seed=0)
    vjp = vjplab.vjp("jax_vjp", p)    # jitted (x, c) -> J_f(x)^T c
"""

from __future__ import annotations

from typing import Callable

import jax

from vjplab.families import FAMILIES
from vjplab.problem import DTYPES, Problem, nearest_dimension, problem
from vjplab.strategies import STRATEGIES, memory_budget_bytes

__all__ = ["DTYPES", "Problem", "families", "strategies", "problem", "vjp", "nearest_dimension",
           "memory_budget_bytes", "FAMILIES", "STRATEGIES"]


def families() -> list[str]:
    """Sorted names of the registered function families."""
    return FAMILIES.names()


def strategies() -> list[str]:
    """Sorted names of the registered VJP strategies."""
    return STRATEGIES.names()


def vjp(strategy: str, problem: Problem) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """The jitted ``(x, c) -> J_f(x)^T c`` of ``strategy`` for ``problem`` (not yet compiled)."""
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a vjplab.Problem (from vjplab.problem()), got "
                         f"{type(problem).__name__}")
    return jax.jit(STRATEGIES[strategy].make_vjp(problem))
