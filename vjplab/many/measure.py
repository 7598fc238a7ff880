"""Measure the many-VJPs sweeps (K cotangents, the adjoint solve) in one process per dtype.

Like the metric benchmarks (vjplab.measure.sweep), each many-VJPs benchmark reads one table
that asv's ``setup_cache`` computes once per piece (one family): compiling a method is set-up,
never timed, and one process measures every combination. A timing is asv samples
(``{"samples": [...], "number": 1}``): each sample the mean time of a continuous loop of calls
of about 20 ms (vjplab.measure.timing.continuous_loop_sampler), ``SAMPLES`` of them.

Entries: ``{"seconds": samples}`` (K cotangents: the time of all K VJPs together),
``{"seconds": samples, "vjps": V, "iterations": S}`` (the adjoint solve: time to solution, and
from a separate untimed counted solve the operator applications and Krylov steps; None for the
dense solve), or ``{"skipped": reason}`` / ``{"failed": what}`` for that combination alone.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from vjplab.grid import ManySweep

#: Samples per combination.
SAMPLES = 5
#: The locality of the K-cotangent benchmark (the suite's latency k = 1; dense_control has none).
COTANGENT_LOCALITY = 1


def _time(call) -> dict:
    from vjplab.measure.timing import TimingStats, continuous_loop_sampler

    sample = continuous_loop_sampler(call)
    return TimingStats.from_samples([sample() for _ in range(SAMPLES)],
                                    sample.per_repeat).asv_samples()


_PROBLEMS: dict[tuple, object] = {}


def cotangent_problem(family: str, dimension: int, dtype: str):
    """The Problem of the K-cotangent benchmark (nearest valid N, k = COTANGENT_LOCALITY, or
    the family's smallest k), cached per process."""
    from vjplab.family import FAMILIES
    from vjplab.problems import nearest_dimension, problem

    key = (family, dimension, dtype)
    if key not in _PROBLEMS:
        locality = max(COTANGENT_LOCALITY, FAMILIES[family].min_locality)
        _PROBLEMS[key] = problem(family, nearest_dimension(family, dimension), locality, dtype)
    return _PROBLEMS[key]


def measure_cotangents(family: str, method: str, dimension: int, count: int, dtype: str,
                       sweep: ManySweep) -> dict:
    """The entry of one K-cotangent combination (module docstring)."""
    from vjplab.many.cotangents import prepare_k
    from vjplab.prepared import Infeasible

    reason = sweep.skip_reason(family, method, dimension, count, dtype)
    if reason:
        return {"skipped": reason}
    try:
        prepared = prepare_k(cotangent_problem(family, dimension, dtype), method, count)
        return {"seconds": _time(prepared.call)}
    except Infeasible as exc:
        return {"skipped": str(exc)}
    except Exception as exc:  # noqa: BLE001 - recorded for this combination alone
        return {"failed": f"{type(exc).__name__}: {exc}"}


_STEADY: dict[tuple, object] = {}


def measure_adjoint(family: str, method: str, dimension: int, dtype: str,
                    sweep: ManySweep) -> dict:
    """The entry of one adjoint-solve combination (module docstring)."""
    from vjplab.many.adjoint import count_solve, prepare_adjoint, steady
    from vjplab.prepared import Infeasible

    reason = sweep.skip_reason(family, method, dimension, dtype)
    if reason:
        return {"skipped": reason}
    try:
        key = (family, dimension, dtype)
        if key not in _STEADY:
            _STEADY[key] = steady(family, dimension, dtype=dtype)
        prepared = prepare_adjoint(_STEADY[key], method)
        entry = {"seconds": _time(prepared.call)}
        count = count_solve(_STEADY[key], method)  # untimed, after the timing
        entry["vjps"] = None if count is None else count.vjps
        entry["iterations"] = None if count is None else count.iterations
        return entry
    except Infeasible as exc:
        return {"skipped": str(exc)}
    except Exception as exc:  # noqa: BLE001 - recorded for this combination alone
        return {"failed": f"{type(exc).__name__}: {exc}"}


MEASURE = {"cotangents": measure_cotangents, "adjoint": measure_adjoint}


def measure_combinations(kind: str, combos: list[tuple], sweep: ManySweep,
                         progress: TextIO = sys.stderr) -> dict[tuple, dict]:
    """The entry of each of ``combos`` (all of this process's dtype), in this process."""
    from vjplab import compat

    compat.disable_persistent_compilation_cache()  # before the process's first compile
    table, started = {}, time.perf_counter()
    for index, combo in enumerate(combos, 1):
        table[combo] = MEASURE[kind](*combo, sweep=sweep)
        if index % 10 == 0 or index == len(combos):
            print(f"{kind}: {index}/{len(combos)} combinations, "
                  f"{time.perf_counter() - started:.0f} s", file=progress, flush=True)
    return table


def measure_many(kind: str, sweep: ManySweep, progress: TextIO = sys.stderr) -> dict[tuple, dict]:
    """{combination: entry} of every combination of the ``kind`` sweep: those of this
    process's dtype here, the others in a fresh process (vjplab.x64)."""
    import jax

    from vjplab import x64

    if kind not in MEASURE:
        raise ValueError(f"unknown many-VJPs sweep {kind!r}; allowed: {', '.join(MEASURE)}")
    here = "float64" if jax.config.jax_enable_x64 else "float32"
    at = sweep.param_names.index("dtype")
    combos = list(sweep.combinations())
    table = measure_combinations(kind, [c for c in combos if c[at] == here], sweep, progress)
    for dtype in sorted({c[at] for c in combos} - {here}):
        table.update(x64.in_own_process("vjplab.many.measure:measure_combinations", kind,
                                        [c for c in combos if c[at] == dtype], sweep,
                                        dtype=dtype))
    return {combo: table[combo] for combo in combos}
