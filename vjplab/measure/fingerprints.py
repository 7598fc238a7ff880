"""Program fingerprints of a grid's VJPs: computed in the benchmark process, kept in a sidecar.

For every combination of the active grid's latency sweep (and of its metrics sweep, whose
``track_hlo_*`` benchmarks report the counts), the VJP that the benchmarks prepare (the same
jitted function at the same arguments, ``vjplab.prepared.compiled_vjp``) is compiled once more
but never run, and its optimized HLO becomes a fingerprint (``vjplab.measure.hlo``: canonical
text, sha256, op counts). ``benchmarks/bench_program.py`` does this in its ``setup_cache``: one
process per ``asv run`` piece (one family, vjplab.pieces), in the asv environment's own JAX.

**The sidecar** (vjplab's, never inside asv's results directory, so asv's publish, compare and
rm never see it)::

    <results_dir>/../fingerprints/<machine>/<commit[:8]>-<env>/index.json
    <results_dir>/../fingerprints/<machine>/<commit[:8]>-<env>/hlo/<sha256>.hlo

``<commit[:8]>-<env>`` is the stem of asv's results file of that commit and environment
(``<results_dir>/<machine>/<stem>.json``), so each results file has at most one sidecar.
``index.json`` maps each combination (``family/strategy/N/k``, plus ``/float64`` for float64;
N nominal as in asv's params) to its sha256, counts and HLO file, or to why there is none
(skipped: infeasible here; failed: the error); it also names the JAX, jaxlib, backend, commit
and environment. The HLO files are content-addressed: combinations with the same program share
one.

**Written once per combination**: an entry whose hash is unchanged is left as it is; a changed
one (the same commit and environment measured again and giving another program) is replaced,
with a line on stderr naming both hashes (the old HLO file stays). The index is replaced
atomically. Nothing is deleted.

**Who knows where**: the benchmark process writes only when ``vjplab bench`` or ``vjplab
record`` told it the directory (``VJPLAB_FINGERPRINT_DIR`` = ``<results_dir>/../fingerprints/
<machine>``) and the commit (``VJPLAB_COMMIT``, else asv's ``ASV_COMMIT``); the environment's
name is asv's ``ASV_ENV_NAME``. A plain ``asv run`` gets the counts but no sidecar (one line on
stderr says why).

This module imports JAX only inside the functions that compile: the history report reads
sidecars without it.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from vjplab.grid import SWEEP_KINDS, Grid
from vjplab.measure.hlo import CANONICAL_FORM, Fingerprint, fingerprint

FORMAT = "vjplab-program-fingerprints"
VERSION = 1
DIR_ENV = "VJPLAB_FINGERPRINT_DIR"
COMMIT_ENV = "VJPLAB_COMMIT"
INDEX = "index.json"
HLO_DIR = "hlo"
#: the sidecars' directory, beside asv's results directory
ROOT_NAME = "fingerprints"

Combination = tuple[str, str, int, int, str]


def combination_key(family: str, strategy: str, dimension: int, locality: int,
                    dtype: str = "float32") -> str:
    """``family/strategy/N/k`` (float32) or ``family/strategy/N/k/float64``: a combination's
    key in ``index.json``."""
    key = f"{family}/{strategy}/{int(dimension)}/{int(locality)}"
    return key if dtype == "float32" else f"{key}/{dtype}"


def results_stem(commit: str, env_name: str) -> str:
    """The stem of asv's results file of ``commit`` and environment ``env_name`` (asv 0.6's
    ``results.get_filename``: an environment name of 128 characters or more is hashed)."""
    if env_name and len(env_name) >= 128:
        env_name = "env-" + hashlib.md5(env_name.encode("utf-8")).hexdigest()
    return f"{commit[:8]}-{env_name}"


def fingerprints_root(results_dir: Path | str) -> Path:
    """``<results_dir>/../fingerprints``: where the sidecars of a results directory live."""
    return Path(results_dir).resolve().parent / ROOT_NAME


@dataclass(frozen=True)
class Sidecar:
    """The sidecar directory of one asv results file (machine, commit, environment)."""

    path: Path

    @classmethod
    def of_results_file(cls, results_dir: Path | str, results_file: str) -> "Sidecar":
        """The sidecar of ``results_file`` (``<machine>/<stem>.json``, relative to
        ``results_dir``, as ``Measurement.file``)."""
        relative = Path(results_file)
        return cls(fingerprints_root(results_dir) / relative.parent / relative.stem)

    @classmethod
    def find(cls, results_dir: Path | str, results_file: str, jax: str,
             jaxlib: str = "") -> "Sidecar":
        """The sidecar of ``results_file``; when it has none, the sidecar of the same machine
        and commit whose index names the same JAX and jaxlib (an environment named otherwise
        by the benchmark process than by asv's results file), else the exact one (absent)."""
        exact = cls.of_results_file(results_dir, results_file)
        if exact.read() is not None:
            return exact
        commit8 = Path(results_file).stem.split("-", 1)[0]
        for index in sorted(exact.path.parent.glob(f"{commit8}-*/{INDEX}")):
            other = cls(index.parent)
            data = other.read() or {}
            if data.get("jax") == jax and (not jaxlib or data.get("jaxlib") == jaxlib):
                return other
        return exact

    @property
    def index_path(self) -> Path:
        return self.path / INDEX

    def read(self) -> dict | None:
        """The index, or None when there is none (or it is not a known format). Parsed once
        per version of the file (the history reads it for every flagged step)."""
        try:
            stat = self.index_path.stat()
        except OSError:
            return None
        return _read_index(self.index_path, stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def entry(self, key: str) -> dict | None:
        data = self.read()
        entry = (data or {}).get("combinations", {}).get(key)
        if isinstance(entry, dict) and data is not None:
            return {**entry, "canonical_form": data.get("canonical_form")}
        return None

    def hlo_text(self, entry: dict) -> str | None:
        """The canonical HLO text of an index entry (None when its file is missing)."""
        name = entry.get("hlo")
        if not name:
            return None
        try:
            return (self.path / name).read_text()
        except OSError:
            return None

    def write(self, table: dict[Combination, dict], texts: dict[str, str], info: dict,
              messages: TextIO | None = None) -> int:
        """Merge ``table``'s entries (see ``fingerprint_sweep``) into the index and write the
        HLO files that are not there yet; return how many entries changed (new or replaced).
        Replacements are said on ``messages`` (default: stderr)."""
        messages = messages or sys.stderr
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / HLO_DIR).mkdir(exist_ok=True)
        for sha, text in texts.items():
            target = self.path / HLO_DIR / f"{sha}.hlo"
            if not target.exists():
                _write_atomically(target, text)
        data = dict(self.read() or {})
        combos = dict(data.get("combinations") or {})
        if data.get("canonical_form", CANONICAL_FORM) != CANONICAL_FORM:
            print(f"fingerprints: {self.index_path} holds canonical form "
                  f"{data.get('canonical_form')}; this run writes form {CANONICAL_FORM} and "
                  f"drops its entries", file=messages, flush=True)
            combos = {}
        changed = 0
        for combo, entry in table.items():
            key = combination_key(*combo)
            new = {"family": combo[0], "strategy": combo[1], "dimension": combo[2],
                   "locality": combo[3], "dtype": combo[4], **_stored(entry)}
            old = combos.get(key)
            if old == new:
                continue
            if old and old.get("sha256") and new.get("sha256") \
                    and old["sha256"] != new["sha256"]:
                print(f"fingerprints: {key} in {self.path} changed from {old['sha256'][:12]} "
                      f"to {new['sha256'][:12]} (the same commit and environment measured "
                      f"again); the entry is replaced, its old HLO file kept",
                      file=messages, flush=True)
            combos[key] = new
            changed += 1
        kept = {k: v for k, v in data.items() if k not in ("combinations", "written_at")}
        out = {**kept, **info, "format": FORMAT, "version": VERSION,
               "canonical_form": CANONICAL_FORM,
               "written_at": datetime.datetime.now(datetime.timezone.utc)
               .isoformat(timespec="seconds"),
               "combinations": dict(sorted(combos.items()))}
        if changed or data.get("canonical_form") != CANONICAL_FORM:
            _write_atomically(self.index_path, json.dumps(out, indent=1) + "\n")
        return changed


@functools.lru_cache(maxsize=64)
def _read_index(path: Path, mtime_ns: int, size: int, inode: int) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT \
            or data.get("version") != VERSION:
        return None
    return data


def _stored(entry: dict) -> dict:
    """What the index keeps of a sweep entry."""
    if "sha256" in entry:
        return {"sha256": entry["sha256"], "counts": entry["counts"],
                "hlo": f"{HLO_DIR}/{entry['sha256']}.hlo"}
    return {k: entry[k] for k in ("skipped", "failed") if k in entry}


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def sidecar_from_environment(environ: dict | None = None) -> tuple[Sidecar | None, str]:
    """The sidecar this benchmark process writes (from VJPLAB_FINGERPRINT_DIR, the commit and
    ASV_ENV_NAME), or None and why not."""
    environ = os.environ if environ is None else environ
    root = environ.get(DIR_ENV)
    commit = environ.get(COMMIT_ENV) or environ.get("ASV_COMMIT")
    env_name = environ.get("ASV_ENV_NAME")
    missing = [name for name, value in ((DIR_ENV, root), (f"{COMMIT_ENV} or ASV_COMMIT", commit),
                                        ("ASV_ENV_NAME", env_name)) if not value]
    if missing:
        return None, (f"no sidecar written: {', '.join(missing)} not set (vjplab bench and "
                      f"vjplab record set them)")
    return Sidecar(Path(root) / results_stem(commit, env_name)), ""


def sweep_combinations(grid: Grid) -> list[Combination]:
    """The combinations fingerprinted for ``grid``: its latency sweep's, then its metrics
    sweep's others, static skips left out (a dense strategy at a large N, a locality-free
    family at another locality)."""
    out: dict[Combination, None] = {}
    for kind in SWEEP_KINDS:
        sweep = grid.sweep(kind)
        for combo in sweep.combinations():
            if sweep.skip_reason(*combo) is None:
                out.setdefault(tuple(combo), None)
    return list(out)


def program_fingerprint(family: str, strategy: str, dimension: int, locality: int,
                        dtype: str = "float32") -> Fingerprint:
    """The fingerprint of the combination's compiled VJP (compiled, never run); raises
    ``vjplab.prepared.Infeasible`` as ``prepare`` does."""
    from vjplab.prepared import compiled_vjp

    return fingerprint(compiled_vjp(family, strategy, dimension, locality, dtype).as_text())


def environment_info() -> dict:
    """The JAX, jaxlib and backend of this process, for the index."""
    import jax
    import jaxlib

    devices = jax.devices()
    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "backend": jax.default_backend(),
            "devices": f"{len(devices)} x {devices[0].device_kind}" if devices else "none"}


def fingerprint_combinations(combos: list[Combination], progress: TextIO | None = None
                             ) -> tuple[dict[Combination, dict], dict[str, str]]:
    """({combination: {"sha256", "counts"} | {"skipped": why} | {"failed": what}},
    {sha256: canonical HLO text}) of ``combos`` (all of one dtype), compiled in this process."""
    from vjplab import compat
    from vjplab.prepared import Infeasible

    progress = progress or sys.stderr
    compat.disable_persistent_compilation_cache()  # before the process's first compile
    table: dict[Combination, dict] = {}
    texts: dict[str, str] = {}
    started = time.perf_counter()
    for index, combo in enumerate(combos, 1):
        try:
            found = program_fingerprint(*combo)
            table[combo] = {"sha256": found.sha256, "counts": found.counts}
            texts[found.sha256] = found.text
        except Infeasible as exc:
            table[combo] = {"skipped": str(exc)}
        except Exception as exc:  # noqa: BLE001 - recorded per combination
            table[combo] = {"failed": f"{type(exc).__name__}: {exc}"}
        if index % 20 == 0 or index == len(combos):
            print(f"programs: {index}/{len(combos)} {combo[4]} combinations compiled, "
                  f"{time.perf_counter() - started:.1f} s", file=progress, flush=True)
    return table, texts


def fingerprint_sweep(grid: Grid, sidecar: Sidecar | None = None, note: str = "",
                      progress: TextIO | None = None) -> dict[Combination, dict]:
    """{combination: {"sha256", "counts"} | {"skipped": why} | {"failed": what}} for every
    combination of ``sweep_combinations(grid)``; written to ``sidecar`` when given (else
    ``note`` is printed). A failure of one combination is recorded for it alone."""
    from vjplab import x64

    progress = progress or sys.stderr
    combos = sweep_combinations(grid)
    narrow = [c for c in combos if c[4] == "float32"]
    wide = [c for c in combos if c[4] != "float32"]
    table, texts = fingerprint_combinations(narrow, progress)
    if wide:  # jax_enable_x64 is process-wide: float64 programs compile in their own process
        wide_table, wide_texts = x64.in_own_process(
            "vjplab.measure.fingerprints:fingerprint_combinations", wide)
        table.update(wide_table)
        texts.update(wide_texts)
    table = {combo: table[combo] for combo in combos}
    if sidecar is not None:
        info = {**environment_info(), "commit": os.environ.get(COMMIT_ENV)
                or os.environ.get("ASV_COMMIT", ""), "env": os.environ.get("ASV_ENV_NAME", "")}
        changed = sidecar.write(table, texts, info, messages=progress)
        print(f"programs: {changed} fingerprint(s) written to {sidecar.path}", file=progress,
              flush=True)
    elif note:
        print(f"programs: {note}", file=progress, flush=True)
    return table
