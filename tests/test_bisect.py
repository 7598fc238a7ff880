"""vjplab bisect without asv: the search, the release listing, the target, the verdict file."""

from __future__ import annotations

import json
import math
import re

import pytest

from vjplab.cli import main
from vjplab.history import bisect as bisect_mod
from vjplab.history.bisect import check_releases, endpoint_entries, release_entry
from vjplab.history.bisect_output import (VERDICT_KEYS, final_line, verdict_record,
                                          verdict_slug, write_verdict)
from vjplab.history.bisect_search import REFERENCE, SKIPPED, search
from vjplab.history.bisect_target import Target, parse_target
from vjplab.history.programs import ProgramNote
from vjplab.history.pypi import (RegistryError, fetch_project, python_tags, releases_between)
from vjplab.history.results import Measurement
from vjplab.history.steps import RULES, Verdict, classify, rules_with
from vjplab.suite import read_asv_config, repo_root

BENCH = "bench_vjp.TimeVJP.time_vjp"
RELEASES = ["0.6.2", "0.6.3", "0.6.4", "0.7.0", "0.7.1", "0.7.2", "0.7.3"]


def point(jax: str, value: float, spread: float = 0.0) -> Measurement:
    ci = (value - spread, value + spread) if spread else None
    return Measurement("m", jax, "c" * 40, 0, BENCH, ("'roll_cubic'", "'exact'", "100", "1"),
                       value, ci, None)


def verdict(a: Measurement, b: Measurement) -> Verdict:
    return classify(BENCH, a, b, RULES)


class Fake:
    """measure(): values by release (a string: why there is none), and which were asked."""

    def __init__(self, values: dict[str, float | str]) -> None:
        self.values, self.asked = values, []

    def __call__(self, jax: str) -> Measurement | str:
        self.asked.append(jax)
        got = self.values[jax]
        return got if isinstance(got, str) else point(jax, got)


@pytest.mark.parametrize("step_at", range(1, len(RELEASES)))
def test_search_finds_the_step_of_a_monotone_series(step_at):
    fake = Fake({v: (1.0 if i < step_at else 1.8) for i, v in enumerate(RELEASES)})
    out = search(RELEASES, fake, verdict)
    assert out.reproduced and out.boundary == Verdict.REGRESSION
    assert out.first_slower == RELEASES[step_at]
    assert out.last_good == RELEASES[step_at - 1]
    assert fake.asked[:2] == [RELEASES[0], RELEASES[-1]]  # endpoints first
    assert len(fake.asked) <= 2 + math.ceil(math.log2(len(RELEASES) - 1))  # a binary search
    assert len(set(fake.asked)) == len(fake.asked)  # no release measured twice
    assert out.probes[0].classification == REFERENCE
    assert all(p.classification in {"regression", "no change"} for p in out.probes[1:])
    line = final_line(out, ProgramNote("same program", "same program (sha256 abc)"))
    assert line == (f"first slower release: {RELEASES[step_at]} ({RELEASES[step_at - 1]} -> "
                    f"{RELEASES[step_at]}: x1.8, same program)")


def test_endpoints_that_do_not_reproduce_stop_the_search():
    fake = Fake({v: 1.0 for v in RELEASES})
    out = search(RELEASES, fake, verdict)
    assert not out.reproduced and out.first_slower is None and out.last_good is None
    assert fake.asked == [RELEASES[0], RELEASES[-1]]
    assert "do not reproduce" in out.message and "no change" in out.message
    assert final_line(out, None).startswith("no first slower release: the endpoints do not")
    # an improvement does not reproduce a regression either
    out = search(RELEASES, Fake({v: 2.0 - i * 0.1 for i, v in enumerate(RELEASES)}), verdict)
    assert not out.reproduced and "improvement" in out.message


def test_overlapping_intervals_do_not_reproduce():
    """The report's own rule: a 1.5x latency step with overlapping CIs is no change."""
    def measure(jax):
        return point(jax, 1.0 if jax == RELEASES[0] else 1.5, spread=0.4)

    assert not search(RELEASES, measure, verdict).reproduced


def test_a_release_without_a_value_is_skipped_and_the_search_goes_on():
    values = {v: (1.0 if i < 3 else 2.0) for i, v in enumerate(RELEASES)}
    values["0.6.4"] = "could not be installed (asv exited with status 1)"
    values["0.7.0"] = "could not be installed (asv exited with status 1)"
    fake = Fake(values)
    out = search(RELEASES, fake, verdict)
    assert out.reproduced and out.first_slower == "0.7.1" and out.last_good == "0.6.3"
    skipped = [p for p in out.probes if p.classification == SKIPPED]
    assert {p.jax for p in skipped} == {"0.6.4", "0.7.0"}
    assert all("could not be installed" in p.skipped and p.value is None for p in skipped)
    assert sorted(out.skipped_between()) == ["0.6.4", "0.7.0"]
    assert "could not be measured" in final_line(out, None)


def test_an_endpoint_without_a_value_stops_with_its_reason():
    values = {v: 1.0 for v in RELEASES}
    values[RELEASES[-1]] = "no value stored"
    out = search(RELEASES, Fake(values), verdict)
    assert not out.reproduced and out.message.startswith("the --to release 0.7.3 has no value")


def test_a_gradual_slowdown_is_said_to_be_one():
    # each step 1.06x (under 1.1x), the whole range 1.42x
    fake = Fake({v: 1.06 ** i for i, v in enumerate(RELEASES)})
    out = search(RELEASES, fake, verdict)
    assert out.reproduced and out.boundary == Verdict.NO_CHANGE
    assert "gradual slowdown" in final_line(out, None)


def test_thresholds_change_the_decision():
    fake = Fake({v: (1.0 if i < 3 else 1.15) for i, v in enumerate(RELEASES)})
    assert search(RELEASES, fake, verdict).first_slower == "0.7.0"
    strict = rules_with({"time_vjp": 1.2})
    out = search(RELEASES, Fake(fake.values), lambda a, b: classify(BENCH, a, b, strict))
    assert not out.reproduced


# ---- releases from the registry ---------------------------------------------------------

def _files(*names: str, yanked: bool = False) -> list[dict]:
    return [{"filename": n, "yanked": yanked} for n in names]


JAXLIB_311 = "jaxlib-{v}-cp311-cp311-manylinux2014_x86_64.whl"


def registry_pages():
    jax = {"releases": {
        "0.6.2": _files("jax-0.6.2-py3-none-any.whl"),
        "0.7.0rc1": _files("jax-0.7.0rc1-py3-none-any.whl"),
        "0.7.0": _files("jax-0.7.0-py3-none-any.whl"),
        "0.7.1": _files("jax-0.7.1-py3-none-any.whl"),
        "0.6.10": _files("jax-0.6.10-py3-none-any.whl"),  # version order: after 0.6.9
        "0.6.9": _files("jax-0.6.9-py3-none-any.whl", yanked=True),
        "0.6.8": _files("jax-0.6.8-py3-none-any.whl"),
        "0.6.7": _files("jax-0.6.7-py3-none-any.whl"),
        "0.6.6": _files("jax-0.6.6-py3-none-any.whl"),
        "not-a-version": _files("jax.whl"),
        "0.7.2": _files("jax-0.7.2-py3-none-any.whl"),
        "0.8.0": _files("jax-0.8.0-py3-none-any.whl"),
    }}
    jaxlib = {"releases": {
        v: _files(JAXLIB_311.format(v=v)) for v in ("0.6.2", "0.7.0", "0.7.0rc1", "0.6.10",
                                                    "0.6.9", "0.7.2", "0.8.0")}}
    jaxlib["releases"]["0.7.1"] = _files(JAXLIB_311.format(v="0.7.1"), yanked=True)
    jaxlib["releases"]["0.6.8"] = _files("jaxlib-0.6.8-cp312-cp312-manylinux2014_x86_64.whl",
                                         "jaxlib-0.6.8-cp311-cp311-macosx_11_0_arm64.whl")
    return jax, jaxlib


def test_releases_between_keeps_installable_ones_in_version_order(monkeypatch):
    from packaging import tags

    linux = frozenset(t for t in python_tags("3.11") if "manylinux" in t.platform) | \
        frozenset([tags.Tag("py3", "none", "any")])
    jax, jaxlib = registry_pages()
    found, left_out = releases_between(jax, jaxlib, "0.6.2", "0.7.2", linux)
    assert found == ["0.6.10", "0.7.0"]
    reasons = dict(left_out)
    assert [v for v, _ in left_out] == ["0.6.6", "0.6.7", "0.6.8", "0.6.9", "0.7.0rc1", "0.7.1"]
    assert reasons["0.6.6"] == "no jaxlib 0.6.6 in the registry"
    assert reasons["0.6.8"] == "no jaxlib 0.6.8 wheel for this Python and platform"
    assert reasons["0.6.9"] == "yanked"
    assert reasons["0.7.0rc1"] == "a pre-release"
    assert reasons["0.7.1"] == "jaxlib 0.7.1 is yanked"
    with pytest.raises(ValueError, match="must be an older release"):
        releases_between(jax, jaxlib, "0.7.2", "0.6.2", linux)


def test_registry_pages_are_read_from_the_url_template(tmp_path, monkeypatch):
    jax, _ = registry_pages()
    (tmp_path / "jax.json").write_text(json.dumps(jax))
    monkeypatch.setenv("VJPLAB_PYPI_JSON", (tmp_path / "{project}.json").as_uri()
                       .replace("%7B", "{").replace("%7D", "}"))
    assert fetch_project("jax") == jax
    with pytest.raises(RegistryError, match="--releases"):
        fetch_project("jaxlib")  # no such file: the message says how to go on offline
    (tmp_path / "jaxlib.json").write_text("[1, 2]")
    with pytest.raises(RegistryError, match="no 'releases'"):
        fetch_project("jaxlib")


def test_offline_registry_says_what_to_do(monkeypatch):
    monkeypatch.setenv("VJPLAB_PYPI_JSON", "http://127.0.0.1:9/{project}/json")
    with pytest.raises(RegistryError) as err:
        fetch_project("jax", timeout=5)
    assert "127.0.0.1:9/jax/json" in str(err.value) and "--releases 0.7.0,0.7.1" in str(err.value)


# ---- endpoints, entries, target ---------------------------------------------------------

def test_endpoints_must_be_releases_of_the_matrix():
    conf = read_asv_config(repo_root())
    low, high = endpoint_entries(conf, "0.6.2", "0.7.2")
    assert low["req"]["jax"] == "0.6.2" and high["req"]["jax"] == "0.7.2"
    with pytest.raises(ValueError, match=r"--from 0\.7\.0: not a JAX release.*allowed: "
                                         r"0\.4\.31, .*0\.6\.2, 0\.7\.2.*0\.10\.2"):
        endpoint_entries(conf, "0.7.0", "0.7.2")
    with pytest.raises(ValueError, match=r"--to 9\.9: not a JAX release"):
        endpoint_entries(conf, "0.6.2", "9.9")
    with pytest.raises(ValueError, match="must be an older release"):
        endpoint_entries(conf, "0.10.2", "0.9.2")


def test_a_derived_entry_has_the_shape_of_asv_conf_json():
    conf = read_asv_config(repo_root())
    template = endpoint_entries(conf, "0.6.2", "0.7.2")[1]
    entry = release_entry(template, "0.7.1")
    assert entry == json.loads(json.dumps(template).replace("0.7.2", "0.7.1"))
    assert template["req"]["jax"] == "0.7.2"  # the template is not touched
    assert entry["req"] == {"jax": "0.7.1", "jaxlib": "0.7.1", "setuptools": "", "wheel": ""}
    assert entry["env_nobuild"] == {"VJPLAB_JAX_LABEL": "0.7.1", "VJPLAB_JAXLIB_LABEL": "0.7.1"}


def test_given_releases_must_lie_between_the_endpoints():
    assert check_releases(["0.7.1", "0.6.10", "0.7.0"], "0.6.2", "0.7.2") == \
        ["0.6.10", "0.7.0", "0.7.1"]
    with pytest.raises(ValueError, match=r"--releases 0\.7\.2, 0\.5\.0: not strictly between"):
        check_releases(["0.7.2", "0.7.0", "0.5.0"], "0.6.2", "0.7.2")


SUITE = {
    BENCH: {"param_names": ["family", "strategy", "dimension", "locality", "dtype"],
            "params": [["'roll_cubic'", "'squared_differences_3d'"], ["'exact'", "'jax_vjp'"],
                       ["100", "1000000"], ["1", "16"], ["'float32'", "'float64'"]]},
    "bench_memory.PeakMemReference.peakmem_reference": {
        "param_names": ["family", "dimension"], "params": [["'roll_cubic'"], ["100"]]},
}


def test_a_parameter_set_by_asv_name_or_by_pairs_with_any_number_of_parameters():
    name = "time_vjp('squared_differences_3d', 'exact', 1000000, 1, 'float32')"
    by_name = parse_target([name], SUITE)
    by_full_name = parse_target(["bench_vjp.TimeVJP." + name], SUITE)
    by_pairs = parse_target(["time_vjp", "dtype=float32", "family=squared_differences_3d",
                             "strategy='exact'", "dimension=1e6", "locality=1"], SUITE)
    assert by_name == by_full_name == by_pairs
    assert by_name.short_name == name and by_name.name == "bench_vjp.TimeVJP." + name
    assert by_name.params == {"family": "squared_differences_3d", "strategy": "exact",
                              "dimension": 1000000, "locality": 1, "dtype": "float32"}
    assert by_name.reprs == ("'squared_differences_3d'", "'exact'", "1000000", "1", "'float32'")
    assert type(by_pairs.values[2]) is int  # the suite's value, not the float 1e6
    assert parse_target(["peakmem_reference('roll_cubic', 100)"], SUITE).kind == \
        "peakmem_reference"


@pytest.mark.parametrize("words, message", [
    ([], "name a parameter set"),
    (["time_vjpp('roll_cubic', 'exact', 100, 1, 'float32')"],
     "unknown benchmark 'time_vjpp'; allowed: peakmem_reference, time_vjp"),
    (["time_vjp('roll_cubic', 'exact', 100, 1)"], r"has 5 parameters \(family, strategy, "
                                                   r"dimension, locality, dtype\).*gives 4"),
    (["time_vjp('roll_cubic', 'exact', 100, 1, 'float16')"],
     r"dtype='float16' is not one of its values; allowed: 'float32', 'float64'"),
    (["time_vjp", "family=roll_cubic"], "missing: strategy, dimension, locality, dtype"),
    (["time_vjp", "size=3"], r"no parameter 'size'; allowed: family, strategy, dimension"),
    (["time_vjp", "family"], "expected NAME=VALUE"),
    (["time_vjp('roll_cubic', exact)"], "cannot read the values"),
    (["time_vjp('roll_cubic', 'exact', 100, 1, 'float32')", "dtype=float32"], "not both"),
])
def test_bad_parameter_sets_name_what_is_allowed(words, message):
    with pytest.raises(ValueError, match=message):
        parse_target(words, SUITE)


# ---- the verdict file -------------------------------------------------------------------

def test_the_verdict_file_has_exactly_the_schema_and_is_never_overwritten(tmp_path):
    values = {v: (1.0 if i < 3 else 1.8) for i, v in enumerate(RELEASES)}
    values["0.6.4"] = "could not be installed"
    out = search(RELEASES, Fake(values), verdict)
    target = Target(BENCH, ("family", "strategy", "dimension", "locality"),
                    ("roll_cubic", "exact", 100, 1))
    note = ProgramNote("program changed", "program changed: fusion 3 -> 4")
    record = verdict_record(target, "m", "0.6.2", "0.7.3", out, note, tmp_path / "results")
    first = write_verdict(tmp_path / "verdicts", "m-time_vjp('roll_cubic', 'exact', 100, 1)-"
                                                 "0.6.2-0.7.3", record)
    second = write_verdict(tmp_path / "verdicts", "m-time_vjp('roll_cubic', 'exact', 100, 1)-"
                                                  "0.6.2-0.7.3", record)
    assert first != second and second.name == first.name[:-len(".json")] + "-2.json"
    assert first.read_text() == second.read_text()
    data = json.loads(first.read_text())
    assert tuple(data) == VERDICT_KEYS
    assert data["param_set"] == "time_vjp('roll_cubic', 'exact', 100, 1)"
    assert data["benchmark"] == "time_vjp"
    assert data["params"] == {"family": "roll_cubic", "strategy": "exact", "dimension": 100,
                              "locality": 1}
    assert (data["machine"], data["from"], data["to"]) == ("m", "0.6.2", "0.7.3")
    assert (data["first_slower"], data["last_good"]) == ("0.7.0", "0.6.3")
    assert data["ratio"] == pytest.approx(1.8)
    assert data["program"] == "program changed: fusion 3 -> 4"
    assert data["program_verdict"] == "program changed"
    assert data["results_dir"] == str(tmp_path / "results")
    assert data["created"].endswith("+00:00")
    assert {p["jax"] for p in data["probes"]} <= set(RELEASES)
    for p in data["probes"]:
        assert set(p) == {"jax", "value", "classification", "skipped"}
    skipped = [p for p in data["probes"] if p["skipped"]]
    assert skipped == [{"jax": "0.6.4", "value": None, "classification": "skipped",
                        "skipped": "could not be installed"}]
    with pytest.raises(ValueError, match="exactly the keys"):
        write_verdict(tmp_path / "verdicts", "x", {"param_set": "x"})


def test_a_verdict_without_a_boundary_has_nulls(tmp_path):
    out = search(RELEASES, Fake({v: 1.0 for v in RELEASES}), verdict)
    target = Target(BENCH, ("family",), ("roll_cubic",))
    data = verdict_record(target, "m", "0.6.2", "0.7.3", out, None, tmp_path)
    assert [data[k] for k in ("first_slower", "last_good", "ratio", "program",
                              "program_verdict")] == [None] * 5
    assert [p["classification"] for p in data["probes"]] == [REFERENCE, "no change"]


# ---- the command line -------------------------------------------------------------------

def test_cli_bad_endpoints_exit_2_naming_the_allowed_releases(capsys):
    code = main(["bisect", "time_vjp('roll_cubic', 'exact', 100, 1)", "--from", "0.7.0",
                 "--to", "0.7.2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--from 0.7.0: not a JAX release of asv.conf.json's matrix; allowed: 0.4.31" in err


def test_cli_bad_threshold_exits_2(capsys):
    code = main(["bisect", "time_vjp('roll_cubic', 'exact', 100, 1)", "--from", "0.6.2",
                 "--to", "0.7.2", "--threshold", "track_flops=1.2"])
    assert code == 2 and "deterministic" in capsys.readouterr().err


def test_cli_exit_codes_follow_the_outcome(monkeypatch, capsys, tmp_path):
    """0 when a first slower release is found, 2 when the endpoints do not reproduce, 130 at
    Ctrl-C (RunInterrupted), with the arguments passed through."""
    from vjplab.suite import RunInterrupted

    seen = {}

    def fake_run(words, low, high, **kwargs):
        seen.update(words=words, low=low, high=high, **kwargs)
        if kwargs["grid"] == "smoke":
            raise RunInterrupted("interrupted during jax 0.7.0")
        values = {"0.6.2": 1.0, "0.7.0": 2.0, "0.7.2": 2.0 if kwargs["grid"] == "tiny" else 1.0}
        return bisect_mod.BisectResult(search(list(values), Fake(values), verdict),
                                       tmp_path / "v.json", tmp_path)

    monkeypatch.setattr(bisect_mod, "run_bisect", fake_run)
    base = ["bisect", "time_vjp", "family=roll_cubic", "--from", "0.6.2", "--to", "0.7.2",
            "--releases", "0.7.0", "--machine", "m", "--output-dir", str(tmp_path)]
    assert main(base + ["--grid", "tiny"]) == 0
    assert seen["words"] == ["time_vjp", "family=roll_cubic"] and seen["releases"] == ["0.7.0"]
    assert seen["machine"] == "m" and seen["output_dir"] == tmp_path
    assert main(base + ["--grid", "default"]) == 2
    assert main(base + ["--grid", "smoke"]) == 130


def test_the_verdict_slug_names_machine_parameter_set_and_endpoints():
    target = Target(BENCH, ("family", "strategy", "dimension", "locality", "dtype"),
                    ("squared_differences_3d", "exact", 1000000, 1, "float32"))
    assert verdict_slug("my box/1", target, "0.6.2", "0.7.2") == \
        "my_box_1-time_vjp-squared_differences_3d-exact-1000000-1-float32-0.6.2-0.7.2"


# ---- the orchestration, with asv faked ---------------------------------------------------

FAKE_SUITE = {
    BENCH: {"param_names": ["family", "strategy", "dimension", "locality", "dtype"],
            "params": [["'roll_cubic'"], ["'exact'", "'jax_vjp'"], ["100"], ["1"],
                       ["'float32'", "'float64'"]]},
    "bench_program.HLOFusions.track_hlo_fusions": {
        "param_names": ["family", "strategy", "dimension", "locality", "dtype"],
        "params": [["'roll_cubic'"], ["'exact'", "'jax_vjp'"], ["100"], ["1"],
                   ["'float32'", "'float64'"]]},
}


class FakeAsv:
    """Stands in for ``run_jobs`` and the results directory: each release's "asv run" stores
    ``values[release]``, fails to install (a string), or is interrupted (KeyboardInterrupt)."""

    def __init__(self, values: dict[str, float | str | type]) -> None:
        self.values, self.jobs, self.stored = values, [], {}

    def run_jobs(self, jobs, *, env, cwd, log, **kwargs):
        from vjplab.piecewise import JobResult, PiecewiseRun, SetCounts

        [job] = jobs
        self.jobs.append((job, env))
        got = self.values[job.group]
        if got is KeyboardInterrupt:
            return PiecewiseRun(interrupted=job)
        if isinstance(got, str):
            return PiecewiseRun([JobResult(job, 1.0, 1, SetCounts(missing=2))])
        self.stored[job.group] = point(job.group, got)
        return PiecewiseRun([JobResult(job, 1.0, 0, SetCounts(measured=2))])

    def stored_measurement(self, results_dir, machine, commit, version, target):
        return self.stored.get(version)


@pytest.fixture
def fake_asv(monkeypatch):
    import vjplab.suite_info

    def install(values):
        fake = FakeAsv(values)
        monkeypatch.setattr(vjplab.suite_info, "discover_suite", lambda root, grid: FAKE_SUITE)
        monkeypatch.setattr(bisect_mod, "run_jobs", fake.run_jobs)
        monkeypatch.setattr(bisect_mod, "stored_measurement", fake.stored_measurement)
        monkeypatch.setattr(bisect_mod, "_ensure_machine", lambda *args: None)
        monkeypatch.setattr(bisect_mod, "load_results", lambda d: None)
        monkeypatch.setattr(bisect_mod, "program_note", lambda *a: ProgramNote(
            "same program", "same program (sha256 0123456789ab)"))
        return fake

    return install


def test_run_bisect_configs_selection_skips_and_verdict(fake_asv, tmp_path, capsys):
    fake = fake_asv({"0.6.2": 1.0, "0.7.0": "install failed", "0.7.1": 1.9, "0.7.2": 2.0})
    result = bisect_mod.run_bisect(["time_vjp('roll_cubic', 'jax_vjp', 100, 1, 'float32')"],
                                   "0.6.2",
                                   "0.7.2", machine="m", output_dir=tmp_path, grid="tiny",
                                   releases=["0.7.1", "0.7.0"])
    out = capsys.readouterr().out
    assert result.exit_code == 0
    assert result.outcome.first_slower == "0.7.1" and result.outcome.last_good == "0.6.2"
    assert [job.group for job, _ in fake.jobs] == ["0.6.2", "0.7.2", "0.7.0", "0.7.1"]
    assert "  0.7.0      skipped: could not be installed or run (asv exited with status 1" in out
    assert "first slower release: 0.7.1 (0.6.2 -> 0.7.1: x1.9, same program)\n" \
           "  note: 0.7.0 in between could not be measured" in out
    for job, env in fake.jobs:
        version = job.group
        config = json.loads((tmp_path / f"bisect-jax{version}.conf.json").read_text())
        assert config["include"] == [{
            "python": "3.11", "req": {"jax": version, "jaxlib": version, "setuptools": "",
                                      "wheel": ""},
            "env_nobuild": {"VJPLAB_JAX_LABEL": version, "VJPLAB_JAXLIB_LABEL": version}}]
        assert config["matrix"] == {}
        assert {config[k] for k in ("env_dir", "results_dir", "html_dir")} == \
            {str(tmp_path / d) for d in ("env", "results", "html")}
        regex = job.command[job.command.index("--bench") + 1]
        assert job.command[job.command.index("--config") + 1] == \
            str(tmp_path / f"bisect-jax{version}.conf.json")
        names = [f"{b}('roll_cubic', {t}, 100, 1, {d})" for b in FAKE_SUITE
                 for t in ("'exact'", "'jax_vjp'") for d in ("'float32'", "'float64'")]
        assert [n for n in names if re.search(regex, n)] == [
            "bench_vjp.TimeVJP.time_vjp('roll_cubic', 'jax_vjp', 100, 1, 'float32')",
            "bench_program.HLOFusions.track_hlo_fusions('roll_cubic', 'jax_vjp', 100, 1, "
            "'float32')"]
        assert env["VJPLAB_GRID"] == "tiny" and env["VJPLAB_GRID_FAMILIES"] == "roll_cubic"
        assert env["VJPLAB_FINGERPRINT_DIR"] == str(tmp_path / "fingerprints" / "m")
    data = json.loads(result.verdict_file.read_text())
    assert result.verdict_file.parent == tmp_path / "verdicts"
    assert (data["first_slower"], data["program_verdict"]) == ("0.7.1", "same program")
    assert [p["jax"] for p in data["probes"]] == ["0.6.2", "0.7.2", "0.7.0", "0.7.1"]


def test_run_bisect_endpoints_that_do_not_reproduce(fake_asv, tmp_path, capsys):
    fake_asv({"0.6.2": 1.0, "0.7.0": 1.0, "0.7.2": 1.02})
    result = bisect_mod.run_bisect(["time_vjp", "family=roll_cubic", "strategy=exact",
                                    "dimension=100", "locality=1", "dtype=float32"],
                                   "0.6.2", "0.7.2",
                                   machine="m", output_dir=tmp_path, grid="tiny",
                                   releases=["0.7.0"])
    out = capsys.readouterr().out
    assert result.exit_code == 2
    assert "no first slower release: the endpoints do not reproduce the regression: " \
           "0.6.2 -> 0.7.2 is no change" in out
    assert json.loads(result.verdict_file.read_text())["first_slower"] is None


def test_run_bisect_ctrl_c_keeps_what_was_measured(fake_asv, tmp_path, capsys):
    from vjplab.suite import RunInterrupted

    fake = fake_asv({"0.6.2": 1.0, "0.7.2": KeyboardInterrupt})
    with pytest.raises(RunInterrupted, match="jax 0.7.2"):
        bisect_mod.run_bisect(["time_vjp('roll_cubic', 'exact', 100, 1, 'float32')"],
                              "0.6.2", "0.7.2",
                              machine="m", output_dir=tmp_path, grid="tiny", releases=[])
    assert "interrupted during jax 0.7.2" in capsys.readouterr().out
    assert "0.6.2" in fake.stored  # kept: the same command goes on from there
    assert not (tmp_path / "verdicts").exists()


def test_run_bisect_reuses_stored_values(fake_asv, tmp_path, capsys):
    fake = fake_asv({"0.6.2": 1.0, "0.7.2": 2.0})
    fake.stored["0.6.2"] = point("0.6.2", 1.0)
    result = bisect_mod.run_bisect(["time_vjp('roll_cubic', 'exact', 100, 1, 'float32')"],
                                   "0.6.2",
                                   "0.7.2", machine="m", output_dir=tmp_path, grid="tiny",
                                   releases=[])
    assert [job.group for job, _ in fake.jobs] == ["0.7.2"]
    assert "[jax 0.6.2] stored at" in capsys.readouterr().out
    assert result.outcome.first_slower == "0.7.2"


def test_run_bisect_rejects_a_parameter_set_outside_the_grid(fake_asv, tmp_path):
    fake_asv({})
    with pytest.raises(ValueError, match=r"the 'gpu' grid does not run time_vjp\('roll_cubic', "
                                         r"'exact', 100, 1, 'float32'\); grids that do: .*tiny"):
        bisect_mod.run_bisect(["time_vjp('roll_cubic', 'exact', 100, 1, 'float32')"],
                              "0.6.2", "0.7.2",
                              machine="m", output_dir=tmp_path, grid="gpu", releases=[])


def test_a_deterministic_count_flags_any_change_and_a_new_op_shows_both_values():
    count = "bench_program.HLOFusions.track_hlo_fusions"

    def fused(values):
        return lambda jax: Measurement("m", jax, "c", 0, count, (), float(values[jax]), None,
                                       None)

    values = dict(zip(RELEASES, [3, 3, 3, 3, 4, 4, 4]))
    out = search(RELEASES, fused(values), lambda a, b: classify(count, a, b, RULES))
    assert (out.last_good, out.first_slower) == ("0.7.0", "0.7.1")
    assert final_line(out, None) == "first slower release: 0.7.1 (0.7.0 -> 0.7.1: x1.33)"
    values = dict(zip(RELEASES, [0, 0, 1, 1, 1, 1, 1]))
    out = search(RELEASES, fused(values), lambda a, b: classify(count, a, b, RULES))
    assert final_line(out, None) == "first slower release: 0.6.4 (0.6.3 -> 0.6.4: 0 -> 1)"


def test_cli_offline_registry_exits_2_and_makes_nothing(fake_asv, monkeypatch, tmp_path, capsys):
    fake_asv({})
    monkeypatch.setenv("VJPLAB_PYPI_JSON", "http://127.0.0.1:9/{project}/json")
    code = main(["bisect", "time_vjp('roll_cubic', 'exact', 100, 1, 'float32')", "--from",
                 "0.6.2", "--to", "0.7.2", "--grid", "tiny", "--output-dir", str(tmp_path / "b")])
    assert code == 2
    assert "cannot list jax releases" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_the_grid_is_default_when_it_runs_the_parameter_set_else_the_smallest_that_does():
    from vjplab.history.bisect import choose_grid

    large = Target(BENCH, ("family", "strategy", "dimension", "locality", "dtype"),
                   ("squared_differences_3d", "exact", 1000000, 1, "float32"))
    small = Target(BENCH, large.param_names, ("roll_cubic", "jax_vjp", 100, 1, "float32"))
    assert choose_grid(large, None) == "default"
    assert choose_grid(small, None) == "tiny"  # not in default; tiny is the smallest of those
    assert choose_grid(small, "smoke") == "smoke"
    with pytest.raises(ValueError, match=r"the 'default' grid does not run time_vjp\("
                                         r"'roll_cubic', 'jax_vjp', 100, 1, 'float32'\); "
                                         r"grids that do: full, smoke, tiny"):
        choose_grid(small, "default")
    with pytest.raises(ValueError, match="unknown grid 'huge'; allowed: default"):
        choose_grid(small, "huge")
    nowhere = Target(BENCH, large.param_names, ("roll_cubic", "naive_jacrev", 1000000, 16,
                                                "float32"))
    with pytest.raises(ValueError, match="no grid runs"):
        choose_grid(nowhere, None)


def test_the_history_reads_the_verdict_file(tmp_path):
    """The regression page's reader (vjplab.history.bisects) takes what bisect writes and
    matches it to the step's parameters as asv stores them."""
    from vjplab.history.bisects import load_bisects, params_match, range_matches

    values = {v: (1.0 if i < 3 else 1.8) for i, v in enumerate(RELEASES)}
    out = search(RELEASES, Fake(values), verdict)
    target = Target(BENCH, ("family", "strategy", "dimension", "locality", "dtype"),
                    ("squared_differences_3d", "exact", 1000000, 1, "float32"))
    record = verdict_record(target, "m", "0.6.2", "0.7.3", out,
                            ProgramNote("same program", "same program (sha256 abc)"), tmp_path)
    write_verdict(tmp_path / "verdicts", verdict_slug("m", target, "0.6.2", "0.7.3"), record)
    bisects = load_bisects(tmp_path)
    assert bisects.messages == [] and len(bisects.verdicts) == 1
    [read] = bisects.verdicts
    assert (read.first_slower, read.last_good, read.program_verdict) == \
        ("0.7.0", "0.6.4", "same program")
    assert params_match(read.params, list(target.param_names), target.reprs)
    assert range_matches(read, "0.6.2", "0.7.3")
    assert read.describe() == ("first slower: 0.7.0 (bisected on time_vjp, last good 0.6.4, "
                               "1.80x, same program)")


def test_run_bisect_rounds_reach_asv(fake_asv, tmp_path):
    fake = fake_asv({"0.6.2": 1.0, "0.7.2": 2.0})
    bisect_mod.run_bisect(["time_vjp('roll_cubic', 'exact', 100, 1, 'float32')"], "0.6.2",
                          "0.7.2", machine="m", output_dir=tmp_path, releases=[], rounds=6)
    for job, _ in fake.jobs:
        at = job.command.index("--attribute")
        assert job.command[at + 1] == "rounds=6" and job.command[-1].endswith("^!")
    with pytest.raises(ValueError, match="--rounds 0: allowed: a number of rounds >= 1"):
        bisect_mod.run_bisect(["time_vjp('roll_cubic', 'exact', 100, 1, 'float32')"], "0.6.2",
                              "0.7.2", output_dir=tmp_path / "x", releases=[], rounds=0)
    assert not (tmp_path / "x").exists()
