"""Record the suite in one asv virtualenv per JAX release of asv.conf.json, incrementally.

For each chosen version, a derived config keeps only that release's ``include`` entry, and
``asv run HEAD^!`` builds vjplab at the current commit into that environment (asv installs the
pinned jax/jaxlib there). A version whose results file for this commit and machine already
exists is skipped. Every benchmark process checks that it imported the labelled JAX.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from vjplab.grid import GRIDS
from vjplab.suite import (git_head, publish_with_history, read_asv_config, repo_root,
                          resolved_asv_config, run_logged)


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


def recorded(results_dir: Path, machine: str, commit: str, version: str) -> bool:
    """True when this machine has a results file for this commit and JAX release."""
    pattern = f"{commit[:8]}-virtualenv-*jax{version}-*.json"
    return any((results_dir / machine).glob(pattern))


def record_versions(versions: list[str] | None = None, grid: str = "default",
                    machine: str | None = None, output_dir: Path | None = None,
                    publish: bool = True) -> list[str]:
    """Run the suite for each chosen release not yet recorded; return the versions run."""
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
        if recorded(Path(conf["results_dir"]), machine, commit, version):
            print(f"{prefix}: already recorded for {commit[:8]} on {machine}; skipped", flush=True)
            continue
        one = dict(conf, matrix={}, include=[release_entries(conf)[version]])
        config = config_dir / f"record-jax{version}.conf.json"
        config.write_text(json.dumps(one, indent=2))
        print(f"{prefix}: creating/updating the environment and running the {grid!r} grid",
              flush=True)
        t0 = time.perf_counter()
        try:
            run_logged(asv + ["run", "--config", str(config), "--machine", machine,
                              "--show-stderr", "--skip-existing",
                              f"{commit}^!"], env, root)
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
        publish_with_history(asv, config_dir / "machine.conf.json", env, root,
                             Path(conf["results_dir"]), Path(conf["html_dir"]))
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
