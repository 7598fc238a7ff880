"""One dtype per process: float64 needs ``jax_enable_x64``, which is process-wide.

``jax_enable_x64`` changes float32 programs too (index arithmetic, constants, weak types), so
the suite never measures both dtypes in one process:

* a benchmark process (one asv parameter set) calls ``enter(dtype)`` before its first JAX
  computation: it switches x64 on for float64 and refuses (RuntimeError) a second dtype;
* a ``setup_cache`` sweep (metrics, fingerprints) measures its float32 combinations itself and
  hands the float64 ones to a fresh interpreter (``in_own_process``), which switches x64 on
  first and sends back the pickled result.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
from importlib import import_module
from pathlib import Path
from typing import Any

_ENTERED: list[str] = []


def enter(dtype: str) -> None:
    """Put this process in ``dtype``'s mode (x64 on for float64, off otherwise); RuntimeError
    when it already measured the other dtype, ValueError for an unknown dtype."""
    import jax

    from vjplab.problems import DTYPES

    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(DTYPES)}")
    if _ENTERED and _ENTERED[0] != dtype:
        raise RuntimeError(f"this process already measured {_ENTERED[0]}; jax_enable_x64 is "
                           f"process-wide, so {dtype} must run in its own process")
    if not _ENTERED:
        _ENTERED.append(dtype)
    wanted = dtype == "float64"
    if bool(jax.config.jax_enable_x64) != wanted:
        jax.config.update("jax_enable_x64", wanted)


@contextlib.contextmanager
def switched_for(dtype: str):
    """x64 switched on while ``dtype`` is float64, then restored: for a process that measures
    nothing (vjplab's driver deciding which combinations are feasible), never a timing one."""
    import jax

    previous = bool(jax.config.jax_enable_x64)
    wanted = previous or dtype == "float64"
    if wanted != previous:
        jax.config.update("jax_enable_x64", wanted)
    try:
        yield
    finally:
        if wanted != previous:
            jax.config.update("jax_enable_x64", previous)


def in_own_process(function: str, *args: Any, dtype: str = "float64",
                   timeout: float | None = None) -> Any:
    """``module:function(*args)`` run in a fresh interpreter (this one's executable and
    environment) after ``enter(dtype)``; its return value, unpickled. RuntimeError with the
    child's stderr when it fails."""
    with tempfile.TemporaryDirectory(prefix="vjplab-x64-") as tmp:
        request, answer = Path(tmp) / "request.pkl", Path(tmp) / "answer.pkl"
        request.write_bytes(pickle.dumps((function, args, dtype)))
        done = subprocess.run([sys.executable, "-m", "vjplab.x64", str(request), str(answer)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ), timeout=timeout)
        if done.stderr:
            sys.stderr.write(done.stderr)
        if done.returncode != 0 or not answer.is_file():
            raise RuntimeError(f"{function} in a {dtype} process failed (exit "
                               f"{done.returncode}): {done.stderr.strip()[-2000:]}")
        return pickle.loads(answer.read_bytes())


def _x64_flag() -> bool:
    """Whether this process runs with x64 (what ``in_own_process`` children report in tests)."""
    import jax

    return bool(jax.config.jax_enable_x64)


def _main(request: str, answer: str) -> None:
    from vjplab.cpu_affinity import pin_for_timing

    function, args, dtype = pickle.loads(Path(request).read_bytes())
    enter(dtype)
    pin_for_timing()  # as the benchmark process that started it (before any computation)
    module, name = function.split(":")
    result = getattr(import_module(module), name)(*args)
    Path(answer).write_bytes(pickle.dumps(result))


if __name__ == "__main__":
    _main(*sys.argv[1:3])
