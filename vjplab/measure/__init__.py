"""Metrics of one prepared VJP beyond one call's wall time (see docs/asv.md, "The suite").

The names below are imported on first use, so that ``vjplab.measure.hlo`` and
``vjplab.measure.fingerprints`` (read by the history report) do not import JAX.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "TimingStats": "vjplab.measure.timing", "device_time": "vjplab.measure.timing",
    "empty_call_latency": "vjplab.measure.timing", "hoist_proof_loop": "vjplab.measure.timing",
    "loop_iterations": "vjplab.measure.timing", "reference_latency": "vjplab.measure.timing",
    "XLAStats": "vjplab.measure.xla", "compile_seconds": "vjplab.measure.xla",
    "compile_time": "vjplab.measure.xla", "xla_stats": "vjplab.measure.xla",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vjplab.measure' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
