"""The reference machine's results that ship with vjplab, read beside the user's own.

Every reference here is fabricated in a temporary directory laid out like results/reference/
(tests/asv_files.py writes asv's files); conftest.py turns the checkout's own reference off.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.asv_files import FOUR, META, TIME, entry, snapshot, write_file
from vjplab.cli import main
from vjplab.dashboard.publish import write_history_page
from vjplab.dashboard.reference_section import (Comparison, Pair, compare_with_reference,
                                                nearest_release, section_html, summary_line)
from vjplab.dashboard.report_page import write_report
from vjplab.dashboard.run_data import load_run
from vjplab.history.report import build_history, summary_lines, terminal_table, write_html
from vjplab.history.results import load_results
from vjplab.measure.fingerprints import Sidecar
from vjplab.reference import (DIR_ENV, REFERENCE_MACHINE, YOURS, find_reference,
                              load_reference, with_reference)
from vjplab.reference_import import import_reference
from vjplab.run_summary import summary

RELEASES = ["0.4.31", "0.9.2", "0.10.2"]
REF_COMMIT = "feedbeef" * 5
USER_COMMIT = "aaaa1111" * 5
SUMMARY = "2-core AMD EPYC VM"
LABEL = f"reference machine: {REFERENCE_MACHINE}, {SUMMARY} \N{EM DASH} not your machine"


def make_reference(root: Path, releases=RELEASES, times=None, version: str = "v1" * 32,
                   note: bool = True) -> Path:
    """A reference directory: results of ``releases`` (jax_vjp and exact of roll_cubic at
    N = 100, k = 1; by default 10/1 us in the oldest release and 20/1 us after it, a latency
    regression of jax_vjp) and MACHINE.md."""
    results = root / "results"
    for index, jax in enumerate(releases):
        values = (times or {}).get(jax, [1e-5 if index == 0 else 2e-5, 1e-6])
        write_file(results, {TIME: entry(values, rel_ci=0.01, version=version)},
                   machine=REFERENCE_MACHINE, commit=REF_COMMIT, jax=jax)
    if note:
        (root / "MACHINE.md").write_text(f"# Reference machine\n\n**Summary:** {SUMMARY}\n")
    return root


def make_user(root: Path, jax: str = "0.10.2", values=(1.5e-5, 2e-6), machine: str = "vm",
              version: str = "v1" * 32) -> Path:
    """The user's results of ONE release (what the README's first command leaves)."""
    write_file(root, {TIME: entry(list(values), rel_ci=0.01, version=version)},
               machine=machine, commit=USER_COMMIT, jax=jax)
    return root


@pytest.fixture
def dirs(tmp_path):
    return make_user(tmp_path / "user"), make_reference(tmp_path / "reference")


# --- loading -------------------------------------------------------------------------------


def test_history_reads_both_and_labels_the_reference(dirs, tmp_path):
    user, reference = dirs
    before = snapshot(reference), snapshot(user)
    results = with_reference(load_results(user), reference)
    assert {m.machine for m in results.measurements} == {"vm", REFERENCE_MACHINE}
    assert results.reference_machines == {REFERENCE_MACHINE}
    assert results.reference_label == LABEL
    assert results.root_of(REFERENCE_MACHINE) == reference / "results"
    assert results.root_of("vm") == user
    history = build_history(results)
    assert history.versions == RELEASES
    # the user's single release makes no step; the reference's regression is its own
    (regression,) = history.regressions
    assert regression.machine == REFERENCE_MACHINE and "jax_vjp" in regression.params[1]
    text = terminal_table(history)
    assert LABEL in text and f"{REFERENCE_MACHINE} (reference machine)" in text
    assert "series lack some versions" not in text  # the user's one release is all it has
    page = write_html(history, tmp_path / "html").read_text()
    assert '<p class="reference"><b>' + LABEL.replace("\N{EM DASH}", "\N{EM DASH}") in page
    # one panel per parameter set: the user's point beside the reference's series
    assert page.count("vm (yours: filled diamonds) beside the reference machine "
                      f"{REFERENCE_MACHINE}") == 1
    assert len(list((tmp_path / "html" / "vjplab-history").glob("*.png"))) == 1
    assert (snapshot(reference), snapshot(user)) == before, "nothing is written there"


def test_reference_only_panels_when_the_user_measured_other_sets(tmp_path):
    user = tmp_path / "user"
    write_file(user, {TIME: entry([1e-5], params=[["'banded_conv'"], ["'exact'"], ["100"],
                                                   ["1"]], rel_ci=0.01)}, jax="0.10.2")
    results = with_reference(load_results(user), make_reference(tmp_path / "reference"))
    page = write_html(build_history(results), tmp_path / "html").read_text()
    assert f"reference machine {REFERENCE_MACHINE} (not your machine)" in page
    assert "beside the reference machine" not in page  # nothing of the user's to overlay


def test_no_reference_and_missing_reference(dirs, tmp_path, monkeypatch, capsys):
    user, reference = dirs
    assert with_reference(load_results(user), False).reference_machines == frozenset()
    # the default place is absent (a user deleted it): one note, the rest works
    monkeypatch.setenv(DIR_ENV, str(tmp_path / "deleted"))
    results = with_reference(load_results(user))
    assert not results.reference_machines
    notes = [m for m in results.messages if "no reference machine results" in m]
    assert len(notes) == 1 and str(tmp_path / "deleted") in notes[0]
    assert main(["history", "--results-dir", str(user)]) == 0
    out = capsys.readouterr().out
    assert out.count("no reference machine results at") == 1
    # --no-reference: left out silently
    assert main(["history", "--results-dir", str(user), "--no-reference"]) == 0
    assert "reference machine" not in capsys.readouterr().out
    # an explicit directory that is not a reference is an error
    assert main(["history", "--results-dir", str(user), "--reference-dir",
                 str(tmp_path / "nope")]) == 2
    assert "holds no results/ directory" in capsys.readouterr().err
    # the default place is the checkout's results/reference (found like asv.conf.json)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "asv.conf.json").write_text("{}")
    make_reference(checkout / "results" / "reference")
    monkeypatch.delenv(DIR_ENV)
    monkeypatch.chdir(checkout)
    reference_found, why = find_reference()
    assert reference_found.root == checkout / "results" / "reference" and why == ""


def test_history_cli_default_reference_and_fail_on_regression(dirs, tmp_path, monkeypatch,
                                                              capsys):
    user, reference = dirs
    monkeypatch.setenv(DIR_ENV, str(reference))
    html = tmp_path / "html"
    # the reference's regression is shown, never counted against the user's CI
    assert main(["history", "--results-dir", str(user), "--html-dir", str(html),
                 "--fail-on-regression"]) == 0
    out = capsys.readouterr().out
    assert LABEL in out and "0.4.31 -> 0.9.2" in out
    assert (html / "vjplab-history.html").is_file()
    # a regression of the user's own (two releases of theirs) does fail
    make_user(user, jax="0.9.2", values=(1e-6, 2e-6))
    assert main(["history", "--results-dir", str(user), "--fail-on-regression"]) == 1
    assert main(["history", "--results-dir", str(user), "--fail-on-regression",
                 "--no-reference"]) == 1


def test_a_user_machine_named_like_the_reference_is_relabelled(tmp_path):
    user = make_user(tmp_path / "user", machine=REFERENCE_MACHINE)
    results = with_reference(load_results(user), make_reference(tmp_path / "reference"))
    yours = REFERENCE_MACHINE + YOURS
    assert {m.machine for m in results.measurements} == {REFERENCE_MACHINE, yours}
    assert {f.machine for f in results.files} == {REFERENCE_MACHINE, yours}
    assert not results.is_reference(yours) and results.root_of(yours) == user
    assert any(f"shown as {yours!r}" in m for m in results.messages)
    # separate series: the user's 0.10.2 value never joins the reference's line
    history = build_history(results)
    assert all(s.machine == REFERENCE_MACHINE for s in history.steps)
    assert {key[0] for key in history.series} == {REFERENCE_MACHINE, yours}


def test_reading_the_reference_directory_itself_does_not_double_it(tmp_path):
    reference = make_reference(tmp_path / "reference")
    results = with_reference(load_results(reference / "results"), reference)
    assert len(results.files) == len(RELEASES)
    assert results.is_reference(REFERENCE_MACHINE)


def test_reference_steps_read_the_references_fingerprints(dirs):
    user, reference = dirs
    for jax, sha in (("0.4.31", "a" * 64), ("0.9.2", "b" * 64)):
        results_file = f"{REFERENCE_MACHINE}/{REF_COMMIT[:8]}-virtualenv-py3.11-jax{jax}-jaxlib{jax}.json"
        Sidecar.of_results_file(reference / "results", results_file).write(
            {("roll_cubic", "jax_vjp", 100, 1, "float32"): {"sha256": sha,
                                                            "counts": {"fusion": 1}}},
            {sha: f"HloModule m{jax}\n"}, {"jax": jax, "jaxlib": jax})
    history = build_history(with_reference(load_results(user), reference))
    table = terminal_table(history)
    row = next(line for line in table.splitlines() if line.startswith("regression"))
    assert "program changed: same counts" in row, row


def test_summary_line_of_the_history_names_the_reference(dirs):
    user, reference = dirs
    lines = summary_lines(build_history(with_reference(load_results(user), reference)))
    assert lines[1] == LABEL


def test_summary_falls_back_to_machine_json(tmp_path):
    reference = make_reference(tmp_path / "reference", note=False)
    machine_json = reference / "results" / REFERENCE_MACHINE / "machine.json"
    machine_json.write_text(json.dumps({"machine": REFERENCE_MACHINE, "cpu": "AMD EPYC 7B13",
                                        "num_cpu": "2", "os": "Linux 6.1"}))
    found, _ = find_reference(reference)
    assert found.summary() == "2-core AMD EPYC 7B13, Linux 6.1"


# --- the history page after `vjplab bench` ---------------------------------------------------


def test_publish_writes_a_history_page_with_content_after_one_release(dirs, tmp_path,
                                                                      monkeypatch):
    user, reference = dirs
    monkeypatch.setenv(DIR_ENV, str(reference))
    page = write_history_page(user, tmp_path / "html").read_text()
    assert LABEL in page and "no series with two or more JAX versions yet" not in page
    assert "<img" in page


# --- the report section and bench's closing line --------------------------------------------


def report_text(user: Path, reference, tmp_path: Path) -> str:
    return write_report(user, tmp_path / "html", reference_dir=reference).read_text()


def test_report_sets_the_run_beside_the_same_release(dirs, tmp_path):
    user, reference = dirs
    comparison = compare_with_reference(load_run(user), reference)
    assert isinstance(comparison, Comparison) and comparison.same_release
    assert {p.params[1]: (p.yours, p.reference) for p in comparison.pairs} == {
        "'jax_vjp'": (1.5e-5, 2e-5), "'exact'": (2e-6, 1e-6)}
    assert comparison.headline() == (TIME, pytest.approx((0.75 + 2.0) / 2), 2)
    page = report_text(user, reference, tmp_path)
    assert "Your run beside the reference machine" in page and f"<b>{LABEL}</b>" in page
    assert "Both ran jax 0.10.2." in page
    assert "Your latency is <b>1.38x</b> the reference machine's (median over 2 parameter " \
           "sets" in page
    assert "0.75x" in page and "2.00x" in page
    line = summary_line(load_run(user), reference)
    assert line == (f"beside the reference machine {REFERENCE_MACHINE} (jax 0.10.2): your "
                    f"latency is 1.38x the reference's (median over 2 parameter sets; above 1: "
                    f"slower)")
    # equal values are a ratio of 1, zeros included (an op count of 0 on both sides)
    assert Pair(TIME, (), 0.0, 0.0, True).ratio == 1.0
    assert Pair(TIME, (), 0.0, 1.0, True).ratio is None


def test_report_names_the_releases_and_uses_the_nearest_when_the_release_is_missing(tmp_path):
    user = make_user(tmp_path / "user", jax="0.10.3")
    reference = make_reference(tmp_path / "reference")
    comparison = compare_with_reference(load_run(user), reference)
    assert not comparison.same_release and comparison.reference_jax == "0.10.2"
    page = section_html(comparison)
    assert "The reference machine has no jax 0.10.3" in page
    assert "(it has 0.4.31, 0.9.2, 0.10.2)" in page and "<b>jax 0.10.2</b>" in page
    assert ("Your latency (jax 0.10.3) is <b>1.38x</b> the reference machine's (jax 0.10.2)"
            in page)
    assert "no jax 0.10.3 there; its nearest, jax 0.10.2" in summary_line(load_run(user),
                                                                          reference)
    assert nearest_release("0.4.20", RELEASES) == "0.4.31"
    assert nearest_release("0.9.9", RELEASES) == "0.9.2"
    with pytest.raises(ValueError, match="no releases"):
        nearest_release("0.9.9", [])


def test_report_says_when_benchmark_versions_differ(tmp_path):
    user = make_user(tmp_path / "user", version="v2" * 32)
    reference = make_reference(tmp_path / "reference")
    comparison = compare_with_reference(load_run(user), reference)
    assert len(comparison.pairs) == 2 and not any(p.same_version for p in comparison.pairs)
    assert comparison.headline() is None
    page = section_html(comparison)
    assert "No parameter set can be compared: the benchmarks' versions differ" in page
    assert "benchmark version differs: not compared" in page
    assert "2 of another benchmark version (its code changed): not compared" in page
    assert summary_line(load_run(user), reference).endswith(
        "2 parameter sets in common, none comparable: their benchmark versions differ (the "
        "benchmarks' code changed since the reference was recorded)")


def test_parameters_match_by_name_not_position(tmp_path):
    """A fifth parameter (``dtype``) in both: matched; in the reference only: never paired
    with the user's four, and the section says the names differ."""
    five = FOUR + ["dtype"]
    user = tmp_path / "user"
    reference = tmp_path / "reference"
    (reference / "results").mkdir(parents=True)
    (reference / "results" / "benchmarks.json").write_text(json.dumps(
        {TIME: {**META[TIME], "name": TIME, "version": "v1" * 32, "param_names": five},
         "version": 2}))
    params5 = [["'roll_cubic'"], ["'jax_vjp'", "'exact'"], ["100"], ["1"], ["'float32'"]]
    write_file(reference / "results", {TIME: entry([2e-5, 1e-6], params=params5, rel_ci=0.01)},
               machine=REFERENCE_MACHINE, jax="0.10.2")
    make_user(user)
    comparison = compare_with_reference(load_run(user), reference)
    assert comparison.pairs == [] and comparison.renamed == [TIME]
    assert summary_line(load_run(user), reference).endswith(
        "no parameter set in common with this run")
    assert any("parameter names differ" in m and "'dtype'" in m
               for m in with_reference(load_results(user), reference).messages)
    assert "Parameter names differ for TimeVJP.time_vjp" in section_html(comparison)
    (user / "benchmarks.json").write_text((reference / "results" / "benchmarks.json").read_text())
    write_file(user, {TIME: entry([1e-5, 1e-6], params=params5, rel_ci=0.01)},
               jax="0.10.2", commit="bbbb2222" * 5)
    comparison = compare_with_reference(load_run(user), reference)
    assert {p.params[1]: p.ratio for p in comparison.pairs} == {"'exact'": 1.0,
                                                                "'jax_vjp'": 0.5}


def test_report_without_a_reference(dirs, tmp_path, monkeypatch):
    user, _ = dirs
    page = report_text(user, False, tmp_path)
    assert "beside the reference machine" not in page
    monkeypatch.setenv(DIR_ENV, str(tmp_path / "deleted"))
    page = report_text(user, None, tmp_path)
    assert "Your run beside the reference machine" in page
    assert "no reference machine results at" in page
    assert summary_line(load_run(user)) is None


def test_bench_summary_has_one_reference_line(dirs, monkeypatch):
    user, reference = dirs
    monkeypatch.setenv(DIR_ENV, str(reference))
    lines = summary(user, USER_COMMIT, None)
    assert sum("beside the reference machine" in line for line in lines) == 1
    monkeypatch.setenv(DIR_ENV, "off")
    assert not any("reference" in line for line in summary(user, USER_COMMIT, None))


def test_report_cli_reference_options(dirs, tmp_path, capsys):
    user, reference = dirs
    html = tmp_path / "html"
    assert main(["report", "--results-dir", str(user), "--html-dir", str(html),
                 "--reference-dir", str(reference)]) == 0
    assert "Your run beside the reference machine" in (html / "vjplab-report.html").read_text()
    assert main(["report", "--results-dir", str(user), "--html-dir", str(html),
                 "--no-reference"]) == 0
    assert "beside the reference machine" not in (html / "vjplab-report.html").read_text()


# --- vjplab reference import ----------------------------------------------------------------


def recorded_output(tmp_path: Path) -> Path:
    """What `vjplab record --machine REFERENCE_MACHINE --output-dir DIR` leaves (two machines'
    results, one machine's fingerprints)."""
    output = tmp_path / "recorded"
    make_reference(output, note=False)
    make_user(output / "results", machine="other")
    Sidecar(output / "fingerprints" / REFERENCE_MACHINE / "feedbeef-env").write(
        {("roll_cubic", "jax_vjp", 100, 1, "float32"): {"sha256": "c" * 64, "counts": {}}},
        {"c" * 64: "HloModule m\n"}, {"jax": "0.10.2"})
    return output


def test_import_copies_one_machine_and_writes_the_note(tmp_path, capsys):
    output, target = recorded_output(tmp_path), tmp_path / "repo" / "results" / "reference"
    assert main(["reference", "import", str(output), "--to", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"imported 3 results file(s) and 2 fingerprint file(s) of machine " \
           f"{REFERENCE_MACHINE!r}" in out
    assert sorted(p.name for p in (target / "results").iterdir()) == [
        "benchmarks.json", REFERENCE_MACHINE]
    assert (target / "fingerprints" / REFERENCE_MACHINE / "feedbeef-env" / "index.json").is_file()
    note = (target / "MACHINE.md").read_text()
    assert note.startswith(f"# Reference machine: {REFERENCE_MACHINE}")
    assert "Summary:" in note and "TO COMPLETE" in note
    for jax in RELEASES:
        assert f"| {jax} | {jax} | feedbeef |" in note
    # the imported directory is a reference the history reads
    results = with_reference(load_results(make_user(tmp_path / "user")), target)
    assert results.is_reference(REFERENCE_MACHINE)
    assert len(load_reference(find_reference(target)[0]).files) == 3


def test_import_refuses_to_overwrite_anything(tmp_path, capsys):
    output, target = recorded_output(tmp_path), tmp_path / "reference"
    import_reference(output, REFERENCE_MACHINE, target)
    (target / "MACHINE.md").write_text("completed by hand\n")
    before = snapshot(target)
    assert main(["reference", "import", str(output), "--to", str(target)]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite 8 existing file(s)" in err and "nothing was copied" in err
    assert snapshot(target) == before
    # only MACHINE.md in the way: still refused, nothing copied
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "MACHINE.md").write_text("mine\n")
    with pytest.raises(ValueError, match="refusing to overwrite 1 existing file"):
        import_reference(output, REFERENCE_MACHINE, fresh)
    assert [p.name for p in fresh.iterdir()] == ["MACHINE.md"]


def test_import_names_the_machines_it_has(tmp_path, capsys):
    output = recorded_output(tmp_path)
    assert main(["reference", "import", str(output), "--machine", "nope", "--to",
                 str(tmp_path / "t")]) == 2
    assert f"allowed: other, {REFERENCE_MACHINE}" in capsys.readouterr().err
    assert main(["reference", "import", str(tmp_path), "--to", str(tmp_path / "t")]) == 2
    assert "holds no results/benchmarks.json" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()
