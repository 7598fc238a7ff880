"""Sparse strategies: build J(x) as a sparse matrix by colouring, then ``J^T c`` (vjplab.sparse).

``asdex_sparse``:     asdex detects J's pattern from the jaxpr of f, colours its columns;
                      ``J = (colours JVPs, decompressed into a BCOO)``, then ``J^T c``.
``sparsejac_sparse``: sparsejac is given the family's pattern (``sparsity_coo``), colours it
                      with networkx; ``J = sparsejac.jacfwd(f, pattern)(x)``, then ``J^T c``.

What ``time_vjp`` of these strategies means: the pattern and colouring are built once, in
setup (never timed; benchmarks/bench_sparse.py times them as phase 1), so a timed call is the
VJP at a new x with the colouring amortised: ``colours`` batched JVPs of f plus the gather into
the BCOO (phase 2), then the sparse product over its nnz nonzeros (phase 3). It is the price of
a VJP for a user who needs J itself too, or who contracts one J with many cotangents (then only
phase 3 recurs). A colouring with 2k + 1 colours makes this about 2k + 1 passes of f, against
about one for ``jax.vjp``.

Scalar losses (a dense 1 x N row, N colours) are left out; the libraries are optional (the
``sparse`` extra), and asdex needs jax >= 0.9.0: a missing or unsupported library makes every
combination infeasible, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from vjplab.strategy.base import Strategy, register_strategy


def _sparse_memory(problem) -> int:
    """The BCOO (values + two int32 indices per nonzero), the colours' batch of tangents in
    and out of f (colours >= the densest row's nonzeros; estimated as 2k + 1, or N for a
    locality-free family, whose Jacobian is dense), the compressed J and the result."""
    from vjplab import catalog

    item = problem.dtype.itemsize
    colours = (problem.in_size if problem.family in catalog.LOCALITY_FREE_FAMILIES
               else 2 * problem.locality + 1)
    nnz = min(problem.out_size * problem.in_size, problem.out_size * colours)
    batch = colours * (problem.in_size + 2 * problem.out_size)
    return nnz * (item + 8) + batch * item + 2 * (problem.in_size + problem.out_size) * item


@dataclass(frozen=True)
class SparseStrategy(Strategy):
    """A Strategy whose ``library`` (vjplab.sparse.LIBRARIES) may be missing or unsupported,
    and whose colouring is impractical past a size: both are infeasible, with the reason."""

    library: str = ""

    def infeasible_reason(self, problem, budget_bytes: int | None = None) -> str | None:
        from vjplab.sparse import infeasible_reason

        return (super().infeasible_reason(problem, budget_bytes)
                or infeasible_reason(problem, self.library))


def _make_vjp(library: str):
    def make_vjp(problem):
        from vjplab.sparse import plan, transpose_product

        sparse_plan = plan(problem, library)  # once per pattern: never in the timed call

        def vjp(x, c):
            return transpose_product(sparse_plan.jacobian(x), c)

        return vjp

    return make_vjp


for _library, _summary in (
    ("asdex", "asdex: pattern from the jaxpr, colouring, J as BCOO, then J^T c"),
    ("sparsejac", "sparsejac: given pattern, networkx colouring, J as BCOO, then J^T c"),
):
    register_strategy(SparseStrategy(name=f"{_library}_sparse", summary=_summary,
                                     make_vjp=_make_vjp(_library), memory_bytes=_sparse_memory,
                                     library=_library))
