"""``vjplab bisect``: narrow a flagged step between two JAX releases down to its first release.

``asv find``, but over JAX releases instead of commits. Given one parameter set of one
benchmark (vjplab.history.bisect_target) and two releases of asv.conf.json's matrix (``--from``
older, ``--to`` newer):

1. **Releases.** The releases strictly between the two come from the registry
   (vjplab.history.pypi: version order, pre-releases and yanked ones left out, and those
   without a jaxlib wheel of the same version for the environment's Python here), or from
   ``--releases`` when given. Every one left out is named with the reason.
2. **Environments.** Each release gets a derived asv config, ``<bisect dir>/bisect-jax<V>
   .conf.json``, with one ``include`` entry of asv.conf.json's shape (pins jax and jaxlib,
   setuptools and wheel; ``VJPLAB_JAX_LABEL``/``VJPLAB_JAXLIB_LABEL`` in ``env_nobuild``, so
   every benchmark process checks the JAX it imports): the endpoints' own entries, and for a
   release in between the ``--to`` entry with its three version strings replaced. The bisect
   directory (default ``.asv/bisect``, or ``--output-dir``) has its own ``env/``, ``results/``
   and ``html/``: bisect results are not history points, and asv.conf.json is never rewritten.
   Nothing is ever deleted.
3. **Runs.** For each release one ``asv run HEAD^!`` (vjplab.piecewise: a progress line, asv's
   output in ``<bisect dir>/logs/``, Ctrl-C stops it keeping what asv saved) whose ``--bench``
   regex (vjplab.selection) selects exactly the parameter set, plus, unless the benchmark is
   itself one of ``bench_program``'s, ONE ``track_hlo_*`` parameter set of the same family:
   selecting it runs bench_program's ``setup_cache``, which writes the program fingerprints
   of the family's grid (the sidecar beside the results, vjplab.measure.fingerprints), so the
   boundary can say whether XLA compiled the same program. The processes run with the grid
   (``--grid``; by default ``default`` when it runs the parameter set, else the smallest grid
   that does, ``choose_grid``) restricted to the family. A release whose results file
   already holds a value for the parameter set at this commit and machine is not run again
   (so a bisect cut short by Ctrl-C goes on where it stopped). A release that cannot be
   installed, or stores no value, is skipped with a message and the search goes on.
4. **Search** (vjplab.history.bisect_search): both endpoints first, then a binary search
   classifying ``last good -> probe`` with the history report's rule of the benchmark's kind
   (vjplab.history.steps.classify, ``--threshold`` as in ``vjplab history``). Exit status 2
   when the endpoints do not reproduce the regression.
5. **Output.** A line per probe (release, value, ratio to the ``--from`` value,
   classification), then ``first slower release: 0.7.0 (0.6.2 -> 0.7.0: x1.8, same program)``
   with the fingerprint verdict of the boundary (vjplab.history.programs.program_note), and a
   verdict file ``<bisect dir>/verdicts/<slug>.json`` (schema: vjplab.history.bisect_output;
   an existing file is never overwritten: ``-2``, ``-3``, ... are added), which the history's
   regression page reads (vjplab.history.bisects).
"""

from __future__ import annotations

import functools
import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from vjplab.allocator import timing_environ
from vjplab.grid import GRIDS, SWEEP_KINDS
from vjplab.history.bisect_output import (final_line, probe_line, unit_in, verdict_record,
                                          verdict_slug, write_verdict)
from vjplab.history.bisect_search import Probe, SearchOutcome, search
from vjplab.history.bisect_target import Target, parse_target
from vjplab.history.programs import program_note
from vjplab.history.pypi import list_releases_between
from vjplab.history.record import _ensure_machine, release_entries, results_file
from vjplab.history.results import Measurement, load_results
from vjplab.history.steps import RULES, Rules, classify, newest_by
from vjplab.history.versions import sort_versions, version_key
from vjplab.piecewise import Job, log_file, run_jobs
from vjplab.pieces import ParamSet, Piece, grid_param_sets
from vjplab.suite import (RunInterrupted, fingerprint_env, git_head, planted_environment,
                          read_asv_config, repo_root, resolved_asv_config)

#: where a bisect keeps its configs, environments, results, logs and verdicts (under the repo)
DEFAULT_DIR = Path(".asv") / "bisect"
#: the count whose setup_cache writes the fingerprints (any bench_program benchmark would do)
TRIGGER_METHOD = "track_hlo_fusions"


def endpoint_entries(conf: dict, low: str, high: str) -> tuple[dict, dict]:
    """The include entries of the two endpoints; ValueError names the allowed releases."""
    entries = release_entries(conf)
    allowed = sort_versions(entries)
    for flag, version in (("--from", low), ("--to", high)):
        if version not in entries:
            raise ValueError(f"{flag} {version}: not a JAX release of asv.conf.json's matrix; "
                             f"allowed: {', '.join(allowed)}")
    if not version_key(low) < version_key(high):
        raise ValueError(f"--from {low} must be an older release than --to {high}")
    return entries[low], entries[high]


def release_entry(template: dict, version: str) -> dict:
    """An include entry of asv.conf.json's shape for ``version``: ``template``'s, with jax,
    jaxlib and the two labels set to ``version``, and without the sparse libraries below the
    JAX asdex requires (asv.conf.json installs them only from there on; pip could not)."""
    from vjplab.sparse.libraries import LIBRARIES, MINIMUM_JAX

    entry = json.loads(json.dumps(template))
    entry.setdefault("req", {}).update({"jax": version, "jaxlib": version})
    if version_key(version) < version_key(MINIMUM_JAX["asdex"]):
        for library in LIBRARIES:
            entry["req"].pop(library, None)
    entry.setdefault("env_nobuild", {}).update(
        {"VJPLAB_JAX_LABEL": version, "VJPLAB_JAXLIB_LABEL": version})
    return entry


def check_releases(given: list[str], low: str, high: str) -> list[str]:
    """``--releases``: in version order; ValueError for one outside (low, high)."""
    outside = [v for v in given if not version_key(low) < version_key(v) < version_key(high)]
    if outside:
        raise ValueError(f"--releases {', '.join(outside)}: not strictly between --from {low} "
                         f"and --to {high}")
    return sort_versions(given)


def grids_running(target: Target) -> list[str]:
    """The grids whose processes run the parameter set (a grid's others skip in setup)."""
    return [g for g in sorted(GRIDS)
            if (target.benchmark, target.values)
            in grid_param_sets(GRIDS[g], [target.benchmark])]


def choose_grid(target: Target, grid: str | None) -> str:
    """The grid the processes run under: ``grid`` when given (ValueError when it does not run
    the parameter set, naming those that do), else ``default`` when it runs it, else the grid
    that runs it with the fewest combinations of its family (the fingerprint sweep of the
    family is then the cheapest); ValueError when no grid runs it."""
    running = grids_running(target)
    if grid is not None:
        if grid not in GRIDS:
            raise ValueError(f"unknown grid {grid!r}; allowed: {', '.join(sorted(GRIDS))}")
        if grid not in running:
            raise ValueError(f"the {grid!r} grid does not run {target.short_name}; grids that "
                             f"do: {', '.join(running) or 'none'} (--grid)")
        return grid
    if not running:
        raise ValueError(f"no grid runs {target.short_name} (vjplab.grid.GRIDS): it would skip "
                         f"in every process")
    if "default" in running:
        return "default"
    family = target.params.get("family")

    def size(name: str) -> int:
        chosen = GRIDS[name]
        if family is not None:
            chosen = chosen.restricted_to([family])
        return sum(1 for kind in SWEEP_KINDS for _ in chosen.sweep(kind).combinations())

    return min(running, key=lambda name: (size(name), name))


def fingerprint_trigger(target: Target, suite: Mapping[str, dict], grid: str
                        ) -> ParamSet | None:
    """One ``bench_program`` parameter set of the target's family that ``grid`` runs (the same
    values when it has them), whose setup_cache writes the fingerprints; None when the target
    is a bench_program benchmark itself or the grid has none for the family."""
    if target.benchmark.startswith("bench_program."):
        return None
    family = target.params.get("family")
    programs = sorted((b for b in suite if b.startswith("bench_program.")),
                      key=lambda b: (not b.endswith("." + TRIGGER_METHOD), b))
    for benchmark in programs:
        names = suite[benchmark].get("param_names") or []
        sets = [(b, values) for b, values in grid_param_sets(GRIDS[grid], [benchmark])
                if dict(zip(names, values)).get("family") == family]
        same = [s for s in sets if tuple(names) == target.param_names and s[1] == target.values]
        if same or sets:
            return (same or sets)[0]
    return None


def stored_measurement(results_dir: Path, machine: str, commit: str, version: str,
                       target: Target) -> Measurement | None:
    """The newest value stored for the parameter set of release ``version`` at ``commit`` on
    ``machine`` in ``results_dir`` (None when there is none; NaN values are returned)."""
    if not results_dir.is_dir():
        return None
    found = [m for m in load_results(results_dir).measurements
             if m.machine == machine and m.commit == commit and m.jax == version
             and m.benchmark == target.benchmark and m.params == target.reprs]
    return newest_by(found, lambda m: 0).get(0)


@dataclass
class BisectResult:
    outcome: SearchOutcome
    verdict_file: Path
    results_dir: Path

    @property
    def exit_code(self) -> int:
        return 0 if self.outcome.reproduced else 2


def run_bisect(words: list[str], low: str, high: str, machine: str | None = None,
               output_dir: Path | None = None, rules: Rules = RULES, grid: str | None = None,
               releases: list[str] | None = None, rounds: int | None = None) -> BisectResult:
    """Bisect the parameter set ``words`` between releases ``low`` and ``high`` (module
    docstring); ``rounds``: asv's rounds (processes) per parameter set instead of the
    benchmark's own (time_vjp: 3), for a steadier value on a noisy machine. ValueError on bad
    input, RunInterrupted at Ctrl-C (what asv saved is kept),
    vjplab.history.pypi.RegistryError when the releases cannot be listed."""
    from vjplab.suite_info import discover_suite

    if rounds is not None and rounds < 1:
        raise ValueError(f"--rounds {rounds}: allowed: a number of rounds >= 1")
    root = repo_root()
    conf_file = read_asv_config(root)
    low_entry, high_entry = endpoint_entries(conf_file, low, high)
    suite = discover_suite(root, grid or "default")  # the parameters are every grid's
    target = parse_target(words, suite)
    grid = choose_grid(target, grid)
    if releases is not None:
        between = check_releases(releases, low, high)
        print(f"releases between {low} and {high} (--releases): {', '.join(between) or 'none'}",
              flush=True)
    else:
        between, left_out = list_releases_between(low, high, str(high_entry.get("python",
                                                                                "3.11")))
        print(f"releases between {low} and {high} (registry): {', '.join(between) or 'none'}",
              flush=True)
        for version, why in left_out:
            print(f"  not tried: {version} ({why})", flush=True)
    # the bisect directory is made only once the releases are known (offline: nothing made)
    bisect_dir = (output_dir or root / DEFAULT_DIR).resolve()
    conf, config_dir = resolved_asv_config(root, bisect_dir)
    results_dir = Path(conf["results_dir"])
    machine = machine or platform.node()
    commit = git_head(root)
    entries = {low: low_entry, high: high_entry,
               **{v: release_entry(high_entry, v) for v in between}}
    trigger = fingerprint_trigger(target, suite, grid)
    sets = [(target.benchmark, target.values)] + ([trigger] if trigger else [])
    piece = Piece(str(target.params.get("family", target.kind)), tuple(sets))
    family = target.params.get("family")
    env = timing_environ(dict(os.environ, VJPLAB_GRID=grid,
                                **planted_environment(root, bisect_dir, machine)))
    env.update(fingerprint_env(results_dir, machine, commit))
    if family:
        env.update(piece.env)  # its family and dimensions: the shared setup_cache's scope
    asv = [sys.executable, "-m", "asv"]
    log_path = log_file(config_dir, "bisect")
    print(f"bisecting {target.short_name} on {machine}, {low} -> {high}, in {bisect_dir} "
          f"(commit {commit[:8]}, {grid!r} grid); asv's full log: {log_path}", flush=True)
    if trigger:
        print(f"each release also runs {trigger[0].rsplit('.', 1)[-1]}"
              f"{tuple(trigger[1])!r}: it writes the program fingerprints", flush=True)
    extra = ["--attribute", f"rounds={rounds}"] if rounds else []
    machine_known = False
    with log_path.open("a") as log:

        def measure(version: str) -> Measurement | str:
            nonlocal machine_known
            stored = stored_measurement(results_dir, machine, commit, version, target)
            if stored is not None and stored.measured:
                print(f"[jax {version}] stored at {commit[:8]} in {results_dir}: not run again",
                      flush=True)
                return stored
            config = config_dir / f"bisect-jax{version}.conf.json"
            config.write_text(json.dumps(dict(conf, matrix={}, include=[entries[version]]),
                                         indent=2))
            if not machine_known:
                _ensure_machine(asv, config_dir, conf, env, root, machine, log)
                machine_known = True
            job = Job(piece, asv + ["run", "--config", str(config), "--machine", machine,
                                    "--show-stderr", "--bench", piece.regex, *extra,
                                    f"{commit}^!"],
                      f"jax {version}",
                      functools.partial(results_file, results_dir, machine, commit, version),
                      group=version)
            run = run_jobs([job], env=env, cwd=root, log=log)
            if run.interrupted is not None:
                print(f"interrupted during jax {version}; the releases measured so far are "
                      f"saved in {results_dir}: the same command goes on from there. asv's "
                      f"log: {log_path}", flush=True)
                raise RunInterrupted(f"interrupted during jax {version}")
            got = stored_measurement(results_dir, machine, commit, version, target)
            if got is not None and got.measured:
                return got
            result = run.finished[0]
            if result.returncode != 0 and not (result.counts.measured or result.counts.skipped):
                return (f"could not be installed or run (asv exited with status "
                        f"{result.returncode}, stored nothing; see {log_path})")
            return f"no value stored (failed or skipped in setup; see {log_path})"

        reference: list[Measurement] = []

        def show(probe: Probe) -> None:
            if not reference and probe.measurement is not None and probe.against is None:
                reference.append(probe.measurement)
            print(probe_line(probe, reference[0] if reference else None,
                             unit_in(results_dir, target.benchmark)), flush=True)

        outcome = search([low, *between, high], measure,
                         lambda a, b: classify(target.benchmark, a, b, rules), on_probe=show)
    note = None
    if outcome.reproduced and outcome.first_slower is not None:
        results = load_results(results_dir)
        note = program_note(results, target.benchmark, target.reprs,
                            outcome.measurement(outcome.last_good),
                            outcome.measurement(outcome.first_slower))
    print(final_line(outcome, note), flush=True)
    if note is not None:
        print(f"  program at the boundary: {note.text}", flush=True)
    record = verdict_record(target, machine, low, high, outcome, note, results_dir)
    path = write_verdict(bisect_dir / "verdicts", verdict_slug(machine, target, low, high),
                         record)
    print(f"verdict: {path}", flush=True)
    return BisectResult(outcome, path, results_dir)
