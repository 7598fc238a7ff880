"""The reference machine's history that ships with vjplab, read beside the user's own results.

vjplab's checkout carries asv results of every JAX release of ``asv.conf.json`` recorded on
one machine (``REFERENCE_MACHINE``), so that the history page has a series over releases right
after a first ``vjplab bench`` of one release, and the run report can set "your run" beside the
reference machine's same release. Layout, under ``<checkout>/results/reference/``:

* ``results/``: an asv results directory (``benchmarks.json``, ``<machine>/machine.json``,
  ``<machine>/<commit8>-<env>.json``, one per JAX release);
* ``fingerprints/<machine>/...``: the program-fingerprint sidecars, where
  vjplab.measure.fingerprints looks for them (``<results_dir>/../fingerprints``);
* ``MACHINE.md``: a note of the machine and how it was recorded; its ``Summary:`` line is the
  short description the pages show.

**Where it is looked for**: ``VJPLAB_REFERENCE_DIR`` when set (a directory, or ``off`` to
leave the reference out), else ``results/reference`` in the checkout that holds
``asv.conf.json`` (vjplab.suite.repo_root). When it is absent (a user deleted it), everything
works without it and the history says so in one note.

**Read, never written**: normal commands never write into it, and never copy it into the
user's asv results directory; the reference and the user's results are merged in memory only
(``with_reference``), each measurement keeping its machine. A user's machine named like a
reference machine is relabelled ``<name> (your results)`` with a note, so the two never mix.
``vjplab reference import`` (vjplab.reference_import) is the one command that writes here.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from vjplab.history.results import ResultsSet, load_results

#: the asv machine name the shipped reference is recorded under
REFERENCE_MACHINE = "vjplab-reference-epyc2"
#: the reference's place in the checkout
REFERENCE_DIR = Path("results") / "reference"
RESULTS_NAME = "results"
FINGERPRINTS_NAME = "fingerprints"
NOTE_NAME = "MACHINE.md"
#: a directory, or OFF: overrides where the reference is looked for
DIR_ENV = "VJPLAB_REFERENCE_DIR"
OFF = "off"
#: appended to a user's machine that has a reference machine's name
YOURS = " (your results)"
#: the line of MACHINE.md whose text describes the machine in one phrase
SUMMARY_PREFIX = "Summary:"


@dataclass(frozen=True)
class Reference:
    """A reference directory that exists (``results/`` inside it)."""

    root: Path

    @property
    def results_dir(self) -> Path:
        return self.root / RESULTS_NAME

    @property
    def fingerprints_dir(self) -> Path:
        return self.root / FINGERPRINTS_NAME

    @property
    def note_path(self) -> Path:
        return self.root / NOTE_NAME

    @property
    def machines(self) -> list[str]:
        """The machine directories of its results (normally just REFERENCE_MACHINE)."""
        return sorted(d.name for d in self.results_dir.iterdir() if d.is_dir())

    def summary(self) -> str:
        """The machine in one phrase: MACHINE.md's ``Summary:`` line, else asv's machine.json
        (``2-core AMD EPYC 7B13, Linux``), else "machine not described"."""
        try:
            for line in self.note_path.read_text().splitlines():
                text = line.strip().lstrip("*- ").replace("**", "")
                if text.startswith(SUMMARY_PREFIX):
                    return text[len(SUMMARY_PREFIX):].strip()
        except OSError:
            pass
        for machine in self.machines:
            try:
                info = json.loads((self.results_dir / machine / "machine.json").read_text())
            except (OSError, ValueError):
                continue
            parts = [f"{info['num_cpu']}-core" if info.get("num_cpu") else "",
                     info.get("cpu", ""), info.get("os", "")]
            text = " ".join(p for p in parts[:2] if p) + (f", {parts[2]}" if parts[2] else "")
            if text:
                return text
        return "machine not described"

    def label(self) -> str:
        """How every page names it: ``reference machine: NAME, SUMMARY — not your machine``."""
        return (f"reference machine: {', '.join(self.machines) or REFERENCE_MACHINE}, "
                f"{self.summary()} \N{EM DASH} not your machine")


def default_reference_dir() -> Path | None:
    """``VJPLAB_REFERENCE_DIR`` (None when it is ``off``), else ``results/reference`` of the
    checkout holding asv.conf.json, else None (no checkout)."""
    value = os.environ.get(DIR_ENV)
    if value is not None and value.strip():
        return None if value.strip().lower() == OFF else Path(value)
    from vjplab.suite import repo_root  # imports JAX: only when no directory was given

    try:
        return repo_root() / REFERENCE_DIR
    except ValueError:
        return None


def find_reference(reference_dir: Path | None | bool = None) -> tuple[Reference | None, str]:
    """(the reference, or None; why there is none, or "").

    ``reference_dir``: None for the default place (``default_reference_dir``), False for none
    (``--no-reference``: no message), or a directory. ValueError when a directory given
    explicitly holds no ``results/`` directory (the default place may simply be absent).
    """
    if reference_dir is False:
        return None, ""
    explicit = reference_dir is not None and reference_dir is not True
    path = Path(reference_dir) if explicit else default_reference_dir()
    if path is None:
        return None, ""
    if not (path / RESULTS_NAME).is_dir():
        if explicit:
            raise ValueError(f"reference directory {path} holds no {RESULTS_NAME}/ directory "
                             f"(allowed: a directory laid out like results/reference/: "
                             f"{RESULTS_NAME}/, {FINGERPRINTS_NAME}/, {NOTE_NAME})")
        return None, (f"no reference machine results at {path} (deleted?): your results "
                      f"are shown alone")
    return Reference(path), ""


_CACHE: dict[tuple, ResultsSet] = {}


def load_reference(reference: Reference) -> ResultsSet:
    """The reference's results, labelled as reference machines. Read once per process while
    its files are unchanged (publishing reads it for the history page, the report and the
    closing summary); callers must not modify what it returns."""
    files = sorted(reference.results_dir.glob("*/*.json")) + [
        reference.results_dir / "benchmarks.json"]
    key = (str(reference.results_dir.resolve()),
           tuple((str(p), p.stat().st_mtime_ns) for p in files if p.is_file()))
    if key not in _CACHE:
        _CACHE.clear()
        loaded = load_results(reference.results_dir)
        loaded.reference_machines = frozenset(reference.machines)
        loaded.reference_label = reference.label()
        loaded.messages = [f"reference machine results: {m}" for m in loaded.messages]
        _CACHE[key] = loaded
    return _CACHE[key]


def with_reference(user: ResultsSet, reference_dir: Path | None | bool = None) -> ResultsSet:
    """The user's results and the reference's as one ResultsSet, in memory only.

    The reference's measurements keep their machine (``reference_machines``, and
    ``machine_roots`` pointing at the reference's results directory for its fingerprints).
    A user's machine with a reference machine's name is relabelled ``NAME (your results)``,
    with a note. Benchmark metadata: the user's, completed with the reference's for
    benchmarks the user has not run. When ``user`` was read from the reference's own results
    directory, it is returned labelled as the reference, not read twice. ``reference_dir`` as
    in ``find_reference``; without a reference, ``user`` comes back with the note why (if any).
    """
    reference, why = find_reference(reference_dir)
    if reference is None:
        return dataclasses.replace(user, messages=user.messages + ([why] if why else []))
    ref = load_reference(reference)
    if user.root is not None and Path(user.root).resolve() == reference.results_dir.resolve():
        return dataclasses.replace(user, reference_machines=ref.reference_machines,
                                   reference_label=ref.reference_label,
                                   messages=list(user.messages))
    clash = sorted({m.machine for m in user.measurements} & ref.reference_machines)
    measurements, files, roots = list(user.measurements), list(user.files), dict(user.machine_roots)
    messages = list(user.messages)
    for name in clash:
        label = name + YOURS
        measurements = [dataclasses.replace(m, machine=label) if m.machine == name else m
                        for m in measurements]
        files = [dataclasses.replace(f, machine=label) if f.machine == name else f
                 for f in files]
        if user.root is not None:
            roots[label] = Path(user.root)
        messages.append(f"your results hold a machine named {name!r}, the reference machine's "
                        f"name: shown as {label!r} (name yours with --machine when you bench "
                        f"or record)")
    for machine in ref.reference_machines:
        roots[machine] = reference.results_dir
    benchmarks = {**ref.benchmarks, **user.benchmarks}
    for name in sorted(set(ref.benchmarks) & set(user.benchmarks)):
        ours, theirs = (user.benchmarks[name].get("param_names"),
                        ref.benchmarks[name].get("param_names"))
        if ours != theirs:
            messages.append(f"{name}: parameter names differ between your results ({ours}) "
                            f"and the reference machine's ({theirs}); both are labelled with "
                            f"yours")
    return ResultsSet(measurements + ref.measurements, benchmarks, files + ref.files,
                      messages + ref.messages, user.root, roots,
                      user.reference_machines | ref.reference_machines, ref.reference_label)

