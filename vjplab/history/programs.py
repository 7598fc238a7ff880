"""Same program or not: the fingerprints behind a flagged step between two JAX releases.

The fingerprints are keyed by the combination (family, strategy, dimension, locality), so every
kind measured on a combination (latency, device time, compile time, flops, the HLO counts, net
peak memory, ...) gets the same note: a flagged step of any benchmark whose parameters name
the four (``combination_of``; a benchmark with more parameters, such as a dtype, still names
them) is looked up. ``peakmem_reference`` (family and dimension only) names none and gets no
note. For a flagged step, both sides' results files have a fingerprint sidecar
(vjplab.measure.fingerprints: ``<results_dir>/../fingerprints/<machine>/<stem>/``) when the
suite ran with vjplab bench or record since fingerprints exist. The step's note says

* **same program** (same sha256 of the canonical optimized HLO): the time changed around an
  unchanged program (runtime, dispatch, threading, or noise);
* **program changed**, with the counts that differ (``fusion 3 -> 4, transpose 0 -> 1``) and a
  unified diff of the two canonical HLO texts (``difflib``), which the HTML report writes
  beside its page and links from the step's row;
* or why it cannot tell: no sidecar for a side, the combination missing from it, no program
  there (skipped or failed), canonical forms of different versions, or no results directory.

The sidecars of a machine read from another results directory (the shipped reference machine,
vjplab.reference) are looked up beside that directory (``ResultsSet.root_of``).

Read-only: sidecars are read, never written; the diff files go to the html directory.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from vjplab.history.derived import method_name
from vjplab.history.labels import short_hash
from vjplab.history.results import Measurement, ResultsSet
from vjplab.measure.fingerprints import Sidecar, combination_key
from vjplab.measure.hlo import COUNT_KEYS

#: the latency kind (a bisect is suggested on it first)
LATENCY_KIND = "time_vjp"
SAME = "same program"
CHANGED = "program changed"
UNKNOWN = "fingerprints missing"
#: the parameters that name a combination, in the order of its key
KEY_PARAMS = ("family", "strategy", "dimension", "locality")
#: results of the suite before the ``dtype`` parameter (float32 only) name no dtype
DEFAULT_DTYPE = "float32"


@dataclass(frozen=True)
class ProgramNote:
    #: SAME, CHANGED or UNKNOWN
    verdict: str
    #: one line for the report's "program" column
    text: str
    #: the unified diff of the two canonical HLO texts (CHANGED with both texts), else None
    diff: str | None = None


def combination_of(results: ResultsSet, benchmark: str, params: tuple[str, ...]) -> str | None:
    """The fingerprint key (``family/strategy/N/k``) that ``params`` name, by the benchmark's
    ``param_names`` in benchmarks.json (the suite's four when it is missing); None when they
    do not name all four."""
    names = results.benchmarks.get(benchmark, {}).get("param_names") or list(KEY_PARAMS)
    try:
        values = dict(zip(names, (ast.literal_eval(p) for p in params)))
        return combination_key(*(values[name] for name in KEY_PARAMS),
                               values.get("dtype", DEFAULT_DTYPE))
    except (ValueError, SyntaxError, KeyError, TypeError):
        return None


def _side(results: ResultsSet, m: Measurement, key: str) -> tuple[Sidecar, dict | None, str]:
    """(sidecar, its entry for ``key`` or None, why there is none)."""
    sidecar = Sidecar.find(results.root_of(m.machine), m.file, m.jax, m.jaxlib)
    label = f"{m.jax} (commit {short_hash(m.commit)})"
    if sidecar.read() is None:
        return sidecar, None, f"none for {label}"
    entry = sidecar.entry(key)
    if entry is None:
        return sidecar, None, f"{label} lacks this combination"
    if "sha256" not in entry:
        why = entry.get("skipped") or entry.get("failed") or "unknown"
        return sidecar, None, f"no program for {label}: {why}"
    return sidecar, entry, ""


def count_changes(before: dict, after: dict) -> list[str]:
    """``fusion 3 -> 4`` for each count that differs (COUNT_KEYS order)."""
    return [f"{name} {before.get(name, 0)} -> {after.get(name, 0)}" for name in COUNT_KEYS
            if before.get(name, 0) != after.get(name, 0)]


def program_note(results: ResultsSet, benchmark: str, params: tuple[str, ...],
                 before: Measurement, after: Measurement) -> ProgramNote:
    """The note of one step of ``benchmark`` (see the module docstring)."""
    if results.root_of(before.machine) is None:
        return ProgramNote(UNKNOWN, f"{UNKNOWN}: no results directory to look beside")
    key = combination_of(results, benchmark, params)
    if key is None:
        return ProgramNote(UNKNOWN, f"{UNKNOWN}: the parameters name no combination")
    (side_a, a, why_a), (side_b, b, why_b) = (_side(results, before, key),
                                              _side(results, after, key))
    if a is None or b is None:
        return ProgramNote(UNKNOWN, f"{UNKNOWN}: " + "; ".join(w for w in (why_a, why_b) if w))
    if a.get("canonical_form") != b.get("canonical_form"):
        return ProgramNote(UNKNOWN, f"{UNKNOWN}: canonical forms "
                                    f"{a.get('canonical_form')} and {b.get('canonical_form')} "
                                    f"cannot be compared")
    if a["sha256"] == b["sha256"]:
        return ProgramNote(SAME, f"{SAME} (sha256 {a['sha256'][:12]})")
    changes = count_changes(a.get("counts") or {}, b.get("counts") or {})
    text = f"{CHANGED}: " + (", ".join(changes) if changes else "same counts")
    old, new = side_a.hlo_text(a), side_b.hlo_text(b)
    if old is None or new is None:
        return ProgramNote(CHANGED, text + "; an HLO text is missing, no diff")
    diff = "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"jax {before.jax} commit {short_hash(before.commit)} sha256 {a['sha256'][:12]}",
        tofile=f"jax {after.jax} commit {short_hash(after.commit)} sha256 {b['sha256'][:12]}"))
    return ProgramNote(CHANGED, text, diff)


def diff_file_name(machine: str, params: tuple[str, ...], before: str, after: str) -> str:
    """A file name for a step's diff (``.txt``: browsers show it instead of downloading it)."""
    stem = "-".join([machine, *(p.strip("'\"") for p in params), before, after])
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) + ".diff.txt"


def write_diff(note: ProgramNote, directory: Path, name: str) -> Path | None:
    """Write the note's diff as ``directory/name``; None when it has none."""
    if note.diff is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(note.diff)
    return path
