"""Tests run with 64-bit JAX so float64 comparisons are possible (float32 stays float32)."""

import jax

jax.config.update("jax_enable_x64", True)
