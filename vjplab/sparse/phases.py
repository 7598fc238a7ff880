"""The three phases of a sparse strategy, measured for a whole sweep in ONE process.

1. **plan**: pattern + colouring (``vjplab.sparse.plan``), once per pattern. Slow Python
   (networkx for sparsejac; asdex's jaxpr interpretation and its numba colouring). Samples of
   one build each: ``PLAN_SAMPLES``, fewer when one build takes over ``PLAN_SECONDS``. The
   process builds a tiny plan first, so imports and numba's compilation are not in phase 1.
2. **jacobian**: the jitted ``plan.jacobian`` at a new x (the family's input of another
   seed), once per x: ``colours`` batched JVPs plus the gather into the BCOO.
3. **product**: the jitted ``transpose_product(J, c)`` at a new cotangent, once per cotangent.

Phases 2 and 3 are samples of a continuous loop of calls with block_until_ready
(vjplab.measure.timing, as ``vjplab measure``'s reference latency), compiled and warmed first.
Each entry also has ``colours`` and ``nnz``. benchmarks/bench_sparse.py reports them as asv
track_ benchmarks (samples, so asv stores a median with a confidence interval).
"""

from __future__ import annotations

import functools
import sys
import time
from typing import TextIO

from vjplab.grid import Sweep

#: Entry keys: seconds (asv samples) of each phase, and the two counts.
PHASES = ("plan_seconds", "jacobian_seconds", "product_seconds")
COUNTS = ("colours", "nnz")

#: Samples of phase 1 (one build each), stopping early once the builds took PLAN_SECONDS.
PLAN_SAMPLES = 5
PLAN_SECONDS = 3.0
#: Samples of phases 2 and 3 (continuous loops of about 20 ms each).
CALL_SAMPLES = 7


def measure_phases(sweep: Sweep, progress: TextIO = sys.stderr) -> dict[tuple, dict]:
    """{(family, strategy, dimension, locality, dtype): entry} for every combination of
    ``sweep``: float32 here, float64 in a fresh process (jax_enable_x64 is process-wide)."""
    from vjplab import x64

    combos = list(sweep.combinations())
    narrow = [c for c in combos if c[4] == "float32"]
    wide = [c for c in combos if c[4] != "float32"]
    table = measure_combinations(narrow, sweep, progress)
    if wide:
        table.update(x64.in_own_process("vjplab.sparse.phases:measure_combinations", wide,
                                        sweep))
    return {combo: table[combo] for combo in combos}


def measure_combinations(combos: list[tuple], sweep: Sweep,
                         progress: TextIO = sys.stderr) -> dict[tuple, dict]:
    """``measure_combination`` of each of ``combos`` (all of one dtype), in this process."""
    table, started = {}, time.perf_counter()
    for index, combo in enumerate(combos, 1):
        table[combo] = measure_combination(*combo, sweep=sweep)
        if index % 10 == 0 or index == len(combos):
            print(f"sparse phases: {index}/{len(combos)} {combo[4]} combinations, "
                  f"{time.perf_counter() - started:.0f} s", file=progress, flush=True)
    return table


def measure_combination(family: str, strategy: str, dimension: int, locality: int,
                        dtype: str, sweep: Sweep) -> dict:
    """The phases of one combination, {"skipped": reason}, or {"failed": what went wrong}
    (recorded for that combination alone)."""
    from vjplab.prepared import Infeasible
    from vjplab.problems import nearest_dimension, problem
    from vjplab.strategy import STRATEGIES

    reason = sweep.skip_reason(family, strategy, dimension, locality, dtype)
    if reason:
        return {"skipped": reason}
    try:
        p = problem(family, nearest_dimension(family, dimension), locality, dtype)
    except ValueError as exc:
        return {"skipped": str(exc)}
    chosen = STRATEGIES[strategy]
    reason = chosen.infeasible_reason(p)
    if reason:
        return {"skipped": reason}
    try:
        return phase_timings(p, chosen.library)
    except Infeasible as exc:
        return {"skipped": str(exc)}
    except Exception as exc:  # noqa: BLE001 - recorded per combination
        return {"failed": f"{type(exc).__name__}: {exc}"}


def phase_timings(p, library: str) -> dict:
    """The three phases of ``library`` on problem ``p`` (module docstring)."""
    import jax

    from vjplab.measure.timing import TimingStats, continuous_loop_sampler
    from vjplab.problems import problem
    from vjplab.sparse import plan, transpose_product

    warm_up(library, p.spec.dtype.name)
    builds: list[float] = []
    while len(builds) < PLAN_SAMPLES and sum(builds) < PLAN_SECONDS:
        started = time.perf_counter()
        sparse_plan = plan(p, library)
        builds.append(time.perf_counter() - started)

    fresh = problem(p.family, p.dimension, p.locality, p.spec.dtype.name, seed=p.spec.seed + 1)
    jacobian = jax.jit(sparse_plan.jacobian)
    product = jax.jit(transpose_product)
    matrix = jax.block_until_ready(jacobian(fresh.x))
    product(matrix, fresh.cotangent).block_until_ready()

    def stats(call) -> dict:
        sample = continuous_loop_sampler(call)
        return TimingStats.from_samples([sample() for _ in range(CALL_SAMPLES)],
                                        sample.per_repeat).asv_samples()

    return {
        "plan_seconds": {"samples": builds, "number": 1},
        "jacobian_seconds": stats(lambda: jax.block_until_ready(jacobian(fresh.x))),
        "product_seconds": stats(lambda: product(matrix, fresh.cotangent).block_until_ready()),
        "colours": sparse_plan.colours,
        "nnz": sparse_plan.nnz,
    }


@functools.cache
def warm_up(library: str, dtype: str) -> None:
    """One tiny plan and Jacobian per process, library and dtype: imports, numba's compilation
    (asdex) and first-use costs stay out of phase 1."""
    import jax

    from vjplab.problems import problem
    from vjplab.sparse import plan

    tiny = problem("roll_cubic", 16, 1, dtype)
    jax.block_until_ready(jax.jit(plan(tiny, library).jacobian)(tiny.x))
