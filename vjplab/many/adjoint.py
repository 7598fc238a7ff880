"""The adjoint solve: ``J(u)^T lambda = g`` at the root u of a steady residual, by each VJP.

**The steady problem** (``steady``). A family's residual f (a discretised PDE, vjplab.catalog
PDE_FAMILIES) with a manufactured source::

    R(u) = f(u) - s,    s = f(u*)

so u* is a root of R by construction (the method of manufactured solutions). u* is
brusselator_2d's homogeneous steady state u0 = (A, B/A) with the Problem's sample noise scaled
from 10 % to ``MANUFACTURED_NOISE`` = 1 %: ``u* = u0 (1 + 0.01 z)``, z the sample's standard
normal draws (``manufactured_root``). Not the sample itself: with 10 % noise J(x) is nearly
singular (condition number 1.1e3 at N = 200, 2.5e5 at N = 1058, measured with numpy), the
adjoint GMRES below stalls at relative residuals of 1e-3 .. 0.6 and Newton from u0 wanders
without reaching x; at 1 % the condition number is 46 at N = 968 and the adjoint GMRES takes
about 80 VJPs at every N from 1e3 to 1e5. R has the Jacobian of f. Newton's method from u0::

    J(u_n) d_n = R(u_n),    u_{n+1} = u_n - d_n

with each Newton system solved by GMRES on the JVP operator ``d -> J(u_n) d`` (Jacobian-free
Newton-Krylov; ``jax.jvp``) to a relative residual of ``NEWTON_KRYLOV_TOL``, until
``||R(u_n)|| <= NEWTON_TOL * max(1, ||s||)`` (at most ``NEWTON_MAX_STEPS`` steps, RuntimeError
otherwise; 3-4 steps here). The steady solve is set-up: it is never timed.

Why brusselator_2d (``ADJOINT_FAMILIES``): on its unit-spacing periodic grid ``J = reaction +
alpha Lap_k`` with the spectrum of ``alpha Lap_1`` in [-0.8, 0] and O(1) reaction terms, so
unpreconditioned GMRES converges in a number of steps independent of N (near u0 each Fourier
mode's 2 x 2 block has eigenvalues 0.7 - alpha mu +- 0.71i, bounded away from 0).
burgers_1d's ``nu D2 / h^2`` has a condition number growing like N^2: without a
preconditioner GMRES would need ~N steps.

**The adjoint system.** For an objective Q(u) with ``g = dQ/du`` (here: the Problem's cotangent,
standard normal), the adjoint ``lambda`` solves ``J(u)^T lambda = g``; then
``dQ/dp = -lambda^T dR/dp`` for any parameter p of R. Methods (``ADJOINT_SOLVERS``):

* GMRES (``jax.scipy.sparse.linalg.gmres``, ``GMRES_OPTIONS``) with the operator
  ``v -> J(u)^T v`` given by a VJP strategy: ``exact`` (the hand-written adjoint), ``jax_vjp``,
  ``grad_dot``, ``linearize_transpose`` (vjplab.strategy, each rebuilt at every application
  inside the solver's loop, as a user who passes ``lambda v: vjp(u, v)`` writes it; XLA may
  hoist the loop-invariant forward pass), ``reused_vjp`` (``jax.vjp(f, u)`` once per solve,
  its pullback applied at every iteration);
* ``sparse_<library>``: J(u) formed once per solve as a BCOO matrix (vjplab.sparse), GMRES with
  ``v -> J^T v``;
* ``dense``: ``J = jax.jacfwd(f)(u)`` (N JVPs), then ``jnp.linalg.solve(J^T, g)`` (LU, O(N^3)).

Every method's lambda agrees with the dense solve to ``LAMBDA_RTOL`` (relative 2-norm): GMRES
stops at a relative residual ``GMRES_OPTIONS["tol"]`` = 1e-11 and J's condition number is
46 here, so the error is ~1e-10.

**Counting.** ``jax.scipy.sparse.linalg`` reports no iteration count, so ``count_solve`` runs
the same solve once more, untimed, with the operator wrapped in a host callback that counts its
applications: the VJPs per solve. GMRES (``solve_method="incremental"``, restart r) applies the
operator once for the initial residual and, per restart cycle, once per Arnoldi step and once
for the new residual, so V = 1 + S + ceil(S / r) for S Krylov steps; ``krylov_steps`` inverts
that (V - 1 - S - ceil(S / r) is strictly increasing in S): the iterations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
from jax.scipy.sparse.linalg import gmres

from vjplab.family import brusselator_2d
from vjplab.many.cotangents import sparse_plan
from vjplab.many.names import ADJOINT_FAMILIES, ADJOINT_METHODS, SPARSE_LIBRARIES
from vjplab.prepared import Infeasible
from vjplab.problems import Problem, nearest_dimension, problem
from vjplab.registry import Registry
from vjplab.strategy import STRATEGIES, memory_budget_bytes

#: GMRES of the adjoint solves (and the Newton steps' Krylov solves, with NEWTON_KRYLOV_TOL).
GMRES_OPTIONS: dict = {"tol": 1e-11, "atol": 0.0, "restart": 30, "maxiter": 100,
                       "solve_method": "incremental"}
#: Every method's lambda matches the dense solve's to this relative 2-norm error.
LAMBDA_RTOL = 1e-8
#: Newton: stop at ||R|| <= NEWTON_TOL max(1, ||s||); Krylov tolerance of each step; step limit.
NEWTON_TOL, NEWTON_KRYLOV_TOL, NEWTON_MAX_STEPS = 1e-11, 1e-12, 20
#: The stencil radius of the adjoint benchmark (the suite's latency k = 1).
ADJOINT_LOCALITY = 1
#: Relative noise of the manufactured root around the homogeneous state (module docstring).
MANUFACTURED_NOISE = 0.01


# --- the steady problem ------------------------------------------------------------------------

def initial_guess(p: Problem) -> jax.Array:
    """Newton's start: brusselator_2d's homogeneous steady state (A, B/A) on every grid point."""
    half = p.in_size // 2
    return jnp.concatenate([jnp.full(half, brusselator_2d.A, p.dtype),
                            jnp.full(half, brusselator_2d.B / brusselator_2d.A, p.dtype)])


def manufactured_root(p: Problem) -> jax.Array:
    """u* = u0 (1 + MANUFACTURED_NOISE z): the Problem's sample ``x = u0 (1 + NOISE z)`` with
    its noise z scaled down (module docstring)."""
    u0 = initial_guess(p)
    return u0 * (1 + (MANUFACTURED_NOISE / brusselator_2d.NOISE) * (p.x / u0 - 1))


@dataclass(frozen=True, eq=False)
class SteadyProblem:
    """R(u) = f(u) - s solved for u (module docstring); g is the adjoint right-hand side;
    ``root`` the manufactured u* (Newton's u matches it to rounding)."""

    problem: Problem
    root: jax.Array = field(repr=False)
    source: jax.Array = field(repr=False)
    u: jax.Array = field(repr=False)
    g: jax.Array = field(repr=False)
    newton_steps: int
    residual_norm: float

    def residual(self, u: jax.Array) -> jax.Array:
        return self.problem.f(u) - self.source


def steady(family: str, dimension: int, locality: int = ADJOINT_LOCALITY,
           dtype: str = "float64") -> SteadyProblem:
    """The SteadyProblem of ``family`` at the nearest valid dimension (Newton, see the module
    docstring). ValueError for a family without a steady problem here (names the allowed ones)
    or for float32 (the adjoint tolerance needs float64); RuntimeError if Newton fails."""
    if family not in ADJOINT_FAMILIES:
        raise ValueError(f"no steady adjoint problem for family {family!r}; allowed: "
                         f"{', '.join(ADJOINT_FAMILIES)}")
    if dtype != "float64":
        raise ValueError(f"the adjoint solve runs in float64 (LAMBDA_RTOL = {LAMBDA_RTOL:g}); "
                         f"got dtype {dtype!r}; allowed: float64")
    p = problem(family, nearest_dimension(family, dimension), locality, dtype)
    root = manufactured_root(p)
    source = p.f(root)
    residual = jax.jit(lambda u: p.f(u) - source)
    newton_step = jax.jit(lambda u, r: u - gmres(
        lambda d: jax.jvp(p.f, (u,), (d,))[1], r,
        **{**GMRES_OPTIONS, "tol": NEWTON_KRYLOV_TOL})[0])
    target = NEWTON_TOL * max(1.0, float(jnp.linalg.norm(source)))
    u = initial_guess(p)
    for step in range(NEWTON_MAX_STEPS + 1):
        r = residual(u)
        norm = float(jnp.linalg.norm(r))
        if norm <= target:
            return SteadyProblem(p, root, source, u, p.cotangent, step, norm)
        if step < NEWTON_MAX_STEPS:
            u = newton_step(u, r)
    raise RuntimeError(f"Newton did not converge for {family} N={p.dimension}: ||R|| = "
                       f"{norm:.3g} > {target:.3g} after {NEWTON_MAX_STEPS} steps")


# --- the methods -------------------------------------------------------------------------------

#: ``operator_of(steady_problem) -> (u -> (v -> J(u)^T v))``: built inside the jitted solve.
OperatorOf = Callable[[SteadyProblem], Callable[[jax.Array], Callable[[jax.Array], jax.Array]]]


@dataclass(frozen=True)
class AdjointMethod:
    """A way to solve J(u)^T lambda = g: GMRES on ``operator_of`` (iterative) or ``direct``."""

    name: str
    summary: str
    operator_of: OperatorOf | None = None
    direct: Callable[[SteadyProblem], Callable[[jax.Array, jax.Array], jax.Array]] | None = None

    @property
    def iterative(self) -> bool:
        return self.operator_of is not None


ADJOINT_SOLVERS: Registry[AdjointMethod] = Registry("adjoint method")


def _register(method: AdjointMethod) -> None:
    if method.name not in ADJOINT_METHODS:
        raise ValueError(f"adjoint method {method.name!r} is not in "
                         f"vjplab.many.names.ADJOINT_METHODS")
    ADJOINT_SOLVERS.register(method.name, method)


def _strategy_operator(strategy: str) -> OperatorOf:
    def operator_of(sp: SteadyProblem):
        vjp = STRATEGIES[strategy].make_vjp(sp.problem)
        return lambda u: (lambda v: vjp(u, v))

    return operator_of


def _reused_vjp(sp: SteadyProblem):
    f = sp.problem.f

    def at(u):
        pullback = jax.vjp(f, u)[1]
        return lambda v: pullback(v)[0]

    return at


def _sparse_operator(library: str) -> OperatorOf:
    def operator_of(sp: SteadyProblem):
        plan = sparse_plan(sp.problem, library)
        from vjplab.sparse import transpose_product

        def at(u):
            jacobian = plan.jacobian(u)
            return lambda v: transpose_product(jacobian, v)

        return at

    return operator_of


def dense_bytes(p: Problem) -> int:
    """Working set of the dense solve: J, its LU copy and the N-tangent batch of jacfwd."""
    return 3 * p.in_size * p.out_size * p.dtype.itemsize


def _dense(sp: SteadyProblem):
    p = sp.problem
    need = dense_bytes(p)
    if need > memory_budget_bytes():
        raise Infeasible(f"the dense solve needs about {need / 2**20:.0f} MiB at N={p.dimension}, "
                         f"over the {memory_budget_bytes() / 2**20:.0f} MiB budget "
                         f"(VJPLAB_MEMORY_BUDGET_BYTES)")
    f = p.f
    return lambda u, g: jnp.linalg.solve(jax.jacfwd(f)(u).T, g)


for _method in (
    AdjointMethod("exact", "GMRES, v -> hand-written adjoint", _strategy_operator("exact")),
    AdjointMethod("jax_vjp", "GMRES, v -> jax.vjp(f, u)[1](v)", _strategy_operator("jax_vjp")),
    AdjointMethod("grad_dot", "GMRES, v -> grad(vdot(v, f))", _strategy_operator("grad_dot")),
    AdjointMethod("linearize_transpose", "GMRES, v -> transpose(linearize(f, u))(v)",
                  _strategy_operator("linearize_transpose")),
    AdjointMethod("reused_vjp", "GMRES, pullback of jax.vjp(f, u) built once per solve",
                  _reused_vjp),
    AdjointMethod("dense", "jacfwd J, then jnp.linalg.solve(J^T, g)", direct=_dense),
    *(AdjointMethod(f"sparse_{library}", f"J(u) by {library} (BCOO) once, GMRES on J^T v",
                    _sparse_operator(library)) for library in SPARSE_LIBRARIES),
):
    _register(_method)
del _method


def _gmres_solve(at: Callable[[jax.Array], Callable], counter: Callable | None = None):
    def solve(u, g):
        operator = at(u)
        if counter is not None:
            counted = operator

            def operator(v):  # noqa: F811 - the counting wrapper of the same operator
                jax.debug.callback(counter)
                return counted(v)

        return gmres(operator, g, **GMRES_OPTIONS)[0]

    return solve


@dataclass(frozen=True, eq=False)
class PreparedAdjoint:
    """One method's jitted solve at a SteadyProblem, compiled and warmed; ``call()`` is timed."""

    method: AdjointMethod
    steady: SteadyProblem
    solve: Callable[[jax.Array, jax.Array], jax.Array] = field(repr=False)

    def call(self) -> jax.Array:
        return self.solve(self.steady.u, self.steady.g).block_until_ready()


def prepare_adjoint(sp: SteadyProblem, method: str) -> PreparedAdjoint:
    """Build, compile and warm ``method``'s solve; ValueError for an unknown method, Infeasible
    when it cannot run (a missing sparse library, the dense solve over the memory budget)."""
    adjoint_method = ADJOINT_SOLVERS[method]
    if adjoint_method.iterative:
        solve = _gmres_solve(adjoint_method.operator_of(sp))
    else:
        solve = adjoint_method.direct(sp)
    prepared = PreparedAdjoint(adjoint_method, sp, jax.jit(solve))
    prepared.call()  # compile and warm up, never timed
    return prepared


@dataclass(frozen=True)
class SolveCount:
    """Operator applications (VJPs) of one solve and the Krylov steps they imply."""

    vjps: int
    iterations: int


def krylov_steps(vjps: int, restart: int = GMRES_OPTIONS["restart"]) -> int:
    """S with 1 + S + ceil(S / restart) == vjps (module docstring); ValueError if none."""
    for steps in range(vjps):
        if 1 + steps + math.ceil(steps / restart) == vjps:
            return steps
    raise ValueError(f"{vjps} operator applications are no incremental GMRES run with "
                     f"restart {restart}")


def count_solve(sp: SteadyProblem, method: str) -> SolveCount | None:
    """Run ``method``'s solve once, untimed, counting operator applications with a host
    callback; None for a direct method (no VJPs)."""
    adjoint_method = ADJOINT_SOLVERS[method]
    if not adjoint_method.iterative:
        return None
    calls = [0]

    def counter():
        calls[0] += 1

    solve = jax.jit(_gmres_solve(adjoint_method.operator_of(sp), counter))
    solve(sp.u, sp.g).block_until_ready()
    jax.effects_barrier()
    return SolveCount(calls[0], krylov_steps(calls[0]))
