"""``squared_differences_{1,2,3}d``: squared forward differences of stride k along every grid axis.

The input is a d-dimensional grid with n points per axis (d = 1, 2, 3), so N = n^d, flattened in
C order (``X = x.reshape((n,) * d)``, last axis fastest). The grid is NOT periodic: along each axis
only the n - k differences that stay inside the grid are taken.

Function: for each axis a = 0..d-1 and every grid point i with ``i_a + k < n``::

    r_a[i] = (X[i + k e_a] - X[i])^2
           = (X[..., k:n, ...] - X[..., 0:n-k, ...])^2        (slices along axis a)

``r_a`` has shape ``(n,) * d`` with axis a shortened to n - k; the output is the concatenation of
the C-order flattened ``r_0, r_1, ..., r_{d-1}`` (axis 0 first), so

    M = d n^(d-1) (n - k).

Locality: ``r_a[i]`` depends on ``X[i]`` and ``X[i + k e_a]`` only, both within grid distance k
of i in every axis. k runs over 1..n - 1 (at least one difference per grid line), so n >= 2.

Jacobian: exactly two structural nonzeros per row::

    d r_a[i] / d X[i + k e_a] =  2 (X[i + k e_a] - X[i])
    d r_a[i] / d X[i]         = -2 (X[i + k e_a] - X[i])

Both are numerically zero where ``X[i + k e_a] == X[i]`` (e.g. a constant input); ``sparsity_coo``
lists them anyway.

Adjoint (the hand-written VJP). With ``g_a = 2 c_a (X[i + k e_a] - X[i])`` on the shortened
grid, each residual sends ``+g_a`` to the upper point and ``-g_a`` to the lower one::

    J^T c = sum_a ( pad(g_a, (k, 0) on axis a) - pad(g_a, (0, k) on axis a) )

Sample input: standard normal (the default).
"""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jax import lax

from vjplab.family.base import CubicGrid, Family, Spec, register_family

#: Smallest grid side: k = 1 needs two points per axis.
MIN_SIDE: int = 2


def _axis_slice(array: np.ndarray, start: int, stop: int, axis: int) -> np.ndarray:
    """``array[..., start:stop, ...]`` with the slice on ``axis`` (numpy)."""
    key = [slice(None)] * array.ndim
    key[axis] = slice(start, stop)
    return array[tuple(key)]


def _difference(grid: "jnp.ndarray", k: int, axis: int) -> "jnp.ndarray":
    """``X[i + k e_axis] - X[i]`` for every i with ``i_axis + k < n`` (jax)."""
    n = grid.shape[axis]
    return lax.slice_in_dim(grid, k, n, axis=axis) - lax.slice_in_dim(grid, 0, n - k, axis=axis)


class SquaredDifferences(CubicGrid, Family):
    """Shared implementation; subclasses set ``name`` and the grid dimension ``ndim``."""

    ndim: ClassVar[int]
    min_locality = 1
    min_side = MIN_SIDE

    # --- sizes (grid_shape, nearest_dimension: CubicGrid) ------------------------------------
    def max_locality(self, grid_shape: tuple[int, ...]) -> int:
        return min(grid_shape) - 1

    def out_size(self, grid_shape: tuple[int, ...], locality: int) -> int:
        n = grid_shape[0]
        return self.ndim * n ** (self.ndim - 1) * (n - locality)

    # --- the function ------------------------------------------------------------------------
    def function(self, spec: Spec):
        shape, k = spec.grid_shape, spec.locality
        d = self.ndim

        def f(x):
            grid = x.reshape(shape)
            parts = []
            for a in range(d):
                diff = _difference(grid, k, a)
                parts.append((diff * diff).ravel())
            return jnp.concatenate(parts)

        return f

    def exact_vjp(self, spec: Spec):
        shape, k = spec.grid_shape, spec.locality
        n, d = shape[0], self.ndim
        part_shape = [tuple(n - k if b == a else n for b in range(d)) for a in range(d)]
        part_size = n ** (d - 1) * (n - k)

        def vjp(x, c):
            grid = x.reshape(shape)
            out = jnp.zeros_like(grid)
            for a in range(d):
                c_a = c[a * part_size:(a + 1) * part_size].reshape(part_shape[a])
                diff = _difference(grid, k, a)
                g = 2 * c_a * diff
                upper = [(0, 0)] * d
                lower = [(0, 0)] * d
                upper[a] = (k, 0)
                lower[a] = (0, k)
                out = out + jnp.pad(g, upper) - jnp.pad(g, lower)
            return out.ravel()

        return vjp

    def sparsity_coo(self, spec: Spec):
        shape, k = spec.grid_shape, spec.locality
        n, d = shape[0], self.ndim
        index = np.arange(spec.dimension).reshape(shape)
        rows, cols = [], []
        start = 0
        for a in range(d):
            lower = _axis_slice(index, 0, n - k, a).ravel()
            upper = _axis_slice(index, k, n, a).ravel()
            row = start + np.arange(lower.size)
            rows.append(np.repeat(row, 2))
            cols.append(np.stack([lower, upper], axis=1).ravel())
            start += lower.size
        return np.concatenate(rows), np.concatenate(cols)


@register_family
class SquaredDifferences1D(SquaredDifferences):
    name = "squared_differences_1d"
    ndim = 1


@register_family
class SquaredDifferences2D(SquaredDifferences):
    name = "squared_differences_2d"
    ndim = 2


@register_family
class SquaredDifferences3D(SquaredDifferences):
    name = "squared_differences_3d"
    ndim = 3
