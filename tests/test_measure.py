"""The metric functions: device time, reference latency, compile time, XLA cost and memory."""

from __future__ import annotations

import io
import math
import time
from dataclasses import astuple
from typing import Callable, TypeVar

import jax
import pytest

from vjplab import compat
from vjplab.cli import main
from vjplab.grid import Sweep
from vjplab.measure import compile_seconds, device_time, reference_latency, xla_stats
from vjplab.measure.sweep import METRICS, measure_sweep
from vjplab.measure.xla import XLAStats
from vjplab.prepared import PreparedVJP, prepare
from vjplab.problems import problem as make_problem
from vjplab.strategy import STRATEGIES

#: The jax.monitoring event JAX records once per XLA backend compilation.
BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


def ratio(strategy: str, metric: str, small: int = 200, large: int = 800) -> float:
    a = getattr(xla_stats(prepare("roll_cubic", strategy, small, 1)), metric)
    b = getattr(xla_stats(prepare("roll_cubic", strategy, large, 1)), metric)
    return b / a


def test_naive_flops_grow_quadratically_and_jax_vjp_linearly():
    # N x4: a dense strategy does ~16x the flops, an O(N) one ~4x.
    assert 12 < ratio("naive_jacrev", "flops") < 20
    assert 3 < ratio("jax_vjp", "flops") < 5
    assert 3 < ratio("exact", "flops") < 5


def test_naive_bytes_and_memory_grow_quadratically():
    assert 10 < ratio("naive_jacrev", "bytes_accessed") < 20
    assert 3 < ratio("jax_vjp", "bytes_accessed") < 5
    assert 10 < ratio("naive_jacrev", "memory_bytes") < 20
    dense = xla_stats(prepare("roll_cubic", "naive_jacrev", 800, 1, "float32"))
    assert dense.memory_bytes >= 800 * 800 * 4  # the float32 Jacobian is a buffer
    assert dense.argument_bytes == 2 * 800 * 4 and dense.output_bytes == 800 * 4


T = TypeVar("T")


def backend_compiles(run: Callable[[], T]) -> tuple[T, list[float]]:
    """``run()``'s result and the seconds of each XLA backend compilation it triggered."""
    compiles: list[float] = []

    def listener(event: str, seconds: float, **kwargs) -> None:
        if event == BACKEND_COMPILE_EVENT:
            compiles.append(seconds)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        return run(), compiles
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


def independently_compiled_stats(family: str, strategy: str, dimension: int,
                                 locality: int, dtype: str = "float32") -> XLAStats:
    """xla_stats of a VJP compiled from nothing: JAX's caches cleared, a fresh Problem and
    strategy closure, a new jax.jit; asserts that XLA really compiled it (once) for this call."""
    compat.disable_persistent_compilation_cache()
    compat.clear_caches()
    p = make_problem(family, dimension, locality, dtype, 0)
    prepared = PreparedVJP(strategy, p, jax.jit(STRATEGIES[strategy].make_vjp(p)))
    stats, compiles = backend_compiles(lambda: xla_stats(prepared))
    assert len(compiles) == 1, f"expected one XLA compile, saw {len(compiles)}"
    return stats


def assert_same_stats(a: XLAStats, b: XLAStats) -> None:
    """Two compilations report the same, fully populated, XLA cost and memory figures."""
    assert all(value is not None for value in (*astuple(a), *astuple(b))), (a, b)
    assert a == b, f"XLA stats differ: {a} != {b}"


@pytest.mark.parametrize("second_dimension", [300, 302])
def test_xla_stats_are_deterministic(second_dimension):
    """Two independent compilations of the same VJP agree; the check fails when the second
    compiles another program (N = 302: every size scales)."""
    first = independently_compiled_stats("burgers_1d", "jax_vjp", 300, 2, "float32")
    second = independently_compiled_stats("burgers_1d", "jax_vjp", second_dimension, 2,
                                          "float32")
    if second_dimension == 300:
        assert_same_stats(first, second)
    else:
        with pytest.raises(AssertionError, match="XLA stats differ"):
            assert_same_stats(first, second)


def test_device_time_is_below_latency():
    prepared = prepare("roll_cubic", "jax_vjp", 1000, 1, "float32")
    latency = reference_latency(prepared, repeats=5)
    device = device_time(prepared, repeats=5)
    assert 0 < device.median <= latency.median
    assert device.per_repeat >= 2
    assert device.q25 <= device.median <= device.q75


def test_device_time_orders_naive_above_jax_vjp():
    naive = device_time(prepare("roll_cubic", "naive_jacrev", 1000, 1, "float32"), repeats=3).median
    fast = device_time(prepare("roll_cubic", "jax_vjp", 1000, 1, "float32"), repeats=3).median
    assert naive > 20 * fast


def warm_compile_seconds(prepared: PreparedVJP) -> float:
    """A broken compile_seconds: times lower + compile of the already compiled jitted VJP, which
    JAX answers from its cache (~60 us, no XLA compile)."""
    p = prepared.problem
    start = time.perf_counter()
    prepared.vjp.lower(p.x, p.cotangent).compile()
    return time.perf_counter() - start


def assert_cold_compile(measure: Callable[[PreparedVJP], float], prepared: PreparedVJP) -> None:
    """``measure(prepared)`` timed exactly one XLA compilation, and at least all of it."""
    seconds, compiles = backend_compiles(lambda: measure(prepared))
    assert len(compiles) == 1, f"{len(compiles)} XLA compiles timed; a cold compile is one"
    assert compiles[0] <= seconds < 60


@pytest.mark.parametrize("measure", [compile_seconds, warm_compile_seconds])
def test_compile_seconds_measures_a_cold_compile(measure):
    """compile_seconds compiles from cold caches even for a VJP this process has just run;
    timing a cached compile instead (which the old ``0 < s < 60``
    accepted) fails the check."""
    prepared = prepare("roll_cubic", "jax_vjp", 100, 1, "float32")
    prepared.call()  # compiled and cached in this process, whatever earlier tests cleared
    # compile_seconds builds a fresh Problem before it clears the caches and starts its clock:
    # build one now, so the small conversions that takes are cached whatever earlier tests
    # cleared, and the only compile left inside compile_seconds is the timed one.
    make_problem("roll_cubic", 100, 1, "float32", 0)
    if measure is compile_seconds:
        assert_cold_compile(measure, prepared)
    else:
        with pytest.raises(AssertionError, match="XLA compiles timed"):
            assert_cold_compile(measure, prepared)


class FakeCompiled:
    def __init__(self, cost):
        self._cost = cost

    def cost_analysis(self):
        return self._cost

    def memory_analysis(self):
        raise NotImplementedError


@pytest.mark.parametrize("shape", ["list", "dict"])
def test_cost_analysis_shapes_across_jax_versions(shape):
    analysis = {"flops": 3.0, "bytes accessed": 24.0}
    compiled = FakeCompiled([analysis] if shape == "list" else analysis)
    assert compat.cost_analysis(compiled) == analysis
    assert compat.memory_analysis(compiled) is None
    assert compat.cost_analysis(FakeCompiled([])) is None


SMALL_SWEEP = Sweep(dimensions=(64,), large_dimensions=(4096,), localities=(1, 2),
                    families=("dense_control", "roll_cubic"),
                    strategies=("exact", "jax_vjp", "naive_jacrev"))


def test_measure_sweep_entries_and_skips():
    table = measure_sweep(SMALL_SWEEP, progress=io.StringIO())
    assert len(table) == len(list(SMALL_SWEEP.combinations()))
    entry = table[("roll_cubic", "jax_vjp", 4096, 2, "float32")]
    assert set(entry) == set(METRICS)
    # The two timings are asv samples (asv stores their median and confidence interval).
    for metric in ("device_time", "compile_seconds"):
        samples = entry[metric]["samples"]
        assert entry[metric]["number"] == 1 and len(samples) >= 3
        assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in samples)
    assert all(isinstance(entry[m], float) and math.isfinite(entry[m]) and entry[m] > 0
               for m in ("flops", "bytes_accessed"))
    assert "dense Jacobian" in table[("roll_cubic", "naive_jacrev", 4096, 1, "float32")]["skipped"]
    assert "ignores locality" in table[("dense_control", "exact", 64, 2, "float32")]["skipped"]


def test_one_failing_combination_does_not_erase_the_others(monkeypatch):
    """An error in one combination is recorded for it alone (issue: any error used to fail
    the whole environment's metrics)."""
    import dataclasses

    from vjplab.strategy import STRATEGIES

    real = STRATEGIES["jax_vjp"]

    def broken_make_vjp(problem):
        if problem.dimension == 4096:
            raise FloatingPointError("simulated failure inside the strategy")
        return real.make_vjp(problem)

    from vjplab import prepared

    monkeypatch.setattr(prepared, "_CACHE", {})  # build afresh, with the broken strategy
    monkeypatch.setitem(STRATEGIES._items, "jax_vjp",
                        dataclasses.replace(real, make_vjp=broken_make_vjp))
    sweep = dataclasses.replace(SMALL_SWEEP, families=("roll_cubic",), localities=(1,))
    table = measure_sweep(sweep, progress=io.StringIO())
    assert table[("roll_cubic", "jax_vjp", 4096, 1, "float32")] == {
        "failed": "FloatingPointError: simulated failure inside the strategy"}
    assert set(table[("roll_cubic", "jax_vjp", 64, 1, "float32")]) == set(METRICS)
    assert set(table[("roll_cubic", "exact", 4096, 1, "float32")]) == set(METRICS)


def test_measure_cli_prints_table(capsys):
    assert main(["measure", "roll_cubic", "jax_vjp,exact", "--dimension", "200",
                 "--locality", "1", "--repeats", "3"]) == 0
    out = capsys.readouterr().out
    assert "roll_cubic N=200 k=1" in out and "device time" in out
    rows = [line.split()[0] for line in out.splitlines()
            if line.startswith(("jax_vjp", "exact"))]
    assert rows == ["jax_vjp", "exact"]  # one row each, in the order asked
    # the last line compares them: against the hand-written adjoint
    assert out.splitlines()[-1].startswith("latency against exact (the hand-written adjoint): "
                                           "jax_vjp ")


def test_measure_cli_rejects_unknown_strategy(capsys):
    assert main(["measure", "roll_cubic", "fastest", "--dimension", "200", "--locality", "1"]) == 2
    assert "allowed:" in capsys.readouterr().err
