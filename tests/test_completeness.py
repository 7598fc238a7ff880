"""`vjplab record`'s "done": a result for every parameter set of the grid, from fabricated asv
results files (asv's own format: result_columns, null = failed, NaN = skipped/unselected)."""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import types
from pathlib import Path

import pytest
from asv.benchmarks import Benchmarks

from vjplab.grid import GRIDS, PARAM_SPACE
from vjplab.history.completeness import missing_parameter_sets, stored_values, suite_benchmarks
from vjplab.history.record import selection_to_run
from vjplab.piecewise import PiecewiseRun
from vjplab.selection import selection_of

COMMIT = "0123456789abcdef0123456789abcdef01234567"
MACHINE = "fab-machine"
VERSION = "0.10.2"
BENCHMARKS = ("bench_vjp.TimeVJP.time_vjp", "bench_metrics.DeviceTime.track_device_time",
              "bench_metrics.XLAMemory.track_xla_memory", "bench_memory.PeakMemVJP.peakmem_vjp",
              "bench_memory.PeakMemReference.peakmem_reference")


def space_params(name: str) -> list[list]:
    selection = selection_of(name)
    sweep = PARAM_SPACE.sweep(selection.kind)
    allowed = {"family": sweep.family_names, "strategy": sweep.strategy_names,
               "dimension": list(sweep.all_dimensions), "locality": list(sweep.localities),
               "dtype": list(sweep.dtypes)}
    return [allowed[p] for p in selection.params]


def write_suite(results_dir: Path, values: dict[str, dict[tuple, float | None]]) -> Path:
    """benchmarks.json and one results file in asv's format; ``values`` by benchmark and
    parameter tuple; every other parameter set is NaN (as asv leaves unselected ones)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    suite = {name: {"name": name, "param_names": list(selection_of(name).params),
                    "params": [[repr(v) for v in vs] for vs in space_params(name)],
                    "version": "x"} for name in BENCHMARKS}
    suite["version"] = 2
    (results_dir / "benchmarks.json").write_text(json.dumps(suite))
    results = {}
    for name in BENCHMARKS:
        combos = list(itertools.product(*space_params(name)))
        stored = [values.get(name, {}).get(c, math.nan) for c in combos]
        params = [[repr(v) for v in vs] for vs in space_params(name)]
        results[name] = [stored, params, "x"]
    data = {"commit_hash": COMMIT, "env_name": f"virtualenv-py3.11-jax{VERSION}-jaxlib{VERSION}",
            "result_columns": ["result", "params", "version", "started_at", "duration"],
            "results": results, "params": {}, "version": 2}
    path = (results_dir / MACHINE /
            f"{COMMIT[:8]}-virtualenv-py3.11-jax{VERSION}-jaxlib{VERSION}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))  # NaN written as asv writes it (json allow_nan)
    return path


def complete_values(grid: str) -> dict[str, dict[tuple, float]]:
    return {name: {combo: 1e-5 for combo in selection_of(name).combinations(GRIDS[grid])}
            for name in BENCHMARKS}


def never_skips(selection, combo) -> bool:
    return False


def missing(results_dir: Path, grid: str, expected_skip=never_skips):
    """missing_parameter_sets of the fabricated file (expected_skip None: the real check)."""
    path = next((results_dir / MACHINE).glob("*.json"))
    kwargs = {} if expected_skip is None else {"expected_skip": expected_skip}
    return missing_parameter_sets(GRIDS[grid], suite_benchmarks(results_dir / "benchmarks.json"),
                                  stored_values(path), **kwargs)


def test_complete_file_is_done(tmp_path):
    write_suite(tmp_path, complete_values("tiny"))
    assert missing(tmp_path, "tiny") == []
    assert selection_to_run(tmp_path, MACHINE, COMMIT, VERSION, "tiny") == (None, [])


def test_a_failed_parameter_set_is_missing(tmp_path):
    values = complete_values("tiny")
    values["bench_vjp.TimeVJP.time_vjp"][("roll_cubic", "exact", 100, 1, "float32")] = None
    write_suite(tmp_path, values)
    assert missing(tmp_path, "tiny") == [("bench_vjp.TimeVJP.time_vjp",
                                          ("roll_cubic", "exact", 100, 1, "float32"))]


def test_another_grids_results_do_not_count(tmp_path):
    """A file recorded for `tiny` holds NaN (never selected) for the rest of `smoke`."""
    write_suite(tmp_path, complete_values("tiny"))
    gaps = missing(tmp_path, "smoke")
    smoke = sum(len(selection_of(n).combinations(GRIDS["smoke"])) for n in BENCHMARKS)
    tiny = sum(len(selection_of(n).combinations(GRIDS["tiny"])) for n in BENCHMARKS)
    assert len(gaps) == smoke - tiny
    assert ("bench_vjp.TimeVJP.time_vjp", ("banded_conv", "exact", 100, 1, "float32")) in gaps


def test_expected_skips_and_missing_metrics_count_as_recorded(tmp_path):
    values = complete_values("tiny")
    combo = ("roll_cubic", "jax_vjp", 100, 1, "float32")
    values["bench_metrics.XLAMemory.track_xla_memory"][combo] = math.nan  # release lacks it
    values["bench_vjp.TimeVJP.time_vjp"][combo] = math.nan  # skipped in setup
    write_suite(tmp_path, values)
    assert missing(tmp_path, "tiny") == [("bench_vjp.TimeVJP.time_vjp", combo)]
    assert missing(tmp_path, "tiny", expected_skip=lambda s, c: c == combo) == []


def test_real_infeasibility_is_an_expected_skip(tmp_path):
    """brusselator_2d at N = 100 (n = 7) cannot take k = 16: skipped at run time, recorded."""
    values = {name: {c: 1.0 for c in selection_of(name).combinations(GRIDS["smoke"])}
              for name in BENCHMARKS}
    time_vjp = values["bench_vjp.TimeVJP.time_vjp"]
    time_vjp[("brusselator_2d", "exact", 100, 1, "float32")] = math.nan
    time_vjp[("brusselator_2d", "exact", 100, 16, "float32")] = math.nan
    write_suite(tmp_path, values)
    # smoke runs k = 1 only: the feasible NaN is missing. full runs k = 16 at N = 100 too.
    assert missing(tmp_path, "smoke", expected_skip=None) == [
        ("bench_vjp.TimeVJP.time_vjp", ("brusselator_2d", "exact", 100, 1, "float32"))]
    gaps = missing(tmp_path, "full", expected_skip=None)
    assert ("bench_vjp.TimeVJP.time_vjp",
            ("brusselator_2d", "exact", 100, 16, "float32")) not in gaps
    assert ("bench_vjp.TimeVJP.time_vjp", ("brusselator_2d", "exact", 100, 1, "float32")) in gaps


def test_rerun_regex_selects_only_the_missing_sets_in_asv(tmp_path):
    values = complete_values("tiny")
    values["bench_memory.PeakMemVJP.peakmem_vjp"][("roll_cubic", "exact", 100, 1, "float32")] = None
    write_suite(tmp_path, values)
    regex, names = selection_to_run(tmp_path, MACHINE, COMMIT, VERSION, "tiny")
    assert names == [
        "bench_memory.PeakMemVJP.peakmem_vjp('roll_cubic', 'exact', 100, 1, 'float32')"]
    suite = json.loads((tmp_path / "benchmarks.json").read_text())
    suite.pop("version")
    chosen = Benchmarks(types.SimpleNamespace(benchmark_dir="benchmarks"), list(suite.values()),
                        regex=regex)
    assert set(chosen) == {"bench_memory.PeakMemVJP.peakmem_vjp"}
    combos = list(itertools.product(*suite["bench_memory.PeakMemVJP.peakmem_vjp"]["params"]))
    picked = [combos[i] for i in chosen.benchmark_selection["bench_memory.PeakMemVJP.peakmem_vjp"]]
    assert picked == [("'roll_cubic'", "'exact'", "100", "1", "'float32'")]


def test_no_results_file_runs_the_whole_grid(tmp_path):
    regex, names = selection_to_run(tmp_path, MACHINE, COMMIT, VERSION, "tiny")
    assert regex and names == []


def test_benchmark_unknown_to_the_selection_table_is_an_error(tmp_path):
    write_suite(tmp_path, complete_values("tiny"))
    suite = json.loads((tmp_path / "benchmarks.json").read_text())
    suite["bench_new.New.time_new"] = {"param_names": ["x"], "params": [["1"]]}
    (tmp_path / "benchmarks.json").write_text(json.dumps(suite))
    with pytest.raises(ValueError, match="bench_new.New.time_new"):
        missing(tmp_path, "tiny")



def test_record_reruns_only_the_missing_parameter_sets(tmp_path, monkeypatch, capsys):
    """record_versions with asv stubbed out: a partial file is re-run selectively, a complete
    one is skipped (before, any results file for the commit counted as done)."""
    from vjplab.history import record
    from vjplab.suite import git_head, repo_root

    monkeypatch.setattr(sys.modules[__name__], "COMMIT", git_head(repo_root()))
    commands = []

    def fake_run_jobs(jobs, **kwargs):  # asv stubbed out: note each piece's command
        commands.extend(job.command for job in jobs)
        return PiecewiseRun()

    monkeypatch.setattr(record, "run_jobs", fake_run_jobs)
    monkeypatch.setattr(record, "_ensure_machine", lambda *args: None)
    values = complete_values("tiny")
    values["bench_vjp.TimeVJP.time_vjp"][("roll_cubic", "exact", 100, 1, "float32")] = None
    write_suite(tmp_path / "results", values)

    record.record_versions([VERSION], grid="tiny", machine=MACHINE, output_dir=tmp_path,
                           publish=False)
    out = capsys.readouterr().out
    assert "1 parameter set(s) of the 'tiny' grid have no result" in out
    assert "bench_vjp.TimeVJP.time_vjp('roll_cubic', 'exact', 100, 1, 'float32')" in out
    runs = [c for c in commands if "run" in c]
    assert len(runs) == 1 and "--skip-existing" not in runs[0]
    regex = runs[0][runs[0].index("--bench") + 1]
    assert re.search(regex, "bench_vjp.TimeVJP.time_vjp('roll_cubic', 'exact', 100, 1, 'float32')")
    assert not re.search(regex, "bench_vjp.TimeVJP.time_vjp('roll_cubic', 'jax_vjp', 100, 1, 'float32')")

    commands.clear()
    write_suite(tmp_path / "results", complete_values("tiny"))
    record.record_versions([VERSION], grid="tiny", machine=MACHINE, output_dir=tmp_path,
                           publish=False)
    assert "already recorded" in capsys.readouterr().out
    assert not [c for c in commands if "run" in c]

    record.record_versions([VERSION], grid="tiny", machine=MACHINE, output_dir=tmp_path,
                           publish=False, families=["roll_cubic"])  # a shard says so
    assert ("every parameter set of the 'tiny' grid (families roll_cubic); skipped"
            in capsys.readouterr().out)
    assert not [c for c in commands if "run" in c]
    # ... but not for another grid: the smoke grid's parameter sets were never run, one
    # piece (asv run) per family.
    record.record_versions([VERSION], grid="smoke", machine=MACHINE, output_dir=tmp_path,
                           publish=False)
    assert "have no result" in capsys.readouterr().out
    runs = [c for c in commands if "run" in c]
    assert len(runs) == len(GRIDS["smoke"].latency.family_names)
    assert all(re.search(c[c.index("--bench") + 1],
                         "bench_vjp.TimeVJP.time_vjp('banded_conv', 'exact', 100, 1, 'float32')")
               for c in runs[:1])
