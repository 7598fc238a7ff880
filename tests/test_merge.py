"""`vjplab merge`: asv results directories of several jobs or machines into one (vjplab.merge).

Unit tests on fabricated results directories (tests/asv_files.py) laid out as `vjplab bench
--output-dir D` leaves them (D/results, D/fingerprints), and one end-to-end test: two real
`vjplab bench --grid tiny` runs under two machine names, merged, then published together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.asv_files import PARAMS, TIME, entry, snapshot, write_file
from vjplab.cli import main
from vjplab.dashboard.run_manifest import manifest_path
from vjplab.measure.fingerprints import FORMAT, VERSION, Sidecar
from vjplab.merge import (MergeConflict, destination_results, merge_results, plan_merge,
                          source_results, summary)

COMMIT = "aaaa1111" * 5


def bench_output(root: Path, machine: str, *, commit: str = COMMIT, value: float = 1e-5,
                 cpu: str = "AMD EPYC") -> Path:
    """``root`` as `vjplab bench --machine MACHINE --output-dir ROOT` leaves it: one results
    file with its run manifest, machine.json, and one fingerprint sidecar (index + HLO)."""
    results = root / "results"
    path = write_file(results, {TIME: entry([value, 2 * value])}, machine=machine, commit=commit)
    (results / machine / "machine.json").write_text(json.dumps({"machine": machine, "cpu": cpu,
                                                                 "version": 1}))
    manifest_path(path).write_text(json.dumps({"format": "vjplab-run-manifest", "version": 1,
                                               "grid": "tiny", "machine": machine}))
    suite = json.loads((results / "benchmarks.json").read_text())
    for meta in suite.values():  # as asv writes it: every benchmark's parameter values
        if isinstance(meta, dict):
            meta["params"] = PARAMS if len(meta["param_names"]) == 4 else [PARAMS[0], PARAMS[2]]
    (results / "benchmarks.json").write_text(json.dumps(suite))
    sidecar = root / "fingerprints" / machine / path.stem
    (sidecar / "hlo").mkdir(parents=True)
    (sidecar / "hlo" / "ab12.hlo").write_text(f"HloModule {machine}\n")
    (sidecar / "index.json").write_text(json.dumps({"format": FORMAT, "version": VERSION,
                                                    "machine": machine, "combinations": {}}))
    return root


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_two_machines_merge_with_their_run_manifests_and_fingerprints(tmp_path):
    one = bench_output(tmp_path / "one", "m1")
    two = bench_output(tmp_path / "two", "m2", value=3e-5)
    before = {**snapshot(one), **snapshot(two)}
    plan = merge_results([one, two], tmp_path / "merged" / "results")
    merged = tmp_path / "merged"
    copied = files_under(merged)
    for source in (one, two):  # every file of both, byte for byte, in the same layout
        for name, data in files_under(source).items():
            assert copied[name] == data, name
    assert set(copied) == set(files_under(one)) | set(files_under(two))
    assert {**snapshot(one), **snapshot(two)} == before  # the sources are only read
    # The sidecars are where vjplab looks for them beside the merged results directory.
    for machine in ("m1", "m2"):
        stem = next((merged / "results" / machine).glob("aaaa1111-*.json")).stem
        index = Sidecar.of_results_file(merged / "results", f"{machine}/{stem}.json").read()
        assert index is not None and index["machine"] == machine
        assert (merged / "results" / machine / f"{stem}.vjplab-run.manifest").is_file()
    text = summary(plan)
    assert f"fingerprints: {merged.resolve() / 'fingerprints'}" in text
    for machine, source in (("m1", one), ("m2", two)):
        assert (f"machine {machine} from {source}: copied 5 file(s) (1 results file, 1 "
                f"machine.json); sidecars carried: 1 run manifest, 2 fingerprint files; "
                f"skipped 0 identical") in text
    assert "copied 11 file(s), skipped 0 identical" in text  # 2 x 5 + benchmarks.json


def test_files_already_there_with_the_same_bytes_are_skipped(tmp_path):
    one = bench_output(tmp_path / "one", "m1")
    into = tmp_path / "merged" / "results"
    merge_results([one], into)
    before = snapshot(tmp_path / "merged")
    again = plan_merge([one], into)
    assert again.copies == [] and len(again.machines[0].identical) == 5
    assert "skipped 5 identical (1 results file, 1 machine.json, 1 run manifest, 2 " \
           "fingerprint files)" in summary(again)
    # The same machine's next run (another commit) adds its files beside the identical ones.
    later = bench_output(tmp_path / "later", "m1", commit="bbbb2222" * 5)
    plan = merge_results([one, later], into)
    assert len(plan.machines[0].identical) == 5 and len(plan.machines[1].identical) == 1
    assert {c.dest.name for c in plan.machines[1].copies} >= {
        "bbbb2222-virtualenv-py3.11-jax0.10.2-jaxlib0.10.2.json",
        "bbbb2222-virtualenv-py3.11-jax0.10.2-jaxlib0.10.2.vjplab-run.manifest"}
    after = snapshot(tmp_path / "merged")
    assert all(after[path] == data for path, data in before.items())  # nothing rewritten
    assert len(after) == len(before) + 4  # results file, manifest, index, HLO (machine.json same)


def test_a_differing_file_refuses_the_whole_merge_and_writes_nothing(tmp_path):
    into = tmp_path / "merged" / "results"
    merge_results([bench_output(tmp_path / "one", "m1")], into)
    before = snapshot(tmp_path / "merged")
    # Another job's m1 at the same commit and environment (other values), and a new machine.
    rerun = bench_output(tmp_path / "rerun", "m1", value=9e-5)
    (rerun / "fingerprints" / "m1").rename(rerun / "fingerprints" / "m1-away")
    new = bench_output(tmp_path / "new", "m2")
    with pytest.raises(MergeConflict) as info:
        merge_results([new, rerun], into)
    message = str(info.value)
    results_file = next((into / "m1").glob("aaaa1111-*.json"))
    assert f"{results_file}: exists and differs from " \
           f"{rerun / 'results' / 'm1' / results_file.name}" in message
    assert "refusing to merge: 1 file(s) would differ" in message
    assert "nothing was copied" in message
    assert snapshot(tmp_path / "merged") == before  # m2, although clean, was not copied either
    assert not (into / "m2").exists()


def test_a_machine_json_of_the_same_name_that_differs_is_a_conflict(tmp_path, capsys):
    one = bench_output(tmp_path / "one", "ci-runner", cpu="AMD EPYC")
    two = bench_output(tmp_path / "two", "ci-runner", commit="bbbb2222" * 5, cpu="Intel Xeon")
    into = tmp_path / "merged" / "results"
    assert main(["merge", str(one), str(two), "--into", str(into)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vjplab merge: refusing to merge: 1 file(s) would differ from what is "
                          "at their destination; nothing was copied")
    assert (f"{into / 'ci-runner' / 'machine.json'}: "
            f"{two / 'results' / 'ci-runner' / 'machine.json'} differs from "
            f"{one / 'results' / 'ci-runner' / 'machine.json'} (both merged here)") in err
    assert "another machine under the same name: run it with another --machine" in err
    assert not (tmp_path / "merged").exists()


def test_benchmarks_json_of_another_suite_is_refused_naming_the_benchmark(tmp_path):
    one = bench_output(tmp_path / "one", "m1")
    two = bench_output(tmp_path / "two", "m2")
    write_benchmarks_changed(two / "results", TIME, version="v2" * 32)
    into = tmp_path / "merged" / "results"
    with pytest.raises(ValueError, match="refusing to merge results of different suites") as info:
        merge_results([one, two], into)
    assert f"{TIME}: version differs ({'v2' * 6}; kept: {'v1' * 6}): its code changed" \
        in str(info.value)
    assert not (tmp_path / "merged").exists()
    # Other parameter values, a benchmark missing: each named.
    write_benchmarks_changed(two / "results", TIME, version="v1" * 32,
                             params=[["'roll_cubic'"], ["'exact'"], ["100"], ["1"]])
    suite = json.loads((two / "results" / "benchmarks.json").read_text())
    del suite["bench_memory.PeakMemVJP.peakmem_vjp"]
    (two / "results" / "benchmarks.json").write_text(json.dumps(suite))
    with pytest.raises(ValueError) as info:
        merge_results([one, two], into)
    assert f"{TIME}: values of strategy differ" in str(info.value)
    assert "bench_memory.PeakMemVJP.peakmem_vjp: missing (in the kept benchmarks.json)" \
        in str(info.value)
    assert "disagrees with" in str(info.value) and "in 2 place(s)" in str(info.value)
    # An existing destination's benchmarks.json is the one kept: a SRC must agree with it.
    merge_results([one], into)
    before = snapshot(tmp_path / "merged")
    with pytest.raises(ValueError, match=f"disagrees with {into / 'benchmarks.json'}"):
        merge_results([two], into)
    assert snapshot(tmp_path / "merged") == before


def write_benchmarks_changed(results: Path, name: str, **fields) -> None:
    suite = json.loads((results / "benchmarks.json").read_text())
    suite[name].update(fields)
    (results / "benchmarks.json").write_text(json.dumps(suite))


def test_run_settings_of_another_grid_do_not_make_another_suite(tmp_path):
    """The history grid runs time_vjp with 2 rounds, the others with 3 (benchmarks.json says
    so); the benchmarks and their parameters are the same."""
    one = bench_output(tmp_path / "one", "m1")
    two = bench_output(tmp_path / "two", "m2")
    write_benchmarks_changed(one / "results", TIME, rounds=3)
    write_benchmarks_changed(two / "results", TIME, rounds=2)
    plan = merge_results([one, two], tmp_path / "merged" / "results")
    assert f"{two / 'results'}: agrees (differs only in run settings: rounds)" in summary(plan)
    kept = json.loads((tmp_path / "merged" / "results" / "benchmarks.json").read_text())
    assert kept[TIME]["rounds"] == 3  # the first SRC's


def test_what_src_and_results_may_name(tmp_path):
    out = bench_output(tmp_path / "out", "m1")
    assert source_results(out) == out / "results"
    assert source_results(out / "results") == out / "results"
    with pytest.raises(ValueError, match="holds neither benchmarks.json nor results/"):
        source_results(tmp_path)
    assert destination_results(out) == out / "results"  # an output directory
    assert destination_results(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    assert destination_results(tmp_path / "empty") == tmp_path / "empty"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="is not empty; allowed: an asv results directory"):
        destination_results(tmp_path / "other")
    with pytest.raises(ValueError, match="is a file"):
        destination_results(tmp_path / "other" / "notes.txt")
    with pytest.raises(ValueError, match="is the destination"):
        plan_merge([out], out)


def test_what_is_not_a_machine_is_left_out_and_named(tmp_path):
    out = bench_output(tmp_path / "out", "m1")
    (out / "results" / "stray.txt").write_text("not asv's")
    (out / "fingerprints" / "gone" / "x").mkdir(parents=True)
    plan = merge_results([out], tmp_path / "merged" / "results")
    text = summary(plan)
    assert f"left out: {out / 'results' / 'stray.txt'}" in text
    assert f"left out: {out / 'fingerprints' / 'gone'}" in text
    assert not (tmp_path / "merged" / "results" / "stray.txt").exists()
    assert not (tmp_path / "merged" / "fingerprints" / "gone").exists()


def test_dry_run_copies_nothing(tmp_path, capsys):
    out = bench_output(tmp_path / "out", "m1")
    assert main(["merge", str(out), "--into", str(tmp_path / "merged"), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "machine m1 from" in printed and "would copy 5 file(s)" in printed
    assert not (tmp_path / "merged").exists()


def test_a_failed_copy_leaves_complete_files_and_merging_again_copies_the_rest(
        tmp_path, monkeypatch, capsys):
    import shutil

    out = bench_output(tmp_path / "out", "m1")
    into = tmp_path / "merged" / "results"
    real, calls = shutil.copyfileobj, []

    def disk_full_on_the_third(src, dst):
        calls.append(src.name)
        if len(calls) == 3:
            dst.write(b"partial")
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(shutil, "copyfileobj", disk_full_on_the_third)
    assert main(["merge", str(out), "--into", str(into)]) == 1
    assert "copying failed ([Errno 28] No space left on device)" in capsys.readouterr().err
    written = files_under(tmp_path / "merged")
    assert len(written) == 2  # benchmarks.json and one more, complete; not the partial third
    source = {**{f"results/{k}": v for k, v in files_under(out / "results").items()},
              **{f"fingerprints/{k}": v for k, v in files_under(out / "fingerprints").items()}}
    assert all(source[name] == data for name, data in written.items())
    monkeypatch.setattr(shutil, "copyfileobj", real)
    plan = merge_results([out], into)
    assert len(plan.copies) == 4 and len(plan.machines[0].identical) == 1
    assert files_under(tmp_path / "merged") == source


# --- end to end: two real runs under two machine names, merged, published together ---------

@pytest.mark.slow
def test_two_real_runs_merge_and_publish_together(tmp_path):
    """Two `vjplab bench --grid tiny` runs (about 20 s each on 2 cores) under machines e2e-m1
    and e2e-m2, merged with `vjplab merge`, published with `vjplab publish`: the dashboard
    lists both machines, and both sidecars are found beside the merged results."""
    from tests.checkout import committed_copy

    source = committed_copy(tmp_path / "source")
    env = dict(os.environ, PYTHONPATH=str(source), ASV_PYTHONPATH=str(source))

    def vjplab(*args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "vjplab", *args], cwd=source, env=env,
                             capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
        return out.stdout

    machines = ("e2e-m1", "e2e-m2")
    for machine in machines:
        vjplab("bench", "--grid", "tiny", "--machine", machine, "--output-dir",
               str(tmp_path / machine), "--no-publish", "--rounds", "1")
    merged = tmp_path / "merged"
    printed = vjplab("merge", *(str(tmp_path / m) for m in machines), "--into",
                     str(merged / "results"))
    for machine in machines:
        assert f"machine {machine} from {tmp_path / machine}: copied " in printed
        stem = next((merged / "results" / machine).glob("*.vjplab-run.manifest")).name \
            .removesuffix(".vjplab-run.manifest")
        assert (merged / "results" / machine / f"{stem}.json").is_file()
        assert Sidecar.of_results_file(merged / "results", f"{machine}/{stem}.json").read()
    assert f"{tmp_path / machines[1] / 'results'}: identical" in printed  # same commit's suite
    vjplab("publish", "--output-dir", str(merged), "--no-fetch")
    index = json.loads((merged / "html" / "index.json").read_text())
    assert set(index["machines"]) == set(machines)
