"""A committed copy of the working tree, for end-to-end tests that run asv at a commit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from vjplab.suite import repo_root

ROOT = repo_root()


def committed_copy(dest: Path) -> Path:
    """The working tree (tracked and untracked, not ignored files) committed on `main` in a
    fresh repository: asv publish graphs only commits of asv.conf.json's branches (["main"]),
    and the checkout running the tests may be on another branch, or dirty."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)
    return dest
