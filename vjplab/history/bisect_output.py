"""What ``vjplab bisect`` prints and the verdict file it writes.

**Terminal.** One line per probe (``probe_line``: release, value in the benchmark's unit,
ratio to the ``--from`` value, classification and the release it was classified against, or
why it was skipped), then ``final_line``: ``first slower release: 0.7.0 (0.6.2 -> 0.7.0: x1.8,
same program)``, with notes when the boundary pair alone is no regression (a gradual drift) or
releases in between could not be measured; or why there is no boundary.

**Verdict file** ``<bisect dir>/verdicts/<slug>.json`` (the regression page reads it), with
exactly ``VERDICT_KEYS``::

    {"param_set": asv's name with the method only, "benchmark": the kind ("time_vjp"),
     "params": {name: value}, "machine": str, "from": str, "to": str,
     "first_slower": str|null, "last_good": str|null,
     "ratio": float|null (first_slower / last_good),
     "program": str|null (ProgramNote.text),
     "program_verdict": "same program"|"program changed"|"fingerprints missing"|null,
     "probes": [{"jax": str, "value": float|null, "classification": str,
                 "skipped": str|null}],
     "results_dir": str, "created": ISO time (UTC)}

``classification`` is a Verdict value ("regression", "no change", "improvement"),
"reference" (the ``--from`` release) or "skipped". A file is never overwritten: the slug gets
``-2``, ``-3``, ... (and the file is opened with "x").
"""

from __future__ import annotations

import datetime
import json
import math
import re
from pathlib import Path

from vjplab.history.bisect_search import Probe, SearchOutcome
from vjplab.history.bisect_target import Target
from vjplab.history.labels import format_value
from vjplab.history.programs import SAME, ProgramNote
from vjplab.history.results import Measurement
from vjplab.history.steps import Verdict

#: the keys of a verdict file, in order (the regression page reads them)
VERDICT_KEYS = ("param_set", "benchmark", "params", "machine", "from", "to", "first_slower",
                "last_good", "ratio", "program", "program_verdict", "probes", "results_dir",
                "created")
def verdict_slug(machine: str, target: Target, low: str, high: str) -> str:
    """``<machine>-<kind>-<values...>-<from>-<to>``, each part reduced to ``[A-Za-z0-9_.]``:
    ``m-time_vjp-roll_cubic-exact-100-1-0.6.2-0.7.2``."""
    parts = [machine, target.kind, *(str(v) for v in target.values), low, high]
    return "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", p).strip("_") or "_" for p in parts)


def verdict_path(directory: Path, slug: str) -> Path:
    """``directory/<slug>.json``, or with ``-2``, ``-3``, ... when taken (never overwritten)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", slug).strip("_")
    path, n = directory / f"{stem}.json", 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}.json"
    return path


def write_verdict(directory: Path, slug: str, verdict: dict) -> Path:
    """Write ``verdict`` (exactly VERDICT_KEYS) to a new file; return its path."""
    if tuple(verdict) != VERDICT_KEYS:
        raise ValueError(f"a verdict has exactly the keys {VERDICT_KEYS}, got {tuple(verdict)}")
    directory.mkdir(parents=True, exist_ok=True)
    path = verdict_path(directory, slug)
    with path.open("x") as handle:  # "x": never overwrite, even in a race
        handle.write(json.dumps(verdict, indent=1) + "\n")
    return path


def verdict_record(target: Target, machine: str, low: str, high: str, outcome: SearchOutcome,
                   note: ProgramNote | None, results_dir: Path) -> dict:
    """The verdict file's content (VERDICT_KEYS)."""
    good = outcome.measurement(outcome.last_good) if outcome.last_good else None
    slow = outcome.measurement(outcome.first_slower) if outcome.first_slower else None
    ratio = slow.value / good.value if good is not None and slow is not None and good.value \
        else None
    return dict(zip(VERDICT_KEYS, (
        target.short_name, target.kind, target.params, machine, low, high,
        outcome.first_slower, outcome.last_good, ratio,
        None if note is None else note.text, None if note is None else note.verdict,
        [{"jax": p.jax, "value": _number(p.value), "classification": p.classification,
          "skipped": p.skipped} for p in outcome.probes],
        str(results_dir),
        datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))))


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def unit_in(results_dir: Path, benchmark: str) -> str | None:
    """The benchmark's unit in the results' benchmarks.json (None when unknown)."""
    try:
        return json.loads((results_dir / "benchmarks.json").read_text())[benchmark]["unit"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def change_text(before: Measurement, after: Measurement, unit: str | None = None,
                digits: int = 3) -> str:
    """``x1.8`` (``digits`` significant digits), or both values when ``before`` is 0 (an op
    count that appears: ``0 -> 1``)."""
    if before.value:
        return f"x{after.value / before.value:.{digits}g}"
    return f"{format_value(before.value, unit)} -> {format_value(after.value, unit)}"


def probe_line(probe: Probe, reference: Measurement | None, unit: str | None) -> str:
    """``  0.7.0   1.23 ms  x1.80 vs 0.6.2  regression (against 0.6.2)``."""
    if probe.measurement is None:
        return f"  {probe.jax:<10} skipped: {probe.skipped}"
    value = format_value(probe.value, unit)
    if reference is None or probe.against is None:
        return f"  {probe.jax:<10} {value:>10}  (the --from reference)"
    return (f"  {probe.jax:<10} {value:>10}  {change_text(reference, probe.measurement, unit)}"
            f" vs {reference.jax}  "
            f"{probe.classification} (against {probe.against})")


def program_words(note: ProgramNote) -> str:
    """What the final line says of the program: ``same program``, ``program changed: fusion
    3 -> 4``, ``fingerprints missing: ...``."""
    return note.verdict if note.verdict == SAME else note.text


def final_line(outcome: SearchOutcome, note: ProgramNote | None) -> str:
    """The result (module docstring), with its notes on following lines."""
    if not outcome.reproduced or outcome.first_slower is None:
        return f"no first slower release: {outcome.message}"
    good = outcome.measurement(outcome.last_good)
    slow = outcome.measurement(outcome.first_slower)
    text = (f"first slower release: {outcome.first_slower} ({outcome.last_good} -> "
            f"{outcome.first_slower}: {change_text(good, slow)}"
            + (f", {program_words(note)}" if note is not None else "") + ")")
    notes = []
    if outcome.boundary is not None and outcome.boundary != Verdict.REGRESSION:
        notes.append(f"{outcome.last_good} -> {outcome.first_slower} alone is "
                     f"{outcome.boundary.value}: a gradual slowdown, the first release beyond "
                     f"the threshold")
    skipped = outcome.skipped_between()
    if skipped:
        notes.append(f"{', '.join(skipped)} in between could not be measured: the step lies "
                     f"in {outcome.last_good} .. {outcome.first_slower}")
    return text + "".join(f"\n  note: {n}" for n in notes)
