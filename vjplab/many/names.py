"""Names of the many-VJPs-at-one-point methods, importable without JAX (grids and asv params).

Two benchmarks share one point ``x`` and need many VJPs there (vjplab.many):

* **K cotangents** (``vjplab.many.cotangents``): ``J(x)^T c_i`` for a stack of K cotangents;
  the methods of ``COTANGENT_METHODS`` (``exact`` is the hand-written adjoint, the floor).
* **the adjoint solve** (``vjplab.many.adjoint``): ``J(u)^T lambda = g`` at the root u of a
  steady residual; the methods of ``ADJOINT_METHODS``.

A method ``sparse_<library>`` forms J once with ``vjplab.sparse`` (colouring by that library)
and multiplies by its transpose; it skips with the reason when the library or vjplab.sparse is
missing.
"""

from __future__ import annotations

from vjplab import catalog

#: The sparse-Jacobian libraries (vjplab.sparse.LIBRARIES, repeated here without importing it).
SPARSE_LIBRARIES: tuple[str, ...] = ("asdex", "sparsejac")
SPARSE_METHODS: tuple[str, ...] = tuple(f"sparse_{library}" for library in SPARSE_LIBRARIES)

#: K-cotangent methods: the hand-written adjoint, then the automatic ones (vjplab.many.cotangents
#: registers exactly these; a test checks).
COTANGENT_METHODS: tuple[str, ...] = ("exact", "loop_vjp", "vmap_vjp", "reused_vjp",
                                      "reused_linearize") + SPARSE_METHODS

#: Adjoint-solve methods: GMRES with each VJP as operator, the dense solve, the sparse-Jacobian
#: GMRES (vjplab.many.adjoint registers exactly these; a test checks).
ADJOINT_METHODS: tuple[str, ...] = ("exact", "jax_vjp", "grad_dot", "linearize_transpose",
                                    "reused_vjp", "dense") + SPARSE_METHODS

#: Methods that form the dense Jacobian: run only at a sweep's ``dense_dimensions``.
DENSE_METHODS: frozenset[str] = frozenset({"dense"})

#: The hand-written baseline of both benchmarks (not "automatic").
HAND_WRITTEN = "exact"

#: Families of the K-cotangent benchmark: every family but the scalar losses (their Jacobian is
#: one dense 1 x N row, so K cotangents are K multiples of one gradient).
COTANGENT_FAMILIES: tuple[str, ...] = tuple(f for f in catalog.builtin_family_names()
                                            if f not in catalog.SCALAR_LOSS_FAMILIES)

#: Families with a steady residual for the adjoint solve (vjplab.many.adjoint.STEADY).
ADJOINT_FAMILIES: tuple[str, ...] = ("brusselator_2d",)
