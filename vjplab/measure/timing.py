"""Two timings that asv's number can be checked against.

* ``reference_latency``: steady state of back-to-back calls (each with block_until_ready), the
  median over repeats of the mean call time of a continuous loop. This is what one call costs
  when the process keeps calling, dispatch and synchronisation included.
* ``device_time``: R evaluations inside ONE jitted ``lax.fori_loop``, divided by R. Iteration
  i+1 reads x_{i+1} = x_i + 1e-30 * vjp(x_i, c), so XLA can neither hoist nor drop the VJP, and
  there is a single dispatch for all R. It removes dispatch and shows the algorithmic cost.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp

from vjplab.prepared import PreparedVJP

#: Aim for loops of about this many seconds when choosing R or the calls per repeat.
TARGET_LOOP_SECONDS = 0.02


@dataclass(frozen=True)
class TimingStats:
    """Seconds per evaluation: median and the spread (quartiles) over repeats."""

    median: float
    q25: float
    q75: float
    repeats: int
    per_repeat: int

    @classmethod
    def from_samples(cls, samples: list[float], per_repeat: int) -> "TimingStats":
        q = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
        return cls(statistics.median(samples), q[0], q[-1], len(samples), per_repeat)


def _count_for(seconds_per_eval: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(TARGET_LOOP_SECONDS / max(seconds_per_eval, 1e-9))))


def reference_latency(prepared: PreparedVJP, repeats: int = 15) -> TimingStats:
    """Median over ``repeats`` of the mean time of consecutive calls (continuous loop)."""
    t0 = time.perf_counter()
    prepared.call()
    calls = _count_for(time.perf_counter() - t0, 1, 10_000)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            prepared.call()
        samples.append((time.perf_counter() - start) / calls)
    return TimingStats.from_samples(samples, calls)


_LOOPS: dict[tuple[int, int], Callable] = {}


def looped_vjp(prepared: PreparedVJP, iterations: int) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """Jitted (x, c) -> x_R running the VJP ``iterations`` times in one fori_loop (cached)."""
    key = (id(prepared), iterations)
    if key not in _LOOPS:
        vjp = prepared.vjp
        tiny = jnp.asarray(1e-30, prepared.problem.dtype)

        def loop(x, c):
            return jax.lax.fori_loop(0, iterations, lambda _, xi: xi + tiny * vjp(xi, c), x)

        _LOOPS[key] = jax.jit(loop)
    return _LOOPS[key]


def device_time(prepared: PreparedVJP, repeats: int = 7, iterations: int | None = None) -> TimingStats:
    """Seconds per VJP evaluation inside one jitted loop (median over ``repeats`` loops)."""
    p = prepared.problem
    if iterations is None:
        t0 = time.perf_counter()
        looped_vjp(prepared, 2)(p.x, p.cotangent).block_until_ready()  # compile + run
        t0 = time.perf_counter()
        looped_vjp(prepared, 2)(p.x, p.cotangent).block_until_ready()
        iterations = _count_for((time.perf_counter() - t0) / 2, 2, 100_000)
    loop = looped_vjp(prepared, iterations)
    loop(p.x, p.cotangent).block_until_ready()  # compile outside the timing
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        loop(p.x, p.cotangent).block_until_ready()
        samples.append((time.perf_counter() - start) / iterations)
    return TimingStats.from_samples(samples, iterations)
