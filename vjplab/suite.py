"""Run the asv suite in the current Python environment, labelled with the JAX that is installed.

asv 0.6's ``--python=same`` stamps results with whatever the config's matrix claims. So the main
job writes a derived config (under ``.asv/``, never into the results) whose only matrix entry is
the jax and jaxlib versions imported here, and passes the same versions to every benchmark
process, which refuses to run if it imports anything else. Results go to asv's results
directory; only asv writes there.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import jax
import jaxlib

from vjplab.dashboard.publish import publish as publish_dashboard
from vjplab.grid import GRIDS
from vjplab.selection import combine_with_user_regex, grid_regex
from vjplab.worktree import check_clean

JAX_LABEL_ENV = "VJPLAB_JAX_LABEL"
JAXLIB_LABEL_ENV = "VJPLAB_JAXLIB_LABEL"


def repo_root() -> Path:
    """The directory holding asv.conf.json (the checkout this package was installed from)."""
    for candidate in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[1]):
        if (candidate / "asv.conf.json").is_file():
            return candidate
    raise ValueError("no asv.conf.json found in the current directory, its parents, or beside "
                     "the vjplab package; run from a vjplab checkout")


def read_asv_config(root: Path) -> dict:
    """asv.conf.json allows // comments; strip whole-line comments before parsing."""
    text = (root / "asv.conf.json").read_text()
    return json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))


def installed_labels() -> dict[str, str]:
    """The jax and jaxlib versions this interpreter actually imports."""
    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__}


def resolved_asv_config(root: Path, output_dir: Path | None = None) -> tuple[dict, Path]:
    """asv.conf.json with absolute paths, and the directory for derived configs.

    Derived configs live in ``.asv/``, or in ``output_dir`` when given, in which case results,
    html and env directories go there too (tests use this).
    """
    conf = read_asv_config(root)
    for key in ("repo", "benchmark_dir", "env_dir", "results_dir", "html_dir"):
        conf[key] = str((root / conf[key]).resolve())
    if output_dir is not None:
        output_dir = output_dir.resolve()
        for key, sub in (("env_dir", "env"), ("results_dir", "results"), ("html_dir", "html")):
            conf[key] = str(output_dir / sub)
    config_dir = output_dir or root / ".asv"
    config_dir.mkdir(parents=True, exist_ok=True)
    return conf, config_dir


def current_environment_config(root: Path, output_dir: Path | None = None) -> Path:
    """Write the derived asv config for benchmarking this interpreter; return its path."""
    conf, config_dir = resolved_asv_config(root, output_dir)
    labels = installed_labels()
    # A one-entry matrix: the vjplab-existing environment (vjplab.asv_labelled) checks it
    # against this interpreter, asv stamps it into the results' params (jax, jaxlib), and the
    # env_nobuild labels reach every benchmark process, which checks them again.
    conf["matrix"] = {
        "req": {"jax": [labels["jax"]], "jaxlib": [labels["jaxlib"]]},
        "env_nobuild": {JAX_LABEL_ENV: [labels["jax"]], JAXLIB_LABEL_ENV: [labels["jaxlib"]]},
    }
    conf.pop("include", None)
    conf.pop("exclude", None)
    path = config_dir / "current-environment.conf.json"
    path.write_text(json.dumps(conf, indent=2))
    return path


def run_logged(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    print("$ " + shlex.join(cmd), flush=True)
    subprocess.run(cmd, env=env, cwd=cwd, check=True)


def git_head(root: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                          capture_output=True, text=True).stdout.strip()


def bench_current_environment(grid: str = "default", machine: str | None = None,
                              bench: str | None = None, publish: bool = True,
                              output_dir: Path | None = None, rounds: int | None = None,
                              allow_dirty: bool = False) -> Path:
    """Benchmark this interpreter on ``grid``, save results, publish; return the html index.

    asv runs only the grid's parameter sets (a ``--bench`` regex, vjplab.selection), and of
    those only the ones ``bench`` also matches. Results are labelled with HEAD: ValueError when
    the checkout has uncommitted code, unless ``allow_dirty`` (then a warning is printed).
    """
    if grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r}; allowed: {', '.join(sorted(GRIDS))}")
    selection = combine_with_user_regex(grid_regex(GRIDS[grid]), bench)
    root = repo_root()
    warning = check_clean(root, allow_dirty)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    config = current_environment_config(root, output_dir)
    labels = installed_labels()
    env = dict(os.environ, VJPLAB_GRID=grid)
    asv = [sys.executable, "-m", "asv"]
    machine_args = ["--machine", machine] if machine else []
    started = time.perf_counter()
    run_logged(asv + ["machine", "--yes", "--config", str(config)] + machine_args, env, root)
    run = [sys.executable, "-m", "vjplab.asv_labelled", "run", "--config", str(config),
           "--environment", f"vjplab-existing:{sys.executable}",
           "--set-commit-hash", git_head(root), "--show-stderr", "--bench",
           selection] + machine_args
    if rounds:
        run += ["--attribute", f"rounds={rounds}"]
    print(f"benchmarking jax {labels['jax']} / jaxlib {labels['jaxlib']} on the {grid!r} grid",
          flush=True)
    run_logged(run, env, root)
    print(f"asv run took {time.perf_counter() - started:.0f} s", flush=True)
    conf = json.loads(config.read_text())
    from vjplab.dashboard.run_manifest import record_run  # grid, skips, versions: asv keeps none
    record_run(Path(conf["results_dir"]), run[run.index("--set-commit-hash") + 1], grid,
               bench=bench, rounds=rounds)  # the commit asv labelled (HEAD may have moved)
    html = Path(conf["html_dir"])
    if publish:
        publish_dashboard(config, Path(conf["results_dir"]), html, env=env, cwd=root)
        print(f"dashboard: {html / 'index.html'}  (or: python -m asv preview --config "
              f"{config})", flush=True)
    return html / "index.html"
