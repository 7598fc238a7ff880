"""The strategy interface, the strategy registry and the memory budget.

A strategy turns a Problem into an (un-jitted) function ``vjp(x, c) -> J_f(x)^T c`` and estimates
how many bytes it needs, so callers can skip what would not fit before compiling anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from vjplab.registry import Registry

if TYPE_CHECKING:
    import jax

    from vjplab.problems import Problem

VJPFunction = Callable[["jax.Array", "jax.Array"], "jax.Array"]

#: Default memory budget (bytes) for one strategy's working set; override with the environment
#: variable VJPLAB_MEMORY_BUDGET_BYTES. 1 GiB admits the dense strategies up to N ~ 5e3 and
#: skips them at N = 1e4 (~1.5 GiB in float32), where one call takes 0.2 s to 78 s on a 2-core
#: CPU (roll_cubic k=16 with jacfwd), which would blow the default grid's 15-minute budget.
DEFAULT_MEMORY_BUDGET_BYTES = 1024**3


def memory_budget_bytes() -> int:
    """The budget in force: VJPLAB_MEMORY_BUDGET_BYTES if set (a positive integer), else 1 GiB."""
    raw = os.environ.get("VJPLAB_MEMORY_BUDGET_BYTES")
    if raw is None:
        return DEFAULT_MEMORY_BUDGET_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(
            f"VJPLAB_MEMORY_BUDGET_BYTES must be a positive integer number of bytes, got {raw!r}"
        )
    return value


@dataclass(frozen=True)
class Strategy:
    """One way to compute a VJP.

    ``make_vjp(problem)`` returns the un-jitted ``vjp(x, c)``; ``memory_bytes(problem)`` is the
    estimated peak working set; ``dense`` marks strategies that materialise the M x N Jacobian
    (cost O(M N)), which the suite does not run at the largest sizes; ``unavailable(problem)``
    says why the strategy cannot run on a problem at any size (None: it can), e.g. ``exact`` on
    a family without a hand-written adjoint.
    """

    name: str
    summary: str
    make_vjp: Callable[["Problem"], VJPFunction]
    memory_bytes: Callable[["Problem"], int]
    dense: bool = False
    unavailable: Callable[["Problem"], str | None] | None = None

    def required_bytes(self, problem: "Problem") -> int:
        """The strategy's working set plus what evaluating f itself needs."""
        return self.memory_bytes(problem) + problem.workspace_bytes()

    def infeasible_reason(self, problem: "Problem", budget_bytes: int | None = None) -> str | None:
        """Why this strategy should not run on ``problem`` (None when it can)."""
        if self.unavailable is not None:
            reason = self.unavailable(problem)
            if reason:
                return reason
        budget = memory_budget_bytes() if budget_bytes is None else budget_bytes
        need = self.required_bytes(problem)
        if need > budget:
            return (
                f"{self.name} needs about {need / 2**20:.0f} MiB for {problem.family} "
                f"N={problem.dimension}, over the {budget / 2**20:.0f} MiB budget "
                f"(VJPLAB_MEMORY_BUDGET_BYTES)"
            )
        return None


STRATEGIES: Registry[Strategy] = Registry("strategy")


def register_strategy(strategy: Strategy) -> Strategy:
    """Add a strategy to the registry (one call per strategy, in its own module)."""
    from vjplab.catalog import DENSE_STRATEGIES

    if strategy.dense != (strategy.name in DENSE_STRATEGIES):
        raise ValueError(f"strategy {strategy.name!r}: dense={strategy.dense} disagrees with "
                         f"vjplab.catalog.DENSE_STRATEGIES")
    return STRATEGIES.register(strategy.name, strategy)
