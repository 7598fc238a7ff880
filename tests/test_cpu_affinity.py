"""Pinning timing processes to one CPU (vjplab.cpu_affinity) before JAX starts its backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from vjplab.cli import main
from vjplab.cpu_affinity import (AFFINITY_ENV, describe_pinning, parse_cpu_list,
                                 pin_for_timing, requested_cpus)

USABLE = os.sched_getaffinity(0)


def test_cpu_lists_parse():
    assert parse_cpu_list("3") == {3}
    assert parse_cpu_list("0-2,5") == {0, 1, 2, 5}


@pytest.mark.parametrize("text", ["", "x", "2-1", "-1", "1,,2", "0-"])
def test_bad_cpu_list_names_allowed_forms(text):
    with pytest.raises(ValueError, match="allowed: 'auto', 'off'"):
        parse_cpu_list(text)


def test_off_means_not_pinned(monkeypatch):
    monkeypatch.setenv(AFFINITY_ENV, "off")
    assert requested_cpus() is None
    assert pin_for_timing() is None
    assert os.sched_getaffinity(0) == USABLE


def test_auto_pins_to_the_last_usable_cpu_on_cpu(monkeypatch):
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    assert requested_cpus("auto") == {max(USABLE)}


def test_auto_leaves_accelerator_processes_alone(monkeypatch):
    monkeypatch.setenv("JAX_PLATFORMS", "cuda,cpu")
    assert requested_cpus("auto") is None


def test_cpus_outside_the_usable_set_are_refused():
    with pytest.raises(ValueError, match="allowed CPUs"):
        requested_cpus(str(max(USABLE) + 1000))


def test_no_pinning_once_backends_run(monkeypatch):
    """Only the calling thread would move, so pin_for_timing refuses with a warning."""
    import jax

    jax.devices()
    monkeypatch.setenv(AFFINITY_ENV, str(max(USABLE)))
    if len(USABLE) == 1:
        pytest.skip("one usable CPU: the process is pinned already")
    with pytest.warns(RuntimeWarning, match="already run"):
        assert pin_for_timing() is None
    assert os.sched_getaffinity(0) == USABLE


PIN_THEN_COMPUTE = """
import json, os
from vjplab.cpu_affinity import pin_for_timing
from vjplab.prepared import prepare
cpus = pin_for_timing()
prepare("roll_cubic", "jax_vjp", 1000, 1).call()
threads = {}
for tid in os.listdir("/proc/self/task"):
    threads[tid] = sorted(os.sched_getaffinity(int(tid)))
print(json.dumps({"pinned": sorted(cpus) if cpus else None, "threads": threads}))
"""


def test_fresh_process_and_all_xla_threads_are_pinned():
    env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}
    env.update({AFFINITY_ENV: "auto", "JAX_PLATFORMS": "cpu"})
    out = subprocess.run([sys.executable, "-c", PIN_THEN_COMPUTE], env=env, check=True,
                         capture_output=True, text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["pinned"] == [max(USABLE)]
    assert len(report["threads"]) > 1  # XLA started threads, and every one inherited the mask
    assert all(cpus == [max(USABLE)] for cpus in report["threads"].values())


def test_describe_pinning():
    assert describe_pinning(None).startswith("not pinned")
    assert describe_pinning({1}) == f"pinned to CPU 1 ({AFFINITY_ENV})"
    assert describe_pinning({0, 1}) == f"pinned to CPUs 0,1 ({AFFINITY_ENV})"


def test_measure_cli_rejects_a_bad_setting(monkeypatch, capsys):
    monkeypatch.setenv(AFFINITY_ENV, "cpu0")
    assert main(["measure", "roll_cubic", "exact", "--dimension", "100", "--locality", "1"]) == 2
    assert "allowed: 'auto', 'off'" in capsys.readouterr().err


PIN_TWICE = """
import warnings
from vjplab.cpu_affinity import pin_for_timing
from vjplab.prepared import prepare
first = pin_for_timing()
prepare("roll_cubic", "exact", 100, 1).call()
with warnings.catch_warnings():
    warnings.simplefilter("error")
    assert pin_for_timing() == first  # setup runs again before each asv sample: no warning
print("ok")
"""


def test_pinning_again_in_the_same_process_is_silent():
    env = dict(os.environ, **{AFFINITY_ENV: "auto", "JAX_PLATFORMS": "cpu"})
    out = subprocess.run([sys.executable, "-c", PIN_TWICE], env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
