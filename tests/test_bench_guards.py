"""`vjplab bench` refuses uncommitted code; `vjplab measure` refuses an unknown dtype."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from vjplab import cli, suite
from vjplab.worktree import check_clean, dirty_paths


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    """A committed checkout with vjplab/, benchmarks/ and a README."""
    for path in ("vjplab/__init__.py", "benchmarks/bench_x.py", "README.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text("/.asv/\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return tmp_path


def test_clean_checkout_passes(repo):
    (repo / ".asv").mkdir()
    (repo / ".asv" / "results.json").write_text("{}")  # ignored
    (repo / "notes.txt").write_text("untracked, outside the code")
    assert dirty_paths(repo) == []
    assert check_clean(repo, allow_dirty=False) is None


@pytest.mark.parametrize("change", ["modify", "stage", "untracked_code", "untracked_bench",
                                    "delete"])
def test_uncommitted_code_is_refused(repo, change):
    if change == "modify":
        (repo / "README.md").write_text("changed\n")
    elif change == "stage":
        (repo / "vjplab" / "__init__.py").write_text("x = 2\n")
        git(repo, "add", "-A")
    elif change == "untracked_code":
        (repo / "vjplab" / "new.py").write_text("y = 1\n")
    elif change == "untracked_bench":
        (repo / "benchmarks" / "sub").mkdir()
        (repo / "benchmarks" / "sub" / "bench_y.py").write_text("y = 1\n")
    else:
        (repo / "benchmarks" / "bench_x.py").unlink()
    with pytest.raises(ValueError, match="(?s)uncommitted changes.*--allow-dirty"):
        check_clean(repo, allow_dirty=False)
    assert "WARNING" in check_clean(repo, allow_dirty=True)


def test_bench_command_exits_2_on_a_dirty_tree(repo, monkeypatch, capsys):
    (repo / "vjplab" / "new.py").write_text("y = 1\n")
    monkeypatch.setattr(suite, "repo_root", lambda: repo)
    started = []
    monkeypatch.setattr(suite, "run_logged", lambda *a, **k: started.append(a))
    assert cli.main(["bench", "--grid", "tiny", "--no-publish"]) == 2
    err = capsys.readouterr().err
    assert "vjplab bench: the checkout has uncommitted changes" in err
    assert "?? vjplab/new.py" in err
    assert not started  # asv never ran


def test_bench_command_rejects_a_bad_bench_regex(monkeypatch, capsys):
    monkeypatch.setattr(suite, "run_logged", lambda *a, **k: pytest.fail("asv ran"))
    assert cli.main(["bench", "--grid", "tiny", "--bench", "TimeVJP(", "--allow-dirty"]) == 2
    assert "not a valid regular expression" in capsys.readouterr().err


def test_no_commit_is_refused(tmp_path):
    git(tmp_path, "init", "-q")
    with pytest.raises(ValueError, match="not a git checkout with a commit"):
        dirty_paths(tmp_path)


def test_measure_rejects_an_unknown_dtype(capsys):
    code = cli.main(["measure", "roll_cubic", "exact", "--dimension", "16", "--locality", "1",
                     "--dtype", "float16"])
    err = capsys.readouterr()
    assert code == 2, err
    assert "unknown dtype 'float16'; allowed: float32, float64" in err.err
    assert "skipped" not in err.out
