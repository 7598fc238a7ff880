"""The GitHub Actions workflow (.github/workflows/benchmarks.yml) and its scripts
(.ci/workflow/): the matrix is asv.conf.json's releases, every step is a repository script,
the workflow passes a real linter (check-jsonschema's GitHub-workflow schema), and the whole
chain (record two machines, merge, publish, report) runs locally on the tiny grid."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.checks import RECORDED_RELEASES
from vjplab.suite import repo_root

ROOT = repo_root()
SCRIPTS = ROOT / ".ci" / "workflow"
WORKFLOW = ROOT / ".github" / "workflows" / "benchmarks.yml"
#: the scripts that take arguments, and an invocation that lacks some
USAGE_ERRORS = {"record_shard.sh": ["tiny"], "merge.sh": ["out"], "publish.sh": [],
                "report.sh": [], "install.sh": ["extra"]}


def script(name: str, *args: str, env: dict | None = None, timeout: float = 60,
           cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, VJPLAB_PYTHON=sys.executable, **(env or {}))
    command = [sys.executable] if name.endswith(".py") else []  # the shebang's is python3
    return subprocess.run([*command, str(SCRIPTS / name), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd)


def include_releases() -> list[str]:
    """The jax pins of asv.conf.json's include entries, read from the text (not through
    vjplab's reader, which matrix.py uses)."""
    text = (ROOT / "asv.conf.json").read_text()
    include = text[text.index('"include"'):]
    return re.findall(r'"req":\s*\{\s*"jax":\s*"([^"]+)"', include)


def test_matrix_lists_the_releases_of_asv_conf_and_one_machine_name_per_job():
    out = script("matrix.py", "--grid", "tiny", "--shards", "tiny,smoke", "--machines", "a,b")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    releases = include_releases()
    assert len(releases) >= 2 and data["releases"] == releases
    # releases are not a matrix axis: the jobs are shards x machines, each its own name
    assert data["include"] == [{"shard": s, "grid": s, "families": "", "machine": f"{m}-{s}"}
                               for m in ("a", "b") for s in ("tiny", "smoke")]
    assert not any("jax" in json.dumps(job) or r in json.dumps(job)
                   for job in data["include"] for r in releases)


def test_matrix_writes_github_outputs_and_defaults_shards_to_the_grid(tmp_path):
    output = tmp_path / "github_output"
    out = script("matrix.py", "--grid", "smoke", "--shards", "", "--github-output", str(output))
    assert out.returncode == 0, out.stderr
    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert json.loads(lines["matrix"]) == {"include": [{"shard": "smoke", "grid": "smoke",
                                                        "families": "",
                                                        "machine": "gha-ubuntu-smoke"}]}
    assert json.loads(lines["releases"]) == include_releases()


def test_a_grid_split_into_shards_deals_its_families_once_each():
    from vjplab.grid import GRIDS

    out = script("matrix.py", "--grid", "default", "--shards", "default/3,tiny")
    assert out.returncode == 0, out.stderr
    jobs = json.loads(out.stdout)["include"]
    assert [j["shard"] for j in jobs] == ["default-1of3", "default-2of3", "default-3of3", "tiny"]
    assert [j["machine"] for j in jobs][:3] == [f"gha-ubuntu-default-{i}of3" for i in (1, 2, 3)]
    dealt = [f for j in jobs[:3] for f in j["families"].split(",")]
    assert sorted(dealt) == sorted(GRIDS["default"].family_names)  # each family once
    assert all(j["grid"] == "default" and j["families"] for j in jobs[:3])
    assert jobs[3]["families"] == ""  # a whole grid


@pytest.mark.parametrize("args, message", [
    (["--grid", "nope"], "unknown grid 'nope' in shard 'nope'; allowed: default, full"),
    (["--grid", "default", "--shards", "default/0"], "N must be a whole number from 1 to"),
    (["--grid", "default", "--shards", "default/x"], "N must be a whole number from 1 to"),
    (["--grid", "default", "--shards", "tiny/2"], "from 1 to 1 (the 'tiny' grid's families)"),
    (["--grid", "tiny", "--machines", "a,a"], "--machines: 'a,a' names one more than once"),
    (["--grid", "tiny", "--machines", ","], "--machines: give at least one name"),
])
def test_matrix_refuses_bad_input(args, message):
    out = script("matrix.py", *args)
    assert out.returncode == 2 and message in out.stderr, out.stderr


@pytest.mark.parametrize("name, args", sorted(USAGE_ERRORS.items()))
def test_scripts_say_their_usage(name, args):
    out = script(name, *args)
    assert out.returncode == 2 and out.stderr.startswith(f"usage: {name}"), out.stderr


def workflow() -> dict:
    return YAML(typ="safe").load(WORKFLOW.read_text())


def test_every_run_step_calls_a_script_of_ci_workflow():
    runs = [(name, step["run"]) for name, job in workflow()["jobs"].items()
            for step in job.get("steps", []) if "run" in step]
    assert len(runs) >= 8
    called = set()
    for job, command in runs:
        words = shlex.split(command)
        assert "\n" not in command.strip() and not {";", "&&", "||", "|"} & set(words), \
            (job, command)
        path = ROOT / words[0]
        assert words[0].startswith(".ci/workflow/") and path.is_file(), (job, command)
        assert os.access(path, os.X_OK), f"{path} is not executable"
        called.add(path.name)
    assert called == {"install.sh", "matrix.py", "record_shard.sh", "merge.sh", "publish.sh",
                      "report.sh"}


def test_workflow_jobs_record_in_parallel_and_deploy_pages():
    jobs = workflow()["jobs"]
    assert jobs["record"]["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.matrix) }}"
    assert jobs["gpu"]["runs-on"] == ["self-hosted", "gpu"] and "inputs.gpu" in jobs["gpu"]["if"]
    uses = [step.get("uses", "") for job in jobs.values() for step in job["steps"]]
    for action in ("actions/upload-artifact@", "actions/download-artifact@",
                   "actions/upload-pages-artifact@", "actions/deploy-pages@"):
        assert any(u.startswith(action) for u in uses), action
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def lint(path: Path) -> subprocess.CompletedProcess:
    linter = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert linter, "check-jsonschema is missing (setup.cfg's test extra installs it)"
    return subprocess.run([linter, "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_workflow_passes_the_linter_and_a_broken_copy_fails_it(tmp_path):
    out = lint(WORKFLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text()
    assert "    runs-on: ubuntu-latest\n" in text
    broken.write_text(text.replace("    runs-on: ubuntu-latest\n", "    runs_on: ubuntu-latest\n"))
    out = lint(broken)
    assert out.returncode != 0 and "runs_on" in out.stdout + out.stderr, out.stdout


@pytest.mark.slow
def test_the_chain_runs_locally_on_two_machines(tmp_path, recorded_history):
    """record_shard.sh of one machine (the tiny grid, two releases), merged with a second
    machine's `vjplab record` of the same grid and releases (the session's recorded_history,
    tests/conftest.py: the command record_shard.sh wraps; reusing it saves CI ~70 s), then
    publish.sh and report.sh: one dashboard and one history page over both machines."""
    shard = tmp_path / "wf-shard"
    out = script("record_shard.sh", "tiny", "wf-shard", str(shard), "roll_cubic",
                 env={"VJPLAB_RELEASES": ",".join(RECORDED_RELEASES)}, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "grid tiny (families roll_cubic)" in out.stdout  # a shard of families
    assert f"releases {','.join(RECORDED_RELEASES)}" in out.stdout
    assert "recorded 2 of 2 JAX versions" in out.stdout
    assert not (shard / "html").exists()  # the record jobs do not publish
    site = tmp_path / "site"
    for name, args in (("merge.sh", [str(site), str(shard), str(recorded_history)]),
                       ("publish.sh", [str(site)]), ("report.sh", [str(site)])):
        out = script(name, *args, timeout=600)
        assert out.returncode == 0, (name, out.stdout[-3000:], out.stderr[-3000:])
    machines = {"wf-shard", "e2e-machine"}
    assert {p.name for p in (site / "fingerprints").iterdir()} == machines
    index = json.loads((site / "html" / "index.json").read_text())
    assert set(index["machines"]) == machines
    page = (site / "html" / "vjplab-history.html").read_text()
    assert all(release in page for release in RECORDED_RELEASES)
    assert "vjplab-history.html" in (site / "html" / "index.html").read_text()
    old, new = RECORDED_RELEASES
    assert f"JAX versions: {old}, {new}; machines: e2e-machine, wf-shard" in out.stdout
    assert (site / "history.md").is_file()
