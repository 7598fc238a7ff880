"""VJP strategies. Each module registers its strategies; importing this package registers all.

To add a strategy: write a module with a ``register_strategy(Strategy(...))`` call and import it
below. The benchmarks read the registry, so they need no edit.
"""

from vjplab.strategies.base import STRATEGIES, Strategy, memory_budget_bytes, register_strategy
from vjplab.strategies import autodiff, dense, exact  # noqa: F401  (register themselves)

__all__ = ["STRATEGIES", "Strategy", "memory_budget_bytes", "register_strategy"]
