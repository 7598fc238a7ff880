"""The names of every family and strategy, and the module that registers each one.

This is the one entry to add for a new family or strategy. It imports nothing heavy, so asv
benchmark processes that only read stored metrics can list parameters without importing JAX
(importing JAX costs ~0.6 s per process, and asv starts one process per parameter set).

Other packages add families without editing vjplab through the entry-point group
``vjplab.families`` (docs/plugins.md): ``family_names()`` merges them with the built-in ones.
Their entry points are read from the installed packages' metadata on first use, once per
process (``importlib.metadata``, no import of the plugin itself), so listing names stays cheap.
"""

from __future__ import annotations

import functools

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


#: The entry-point group through which installed packages add families (docs/plugins.md).
FAMILY_ENTRY_POINT_GROUP = "vjplab.families"


@functools.cache
def plugin_family_modules() -> dict[str, str]:
    """family name -> entry-point value (``module`` or ``module:FamilySubclass``) of every
    installed package's ``vjplab.families`` entry point; read once per process.

    ValueError when an entry point takes a built-in family's name, or two packages declare the
    same name with different targets.
    """
    from importlib.metadata import entry_points

    found: dict[str, str] = {}
    origin: dict[str, str] = {}
    for entry in entry_points(group=FAMILY_ENTRY_POINT_GROUP):
        package = _package_of(entry)
        if entry.name in FAMILY_MODULES:
            raise ValueError(
                f"entry point {entry.name!r} = {entry.value!r} of {package} (group "
                f"{FAMILY_ENTRY_POINT_GROUP}) takes the name of vjplab's built-in family "
                f"{entry.name!r}; rename it (built-in families: {', '.join(sorted(FAMILY_MODULES))})")
        if entry.name in found and found[entry.name] != entry.value:
            raise ValueError(
                f"family {entry.name!r} is declared twice in entry-point group "
                f"{FAMILY_ENTRY_POINT_GROUP}: {found[entry.name]!r} by {origin[entry.name]} and "
                f"{entry.value!r} by {package}; uninstall or rename one")
        found[entry.name] = entry.value
        origin[entry.name] = package
    return dict(sorted(found.items()))


def _package_of(entry) -> str:
    dist = getattr(entry, "dist", None)
    return f"package {dist.name!r}" if dist is not None else "an installed package"


def builtin_family_names() -> list[str]:
    """The families that ship with vjplab (FAMILY_MODULES)."""
    return sorted(FAMILY_MODULES)


def plugin_family_names() -> list[str]:
    """The families other packages add (entry-point group ``vjplab.families``)."""
    return sorted(plugin_family_modules())


def family_names() -> list[str]:
    """Every family: the built-in ones and those of installed packages' entry points."""
    return sorted([*FAMILY_MODULES, *plugin_family_modules()])


def strategy_names() -> list[str]:
    """Every strategy, sorted, the sparse ones last. The order is asv's parameter order, and
    asv's graph of a benchmark opens on the first value of each parameter after the first: a
    sparse strategy first (``asdex_sparse``) would open the time_vjp graph on a strategy that
    most grids time only in the sparse phases, an empty plot."""
    return sorted(STRATEGY_MODULES, key=lambda name: (name in SPARSE_STRATEGIES, name))
