"""Where each family's inputs and outputs sit on its grid, written from the family docstrings.

The tests use this to check locality ("output i depends only on inputs within distance k of i,
periodic distance on periodic axes, in every grid axis") against the Jacobian itself, so the
geometry here is deliberately NOT taken from the families' own code (``sparsity_coo``), which
is what it checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from vjplab.problems import Problem


@dataclass(frozen=True)
class Geometry:
    """Grid coordinates of every output (M, d) and input (N, d), and each axis's period.

    ``periods[a]`` is the axis length for a periodic axis and None for a bounded one.
    """

    out_positions: np.ndarray
    in_positions: np.ndarray
    periods: tuple[int | None, ...]


def _line(n: int) -> np.ndarray:
    return np.arange(n)[:, None]


def _unravel(count: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.stack(np.unravel_index(np.arange(count), shape), axis=1)


def geometry(p: Problem) -> Geometry:
    """The docstring geometry of ``p``'s family; ValueError for a family not described here."""
    n_in, n_out = p.in_size, p.out_size
    if p.family in ("roll_cubic", "banded_conv"):
        # 1-D, periodic, output i at position i.
        return Geometry(_line(n_out), _line(n_in), (n_in,))
    if p.family == "burgers_1d":
        # 1-D, bounded (Dirichlet ghosts are constants, not inputs).
        return Geometry(_line(n_out), _line(n_in), (None,))
    if p.family == "brusselator_2d":
        # x = concat(u.ravel(), v.ravel()) on an n x n periodic grid; the output is laid out the
        # same way. The species is not a spatial axis: only the grid position counts.
        n = p.grid_shape[1]
        cell = np.arange(n_in) % (n * n)
        position = np.stack(np.divmod(cell, n), axis=1)
        return Geometry(position, position.copy(), (n, n))
    if p.family.startswith("squared_differences_"):
        # Input: C-order n^d grid. Output: r_0, r_1, ... concatenated; r_a[i] (axis a shortened
        # to n - k, C order) sits at grid point i, its lower end. Bounded axes.
        shape, k = p.grid_shape, p.locality
        d, n = len(shape), shape[0]
        parts = []
        for a in range(d):
            part_shape = tuple(n - k if b == a else n for b in range(d))
            parts.append(_unravel(int(np.prod(part_shape)), part_shape))
        return Geometry(np.concatenate(parts), _unravel(n_in, shape), (None,) * d)
    raise ValueError(f"no geometry for family {p.family!r}: describe its grid in tests/geometry.py")


#: Scalar-loss families (M = 1: the one output has no grid position): grid dimension d of the
#: periodic n^d grid their input lies on (C order), and the radius of their Hessian, i.e. of the
#: gradient x -> grad L(x) as a local vector function, from their docstrings.
SCALAR_LOSSES: dict[str, tuple[int, Callable[[int], int]]] = {
    "smoothness_1d": (1, lambda k: k),
    "ginzburg_landau_2d": (2, lambda k: k),
    "least_squares_3d": (3, lambda k: 2 * k),
}


def gradient_geometry(p: Problem) -> Geometry:
    """For a scalar loss: the geometry of its gradient (output i = input i, same grid point),
    whose Jacobian is the loss's Hessian."""
    d = SCALAR_LOSSES[p.family][0]
    n = round(p.in_size ** (1 / d))
    assert n**d == p.in_size
    positions = _unravel(p.in_size, (n,) * d)
    return Geometry(positions, positions.copy(), (n,) * d)


def grid_distance(geo: Geometry, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """For each (output row, input col): the largest per-axis distance (periodic where periodic)."""
    delta = np.abs(geo.out_positions[rows] - geo.in_positions[cols])
    for axis, period in enumerate(geo.periods):
        if period is not None:
            delta[:, axis] = np.minimum(delta[:, axis], period - delta[:, axis])
    return delta.max(axis=1)


def locality_violations(mask: np.ndarray, geo: Geometry, k: int) -> list[tuple[int, int, int]]:
    """Every nonzero (row, col) of ``mask`` farther than ``k`` on the grid, with its distance."""
    rows, cols = np.nonzero(mask)
    distance = grid_distance(geo, rows, cols)
    far = distance > k
    return list(zip(rows[far].tolist(), cols[far].tolist(), distance[far].tolist()))
