"""Every difference between JAX releases that vjplab touches, in one place.

Checked against jax 0.4.31, 0.5.3 and 0.10.2:
* ``Compiled.cost_analysis()`` returns a list holding one dict before 0.5.0, a dict after.
* ``Compiled.memory_analysis()`` returns ``CompiledMemoryStats`` (or None where a backend has
  none); ``peak_memory_in_bytes`` exists only in newer releases.
* ``jax.clear_caches`` exists in every supported release (>= 0.4.31).
* ``jax.lax.optimization_barrier`` is public only from 0.4.32 (jax._src before).
* ``jax.core.eval_jaxpr``: public in the releases checked; jax._src.core keeps it if it moves.
"""

from __future__ import annotations

from typing import Any

import jax


def cost_analysis(compiled: Any) -> dict[str, float] | None:
    """XLA's cost analysis of a ``jax.stages.Compiled`` as one dict (None if unavailable)."""
    try:
        analysis = compiled.cost_analysis()
    except (AttributeError, NotImplementedError, RuntimeError):
        return None
    if isinstance(analysis, (list, tuple)):
        analysis = analysis[0] if analysis else None
    return dict(analysis) if analysis else None


def memory_analysis(compiled: Any) -> Any | None:
    """XLA's memory analysis (``CompiledMemoryStats``) of a compiled function, if provided."""
    try:
        return compiled.memory_analysis()
    except (AttributeError, NotImplementedError, RuntimeError):
        return None


def clear_caches() -> None:
    """Drop JAX's in-memory tracing/lowering/compilation caches."""
    jax.clear_caches()


def disable_persistent_compilation_cache() -> None:
    """Make sure compile-time measurements never read a compilation cache from disk."""
    for option, value in (("jax_enable_compilation_cache", False),
                          ("jax_compilation_cache_dir", None)):
        try:
            jax.config.update(option, value)
        except (AttributeError, KeyError, ValueError, TypeError):
            pass


def optimization_barrier(operands: Any) -> Any:
    """``jax.lax.optimization_barrier`` (public from jax 0.4.32; before, only in jax._src)."""
    barrier = getattr(jax.lax, "optimization_barrier", None)
    if barrier is None:
        from jax._src.ad_checkpoint import _optimization_barrier as barrier
    return barrier(operands)


def eval_jaxpr(jaxpr: Any, consts: Any, *args: Any) -> list:
    """Evaluate a jaxpr with explicit constants (``jax.core.eval_jaxpr``, jax._src if hidden)."""
    evaluate = getattr(jax.core, "eval_jaxpr", None)
    if evaluate is None:
        from jax._src.core import eval_jaxpr as evaluate
    return evaluate(jaxpr, consts, *args)
