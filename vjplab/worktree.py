"""Is the checkout's code what its HEAD commit says? (``vjplab bench`` labels results with HEAD.)

asv's benchmark processes import the working tree's ``benchmarks/`` and this environment's
vjplab, while the results are stamped with HEAD's hash: uncommitted code would be merged into
the committed code's results. ``dirty_paths`` lists what makes the tree differ from HEAD.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

#: Untracked (and not ignored) files here change what runs; elsewhere they do not.
CODE_DIRS = ("vjplab/", "benchmarks/")


def dirty_paths(root: Path) -> list[str]:
    """Tracked files modified, added, deleted or renamed against HEAD (staged or not), and
    untracked, non-ignored files under vjplab/ or benchmarks/; ``git status`` porcelain lines.

    ValueError when ``root`` is not a git checkout with a commit.
    """
    head = subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=root,
                          capture_output=True, text=True)
    if head.returncode != 0:
        raise ValueError(f"{root} is not a git checkout with a commit; asv labels results with "
                         f"a commit (git init, git add -A, git commit)")
    status = subprocess.run(["git", "status", "--porcelain=v1", "--untracked-files=all"],
                            cwd=root, check=True, capture_output=True, text=True).stdout
    dirty = []
    for line in status.splitlines():
        code, path = line[:2], line[3:]
        if code == "??" and not path.startswith(CODE_DIRS):
            continue
        dirty.append(line)
    return dirty


def check_clean(root: Path, allow_dirty: bool) -> str | None:
    """ValueError naming the changes when the tree is dirty and ``allow_dirty`` is False; with
    ``allow_dirty``, the warning to print (None when the tree is clean)."""
    dirty = dirty_paths(root)
    if not dirty:
        return None
    listing = "\n  ".join(dirty[:20]) + ("\n  ..." if len(dirty) > 20 else "")
    if not allow_dirty:
        raise ValueError(
            f"the checkout has uncommitted changes; their results would be labelled with HEAD's "
            f"commit and merged into its results:\n  {listing}\ncommit them (or stash them), or "
            f"pass --allow-dirty to benchmark them anyway under HEAD's label")
    return (f"WARNING: benchmarking UNCOMMITTED code (--allow-dirty); the results are labelled "
            f"with HEAD's commit although the code differs from it:\n  {listing}")
