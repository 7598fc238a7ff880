"""The JAX-version history: version sorting, step classification, reading results, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vjplab.cli import main
from vjplab.history.report import PAGE_NAME, build_history, markdown, terminal_table, write_html
from vjplab.history.results import Measurement, ResultsError, load_results
from vjplab.history.steps import (RULES, Verdict, build_series, classify, missing_points,
                                  parse_thresholds, rules_with, steps, worst_first)
from vjplab.history.versions import sort_versions

TIME = "bench_vjp.TimeVJP.time_vjp"
FLOPS = "bench_metrics.Flops.track_flops"


def test_versions_sort_as_versions():
    assert sort_versions(["0.10.2", "0.9.2", "0.4.31", "0.4.8", "0.5.3", "0.10.2"]) == [
        "0.4.8", "0.4.31", "0.5.3", "0.9.2", "0.10.2"]
    assert sort_versions(["0.5.0", "weird", "0.4.38"]) == ["0.4.38", "0.5.0", "weird"]


def m(value, ci=None, q=None, jax="0.4.31", bench=TIME, params=("'roll_cubic'",), date=1):
    return Measurement("vm", jax, "abc", date, bench, params, value, ci, q)


@pytest.mark.parametrize("before,after,expected", [
    (m(1.0, ci=(0.9, 1.1)), m(1.5, ci=(1.4, 1.6)), Verdict.REGRESSION),      # disjoint, 1.5x
    (m(1.0, ci=(0.9, 1.1)), m(1.5, ci=(1.05, 2.0)), Verdict.NO_CHANGE),     # overlapping
    (m(1.0, ci=(0.99, 1.01)), m(1.05, ci=(1.04, 1.06)), Verdict.NO_CHANGE),  # disjoint, < 1.1x
    (m(2.0, ci=(1.9, 2.1)), m(1.0, ci=(0.9, 1.1)), Verdict.IMPROVEMENT),
    (m(1.0, q=(0.95, 1.05)), m(1.3, q=(1.2, 1.4)), Verdict.REGRESSION),      # quartiles only
    (m(1.0), m(1.3), Verdict.REGRESSION),                                    # track: ratio only
    (m(1.0), m(1.05), Verdict.NO_CHANGE),
])
def test_classify_noisy(before, after, expected):
    assert classify(TIME, before, after) == expected


def test_classify_deterministic_flags_any_change():
    assert classify(FLOPS, m(100.0), m(101.0)) == Verdict.REGRESSION
    assert classify(FLOPS, m(100.0), m(99.0)) == Verdict.IMPROVEMENT
    assert classify(FLOPS, m(100.0), m(100.0)) == Verdict.NO_CHANGE


def test_threshold_must_exceed_one():
    with pytest.raises(ValueError, match="threshold must be > 1"):
        rules_with({"*": 0.9})
    with pytest.raises(ValueError, match="threshold must be > 1"):
        rules_with({"time_vjp": 1.0})


def test_series_keep_newest_per_version_and_skip_missing_versions():
    data = [m(1.0, jax="0.4.31", date=1), m(5.0, jax="0.4.31", date=2),
            m(2.0, jax="0.10.2"), m(3.0, jax="0.9.2"),
            m(7.0, jax="0.10.2", params=("'other'",))]  # present in one version only
    series = build_series(data)
    main_series = series[("vm", TIME, ("'roll_cubic'",), None)]
    assert list(main_series) == ["0.4.31", "0.9.2", "0.10.2"]
    assert main_series["0.4.31"].value == 5.0
    all_steps = steps(series)
    assert [(s.before_version, s.after_version) for s in all_steps] == [
        ("0.4.31", "0.9.2"), ("0.9.2", "0.10.2")]
    assert worst_first(all_steps)[0].verdict == Verdict.IMPROVEMENT  # 5 -> 3


def write_result(root: Path, jax: str, values: list, machine: str = "vm", version: int = 2,
                 name: str | None = None) -> Path:
    (root / machine).mkdir(parents=True, exist_ok=True)
    data = {"commit_hash": "abcdef12", "env_name": f"env-{jax}", "date": 1, "version": version,
            "params": {"machine": machine, "jax": jax, "jaxlib": jax},
            "result_columns": ["result", "params", "stats_ci_99_a", "stats_ci_99_b"],
            "results": {TIME: [values, [["'roll_cubic'"], ["'jax_vjp'", "'exact'"]],
                               [v * 0.99 if v else None for v in values],
                               [v * 1.01 if v else None for v in values]]}}
    path = root / machine / (name or f"abcdef12-env-{jax}.json")
    path.write_text(json.dumps(data))
    return path


def results_dir(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    root.mkdir()
    (root / "benchmarks.json").write_text(json.dumps({
        TIME: {"unit": "seconds", "type": "time", "param_names": ["family", "strategy"]},
        "version": 2}))
    write_result(root, "0.4.31", [1e-5, 1e-6])
    write_result(root, "0.10.2", [2e-5, None])   # exact missing in the newer release
    write_result(root, "0.9.2", [1.02e-5, 1e-6])
    return root


def test_load_results_and_report(tmp_path):
    root = results_dir(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    history = build_history(load_results(root))
    assert history.versions == ["0.4.31", "0.9.2", "0.10.2"]
    regressions = history.regressions
    assert len(regressions) == 1 and regressions[0].after_version == "0.10.2"
    table = terminal_table(history)
    assert "regression" in table and "0.9.2 -> 0.10.2" in table and "roll_cubic jax_vjp" in table
    # exact is null in 0.10.2's file: said so, and no step joins its 0.9.2 value to anything
    assert "1 points missing" in table and "roll_cubic exact at 0.10.2" in table
    md = markdown(history)
    assert md.startswith("# vjplab") and "| regression | 0.9.2 -> 0.10.2 |" in md
    html_dir = tmp_path / "html"
    html_dir.mkdir()
    (html_dir / "index.html").write_text("<html><body><p>asv</p></body></html>")
    page = write_html(history, html_dir)
    assert page.name == PAGE_NAME and "0.9.2 -&gt; 0.10.2" in page.read_text()
    assert list((html_dir / "vjplab-history").glob("*.png"))
    assert PAGE_NAME in (html_dir / "index.html").read_text()
    write_html(history, html_dir)  # the link is added once
    assert (html_dir / "index.html").read_text().count(PAGE_NAME) == 1
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert before == after, "the report must never write into the results directory"


def test_bad_inputs_give_messages_not_crashes(tmp_path):
    with pytest.raises(ResultsError, match="does not exist"):
        load_results(tmp_path / "nope")
    root = tmp_path / "results"
    root.mkdir()
    empty = load_results(root)
    assert any("no machine directories" in msg for msg in empty.messages)
    assert any("benchmarks.json is missing" in msg for msg in empty.messages)
    write_result(root, "0.4.31", [1e-5, 1e-6], version=99)
    (root / "vm" / "broken.json").write_text("{not json")
    loaded = load_results(root)
    assert loaded.measurements == []
    assert any("format version 99 is not supported" in msg for msg in loaded.messages)
    assert any("broken.json: unreadable" in msg for msg in loaded.messages)
    assert "fewer than two JAX versions" in terminal_table(build_history(loaded))


def test_history_cli(tmp_path, capsys):
    root = results_dir(tmp_path)
    assert main(["history", "--results-dir", str(root), "--html-dir", str(tmp_path / "h"),
                 "--markdown", str(tmp_path / "r.md")]) == 0
    assert main(["history", "--results-dir", str(root), "--html-dir", str(tmp_path / "h"),
                 "--fail-on-regression"]) == 1
    # a larger threshold turns the 2x step into no change
    assert main(["history", "--results-dir", str(root), "--html-dir", str(tmp_path / "h"),
                 "--threshold", "3", "--fail-on-regression"]) == 0
    assert main(["history", "--results-dir", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert (tmp_path / "r.md").read_text().startswith("# vjplab")


def test_record_rejects_unknown_version(capsys):
    assert main(["record", "--versions", "0.0.1", "--no-publish"]) == 2
    err = capsys.readouterr().err
    assert "0.0.1 not in asv.conf.json; allowed: 0.4.31" in err
