"""Ctrl-C keeps work: a real `vjplab bench` interrupted in its second piece keeps the first
(saved by asv), says so in one line, and the same command resumes with the others only.

SIGINT goes to the vjplab process alone, as a terminal's Ctrl-C reaches it (asv runs in its
own session; vjplab stops asv's process group).
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vjplab.history.completeness import stored_values
from tests.checkout import committed_copy

pytestmark = pytest.mark.slow
FAMILIES = ("burgers_1d", "roll_cubic", "squared_differences_1d")  # catalog order
TIME = "bench_vjp.TimeVJP.time_vjp"


def command(output: Path) -> list[str]:
    return [sys.executable, "-m", "vjplab", "bench", "--grid", "smoke", "--machine", "e2e-ctrl-c",
            "--bench", f"\\('({'|'.join(FAMILIES)})'", "--rounds", "1", "--no-publish",
            "--output-dir", str(output)]


def environment(source: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(source), ASV_PYTHONPATH=str(source))


def results(output: Path) -> dict:
    [path] = (output / "results" / "e2e-ctrl-c").glob("*-vjplab-existing-*.json")
    return stored_values(path)


def measured(values: dict, family: str) -> dict:
    return {key: v for key, v in values.get(TIME, {}).items()
            if key[0] == repr(family) and isinstance(v, float) and math.isfinite(v)}


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    source = committed_copy(tmp_path_factory.mktemp("source"))
    output = tmp_path_factory.mktemp("ctrl-c")
    proc = subprocess.Popen(command(output), cwd=source, env=environment(source),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    for line in proc.stdout:  # the first piece's line ends once asv has saved it
        lines.append(line)
        if line.startswith("[1/3]"):
            break
    time.sleep(2.0)  # the second piece's asv is running
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=120)
    stopped = time.perf_counter() - sent
    return source, output, proc.returncode, "".join(lines) + rest, err, stopped


def test_ctrl_c_stops_at_once_and_says_what_was_kept(interrupted):
    _, output, returncode, out, err, stopped = interrupted
    assert returncode == 130, out + err
    assert "Traceback" not in out + err
    assert stopped < 30
    [line] = [ln for ln in out.splitlines() if ln.startswith("interrupted:")]
    assert line.startswith("interrupted: 1 of 3 families (")
    assert "roll_cubic was cut short. Run the same command to resume." in line
    assert str(output / "logs") in line


def test_the_finished_piece_is_saved_and_the_cut_one_is_not(interrupted):
    _, output, *_ = interrupted
    values = results(output)
    # six strategies at N = 100, k = 1, in float32 and float64 (the smoke grid's float64 family)
    assert len(measured(values, "burgers_1d")) == 12
    assert measured(values, "roll_cubic") == {}
    assert measured(values, "squared_differences_1d") == {}


def test_the_same_command_resumes_with_the_other_pieces(interrupted):
    source, output, *_ = interrupted
    kept = measured(results(output), "burgers_1d")
    out = subprocess.run(command(output), cwd=source, env=environment(source),
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "resuming the run interrupted on" in out.stdout
    assert "burgers_1d already saved; running the other 2" in out.stdout
    assert "[1/2] roll_cubic" in out.stdout and "[2/2] squared_differences_1d" in out.stdout
    assert "3/3" not in out.stdout and "sets, " in out.stdout
    values = results(output)
    assert measured(values, "burgers_1d") == kept  # not measured again
    for family in FAMILIES[1:]:
        assert len(measured(values, family)) == 6
    assert not (output / "interrupted-run.json").exists()
    assert "seed case (roll_cubic, N = 100, k = 1, one call): naive_jacrev" in out.stdout
