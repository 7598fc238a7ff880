"""The checks of the slow end-to-end tests (tests/checks.py) fail on the bugs they exist for.

Each check runs here on a real input (passes) and on a deliberately broken one (must fail), in a
few seconds and without asv: an asv sample timed with a timer that does not divide by the calls
per sample, and history reports that do not show the step between the two JAX versions.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import pytest

from tests.checks import assert_per_call_times, assert_report_steps, recorded_series
from tests.test_history import TIME, write_result
from vjplab.history.report import build_history, markdown, terminal_table
from vjplab.history.results import ResultsSet, load_results
from vjplab.measure import reference_latency
from vjplab.suite import repo_root

OLD, NEW = "0.4.31", "0.10.2"
COMBO = ("roll_cubic", "exact", 1000, 1, "float32")  # in the default grid


def benchmark_classes():
    """(TimeVJP, PerCallTimer) from the asv suite in benchmarks/."""
    root = str(repo_root())
    sys.path.insert(0, root)
    try:
        from benchmarks.bench_vjp import TimeVJP
        from benchmarks.common import PerCallTimer
    finally:
        sys.path.remove(root)
    return TimeVJP, PerCallTimer


@pytest.mark.parametrize("timer", ["per_call", "whole_sample"])
def test_per_call_check_catches_a_timer_that_stores_whole_samples(timer):
    """asv's samples of TimeVJP.time_vjp, taken in this process with the suite's own setup and
    timer, pass the per-call check; with PerCallTimer(1) (a sample not divided by its calls)
    they are ``calls`` times larger and fail it."""
    TimeVJP, PerCallTimer = benchmark_classes()
    bench = TimeVJP()
    bench.setup(*COMBO)
    assert bench.calls >= 100  # ~4 us a call: a sample of ~5 ms is the limit of 1000 calls
    if timer == "whole_sample":
        bench.timer = PerCallTimer(1)
    samples = []
    for _ in range(7):
        start = bench.timer()
        bench.time_vjp(*COMBO)
        samples.append(bench.timer() - start)
    stored = {COMBO: statistics.median(samples)}
    reference = {COMBO: reference_latency(bench.prepared, repeats=15).median}
    if timer == "per_call":
        assert_per_call_times(stored, reference)
    else:
        with pytest.raises(AssertionError, match="reference latency"):
            assert_per_call_times(stored, reference)


def two_version_results(tmp_path: Path) -> Path:
    """asv results of two series (roll_cubic jax_vjp, exact) for OLD and NEW."""
    root = tmp_path / "results"
    root.mkdir()
    (root / "benchmarks.json").write_text(json.dumps({
        TIME: {"unit": "seconds", "type": "time", "param_names": ["family", "strategy"]},
        "version": 2}))
    write_result(root, OLD, [1e-5, 1e-6])
    write_result(root, NEW, [2e-5, 1e-6])  # jax_vjp regresses, exact does not change
    return root


@pytest.mark.parametrize("report", ["real", "versions_not_joined", "intermediate_version",
                                    "rows_missing"])
def test_report_check_catches_a_report_without_the_step(tmp_path, report):
    """The report of two recorded versions passes; a report that never pairs them (the old
    assertion's ``or "0 regressions, 0 improvements"`` let it through), that shows other steps
    than OLD -> NEW, or whose table lacks the rows of its changed steps fails."""
    root = two_version_results(tmp_path)
    both = recorded_series(root)
    assert len(both[OLD] & both[NEW]) == 2
    results = load_results(root)
    if report == "versions_not_joined":  # e.g. a series key that differs between versions
        results = ResultsSet([m for m in results.measurements if m.jax == OLD],
                             results.benchmarks)
    elif report == "intermediate_version":
        write_result(root, "0.9.2", [1.5e-5, 1e-6])
        results = load_results(root)
    history = build_history(results)
    md, text = markdown(history), terminal_table(history)
    if report == "rows_missing":
        md = "\n".join(line for line in md.splitlines() if f"{OLD} -> {NEW}" not in line)
    if report == "real":
        assert_report_steps(md, OLD, NEW, 2)
        assert_report_steps(text, OLD, NEW, 2)
        return
    with pytest.raises(AssertionError):
        assert_report_steps(md, OLD, NEW, 2)
    if report == "versions_not_joined":
        # what the old test accepted
        assert f"{OLD} -> {NEW}" in md or "0 regressions, 0 improvements" in text
