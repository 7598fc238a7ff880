"""``vjplab reference import``: put a recorded machine's results into ``results/reference/``.

The reference (vjplab.reference) is recorded once, on one machine, with ``vjplab record
--machine NAME --output-dir DIR``; this copies what that run wrote for NAME into the
checkout's reference directory:

* ``DIR/results/benchmarks.json`` and every file of ``DIR/results/NAME/`` (machine.json, one
  results file per JAX release, any run manifests) -> ``results/reference/results/``;
* every file under ``DIR/fingerprints/NAME/`` -> ``results/reference/fingerprints/NAME/``;
* a ``MACHINE.md`` skeleton: the machine's facts that can be read (asv's machine.json, this
  host's platform, CPU model, cores and Python, the JAX releases, commits and asv's run times
  found in the results), and marked ``TO COMPLETE`` what cannot (the command, the grid, the
  wall time), for the recorder to fill in before committing.

It is a command rather than a script in ``.ci/`` because it shares the reference's layout and
machine name with the reader (vjplab.reference) and is tested like the other commands.

**Never overwrites**: every destination is checked first; if any exists (a reference already
there, or a second machine's ``benchmarks.json``), nothing is copied and the error names them.
Other machines of DIR are left out.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from vjplab.measure.fingerprints import ROOT_NAME as FINGERPRINTS_DIR
from vjplab.reference import FINGERPRINTS_NAME, NOTE_NAME, RESULTS_NAME, SUMMARY_PREFIX

#: existing destinations listed in the refusal before "and N more"
LISTED = 5


@dataclass
class ImportPlan:
    #: (source, destination) of every file to copy
    copies: list[tuple[Path, Path]]
    note: Path
    #: the results files' contents (for the note), by file name
    results: dict[str, dict]
    machine_info: dict
    fingerprints: int


def _results_files(machine_dir: Path) -> dict[str, dict]:
    out = {}
    for path in sorted(machine_dir.glob("*.json")):
        if path.name == "machine.json":
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path} is not readable JSON ({exc}); allowed: asv's results "
                             f"files") from None
        if isinstance(data, dict):
            out[path.name] = data
    return out


def plan_import(output_dir: Path, machine: str, target: Path) -> ImportPlan:
    """What importing ``machine`` from ``output_dir`` into ``target`` copies. ValueError when
    ``output_dir`` is not a ``--output-dir`` of vjplab record, holds no results of
    ``machine`` (naming the machines it holds), or any destination exists."""
    output_dir, target = Path(output_dir), Path(target)
    results = output_dir / "results"
    if not (results / "benchmarks.json").is_file():
        raise ValueError(f"{output_dir} holds no results/benchmarks.json; allowed: the "
                         f"--output-dir of `vjplab record` (results/, fingerprints/)")
    machines = sorted(d.name for d in results.iterdir() if d.is_dir())
    if machine not in machines:
        raise ValueError(f"{results} holds no machine {machine!r}; allowed: "
                         f"{', '.join(machines) or 'none'}")
    files = _results_files(results / machine)
    if not files:
        raise ValueError(f"{results / machine} holds no asv results files")
    copies = [(results / "benchmarks.json", target / RESULTS_NAME / "benchmarks.json")]
    copies += [(p, target / RESULTS_NAME / machine / p.name)
               for p in sorted((results / machine).iterdir()) if p.is_file()]
    prints = output_dir / FINGERPRINTS_DIR / machine
    fingerprints = [p for p in sorted(prints.rglob("*")) if p.is_file()] if prints.is_dir() else []
    copies += [(p, target / FINGERPRINTS_NAME / machine / p.relative_to(prints))
               for p in fingerprints]
    note = target / NOTE_NAME
    existing = [dest for _, dest in copies if dest.exists()] + ([note] if note.exists() else [])
    if existing:
        shown = ", ".join(str(p) for p in existing[:LISTED])
        more = f", and {len(existing) - LISTED} more" if len(existing) > LISTED else ""
        raise ValueError(f"refusing to overwrite {len(existing)} existing file(s) in {target}: "
                         f"{shown}{more}; nothing was copied (import into an empty reference "
                         f"directory, or remove the old one with git first)")
    try:
        info = json.loads((results / machine / "machine.json").read_text())
    except (OSError, ValueError):
        info = {}
    return ImportPlan(copies, note, files, info if isinstance(info, dict) else {},
                      len(fingerprints))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _utc(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")


def machine_note(machine: str, plan: ImportPlan, command: str) -> str:
    """MACHINE.md's skeleton: the facts found, ``TO COMPLETE`` where none can be read."""
    from vjplab.history.versions import version_key

    info = plan.machine_info
    rows = []
    starts: list[int] = []
    for name, data in sorted(plan.results.items(),
                             key=lambda kv: version_key(str((kv[1].get("params") or {})
                                                            .get("jax", "")))):
        params = data.get("params") or {}
        cols = data.get("result_columns") or []
        times = [dict(zip(cols, row)).get("started_at") for row in
                 (data.get("results") or {}).values()]
        times = [t for t in times if isinstance(t, (int, float))]
        starts += times
        span = f"{_utc(min(times))} to {_utc(max(times))}" if times else "no run times stored"
        rows.append(f"| {params.get('jax', '?')} | {params.get('jaxlib', '?')} | "
                    f"{str(data.get('commit_hash', '?'))[:8]} | {params.get('python', '?')} | "
                    f"{span} | `{name}` |")
    cores = info.get("num_cpu") or os.cpu_count()
    overall = (f"{_utc(min(starts))} to {_utc(max(starts))} (asv's first to last benchmark "
               f"start)" if starts else "unknown")
    return f"""# Reference machine: {machine}

{SUMMARY_PREFIX} {cores}-core {info.get('cpu') or _cpu_model()} (TO COMPLETE: a short phrase, e.g. "2-core AMD EPYC VM"; the pages show this line)

The JAX-version history that ships with vjplab (read by `vjplab history`, the history page
and the run report beside your own results; see docs/asv.md). Not your machine.

## The machine

| | |
|---|---|
| asv machine name | `{machine}` |
| CPU (asv machine.json) | {info.get('cpu', '?')} |
| cores (asv machine.json) | {info.get('num_cpu', '?')} |
| RAM (asv machine.json) | {info.get('ram', '?')} |
| OS (asv machine.json) | {info.get('os', '?')}, {info.get('arch', '?')} |
| importing host: platform | {platform.platform()} |
| importing host: CPU model (/proc/cpuinfo) | {_cpu_model()} |
| importing host: cores | {os.cpu_count()} |
| importing host: Python | {sys.version.split()[0]} |

## How it was recorded

| JAX | jaxlib | commit | Python | asv ran | results file |
|---|---|---|---|---|---|
{chr(10).join(rows)}

* asv ran: {overall}
* program fingerprints: {plan.fingerprints} files
* command: TO COMPLETE (e.g. `python -m vjplab record --grid history --machine {machine} --output-dir DIR`)
* grid: TO COMPLETE
* wall time: TO COMPLETE
* imported {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} with `{command}`
"""


def import_reference(output_dir: Path, machine: str, target: Path,
                     command: str = "vjplab reference import") -> ImportPlan:
    """Copy ``machine``'s results and fingerprints from ``output_dir`` into ``target`` and
    write MACHINE.md's skeleton (see the module docstring). ValueError from ``plan_import``
    before anything is written."""
    plan = plan_import(output_dir, machine, target)
    for source, dest in plan.copies:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, dest.open("xb") as out:  # "x": never overwrite
            shutil.copyfileobj(src, out)
        shutil.copystat(source, dest)
    with plan.note.open("x") as out:
        out.write(machine_note(machine, plan, command))
    return plan
