"""The bandwidth floor (vjplab.measure.bandwidth): minimal bytes, the copy kernel, the track_
metrics derived from the device time, their regression rule and the report column."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from vjplab.measure.bandwidth import GB, minimal_bytes, stream_bandwidth
from vjplab.problems import make_spec


@pytest.mark.parametrize("family, n, k, m", [
    ("roll_cubic", 1000, 1, 1000),               # vector map: M = N
    ("squared_differences_1d", 1000, 3, 997),    # M = N - k differences
    ("smoothness_1d", 1000, 2, 1),               # scalar loss: M = 1
])
def test_minimal_bytes_is_x_and_c_read_and_g_written_once(family, n, k, m):
    spec = make_spec(family, n, k, "float32")
    assert spec.out_size == m
    assert minimal_bytes(spec) == (n + m) * 4 + n * 4
    wide = dataclasses.replace(spec, dtype=np.dtype("float64"))
    assert minimal_bytes(wide) == 2 * minimal_bytes(spec)


def test_copy_kernel_bandwidth_is_positive_and_reproducible():
    first = stream_bandwidth.__wrapped__("float32", 32 * 2**20, 3)  # uncached: two measurements
    second = stream_bandwidth.__wrapped__("float32", 32 * 2**20, 3)
    assert first > 1e8 and second > 1e8  # more than 0.1 GB/s on any machine
    assert 0.5 < first / second < 2.0
    assert stream_bandwidth("float32") is stream_bandwidth("float32")  # once per process


@pytest.fixture(scope="module")
def measured():
    """One real metrics entry: roll_cubic jax_vjp, N = 1e5, k = 1, float32 (not the fused
    hand-written adjoint: at N = 1e5 its 1.2 MB stay in cache and it can beat the copy kernel's
    out-of-cache bandwidth, ~1.15x on the project's CPU)."""
    from vjplab.grid import Sweep
    from vjplab.measure.sweep import measure_combinations

    combo = ("roll_cubic", "jax_vjp", 100_000, 1, "float32")
    sweep = Sweep(dimensions=(100_000,), large_dimensions=(), localities=(1,), families=("roll_cubic",),
                  strategies=("jax_vjp",))
    return combo, measure_combinations([combo], sweep)


def test_bandwidth_is_derived_from_the_device_time_samples(measured):
    combo, table = measured
    entry = table[combo]
    times = entry["device_time"]["samples"]
    floor = minimal_bytes(make_spec("roll_cubic", *combo[2:]))
    assert floor == 3 * 100_000 * 4
    achieved = entry["achieved_bandwidth"]["samples"]
    fraction = entry["bandwidth_fraction"]["samples"]
    assert achieved == pytest.approx([floor / t / GB for t in times])  # the same samples
    assert fraction == pytest.approx([a * GB / entry["stream_bandwidth"] for a in achieved])
    assert all(0 < f <= 1.5 for f in fraction), fraction


def test_track_metrics_are_benchmarks_like_device_time(measured, monkeypatch):
    from benchmarks import params
    from benchmarks.bench_metrics import AchievedBandwidth, BandwidthFraction, DeviceTime

    combo, table = measured
    monkeypatch.setattr(params, "skip_unless_selected", lambda *args: None)
    for cls, method, metric in ((AchievedBandwidth, "track_achieved_bandwidth",
                                 "achieved_bandwidth"),
                                (BandwidthFraction, "track_bandwidth_fraction",
                                 "bandwidth_fraction")):
        assert cls.params == DeviceTime.params and cls.param_names == DeviceTime.param_names
        assert cls.setup_cache is DeviceTime.setup_cache  # the one shared measurement
        bench = cls()
        bench.setup(table, *combo)
        result = getattr(bench, method)(table, *combo)
        assert result == table[combo][metric] and result["number"] == 1
        assert len(result["samples"]) == len(table[combo]["device_time"]["samples"])
    assert AchievedBandwidth.track_achieved_bandwidth.unit == "GB/s"


def test_a_bandwidth_drop_is_the_regression():
    from vjplab.history.results import Measurement
    from vjplab.history.steps import RULES, Verdict, classify

    def point(value):
        return Measurement("vm", "0.1", "c", 0, "b", (), value, None, None)

    bench = "bench_metrics.AchievedBandwidth.track_achieved_bandwidth"
    assert RULES["track_achieved_bandwidth"].threshold == RULES["track_device_time"].threshold
    assert classify(bench, point(10.0), point(7.0)) == Verdict.REGRESSION
    assert classify(bench, point(7.0), point(10.0)) == Verdict.IMPROVEMENT
    assert classify(bench, point(10.0), point(9.0)) == Verdict.NO_CHANGE
    time_bench = "bench_metrics.DeviceTime.track_device_time"
    assert classify(time_bench, point(1.0), point(1.4)) == Verdict.REGRESSION


def test_report_shows_bandwidth_and_share_of_the_copy_kernel(tmp_path):
    from tests.asv_files import write_file
    from tests.test_report_page import PARAMS, parse, strategy_rows
    from vjplab.dashboard import report_page
    from vjplab.dashboard.run_data import BANDWIDTH, DEVICE, FRACTION

    combos = list(itertools.product(*[[json.loads(p.replace("'", '"')) for p in axis]
                                      for axis in PARAMS]))
    values = {DEVICE: [1e-4 * (1 + i) for i in range(len(combos))]}
    values[BANDWIDTH] = [12.3 / (1 + i) for i in range(len(combos))]
    values[FRACTION] = [0.45 / (1 + i) for i in range(len(combos))]
    meta = {name: {"name": name, "version": "v1" * 32, "unit": "x", "type": "track",
                   "param_names": ["family", "strategy", "dimension", "locality"]}
            for name in values}
    root = tmp_path / "results"
    root.mkdir()
    (root / "benchmarks.json").write_text(json.dumps({**meta, "version": 2}))
    write_file(root, {name: [v, PARAMS, "v1" * 32, 5_000, 1.0] for name, v in values.items()})
    page_path = report_page.write_report(root, tmp_path / "html")
    rows = strategy_rows(parse(page_path))
    head = parse(page_path).tables["strategies"][0][1]
    column = [text for _, text in head].index("bandwidth (% of copy)")
    attrs, text = rows[tuple(combos[0])][column]
    assert float(attrs["data-value"]) == 12.3 and text == "12.3 GB/s (45%)"
    assert "minimal bytes of a VJP" in Path(page_path).read_text()
    record = json.loads((page_path.parent / "vjplab-report.json").read_text())["rows"]
    first = next(r for r in record if (r["family"], r["strategy"], r["dimension"],
                                       r["locality"]) == tuple(combos[0]))
    assert first["achieved_bandwidth_gb_s"] == 12.3 and first["bandwidth_fraction"] == 0.45


def test_measure_command_shows_the_bandwidth_column(capsys):
    from vjplab.cli import main

    assert main(["measure", "roll_cubic", "exact", "--dimension", "2000", "--locality", "1",
                 "--repeats", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("strategy"))
    row = next(line for line in lines if line.startswith("exact"))
    assert "bandwidth (% copy)" in header
    start = header.index("device time") + len("device time")
    cell = row[start:start + 20].strip()
    assert cell.endswith("%)") and " GB/s (" in cell, row


def test_the_larger_bandwidth_drop_sorts_first():
    from vjplab.history.steps import Step, Verdict, worst_first

    def step(before, after):
        return Step("vm", "bench_metrics.AchievedBandwidth.track_achieved_bandwidth", (),
                    "0.1", "0.2", before, after, Verdict.REGRESSION)

    mild, severe = step(10.0, 8.0), step(10.0, 4.0)
    assert worst_first([mild, severe]) == [severe, mild]


def test_a_sweep_without_compile_time_says_why_the_benchmark_skips(monkeypatch):
    """The gpu grid leaves compile time out (Sweep.compile_time): track_compile_time skips
    with that reason, the other metrics are measured."""
    from benchmarks import params
    from benchmarks.bench_metrics import CompileTime
    from vjplab.grid import GRIDS, Sweep
    from vjplab.measure.sweep import measure_combinations

    assert GRIDS["gpu"].metrics.compile_time is False and GRIDS["default"].metrics.compile_time
    combo = ("roll_cubic", "exact", 1_000, 1, "float32")
    sweep = Sweep(dimensions=(1_000,), large_dimensions=(), localities=(1,),
                  families=("roll_cubic",), strategies=("exact",), compile_time=False)
    table = measure_combinations([combo], sweep)
    assert table[combo]["compile_seconds"] is None and table[combo]["device_time"]["samples"]
    monkeypatch.setattr(params, "skip_unless_selected", lambda *args: None)
    with pytest.raises(NotImplementedError, match="this grid does not measure compile time"):
        CompileTime().setup(table, *combo)
