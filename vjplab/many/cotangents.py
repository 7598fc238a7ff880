"""K cotangents at one point: ``J(x)^T c_i`` for i = 1..K, by several methods ("K-methods").

At one point x a VJP is often needed many times: once per objective (K cotangents known
together), or once per iteration of a Krylov solver (one after the other). With C the (K, M)
stack of cotangents, every method returns the (K, N) stack ``G = C J(x)``, row i = ``J(x)^T c_i``:

``exact``             the family's hand-written adjoint, vmapped over the K rows, one jitted
                      call: the floor.
``loop_vjp``          K separate jitted ``jax.vjp(f, x)[1](c_i)`` calls: each one repeats the
                      forward pass (the residuals) and pays one dispatch.
``vmap_vjp``          one jitted call: ``jax.vmap(jax.vjp(f, x)[1])(C)``: one forward pass, the
                      pullback batched over K (all cotangents must be known together).
``reused_vjp``        one jitted call returns the pullback of ``jax.vjp(f, x)`` (its residual
                      arrays), then K jitted applications of it: one forward pass, K
                      sequential pullbacks (what a Krylov solver can do: cotangent i + 1
                      depends on product i).
``reused_linearize``  the same with ``jax.linear_transpose(jax.linearize(f, x)[1])``: the
                      linearised JVP is built once, its transpose applied K times.
``sparse_<library>``  one jitted call forms ``J(x)`` as a BCOO matrix (``vjplab.sparse``: the
                      colouring is computed once when the method is built, not timed; forming
                      J from ``colours`` compressed JVPs is), then the K products
                      ``J^T c_i`` as one sparse-dense product ``C J``. Pays the Jacobian once,
                      then O(nnz) per product: it wins from the break-even K on, if its cost
                      per product is below the others' (vjplab.many.table).

Sequential methods (``batched = False``) take the K cotangents as K separate arrays (split once,
untimed) and return K arrays; ``PreparedK.stacked()`` stacks them for checks. Every method is
compiled and warmed by ``prepare_k``; ``PreparedK.call()`` is what the benchmarks time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from vjplab.many.names import COTANGENT_METHODS, SPARSE_LIBRARIES
from vjplab.prepared import Infeasible
from vjplab.problems import Problem
from vjplab.registry import Registry

#: ``run(x, cotangents) -> result``: cotangents a (K, M) array (batched) or K arrays (sequential).
KRun = Callable[[jax.Array, Any], Any]


@dataclass(frozen=True)
class KMethod:
    """One way to compute K VJPs at one point. ``make(problem)`` returns ``run`` (its jitted
    pieces not yet compiled) or raises Infeasible with the reason."""

    name: str
    summary: str
    batched: bool
    make: Callable[[Problem], KRun]


K_METHODS: Registry[KMethod] = Registry("K-method")


def _register(method: KMethod) -> KMethod:
    if method.name not in COTANGENT_METHODS:
        raise ValueError(f"K-method {method.name!r} is not in vjplab.many.names.COTANGENT_METHODS")
    return K_METHODS.register(method.name, method)


# --- pullbacks that cross a jit boundary ------------------------------------------------------

def reusable(build: Callable[[jax.Array], Callable[[jax.Array], Any]]
             ) -> tuple[Callable[[jax.Array], list], Callable[[list, jax.Array], jax.Array]]:
    """Split ``build(x)`` (a linear map ``c -> (J^T c,)``: a VJP pullback, a transposed
    linearisation) into a jitted ``residuals(x) -> arrays`` and a jitted
    ``apply(arrays, c) -> J^T c``, so that the forward pass runs once and the pullback many
    times.

    The pullback is a pytree whose leaves are its residual arrays plus, for ``jax.vjp`` in JAX
    0.10, placeholder objects for primal inputs it does not need; a jitted function can only
    return arrays, so the arrays go out and the rest (tree structure, placeholders) is kept from
    the trace, which is deterministic for one (f, x shape)."""
    static: dict[str, Any] = {}

    @jax.jit
    def residuals(x):
        leaves, treedef = jax.tree_util.tree_flatten(build(x))
        mask = [isinstance(leaf, jax.Array) for leaf in leaves]
        static["treedef"], static["mask"] = treedef, mask
        static["others"] = [None if is_array else leaf for leaf, is_array in zip(leaves, mask)]
        return [leaf for leaf, is_array in zip(leaves, mask) if is_array]

    @jax.jit
    def apply(arrays, c):
        it = iter(arrays)
        leaves = [next(it) if is_array else other
                  for is_array, other in zip(static["mask"], static["others"])]
        return jax.tree_util.tree_unflatten(static["treedef"], leaves)(c)[0]

    return residuals, apply


# --- the methods -------------------------------------------------------------------------------

def _exact(problem: Problem) -> KRun:
    return jax.jit(jax.vmap(problem.exact_vjp, in_axes=(None, 0)))


def _loop_vjp(problem: Problem) -> KRun:
    f = problem.f
    one = jax.jit(lambda x, c: jax.vjp(f, x)[1](c)[0])

    def run(x, rows):
        return [one(x, c) for c in rows]

    return run


def _vmap_vjp(problem: Problem) -> KRun:
    f = problem.f

    @jax.jit
    def run(x, cotangents):
        pullback = jax.vjp(f, x)[1]
        return jax.vmap(lambda c: pullback(c)[0])(cotangents)

    return run


def _reused(build: Callable[[Callable, jax.Array], Callable]) -> Callable[[Problem], KRun]:
    def make(problem: Problem) -> KRun:
        residuals, apply = reusable(lambda x: build(problem.f, x))

        def run(x, rows):
            arrays = residuals(x)
            return [apply(arrays, c) for c in rows]

        return run

    return make


def _vjp_pullback(f, x):
    return jax.vjp(f, x)[1]


def _transposed_linearization(f, x):
    return jax.linear_transpose(jax.linearize(f, x)[1], x)


def sparse_plan(problem: Problem, library: str):
    """``vjplab.sparse.plan(problem, library)``; Infeasible with the reason when vjplab.sparse
    or the library is missing (ValueError for a library that is not one of SPARSE_LIBRARIES)."""
    if library not in SPARSE_LIBRARIES:
        raise ValueError(f"unknown sparse library {library!r}; allowed: "
                         f"{', '.join(SPARSE_LIBRARIES)}")
    try:
        from vjplab import sparse
    except ImportError:
        raise Infeasible("vjplab.sparse not available") from None
    return sparse.plan(problem, library)


def _sparse(library: str) -> Callable[[Problem], KRun]:
    def make(problem: Problem) -> KRun:
        plan = sparse_plan(problem, library)

        @jax.jit
        def run(x, cotangents):
            # one (K, M) x BCOO (M, N) product: row i = c_i^T J = (J^T c_i)^T. On CPU it is as
            # fast as vmapping J^T c over the rows, and 10x faster where that vmap falls back to
            # a slow scatter (squared_differences_2d at N = 1e3, K = 256: 1.2 ms against 12 ms)
            return cotangents @ plan.jacobian(x)

        return run

    return make


for _method in (
    KMethod("exact", "hand-written adjoint vmapped over K (one call)", True, _exact),
    KMethod("loop_vjp", "K calls of jax.vjp(f, x)[1](c)", False, _loop_vjp),
    KMethod("vmap_vjp", "jax.vmap(jax.vjp(f, x)[1])(C) (one call)", True, _vmap_vjp),
    KMethod("reused_vjp", "pullback of jax.vjp once, applied K times", False,
            _reused(_vjp_pullback)),
    KMethod("reused_linearize", "linear_transpose(linearize(f, x)) once, applied K times", False,
            _reused(_transposed_linearization)),
    *(KMethod(f"sparse_{library}", f"J(x) by {library} colouring (BCOO), then C J: K "
              f"products J^T c (one call)", True, _sparse(library)) for library in SPARSE_LIBRARIES),
):
    _register(_method)
del _method


# --- prepared K-method at one problem ----------------------------------------------------------

def cotangent_stack(problem: Problem, count: int, seed: int = 1) -> jax.Array:
    """A deterministic (count, M) stack of standard normal cotangents in the problem's dtype;
    row 0 is the problem's own cotangent. ValueError unless count >= 1."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"the number of cotangents must be an integer >= 1, got {count!r}")
    rng = np.random.default_rng(seed)
    rest = rng.standard_normal((count - 1, problem.out_size))
    stack = np.concatenate([np.asarray(problem.cotangent)[None, :], rest])
    return jnp.asarray(stack, dtype=problem.dtype)


@dataclass(frozen=True, eq=False)
class PreparedK:
    """A K-method compiled and warmed at one problem and K; ``call()`` is what is timed."""

    method: KMethod
    problem: Problem
    count: int
    run: KRun = field(repr=False)
    arguments: Any = field(repr=False)

    def call(self) -> Any:
        return jax.block_until_ready(self.run(self.problem.x, self.arguments))

    def stacked(self) -> jax.Array:
        """The (K, N) result, row i = J^T c_i."""
        out = self.call()
        return out if self.method.batched else jnp.stack(out)


def prepare_k(problem: Problem, method: str, count: int, seed: int = 1) -> PreparedK:
    """Build, compile and warm ``method`` for ``count`` cotangents (``cotangent_stack``).
    ValueError for an unknown method or a bad count; Infeasible when the method cannot run."""
    k_method = K_METHODS[method]
    stack = cotangent_stack(problem, count, seed)
    # K separate arrays through numpy: iterating a jax.Array dispatches one slice per row
    # (3-4 s for K = 256 on the 2-core CPU), a device_put per row does not
    arguments = (stack if k_method.batched
                 else [jnp.asarray(row) for row in np.asarray(stack)])
    prepared = PreparedK(k_method, problem, count, k_method.make(problem), arguments)
    prepared.call()  # compile and warm up, never timed
    return prepared
