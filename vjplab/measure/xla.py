"""Compile time and XLA's own analyses of the compiled VJP.

* ``compile_seconds``: trace + lower + XLA compile of the jitted VJP from cold in-memory caches
  (``jax.clear_caches()`` first, the persistent disk cache disabled, a freshly built Problem and
  strategy closure so no trace is reused). Excluded: building the Problem's inputs, and the
  first execution.
* ``compile_time``: the statistic the suite stores: ``samples`` samples, each the minimum of
  ``per_sample`` cold compiles (one compile is a noisy number: a cold compile on a shared CPU
  varies by 10-50% from one to the next, almost always upwards). JAX decides whether to use its
  persistent cache at the first compile of a process, so benchmark processes disable it
  before anything compiles (``benchmarks/common.py``); ``compile_seconds`` disables it again.
* ``xla_stats``: ``compiled.cost_analysis()`` flops and bytes accessed, and
  ``compiled.memory_analysis()`` argument, output, temp and alias sizes. Deterministic for a
  given JAX/XLA and backend: a change between releases is a real change of the program.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jax

from vjplab import compat
from vjplab.measure.timing import TimingStats
from vjplab.planted import active_factor, stretch
from vjplab.prepared import PreparedVJP
from vjplab.problems import problem as make_problem
from vjplab.strategy import STRATEGIES


def compile_seconds(prepared: PreparedVJP) -> float:
    """Seconds to trace, lower and compile ``prepared``'s VJP from cold caches."""
    compat.disable_persistent_compilation_cache()
    spec = prepared.problem.spec
    fresh = make_problem(spec.family, spec.dimension, spec.locality, spec.dtype.name, spec.seed)
    vjp = STRATEGIES[prepared.strategy].make_vjp(fresh)
    compat.clear_caches()
    planted = active_factor()  # 1.0 unless a slowdown is planted (vjplab.planted)
    start = time.perf_counter()
    jax.jit(vjp).lower(fresh.x, fresh.cotangent).compile()
    stretch(start, planted)
    return time.perf_counter() - start


def compile_time(prepared: PreparedVJP, samples: int = 3, per_sample: int = 2) -> TimingStats:
    """``samples`` samples of cold compile time, each the minimum of ``per_sample`` compiles."""
    values = [min(compile_seconds(prepared) for _ in range(per_sample)) for _ in range(samples)]
    return TimingStats.from_samples(values, per_sample)


@dataclass(frozen=True)
class XLAStats:
    flops: float | None
    bytes_accessed: float | None
    argument_bytes: int | None
    output_bytes: int | None
    temp_bytes: int | None
    alias_bytes: int | None

    @property
    def memory_bytes(self) -> int | None:
        """argument + output + temp - alias: the buffers XLA allocates for one call."""
        parts = (self.argument_bytes, self.output_bytes, self.temp_bytes)
        if any(part is None for part in parts):
            return None
        return sum(parts) - (self.alias_bytes or 0)


def xla_stats(prepared: PreparedVJP) -> XLAStats:
    """XLA cost and memory analysis of the compiled VJP (fields None where not provided)."""
    p = prepared.problem
    compiled = prepared.vjp.lower(p.x, p.cotangent).compile()
    cost = compat.cost_analysis(compiled) or {}
    memory = compat.memory_analysis(compiled)

    def field(name: str) -> int | None:
        value = getattr(memory, name, None)
        return int(value) if value is not None else None

    return XLAStats(
        flops=cost.get("flops"),
        bytes_accessed=cost.get("bytes accessed"),
        argument_bytes=field("argument_size_in_bytes"),
        output_bytes=field("output_size_in_bytes"),
        temp_bytes=field("temp_size_in_bytes"),
        alias_bytes=field("alias_size_in_bytes"),
    )
