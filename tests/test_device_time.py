"""Device time: the loop runs everything a call runs (nothing hoisted), with a fixed trip count.

The acceptance check (``vjplab.measure.acceptance``): for every family x O(N) strategy at
N = 1e6 (dense_control: 1e3), medians of 3 fresh pinned processes,
``0.6 <= device time / (latency - empty-call latency) <= 1.25``. The first version of the loop,
which closed over the cotangent, is kept here as a fixture to show that the check catches it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

from vjplab import catalog
from vjplab.allocator import timing_environ
from vjplab.measure import acceptance
from vjplab.measure.timing import (TimingStats, device_time, hoist_proof_loop,
                                   loop_iterations)
from vjplab.prepared import prepare

ROOT = Path(__file__).resolve().parents[1]


def closed_over_loop(prepared, iterations):
    """The old device-time loop: ``c`` closed over, so XLA hoists all that depends on c alone."""
    vjp, tiny = prepared.vjp, jnp.asarray(1e-30, prepared.problem.dtype)

    @jax.jit
    def loop(x, c):
        return jax.lax.fori_loop(0, iterations, lambda _, xi: xi + tiny * vjp(xi, c), x)

    return loop


def run_acceptance(families: list[str]) -> list[dict]:
    """The acceptance command in fresh processes pinned as asv's are (the test process is not)."""
    out = subprocess.run(
        [sys.executable, "-m", "vjplab.measure.acceptance", "--json", "--processes", "3",
         "--families", ",".join(families)],
        capture_output=True, text=True, timeout=900,
        env=dict(os.environ, VJPLAB_CPU_AFFINITY="auto"))
    assert out.returncode in (0, 1), out.stderr[-3000:]
    return json.loads(out.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("family", catalog.family_names())
def test_device_time_is_the_call_cost_without_the_floor(family):
    """The acceptance check per family. A family that fails is measured once more in 3 fresh
    processes and must pass then: a process's call and loop can land in different ~4x memory
    states (banded_conv's autodiff strategies, docs/protocol.md), which two of three processes
    do about once in a few CI runs; a loop that hoists or adds work fails both attempts (the
    old loop's roll_cubic exact reads 0.25 in every process)."""
    for attempt in (1, 2):
        rows = run_acceptance([family])
        assert {r["strategy"] for r in rows} == \
            set(catalog.strategy_names()) - catalog.DENSE_STRATEGIES - catalog.SPARSE_STRATEGIES
        assert not [r for r in rows if "skipped" in r], rows
        bad = {r["strategy"]: [round(x, 2) for x in r["process_ratios"]] for r in rows
               if not acceptance.within_bounds(r)}
        if not bad:
            return
        print(f"attempt {attempt}: {family} per-process ratios outside "
              f"[{acceptance.LOWER}, {acceptance.UPPER}]: {bad}")
    raise AssertionError(f"{family}: device time / (latency - empty call) outside "
                         f"[{acceptance.LOWER}, {acceptance.UPPER}] twice: {bad}")


OLD_AND_NEW = """
import json, sys
sys.path.insert(0, ".")
from tests.test_device_time import closed_over_loop
from vjplab.cpu_affinity import pin_for_timing
from vjplab.measure import acceptance
pin_for_timing()
case = ("roll_cubic", "exact", 1_000_000, 4)
print(json.dumps([acceptance.measure_case(*case, loop=closed_over_loop),
                  acceptance.measure_case(*case)]))
"""


def test_closed_over_loop_fails_the_check_for_roll_cubic_exact():
    """The old loop hoists the hand-written adjoint's cotangent work: the acceptance check must
    fail with it, and pass with the hoist-proof loop, measured alike (a fresh pinned process
    with the acceptance check's allocator settings)."""
    out = subprocess.run([sys.executable, "-c", OLD_AND_NEW], capture_output=True, text=True,
                         timeout=300, cwd=ROOT,
                         env=timing_environ(dict(os.environ, VJPLAB_CPU_AFFINITY="auto")))
    assert out.returncode == 0, out.stderr[-3000:]
    old, new = json.loads(out.stdout)
    assert not acceptance.within_bounds(old), old
    assert acceptance.device_time_ratio(old) < acceptance.LOWER
    assert acceptance.within_bounds(new), new


def test_ratio_bounds():
    row = dict(latency=110e-6, empty_call=10e-6, device_time=100e-6)
    assert acceptance.device_time_ratio(row) == pytest.approx(1.0)
    assert acceptance.within_bounds(row)
    assert not acceptance.within_bounds(dict(row, device_time=40e-6))   # hoisted
    assert not acceptance.within_bounds(dict(row, device_time=200e-6))  # extra work


def test_acceptance_cases_cover_every_family_and_linear_strategy():
    cases = acceptance.acceptance_cases()
    assert {c[0] for c in cases} == set(catalog.family_names())
    assert not {c[1] for c in cases} & (catalog.DENSE_STRATEGIES | catalog.SPARSE_STRATEGIES)
    assert {c[2] for c in cases if c[0] == "dense_control"} == {acceptance.QUADRATIC_DIMENSION}
    assert {c[2] for c in cases if c[0] != "dense_control"} == {1_000_000}


def loop_jaxpr(loop, prepared) -> str:
    return str(jax.make_jaxpr(loop)(prepared.problem.x, prepared.problem.cotangent))


def test_loop_carries_closed_over_constants():
    """dense_control closes over its frequencies a, b: the loop must carry them (with x and c)
    through the barrier, not hold them as loop constants (which XLA may hoist from)."""
    prepared = prepare("dense_control", "exact", 200, 0)
    text = loop_jaxpr(hoist_proof_loop(prepared, 3), prepared)
    # fori_loop with a fixed trip count is a scan: carry = counter, x, c, a, b, result; no
    # loop constants at all.
    assert "num_carry=6" in text and "num_consts=0" in text, text
    assert "optimization_barrier" in text
    # The old loop holds c and the frequencies as loop constants: the same check sees it.
    old = loop_jaxpr(closed_over_loop(prepared, 3), prepared)
    assert "num_consts=0" not in old
    x, c = prepared.problem.x, prepared.problem.cotangent
    # The loop returns the last iteration's VJP: exactly one call's result.
    assert jnp.array_equal(hoist_proof_loop(prepared, 3)(x, c), prepared.vjp(x, c))


def test_trip_count_is_fixed_per_combination():
    """R comes from XLA's cost analysis, not a timing: the same in every call and process."""
    prepared = prepare("roll_cubic", "jax_vjp", 10_000, 4)
    counts = {loop_iterations(prepared) for _ in range(3)}
    assert len(counts) == 1
    r = counts.pop()
    assert str(r).rstrip("0") in ("1", "2", "5")
    small = loop_iterations(prepare("roll_cubic", "jax_vjp", 1_000, 4))
    assert small > r  # less work per VJP, more iterations
    stats = device_time(prepared, repeats=3)
    assert stats.per_repeat == r and len(stats.samples) == 3


def test_timing_stats_samples_for_asv():
    stats = TimingStats.from_samples([3.0, 1.0, 2.0], per_repeat=10)
    assert stats.median == 2.0 and stats.samples == (3.0, 1.0, 2.0)
    assert stats.asv_samples() == {"samples": [3.0, 1.0, 2.0], "number": 1}
