"""End to end: REAL asv results for two JAX releases (two virtualenvs) on the tiny grid, the
report over them, incremental re-recording, and refusal of a mislabelled environment.

Slow (creates two virtualenvs and installs jax/jaxlib into each from PyPI); runs in CI.
"""

from __future__ import annotations

import ast
import glob
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks import asv_values, assert_report_steps, recorded_series
from tests.checks import RECORDED_RELEASES
from vjplab.grid import GRIDS
from vjplab.history.record import release_entries
from vjplab.suite import read_asv_config, repo_root

pytestmark = pytest.mark.slow
ROOT = repo_root()
OLD, NEW = RECORDED_RELEASES


def vjplab_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vjplab", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=1800, **kwargs)


@pytest.fixture(scope="module")
def recorded(recorded_history) -> Path:
    """`vjplab record` of OLD and NEW on the tiny grid (tests/conftest.py)."""
    return recorded_history


def test_results_are_labelled_with_the_installed_release(recorded):
    files = [f for f in glob.glob(str(recorded / "results" / "e2e-machine" / "*.json"))
             if not f.endswith("machine.json")]
    labels = {}
    for f in files:
        data = json.loads(Path(f).read_text())
        # asv's params are the one fixed space; the tiny grid's parameter sets hold values, the
        # rest were never selected (NaN)
        for combo, value in asv_values(data, "bench_vjp.TimeVJP.time_vjp").items():
            values = tuple(ast.literal_eval(p) for p in combo)  # asv stores repr()s
            if GRIDS["tiny"].selection_reason("latency", *values):
                assert value != value, (f, combo, value)
            else:
                assert isinstance(value, float) and value > 0, (f, combo, value)
        labels[data["params"]["jax"]] = data["params"]["jaxlib"]
    assert labels == {OLD: OLD, NEW: NEW}


def test_report_shows_both_versions(recorded):
    out = vjplab_cli("history", "--results-dir", str(recorded / "results"), "--html-dir",
                     str(recorded / "html"), "--markdown", str(recorded / "report.md"))
    assert out.returncode == 0, out.stderr
    assert f"JAX versions: {OLD}, {NEW}; machines: e2e-machine" in out.stdout
    by_version = recorded_series(recorded / "results")
    both = by_version[OLD] & by_version[NEW]
    # plus the history's derived series: peakmem_vjp net of peakmem_reference (same family, N)
    reference = "bench_memory.PeakMemReference.peakmem_reference"
    both |= {(machine, "bench_memory.PeakMemVJP.peakmem_vjp_net", params)
             for machine, benchmark, params in set(both)
             if benchmark == "bench_memory.PeakMemVJP.peakmem_vjp"
             and (machine, reference, (params[0], params[2])) in both}
    timed = [params for _, benchmark, params in both if benchmark == "bench_vjp.TimeVJP.time_vjp"]
    assert len(timed) == 2, timed  # the tiny grid: roll_cubic x {exact, jax_vjp}
    assert_report_steps((recorded / "report.md").read_text(), OLD, NEW, len(both))
    assert_report_steps(out.stdout, OLD, NEW, len(both))
    page = (recorded / "html" / "vjplab-history.html").read_text()
    assert OLD in page and NEW in page
    assert "vjplab-history.html" in (recorded / "html" / "index.html").read_text()


def test_recording_again_skips_what_is_recorded(recorded):
    out = vjplab_cli("record", "--versions", f"{OLD},{NEW}", "--grid", "tiny", "--machine",
                     "e2e-machine", "--output-dir", str(recorded), "--no-publish")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("already recorded") == 2
    assert "recorded 0 of 2 JAX versions" in out.stdout


def test_mislabelled_environment_is_refused(recorded):
    """jax OLD installed, but the environment claims NEW: no result may be recorded."""
    conf = read_asv_config(ROOT)
    entry = json.loads(json.dumps(release_entries(conf)[OLD]))
    entry["env_nobuild"] = {"VJPLAB_JAX_LABEL": NEW, "VJPLAB_JAXLIB_LABEL": NEW}
    for key in ("repo", "benchmark_dir"):
        conf[key] = str((ROOT / conf[key]).resolve())
    conf.update(env_dir=str(recorded / "env"), results_dir=str(recorded / "mislabelled"),
                html_dir=str(recorded / "html-mislabelled"), matrix={}, include=[entry])
    config = recorded / "mislabelled.conf.json"
    config.write_text(json.dumps(conf))
    out = subprocess.run([sys.executable, "-m", "asv", "run", "--config", str(config),
                          "--machine", "e2e-machine", "--show-stderr",
                          "--bench", "TimeVJP", "HEAD^!"], cwd=ROOT, capture_output=True,
                         text=True, timeout=1800, env={**__import__("os").environ,
                                                       "VJPLAB_GRID": "tiny"})
    assert "refusing to record a mislabelled result" in out.stdout + out.stderr
    for f in glob.glob(str(recorded / "mislabelled" / "e2e-machine" / "*.json")):
        if f.endswith("machine.json"):
            continue
        data = json.loads(Path(f).read_text())
        if data["results"]["bench_vjp.TimeVJP.time_vjp"][0] is None:
            continue  # asv stores a wholly failed benchmark as one null
        # per parameter set: the tiny grid's were refused (null), the others skip (NaN)
        for combo, value in asv_values(data, "bench_vjp.TimeVJP.time_vjp").items():
            values = tuple(ast.literal_eval(p) for p in combo)
            if GRIDS["tiny"].selection_reason("latency", *values):
                assert value is None or value != value, (combo, value)
            else:
                assert value is None, (combo, value)
