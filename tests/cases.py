"""Small (family, N, k) cases every test module iterates: boundary-sensitive sizes included."""

from __future__ import annotations

import vjplab
from vjplab.family import FAMILIES

SMALL_DIMENSIONS = (1, 2, 3, 5, 8, 18, 33, 64, 128)


def small_cases(max_dimension: int = 128) -> list[tuple[str, int, int]]:
    """For every family, the valid dimensions near SMALL_DIMENSIONS with k at min, 1, 2 and max."""
    cases = set()
    for name in vjplab.families():
        family = FAMILIES[name]
        for nominal in SMALL_DIMENSIONS:
            n = family.nearest_dimension(nominal)
            if n > max_dimension:
                continue
            try:
                grid = family.grid_shape(n)
            except ValueError:
                continue
            lo, hi = family.min_locality, min(family.max_locality(grid), 6)
            for k in {lo, 1, 2, hi}:
                if lo <= k <= hi:
                    cases.add((name, n, k))
    return sorted(cases)


CASES = small_cases()
