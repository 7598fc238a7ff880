"""Bad input fails with a ValueError that names what is allowed."""

from __future__ import annotations

import pytest

import vjplab


def test_unknown_family_names_allowed():
    with pytest.raises(ValueError, match="unknown family 'nope'; allowed: .*roll_cubic"):
        vjplab.problem("nope", 100, 1)


def test_unknown_strategy_names_allowed():
    p = vjplab.problem("roll_cubic", 100, 1)
    with pytest.raises(ValueError, match="unknown strategy 'fast'; allowed: .*jax_vjp"):
        vjplab.vjp("fast", p)


def test_vjp_needs_a_problem():
    with pytest.raises(ValueError, match="vjplab.Problem"):
        vjplab.vjp("jax_vjp", "roll_cubic")


@pytest.mark.parametrize("dimension", [0, -5, 2.5, "100", True])
def test_bad_dimension(dimension):
    with pytest.raises(ValueError, match="dimension must be an integer >= 1"):
        vjplab.problem("roll_cubic", dimension, 1)


@pytest.mark.parametrize("locality", [-1, 1.0])
def test_bad_locality(locality):
    with pytest.raises(ValueError, match="locality must be an integer >= 0"):
        vjplab.problem("roll_cubic", 100, locality)


def test_locality_too_large_names_range():
    with pytest.raises(ValueError, match=r"allowed: 0\.\.4"):
        vjplab.problem("roll_cubic", 9, 5)


@pytest.mark.parametrize("dtype", ["float16", "int32", "complex64", None])
def test_bad_dtype(dtype):
    with pytest.raises(ValueError, match="allowed: float32, float64"):
        vjplab.problem("roll_cubic", 100, 1, dtype=dtype)


def test_float64_without_x64_is_explained():
    import jax

    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(ValueError, match="jax_enable_x64"):
            vjplab.problem("roll_cubic", 100, 1, dtype="float64")
    finally:
        jax.config.update("jax_enable_x64", True)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        vjplab.problem("roll_cubic", 100, 1, seed=-1)


@pytest.mark.parametrize("family", vjplab.families())
def test_every_family_rejects_negative_locality_and_huge_locality(family):
    fam = vjplab.FAMILIES[family]
    n = fam.nearest_dimension(100)
    with pytest.raises(ValueError, match="locality"):
        vjplab.problem(family, n, -1)
    if fam.uses_locality:
        with pytest.raises(ValueError, match="allowed"):
            vjplab.problem(family, n, n)


def test_unknown_grid(monkeypatch):
    from vjplab.grid import active_grid

    monkeypatch.setenv("VJPLAB_GRID", "huge")
    with pytest.raises(ValueError, match="allowed: default, full, gpu, history, smoke, tiny"):
        active_grid()
