"""The asv suite end to end: asv check, a real smoke-grid run that saves results, asv publish."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import jax
import jaxlib
import pytest

import vjplab
from tests.checks import asv_values, assert_per_call_times
from vjplab.grid import GRIDS, PARAM_SPACE
from vjplab.suite import current_environment_config, repo_root

ROOT = repo_root()
pytestmark = pytest.mark.slow


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, **kwargs)


def test_asv_check_passes(tmp_path):
    config = current_environment_config(ROOT, tmp_path)
    out = run([sys.executable, "-m", "vjplab.asv_labelled", "check", "--config", str(config),
               "-E", f"vjplab-existing:{sys.executable}"],
              env=dict(os.environ, VJPLAB_GRID="smoke", VJPLAB_CPU_AFFINITY="auto"))
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture(scope="module")
def smoke_run(smoke_bench) -> Path:
    """The session's real `python -m vjplab bench --grid smoke` (tests/conftest.py), read only."""
    return smoke_bench


def result_files(output: Path) -> list[dict]:
    files = [f for f in glob.glob(str(output / "results" / "*" / "*.json"))
             if not f.endswith("machine.json")]
    return [json.loads(Path(f).read_text()) for f in files]


def test_smoke_run_saves_labelled_results(smoke_run):
    results = result_files(smoke_run)
    assert len(results) == 1
    data = results[0]
    # Labelled with the versions that actually ran, not with asv.conf.json's matrix.
    assert data["params"]["jax"] == jax.__version__
    assert data["params"]["jaxlib"] == jaxlib.__version__
    timed = data["results"]["bench_vjp.TimeVJP.time_vjp"]
    values, params = timed[0], timed[1]
    assert params[0] == [repr(f) for f in vjplab.families()]
    assert params[1] == [repr(s) for s in vjplab.strategies()]
    # params: the union of every grid (PARAM_SPACE); the smoke grid ran its own combinations.
    combos = list(PARAM_SPACE.latency.combinations())
    assert len(values) == len(combos)
    for value, combo in zip(values, combos):
        if GRIDS["smoke"].selection_reason("latency", *combo):  # not run: NaN
            assert value is None or value != value
        else:
            assert value is not None and 0 < value < 1.0, combo


#: Combinations whose stored time_vjp is compared with an in-process reference: fast ones, so
#: that a whole sample is hundreds of calls (N = 100, k = 1 as in the smoke grid).
REFERENCE_COMBOS = [("roll_cubic", "jax_vjp", 100, 1, "float32"), ("roll_cubic", "exact", 100, 1, "float32")]


@pytest.fixture(scope="module")
def stored_and_reference(smoke_run) -> tuple[dict, dict, dict]:
    """asv's stored time_vjp, the in-process reference latency (this process is not pinned) and
    the calls per sample asv's process made, for each of REFERENCE_COMBOS."""
    from vjplab.measure import reference_latency
    from vjplab.prepared import prepare

    (data,) = result_files(smoke_run)
    table = asv_values(data, "bench_vjp.TimeVJP.time_vjp")
    stored, reference, calls = {}, {}, {}
    for combo in REFERENCE_COMBOS:
        stored[combo] = table[tuple(repr(p) for p in combo)]
        prepared = prepare(*combo)
        reference[combo] = reference_latency(prepared, repeats=15).median
        # what PerCallTimer divided by in asv's process, whose warm call took ~the stored time
        calls[combo] = replace(prepared, warm_call_seconds=stored[combo]).calls_per_sample()
    return stored, reference, calls


@pytest.mark.parametrize("variant", ["per_call", "whole_sample"])
def test_smoke_run_stores_per_call_times(stored_and_reference, variant):
    """asv's time_vjp is one call's time: within PER_CALL_BOUND of an in-process reference. A
    timer that stored whole samples (``calls`` back-to-back calls, not divided) fails."""
    stored, reference, calls = stored_and_reference
    if variant == "per_call":
        assert_per_call_times(stored, reference)
        return
    for combo in REFERENCE_COMBOS:
        assert calls[combo] >= 100, calls  # else the broken variant would prove little
        with pytest.raises(AssertionError, match="reference latency"):
            assert_per_call_times({combo: stored[combo] * calls[combo]},
                                  {combo: reference[combo]})


def test_smoke_run_publishes_dashboard(smoke_run):
    html = smoke_run / "html"
    assert (html / "index.html").is_file()
    graphs = glob.glob(str(html / "graphs" / "**" / "bench_vjp.TimeVJP.time_vjp.json"),
                       recursive=True)
    assert graphs, "asv publish wrote no graph data"
    series = json.loads(Path(graphs[0]).read_text())
    assert len(series) >= 1 and series[0][1] is not None


def test_smoke_run_writes_program_fingerprints_beside_the_results(smoke_run):
    """Every latency combination's fingerprint in the sidecar of the run's results file
    (outside asv's results directory); the op counts as track_ results."""
    from vjplab.measure.fingerprints import Sidecar, combination_key

    (path,) = [Path(f) for f in glob.glob(str(smoke_run / "results" / "*" / "*.json"))
               if not f.endswith("machine.json")]
    sidecar = Sidecar.of_results_file(smoke_run / "results", f"{path.parent.name}/{path.name}")
    assert sidecar.path.parent.parent == smoke_run / "fingerprints"
    index = sidecar.read()
    assert index is not None, f"no fingerprints at {sidecar.path}"
    assert index["jax"] == jax.__version__
    latency = GRIDS["smoke"].latency
    for combo in latency.combinations():
        if latency.skip_reason(*combo) is None:
            stored = index["combinations"][combination_key(*combo)]
            assert "sha256" in stored or "skipped" in stored, (combo, stored)
            if "sha256" in stored:
                assert sidecar.hlo_text(stored).startswith("HloModule module")
    data = json.loads(path.read_text())
    fusions = data["results"]["bench_program.HLOFusions.track_hlo_fusions"][0]
    assert any(isinstance(v, (int, float)) and v >= 1 for v in fusions)


def test_environment_with_false_label_is_refused(tmp_path):
    """The labelled environment refuses to start when the claimed jax is not the imported one."""
    config = current_environment_config(ROOT, tmp_path)
    conf = json.loads(config.read_text())
    conf["matrix"]["req"]["jax"] = ["0.0.1"]
    config.write_text(json.dumps(conf))
    out = run([sys.executable, "-m", "vjplab.asv_labelled", "run", "--config", str(config),
               "-E", f"vjplab-existing:{sys.executable}", "--set-commit-hash", "HEAD",
               "--bench", "TimeVJP", "--quick"], env=dict(os.environ, VJPLAB_GRID="smoke", VJPLAB_CPU_AFFINITY="auto"))
    assert out.returncode != 0
    assert "refusing" in out.stdout + out.stderr
    assert not glob.glob(str(tmp_path / "results" / "*" / "*-*.json"))


def test_benchmark_process_refuses_false_label(monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.common import check_jax_label
    finally:
        sys.path.remove(str(ROOT))
    check_jax_label()  # no claim: nothing to check
    monkeypatch.setenv("VJPLAB_JAX_LABEL", jax.__version__)
    check_jax_label()
    monkeypatch.setenv("VJPLAB_JAX_LABEL", "0.0.1")
    with pytest.raises(RuntimeError, match="refusing"):
        check_jax_label()
