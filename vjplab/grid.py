"""Parameter grids of the asv suite, chosen by the environment variable VJPLAB_GRID.

A grid has two sweeps over (family, strategy, dimension, locality, dtype):

* ``latency``: the asv ``time_`` benchmark, one process per parameter set;
* ``metrics``: device time, compile time, XLA cost/memory and peak memory.

In a sweep, ``dimensions`` are run by every strategy and ``large_dimensions`` only by strategies
that never form the dense Jacobian. Dimensions are nominal: a grid family runs at its
``nearest_dimension``. Families and strategies are every registered one (``vjplab.catalog``);
families of other packages (entry-point group ``vjplab.families``, docs/plugins.md) run where a
sweep's ``plugins`` scope says: the default grid's latency sweep at N = 1e3 only (every
strategy, k = 1 and 16, float32: 12 parameter sets, three rounds each, per plugin family),
``full`` and ``smoke`` everywhere, the other grids not at all.

asv starts one process per benchmark, parameter set and round (forked from a server that has
imported JAX), and ``time_vjp`` runs three rounds, so the default grid is chosen to finish
within 15 minutes on a 2-core CPU: latency at N = 1e3 .. 1e6 and k = 1 and 16 (the ``full``
grid adds N = 1e2 and k = 4), and a metrics sweep of N = 1e3 for all strategies and 1e5 for the
scalable ones at k = 4 (the one locality every family accepts at N = 1e3); every family,
scalar losses included. The ``full`` grid measures every metric on its whole latency sweep.

**dtype** is the fifth parameter: every sweep measures float32; ``float64`` (a
``Float64Scope``) adds float64 where adjoint and PDE codes need it: on ``default`` and
``history`` the latency of the PDE residuals and the scalar losses (``FLOAT64_FAMILIES``) at
the largest N (1e6) and k = 1 (their metrics in float64 would cost the default grid about two
minutes: compile time alone is 7 cold compiles of 0.3-0.8 s per combination), on ``full``
everywhere, metrics included. ``jax_enable_x64`` is process-wide and changes float32
programs too, so each dtype is measured in its own processes (vjplab.x64), and the two are
separate series everywhere (asv names them ``...(..., 'float32')`` and ``'float64'``).

The ``history`` grid is what ``results/reference/`` holds: latency of every family and O(N)
strategy at N = 1e3 and the default grid's largest N (1e6), k = 1 and 4, dense strategies at
1e3, float64 as on ``default``, in two rounds instead of three; metrics of the O(N) strategies
at N = 1e5, k = 4; sized for 8 JAX
releases in about 45 minutes on this 2-core machine.

**Sparse strategies** (``catalog.SPARSE_STRATEGIES``: asdex / sparsejac colour J, vjplab.sparse)
build their colouring in slow Python once per pattern. A sweep runs them only at its
``sparse_dimensions`` (none on ``default``, every N on ``full``, where past the practical
colouring limit they skip with the reason), never on scalar losses. A grid's third sweep,
``sparse``, measures their three phases and colour counts (benchmarks/bench_sparse.py): on
``default`` N = 1e3 at k = 1 and 4 (1e4 moved to ``full`` for the budget), every vector-map family; on ``full`` N = 1e2 .. 1e6,
k = 1, 4, 16, float32 and float64; on ``smoke`` roll_cubic at N = 100; none on the others.

Program fingerprints (benchmarks/bench_program.py, vjplab.measure.fingerprints): every grid
compiles each combination of its latency and metrics sweeps once more (never run) and keeps the
optimized HLO's hash and text in a sidecar beside the results; the nine ``track_hlo_*`` op
counts are asv benchmarks of the **metrics** sweep only (on ``default`` the metrics sweep's
combinations, on ``full`` the whole latency sweep), because each is one asv process per
parameter set (docs/asv.md, "Program fingerprints", has the measured cost).

Many VJPs at one point (benchmarks/bench_many.py, vjplab.many): two more sweeps of their own
parameters (``ManySweep``), because K and the method are no VJP strategy of the 5-parameter
space: ``cotangents`` (family x method x dimension x K x dtype: K cotangents at one x) and
``adjoint`` (family x method x dimension x dtype: the adjoint solve). ``full`` runs every
non-scalar family and method at N = 1e3, 1e4, 1e5 with K = 1, 16, 256 in float64, and the
adjoint solve of brusselator_2d by every method; ``default`` runs them at N = 1e3 with fewer
methods and without dense_control (``_DEFAULT_K_METHODS``, ``_DEFAULT_ADJOINT_METHODS``); the
other grids run none.

asv's parameters are NOT a grid's: they are ``PARAM_SPACE``, the union of every grid, so results
of different grids are the same benchmarks to asv. A grid selects which combinations run: the
others skip in setup with the reason, and ``vjplab bench`` / ``vjplab record`` pass asv a
``--bench`` regex (``vjplab.selection``) so that asv does not even start their processes.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from vjplab import catalog


#: The suite's dtypes (asv parameter ``dtype``): float32 everywhere, float64 where a sweep's
#: ``float64`` scope says so.
DTYPES: tuple[str, ...] = ("float32", "float64")


@dataclass(frozen=True)
class Float64Scope:
    """Where a sweep also measures float64 (None in a field: every value of the sweep's).

    float64 needs ``jax_enable_x64``, which is process-wide and changes float32 programs too,
    so each dtype is measured in its own processes (vjplab.x64)."""

    families: tuple[str, ...] | None = None
    dimensions: tuple[int, ...] | None = None
    localities: tuple[int, ...] | None = None

    def reason_outside(self, family: str, dimension: int, locality: int) -> str | None:
        """Why this scope leaves (family, dimension, locality) out of float64 (None: in)."""
        if self.families is not None and family not in self.families:
            return f"float64 is measured here for {', '.join(self.families)} only"
        if self.dimensions is not None and dimension not in self.dimensions:
            return (f"float64 is measured here at N = {', '.join(map(str, self.dimensions))} "
                    f"only")
        if self.localities is not None and locality not in self.localities:
            return (f"float64 is measured here at k = {', '.join(map(str, self.localities))} "
                    f"only")
        return None


#: Everywhere the sweep runs.
EVERYWHERE = Float64Scope()


@dataclass(frozen=True)
class PluginScope:
    """Where a sweep runs the families of other packages (entry-point group
    ``vjplab.families``, docs/plugins.md): at ``dimensions`` only, or at every dimension of the
    sweep (None). A sweep without a scope leaves them out."""

    dimensions: tuple[int, ...] | None = None

    def reason_outside(self, family: str, dimension: int) -> str | None:
        """Why this scope leaves (plugin ``family``, ``dimension``) out (None: in)."""
        if self.dimensions is not None and dimension not in self.dimensions:
            return (f"{family} is another package's family (entry point); this grid runs those "
                    f"at N = {', '.join(map(str, self.dimensions))} only")
        return None


#: Plugin families at every dimension of the sweep.
ALL_PLUGIN_DIMENSIONS = PluginScope()


@dataclass(frozen=True)
class Sweep:
    dimensions: tuple[int, ...]
    large_dimensions: tuple[int, ...]
    localities: tuple[int, ...]
    #: Subsets of the catalog's families and strategies (None: every registered one).
    families: tuple[str, ...] | None = None
    strategies: tuple[str, ...] | None = None
    #: Where float64 is measured too (None: float32 only).
    float64: Float64Scope | None = None
    #: Where other packages' families run (None: not in this sweep); only when ``families``
    #: is None (every registered family).
    plugins: PluginScope | None = None
    #: The dimensions at which this sweep runs the sparse strategies (catalog.
    #: SPARSE_STRATEGIES; none by default): building their colouring is slow Python.
    sparse_dimensions: tuple[int, ...] = ()
    #: Whether the metrics measured on this sweep include compile time (six cold compiles per
    #: combination: the GPU check leaves it out to fit its budget).
    compile_time: bool = True

    @property
    def dtypes(self) -> tuple[str, ...]:
        return DTYPES if self.float64 is not None else DTYPES[:1]

    @property
    def family_names(self) -> list[str]:
        if self.families is not None:
            return list(self.families)
        if self.plugins is None:
            return catalog.builtin_family_names()
        return catalog.family_names()

    @property
    def strategy_names(self) -> list[str]:
        return list(self.strategies) if self.strategies else catalog.strategy_names()

    @property
    def all_dimensions(self) -> tuple[int, ...]:
        return self.dimensions + self.large_dimensions

    @property
    def param_names(self) -> tuple[str, ...]:
        return SWEEP_PARAMS

    def values(self) -> dict[str, list]:
        """The sweep's values per parameter, in asv order (SWEEP_PARAMS)."""
        return sweep_values(self)

    def combinations(self) -> Iterator[tuple[str, str, int, int, str]]:
        """Every (family, strategy, dimension, locality, dtype) of the sweep's full product."""
        return itertools.product(self.family_names, self.strategy_names, self.all_dimensions,
                                 self.localities, self.dtypes)

    def outside_reason(self, family: str, strategy: str | None, dimension: int,
                       locality: int | None, dtype: str | None = None) -> str | None:
        """Why a combination of the suite's parameter space is not in this sweep (None: it is).

        ``strategy``, ``locality`` and ``dtype`` may be None for benchmarks without them.
        """
        checks = (("family", family, self.family_names),
                  ("strategy", strategy, self.strategy_names),
                  ("dimension", dimension, list(self.all_dimensions)),
                  ("locality", locality, list(self.localities)),
                  ("dtype", dtype, list(self.dtypes)))
        for name, value, allowed in checks:
            if value is not None and value not in allowed:
                return f"{name} {value!r} is not one of {', '.join(map(repr, allowed))}"
        return None

    def skip_reason(self, family: str, strategy: str, dimension: int, locality: int,
                    dtype: str = "float32") -> str | None:
        """Why the sweep leaves this combination of its own product out (decided without
        importing JAX)."""
        if dtype == "float64" and self.float64 is not None:
            outside = self.float64.reason_outside(family, dimension, locality)
            if outside:
                return outside
        if self.plugins is not None and family in catalog.plugin_family_modules():
            outside = self.plugins.reason_outside(family, dimension)
            if outside:
                return outside
        if strategy in catalog.SPARSE_STRATEGIES:
            if family in catalog.SCALAR_LOSS_FAMILIES:
                return (f"{family} is a scalar loss (one dense 1 x N row, nothing to colour): "
                        f"sparse strategies leave it out")
            if dimension not in self.sparse_dimensions:
                where = (f"only at dimensions {', '.join(map(str, self.sparse_dimensions))}"
                         if self.sparse_dimensions else "in the sparse phases only "
                         "(benchmarks/bench_sparse.py)")
                return f"{strategy} colours in Python; this grid runs it {where}"
        if strategy in catalog.DENSE_STRATEGIES and dimension not in self.dimensions:
            return (f"{strategy} forms the dense Jacobian; this grid runs it only at dimensions "
                    f"{', '.join(map(str, self.dimensions))}")
        if family in catalog.LOCALITY_FREE_FAMILIES and locality != self.localities[0]:
            return f"{family} ignores locality; it is measured at locality={self.localities[0]} only"
        return None


    def at_dimensions(self, dimensions: Iterable[int]) -> "Sweep":
        """This sweep at those of its dimensions in ``dimensions`` (possibly none), each
        keeping its role (all strategies, O(N) only, sparse)."""
        wanted = set(dimensions)

        def kept(values: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(n for n in values if n in wanted)

        return replace(self, dimensions=kept(self.dimensions),
                       large_dimensions=kept(self.large_dimensions),
                       sparse_dimensions=kept(self.sparse_dimensions))

#: The parameters of a VJP sweep, in asv order.
SWEEP_PARAMS = ("family", "strategy", "dimension", "locality", "dtype")


def sweep_values(sweep: Sweep) -> dict[str, list]:
    """A VJP sweep's values per parameter (asv's params, in SWEEP_PARAMS order)."""
    return {"family": sweep.family_names, "strategy": sweep.strategy_names,
            "dimension": list(sweep.all_dimensions), "locality": list(sweep.localities),
            "dtype": list(sweep.dtypes)}


@dataclass(frozen=True)
class ManySweep:
    """A sweep of a many-VJPs benchmark (vjplab.many): family x method x dimension
    [x cotangents] x dtype, at the benchmark's one locality. ``counts`` (K) empty: the benchmark
    has no K parameter (the adjoint solve). Methods of ``vjplab.many.names.DENSE_METHODS`` run
    only at ``dense_dimensions``."""

    families: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    dimensions: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    dtypes: tuple[str, ...] = ("float64",)
    dense_dimensions: tuple[int, ...] = ()
    #: whether the benchmark has the K parameter (``counts`` then lists the values)
    with_counts: bool = False

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.values())

    def values(self) -> dict[str, list]:
        """The sweep's values per parameter, in asv order."""
        values = {"family": list(self.families), "method": list(self.methods),
                  "dimension": list(self.dimensions)}
        if self.with_counts:
            values["cotangents"] = list(self.counts)
        values["dtype"] = list(self.dtypes)
        return values

    def combinations(self) -> Iterator[tuple]:
        return itertools.product(*self.values().values())

    def outside_reason(self, **params) -> str | None:
        """Why a combination of the suite's space is not in this sweep (None: it is)."""
        for name, allowed in self.values().items():
            if params[name] not in allowed:
                return (f"{name} {params[name]!r} is not one of "
                        f"{', '.join(map(repr, allowed)) or 'nothing'}")
        return None

    def skip_reason(self, *combo) -> str | None:
        """Why the sweep leaves this combination of its own product out (dense methods and
        locality-free families at large dimensions, sparse methods on a locality-free
        family)."""
        from vjplab.many.names import DENSE_METHODS

        from vjplab.many.names import SPARSE_METHODS

        params = dict(zip(self.param_names, combo))
        if (params["method"] in SPARSE_METHODS
                and params["family"] in catalog.LOCALITY_FREE_FAMILIES):
            return (f"{params['family']}'s Jacobian is dense (N colours: forming it sparsely "
                    f"costs N JVPs, the dense Jacobian): the sparse methods leave it out")
        if (params["family"] in catalog.LOCALITY_FREE_FAMILIES
                and params["dimension"] not in self.dense_dimensions):
            return (f"{params['family']} is dense (one VJP takes ~10 ms at N = 1e3 and grows "
                    f"as N^2); this grid runs it only at dimensions "
                    f"{', '.join(map(str, self.dense_dimensions)) or 'none'}")
        if params["method"] in DENSE_METHODS and params["dimension"] not in self.dense_dimensions:
            return (f"{params['method']} forms the dense Jacobian; this grid runs it only at "
                    f"dimensions {', '.join(map(str, self.dense_dimensions)) or 'none'}")
        return None

    def restricted_to(self, families: list[str]) -> "ManySweep":
        return replace(self, families=tuple(f for f in self.families if f in families))

    def at_dimensions(self, dimensions: Iterable[int]) -> "ManySweep":
        """This sweep at those of its dimensions in ``dimensions``; ValueError naming its
        dimensions when none is."""
        wanted = set(dimensions)
        kept = tuple(n for n in self.dimensions if n in wanted)
        if not kept:
            raise ValueError(f"no dimension of {sorted(wanted)} in this sweep; allowed: "
                             f"{', '.join(map(str, self.dimensions))}")
        return replace(self, dimensions=kept)


#: The two sweeps of a grid over every strategy: the latency benchmark's and the
#: metric/peak-memory benchmarks'.
SWEEP_KINDS = ("latency", "metrics")
#: The many-VJPs sweeps (vjplab.many): K cotangents at one point, the adjoint solve.
MANY_KINDS = ("cotangents", "adjoint")

#: The third sweep, over the sparse strategies only: their three phases (pattern + colouring,
#: J at a new x, J^T c at a new cotangent) and colour counts, benchmarks/bench_sparse.py.
SPARSE_KIND = "sparse"

#: The families a sparse sweep measures: every built-in vector map (scalar losses have a dense
#: row; other packages' families are not read at import time, and vjplab lacks their pattern).
VECTOR_FAMILIES = tuple(f for f in catalog.builtin_family_names()
                        if f not in catalog.SCALAR_LOSS_FAMILIES)


def sparse_sweep(dimensions: tuple[int, ...], localities: tuple[int, ...],
                 families: tuple[str, ...] = VECTOR_FAMILIES,
                 float64: Float64Scope | None = None) -> Sweep:
    """A sweep of the sparse strategies' phases over ``families`` (vector maps)."""
    return Sweep(dimensions=dimensions, large_dimensions=(), localities=localities,
                 families=families, strategies=tuple(sorted(catalog.SPARSE_STRATEGIES)),
                 float64=float64, sparse_dimensions=dimensions)


#: A grid without sparse phases.
NO_SPARSE = sparse_sweep((), ())


@dataclass(frozen=True)
class Grid:
    name: str
    latency: Sweep
    metrics: Sweep
    #: asv rounds of ``time_vjp`` (processes per parameter set, pooled; benchmarks/common.py)
    latency_rounds: int = 3
    #: many VJPs at one point (vjplab.many); empty: the grid runs none
    cotangents: ManySweep = ManySweep(with_counts=True)
    adjoint: ManySweep = ManySweep()
    #: The sparse strategies' phases (benchmarks/bench_sparse.py); none by default.
    sparse: Sweep = NO_SPARSE

    def restricted_to(self, families: Iterable[str]) -> "Grid":
        """This grid with only ``families`` (those it runs): a piece of a run (vjplab.pieces)
        measures one family, and the metrics' shared setup_cache then sweeps only that family.
        ValueError names the allowed families."""
        wanted = list(families)
        known = catalog.family_names()
        unknown = [f for f in wanted if f not in known]
        if unknown:
            raise ValueError(f"unknown famil{'y' if len(unknown) == 1 else 'ies'} "
                             f"{', '.join(map(repr, unknown))}; allowed: {', '.join(known)}")

        def keep(sweep: Sweep) -> Sweep:
            return replace(sweep, families=tuple(f for f in sweep.family_names if f in wanted))

        return replace(self, latency=keep(self.latency), metrics=keep(self.metrics),
                       sparse=keep(self.sparse),
                       cotangents=self.cotangents.restricted_to(wanted),
                       adjoint=self.adjoint.restricted_to(wanted))

    @property
    def family_names(self) -> list[str]:
        """Every family some sweep of this grid runs, in the catalog's order."""
        runs = {f for sweep in (self.latency, self.metrics, self.sparse)
                if sweep.all_dimensions and sweep.localities for f in sweep.family_names}
        runs |= {f for sweep in (self.cotangents, self.adjoint) if sweep.dimensions
                 for f in sweep.families}
        return [f for f in catalog.family_names() if f in runs]

    def check_families(self, families: Iterable[str]) -> list[str]:
        """``families`` if this grid runs each of them; ValueError naming the allowed ones."""
        wanted = list(families)
        allowed = self.family_names
        outside = [f for f in wanted if f not in allowed]
        if outside or not wanted:
            raise ValueError(f"the {self.name!r} grid runs no famil"
                             f"{'y' if len(outside) == 1 else 'ies'} "
                             f"{', '.join(map(repr, outside)) or '(none given)'}; allowed: "
                             f"{', '.join(allowed)}")
        return wanted

    def at_dimensions(self, dimensions: Iterable[int]) -> "Grid":
        """This grid at those of its dimensions in ``dimensions``: a piece whose parameter sets
        hold only some of the grid's dimensions (a ``--bench`` that narrows a run) makes the
        shared setup_cache measure those only, not the whole sweep (vjplab.pieces)."""
        wanted = set(dimensions)

        def many(sweep: ManySweep) -> ManySweep:
            return replace(sweep, dimensions=tuple(n for n in sweep.dimensions if n in wanted),
                           dense_dimensions=tuple(n for n in sweep.dense_dimensions
                                                  if n in wanted))

        return replace(self, latency=self.latency.at_dimensions(wanted),
                       metrics=self.metrics.at_dimensions(wanted),
                       sparse=self.sparse.at_dimensions(wanted),
                       cotangents=many(self.cotangents), adjoint=many(self.adjoint))

    def sweep(self, kind: str) -> Sweep | ManySweep:
        """The ``latency``, ``metrics`` or ``sparse`` sweep, or a many-VJPs sweep
        (``cotangents``, ``adjoint``); ValueError names the allowed kinds."""
        kinds = SWEEP_KINDS + (SPARSE_KIND,) + MANY_KINDS
        if kind not in kinds:
            raise ValueError(f"unknown sweep {kind!r}; allowed: {', '.join(kinds)}")
        return getattr(self, kind)

    def many_selection_reason(self, kind: str, **params) -> str | None:
        """Why this grid does not run a combination of a many-VJPs benchmark (None: it does)."""
        sweep = self.sweep(kind)
        if kind not in MANY_KINDS:
            raise ValueError(f"{kind!r} is no many-VJPs sweep; allowed: {', '.join(MANY_KINDS)}")
        outside = sweep.outside_reason(**params)
        if outside:
            return f"not in the {self.name!r} grid ({kind} sweep): {outside}"
        return sweep.skip_reason(*(params[name] for name in sweep.param_names))

    def selection_reason(self, kind: str, family: str, strategy: str | None, dimension: int,
                         locality: int | None, dtype: str | None = None) -> str | None:
        """Why this grid does not run a combination of the suite's parameter space (None: it
        does): outside the grid's sweep ("not in the 'default' grid: ..."), or left out by the
        sweep itself (a dense strategy at a large dimension, a locality-free family)."""
        sweep = self.sweep(kind)
        if not sweep.all_dimensions:
            return f"the {self.name!r} grid has no {kind} sweep"
        outside = sweep.outside_reason(family, strategy, dimension, locality, dtype)
        if outside:
            return f"not in the {self.name!r} grid ({kind} sweep): {outside}"
        if strategy is None or locality is None:
            return None
        return sweep.skip_reason(family, strategy, dimension, locality, dtype or "float32")


#: Families measured in float64 on the default and history grids (the precision adjoint and
#: PDE codes run in): the PDE residuals and the scalar losses.
FLOAT64_FAMILIES = tuple(sorted(catalog.PDE_FAMILIES | catalog.SCALAR_LOSS_FAMILIES))

# Other packages' families (docs/plugins.md) run in the default grid's latency sweep at its
# small N (1e3: every strategy, k = 1 and 16, float32), everywhere in ``full`` and ``smoke``,
# and not in ``history`` (what results/reference/ holds), ``gpu`` or ``tiny``.
_DEFAULT_LATENCY = Sweep(dimensions=(1_000,), large_dimensions=(100_000, 1_000_000),
                         localities=(1, 16),
                         float64=Float64Scope(FLOAT64_FAMILIES, dimensions=(1_000_000,),
                                              localities=(1,)),
                         plugins=PluginScope(dimensions=(1_000,)))
_DEFAULT_METRICS = Sweep(dimensions=(1_000,), large_dimensions=(100_000,), localities=(4,))
_FULL_LATENCY = Sweep(dimensions=(100, 1_000, 10_000), large_dimensions=(100_000, 1_000_000),
                      localities=(1, 4, 16), float64=EVERYWHERE, plugins=ALL_PLUGIN_DIMENSIONS,
                      sparse_dimensions=(100, 1_000, 10_000, 100_000, 1_000_000))

# The sparse strategies' three phases (benchmarks/bench_sparse.py): the default grid at
# N <= 1e4 (their time_vjp is on `full` only, where it runs up to the practical colouring
# limit, vjplab.sparse.plans.COLOURING_LIMIT_NNZ; past it they skip with the reason).
_DEFAULT_SPARSE = sparse_sweep(dimensions=(1_000,), localities=(1, 4))
_FULL_SPARSE = sparse_sweep(dimensions=(100, 1_000, 10_000, 100_000, 1_000_000),
                            localities=(1, 4, 16), float64=EVERYWHERE)

# The reference history (results/reference/): every family and O(N) strategy at N = 1e3 and
# the default grid's largest N of each sweep, k = 1 and 4, dense strategies at 1e3 only.
_HISTORY_LATENCY = Sweep(dimensions=(1_000,), large_dimensions=(1_000_000,), localities=(1, 4),
                         float64=Float64Scope(FLOAT64_FAMILIES, dimensions=(1_000_000,),
                                              localities=(1,)))
_HISTORY_METRICS = Sweep(dimensions=(), large_dimensions=(100_000,), localities=(4,))

# The GPU check (.ci/gpu_check.sh, one prepared script in under 4 minutes of a lent GPU): roll_cubic
# from N = 1e3 (where the ~60 us dispatch floor decides) to N = 1e8 (where kernels decide: x, c
# and the result are 1.2 GB in float32), k = 1 and 16, the hand-written adjoint against
# jax.vjp, the dense Jacobian at 1e3; one latency round (process) per set; no compile time.
# (With linearize_transpose and compile time it took 6 min 20 s on an H100, 302 s of it the
# metrics: docs/results.md, "GPU".)
_GPU = Sweep(dimensions=(1_000,), large_dimensions=(1_000_000, 100_000_000), localities=(1, 16),
             families=("roll_cubic",), strategies=("exact", "jax_vjp", "naive_jacrev"),
             compile_time=False)

_TINY = Sweep(dimensions=(100,), large_dimensions=(), localities=(1,), families=("roll_cubic",),
              strategies=("exact", "jax_vjp"))

# Many VJPs at one point (vjplab.many), float64 (the adjoint's precision), K = 1, 16, 256.
# `full`: every non-scalar family and method at N = 1e3, 1e4, 1e5, the dense solve at 1e3.
# `default` (N = 1e3) is cut to fit its budget (docs/results.md, "How long things take"): no
# dense_control (one VJP takes 10 ms at N = 1e3: K = 256 sequential VJPs alone are 2.5 s per
# sample), one K-method per idea (reused_vjp stands for reused_linearize, asdex for sparsejac:
# they measured within a few percent of each other), and the adjoint solve by the hand-written
# adjoint, jax.vjp, the dense and the asdex solve (each GMRES method compiles two programs,
# ~4 s: the timed solve and the counted one).
_COUNTS = (1, 16, 256)
_DEFAULT_K_METHODS = ("exact", "loop_vjp", "vmap_vjp", "reused_vjp", "sparse_asdex")
_DEFAULT_ADJOINT_METHODS = ("exact", "jax_vjp", "dense", "sparse_asdex")


def _many(dimensions: tuple[int, ...], cut: bool = False) -> tuple[ManySweep, ManySweep]:
    from vjplab.many import names

    k_families = tuple(f for f in names.COTANGENT_FAMILIES
                       if not (cut and f in catalog.LOCALITY_FREE_FAMILIES))
    cotangents = ManySweep(k_families, _DEFAULT_K_METHODS if cut else names.COTANGENT_METHODS,
                           dimensions, _COUNTS, dense_dimensions=(1_000,), with_counts=True)
    adjoint = ManySweep(names.ADJOINT_FAMILIES,
                        _DEFAULT_ADJOINT_METHODS if cut else names.ADJOINT_METHODS, dimensions,
                        dense_dimensions=(1_000,))
    return cotangents, adjoint


_DEFAULT_COTANGENTS, _DEFAULT_ADJOINT = _many((1_000,), cut=True)
_FULL_COTANGENTS, _FULL_ADJOINT = _many((1_000, 10_000, 100_000))

GRIDS: dict[str, Grid] = {
    "default": Grid("default", latency=_DEFAULT_LATENCY, metrics=_DEFAULT_METRICS,
                    sparse=_DEFAULT_SPARSE, cotangents=_DEFAULT_COTANGENTS,
                    adjoint=_DEFAULT_ADJOINT),
    "full": Grid("full", latency=_FULL_LATENCY, metrics=_FULL_LATENCY, sparse=_FULL_SPARSE,
                 cotangents=_FULL_COTANGENTS, adjoint=_FULL_ADJOINT),
    # What results/reference/ holds: 8 JAX releases in about 45 minutes on a 2-core CPU.
    "history": Grid("history", latency=_HISTORY_LATENCY, metrics=_HISTORY_METRICS,
                    latency_rounds=2),
    "gpu": Grid("gpu", latency=_GPU, metrics=_GPU, latency_rounds=1),
    # End-to-end tests of the JAX-version history: two strategies, one tiny problem.
    "tiny": Grid("tiny", latency=_TINY, metrics=_TINY),
    "smoke": Grid("smoke",
                  latency=Sweep(dimensions=(100,), large_dimensions=(), localities=(1,),
                                float64=Float64Scope(("burgers_1d", "smoothness_1d")),
                                plugins=ALL_PLUGIN_DIMENSIONS),
                  metrics=Sweep(dimensions=(100,), large_dimensions=(), localities=(1,),
                                float64=Float64Scope(("burgers_1d", "smoothness_1d")),
                                plugins=ALL_PLUGIN_DIMENSIONS),
                  sparse=sparse_sweep(dimensions=(100,), localities=(1,),
                                      families=("roll_cubic",)),
                  # every benchmark kind once (asv's summary page asks for each one's graph)
                  cotangents=ManySweep(("roll_cubic",), ("exact", "vmap_vjp"), (1_000,), (1,),
                                       with_counts=True),
                  adjoint=ManySweep(("brusselator_2d",), ("exact",), (1_000,))),
}


def _union(sweeps: list[Sweep]) -> Sweep:
    """One sweep whose product holds every combination of ``sweeps`` (every registered
    family and strategy; dimensions and localities sorted)."""
    dimensions = sorted({n for sweep in sweeps for n in sweep.all_dimensions})
    localities = sorted({k for sweep in sweeps for k in sweep.localities})
    wide = any(sweep.float64 is not None for sweep in sweeps)
    plugins = any(sweep.plugins is not None for sweep in sweeps)
    return Sweep(dimensions=tuple(dimensions), large_dimensions=(), localities=tuple(localities),
                 float64=EVERYWHERE if wide else None,
                 plugins=ALL_PLUGIN_DIMENSIONS if plugins else None,
                 sparse_dimensions=tuple(dimensions))


#: asv's ONE parameter space: per sweep kind, the union of every grid's sweep. The benchmarks
#: declare it as their ``params`` whatever grid runs, so the results of all grids are the same
#: benchmarks to asv (they merge, compare and publish together); a grid only selects which
#: combinations run (``Grid.selection_reason``; ``vjplab.selection`` builds asv's --bench).
def _many_union(sweeps: list[ManySweep]) -> ManySweep:
    """One many-VJPs sweep holding every combination of ``sweeps`` (names in first-seen order,
    the sweeps with the most values first, so a cut-down sweep keeps the full one's order;
    numbers sorted)."""
    def merged(field: str) -> tuple:
        widest_first = sorted(sweeps, key=lambda sweep: -len(getattr(sweep, field)))
        seen = {value: None for sweep in widest_first for value in getattr(sweep, field)}
        return tuple(sorted(seen)) if field in ("dimensions", "counts") else tuple(seen)

    return ManySweep(merged("families"), merged("methods"), merged("dimensions"),
                     merged("counts"), merged("dtypes"), merged("dense_dimensions"),
                     with_counts=sweeps[0].with_counts)


PARAM_SPACE = Grid("all grids",
                   latency=_union([grid.latency for grid in GRIDS.values()]),
                   metrics=_union([grid.metrics for grid in GRIDS.values()]),
                   sparse=replace(_union([grid.sparse for grid in GRIDS.values()]),
                                  families=VECTOR_FAMILIES,
                                  strategies=tuple(sorted(catalog.SPARSE_STRATEGIES))),
                   cotangents=_many_union([grid.cotangents for grid in GRIDS.values()]),
                   adjoint=_many_union([grid.adjoint for grid in GRIDS.values()]))


#: Comma-separated families: the active grid keeps only these (set by vjplab.pieces).
FAMILIES_ENV = "VJPLAB_GRID_FAMILIES"
#: Comma-separated dimensions: the active grid keeps only these (set by vjplab.pieces).
DIMENSIONS_ENV = "VJPLAB_GRID_DIMENSIONS"


def active_grid() -> Grid:
    """The grid named by VJPLAB_GRID (default: "default"), restricted to the families of
    VJPLAB_GRID_FAMILIES and the dimensions of VJPLAB_GRID_DIMENSIONS when set; ValueError
    names the allowed grids or families, or says which dimension is not a number."""
    name = os.environ.get("VJPLAB_GRID", "default")
    try:
        grid = GRIDS[name]
    except KeyError:
        raise ValueError(
            f"unknown VJPLAB_GRID {name!r}; allowed: {', '.join(sorted(GRIDS))}"
        ) from None
    families = os.environ.get(FAMILIES_ENV, "").strip()
    if families:
        try:
            grid = grid.restricted_to(f.strip() for f in families.split(","))
        except ValueError as exc:
            raise ValueError(f"{FAMILIES_ENV}: {exc}") from None
    dimensions = os.environ.get(DIMENSIONS_ENV, "").strip()
    if dimensions:
        try:
            grid = grid.at_dimensions(int(n) for n in dimensions.split(","))
        except ValueError:
            raise ValueError(f"{DIMENSIONS_ENV}={dimensions!r}: allowed: comma-separated "
                             f"integers (dimensions)") from None
    return grid

