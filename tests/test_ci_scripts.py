""".ci/asv_source.sh (used by .ci/gpu_check.sh) never rewrites a checkout's history."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from vjplab.suite import repo_root

SCRIPT = repo_root() / ".ci" / "asv_source.sh"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def asv_source(cwd: Path) -> Path:
    out = subprocess.run(["bash", str(SCRIPT)], cwd=cwd, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.strip().splitlines()[-1])


def make_tree(path: Path) -> Path:
    for name in ("vjplab/__init__.py", "benchmarks/bench_x.py"):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text("x = 1\n")
    (path / ".gitignore").write_text("/.venv/\n")
    (path / ".venv").mkdir()
    (path / ".venv" / "big").write_text("ignored")
    return path


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A checkout with two commits on a branch that is not `main`."""
    repo = make_tree(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "work")
    for message in ("one", "two"):
        (repo / "README.md").write_text(message)
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)
    return repo


def test_clean_checkout_is_used_as_is(checkout):
    head = git(checkout, "rev-parse", "HEAD")
    assert asv_source(checkout) == checkout
    assert git(checkout, "rev-parse", "HEAD") == head
    assert git(checkout, "branch", "--show-current") == "work"  # not renamed
    assert git(checkout, "rev-parse", "main") == head  # created, since it was missing
    assert git(checkout, "log", "--format=%s") == "two\none"
    # An existing main is left where it is.
    git(checkout, "branch", "-f", "main", "HEAD~1")
    assert asv_source(checkout) == checkout
    assert git(checkout, "rev-parse", "main") == git(checkout, "rev-parse", "HEAD~1")


def test_dirty_checkout_is_committed_in_a_throwaway_copy(checkout):
    head = git(checkout, "rev-parse", "HEAD")
    (checkout / "vjplab" / "__init__.py").write_text("x = 2\n")
    (checkout / "vjplab" / "new.py").write_text("y = 1\n")
    source = asv_source(checkout)
    assert source != checkout and str(source).startswith("/tmp/")
    # The checkout: same history, same branches, changes still uncommitted.
    assert git(checkout, "rev-parse", "HEAD") == head
    assert git(checkout, "log", "--format=%s") == "two\none"
    assert git(checkout, "branch", "--format=%(refname:short)") == "work"
    assert "vjplab/new.py" in git(checkout, "status", "--porcelain")
    # The copy: one commit on main holding the working tree, without ignored files.
    assert git(source, "branch", "--show-current") == "main"
    assert git(source, "status", "--porcelain") == ""
    assert git(source, "show", "HEAD:vjplab/__init__.py") == "x = 2"
    assert git(source, "show", "HEAD:vjplab/new.py") == "y = 1"
    assert not (source / ".venv").exists()


@pytest.mark.parametrize("state", ["no_git", "no_commit"])
def test_tree_without_a_commit(tmp_path, state):
    tree = make_tree(tmp_path / "tree")
    if state == "no_commit":
        git(tree, "init", "-q")
    source = asv_source(tree)
    assert git(source, "show", "HEAD:benchmarks/bench_x.py") == "x = 1"
    assert (tree / ".git").is_dir() == (state == "no_commit")  # never removed
    assert (tree / ".venv" / "big").is_file()
