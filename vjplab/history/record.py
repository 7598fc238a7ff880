"""Record the suite in one asv virtualenv per JAX release of asv.conf.json, incrementally.

For each chosen version, a derived config keeps only that release's ``include`` entry, and
``asv run HEAD^!`` builds vjplab at the current commit into that environment (asv installs the
pinned jax/jaxlib there), running only the grid's parameter sets, one family per ``asv run``
(vjplab.pieces: each is saved as it finishes, so Ctrl-C keeps them). A version is done when its results file for this commit and machine holds a
result for every parameter set of the grid (vjplab.history.completeness); otherwise only the
missing ones run, and asv merges them into the file. Every benchmark process checks that it
imported the labelled JAX.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, TextIO

from vjplab.allocator import timing_environ
from vjplab.dashboard.publish import publish as publish_dashboard
from vjplab.grid import GRIDS
from vjplab.history.completeness import (ParamSet, missing_parameter_sets, stored_values,
                                         suite_benchmarks)
from vjplab.piecewise import Job, JobResult, log_file, run_jobs
from vjplab.pieces import grid_param_sets, in_families, split_by_family
from vjplab.selection import grid_regex, names_regex, param_set_name
from vjplab.suite import (RunInterrupted, fingerprint_env, git_head, planted_environment,
                          read_asv_config, repo_root, resolved_asv_config)
from vjplab.suite_info import discover_suite


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


def param_sets_to_run(results_dir: Path, machine: str, commit: str, version: str, grid: str,
                      suite: Iterable[str]) -> tuple[list[ParamSet], bool]:
    """The parameter sets still to run for this release, and whether the release was partly
    recorded already (then they are the missing ones; else the whole grid of ``suite``)."""
    path = results_file(results_dir, machine, commit, version)
    benchmarks_json = results_dir / "benchmarks.json"
    if path is None or not benchmarks_json.is_file():
        return grid_param_sets(GRIDS[grid], suite), False
    return missing_parameter_sets(GRIDS[grid], suite_benchmarks(benchmarks_json),
                                  stored_values(path)), True


def selection_to_run(results_dir: Path, machine: str, commit: str, version: str,
                     grid: str) -> tuple[str | None, list[str]]:
    """The ``--bench`` regex of what is still to run for this release (None: nothing), and
    the names of the missing parameter sets (empty when nothing was recorded yet)."""
    path = results_file(results_dir, machine, commit, version)
    if path is None or not (results_dir / "benchmarks.json").is_file():
        return grid_regex(GRIDS[grid]), []
    sets, _ = param_sets_to_run(results_dir, machine, commit, version, grid, ())
    if not sets:
        return None, []
    regex = names_regex((re.escape(name), values) for name, values in sets)
    return regex, [param_set_name(name, values) for name, values in sets]


def record_versions(versions: list[str] | None = None, grid: str = "default",
                    machine: str | None = None, output_dir: Path | None = None,
                    publish: bool = True, families: list[str] | None = None) -> list[str]:
    """Run the suite for each chosen release whose results lack some of the grid's parameter
    sets (only those run); return the versions run. ``families``: a shard of the grid (those
    families' parameter sets only; ValueError names the grid's families).

    Each release runs one family at a time (vjplab.pieces), asv's output going to a log file;
    Ctrl-C stops the whole record keeping every finished piece (RunInterrupted), and the same
    command goes on with what is missing. RecordError when asv reported failures.
    """
    if grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r}; allowed: {', '.join(sorted(GRIDS))}")
    if families is not None:
        families = GRIDS[grid].check_families(families)
    root = repo_root()
    planted = planted_environment(root, output_dir, machine)
    chosen = choose_versions(read_asv_config(root), versions)
    conf, config_dir = resolved_asv_config(root, output_dir)
    results_dir = Path(conf["results_dir"])
    env = timing_environ(dict(os.environ, VJPLAB_GRID=grid, **planted))
    asv = [sys.executable, "-m", "asv"]
    machine = machine or platform.node()
    commit = git_head(root)
    env.update(fingerprint_env(results_dir, machine, commit))  # vjplab.measure.fingerprints
    suite = list(discover_suite(root, grid))
    log_path = log_file(config_dir, "record")
    shard = f" (families {', '.join(families)})" if families else ""
    scope = f"the {grid!r} grid{shard}"  # a shard's messages speak of the shard
    print(f"recording {scope} for {len(chosen)} JAX release(s) on {machine}, "
          f"one family at a time; asv's full log: {log_path}", flush=True)
    jobs: list[Job] = []
    total_sets = 0
    for index, version in enumerate(chosen, 1):
        prefix = f"[jax {index}/{len(chosen)}] {version}"
        sets, partial = param_sets_to_run(results_dir, machine, commit, version, grid, suite)
        sets = in_families(sets, families)
        if not sets:
            print(f"{prefix}: already recorded for {commit[:8]} on {machine}: every parameter "
                  f"set of {scope}; skipped", flush=True)
            continue
        if partial:
            names = [param_set_name(name, values) for name, values in sets]
            shown = "\n  ".join(names[:10]) + ("\n  ..." if len(names) > 10 else "")
            print(f"{prefix}: {len(sets)} parameter set(s) of {scope} have no "
                  f"result for {commit[:8]} on {machine}; re-running only these:\n  {shown}",
                  flush=True)
        one = dict(conf, matrix={}, include=[release_entries(conf)[version]])
        config = config_dir / f"record-jax{version}.conf.json"
        config.write_text(json.dumps(one, indent=2))
        run = asv + ["run", "--config", str(config), "--machine", machine, "--show-stderr"]
        jobs += [Job(piece, run + ["--bench", piece.regex, f"{commit}^!"],
                     f"jax {version} {piece.label}",
                     functools.partial(results_file, results_dir, machine, commit, version),
                     group=version)
                 for piece in split_by_family(sets)]
        total_sets += len(sets)
    broken: dict[str, str] = {}

    def note_broken(result: JobResult) -> None:
        """A release whose environment asv cannot build stores nothing: skip its other pieces."""
        if result.returncode != 0 and not (result.counts.measured or result.counts.skipped):
            broken.setdefault(result.job.group, f"asv exited with status {result.returncode} "
                                                 f"and stored nothing")

    started = time.perf_counter()
    with log_path.open("a") as log:
        if jobs:
            _ensure_machine(asv, config_dir, conf, env, root, machine, log)
        outcome = run_jobs(jobs, env=env, cwd=root, log=log, on_finished=note_broken,
                           skip=lambda job: broken.get(job.group), total_sets=total_sets)
        if outcome.interrupted is not None:
            print(f"interrupted: {len(outcome.finished)} of {len(jobs)} pieces "
                  f"({outcome.sets_done} of {total_sets} parameter sets) are saved in "
                  f"{results_dir}; {outcome.interrupted.label} was cut short. Run the same "
                  f"command to record what is missing. asv's log: {log_path}", flush=True)
            raise RunInterrupted(f"interrupted during {outcome.interrupted.label}")
        ran = sorted({job.group for job in jobs}, key=chosen.index)
        failed = sorted({r.job.group for r in outcome.failed} | set(broken), key=chosen.index)
        print(f"recorded {len(ran)} of {len(chosen)} JAX versions in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        if publish:
            print("publishing the dashboard (asv publish, vjplab's pages, local assets)",
                  flush=True)
            publish_dashboard(config_dir / "machine.conf.json", results_dir,
                              Path(conf["html_dir"]), env=env, cwd=root, log=log)
    if failed:
        raise RecordError(f"asv reported failures for JAX {', '.join(failed)}; see asv's log: "
                          f"{log_path}")
    return ran


class RecordError(RuntimeError):
    """Some release could not be (fully) recorded."""


def _ensure_machine(asv: list[str], config_dir: Path, conf: dict, env: dict, root: Path,
                    machine: str, log: TextIO) -> None:
    """Make sure asv knows this machine (non-interactively: asv machine --yes)."""
    from vjplab.asv_machine import ensure_machine_entry

    ensure_machine_entry(machine)  # asv alone would save the name only (vjplab.asv_machine)
    config = config_dir / "machine.conf.json"
    config.write_text(json.dumps(conf))
    cmd = asv + ["machine", "--yes", "--machine", machine, "--config", str(config)]
    log.write(f"$ {shlex.join(cmd)}\n")
    log.flush()
    subprocess.run(cmd, env=env, cwd=root, check=True, stdout=log, stderr=subprocess.STDOUT)
