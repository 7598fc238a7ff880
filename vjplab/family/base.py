"""The interface every function family implements, and the family registry.

A family maps (dimension N, locality k) to a vector function ``f: R^N -> R^M`` whose output ``i``
depends only on inputs within distance ``k`` of ``i`` (periodic distance for periodic families, on
the grid in every axis for grid families). Inputs and outputs are always flat 1-D arrays; grid
families reshape internally and document the ordering.

A family supplies, for one (N, k):

* ``function``: ``f`` as a pure ``jax.numpy`` function of the flat input,
* ``exact_vjp``: ``(x, c) -> c^T J_f(x)``, written by hand from the family's adjoint formula
  (never derived by JAX; it is the floor every strategy is measured against),
* ``sparsity_coo``: the structural Jacobian pattern as (row, column) index arrays,
* ``sample_input``: a deterministic input for a given seed.
"""

from __future__ import annotations

import abc
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
    def exact_vjp(self, spec: Spec) -> Callable[["jax.Array", "jax.Array"], "jax.Array"]:
        """The hand-written adjoint ``(x, c) -> J_f(x)^T c`` (length N)."""

    @abc.abstractmethod
    def sparsity_coo(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        """Structural nonzeros of J (M x N) as (rows, cols), without duplicates."""

    def workspace_bytes(self, spec: Spec) -> int:
        """Bytes that evaluating f itself needs beyond O(N) (added to every strategy's need)."""
        return 0

    def sample_input(self, spec: Spec, rng: np.random.Generator) -> np.ndarray:
        """A deterministic input for this seed; standard normal unless the family needs more."""
        return rng.standard_normal(spec.dimension)


FAMILIES: Registry[Family] = Registry("family")


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: instantiate the family and add it to the registry under ``cls.name``."""
    from vjplab.catalog import LOCALITY_FREE_FAMILIES

    if cls.uses_locality == (cls.name in LOCALITY_FREE_FAMILIES):
        raise ValueError(f"family {cls.name!r}: uses_locality={cls.uses_locality} disagrees with "
                         f"vjplab.catalog.LOCALITY_FREE_FAMILIES")
    FAMILIES.register(cls.name, cls())
    return cls


def periodic_band_coo(n: int, offsets: range | list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of a periodic band: entry (i, (i + o) mod n) for every offset o."""
    rows = np.repeat(np.arange(n), len(offsets))
    cols = (rows + np.tile(np.asarray(list(offsets)), n)) % n
    return rows, cols
