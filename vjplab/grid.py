"""Parameter grids of the asv suite, chosen by the environment variable VJPLAB_GRID.

``dimensions`` are run by every strategy; ``large_dimensions`` only by strategies that never form
the dense Jacobian. Dimensions are nominal: a grid family runs at its ``nearest_dimension``.
The families and strategies are every registered one, so adding either needs no edit here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Grid:
    name: str
    dimensions: tuple[int, ...]
    large_dimensions: tuple[int, ...]
    localities: tuple[int, ...]


GRIDS: dict[str, Grid] = {
    "default": Grid("default", dimensions=(100, 1_000, 10_000),
                    large_dimensions=(100_000, 1_000_000), localities=(1, 4, 16)),
    "smoke": Grid("smoke", dimensions=(100,), large_dimensions=(10_000,), localities=(1,)),
}


def active_grid() -> Grid:
    """The grid named by VJPLAB_GRID (default: "default"); ValueError names the allowed grids."""
    name = os.environ.get("VJPLAB_GRID", "default")
    try:
        return GRIDS[name]
    except KeyError:
        raise ValueError(
            f"unknown VJPLAB_GRID {name!r}; allowed: {', '.join(sorted(GRIDS))}"
        ) from None
