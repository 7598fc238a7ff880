"""vjplab.allocator: timing processes find glibc's malloc in one state (no per-process modes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vjplab import allocator

ROOT = Path(__file__).resolve().parents[1]
#: 4 KiB pages of the 8 MB float64 output: what a call faults when the output is mapped afresh.
OUTPUT_PAGES = 1_000_000 * 8 // 4096

#: One fresh pinned process: smoothness_1d's hand-written gradient at N = 1e6 in float64 (an
#: 8 MB output per call); prints minor page faults per call over 100 warm calls.
FAULTS_PER_CALL = """
import json, resource
from vjplab.allocator import settle_in_process
from vjplab.cpu_affinity import pin_for_timing
from vjplab.x64 import enter
state = settle_in_process(); pin_for_timing(); enter("float64")
from vjplab.prepared import prepare
p = prepare("smoothness_1d", "exact", 1_000_000, 1, "float64")
for _ in range(10):
    p.call()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(100):
    p.call()
after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
print(json.dumps({"faults_per_call": (after - before) / 100, "state": state}))
"""


def test_timing_environ_adds_the_settings_and_keeps_other_tunables():
    env = allocator.timing_environ({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0", "A": "b"})
    assert env["A"] == "b" and env["MALLOC_ARENA_MAX"] == "1"
    assert env["GLIBC_TUNABLES"].split(":") == ["glibc.malloc.tcache_count=0",
                                                "glibc.malloc.hugetlb=1"]
    assert allocator.started_settled(env)
    assert not allocator.started_settled({})


def test_default_mode_leaves_the_environment_alone():
    base = {"VJPLAB_ALLOCATOR": "default"}
    assert allocator.timing_environ(base) == base
    assert "defaults" in allocator.describe_for_run(base)


def test_unknown_mode_names_the_allowed_values():
    with pytest.raises(ValueError, match="'settled', 'default'"):
        allocator.timing_environ({"VJPLAB_ALLOCATOR": "jemalloc"})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_settled_processes_do_not_page_fault_their_output_every_call():
    """With glibc's defaults about half of such processes page-fault the 8 MB output afresh on
    every call (1954 faults a call, 12x slower); settled, none of four may."""
    env = allocator.timing_environ(dict(os.environ, VJPLAB_CPU_AFFINITY="auto"))
    env.pop("VJPLAB_ALLOCATOR", None)
    assert_no_fault_per_call(env, processes=4, state="settled at start-up")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_a_process_started_without_the_settings_settles_at_run_time():
    """``asv run`` by hand: the benchmark process applies mallopt itself before computing."""
    env = {k: v for k, v in os.environ.items()
           if k not in allocator.ALLOCATOR_ENV and k not in ("GLIBC_TUNABLES", "VJPLAB_ALLOCATOR")}
    assert_no_fault_per_call(env, processes=3, state="settled at run time")


def assert_no_fault_per_call(env: dict[str, str], processes: int, state: str) -> None:
    """In each of ``processes`` fresh processes started with ``env``: the allocator stands as
    ``state`` says and the output is not page-faulted afresh on every call."""
    for _ in range(processes):
        out = subprocess.run([sys.executable, "-c", FAULTS_PER_CALL], capture_output=True,
                             text=True, timeout=300, cwd=ROOT, env=env)
        assert out.returncode == 0, out.stderr[-3000:]
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        assert measured["state"].startswith(state), measured
        assert measured["faults_per_call"] < OUTPUT_PAGES / 4, measured
