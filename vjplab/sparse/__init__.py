"""Sparse Jacobians by colouring (optional: ``pip install 'vjplab[sparse]'``).

JAX has no sparse AD; two libraries fill the gap, and vjplab measures them as VJP strategies
(``asdex_sparse``, ``sparsejac_sparse``: build J at x as a BCOO, then ``J^T c``) and in their
three phases (benchmarks/bench_sparse.py: pattern + colouring once per pattern, the sparse
Jacobian once per x, the product once per cotangent).

Public API::

    LIBRARIES                              ("asdex", "sparsejac")
    unavailable_reason(library)            why a library cannot run here, or None
    plan(problem, library) -> SparsePlan   pattern + colouring (Infeasible with the reason)
    transpose_product(J, c)                J^T c for a BCOO J (jittable)
    spy(problem, library, path)            the pattern's picture, columns by colour (spy.py)
"""


from __future__ import annotations

import importlib
from typing import Any

# Importing this package imports no JAX (asv's cheap processes and the history code ask
# unavailable_reason): the names of vjplab.sparse.plans load on first use.
from vjplab.sparse.libraries import LIBRARIES, MINIMUM_JAX, unavailable_reason

_LAZY = {name: "vjplab.sparse.plans" for name in
         ("COLOURING_LIMIT_NNZ", "SparsePlan", "infeasible_reason", "plan", "transpose_product")}

__all__ = ["LIBRARIES", "MINIMUM_JAX", "unavailable_reason", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
