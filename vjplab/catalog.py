"""The names of every family and strategy, and the module that registers each one.

This is the one entry to add for a new family or strategy. It imports nothing heavy, so asv
benchmark processes that only read stored metrics can list parameters without importing JAX
(importing JAX costs ~0.6 s per process, and asv starts one process per parameter set).
"""

from __future__ import annotations

#: family name -> module whose import registers it
FAMILY_MODULES: dict[str, str] = {
    "banded_conv": "vjplab.family.banded_conv",
    "brusselator_2d": "vjplab.family.brusselator_2d",
    "burgers_1d": "vjplab.family.burgers_1d",
    "dense_control": "vjplab.family.dense_control",
    "ginzburg_landau_2d": "vjplab.family.ginzburg_landau_2d",
    "least_squares_3d": "vjplab.family.least_squares_3d",
    "roll_cubic": "vjplab.family.roll_cubic",
    "smoothness_1d": "vjplab.family.smoothness_1d",
    "squared_differences_1d": "vjplab.family.squared_differences",
    "squared_differences_2d": "vjplab.family.squared_differences",
    "squared_differences_3d": "vjplab.family.squared_differences",
}

#: strategy name -> module whose import registers it
STRATEGY_MODULES: dict[str, str] = {
    "asdex_sparse": "vjplab.strategy.sparse",
    "exact": "vjplab.strategy.exact",
    "grad_dot": "vjplab.strategy.autodiff",
    "jax_vjp": "vjplab.strategy.autodiff",
    "linearize_transpose": "vjplab.strategy.autodiff",
    "naive_jacfwd": "vjplab.strategy.dense",
    "naive_jacrev": "vjplab.strategy.dense",
    "sparsejac_sparse": "vjplab.strategy.sparse",
}

#: strategies that materialise the dense Jacobian (Strategy.dense must agree; checked at
#: registration); the suite runs them only at the grid's small dimensions.
DENSE_STRATEGIES: frozenset[str] = frozenset({"naive_jacfwd", "naive_jacrev"})

#: strategies that build J as a sparse matrix by colouring with an optional library
#: (vjplab.sparse; the ``sparse`` extra). A grid runs them only at its sweeps'
#: ``sparse_dimensions``, never on scalar losses (a dense 1 x N row: nothing to colour).
SPARSE_STRATEGIES: frozenset[str] = frozenset({"asdex_sparse", "sparsejac_sparse"})

#: families whose structure does not depend on k (Family.uses_locality must agree).
LOCALITY_FREE_FAMILIES: frozenset[str] = frozenset({"dense_control"})

#: scalar losses, M = 1 (exactly the ScalarLoss subclasses; checked at registration).
SCALAR_LOSS_FAMILIES: frozenset[str] = frozenset({"ginzburg_landau_2d", "least_squares_3d",
                                                  "smoothness_1d"})

#: residuals of discretised PDEs, run in float64 as adjoint/PDE codes are (vjplab.grid).
PDE_FAMILIES: frozenset[str] = frozenset({"brusselator_2d", "burgers_1d"})


def family_names() -> list[str]:
    return sorted(FAMILY_MODULES)


def strategy_names() -> list[str]:
    return sorted(STRATEGY_MODULES)
