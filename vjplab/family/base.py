"""The interface every function family implements, and the family registry.

A family maps (dimension N, locality k) to a vector function ``f: R^N -> R^M`` whose output ``i``
depends only on inputs within distance ``k`` of ``i`` (periodic distance for periodic families, on
the grid in every axis for grid families). Inputs and outputs are always flat 1-D arrays; grid
families reshape internally and document the ordering.

A family supplies, for one (N, k):

* ``function``: ``f`` as a pure ``jax.numpy`` function of the flat input,
* ``exact_vjp``: ``(x, c) -> c^T J_f(x)``, written by hand from the family's adjoint formula
  (never derived by JAX; it is the floor every strategy is measured against). Every built-in
  family has one; a family of another package (docs/plugins.md) may return None instead: the
  ``exact`` strategy then skips it with the reason, and strategies compare with each other,
* ``sparsity_coo``: the structural Jacobian pattern as (row, column) index arrays,
* ``sample_input``: a deterministic input for a given seed,
* ``sample_cotangent``: the cotangent the Problem carries (standard normal unless overridden).

Scalar-loss families (``ScalarLoss``, M = 1) are the case most users meet: ``f(x) = [L(x)]``, whose
VJP with cotangent 1 is ``grad L(x)``, what ``jax.grad`` computes.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar

import numpy as np

from vjplab.registry import Registry

if TYPE_CHECKING:
    import jax

VectorFunction = Callable[..., "jax.Array"]


@dataclass(frozen=True)
class Spec:
    """A validated (family, N, k, dtype, seed) point; ``grid_shape`` is N laid out on the grid."""

    family: str
    dimension: int
    locality: int
    dtype: np.dtype
    seed: int
    grid_shape: tuple[int, ...]
    out_size: int


class Family(abc.ABC):
    """Base class of function families. Subclasses set ``name`` and register an instance."""

    name: ClassVar[str]
    #: False for families whose structure does not depend on k (the suite runs them at one k).
    uses_locality: ClassVar[bool] = True
    #: The smallest stencil radius the family accepts.
    min_locality: ClassVar[int] = 0

    # --- sizes -------------------------------------------------------------------------------
    def grid_shape(self, dimension: int) -> tuple[int, ...]:
        """Lay N out on the family's grid; raise ValueError naming the N that fit. 1-D: (N,)."""
        return (dimension,)

    def nearest_dimension(self, dimension: int) -> int:
        """The valid dimension closest to ``dimension`` (benchmarks use it for grid families)."""
        return dimension

    def max_locality(self, grid_shape: tuple[int, ...]) -> int:
        """Largest k: by default the periodic stencil 2k+1 must fit in the shortest grid axis."""
        return (min(grid_shape) - 1) // 2

    def out_size(self, grid_shape: tuple[int, ...], locality: int) -> int:
        """M, the output length. By default one output per input."""
        return int(np.prod(grid_shape))

    # --- the function ------------------------------------------------------------------------
    @abc.abstractmethod
    def function(self, spec: Spec) -> VectorFunction:
        """``f(x)`` for flat ``x`` of length N, returning a flat array of length M."""

    @abc.abstractmethod
    def exact_vjp(self, spec: Spec) -> Callable[["jax.Array", "jax.Array"], "jax.Array"] | None:
        """The hand-written adjoint ``(x, c) -> J_f(x)^T c`` (length N); None when the family
        has none (only families of other packages and user functions: ``exact`` skips them)."""

    @abc.abstractmethod
    def sparsity_coo(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        """Structural nonzeros of J (M x N) as (rows, cols), without duplicates."""

    def workspace_bytes(self, spec: Spec) -> int:
        """Bytes that evaluating f itself needs beyond O(N) (added to every strategy's need)."""
        return 0

    def sample_input(self, spec: Spec, rng: np.random.Generator) -> np.ndarray:
        """A deterministic input for this seed; standard normal unless the family needs more."""
        return rng.standard_normal(spec.dimension)

    def sample_cotangent(self, spec: Spec, rng: np.random.Generator) -> np.ndarray:
        """The Problem's cotangent (length M), drawn after ``sample_input`` from the same stream;
        standard normal unless the family says otherwise (scalar losses: 1)."""
        return rng.standard_normal(spec.out_size)


FAMILIES: Registry[Family] = Registry("family")


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: instantiate the family and add it to the registry under ``cls.name``.

    The name must be in the catalog: a built-in family's in ``FAMILY_MODULES`` (whose trait
    sets must agree with the class), another package's as a ``vjplab.families`` entry point.
    """
    from vjplab.catalog import (FAMILY_ENTRY_POINT_GROUP, FAMILY_MODULES,
                                LOCALITY_FREE_FAMILIES, SCALAR_LOSS_FAMILIES,
                                plugin_family_modules)

    if cls.name not in FAMILY_MODULES:
        if cls.name not in plugin_family_modules():
            raise ValueError(
                f"family {cls.name!r} is declared neither in vjplab.catalog.FAMILY_MODULES nor "
                f"as an entry point of group {FAMILY_ENTRY_POINT_GROUP} (docs/plugins.md)")
        FAMILIES.register(cls.name, cls())
        return cls
    if cls.uses_locality == (cls.name in LOCALITY_FREE_FAMILIES):
        raise ValueError(f"family {cls.name!r}: uses_locality={cls.uses_locality} disagrees with "
                         f"vjplab.catalog.LOCALITY_FREE_FAMILIES")
    if issubclass(cls, ScalarLoss) != (cls.name in SCALAR_LOSS_FAMILIES):
        raise ValueError(f"family {cls.name!r}: being a ScalarLoss or not disagrees with "
                         f"vjplab.catalog.SCALAR_LOSS_FAMILIES")
    FAMILIES.register(cls.name, cls())
    return cls


def periodic_band_coo(n: int, offsets: range | list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of a periodic band: entry (i, (i + o) mod n) for every offset o."""
    rows = np.repeat(np.arange(n), len(offsets))
    cols = (rows + np.tile(np.asarray(list(offsets)), n)) % n
    return rows, cols


def iroot(value: int, d: int) -> int:
    """The largest integer n with n^d <= value (value >= 0)."""
    if d == 1:
        return value
    n = math.isqrt(value) if d == 2 else int(round(value ** (1.0 / d)))
    while n**d > value:
        n -= 1
    while (n + 1) ** d <= value:
        n += 1
    return n


class CubicGrid:
    """Mixin for families on an ``n^d`` grid (``ndim`` = d, sides ``n >= min_side``), N = n^d,
    flattened in C order: ``grid_shape`` and ``nearest_dimension``."""

    name: ClassVar[str]
    ndim: ClassVar[int]
    min_side: ClassVar[int]

    def grid_shape(self, dimension: int) -> tuple[int, ...]:
        d, lowest = self.ndim, self.min_side
        n = iroot(dimension, d)
        if n**d != dimension or n < lowest:
            if d == 1:
                raise ValueError(f"{self.name} needs dimension >= {lowest}; nearest: {lowest}")
            examples = ", ".join(str(m**d) for m in range(lowest, lowest + 3))
            nearest = str(lowest**d) if n < lowest else f"{n**d} or {(n + 1) ** d}"
            raise ValueError(
                f"{self.name} needs dimension = n^{d} for an integer n >= {lowest}, "
                f"e.g. {examples}, ...; nearest: {nearest}"
            )
        return (n,) * d

    def nearest_dimension(self, dimension: int) -> int:
        d = self.ndim
        lowest = self.min_side**d
        if dimension <= lowest:
            return lowest
        n = iroot(dimension, d)
        below, above = n**d, (n + 1) ** d
        # Ties go to the smaller grid.
        return below if dimension - below <= above - dimension else above


#: The cotangent of every scalar-loss Problem: c = [1], so its VJP is grad L (what jax.grad gives).
SCALAR_COTANGENT: float = 1.0


class ScalarLoss(CubicGrid, Family):
    """A scalar loss ``L: R^N -> R`` on a periodic ``n^d`` grid, as the family's ``f(x) = [L(x)]``
    (M = 1, a flat array of shape (1,), like every family's output).

    * The Jacobian is one row, ``grad L(x)^T``, so ``J^T c = c_0 grad L(x)``: subclasses write
      ``loss`` and ``scaled_gradient`` (``(x, s) -> s grad L(x)``, s a scalar, put where it
      costs least); ``exact_vjp(x, c)`` is ``scaled_gradient(x, c[0])``.
    * The cotangent is ``c = [1]`` (``SCALAR_COTANGENT``), not a random draw: then every
      strategy's VJP is exactly ``grad L(x)``, what users compute with ``jax.grad(L)``. It stays
      a runtime argument of the jitted VJP, so XLA cannot fold the multiplication by 1 away.
    * Sparsity: the loss depends on every input, so the pattern is the full row (1 x N). The
      locality k shows in the cost and in the Hessian: the gradient ``x -> grad L(x)`` is a
      local vector function (each family's docstring gives the radius of its Hessian).
    * Periodic grid: k runs over ``1..(n - 1) // 2`` (the 2k + 1 offsets of an axis distinct
      mod n), so ``n >= min_side = 3``.
    """

    min_locality = 1
    min_side = 3

    # --- sizes -------------------------------------------------------------------------------
    def out_size(self, grid_shape: tuple[int, ...], locality: int) -> int:
        return 1

    # --- the loss ----------------------------------------------------------------------------
    @abc.abstractmethod
    def loss(self, spec: Spec) -> Callable[["jax.Array"], "jax.Array"]:
        """``L(x)`` for flat x of length N: a 0-d array of x's dtype."""

    @abc.abstractmethod
    def scaled_gradient(self, spec: Spec) -> Callable[["jax.Array", "jax.Array"], "jax.Array"]:
        """``(x, s) -> s grad L(x)`` (length N) for a 0-d s, written by hand."""

    def function(self, spec: Spec) -> VectorFunction:
        loss = self.loss(spec)

        def f(x):
            return loss(x).reshape(1)

        return f

    def exact_vjp(self, spec: Spec) -> Callable[["jax.Array", "jax.Array"], "jax.Array"]:
        scaled_gradient = self.scaled_gradient(spec)

        def vjp(x, c):
            return scaled_gradient(x, c[0])

        return vjp

    def sparsity_coo(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(spec.dimension, dtype=np.intp), np.arange(spec.dimension)

    def sample_cotangent(self, spec: Spec, rng: np.random.Generator) -> np.ndarray:
        return np.full(1, SCALAR_COTANGENT)
