"""Sparse Jacobians by colouring, and the VJP ``J^T c`` as a sparse product.

A Jacobian with few nonzeros per row can be computed with far fewer JVPs than its N columns:
columns that never share a row ("structurally orthogonal") can be seeded together. Give each
column a colour so that no two columns of one row share a colour; then one JVP per colour,
``J s_g`` with ``s_g = sum of the basis vectors e_j of colour g``, yields every nonzero
``J_ij = (J s_{colour(j)})_i`` (column j is the only one of its colour in row i). This is
*column colouring* (forward mode) and both libraries here use it:

* colours >= the densest row's nonzeros (those columns all need different colours);
* for a periodic band of radius k (columns j, j' share a row iff |j - j'| <= 2k, cyclically),
  exactly 2k + 1 colours suffice when 2k + 1 divides N (colour j mod (2k + 1)).

A ``SparsePlan`` holds what is built once per pattern (detection or the given pattern, the
colouring, the seed matrix); ``plan.jacobian(x)`` then costs ``colours`` JVPs (batched with
vmap) plus a gather into the BCOO, and ``transpose_product(J, c)`` one pass over the nnz
nonzeros: ``(J^T c)_j = sum_i J_ij c_i``.

Colouring is Python (sparsejac: networkx's greedy colouring over a graph of N vertices and
about N (4k) edges for a 1-d band) or numba (asdex), and asdex's pattern detection propagates
index sets through the jaxpr element by element, so building a plan costs about 2-7 us per
nonzero on the 2-core reference VM (30 s at 9e6 nonzeros): ``COLOURING_LIMIT_NNZ`` says where
it stops being practical (measured, docs/results.md), and ``plan`` raises Infeasible beyond.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from vjplab import catalog
from vjplab.prepared import Infeasible
from vjplab.sparse.libraries import check_library, unavailable_reason

if TYPE_CHECKING:
    import jax
    from jax.experimental.sparse import BCOO

    from vjplab.problems import Problem

#: Largest Jacobian (structural nonzeros) each library's plan is built for: beyond it, one
#: build of the pattern and colouring takes over ~10-30 s and several GB. Measured on the 2-core
#: AMD EPYC VM (docs/results.md, "Sparse Jacobians"): both libraries cost 2-7 us per nonzero
#: (asdex 2.2-5.5, sparsejac 2.0-7.3: networkx's graph grows with the columns' conflicts, e.g.
#: 2-d stencils), so roll_cubic N = 1e6, k = 1 (3e6 nonzeros) builds in 6.5 s (asdex) and 7.7 s
#: (sparsejac), k = 4 (9e6) in 32 s and 18 s with 6.0 and 4.5 GB peak RSS: past the limit.
COLOURING_LIMIT_NNZ: dict[str, int] = {"asdex": 4_000_000, "sparsejac": 4_000_000}


@dataclass(frozen=True)
class SparsePlan:
    """The pattern and its colouring for one (problem, library), built once.

    ``jacobian(x)`` (jittable) is J(x) as an M x N BCOO; ``colours`` the number of JVPs it
    costs; ``column_colours[j]`` the colour of column j (forward mode: column colouring).
    """

    library: str
    colours: int
    nnz: int
    shape: tuple[int, int]
    jacobian: Callable[["jax.Array"], "BCOO"]
    column_colours: np.ndarray | None = field(default=None, compare=False, repr=False)
    mode: str = "fwd"


def infeasible_reason(problem: "Problem", library: str) -> str | None:
    """Why ``plan(problem, library)`` would raise Infeasible (None: it would not), decided
    without colouring. ValueError for an unknown library."""
    check_library(library)
    if problem.family in catalog.SCALAR_LOSS_FAMILIES:
        return (f"{problem.family} is a scalar loss: its Jacobian is one dense 1 x N row, "
                f"nothing to colour (N colours); sparse strategies leave it out")
    reason = unavailable_reason(library)
    if reason:
        return reason
    # A locality-free family's Jacobian is dense (dense_control): its M N nonzeros are not
    # listed (1e8 index pairs at N = 1e4).
    nnz = (problem.out_size * problem.in_size
           if problem.family in catalog.LOCALITY_FREE_FAMILIES else problem.nnz())
    limit = COLOURING_LIMIT_NNZ[library]
    if nnz > limit:
        return (f"{library}: the Jacobian of {problem.family} N={problem.dimension} "
                f"k={problem.locality} has {nnz:,} nonzeros, past the {limit:,} up to which "
                f"building its pattern and colouring is practical "
                f"(vjplab.sparse.plans.COLOURING_LIMIT_NNZ)")
    return None


def plan(problem: "Problem", library: str) -> SparsePlan:
    """Pattern + colouring of ``problem``'s Jacobian with ``library``: asdex detects the
    pattern from ``problem.f`` (its jaxpr), sparsejac is given the family's ``sparsity_coo``.

    Raises Infeasible (a NotImplementedError: asv skips) with the reason when the library is
    missing or unsupported, the family is a scalar loss, or the Jacobian is past the practical
    colouring limit; ValueError for an unknown library.
    """
    reason = infeasible_reason(problem, library)
    if reason:
        raise Infeasible(reason)
    return _BUILDERS[library](problem)


def transpose_product(jacobian: "BCOO", cotangent: "jax.Array") -> "jax.Array":
    """``J^T c`` for a BCOO ``J`` (M x N) and a dense ``c`` (length M): a sparse
    matrix-vector product over J's nonzeros, ``(J^T c)_j = sum_i J_ij c_i``. Jittable."""
    return jacobian.T @ cotangent


def _shape(problem: "Problem") -> tuple[int, int]:
    return (problem.out_size, problem.in_size)


def _asdex_plan(problem: "Problem") -> SparsePlan:
    import warnings

    import asdex

    try:
        with warnings.catch_warnings():
            # "as many colours as columns": tiny or dense patterns, reported as `colours`
            warnings.simplefilter("ignore", asdex.DenseColoringWarning)
            colouring = asdex.jacobian_coloring(problem.f, problem.x, mode="fwd")
    except NotImplementedError as exc:  # a primitive asdex's detection has no rule for
        raise Infeasible(f"asdex cannot detect the pattern of {problem.family}: {exc}") from exc
    return SparsePlan(library="asdex", colours=int(colouring.num_colors),
                      nnz=int(colouring.sparsity.nnz), shape=_shape(problem),
                      jacobian=asdex.jacobian_from_coloring(problem.f, colouring),
                      column_colours=np.asarray(colouring.colors))


def _sparsejac_plan(problem: "Problem") -> SparsePlan:
    import jax
    import jax.numpy as jnp
    import sparsejac
    from jax.experimental import sparse as jsparse

    rows, cols = problem.sparsity_coo()
    pattern = jsparse.BCOO((np.ones(len(rows), dtype=np.float32),
                            np.stack([rows, cols], axis=1).astype(np.int32)),
                           shape=_shape(problem))
    f, dtype = problem.f, problem.dtype
    # sparsejac seeds with a basis of dtype ``float`` (float64 under jax_enable_x64), and jvp
    # needs the tangent's dtype to be x's: a float32 problem in a 64-bit process is
    # differentiated at x cast to float64 through a cast back (same values, same J).
    wide = jax.config.jax_enable_x64 and dtype != np.float64
    fn = (lambda y: f(y.astype(dtype))) if wide else f
    jacobian_of = sparsejac.jacfwd(fn, sparsity=pattern)
    # sparsejac colours inside jacfwd and keeps the colouring in the returned closure.
    column_colours = np.asarray(inspect.getclosurevars(jacobian_of).nonlocals["input_coloring"])

    def jacobian(x):
        return jacobian_of(x.astype(jnp.float64) if wide else x)

    return SparsePlan(library="sparsejac", colours=int(np.unique(column_colours).size),
                      nnz=len(rows), shape=_shape(problem), jacobian=jacobian,
                      column_colours=column_colours)


_BUILDERS: dict[str, Callable[["Problem"], SparsePlan]] = {"asdex": _asdex_plan,
                                                           "sparsejac": _sparsejac_plan}
