"""The regression page: JAX steps, causes, kinds that caught them, bisect verdicts, the forms.

The history is tests/regression_history.py's (its docstring lists what regresses where).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.asv_files import TIME, entry, write_file
from tests.regression_history import fabricate, verdict, write_benchmarks, write_verdict
from vjplab.cli import main
from vjplab.history.bisects import default_bisect_dir, load_bisects, params_match
from vjplab.history.causes import NO_PROGRAM, severity
from vjplab.history.programs import CHANGED, SAME, UNKNOWN
from vjplab.history.regressions import ROWS, html_section
from vjplab.history.report import (build_history, markdown, program_notes, terminal_table,
                                   write_html)
from vjplab.history.results import load_results
from vjplab.history.steps import Step, Verdict

SD3D = "squared_differences_3d exact N=1000000 k=1 float32"
JVP = "roll_cubic jax_vjp N=100 k=1 float32"


@pytest.fixture
def root(tmp_path) -> Path:
    return fabricate(tmp_path / "results")


def history_of(root: Path, bisect_dir: Path | None = None):
    return build_history(load_results(root), bisect_dir=bisect_dir)


def by_name(history) -> dict[tuple[str, str, str], object]:
    return {(j.machine, j.before, j.after): j for j in history.jax_steps()}


def test_jax_steps_per_machine_newest_first(root):
    steps = history_of(root).jax_steps()
    assert [(j.machine, j.before, j.after) for j in steps] == [
        ("reference", "0.7.2", "0.8.3"), ("reference", "0.6.2", "0.7.2"),
        ("vm", "0.7.2", "0.8.3"), ("vm", "0.6.2", "0.7.2")]
    quiet = steps[0]
    assert quiet.causes == [] and quiet.regressions == 0 and quiet.worst is None


def test_causes_worst_first_and_kinds_across_one_combination(root):
    step = by_name(history_of(root))[("vm", "0.6.2", "0.7.2")]
    assert [g.cause for g in step.causes] == [SAME, CHANGED]
    (same,), (changed,) = (g.rows for g in step.causes)
    assert same.label == SD3D and [s.kind for s in same.steps] == ["time_vjp",
                                                                    "track_device_time"]
    assert same.worst == pytest.approx(1.8, rel=0.01)
    # the program changed (one more fusion): latency first, then the deterministic kinds; the
    # count that doubled does not make this row worse than the 1.8x latency
    assert changed.label == JVP
    assert [s.kind for s in changed.steps] == ["time_vjp", "track_hlo_fusions", "track_flops"]
    assert changed.worst == pytest.approx(1.3, rel=0.01)
    assert "fusion 1 -> 2" in changed.note.text
    assert step.regressions == 5 and step.worst == pytest.approx(1.8, rel=0.01)
    assert dict(step.causes[1].kinds()) == {"time_vjp": 1, "track_hlo_fusions": 1,
                                            "track_flops": 1}


def test_program_notes_for_every_kind_on_a_combination(root):
    history = history_of(root)
    notes = {(s.machine, s.kind, s.params[0], s.before_version): n.verdict
             for s, n in program_notes(history).items()}
    assert notes[("vm", "track_device_time", "'squared_differences_3d'", "0.6.2")] == SAME
    assert notes[("vm", "track_flops", "'roll_cubic'", "0.6.2")] == CHANGED
    assert notes[("vm", "track_hlo_fusions", "'roll_cubic'", "0.6.2")] == CHANGED
    assert notes[("reference", "time_vjp", "'squared_differences_3d'", "0.6.2")] == UNKNOWN
    # peakmem_reference names no combination: no note, cause "no program"
    assert not any(kind == "peakmem_reference" for _, kind, _, _ in notes)
    step = by_name(history)[("vm", "0.7.2", "0.8.3")]
    assert [g.cause for g in step.causes] == [UNKNOWN, NO_PROGRAM]
    assert step.causes[1].rows[0].label == "roll_cubic N=100"


def test_caught_by_counts_every_kind_with_steps(root):
    step = by_name(history_of(root))[("vm", "0.7.2", "0.8.3")]
    counts = {c.kind: (c.threshold, c.compared, c.regressions, c.improvements)
              for c in step.caught_by}
    assert counts == {"time_vjp": ("1.1x", 8, 1, 1),
                      "track_device_time": ("1.2x", 8, 0, 0),
                      "track_compile_time": ("1.2x", 8, 0, 0),
                      "peakmem_reference": ("1.1x", 4, 1, 0),
                      "track_flops": ("any change", 8, 0, 0),
                      "track_hlo_fusions": ("any change", 8, 0, 0)}
    assert [c.kind for c in step.caught_by][:3] == ["time_vjp", "track_device_time",
                                                   "track_compile_time"]  # the rules' order
    assert step.caught_text().startswith("time_vjp 1, peakmem_reference 1, track_device_time 0")


def test_severity_of_values_that_can_be_negative():
    def step(before, after):
        return Step("vm", "b.peakmem_vjp_net", (), "1", "2", before, after, Verdict.REGRESSION)

    assert severity(step(2.0, 3.0)) == 1.5
    assert severity(step(-1.0, 1.0)) == 3.0
    assert severity(step(0.0, 1.0)) == float("inf")


# --- bisect verdicts ---------------------------------------------------------------------------


def test_bisect_verdict_shown_on_the_matching_row(root):
    write_verdict(default_bisect_dir(root), "a.json", verdict())
    history = history_of(root)  # the default bisect dir: <results>/../bisect
    step = by_name(history)[("vm", "0.6.2", "0.7.2")]
    same, changed = (g.rows[0] for g in step.causes)
    assert same.bisect is not None and same.bisect.first_slower == "0.7.0"
    assert same.bisect.describe() == ("first slower: 0.7.0 (bisected on time_vjp, last good "
                                      "0.6.2, 1.79x)")
    assert changed.bisect is None
    # the reference machine's step of the same combination is another machine: not bisected
    ref = by_name(history)[("reference", "0.6.2", "0.7.2")]
    assert ref.rows[0].bisect is None
    table = terminal_table(history)
    assert "first slower: 0.7.0 (bisected on time_vjp" in table
    assert "bisect verdicts: 1 read from" in table
    assert ('next: python -m vjplab bisect "time_vjp(\'roll_cubic\', \'jax_vjp\', 100, 1, '
            '\'float32\')" --from 0.6.2 --to 0.7.2') in table


@pytest.mark.parametrize("changes,matches", [
    ({}, True),
    ({"from": "0.6.2", "to": "0.8.3"}, True),        # a wider range, 0.7.0 inside the step
    ({"from": "0.6.2", "to": "0.8.3", "first_slower": "0.8.0"}, False),  # the next step's
    ({"first_slower": None}, True),                  # same range, nothing slower found
    ({"from": "0.6.2", "to": "0.8.3", "first_slower": None}, False),
    ({"machine": "reference"}, False),
    ({"benchmark": "track_device_time"}, True),      # another kind of the same combination
    ({"params": {"family": "squared_differences_3d", "strategy": "exact",
                 "dimension": 1000000, "locality": 1, "dtype": "float64"}}, False),
    ({"params": {"family": "squared_differences_3d", "strategy": "exact",  # no dtype
                 "dimension": 1000000, "locality": 1}}, False),
    ({"params": {"family": "squared_differences_3d", "strategy": "exact",
                 "dimension": 1e6, "locality": 1.0, "dtype": "float32"}}, True),
])
def test_bisect_matching(root, tmp_path, changes, matches):
    write_verdict(tmp_path / "b", "v.json", verdict(**changes))
    step = by_name(history_of(root, tmp_path / "b"))[("vm", "0.6.2", "0.7.2")]
    row = step.causes[0].rows[0]
    assert row.label == SD3D
    assert (row.bisect is not None) == matches
    if matches and changes.get("first_slower", "x") is None:
        assert row.bisect.describe() == ("bisected on time_vjp 0.6.2 -> 0.7.2: no release "
                                         "there was slower")


def test_bisect_prefers_the_rows_kind_then_the_newest(tmp_path, root):
    folder = tmp_path / "b"
    write_verdict(folder, "1.json", verdict(benchmark="track_device_time", first_slower="0.6.5",
                                            created="2026-11-26T20:00:00+00:00"))
    write_verdict(folder, "2.json", verdict(first_slower="0.7.0",
                                            created="2026-11-26T10:00:00+00:00"))
    write_verdict(folder, "3.json", verdict(first_slower="0.7.1",
                                            created="2026-11-26T11:00:00+00:00"))
    row = by_name(history_of(root, folder))[("vm", "0.6.2", "0.7.2")].causes[0].rows[0]
    assert row.bisect.first_slower == "0.7.1"


def test_corrupt_or_missing_verdicts_give_messages(root, tmp_path):
    assert load_bisects(tmp_path / "nowhere").messages == []
    assert "none in" in load_bisects(tmp_path / "nowhere").summary()
    folder = tmp_path / "b"
    write_verdict(folder, "good.json", verdict())
    write_verdict(folder, "broken.json", "{not json")
    write_verdict(folder, "list.json", "[1, 2]")
    bad = verdict()
    del bad["first_slower"]
    write_verdict(folder, "nokey.json", bad)
    write_verdict(folder, "ratio.json", verdict(ratio="fast"))
    write_verdict(folder, "params.json", verdict(params=[]))
    loaded = load_bisects(folder)
    assert [v.path.name for v in loaded.verdicts] == ["good.json"]
    why = {Path(m.split(":", 1)[0]).name: m for m in loaded.messages}
    assert set(why) == {"broken.json", "list.json", "nokey.json", "ratio.json", "params.json"}
    assert "missing first_slower" in why["nokey.json"] and "skipped" in why["ratio.json"]
    # the history still reads the good one, and says what it skipped
    history = history_of(root, folder)
    assert by_name(history)[("vm", "0.6.2", "0.7.2")].causes[0].rows[0].bisect is not None
    assert "note: " + why["broken.json"] in terminal_table(history)
    (folder / "verdicts").rename(folder / "elsewhere")
    (folder / "verdicts").write_text("a file")
    assert "is not a directory" in load_bisects(folder).messages[0]


def test_params_match_needs_every_name():
    names = ["family", "dimension"]
    assert params_match({"family": "a", "dimension": 100}, names, ("'a'", "100"))
    assert not params_match({"family": "a", "dimension": 100}, names, ("'a'", "1000"))
    assert not params_match({"family": "a"}, names, ("'a'", "100"))
    assert not params_match({"family": "a", "dimension": 100, "x": 1}, names, ("'a'", "100"))


# --- the forms and the CLI --------------------------------------------------------------------


def test_html_page_has_the_groups_first(root, tmp_path):
    write_verdict(tmp_path / "b", "v.json", verdict())
    page = write_html(history_of(root, tmp_path / "b"), tmp_path / "html").read_text()
    assert page.index('<section id="regressions">') < page.index('id="summary"') \
        < page.index('id="steps"') < page.index('id="series"')
    assert ('<section class="jax-step" id="step-vm-0.6.2-0.7.2" data-machine="vm" '
            'data-before="0.6.2" data-after="0.7.2">') in page
    section = page[page.index('id="step-vm-0.6.2-0.7.2"'):]
    assert section.index('data-cause="same program"') < section.index(
        'data-cause="program changed"')
    assert "first slower: 0.7.0 (bisected on time_vjp" in section
    assert "vjplab-history/hlo-diffs/vm-roll_cubic-jax_vjp-100-1-float32-0.6.2-0.7.2.diff.txt" \
        in section
    assert (tmp_path / "html" / "vjplab-history" / "hlo-diffs"
            / "vm-roll_cubic-jax_vjp-100-1-float32-0.6.2-0.7.2.diff.txt").is_file()
    assert '<tr data-kind="track_compile_time"><td>track_compile_time</td><td>1.2x</td>' \
           '<td>8</td><td>0</td>' in section
    assert "python -m vjplab bisect &quot;time_vjp(&#x27;roll_cubic&#x27;" in section


def test_markdown_and_terminal_group_the_same_way(root):
    history = history_of(root)
    md = markdown(history)
    assert "## Regressions by JAX step" in md
    assert "### vm 0.6.2 -> 0.7.2: 5 regressions in 2 combinations, worst 1.80x" in md
    assert "| track_compile_time | 1.2x | 8 | 0 | 0 |" in md
    assert f"- {SD3D}: time_vjp 1.80x, track_device_time 1.70x; sha256 " in md
    assert md.index("**same program") < md.index("**program changed")
    lines = terminal_table(history).splitlines()
    start = lines.index(next(line for line in lines if line.startswith("vm 0.6.2 -> 0.7.2")))
    assert lines[start] == ("vm 0.6.2 -> 0.7.2: 5 regressions in 2 combinations, worst 1.80x; "
                            "caught by time_vjp 2, track_device_time 1, track_flops 1, "
                            "track_hlo_fusions 1, track_compile_time 0, peakmem_reference 0")
    assert lines[start + 1] == ("  same program: 1 combination, worst 1.80x (time_vjp 1, "
                                "track_device_time 1)")
    assert lines[start + 2].startswith(f"    {SD3D}: time_vjp 1.80x, track_device_time 1.70x")
    assert lines[start + 5] == (f"    {JVP}: time_vjp 1.30x, track_hlo_fusions 1 -> 2, "
                                "track_flops 100 -> 120; fusion 1 -> 2, instructions 6 -> 7")


def test_terminal_lists_a_few_combinations_per_cause(tmp_path):
    """Eight combinations regress the same way: the terminal shows ROWS and says how many
    more; Markdown lists all."""
    root = tmp_path / "results"
    write_benchmarks(root)
    n = 8
    params = [["'roll_cubic'"], ["'jax_vjp'"], [str(100 * 10**i) for i in range(n)], ["1"],
              ["'float32'"]]
    for jax, factor in (("0.6.2", 1.0), ("0.7.2", 2.0)):
        write_file(root, {TIME: entry([factor * (i + 1) * 1e-3 for i in range(n)],
                                      params=params, rel_ci=0.01)}, jax=jax)
    history = build_history(load_results(root))
    table = terminal_table(history)
    assert f"    ... and {n - ROWS} more combinations" in table
    assert markdown(history).count("- roll_cubic jax_vjp N=") == n
    # worst first, then by label: every ratio is 2.00x
    assert "fingerprints missing: 8 combinations, worst 2.00x (time_vjp 8)" in table


def test_fail_on_regression_exit_codes(root, tmp_path, capsys, monkeypatch):
    """The exit status of ``--fail-on-regression`` (the page itself: the test above; here its
    writing is replaced, which also keeps a checkout's own .asv/html untouched)."""
    import vjplab.history.report as report

    written = []
    monkeypatch.setattr(report, "write_html", lambda history, html_dir: written.append(
        html_dir) or Path(html_dir) / report.PAGE_NAME)
    html = str(tmp_path / "html")
    write_verdict(tmp_path / "b", "broken.json", "{")
    args = ["history", "--results-dir", str(root), "--html-dir", html, "--bisect-dir",
            str(tmp_path / "b")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Regressions by JAX step" in out and "broken.json: not a bisect verdict" in out
    assert main(args + ["--fail-on-regression"]) == 1
    assert "8 regression(s)" in capsys.readouterr().err
    # no regression anywhere: 0
    quiet = tmp_path / "quiet"
    for jax in ("0.6.2", "0.7.2"):
        write_file(quiet, {TIME: entry([1e-3, 1e-3], rel_ci=0.01)}, jax=jax)
    assert main(["history", "--results-dir", str(quiet), "--fail-on-regression"]) == 0
    assert "no regression (2 steps compared, 0 improvements)" in capsys.readouterr().out
    # only the reference machine regresses: still a regression for CI
    ref = tmp_path / "ref"
    for jax, factor in (("0.6.2", 1.0), ("0.7.2", 1.5)):
        write_file(ref, {TIME: entry([1e-3, 1e-3], rel_ci=0.01)}, jax=jax)
        write_file(ref, {TIME: entry([1e-3 * factor, 1e-3], rel_ci=0.01)}, jax=jax,
                   machine="reference")
    assert main(["history", "--results-dir", str(ref), "--fail-on-regression"]) == 1
    assert written[:2] == [Path(html), Path(html)]


def test_html_section_without_regressions(tmp_path):
    root = tmp_path / "results"
    for jax in ("0.6.2", "0.7.2"):
        write_file(root, {TIME: entry([1e-3, 1e-3], rel_ci=0.01)}, jax=jax)
    history = build_history(load_results(root))
    section = html_section(history.jax_steps(), history.results, history.rules,
                           history.bisects.summary(), lambda row: None)
    assert '<p class="none">No regression in any JAX step.</p>' in section
    assert 'class="legend"' not in section and 'class="jax-step"' not in section
    assert "<td>no regression (2 steps compared, 0 improvements)</td>" in section
