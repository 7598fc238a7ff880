"""A run in pieces: one family per asv run, exact --bench regexes, the journal that resumes an
interrupted run, the progress arithmetic, and stopping asv's process group."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from asv.benchmarks import Benchmarks

from vjplab import catalog
from vjplab.grid import DIMENSIONS_ENV, FAMILIES_ENV, GRIDS, active_grid
from vjplab.piecewise import (Job, LiveStatus, count_sets, format_duration, run_jobs,
                              stop_process_group, time_left)
from vjplab.pieces import Piece, filter_by_regex, grid_param_sets, in_families, split_by_family
from vjplab.run_journal import JOURNAL_NAME, RunJournal
from vjplab.suite import repo_root
from vjplab.suite_info import discover_suite

ROOT = repo_root()


@pytest.fixture(scope="module")
def suite() -> dict[str, dict]:
    return discover_suite(ROOT)


def asv_selected(suite: dict[str, dict], regex: str) -> set[tuple[str, tuple[str, ...]]]:
    """(benchmark, parameter reprs) that asv itself selects with ``regex``."""
    benchmarks = [{"name": name, **info} for name, info in suite.items()]
    chosen = Benchmarks(types.SimpleNamespace(benchmark_dir="benchmarks"), benchmarks,
                        regex=regex)
    out = set()
    for name, info in suite.items():
        combos = list(itertools.product(*info["params"]))
        out |= {(name, combos[i]) for i in chosen.benchmark_selection[name]}
    return out


def reprs(param_sets) -> set[tuple[str, tuple[str, ...]]]:
    return {(name, tuple(repr(v) for v in values)) for name, values in param_sets}


@pytest.mark.parametrize("grid", ["default", "smoke", "tiny"])
def test_pieces_cover_the_grid_once_one_family_each(suite, grid):
    sets = grid_param_sets(GRIDS[grid], suite)
    pieces = split_by_family(sets)
    assert sum(p.size for p in pieces) == len(sets)
    assert len({p.family for p in pieces}) == len(pieces)
    assert [p.family for p in pieces] == [f for f in catalog.family_names()
                                         if f in {p.family for p in pieces}]
    for piece in pieces:  # asv runs exactly the piece's sets, and they are its family's
        assert asv_selected(suite, piece.regex) == reprs(piece.param_sets)
        assert all(values[0] == piece.family for _, values in piece.param_sets)
    assert set().union(*(asv_selected(suite, p.regex) for p in pieces)) == reprs(sets)


def test_user_regex_narrows_the_pieces(suite):
    sets = filter_by_regex(grid_param_sets(GRIDS["smoke"], suite), r"TimeVJP.*'exact'")
    assert sets and all(name == "bench_vjp.TimeVJP.time_vjp" and values[1] == "exact"
                        for name, values in sets)
    assert len(split_by_family(sets)) == len(catalog.family_names())
    assert filter_by_regex(sets, "no_such_benchmark") == []
    with pytest.raises(ValueError, match="not a valid regular expression"):
        filter_by_regex(sets, "(")


def test_piece_environment_restricts_the_active_grid(monkeypatch):
    piece = Piece("burgers_1d", ())
    monkeypatch.setenv("VJPLAB_GRID", "default")
    monkeypatch.setenv(FAMILIES_ENV, piece.env[FAMILIES_ENV])
    grid = active_grid()
    assert grid.metrics.family_names == ["burgers_1d"]  # the shared setup_cache sweeps these
    assert {c[0] for c in grid.latency.combinations()} == {"burgers_1d"}
    assert grid.selection_reason("latency", "roll_cubic", "exact", 100, 1).startswith(
        "not in the 'default' grid")
    monkeypatch.setenv(FAMILIES_ENV, "burgers_1d,nope")
    with pytest.raises(ValueError, match="unknown family 'nope'; allowed: banded_conv"):
        active_grid()


def test_a_narrowing_regex_narrows_the_shared_measurement(suite, monkeypatch):
    """--bench at N = 1e3 on the gpu grid: the piece's processes see N = 1e3 only, so the
    metrics' shared setup_cache measures no N = 1e8 combination (a CPU could not)."""
    sets = filter_by_regex(grid_param_sets(GRIDS["gpu"], suite),
                           r"(TimeVJP|DeviceTime)\.\w+\('roll_cubic', '\w+', 1000, ")
    (piece,) = split_by_family(sets)
    assert piece.dimensions == [1000] and piece.env[DIMENSIONS_ENV] == "1000"
    monkeypatch.setenv("VJPLAB_GRID", "gpu")
    for name, value in piece.env.items():
        monkeypatch.setenv(name, value)
    grid = active_grid()
    assert {c[2] for c in grid.metrics.combinations()} == {1000}
    assert {c[1] for c in grid.metrics.combinations()} == set(GRIDS["gpu"].metrics.strategies)
    full = split_by_family(grid_param_sets(GRIDS["gpu"], suite))[0]
    assert full.dimensions == [1000, 1_000_000, 100_000_000]  # a whole run keeps every N
    monkeypatch.setenv(DIMENSIONS_ENV, "1e3")
    with pytest.raises(ValueError, match="allowed: comma-separated integers"):
        active_grid()


def test_a_family_outside_a_sweep_leaves_that_sweep_empty():
    grid = GRIDS["tiny"].restricted_to(["burgers_1d"])  # tiny runs roll_cubic only
    assert list(grid.latency.combinations()) == []


def write_results(path: Path, name: str, params: list[list[str]], values: list) -> None:
    path.write_text(json.dumps({"result_columns": ["result", "params"],
                                "results": {name: [values, params]}}))


def test_count_sets_reads_what_asv_stored(tmp_path):
    name = "bench_vjp.TimeVJP.time_vjp"
    sets = tuple((name, ("roll_cubic", s, 100, 1)) for s in ("exact", "jax_vjp", "grad_dot"))
    piece = Piece("roll_cubic", sets + ((name, ("roll_cubic", "exact", 1000, 1)),))
    path = tmp_path / "r.json"
    write_results(path, name, [["'roll_cubic'"], ["'exact'", "'jax_vjp'", "'grad_dot'"],
                               ["100"], ["1"]], [1e-5, float("nan"), None])
    counts = count_sets(piece, path)
    assert (counts.measured, counts.skipped, counts.failed, counts.missing) == (1, 1, 1, 1)
    assert counts.failed_names == (f"{name}('roll_cubic', 'grad_dot', 100, 1)",)
    assert "1 FAILED" in counts.text()
    assert count_sets(piece, None).missing == 4


def test_journal_resumes_the_same_run_only(tmp_path):
    run = {"commit": "abc", "grid": "smoke", "bench": None}
    a, b = Piece("roll_cubic", (("x", ("roll_cubic",)),)), Piece("burgers_1d", (("x", ("b",)),))
    journal, note = RunJournal.open(tmp_path, run)
    assert note is None and not journal.has(a)
    journal.add(a)
    again, note = RunJournal.open(tmp_path, run)
    assert note is None and again.has(a) and not again.has(b)
    assert again.started == journal.started
    other, note = RunJournal.open(tmp_path, dict(run, grid="default"))
    assert not other.has(a) and "differs in grid" in note
    again.complete()
    assert not (tmp_path / JOURNAL_NAME).exists()
    fresh, note = RunJournal.open(tmp_path, run)
    assert note is None and not fresh.has(a)


def test_progress_arithmetic():
    assert format_duration(59.6) == "1:00" and format_duration(3725) == "1:02:05"
    assert time_left(60, 1, 1) == "about 60 s left"
    assert time_left(60, 1, 10) == "about 10 min left"
    assert time_left(10, 0, 5) == "time left unknown"
    assert time_left(10, 5, 0) == "nothing left"
    piece = Piece("roll_cubic", (("bench_vjp.TimeVJP.time_vjp", ("roll_cubic",)),
                                 ("bench_metrics.DeviceTime.track_device_time", ("roll_cubic",))))
    assert Job(piece, [], "", lambda: None).weight == 3 + 1


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie child of ours counts as gone
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state != "Z"


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_stop_process_group_stops_children_too(tmp_path):
    pids = tmp_path / "pids"
    script = (f"sleep 300 & echo $! > {pids}; trap '' INT; wait")  # the shell ignores SIGINT
    proc = subprocess.Popen(["sh", "-c", script], start_new_session=True)
    for _ in range(100):
        if pids.exists() and pids.read_text().strip():
            break
        time.sleep(0.05)
    child = int(pids.read_text())
    t0 = time.perf_counter()
    stop_process_group(proc, grace=1.0)
    assert proc.poll() is not None and time.perf_counter() - t0 < 10
    for _ in range(50):
        if not alive(child):
            break
        time.sleep(0.05)
    assert not alive(child)


def test_run_jobs_reports_each_job_and_a_failing_status(tmp_path):
    log, out = (tmp_path / "log").open("w"), (tmp_path / "out").open("w")
    piece = Piece("roll_cubic", (("bench_vjp.TimeVJP.time_vjp", ("roll_cubic", "exact", 100, 1)),))
    jobs = [Job(piece, [sys.executable, "-c", "print('asv says hi')"], "first", lambda: None),
            Job(piece, [sys.executable, "-c", "raise SystemExit(2)"], "second", lambda: None)]
    run = run_jobs(jobs, env=dict(os.environ), cwd=tmp_path, log=log, out=out)
    log.close(), out.close()
    lines = (tmp_path / "out").read_text().splitlines()
    assert lines[0].startswith("[1/2] first: 1 parameter sets ... ")
    assert "1/1 sets" not in lines[0] and "1/2 sets" in lines[0]
    assert "asv exited with status 2" in lines[1] and "2/2 sets" in lines[1]
    assert "asv says hi" in (tmp_path / "log").read_text()
    assert run.interrupted is None and [r.returncode for r in run.failed] == [2]
    assert not math.isnan(run.seconds)


def test_run_jobs_stops_at_ctrl_c(tmp_path):
    """KeyboardInterrupt (what SIGINT raises) while asv runs: its group is stopped, the run
    says which job was cut short, and the jobs after it never start."""
    log = (tmp_path / "log").open("w")
    piece = Piece("roll_cubic", ())
    marker = tmp_path / "third-ran"
    interrupt = f"import os, signal; os.kill({os.getpid()}, signal.SIGINT); import time; time.sleep(30)"
    jobs = [Job(piece, [sys.executable, "-c", "pass"], "first", lambda: None),
            Job(piece, [sys.executable, "-c", interrupt], "second", lambda: None),
            Job(piece, [sys.executable, "-c", f"open({str(marker)!r}, 'w')"], "third",
                lambda: None)]
    t0 = time.perf_counter()
    run = run_jobs(jobs, env=dict(os.environ), cwd=tmp_path, log=log,
                   out=(tmp_path / "out").open("w"))
    assert time.perf_counter() - t0 < 25
    assert [r.job.label for r in run.finished] == ["first"]
    assert run.interrupted is jobs[1] and not marker.exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_live_status_shows_the_benchmark_asv_runs(tmp_path):
    path = tmp_path / "tty"
    with path.open("w") as out:
        status = LiveStatus(out, "[1/8] roll_cubic: 43 parameter sets ... ")
        for line in ["· Discovering benchmarks\n",
                     "[12.50%] ··· Running (bench_vjp.TimeVJP.time_vjp--)..\n",
                     "[83.33%] ··· Setting up bench_metrics:29                 ok\n",
                     "[83.33%] ··· ...h_metrics.BytesAccessed.track_bytes_accessed     ok\n"]:
            status.update(line)
        status.clear()
        out.write("0:14 (43 measured)\n")
    shown = [part.replace("\x1b[K", "") for part in path.read_bytes().decode().split("\r") if part]
    assert shown == ["[1/8] roll_cubic: 43 parameter sets ... TimeVJP.time_vjp (asv 12%)",
                     "[1/8] roll_cubic: 43 parameter sets ... the family's metrics (setup_cache)",
                     "[1/8] roll_cubic: 43 parameter sets ... BytesAccessed.track_bytes_accessed"
                     " (asv 83%)",
                     "[1/8] roll_cubic: 43 parameter sets ... 0:14 (43 measured)\n"]


def test_a_shard_of_families_keeps_their_sets_and_names_the_allowed_ones(suite):
    grid = GRIDS["default"]
    sets = grid_param_sets(grid, suite)
    shard = in_families(sets, ["burgers_1d", "roll_cubic"])
    assert {p.family for p in split_by_family(shard)} == {"burgers_1d", "roll_cubic"}
    assert len(shard) == sum(p.size for p in split_by_family(sets)
                             if p.family in ("burgers_1d", "roll_cubic"))
    assert in_families(sets, None) == sets
    assert grid.check_families(["roll_cubic"]) == ["roll_cubic"]
    with pytest.raises(ValueError, match="the 'tiny' grid runs no family 'burgers_1d'; "
                                         "allowed: roll_cubic"):
        GRIDS["tiny"].check_families(["burgers_1d"])
    with pytest.raises(ValueError, match=r"runs no families \(none given\)"):
        grid.check_families([])
