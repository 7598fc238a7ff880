"""Build, check, compile and warm one (family, strategy, N, k) VJP, once per process.

asv re-runs ``setup`` before every sample (and, with an explicit ``number``, before every call),
so everything here is cached at module level keyed by the parameters: the jitted callable is
compiled once per process, and an infeasible combination is rejected once, cheaply.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import jax

from vjplab.family import FAMILIES
from vjplab.problems import Problem, nearest_dimension, problem
from vjplab.strategy import STRATEGIES


class Infeasible(NotImplementedError):
    """This combination cannot run (too little memory, k too large for N...). asv skips it."""


@dataclass(frozen=True, eq=False)
class PreparedVJP:
    """A compiled, warmed VJP with its arguments; ``call()`` is exactly what benchmarks time."""

    strategy: str
    problem: Problem
    vjp: Callable[[jax.Array, jax.Array], jax.Array]
    #: Mean wall time of back-to-back warm calls, measured once after compilation.
    warm_call_seconds: float = field(default=0.0, compare=False)

    def call(self) -> jax.Array:
        return self.vjp(self.problem.x, self.problem.cotangent).block_until_ready()

    def calls_per_sample(self, sample_seconds: float = 0.005, limit: int = 1000) -> int:
        """Back-to-back calls that fill about ``sample_seconds`` (at least 1, at most limit)."""
        return max(1, min(limit, int(sample_seconds / max(self.warm_call_seconds, 1e-9))))


_CACHE: dict[tuple, PreparedVJP | Infeasible] = {}


def prepare(family: str, strategy: str, dimension: int, locality: int,
            dtype: str = "float32", seed: int = 0) -> PreparedVJP:
    """The PreparedVJP for these parameters (built, compiled and run once on first use).

    ``dimension`` is nominal: grid families use their nearest valid dimension. Raises
    ``Infeasible`` with the reason when the combination cannot run, and ValueError for unknown
    family, strategy or dtype names.
    """
    key = (family, strategy, dimension, locality, dtype, seed)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _CACHE[key] = _build(*key)
    if isinstance(cached, Infeasible):
        raise cached
    return cached


def infeasible_reason(family: str, strategy: str, dimension: int, locality: int,
                      dtype: str = "float32", seed: int = 0) -> str | None:
    """Why ``prepare`` would raise Infeasible (None: it would not), decided without compiling."""
    checked = _checked_problem(family, strategy, dimension, locality, dtype, seed)
    return str(checked) if isinstance(checked, Infeasible) else None


def _checked_problem(family: str, strategy: str, dimension: int, locality: int, dtype: str,
                     seed: int) -> Problem | Infeasible:
    FAMILIES[family], STRATEGIES[strategy]  # unknown names are errors, not skips
    try:
        p = problem(family, nearest_dimension(family, dimension), locality, dtype, seed)
    except ValueError as exc:
        return Infeasible(str(exc))
    reason = STRATEGIES[strategy].infeasible_reason(p)
    return p if reason is None else Infeasible(reason)


def compiled_vjp(family: str, strategy: str, dimension: int, locality: int,
                 dtype: str = "float32", seed: int = 0):
    """The compiled executable (``jax.stages.Compiled``) of exactly the program ``prepare``
    builds and the benchmarks call (the same jitted VJP at the problem's point and cotangent),
    compiled once more but never run; the prepared one when this process has it. Raises
    Infeasible as ``prepare`` does (vjplab.measure.fingerprints reads its optimized HLO)."""
    cached = _CACHE.get((family, strategy, dimension, locality, dtype, seed))
    if isinstance(cached, Infeasible):
        raise cached
    if cached is not None:
        p, jitted = cached.problem, cached.vjp
    else:
        p = _checked_problem(family, strategy, dimension, locality, dtype, seed)
        if isinstance(p, Infeasible):
            raise p
        jitted = jitted_vjp(strategy, p)
    return jitted.lower(p.x, p.cotangent).compile()


def jitted_vjp(strategy: str, p: Problem) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """The jitted VJP of ``strategy`` for ``p``: what the benchmarks call."""
    return jax.jit(STRATEGIES[strategy].make_vjp(p))


def _build(family: str, strategy: str, dimension: int, locality: int, dtype: str,
           seed: int) -> PreparedVJP | Infeasible:
    p = _checked_problem(family, strategy, dimension, locality, dtype, seed)
    if isinstance(p, Infeasible):
        return p
    jitted = jitted_vjp(strategy, p)
    prepared = PreparedVJP(strategy, p, jitted)
    prepared.call()  # compile and warm up outside any timing
    return PreparedVJP(strategy, p, jitted, warm_call_seconds=_mean_call_seconds(prepared))


def _mean_call_seconds(prepared: PreparedVJP, at_least_seconds: float = 0.002,
                       windows: int = 3, budget_seconds: float = 0.01) -> float:
    """The smallest mean time of consecutive calls over up to ``windows`` windows, each of at
    least 2 calls and ``at_least_seconds``, stopping at the first window that ends after
    ``budget_seconds`` (a call of milliseconds is measured once, as before). One stall (a
    preemption, a collection) inside a single window of microsecond calls would otherwise set
    the sample size for the whole process: a loaded CI run calibrated a ~4 us call at ~70 us."""
    best, begun = math.inf, time.perf_counter()
    for _ in range(windows):
        calls, start = 0, time.perf_counter()
        while True:
            prepared.call()
            calls += 1
            elapsed = time.perf_counter() - start
            if calls >= 2 and elapsed >= at_least_seconds:
                break
        best = min(best, elapsed / calls)
        if time.perf_counter() - begun >= budget_seconds:
            break
    return best
