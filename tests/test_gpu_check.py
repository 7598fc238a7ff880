""".ci/gpu_check.sh records against the real commit: it refuses a tree that differs from HEAD
before installing or running anything (a throwaway commit would place no point on the graphs
of the CPU results it is merged with)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from vjplab.suite import repo_root

SCRIPT = repo_root() / ".ci" / "gpu_check.sh"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                   check=True, capture_output=True)


def run_check(checkout: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT)], cwd=checkout, capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, OUT=str(out)))


def test_gpu_check_refuses_a_tree_that_differs_from_head(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "vjplab").mkdir(parents=True)
    (checkout / "vjplab" / "x.py").write_text("x = 1\n")
    git(checkout, "init", "-q", "-b", "main")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", "one")
    (checkout / "vjplab" / "x.py").write_text("x = 2\n")  # uncommitted code
    (checkout / "new.py").write_text("y = 1\n")  # an untracked file that travels
    out = run_check(checkout, tmp_path / "out")
    assert out.returncode == 1
    assert "the tree differs from HEAD (commit first" in out.stderr
    assert "vjplab/x.py" in out.stderr and "new.py" in out.stderr
    assert "installed asv" not in out.stdout  # refused before installing anything
    assert not (tmp_path / "out" / "gpu-results.tgz").exists()


def test_gpu_check_refuses_a_copy_without_its_git_directory(tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(repo_root() / "benchmarks", checkout / "benchmarks")
    out = run_check(checkout, tmp_path / "out")
    assert out.returncode == 1 and "carry a copy of .git as .gitcarry" in out.stderr
