"""VJP strategies. Each module registers its strategies; importing this package registers all.

To add a strategy: write a module with a ``register_strategy(Strategy(...))`` call and add it to
``vjplab.catalog``. The benchmarks read the catalog and registry, so they need no edit.
"""

import importlib

from vjplab import catalog
from vjplab.strategy.base import STRATEGIES, Strategy, memory_budget_bytes, register_strategy

for _module in sorted(set(catalog.STRATEGY_MODULES.values())):
    importlib.import_module(_module)

__all__ = ["STRATEGIES", "Strategy", "memory_budget_bytes", "register_strategy"]
