"""float64 in its own processes (vjplab.x64): benchmark processes refuse a second dtype, and the
setup_cache sweeps hand float64 combinations to a fresh interpreter."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import jax
import pytest

from vjplab.grid import Float64Scope, Sweep
from vjplab.measure.fingerprints import fingerprint_combinations
from vjplab.measure.sweep import measure_sweep
from vjplab.x64 import in_own_process, switched_for


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300)


def test_a_benchmark_process_measures_one_dtype():
    """enter() switches x64 on for float64, and a process that measured float32 refuses
    float64 (and the reverse) instead of measuring float32 programs under x64."""
    done = run_python("""
        import jax
        from vjplab.x64 import enter
        enter("float64")
        assert jax.config.jax_enable_x64
        enter("float64")  # the same dtype again: asv re-runs setup before every sample
        try:
            enter("float32")
        except RuntimeError as exc:
            print("refused:", exc)
    """)
    assert done.returncode == 0, done.stderr
    assert "refused: this process already measured float64" in done.stdout
    done = run_python("""
        from vjplab.x64 import enter
        enter("float32")
        enter("float64")
    """)
    assert done.returncode != 0 and "float64 must run in its own process" in done.stderr


def test_unknown_dtype_names_the_allowed_ones():
    from vjplab.x64 import enter

    with pytest.raises(ValueError, match="allowed: float32, float64"):
        enter("float16")


def test_in_own_process_runs_under_x64_and_leaves_this_process_alone():
    before = jax.config.jax_enable_x64  # the test session runs with x64 (conftest)
    assert in_own_process("vjplab.x64:_x64_flag") is True
    assert in_own_process("vjplab.x64:_x64_flag", dtype="float32") is False
    assert jax.config.jax_enable_x64 == before
    with pytest.raises(RuntimeError, match="failed"):
        in_own_process("vjplab.x64:no_such_function")


def test_switched_for_restores_the_flag():
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        with switched_for("float64"):
            assert jax.config.jax_enable_x64
        assert not jax.config.jax_enable_x64
        with switched_for("float32"):
            assert not jax.config.jax_enable_x64
    finally:
        jax.config.update("jax_enable_x64", before)


SWEEP = Sweep(dimensions=(100,), large_dimensions=(), localities=(1,), families=("burgers_1d",),
              strategies=("exact", "jax_vjp"), float64=Float64Scope())


def test_metrics_sweep_measures_float64_in_its_own_process():
    """The float64 entries come from a process with x64 on (twice the bytes of float32); this
    process's flag is left as it was."""
    before = jax.config.jax_enable_x64
    table = measure_sweep(SWEEP, progress=io.StringIO())
    assert set(table) == {("burgers_1d", s, 100, 1, d) for s in ("exact", "jax_vjp")
                          for d in ("float32", "float64")}
    for strategy in ("exact", "jax_vjp"):
        narrow = table[("burgers_1d", strategy, 100, 1, "float32")]
        wide = table[("burgers_1d", strategy, 100, 1, "float64")]
        assert wide["xla_memory_bytes"] == 2 * narrow["xla_memory_bytes"], (narrow, wide)
    assert jax.config.jax_enable_x64 == before


def test_float64_programs_differ_from_float32():
    narrow, _ = fingerprint_combinations([("burgers_1d", "exact", 100, 1, "float32")],
                                         io.StringIO())
    wide, texts = in_own_process("vjplab.measure.fingerprints:fingerprint_combinations",
                                 [("burgers_1d", "exact", 100, 1, "float64")])
    a = narrow[("burgers_1d", "exact", 100, 1, "float32")]
    b = wide[("burgers_1d", "exact", 100, 1, "float64")]
    assert a["sha256"] != b["sha256"]
    assert "f64[" in texts[b["sha256"]] and "f64[" not in str(a)
