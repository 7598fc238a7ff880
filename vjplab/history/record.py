"""Record the suite in one asv virtualenv per JAX release of asv.conf.json, incrementally.

For each chosen version, a derived config keeps only that release's ``include`` entry, and
``asv run HEAD^!`` builds vjplab at the current commit into that environment (asv installs the
pinned jax/jaxlib there), running only the grid's parameter sets (a ``--bench`` regex,
vjplab.selection). A version is done when its results file for this commit and machine holds a
result for every parameter set of the grid (vjplab.history.completeness); otherwise only the
missing ones run, and asv merges them into the file. Every benchmark process checks that it
imported the labelled JAX.
"""

from __future__ import annotations

import json
import os
import re
import platform
import subprocess
import sys
import time
from pathlib import Path

from vjplab.grid import GRIDS
from vjplab.history.completeness import missing_parameter_sets, stored_values, suite_benchmarks
from vjplab.selection import grid_regex, names_regex, param_set_name
from vjplab.dashboard.publish import publish as publish_dashboard
from vjplab.suite import (git_head, read_asv_config, repo_root, resolved_asv_config,
                          run_logged)


def release_entries(conf: dict) -> dict[str, dict]:
    """JAX version -> its ``include`` entry of asv.conf.json."""
    return {entry["req"]["jax"]: entry for entry in conf.get("include", [])
            if entry.get("req", {}).get("jax")}


def choose_versions(conf: dict, versions: list[str] | None) -> list[str]:
    available = list(release_entries(conf))
    if not versions:
        return available
    unknown = [v for v in versions if v not in available]
    if unknown:
        raise ValueError(f"JAX version(s) {', '.join(unknown)} not in asv.conf.json; allowed: "
                         f"{', '.join(available)} (add an include entry to add a release)")
    return versions


def results_file(results_dir: Path, machine: str, commit: str, version: str) -> Path | None:
    """This machine's results file for this commit and JAX release, if any."""
    pattern = f"{commit[:8]}-virtualenv-*jax{version}-*.json"
    return next(iter(sorted((results_dir / machine).glob(pattern))), None)


def selection_to_run(results_dir: Path, machine: str, commit: str, version: str,
                     grid: str) -> tuple[str | None, list[str]]:
    """The ``--bench`` regex of what is still to run for this release (None: nothing), and
    the names of the missing parameter sets (empty when nothing was recorded yet)."""
    path = results_file(results_dir, machine, commit, version)
    benchmarks_json = results_dir / "benchmarks.json"
    if path is None or not benchmarks_json.is_file():
        return grid_regex(GRIDS[grid]), []
    missing = missing_parameter_sets(GRIDS[grid], suite_benchmarks(benchmarks_json),
                                     stored_values(path))
    if not missing:
        return None, []
    regex = names_regex((re.escape(name), values) for name, values in missing)
    return regex, [param_set_name(name, values) for name, values in missing]


def record_versions(versions: list[str] | None = None, grid: str = "default",
                    machine: str | None = None, output_dir: Path | None = None,
                    publish: bool = True) -> list[str]:
    """Run the suite for each chosen release whose results lack some of the grid's parameter
    sets (only those run); return the versions run."""
    if grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r}; allowed: {', '.join(sorted(GRIDS))}")
    root = repo_root()
    chosen = choose_versions(read_asv_config(root), versions)
    conf, config_dir = resolved_asv_config(root, output_dir)
    env = dict(os.environ, VJPLAB_GRID=grid)
    asv = [sys.executable, "-m", "asv"]
    machine = machine or platform.node()
    _ensure_machine(asv, config_dir, conf, env, root, machine)
    commit = git_head(root)
    started, ran, failed = time.perf_counter(), [], []
    for index, version in enumerate(chosen, 1):
        prefix = f"[{index}/{len(chosen)}] jax {version}"
        selection, missing = selection_to_run(Path(conf["results_dir"]), machine, commit,
                                              version, grid)
        if selection is None:
            print(f"{prefix}: already recorded for {commit[:8]} on {machine} (every parameter "
                  f"set of the {grid!r} grid); skipped", flush=True)
            continue
        if missing:
            shown = "\n  ".join(missing[:10]) + ("\n  ..." if len(missing) > 10 else "")
            print(f"{prefix}: {len(missing)} parameter set(s) of the {grid!r} grid have no "
                  f"result for {commit[:8]} on {machine}; re-running only these:\n  {shown}",
                  flush=True)
        one = dict(conf, matrix={}, include=[release_entries(conf)[version]])
        config = config_dir / f"record-jax{version}.conf.json"
        config.write_text(json.dumps(one, indent=2))
        print(f"{prefix}: creating/updating the environment and running the {grid!r} grid",
              flush=True)
        t0 = time.perf_counter()
        try:
            run_logged(asv + ["run", "--config", str(config), "--machine", machine,
                              "--show-stderr", "--bench", selection, f"{commit}^!"], env, root)
        except subprocess.CalledProcessError as exc:
            # asv exits non-zero when an environment cannot be built or a benchmark failed;
            # what it could record is saved, and the next release still runs.
            failed.append(version)
            print(f"{prefix}: asv exited with status {exc.returncode} (see its output above)",
                  flush=True)
        ran.append(version)
        print(f"{prefix}: done in {time.perf_counter() - t0:.0f} s "
              f"(total {time.perf_counter() - started:.0f} s)", flush=True)
    print(f"recorded {len(ran)} of {len(chosen)} JAX versions in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    if publish:
        publish_dashboard(config_dir / "machine.conf.json", Path(conf["results_dir"]),
                          Path(conf["html_dir"]), env=env, cwd=root)
    if failed:
        raise RecordError(f"asv reported failures for JAX {', '.join(failed)}")
    return ran


class RecordError(RuntimeError):
    """Some release could not be (fully) recorded."""


def _ensure_machine(asv: list[str], config_dir: Path, conf: dict, env: dict, root: Path,
                    machine: str) -> None:
    """Make sure asv knows this machine (non-interactively: asv machine --yes)."""
    config = config_dir / "machine.conf.json"
    config.write_text(json.dumps(conf))
    run_logged(asv + ["machine", "--yes", "--machine", machine, "--config", str(config)], env,
               root)
