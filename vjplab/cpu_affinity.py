"""Pin a timing process to one CPU before JAX starts its CPU backend.

Why: on a 2-vCPU VM, a process running XLA's CPU backend unpinned settles in one of several
steady states (its worker threads and the Python thread share or fight over the two CPUs), and
the state differs from process to process: ``VJPLAB_CPU_AFFINITY=off python -m vjplab measure
roll_cubic jax_vjp --dimension 1000000 --locality 4 --processes 5`` spreads about 2x between
processes, pinned about 5 % (docs/protocol.md, "The timing protocol"). Pinned before the
backend exists, XLA sizes its thread pool for one CPU and every thread it starts inherits the
mask. The price: the measurement is single-core, so large multi-threaded kernels are slower
than on all cores, and a call's fixed cost (thread hand-offs on one CPU) is higher.

``VJPLAB_CPU_AFFINITY`` chooses:

* ``auto`` (default): pin to the highest-numbered CPU this process may use, but only when JAX
  will run on the CPU (no ``JAX_PLATFORMS`` naming another platform, no accelerator plugin
  installed); GPU processes are left alone.
* ``off``: never pin (all cores; noisier).
* a CPU list such as ``3`` or ``0-1,4``: pin to exactly these CPUs.

Pinning happens only before JAX's backends are initialised: afterwards the worker threads exist
and only the calling thread would move, which measured worse than not pinning at all.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import sys
import warnings

AFFINITY_ENV = "VJPLAB_CPU_AFFINITY"
_pinned: set[int] | None = None  # what pin_for_timing applied in this process
ALLOWED = "'auto', 'off', or a CPU list such as '3' or '0-1,4'"


def parse_cpu_list(text: str) -> set[int]:
    """``'0-2,5'`` -> {0, 1, 2, 5}; ValueError naming the allowed forms otherwise."""
    cpus: set[int] = set()
    try:
        for part in text.split(","):
            lo, dash, hi = part.strip().partition("-")
            first, last = int(lo), int(hi if dash else lo)
            if first < 0 or last < first:
                raise ValueError
            cpus.update(range(first, last + 1))
    except ValueError:
        raise ValueError(f"{AFFINITY_ENV}={text!r} is not valid; allowed: {ALLOWED}") from None
    return cpus


def accelerator_expected() -> bool:
    """Whether JAX would pick a non-CPU backend (JAX_PLATFORMS, or an installed plugin)."""
    platforms = os.environ.get("JAX_PLATFORMS", "").strip().lower()
    if platforms:
        return platforms.split(",")[0] != "cpu"
    if importlib.util.find_spec("libtpu") is not None:
        return True
    spec = importlib.util.find_spec("jax_plugins")
    return bool(spec and spec.submodule_search_locations
                and any(pkgutil.iter_modules(spec.submodule_search_locations)))


def requested_cpus(setting: str | None = None) -> set[int] | None:
    """The CPUs ``VJPLAB_CPU_AFFINITY`` (or ``setting``) asks for; None means do not pin."""
    setting = (os.environ.get(AFFINITY_ENV, "auto") if setting is None else setting).strip()
    if setting.lower() == "off":
        return None
    if setting.lower() in ("auto", ""):
        return None if accelerator_expected() else {max(os.sched_getaffinity(0))}
    cpus = parse_cpu_list(setting)
    usable = os.sched_getaffinity(0)
    if not cpus <= usable:
        raise ValueError(f"{AFFINITY_ENV}={setting!r} names CPUs this process may not use; "
                         f"allowed CPUs: {sorted(usable)}")
    return cpus


def _backends_initialized() -> bool:
    xla_bridge = sys.modules.get("jax._src.xla_bridge")  # not imported: nothing has started
    return bool(getattr(xla_bridge, "_backends", None))


def _pin_every_thread(cpus: set[int]) -> None:
    """Pin the threads that exist (numpy's BLAS starts one at import); new ones inherit."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (ProcessLookupError, FileNotFoundError):  # the thread has ended meanwhile
            pass


def pin_for_timing() -> set[int] | None:
    """Apply ``VJPLAB_CPU_AFFINITY`` to this process; returns the CPUs pinned to, or None.

    Call before the first JAX computation of a timing process. Does nothing (with a warning)
    when JAX's backends already exist.
    """
    global _pinned
    cpus = requested_cpus()
    if cpus is None:
        return None
    if cpus == _pinned:  # asv re-runs setup before every sample: pin once per process
        return cpus
    if _backends_initialized():
        warnings.warn(f"{AFFINITY_ENV}: JAX's backends already run, so the process is not "
                      f"pinned (XLA's threads would keep their CPUs)", RuntimeWarning,
                      stacklevel=2)
        return None
    _pin_every_thread(cpus)
    _pinned = cpus
    return cpus


def describe_pinning(cpus: set[int] | None) -> str:
    """'pinned to CPU 1' / 'pinned to CPUs 0-1' / 'not pinned' for reports."""
    if cpus is None:
        return f"not pinned ({AFFINITY_ENV})"
    listed = ",".join(str(c) for c in sorted(cpus))
    return f"pinned to CPU{'s' if len(cpus) > 1 else ''} {listed} ({AFFINITY_ENV})"
