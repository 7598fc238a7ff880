"""``vjplab merge SRC... --into RESULTS``: asv results directories of several jobs or machines
merged into one, with vjplab's sidecar files.

Each SRC (and RESULTS) is an asv results directory (it holds ``benchmarks.json``) or an output
directory holding one in ``results/`` (the ``--output-dir`` of ``vjplab bench`` or ``vjplab
record``). What is merged, for every machine folder ``<machine>/`` of every SRC:

* every file of ``<src results>/<machine>/`` -> ``RESULTS/<machine>/``: asv's ``machine.json``
  and results files (``<commit8>-<env>.json``), and vjplab's run manifests beside them
  (``<stem>.vjplab-run.manifest``, vjplab.dashboard.run_manifest);
* every file under ``<src results>/../fingerprints/<machine>/`` -> ``RESULTS/../fingerprints/
  <machine>/``: the program-fingerprint sidecars (vjplab.measure.fingerprints), which are
  always looked for beside the results directory (``fingerprints_root``), so ``vjplab
  history``, ``report`` and ``publish`` find the merged ones as they found the originals;
* ``benchmarks.json``: copied when RESULTS has none (from the first SRC), else kept.

**Same suite**: asv reads every results file through the one ``benchmarks.json`` of the
results directory, and its publish drops a result whose benchmark is missing there or has
another ``version`` (asv.results.Results.get_result_keys). So every SRC's ``benchmarks.json``
must *agree* with the kept one (RESULTS's, else the first SRC's): the same benchmark names
and, for each, the same ``IDENTITY_FIELDS`` (``param_names``, ``params``, ``version``,
``type``, ``unit``), and the same format version. Since vjplab's parameters are the union of
every grid (vjplab.grid), runs of the same suite on different grids agree; the run settings a
grid changes (``rounds`` of time_vjp) may differ and are reported, not refused. A
disagreement names each benchmark that differs and how.

**Never overwrites, never deletes**: the merge is planned first and copies only when the plan
is clean. A destination file that exists with the same bytes is skipped (reported); one whose
content differs (a ``machine.json`` of the same name included: two machines that share a
name), or two SRCs bringing different files to one destination, refuses the whole merge,
naming each conflict, before anything is written. Files are created with ``open(..., "x")``.
A failure while copying (a full disk) leaves the files copied so far, all complete; merging
again copies the rest (the copied ones are now identical, so skipped).

Files at the top of a SRC's results directory other than ``benchmarks.json``, and
fingerprint folders of machines that have no results in that SRC, are not merged; the
report names them.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.dashboard.run_manifest import SUFFIX as MANIFEST_SUFFIX
from vjplab.measure.fingerprints import fingerprints_root

BENCHMARKS = "benchmarks.json"
MACHINE = "machine.json"
RESULTS_NAME = "results"
#: what identifies a benchmark and its results in benchmarks.json; other fields (rounds,
#: timeouts, code) are run settings or follow from ``version``
IDENTITY_FIELDS = ("param_names", "params", "version", "type", "unit")
#: the kinds of file merged, in the order they are reported
KINDS = ("results file", "machine.json", "run manifest", "fingerprint file", "other file")


@dataclass(frozen=True)
class Source:
    """A SRC as given, and the asv results directory it names."""

    given: Path
    results: Path

    @property
    def fingerprints(self) -> Path:
        return fingerprints_root(self.results)


@dataclass(frozen=True)
class FileCopy:
    source: Path
    dest: Path
    kind: str  # one of KINDS


@dataclass
class MachineMerge:
    """One machine folder of one SRC: what is copied, what is already there."""

    machine: str
    source: Source
    copies: list[FileCopy] = field(default_factory=list)
    identical: list[FileCopy] = field(default_factory=list)


@dataclass
class MergePlan:
    results: Path
    sources: list[Source]
    #: the first SRC's benchmarks.json, to copy when RESULTS has none (None: RESULTS's is kept)
    benchmarks: FileCopy | None
    #: one line per SRC: how its benchmarks.json agrees with the kept one
    benchmarks_notes: list[str]
    machines: list[MachineMerge]
    left_out: list[Path]

    @property
    def fingerprints(self) -> Path:
        return fingerprints_root(self.results)

    @property
    def copies(self) -> list[FileCopy]:
        return ([self.benchmarks] if self.benchmarks else []) + \
            [c for m in self.machines for c in m.copies]


class MergeConflict(ValueError):
    """Files that differ from what is already at their destination: nothing was copied."""


def source_results(path: Path) -> Path:
    """The asv results directory a SRC names: ``path`` itself when it holds
    ``benchmarks.json``, else ``path/results``. ValueError naming the allowed forms."""
    path = Path(path)
    if (path / BENCHMARKS).is_file():
        return path
    if (path / RESULTS_NAME / BENCHMARKS).is_file():
        return path / RESULTS_NAME
    raise ValueError(f"{path} holds neither {BENCHMARKS} nor {RESULTS_NAME}/{BENCHMARKS}; "
                     f"allowed: an asv results directory, or the --output-dir of `vjplab "
                     f"bench` or `vjplab record` (results/, fingerprints/)")


def destination_results(path: Path) -> Path:
    """The results directory RESULTS names: ``path`` when it holds ``benchmarks.json``, is
    new or empty; ``path/results`` when it is an output directory holding ``results/``.
    ValueError for anything else (a file, or a directory holding other things)."""
    path = Path(path)
    if (path / BENCHMARKS).is_file() or not path.exists():
        return path
    if not path.is_dir():
        raise ValueError(f"--into {path} is a file; allowed: an asv results directory (new, "
                         f"empty or holding {BENCHMARKS}) or an output directory holding "
                         f"{RESULTS_NAME}/")
    if (path / RESULTS_NAME).is_dir():
        return path / RESULTS_NAME
    if not any(path.iterdir()):
        return path
    raise ValueError(f"--into {path} holds neither {BENCHMARKS} nor {RESULTS_NAME}/ and is not "
                     f"empty; allowed: an asv results directory (new, empty or holding "
                     f"{BENCHMARKS}) or an output directory holding {RESULTS_NAME}/")


def read_benchmarks(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is not readable JSON ({exc}); allowed: asv's "
                         f"{BENCHMARKS}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not asv's {BENCHMARKS} (not a JSON object)")
    return data


def _benchmarks(data: dict) -> dict[str, dict]:
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def disagreements(kept: dict, other: dict) -> list[str]:
    """How ``other`` (a benchmarks.json) disagrees with ``kept``: one phrase per benchmark
    (empty: they agree)."""
    out = []
    if kept.get("version") != other.get("version"):
        out.append(f"format version {other.get('version')!r} (kept: {kept.get('version')!r})")
    mine, theirs = _benchmarks(kept), _benchmarks(other)
    out += [f"{name}: not in the kept {BENCHMARKS}" for name in sorted(set(theirs) - set(mine))]
    out += [f"{name}: missing (in the kept {BENCHMARKS})"
            for name in sorted(set(mine) - set(theirs))]
    for name in sorted(set(mine) & set(theirs)):
        a, b = mine[name], theirs[name]
        for key in IDENTITY_FIELDS:
            if a.get(key) == b.get(key):
                continue
            if key == "params" and a.get("param_names") == b.get("param_names") \
                    and len(a.get("params") or []) == len(b.get("params") or []):
                for pname, va, vb in zip(a.get("param_names") or [], a["params"], b["params"]):
                    if va != vb:
                        out.append(f"{name}: values of {pname} differ ({_short(vb)}; kept: "
                                   f"{_short(va)})")
            elif key == "version":  # a sha256 of the benchmark's code: its start names it
                out.append(f"{name}: version differs ({str(b.get(key))[:12]}; kept: "
                           f"{str(a.get(key))[:12]}): its code changed")
            else:
                out.append(f"{name}: {key} differs ({_short(b.get(key))}; kept: "
                           f"{_short(a.get(key))})")
    return out


def settings_differences(kept: dict, other: dict) -> list[str]:
    """The fields other than ``IDENTITY_FIELDS`` (run settings, code) in which two agreeing
    benchmarks.json differ, as ``field`` or ``field of N benchmarks``."""
    mine, theirs = _benchmarks(kept), _benchmarks(other)
    counts: Counter[str] = Counter()
    for name in set(mine) & set(theirs):
        a, b = mine[name], theirs[name]
        counts.update(k for k in set(a) | set(b)
                      if k not in IDENTITY_FIELDS and a.get(k) != b.get(k))
    return [key if n == 1 else f"{key} of {n} benchmarks" for key, n in sorted(counts.items())]


def shown(path: Path) -> str:
    """``path`` for the terminal: relative to the working directory when it is under it
    (the fingerprints' paths are resolved, the others as given)."""
    path = Path(path)
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            pass
    return str(path)


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def kind_of(path: Path, fingerprint: bool = False) -> str:
    if fingerprint:
        return "fingerprint file"
    if path.name == MACHINE:
        return "machine.json"
    if path.name.endswith(MANIFEST_SUFFIX):
        return "run manifest"
    return "results file" if path.suffix == ".json" else "other file"


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.is_dir() else []


def plan_merge(sources: list[Path], into: Path) -> MergePlan:
    """What merging ``sources`` into ``into`` copies and skips (see the module docstring).
    ValueError when a path is not a results directory, benchmarks.json disagree; MergeConflict
    (a ValueError) naming every file whose content differs from what is at its destination.
    Reads only."""
    if not sources:
        raise ValueError("give at least one SRC (an asv results directory or an output "
                         "directory holding results/)")
    results = destination_results(into)
    srcs = [Source(Path(s), source_results(s)) for s in sources]
    for src in srcs:
        if src.results.resolve() == results.resolve():
            raise ValueError(f"SRC {src.given} is the destination {results}; allowed: other "
                             f"results directories")
    # benchmarks.json: the destination's, else the first SRC's, is kept; all must agree.
    existing = results / BENCHMARKS
    if existing.is_file():
        kept_path, benchmarks_copy = existing, None
    else:
        kept_path = srcs[0].results / BENCHMARKS
        benchmarks_copy = FileCopy(kept_path, existing, "benchmarks.json")
    kept = read_benchmarks(kept_path)
    notes, refusals = [], []
    for src in srcs:
        path = src.results / BENCHMARKS
        if path == kept_path:
            notes.append(f"{src.results}: copied" if benchmarks_copy else f"{src.results}: kept")
            continue
        other = read_benchmarks(path)
        wrong = disagreements(kept, other)
        if wrong:
            refusals.append(f"{path} disagrees with {kept_path} in {len(wrong)} place(s):\n"
                            + "\n".join(f"  {line}" for line in wrong))
        elif filecmp.cmp(path, kept_path, shallow=False):
            notes.append(f"{src.results}: identical")
        else:
            extra = settings_differences(kept, other)
            notes.append(f"{src.results}: agrees (differs only in run settings: "
                         f"{', '.join(extra) or 'formatting'})")
    if refusals:
        raise ValueError("refusing to merge results of different suites (nothing was copied): "
                         + "\n".join(refusals) + f"\nagreement: the same benchmarks, each "
                         f"with the same {', '.join(IDENTITY_FIELDS)}")
    # Every file, planned against the destination and against the earlier SRCs.
    planned: dict[Path, Path] = {}
    conflicts: list[tuple[Path, str]] = []  # destination, why
    machines: list[MachineMerge] = []
    left_out: list[Path] = []
    fp_root = fingerprints_root(results)
    for src in srcs:
        names = sorted(d.name for d in src.results.iterdir() if d.is_dir())
        left_out += sorted(p for p in src.results.iterdir()
                           if not p.is_dir() and p.name != BENCHMARKS)
        if src.fingerprints.is_dir():
            left_out += sorted(d for d in src.fingerprints.iterdir() if d.name not in names)
        for name in names:
            merge = MachineMerge(name, src)
            files = [(p, results / name / p.relative_to(src.results / name), kind_of(p))
                     for p in _files(src.results / name)]
            prints = src.fingerprints / name
            files += [(p, fp_root / name / p.relative_to(prints), kind_of(p, True))
                      for p in _files(prints)]
            for path, dest, kind in files:
                copy = FileCopy(path, dest, kind)
                there = planned.get(dest)
                if there is not None:
                    if filecmp.cmp(there, path, shallow=False):
                        merge.identical.append(copy)
                    else:
                        conflicts.append((dest, f"{shown(path)} differs from {shown(there)} "
                                                f"(both merged here)"))
                elif dest.exists() or dest.is_symlink():
                    if dest.is_file() and filecmp.cmp(dest, path, shallow=False):
                        merge.identical.append(copy)
                    else:
                        conflicts.append((dest, f"exists and differs from {shown(path)}"))
                else:
                    planned[dest] = path
                    merge.copies.append(copy)
            machines.append(merge)
    if conflicts:
        hint = ""
        if any(dest.name == MACHINE for dest, _ in conflicts):
            hint = (f"\na {MACHINE} that differs is another machine under the same name: run "
                    f"it with another --machine, or merge it into another RESULTS")
        raise MergeConflict(f"refusing to merge: {len(conflicts)} file(s) would differ from "
                            f"what is at their destination; nothing was copied:\n"
                            + "\n".join(f"  {shown(dest)}: {why}" for dest, why in conflicts)
                            + hint)
    return MergePlan(results, srcs, benchmarks_copy, notes, machines, left_out)


def copy_file(copy: FileCopy) -> None:
    """Create ``copy.dest`` (never overwriting: "x") with the source's bytes and times; a
    partial file left by a failed copy is removed (it is this copy's own)."""
    copy.dest.parent.mkdir(parents=True, exist_ok=True)
    with copy.source.open("rb") as src, copy.dest.open("xb") as out:
        try:
            shutil.copyfileobj(src, out)
        except BaseException:
            out.close()
            copy.dest.unlink()
            raise
    shutil.copystat(copy.source, copy.dest)


def carry_out(plan: MergePlan) -> None:
    """Copy what ``plan`` copies: benchmarks.json first, then machine by machine."""
    for copy in plan.copies:
        copy_file(copy)


def merge_results(sources: list[Path], into: Path, dry_run: bool = False) -> MergePlan:
    """Plan (``plan_merge``: every refusal happens there, before any write), then copy."""
    plan = plan_merge(sources, into)
    if not dry_run:
        carry_out(plan)
    return plan


def _counted(copies: list[FileCopy], kinds: tuple[str, ...]) -> str:
    counts = Counter(c.kind for c in copies)
    return ", ".join(f"{counts[k]} {k}{'s' if counts[k] != 1 and not k.endswith('.json') else ''}"
                     for k in kinds if counts[k])


def summary(plan: MergePlan, dry_run: bool = False) -> str:
    """What was merged, per machine and SRC: files copied by kind, sidecars carried, files
    skipped as identical; then what was left out and the totals."""
    copied = "would copy" if dry_run else "copied"
    lines = [f"into {shown(plan.results)} (fingerprints: {shown(plan.fingerprints)})",
             f"{BENCHMARKS}: " + "; ".join(plan.benchmarks_notes)]
    asv_kinds, sidecar_kinds = KINDS[:2] + KINDS[4:], KINDS[2:4]
    for m in plan.machines:
        parts = [f"{copied} {len(m.copies)} file(s)"]
        if m.copies:
            asv = _counted(m.copies, asv_kinds)
            parts[0] += f" ({asv})" if asv else ""
            sidecars = _counted(m.copies, sidecar_kinds)
            parts.append(f"sidecars carried: {sidecars or 'none'}")
        parts.append(f"skipped {len(m.identical)} identical"
                     + (f" ({_counted(m.identical, KINDS)})" if m.identical else ""))
        lines.append(f"machine {m.machine} from {m.source.given}: " + "; ".join(parts))
    for path in plan.left_out:
        lines.append(f"left out: {shown(path)} (not a machine's results or fingerprints)")
    total = plan.copies
    skipped = sum(len(m.identical) for m in plan.machines)
    lines.append(f"{'dry run: ' if dry_run else ''}{len({m.machine for m in plan.machines})} "
                 f"machine(s) from {len(plan.sources)} SRC(s): {copied} {len(total)} file(s), "
                 f"skipped {skipped} identical; nothing overwritten or deleted")
    return "\n".join(lines)
