"""Build, check, compile and warm one (family, strategy, N, k) VJP, once per process.

asv re-runs ``setup`` before every sample (and, with an explicit ``number``, before every call),
so everything here is cached at module level keyed by the parameters: the jitted callable is
compiled once per process, and an infeasible combination is rejected once, cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def call(self) -> jax.Array:
        return self.vjp(self.problem.x, self.problem.cotangent).block_until_ready()


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


def _build(family: str, strategy: str, dimension: int, locality: int, dtype: str,
           seed: int) -> PreparedVJP | Infeasible:
    FAMILIES[family], STRATEGIES[strategy]  # unknown names are errors, not skips
    try:
        p = problem(family, nearest_dimension(family, dimension), locality, dtype, seed)
    except ValueError as exc:
        return Infeasible(str(exc))
    reason = STRATEGIES[strategy].infeasible_reason(p)
    if reason is not None:
        return Infeasible(reason)
    jitted = jax.jit(STRATEGIES[strategy].make_vjp(p))
    prepared = PreparedVJP(strategy=strategy, problem=p, vjp=jitted)
    prepared.call()  # compile and warm up outside any timing
    return prepared
