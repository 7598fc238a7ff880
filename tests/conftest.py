"""Tests run with 64-bit JAX so float64 comparisons are possible (float32 stays float32)."""

import jax

jax.config.update("jax_enable_x64", True)

import pytest


@pytest.fixture(autouse=True)
def unpinned_test_process(monkeypatch):
    """Tests measure in-process: never pin the pytest process (and its asv runs) to one CPU.

    Tests that are about pinning set VJPLAB_CPU_AFFINITY themselves, in fresh processes.
    """
    monkeypatch.setenv("VJPLAB_CPU_AFFINITY", "off")
