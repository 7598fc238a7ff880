"""The JAX-version history: version sorting, step classification, reading results, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.asv_files import COMPILE, DEVICE, MIB, NET, PEAKMEM, REFERENCE, entry, write_file
from vjplab.cli import main
from vjplab.history.report import (PAGE_NAME, build_history, markdown, summary_lines,
                                   terminal_table, write_html)
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
    # pooled samples of two modes (one process slower): narrow disjoint confidence intervals,
    # overlapping interquartile ranges -> no change (the A/A pair's banded_conv N=1e4 k=16)
    (m(142e-6, ci=(141e-6, 145e-6), q=(140e-6, 152e-6)),
     m(198e-6, ci=(190e-6, 208e-6), q=(150e-6, 212e-6)), Verdict.NO_CHANGE),
    (m(142e-6, ci=(141e-6, 145e-6), q=(140e-6, 152e-6)),
     m(206e-6, ci=(200e-6, 211e-6), q=(190e-6, 219e-6)), Verdict.REGRESSION),
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
    assert "1 point missing" in table and "roll_cubic exact at 0.10.2" in table
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


# --- per-kind thresholds, benchmark versions, missing points, commits, net memory -------------


def test_threshold_table():
    """None above 1.25; time_vjp stays at 1.1; deterministic kinds flag any change."""
    noisy = {k: r.threshold for k, r in RULES.items() if r.threshold is not None}
    assert max(noisy.values()) <= 1.25
    assert noisy["time_vjp"] == 1.1
    assert noisy["track_device_time"] == noisy["track_compile_time"] == 1.2
    for kind in ("track_flops", "track_bytes_accessed", "track_xla_memory"):
        assert RULES[kind].threshold is None


@pytest.mark.parametrize("benchmark,ratio,expected", [
    (DEVICE, 1.15, Verdict.NO_CHANGE),    # within device time's 1.2
    (DEVICE, 1.3, Verdict.REGRESSION),
    (DEVICE, 1 / 1.3, Verdict.IMPROVEMENT),
    (COMPILE, 1.15, Verdict.NO_CHANGE),
    (COMPILE, 1.3, Verdict.REGRESSION),
    (TIME, 1.15, Verdict.REGRESSION),     # time_vjp keeps 1.1
    (TIME, 1.05, Verdict.NO_CHANGE),
])
def test_per_kind_thresholds_with_disjoint_intervals(benchmark, ratio, expected):
    """Intervals that do not overlap (as asv's 99% CIs of samples will be): the kind's
    threshold alone decides."""
    before = m(1.0, ci=(0.99, 1.01), bench=benchmark)
    after = m(ratio, ci=(ratio * 0.99, ratio * 1.01), bench=benchmark)
    assert classify(benchmark, before, after) == expected


def test_threshold_overrides():
    dev_before, dev_after = m(1.0, bench=DEVICE), m(1.18, bench=DEVICE)
    assert classify(DEVICE, dev_before, dev_after) == Verdict.NO_CHANGE
    assert classify(DEVICE, dev_before, dev_after,
                    rules_with({"track_device_time": 1.15})) == Verdict.REGRESSION
    # a bare ratio sets every non-deterministic kind; KIND=RATIO wins over it
    rules = rules_with(parse_thresholds(["1.5", "time_vjp=1.05"]))
    assert rules["track_device_time"].threshold == 1.5 and rules["time_vjp"].threshold == 1.05
    assert rules["track_flops"].threshold is None
    assert classify(TIME, m(1.0), m(1.2), rules_with({"*": 1.5})) == Verdict.NO_CHANGE
    with pytest.raises(ValueError, match="allowed: .*time_vjp"):
        parse_thresholds(["compile=1.2"])
    with pytest.raises(ValueError, match="flags any change"):
        parse_thresholds(["track_flops=1.2"])
    with pytest.raises(ValueError, match="RATIO or KIND=RATIO"):
        parse_thresholds(["time_vjp=fast"])


def test_cli_threshold_errors_exit_2(tmp_path, capsys):
    root = results_dir(tmp_path)
    assert main(["history", "--results-dir", str(root), "--threshold", "nope=1.2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vjplab history: ") and "allowed:" in err and "Traceback" not in err


def test_report_states_each_kinds_threshold(tmp_path):
    history = build_history(load_results(results_dir(tmp_path)),
                            rules_with({"track_compile_time": 1.15}))
    for text in (terminal_table(history), markdown(history)):
        assert ("thresholds: time_vjp 1.1x, track_device_time 1.2x, track_compile_time 1.15x"
                in text)
        assert "track_flops any change" in text and "peakmem_vjp_net 1.1x and > 8 MiB" in text
    page = write_html(history, tmp_path / "html").read_text()
    assert "track_device_time 1.2x" in page


def test_benchmark_versions_are_separate_series(tmp_path):
    """0.4.31 measured with version v1, 0.10.2 with v2 (the benchmark's code changed): two
    series of one point each, no step, both labelled."""
    root = tmp_path / "results"
    write_file(root, {TIME: entry([1e-5, 1e-6], version="a" * 64, rel_ci=0.01)},
               jax="0.4.31", commit="1111aaaa" * 5)
    write_file(root, {TIME: entry([5e-5, 5e-6], version="b" * 64, rel_ci=0.01)},
               jax="0.10.2", commit="2222bbbb" * 5)
    history = build_history(load_results(root))
    assert len(history.series) == 4 and history.steps == []
    assert {key[3] for key in history.series} == {"a" * 64, "b" * 64}
    text = terminal_table(history)
    assert "2 benchmark versions (version aaaaaaaa, version bbbbbbbb)" in text
    # same version: one series, and the 5x step is found
    write_file(root, {TIME: entry([5e-5, 5e-6], version="a" * 64, rel_ci=0.01)},
               jax="0.10.2", commit="2222bbbb" * 5)
    assert len(build_history(load_results(root)).regressions) == 2


def test_newest_null_is_missing_not_an_older_value(tmp_path):
    """0.10.2 has two files: an older run (5e-5: a regression against 0.4.31) and the newest,
    where asv stored null (failed). The point is missing; the old value is not used."""
    root = tmp_path / "results"
    write_file(root, {TIME: entry([1e-5, 1e-6], rel_ci=0.01)}, jax="0.4.31")
    write_file(root, {TIME: entry([5e-5, 5e-6], rel_ci=0.01, started_at=1_000)},
               jax="0.10.2", commit="1111aaaa" * 5)
    write_file(root, {TIME: entry([None, 1.05e-6], rel_ci=0.01, started_at=2_000)},
               jax="0.10.2", commit="2222bbbb" * 5)
    history = build_history(load_results(root))
    assert history.regressions == []
    missing = missing_points(history.series)
    assert [(key[2][1], m.jax, m.commit[:8]) for key, m in missing] == [
        ("'jax_vjp'", "0.10.2", "2222bbbb")]
    assert "1 point missing" in terminal_table(history)
    assert "roll_cubic jax_vjp N=100 k=1 at 0.10.2 (vm, commit 2222bbbb)" in terminal_table(history)
    # the exact strategy's newest value (1.05e-6, commit 2222bbbb) is the one compared
    (step,) = [s for s in history.steps if "'exact'" in s.params]
    assert step.after == 1.05e-6 and step.after_commit.startswith("2222bbbb")


def test_newest_is_by_run_time_not_commit_date(tmp_path):
    """An old commit benchmarked again later is the newest results file."""
    root = tmp_path / "results"
    write_file(root, {TIME: entry([1e-5, 1e-6], started_at=1_000)}, jax="0.10.2",
               commit="1111aaaa" * 5, date=9_000)
    write_file(root, {TIME: entry([2e-5, 2e-6], started_at=5_000)}, jax="0.10.2",
               commit="2222bbbb" * 5, date=1_000)
    series = build_series(load_results(root).measurements)
    assert {p["0.10.2"].value for p in series.values()} == {2e-5, 2e-6}


def test_steps_name_their_commits(tmp_path):
    root = tmp_path / "results"
    write_file(root, {TIME: entry([1e-5, 1e-6], rel_ci=0.01)}, jax="0.4.31",
               commit="1111aaaa" * 5)
    write_file(root, {TIME: entry([2e-5, 1e-6], rel_ci=0.01)}, jax="0.10.2",
               commit="2222bbbb" * 5)
    history = build_history(load_results(root))
    (regression,) = history.regressions
    assert (regression.before_commit[:8], regression.after_commit[:8]) == ("1111aaaa", "2222bbbb")
    table = terminal_table(history)
    assert "1111aaaa -> 2222bbbb" in table
    assert ("releases recorded at different commits on vm: 0.4.31 at 1111aaaa, 0.10.2 at "
            "2222bbbb") in table
    assert "| 1111aaaa -> 2222bbbb |" in markdown(history)
    # one commit for both releases: no such note
    root2 = tmp_path / "same"
    for jax in ("0.4.31", "0.10.2"):
        write_file(root2, {TIME: entry([1e-5, 1e-6], rel_ci=0.01)}, jax=jax)
    assert not any("different commits" in line
                   for line in summary_lines(build_history(load_results(root2))))


def net_files(root: Path, vjp_old, ref_old, vjp_new, ref_new) -> None:
    params_ref = [["'roll_cubic'"], ["100"]]
    write_file(root, {PEAKMEM: entry(vjp_old), REFERENCE: entry(ref_old, params=params_ref)},
               jax="0.4.31")
    write_file(root, {PEAKMEM: entry(vjp_new), REFERENCE: entry(ref_new, params=params_ref)},
               jax="0.10.2")


def test_peakmem_net_of_reference(tmp_path):
    """net = peakmem_vjp - peakmem_reference(family, N) of the same file."""
    root = tmp_path / "results"
    base = 150 * MIB
    # jax_vjp: net 10 -> 20 MiB (flagged); exact: net 10 -> 12 MiB (1.2x but under the floor);
    # the reference grew by 5 MiB (a JAX import that got bigger) in the newer release
    net_files(root, [base + 10 * MIB, base + 10 * MIB], [base],
              [base + 5 * MIB + 20 * MIB, base + 5 * MIB + 12 * MIB], [base + 5 * MIB])
    results = load_results(root)
    net = {(m.jax, m.params[1]): m.value for m in results.measurements if m.benchmark == NET}
    assert net == {("0.4.31", "'jax_vjp'"): 10 * MIB, ("0.4.31", "'exact'"): 10 * MIB,
                   ("0.10.2", "'jax_vjp'"): 20 * MIB, ("0.10.2", "'exact'"): 12 * MIB}
    history = build_history(results)
    net_steps = {s.params[1]: s.verdict for s in history.steps if s.benchmark == NET}
    assert net_steps == {"'jax_vjp'": Verdict.REGRESSION, "'exact'": Verdict.NO_CHANGE}
    # raw peakmem_vjp 160 -> 175 MiB is 1.09x: the raw series alone hides the regression
    raw = {s.params[1]: s.verdict for s in history.steps if s.benchmark == PEAKMEM}
    assert raw["'jax_vjp'"] == Verdict.NO_CHANGE
    # the net step shows the difference (10 MiB = 10.5 MB), not a ratio
    (row,) = [line for line in terminal_table(history).splitlines()
              if line.startswith("regression")]
    assert "PeakMemVJP.peakmem_vjp_net" in row and "+10.5 MB" in row


FLOOR = RULES["peakmem_vjp_net"].floor


@pytest.mark.parametrize("before,after,expected", [
    (0.5 * MIB, 0.5 * MIB + 0.9 * FLOOR, Verdict.NO_CHANGE),  # a large ratio, under the floor
    (0.5 * MIB, 0.5 * MIB + 1.1 * FLOOR, Verdict.REGRESSION),
    (-1 * MIB, FLOOR + 0.5 * MIB, Verdict.REGRESSION),        # a negative net (noise) grew
    (200 * MIB, 215 * MIB, Verdict.NO_CHANGE),                # over the floor but 1.075x
    (100 * MIB, 115 * MIB, Verdict.REGRESSION),               # over both
    (100 * MIB, 80 * MIB, Verdict.IMPROVEMENT),
])
def test_net_memory_rule_needs_relative_and_absolute_change(before, after, expected):
    assert classify(NET, m(before, bench=NET), m(after, bench=NET)) == expected


def test_net_memory_null_term_is_missing(tmp_path):
    root = tmp_path / "results"
    base = 150 * MIB
    net_files(root, [base + MIB, base + MIB], [base], [base + 2 * MIB, base + 2 * MIB], [None])
    nets = [m for m in load_results(root).measurements if m.benchmark == NET]
    assert len(nets) == 4
    assert sorted(m.jax for m in nets if not m.measured) == ["0.10.2", "0.10.2"]
