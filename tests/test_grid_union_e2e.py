"""Two grids, one dashboard: `vjplab bench` on the `tiny` grid, then on the `gpu` grid (on the
CPU here, at N = 1e3), into ONE output directory at the same commit. asv merges both into one results file
(its params are the union of every grid) and publishes values of both grids in one graph."""

from __future__ import annotations

import glob
import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vjplab.grid import PARAM_SPACE
from vjplab.selection import FULL_PARAMS
from vjplab.suite import repo_root

from tests.checkout import committed_copy

ROOT = repo_root()
pytestmark = pytest.mark.slow
TIME = "bench_vjp.TimeVJP.time_vjp"
TINY_COMBO = ("roll_cubic", "jax_vjp", 100, 1, "float32")  # in tiny, not in gpu
GPU_COMBO = ("roll_cubic", "jax_vjp", 1000, 1, "float32")  # in gpu, not in tiny


def bench(source: Path, output: Path, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(source), ASV_PYTHONPATH=str(source))
    out = subprocess.run([sys.executable, "-m", "vjplab", "bench", "--machine", "e2e-union",
                          "--output-dir", str(output), "--rounds", "1", *args],
                         cwd=source, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]


@pytest.fixture(scope="module")
def two_grids(tmp_path_factory) -> Path:
    source = committed_copy(tmp_path_factory.mktemp("source"))
    output = tmp_path_factory.mktemp("union")
    bench(source, output, "--grid", "tiny", "--no-publish")
    # the gpu grid at its one CPU-sized N (it reaches 1e8): the piece's processes then measure
    # the shared metrics at N = 1e3 only (vjplab.pieces, VJPLAB_GRID_DIMENSIONS)
    bench(source, output, "--grid", "gpu", "--bench",
          r"(TimeVJP|DeviceTime)\.\w+\('roll_cubic', '\w+', 1000, ")
    return output


def combo_index(params: list[list[str]], combo: tuple) -> int:
    return list(itertools.product(*params)).index(tuple(repr(v) for v in combo))


def test_benchmarks_json_params_are_the_union(two_grids):
    suite = json.loads((two_grids / "results" / "benchmarks.json").read_text())
    space = PARAM_SPACE.latency
    assert suite[TIME]["param_names"] == list(FULL_PARAMS)
    assert suite[TIME]["params"] == [[repr(v) for v in values] for values in (
        space.family_names, space.strategy_names, space.all_dimensions, space.localities,
        space.dtypes)]


def test_one_results_file_holds_both_grids(two_grids):
    files = [f for f in glob.glob(str(two_grids / "results" / "e2e-union" / "*.json"))
             if not f.endswith("machine.json")]
    assert len(files) == 1, files
    data = json.loads(Path(files[0]).read_text())
    for name in (TIME, "bench_metrics.DeviceTime.track_device_time"):
        values, params = data["results"][name][:2]
        for combo in (TINY_COMBO, GPU_COMBO):
            value = values[combo_index(params, combo)]
            assert value is not None and not math.isnan(value) and value > 0, (name, combo)
    # The second run's --bench left the tiny grid's flops alone: still there, from run 1.
    values, params = data["results"]["bench_metrics.Flops.track_flops"][:2]
    assert values[combo_index(params, TINY_COMBO)] > 0
    assert math.isnan(values[combo_index(params, GPU_COMBO)])


def test_bandwidth_metrics_share_the_device_times_space_and_run(two_grids):
    """track_achieved_bandwidth and track_bandwidth_fraction: the device time's parameters,
    measured wherever it is (the tiny grid's run)."""
    device = "bench_metrics.DeviceTime.track_device_time"
    suite = json.loads((two_grids / "results" / "benchmarks.json").read_text())
    files = [f for f in glob.glob(str(two_grids / "results" / "e2e-union" / "*.json"))
             if not f.endswith("machine.json")]
    data = json.loads(Path(files[0]).read_text())
    for name, unit in (("bench_metrics.AchievedBandwidth.track_achieved_bandwidth", "GB/s"),
                       ("bench_metrics.BandwidthFraction.track_bandwidth_fraction", "unitless")):
        assert suite[name]["params"] == suite[device]["params"] and suite[name]["unit"] == unit
        values, params = data["results"][name][:2]
        value = values[combo_index(params, TINY_COMBO)]
        assert value is not None and math.isfinite(value) and value > 0, name


def test_dashboard_graph_shows_both_grids(two_grids):
    graphs = [g for g in glob.glob(str(two_grids / "html" / "graphs" / "**" / f"{TIME}.json"),
                                   recursive=True) if "/graphs/summary/" not in g]
    assert len(graphs) == 1, graphs  # one machine and environment: one graph
    points = json.loads(Path(graphs[0]).read_text())
    assert len(points) == 1  # one commit
    values = points[0][1]
    suite = json.loads((two_grids / "results" / "benchmarks.json").read_text())
    for combo in (TINY_COMBO, GPU_COMBO):
        value = values[combo_index(suite[TIME]["params"], combo)]
        assert value is not None and value > 0, combo
