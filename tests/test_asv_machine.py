"""vjplab.asv_machine: a named machine's entry in asv's machine file carries this host's facts
(asv 0.6 alone saves the name only on a fresh host)."""

from __future__ import annotations

import json
import subprocess
import sys

from vjplab.asv_machine import FACTS, ensure_machine_entry
from vjplab.suite import repo_root


def test_asv_alone_saves_only_the_name_on_a_fresh_host(tmp_path):
    """The asv behaviour this module exists for: if asv fixes it, the module can go."""
    subprocess.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", "fresh",
                    "--config", str(repo_root() / "asv.conf.json")], cwd=tmp_path,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, capture_output=True,
                   timeout=120)
    stored = json.loads((tmp_path / ".asv-machine.json").read_text())
    assert stored["fresh"] == {"machine": "fresh"}


def test_a_new_entry_gets_every_fact_and_asv_keeps_them(tmp_path):
    path = tmp_path / ".asv-machine.json"
    entry = ensure_machine_entry("gpu-x", path)
    assert entry["machine"] == "gpu-x" and all(entry[field] for field in FACTS), entry
    assert int(entry["num_cpu"]) >= 1 and int(entry["ram"]) > 0
    subprocess.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", "gpu-x",
                    "--config", str(repo_root() / "asv.conf.json")], cwd=tmp_path,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, capture_output=True,
                   timeout=120, check=True)
    assert json.loads(path.read_text())["gpu-x"] == entry  # asv machine --yes kept them


def test_facts_already_there_are_kept(tmp_path):
    path = tmp_path / ".asv-machine.json"
    path.write_text(json.dumps({"m": {"machine": "m", "cpu": "my own words"},
                                "other": {"machine": "other"}, "version": 1}))
    entry = ensure_machine_entry("m", path)
    assert entry["cpu"] == "my own words" and entry["arch"] and entry["ram"]
    stored = json.loads(path.read_text())
    assert stored["other"] == {"machine": "other"}  # other machines untouched
    before = path.read_text()
    assert ensure_machine_entry("m", path) == entry and path.read_text() == before  # complete
