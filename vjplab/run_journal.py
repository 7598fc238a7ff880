"""Which pieces of a ``vjplab bench`` run asv has saved, so that an interrupted run resumes.

The journal is vjplab's own file beside the derived config (``.asv/interrupted-run.json``),
never in asv's results directory. It names the run (commit, machine, interpreter, JAX
labels, grid, ``--bench``, rounds) and the regex of each finished piece. The next ``bench``
with the same run resumes: it skips the pieces whose regex is listed, and asv merges the rest
into the same results file. A completed run removes the journal (the results stay), so a later
``bench`` measures everything again; a run with other settings starts afresh and says so.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.pieces import Piece

JOURNAL_NAME = "interrupted-run.json"


@dataclass
class RunJournal:
    path: Path
    run: dict
    done: dict[str, str] = field(default_factory=dict)  # piece regex -> label
    started: str = ""

    @classmethod
    def open(cls, directory: Path, run: dict) -> tuple["RunJournal", str | None]:
        """The journal of ``run`` in ``directory``: the interrupted one when its run matches
        (resume), else a fresh one; and a line for the terminal (None: nothing to say)."""
        path = Path(directory) / JOURNAL_NAME
        fresh = cls(path, run, started=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
        if not path.is_file():
            return fresh, None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            return fresh, f"ignoring an unreadable run journal {path} ({exc})"
        if data.get("run") != run:
            changed = sorted(k for k in set(run) | set(data.get("run", {}))
                             if run.get(k) != data.get("run", {}).get(k))
            return fresh, (f"an interrupted run of {data.get('started', '?')} differs in "
                           f"{', '.join(changed)}: not resumed (what it saved stays in asv's "
                           f"results); measuring everything")
        journal = cls(path, run, dict(data.get("done", {})), data.get("started", ""))
        return journal, None

    def has(self, piece: Piece) -> bool:
        return piece.regex in self.done

    def add(self, piece: Piece) -> None:
        """Record that asv saved ``piece`` (written at once: the next Ctrl-C may be now)."""
        self.done[piece.regex] = piece.label
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"run": self.run, "started": self.started,
                                   "done": self.done}, indent=1))
        tmp.replace(self.path)

    def complete(self) -> None:
        """The run finished: nothing to resume."""
        self.path.unlink(missing_ok=True)
