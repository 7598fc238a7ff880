"""vjplab: vector-Jacobian products of functions with small locality, benchmarked across JAX.

Public API::

    vjplab.families()                 # sorted names of registered function families
    vjplab.strategies()               # sorted names of registered VJP strategies
    p = vjplab.problem("roll_cubic", dimension=100, locality=1, dtype="float32", seed=0)
    vjp = vjplab.vjp("jax_vjp", p)    # jitted (x, c) -> J_f(x)^T c

``families()`` and ``strategies()`` read ``vjplab.catalog`` and do not import JAX; everything
else is imported on first use (asv processes that only read stored metrics stay cheap).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable

from vjplab import catalog

if TYPE_CHECKING:
    import jax

    from vjplab.problems import Problem

__all__ = ["DTYPES", "Problem", "families", "strategies", "problem", "vjp", "nearest_dimension",
           "memory_budget_bytes", "FAMILIES", "STRATEGIES"]

_LAZY = {
    "DTYPES": "vjplab.problems", "Problem": "vjplab.problems", "problem": "vjplab.problems",
    "nearest_dimension": "vjplab.problems", "FAMILIES": "vjplab.family",
    "STRATEGIES": "vjplab.strategy", "memory_budget_bytes": "vjplab.strategy",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vjplab' has no attribute {name!r}")


def families() -> list[str]:
    """Sorted names of the registered function families."""
    return catalog.family_names()


def strategies() -> list[str]:
    """Names of the registered VJP strategies, sorted, the sparse ones last."""
    return catalog.strategy_names()


def vjp(strategy: str, problem: "Problem") -> Callable[["jax.Array", "jax.Array"], "jax.Array"]:
    """The jitted ``(x, c) -> J_f(x)^T c`` of ``strategy`` for ``problem`` (not yet compiled)."""
    import jax

    from vjplab.problems import Problem
    from vjplab.strategy import STRATEGIES

    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a vjplab.Problem (from vjplab.problem()), got "
                         f"{type(problem).__name__}")
    return jax.jit(STRATEGIES[strategy].make_vjp(problem))
