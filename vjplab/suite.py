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
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jax
import jaxlib

from vjplab.allocator import timing_environ
from vjplab.dashboard.publish import publish as publish_dashboard
from vjplab.dashboard.report_page import PAGE_NAME
from vjplab.dashboard.run_manifest import newest_results_file
from vjplab.grid import GRIDS
from vjplab.measure import fingerprints
from vjplab.asv_machine import ensure_machine_entry
from vjplab.piecewise import Job, format_duration, log_file, run_jobs
from vjplab.pieces import filter_by_regex, grid_param_sets, split_by_family
from vjplab.planted import check_separated, planted_factor
from vjplab.run_journal import RunJournal
from vjplab.run_summary import summary
from vjplab.suite_info import discover_suite
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


def planted_environment(root: Path, output_dir: Path | None, machine: str | None
                        ) -> dict[str, str]:
    """What the benchmark processes of a run with a planted slowdown need (vjplab.planted;
    nothing when none is planted). ValueError when it would write into real results."""
    if planted_factor() == 1.0:
        return {}
    return check_separated(output_dir, machine,
                           real_results_dir=root / read_asv_config(root)["results_dir"])


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

    asv runs only the grid's parameter sets, and of those only the ones ``bench`` also
    matches, one family per ``asv run`` (vjplab.pieces), each saved as it finishes. The
    terminal shows a line per piece; asv's own output goes to a log file. Ctrl-C stops the run
    keeping the finished pieces (RunInterrupted), and the same command resumes it
    (vjplab.run_journal). Results are labelled with HEAD: ValueError when the checkout has
    uncommitted code, unless ``allow_dirty`` (then a warning is printed). RunFailed after
    publishing when some parameter set failed.
    """
    if grid not in GRIDS:
        raise ValueError(f"unknown grid {grid!r}; allowed: {', '.join(sorted(GRIDS))}")
    root = repo_root()
    planted = planted_environment(root, output_dir, machine)
    warning = check_clean(root, allow_dirty)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    sets = filter_by_regex(grid_param_sets(GRIDS[grid], discover_suite(root, grid)), bench)
    if not sets:
        raise ValueError(f"--bench {bench!r} selects none of the {grid!r} grid's parameter sets")
    pieces = split_by_family(sets)
    config = current_environment_config(root, output_dir)
    conf = json.loads(config.read_text())
    results_dir, html = Path(conf["results_dir"]), Path(conf["html_dir"])
    labels = installed_labels()
    commit = git_head(root)
    env = timing_environ(dict(os.environ, VJPLAB_GRID=grid, **planted))
    asv = [sys.executable, "-m", "asv"]
    machine_args = ["--machine", machine] if machine else []
    journal, note = RunJournal.open(config.parent, {
        "commit": commit, "machine": machine, "python": sys.executable, **labels,
        "grid": grid, "bench": bench, "rounds": rounds, "results_dir": str(results_dir),
        "planted_slowdown": planted_factor()})
    if planted:
        print(f"PLANTED SLOWDOWN x{planted_factor():g} (vjplab.planted): every timed call is "
              f"stretched; results go to {results_dir} under machine {machine or 'default'}",
              flush=True)
    todo = [p for p in pieces if not journal.has(p)]
    kept = [p for p in pieces if journal.has(p)]
    log_path = log_file(config.parent, "bench")
    print(f"benchmarking jax {labels['jax']} / jaxlib {labels['jaxlib']} on the {grid!r} grid: "
          f"{len(sets)} parameter sets, one family at a time ({len(pieces)} families)\n"
          f"asv's full log: {log_path}", flush=True)
    if note:
        print(note, flush=True)
    if kept:
        print(f"resuming the run interrupted on {journal.started}: "
              f"{', '.join(p.label for p in kept)} already saved; running the other "
              f"{len(todo)}", flush=True)
    run = [sys.executable, "-m", "vjplab.asv_labelled", "run", "--config", str(config),
           "--environment", f"vjplab-existing:{sys.executable}", "--set-commit-hash", commit,
           "--show-stderr"] + machine_args
    if rounds:
        run += ["--attribute", f"rounds={rounds}"]

    def this_results_file() -> Path | None:
        return newest_results_file(results_dir, commit)

    jobs = [Job(p, run + ["--bench", p.regex], p.label, this_results_file) for p in todo]
    if machine:
        ensure_machine_entry(machine)  # asv alone would save the name only (vjplab.asv_machine)
    with log_path.open("a") as log:
        log.write(f"$ {shlex.join(asv + ['machine', '--yes', '--config', str(config)] + machine_args)}\n")
        log.flush()
        subprocess.run(asv + ["machine", "--yes", "--config", str(config)] + machine_args,
                       env=env, cwd=root, check=True, stdout=log, stderr=subprocess.STDOUT)
        env.update(fingerprint_env(results_dir, asv_machine_name(machine), commit))
        outcome = run_jobs(jobs, env=env, cwd=root, log=log,
                           on_finished=lambda result: journal.add(result.job.piece),
                           sets_before=sum(p.size for p in kept), total_sets=len(sets))
        if outcome.interrupted is not None:
            saved = kept + [r.job.piece for r in outcome.finished]
            print(f"interrupted: {len(saved)} of {len(pieces)} families "
                  f"({sum(p.size for p in saved)} of {len(sets)} parameter sets) are saved in "
                  f"{results_dir}; {outcome.interrupted.label} was cut short. Run the same "
                  f"command to resume. asv's log: {log_path}", flush=True)
            raise RunInterrupted(f"interrupted during {outcome.interrupted.label}")
        journal.complete()
        print(f"asv ran {len(jobs)} pieces in {format_duration(outcome.seconds)}", flush=True)
        check_fingerprint_machine(this_results_file(), env)
        from vjplab.dashboard.run_manifest import record_run  # grid, skips, versions
        record_run(results_dir, commit, grid, bench=bench, rounds=rounds)
        if publish:
            print("publishing the dashboard (asv publish, vjplab's pages, local assets)",
                  flush=True)
            publish_dashboard(config, results_dir, html, env=env, cwd=root, log=log)
    print("\n".join(summary(results_dir, commit, html if publish else None)), flush=True)
    if publish:
        print(f"open {html / PAGE_NAME} (or: python -m asv preview --config {config}, then "
              f"http://127.0.0.1:8080/{PAGE_NAME})", flush=True)
    failed = [name for r in outcome.failed for name in r.counts.failed_names]
    statuses = [r for r in outcome.failed if r.returncode != 0 and not r.counts.failed]
    if failed or statuses:
        shown = "\n  ".join(failed[:10]) + ("\n  ..." if len(failed) > 10 else "")
        raise RunFailed(f"{len(failed)} parameter set(s) failed"
                        + (f":\n  {shown}" if failed else "")
                        + "".join(f"\nasv exited with status {r.returncode} in "
                                  f"{r.job.label}" for r in statuses)
                        + f"\nsee asv's log: {log_path}")
    return html / "index.html"


def asv_machine_name(machine: str | None) -> str:
    """The machine name asv files this run's results under: ``machine`` when given, else the
    one asv 0.6 picks (``asv.machine.MachineCollection.load``): the hostname's entry of
    ~/.asv-machine.json, else its only entry, else the hostname."""
    if machine:
        return machine
    node = platform.uname().node
    try:
        data = json.loads(Path("~/.asv-machine.json").expanduser().read_text())
    except (OSError, ValueError):
        return node
    entries = {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) \
        else {}
    if node in entries:
        return str(entries[node].get("machine", node))
    if len(entries) == 1:
        return str(next(iter(entries.values())).get("machine", node))
    return node


def fingerprint_env(results_dir: Path, machine: str, commit: str) -> dict[str, str]:
    """What the benchmark processes need to write program fingerprints beside the results
    (vjplab.measure.fingerprints): the machine's sidecar directory and the commit."""
    return {fingerprints.DIR_ENV: str(fingerprints.fingerprints_root(results_dir) / machine),
            fingerprints.COMMIT_ENV: commit}


def check_fingerprint_machine(results_file: Path | None, env: dict[str, str]) -> None:
    """One line when asv filed the results under another machine than the fingerprints."""
    if results_file is None:
        return
    where = Path(env.get(fingerprints.DIR_ENV, ""))
    if where.name and where.name != results_file.parent.name:
        print(f"program fingerprints went to {where}, but asv filed the results under machine "
              f"{results_file.parent.name!r}: the history report will not find them (pass "
              f"--machine)", file=sys.stderr, flush=True)


class RunInterrupted(Exception):
    """Ctrl-C stopped the run; what asv saved is kept (the message says where it stopped)."""


class RunFailed(RuntimeError):
    """The run finished, but some parameter set failed or asv reported an error."""
