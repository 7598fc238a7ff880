"""vjplab compare: two result sets (commits or results directories) pair by pair."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.asv_files import COMPILE, DEVICE, FLOPS, PEAKMEM, REFERENCE, TIME, entry, snapshot, write_file
from vjplab.cli import main
from vjplab.history.compare import NULL, NULL_BOTH, ONLY_A, VERSION_DIFFERS, run_compare
from vjplab.history.compare_report import terminal_text

C1, C2 = "1111aaaa" * 5, "2222bbbb" * 5
REF_PARAMS = [["'roll_cubic'"], ["100"]]


def full_file(root: Path, scale: dict[str, float] | None = None, **kwargs) -> Path:
    """Every kind, two combinations; ``scale`` multiplies one benchmark's values."""
    scale = scale or {}

    def v(name, values):
        return [x * scale.get(name, 1.0) for x in values]

    return write_file(root, {
        TIME: entry(v(TIME, [2e-5, 1e-5]), rel_ci=0.01),
        DEVICE: entry(v(DEVICE, [4e-6, 1e-6]), rel_ci=0.01),
        COMPILE: entry(v(COMPILE, [0.1, 0.05]), rel_ci=0.01),
        FLOPS: entry(v(FLOPS, [3600.0, 1300.0])),
        PEAKMEM: entry(v(PEAKMEM, [180e6, 170e6])),
        REFERENCE: entry(v(REFERENCE, [145e6]), params=REF_PARAMS),
    }, **kwargs)


def kind_table(out: str) -> dict[str, list[str]]:
    """The terminal's per-kind table: kind -> its cells (columns are 2+ spaces apart)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("kind "))
    assert re.split(r"\s{2,}", lines[start]) == ["kind", "threshold", "pairs", "flagged",
                                                 "regressions", "improvements", "flag rate"]
    table = {}
    for line in lines[start + 2:]:
        cells = re.split(r"\s{2,}", line.strip())
        table[cells[0]] = cells[1:]
        if cells[0] == "all":
            return table
    raise AssertionError("no 'all' row")


def test_aa_identical_files_flag_nothing(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    full_file(a)
    shutil.copytree(a, b)
    comparison = run_compare(str(a), str(b), None)
    assert [(s.kind, s.pairs, s.flagged) for s in comparison.kinds.values()] == [
        ("time_vjp", 2, 0), ("track_device_time", 2, 0), ("track_compile_time", 2, 0),
        ("peakmem_vjp", 2, 0), ("peakmem_reference", 1, 0), ("peakmem_vjp_net", 2, 0),
        ("track_flops", 2, 0)]
    assert comparison.flagged == []
    assert main(["compare", str(a), str(b), "--fail-on-regression"]) == 0
    out = capsys.readouterr().out
    table = kind_table(out)
    assert table["time_vjp"] == ["1.1x", "2", "0", "0", "0", "0.0%"]
    assert table["all"] == ["13", "0", "0", "0", "0.0%"]
    assert "flagged pairs" not in out


def test_per_kind_table_flag_rates_and_outputs(tmp_path, capsys):
    """B: device time 1.3x (flagged), compile time 1.15x (not: 1.2), time 1.2x (flagged),
    flops +1 (flagged: any change)."""
    a, b = tmp_path / "a", tmp_path / "b"
    full_file(a, commit=C1)
    full_file(b, commit=C2, scale={DEVICE: 1.3, COMPILE: 1.15, TIME: 1.2, FLOPS: 1.001})
    before = snapshot(a) | snapshot(b)
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    code = main(["compare", str(a), str(b), "--markdown", str(md), "--json", str(js),
                 "--fail-on-regression"])
    assert code == 1
    out = capsys.readouterr().out
    rows = kind_table(out)
    assert rows["track_device_time"] == ["1.2x", "2", "2", "2", "0", "100.0%"]
    assert rows["track_compile_time"] == ["1.2x", "2", "0", "0", "0", "0.0%"]
    assert rows["time_vjp"] == ["1.1x", "2", "2", "2", "0", "100.0%"]
    assert rows["track_flops"] == ["any change", "2", "2", "2", "0", "100.0%"]
    assert rows["peakmem_vjp_net"] == ["1.1x and > 8 MiB", "2", "0", "0", "0", "0.0%"]
    assert rows["all"] == ["13", "6", "6", "0", "46.2%"]
    # worst first: device time 1.30x before time 1.20x before flops 1.00x
    flagged = out[out.index("flagged pairs"):out.index("markdown: ")].splitlines()[3:]
    assert [line.split()[1] for line in flagged] == ["1.30x", "1.30x", "1.20x", "1.20x",
                                                     "1.00x", "1.00x"]
    assert f"A: vm, commit {C1[:8]}, jax 0.10.2 (jaxlib 0.10.2)" in out
    assert f"B: vm, commit {C2[:8]}, jax 0.10.2" in out
    data = json.loads(js.read_text())
    device = next(k for k in data["kinds"] if k["kind"] == "track_device_time")
    assert (device["threshold"], device["pairs"], device["flagged"], device["flag_rate"]) == (
        1.2, 2, 2, 100.0)
    assert data["a"]["sources"][0]["commit"] == C1 and data["regressions"] == 6
    assert data["flagged"][0]["kind"] == "track_device_time"
    assert "| track_compile_time | 1.2x | 2 | 0 | 0 | 0 | 0.0% |" in md.read_text()
    # a threshold override reaches compare too
    assert main(["compare", str(a), str(b), "--threshold", "1.5"]) == 0
    assert "6 regression" not in capsys.readouterr().err
    assert snapshot(a) | snapshot(b) == before, "compare must never write into results"


def test_commits_are_looked_up_in_the_results_dir(tmp_path, capsys):
    root = tmp_path / "results"
    full_file(root, commit=C1)
    full_file(root, commit=C2, scale={DEVICE: 2.0})
    comparison = run_compare("1111", "2222bb", root)
    assert comparison.a.origin == f"commit 1111aaaa in {root}"
    assert comparison.kinds["track_device_time"].regressions == 2
    assert main(["compare", C1, C2[:10], "--results-dir", str(root)]) == 0
    assert kind_table(capsys.readouterr().out)["track_device_time"][:3] == ["1.2x", "2", "2"]


@pytest.mark.parametrize("args,message", [
    (["deadbeef", "1111aaaa"], "side A: commit deadbeef not found in {root}; recorded commits "
                               "(newest first): 1111aaaa"),
    (["1111aaaa", "{tmp}/missing-dir"], "side B: '{tmp}/missing-dir' is neither an existing "
                                        "results directory nor a commit hash"),
    (["1111aaaa", "1111aaaa", "--machine-b", "other"], "side B: machine 'other' not in commit "
                                                       "1111aaaa in {root}; allowed: vm"),
    (["1111aaaa", "1111aaaa", "--jax-a", "0.4.31"], "side A: JAX 0.4.31 not in commit 1111aaaa "
                                                    "in {root}; allowed: 0.10.2"),
    (["1111aaaa", "1111aaaa", "--threshold", "flops=2"], "allowed: a bare ratio"),
])
def test_bad_sides_exit_2_with_a_message(tmp_path, capsys, args, message):
    root = tmp_path / "results"
    full_file(root, commit=C1)
    args = [a.format(tmp=tmp_path) for a in args]
    assert main(["compare", *args, "--results-dir", str(root)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("vjplab compare: ")
    assert message.format(root=root, tmp=tmp_path) in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_missing_results_dir_and_ambiguous_prefix(tmp_path, capsys):
    assert main(["compare", "1111aaaa", "2222bbbb", "--results-dir",
                 str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    root = tmp_path / "results"
    full_file(root, commit="abcd1111" * 5)
    full_file(root, commit="abcd2222" * 5)
    assert main(["compare", "abcd", "abcd1111", "--results-dir", str(root)]) == 2
    assert "prefix abcd is ambiguous" in capsys.readouterr().err


def test_two_machines_pair_only_when_named(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    full_file(a, machine="box1")
    full_file(b, machine="box2", scale={DEVICE: 2.0})
    comparison = run_compare(str(a), str(b), None)
    assert comparison.pairs == []
    text = terminal_text(comparison)
    assert "pass --machine-a box1 --machine-b box2" in text
    across = run_compare(str(a), str(b), None, machine_a="box1", machine_b="box2")
    assert across.kinds["track_device_time"].regressions == 2
    assert "across machines: A box1, B box2" in terminal_text(across)
    assert "box1 / box2" in terminal_text(across)


def test_several_releases_pair_release_by_release(tmp_path):
    """Two commits each recorded in 0.4.31 and 0.10.2: pairs stay within a release; --jax-a /
    --jax-b compare two releases."""
    root = tmp_path / "results"
    for commit in (C1, C2):
        full_file(root, commit=commit, jax="0.4.31")
        full_file(root, commit=commit, jax="0.10.2", scale={DEVICE: 2.0})
    within = run_compare(C1[:8], C2[:8], root)
    assert within.match_jax and within.flagged == []
    assert within.kinds["track_device_time"].pairs == 4
    across = run_compare(C1[:8], C1[:8], root, jax_a="0.4.31", jax_b="0.10.2")
    assert not across.match_jax
    assert across.kinds["track_device_time"].regressions == 2


def test_unpaired_null_and_version_changes_are_counted_not_classified(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    three = [["'roll_cubic'"], ["'jax_vjp'", "'exact'", "'grad_dot'"], ["100"], ["1"]]
    write_file(a, {TIME: entry([2e-5, 1e-5, None], three, rel_ci=0.01),
                   DEVICE: entry([4e-6, 1e-6], rel_ci=0.01),
                   COMPILE: entry([0.1, 0.05], rel_ci=0.01)})
    # null; 9x; null on both sides (a parameter set neither run selected)
    write_file(b, {TIME: entry([None, 9e-5, None], three, rel_ci=0.01),
                   DEVICE: entry([8e-6, 2e-6], rel_ci=0.01, version="c" * 64)})  # new version
    comparison = run_compare(str(a), str(b), None)
    kinds = comparison.kinds
    assert kinds["time_vjp"].not_compared == {NULL: 1, NULL_BOTH: 1}
    assert kinds["time_vjp"].regressions == 1
    assert kinds["track_device_time"].not_compared == {VERSION_DIFFERS: 2}
    assert kinds["track_device_time"].pairs == 0
    assert kinds["track_compile_time"].not_compared == {ONLY_A: 2}
    text = terminal_text(comparison)
    assert ("not compared: 2 only in A, 1 null on one side, 1 measured on neither, "
            "2 benchmark version differs") in text


def test_newest_file_per_side_and_null_not_replaced(tmp_path):
    """A directory side holding two runs of one commit and environment: the newest run counts,
    and its null is not replaced by the older run's value."""
    a, b = tmp_path / "a", tmp_path / "b"
    full_file(a)
    write_file(b, {DEVICE: entry([9e-6, 9e-6], rel_ci=0.01, started_at=1_000)},
               env="older-run")
    write_file(b, {DEVICE: entry([None, 1e-6], rel_ci=0.01, started_at=2_000)},
               env="newer-run")
    comparison = run_compare(str(a), str(b), None)
    device = comparison.kinds["track_device_time"]
    assert (device.pairs, device.flagged, device.not_compared[NULL]) == (1, 0, 1)
