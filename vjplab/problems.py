"""The ``Problem``: one family at one (N, k, dtype, seed), with inputs, cotangent and adjoint.

Every check of user input lives here, so each bad value fails in one place with a ValueError that
names what is allowed (never a traceback from inside JAX).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from vjplab.family import FAMILIES
from vjplab.family.base import Family, Spec

#: dtype names accepted by ``problem``.
DTYPES: tuple[str, ...] = ("float32", "float64")


@dataclass(frozen=True, eq=False)
class Problem:
    """f: R^N -> R^M with deterministic x (length N) and cotangent c (length M).

    ``exact_vjp(x, c)`` is the family's hand-written ``J_f(x)^T c``; None for a family without
    one (another package's, or a user function: vjplab.user_function).
    """

    spec: Spec
    f: Callable[[jax.Array], jax.Array]
    exact_vjp: Callable[[jax.Array, jax.Array], jax.Array] | None
    x: jax.Array
    cotangent: jax.Array
    _family: Family = field(repr=False)

    # Convenience views of the spec.
    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def dimension(self) -> int:
        return self.spec.dimension

    @property
    def locality(self) -> int:
        return self.spec.locality

    @property
    def dtype(self) -> np.dtype:
        return self.spec.dtype

    @property
    def in_size(self) -> int:
        return self.spec.dimension

    @property
    def out_size(self) -> int:
        return self.spec.out_size

    @property
    def grid_shape(self) -> tuple[int, ...]:
        return self.spec.grid_shape

    def sparsity_coo(self) -> tuple[np.ndarray, np.ndarray]:
        """Structural nonzeros of the (M x N) Jacobian as (rows, cols) index arrays."""
        return self._family.sparsity_coo(self.spec)

    def sparsity(self) -> np.ndarray:
        """The structural Jacobian pattern as a dense bool array of shape (M, N)."""
        pattern = np.zeros((self.out_size, self.in_size), dtype=bool)
        rows, cols = self.sparsity_coo()
        pattern[rows, cols] = True
        return pattern

    def workspace_bytes(self) -> int:
        """Bytes that evaluating f itself needs beyond O(N) (e.g. dense_control's in-graph W)."""
        return self._family.workspace_bytes(self.spec)

    def nnz(self) -> int:
        """Number of structural nonzeros of the Jacobian."""
        return len(self.sparsity_coo()[0])


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_dtype(dtype: object) -> np.dtype:
    """Resolve a dtype name; float64 also needs ``jax_enable_x64``."""
    name = np.dtype(dtype).name if isinstance(dtype, (np.dtype, type)) else dtype
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(DTYPES)}")
    if name == "float64" and not jax.config.jax_enable_x64:
        raise ValueError(
            "dtype 'float64' needs 64-bit JAX: call jax.config.update('jax_enable_x64', True) "
            "first, or use dtype 'float32'"
        )
    return np.dtype(name)


def make_spec(family: str, dimension: int, locality: int, dtype: object = "float32",
              seed: int = 0) -> Spec:
    """Validate every parameter and return the resolved Spec (raises ValueError)."""
    fam = FAMILIES[family]
    dimension = _check_int("dimension", dimension, 1)
    locality = _check_int("locality", locality, 0)
    seed = _check_int("seed", seed, 0)
    resolved_dtype = check_dtype(dtype)
    grid_shape = fam.grid_shape(dimension)
    lo, hi = fam.min_locality, fam.max_locality(grid_shape)
    if hi < lo:
        raise ValueError(
            f"{family}: dimension {dimension} is too small for any locality; "
            f"use a larger dimension"
        )
    if not lo <= locality <= hi:
        raise ValueError(
            f"{family}: locality {locality} is not allowed for dimension {dimension}; "
            f"allowed: {lo}..{hi}"
        )
    return Spec(
        family=family,
        dimension=dimension,
        locality=locality,
        dtype=resolved_dtype,
        seed=seed,
        grid_shape=grid_shape,
        out_size=fam.out_size(grid_shape, locality),
    )


def problem(family: str, dimension: int, locality: int, dtype: object = "float32",
            seed: int = 0) -> Problem:
    """Build the Problem for ``family`` at input size N = ``dimension`` and radius k = ``locality``.

    The same (family, N, k, dtype, seed) always gives the same ``x`` and ``cotangent``. The
    cotangent is standard normal, except for scalar losses (M = 1), whose cotangent is 1: their
    VJP is then the gradient, what ``jax.grad`` computes.
    """
    spec = make_spec(family, dimension, locality, dtype, seed)
    fam = FAMILIES[family]
    rng = np.random.default_rng(seed)
    x = fam.sample_input(spec, rng)
    cotangent = fam.sample_cotangent(spec, rng)
    return Problem(
        spec=spec,
        f=fam.function(spec),
        exact_vjp=fam.exact_vjp(spec),
        x=jnp.asarray(x, dtype=spec.dtype),
        cotangent=jnp.asarray(cotangent, dtype=spec.dtype),
        _family=fam,
    )


def nearest_dimension(family: str, dimension: int) -> int:
    """The dimension closest to ``dimension`` that ``family`` accepts (grid families round)."""
    return FAMILIES[family].nearest_dimension(_check_int("dimension", dimension, 1))
