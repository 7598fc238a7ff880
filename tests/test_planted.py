"""The planted slowdown (detection power): the switch's values, its refusal to write into real
results, the benchmark processes' refusal without vjplab's confirmation, and that a planted
time_vjp sample takes F times as long."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from vjplab.planted import (CONFIRMED_ENV, SLOWDOWN_ENV, active_factor, check_separated,
                            planted_factor, stretch)
from vjplab.suite import repo_root

ROOT = repo_root()


@pytest.mark.parametrize("text, factor", [("", 1.0), ("1", 1.0), ("1.3", 1.3), (" 1.15 ", 1.15)])
def test_factor_values(text, factor):
    assert planted_factor({SLOWDOWN_ENV: text}) == factor
    assert planted_factor({}) == 1.0


@pytest.mark.parametrize("text", ["0.9", "abc", "nan", "inf", "-2"])
def test_bad_factor_is_a_value_error_naming_the_allowed_values(text):
    with pytest.raises(ValueError, match="allowed: a finite number >= 1"):
        planted_factor({SLOWDOWN_ENV: text})


def test_planted_run_must_be_separated_from_real_results(tmp_path):
    env = {SLOWDOWN_ENV: "1.3"}
    assert check_separated(None, None, {}) == {}  # nothing planted: nothing to check
    for output_dir, machine in ((None, None), (None, "vm"),
                                (tmp_path, None)):  # tmp_path/results is the real one below
        with pytest.raises(ValueError, match="refusing to write it where real results live"):
            check_separated(output_dir, machine, env, real_results_dir=tmp_path / "results")
    assert check_separated(tmp_path / "other", None, env, tmp_path / "results") == \
        {CONFIRMED_ENV: "1.3"}
    assert check_separated(None, "vm-planted", env) == {CONFIRMED_ENV: "1.3"}


def test_benchmark_process_refuses_an_unconfirmed_plant(monkeypatch):
    monkeypatch.setenv(SLOWDOWN_ENV, "1.3")
    monkeypatch.delenv(CONFIRMED_ENV, raising=False)
    with pytest.raises(RuntimeError, match="refusing to record planted numbers"):
        active_factor()
    monkeypatch.setenv(CONFIRMED_ENV, "1.5")  # confirmed for another factor
    with pytest.raises(RuntimeError):
        active_factor()
    monkeypatch.setenv(CONFIRMED_ENV, "1.3")
    assert active_factor() == 1.3
    monkeypatch.delenv(SLOWDOWN_ENV)
    assert active_factor() == 1.0


def test_stretch_makes_an_operation_last_f_times_as_long():
    started = time.perf_counter()
    while time.perf_counter() - started < 0.02:
        pass
    stretch(started, 1.5)
    assert 1.45 <= (time.perf_counter() - started) / 0.02 <= 1.9


TIME_SAMPLES = """
import sys, time
sys.path.insert(0, %r)
from benchmarks.bench_vjp import TimeVJP
bench = TimeVJP()
args = ("roll_cubic", "jax_vjp", 100, 1, "float32")
bench.setup(*args)
print(bench.planted)
planted, ratios = bench.planted, []
# adjacent pairs (both samples of a pair see the same load), in alternating order, each sample
# after one untimed call: the calls right after a busy-wait run slower, and a plain sample that
# always followed a planted one came out 1.18-1.21x instead of 1.3x
for i in range(60):
    seconds = {}
    for factor in ((1.0, planted) if i %% 2 == 0 else (planted, 1.0)):
        bench.planted = factor
        bench.prepared.call()
        t0 = time.perf_counter(); bench.time_vjp(*args); seconds[factor] = time.perf_counter() - t0
    ratios.append(seconds[planted] / seconds[1.0])
print(sorted(ratios)[len(ratios) // 2])
""" % (str(ROOT),)


def test_planted_time_vjp_sample_takes_f_times_as_long():
    import os

    out = subprocess.run([sys.executable, "-c", TIME_SAMPLES], capture_output=True, text=True,
                         env=dict(os.environ, VJPLAB_GRID="smoke",
                              **{SLOWDOWN_ENV: "1.3", CONFIRMED_ENV: "1.3"}), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    factor, median_ratio = out.stdout.split()
    assert float(factor) == 1.3  # setup took the confirmed factor
    # the median over adjacent (plain, planted) pairs: a loaded CI machine shifts whole
    # stretches of samples, which a ratio of two separate medians mistook for a short plant
    # (the order alternates: see TIME_SAMPLES)
    assert 1.15 <= float(median_ratio) <= 1.6, median_ratio


def test_bench_command_refuses_a_plant_into_real_results():
    import os

    out = subprocess.run([sys.executable, "-m", "vjplab", "bench", "--grid", "smoke",
                          "--allow-dirty"], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, **{SLOWDOWN_ENV: "1.3"}), timeout=300)
    assert out.returncode == 2
    assert "refusing to write it where real results live" in out.stderr
    assert "benchmarking jax" not in out.stdout  # refused before anything ran
