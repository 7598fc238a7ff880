"""Tests run with 64-bit JAX so float64 comparisons are possible (float32 stays float32)."""

import os

import jax

jax.config.update("jax_enable_x64", True)
# The shipped reference machine (results/reference/) stays out of every test, session fixtures
# and the vjplab/asv processes they start included (a function-scoped monkeypatch would come too
# late for those): tests that want a reference name one (tests/test_reference.py).
os.environ["VJPLAB_REFERENCE_DIR"] = "off"

import pytest


@pytest.fixture(autouse=True)
def unpinned_test_process(monkeypatch):
    """Tests measure in-process: never pin the pytest process (and its asv runs) to one CPU.

    Tests that are about pinning set VJPLAB_CPU_AFFINITY themselves, in fresh processes.
    """
    monkeypatch.setenv("VJPLAB_CPU_AFFINITY", "off")


@pytest.fixture(autouse=True)
def sixty_four_bit_jax():
    """Every test starts with x64 on, whatever an earlier one did in this process (a benchmark's
    setup run in-process puts the process in its dtype's mode, vjplab.x64.enter)."""
    from vjplab import x64

    yield
    x64._ENTERED.clear()
    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


@pytest.fixture(autouse=True)
def no_shipped_reference(monkeypatch):
    """Tests read the reference machine's results only where they say so (tests/
    test_reference.py passes a fabricated one): the checkout's results/reference/ would make
    every published page depend on what happens to be committed there."""
    monkeypatch.setenv("VJPLAB_REFERENCE_DIR", "off")



@pytest.fixture(scope="session")
def recorded_history(tmp_path_factory):
    """REAL asv results of two JAX releases on the tiny grid (`vjplab record`, published):
    shared by the history end-to-end tests and the browser test of the history page, so the
    two virtualenvs are built once per test session."""
    import subprocess
    import sys

    from tests.checks import RECORDED_RELEASES
    from vjplab.suite import repo_root

    output = tmp_path_factory.mktemp("history")
    out = subprocess.run([sys.executable, "-m", "vjplab", "record", "--versions",
                          ",".join(RECORDED_RELEASES), "--grid", "tiny", "--machine",
                          "e2e-machine", "--output-dir", str(output)],
                         cwd=repo_root(), capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    old, new = RECORDED_RELEASES
    assert f"[1/2] jax {old}" in out.stdout and f"[2/2] jax {new}" in out.stdout
    assert "recorded 2 of 2 JAX versions" in out.stdout
    return output


@pytest.fixture(scope="session")
def smoke_bench(tmp_path_factory):
    """ONE real `python -m vjplab bench --grid smoke` (run + publish) per test session, shared
    by the asv-suite tests (which only read it) and the browser test (which works on a copy):
    each smoke run costs CI about four minutes. Returns the output directory."""
    import subprocess
    import sys

    from vjplab.suite import repo_root

    output = tmp_path_factory.mktemp("smoke")
    # --allow-dirty: the tests run on the working tree, which may have uncommitted changes.
    out = subprocess.run([sys.executable, "-m", "vjplab", "bench", "--grid", "smoke",
                          "--output-dir", str(output), "--allow-dirty"], cwd=repo_root(),
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    return output
