"""Put glibc's malloc in one reproducible state for every timing process.

Why: on the CPU, XLA takes a call's output and temporary buffers from glibc's malloc, and with
glibc's defaults the cost of a call depends on the process, not only on the program:

* A buffer allocated on one of XLA's worker threads comes from that thread's arena, an mmapped
  heap of at most 64 MiB that returns freed memory to the kernel: in about half of the
  processes the output of ``smoothness_1d`` exact at N = 1e6 (float64, 8 MB) is page-faulted
  afresh on every call (1954 minor faults a call, 3.4-3.9 ms against 0.28-0.29 ms).
* Buffers over glibc's mmap threshold (at most 32 MiB) are mapped and unmapped on every call
  (jax.vjp of roll_cubic at N = 1e6, k = 4: 17.3 ms a call against 4.5 ms; docs/protocol.md).
* Where 4 KiB pages land in the physically indexed caches differs from process to process:
  banded_conv jax_vjp at N = 1e5, k = 16 took 1.2 ms in some processes and 2.2-2.7 ms in
  others, with no page faults.

A run that pools three processes then reports whichever mix of states it drew, and an A/A pair
of default-grid runs flagged 8 of 282 ``time_vjp`` pairs (docs/results.md). ``TIMING_ENV``
fixes the state: one arena, fixed mmap and trim thresholds (buffers are reused, as in any
steady loop) and transparent huge pages for the heap (``glibc.malloc.hugetlb=1``, glibc 2.35+,
ignored before), so large buffers sit in 2 MiB pages. Measured (6 fresh pinned processes each,
``.ci/allocator_probe.py``): smoothness_1d 275-289 us in all six; banded_conv
0.95-1.39 ms; with glibc's defaults 0.29 or 3.9 ms and 1.2 or 2.7 ms.

glibc reads these only when a process starts, so vjplab's launchers (``bench``, ``record``,
``bisect``, ``measure --processes``) put them in the environment of asv and of the processes it
starts. A timing process that finds them missing (``asv run`` started by hand) applies what can
be set at run time with ``mallopt`` (arena count and thresholds, not huge pages) before its first
computation. ``VJPLAB_ALLOCATOR=default`` keeps glibc's defaults everywhere (to see what they
cost). Off glibc nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from collections.abc import Mapping

ALLOCATOR_ENV_VAR = "VJPLAB_ALLOCATOR"
ALLOWED = ("settled", "default")
#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
#: The largest mmap threshold glibc accepts at run time (HEAP_MAX_SIZE / 2 on 64-bit).
_RUNTIME_MMAP_THRESHOLD = 32 * 2**20
_TUNABLE = "glibc.malloc.hugetlb=1"
#: What a timing process's environment carries (glibc reads it at start-up).
ALLOCATOR_ENV: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(2**32),
    "MALLOC_TRIM_THRESHOLD_": str(2**36),
    "MALLOC_ARENA_MAX": "1",
}
_settled_in_process: str | None = None


def mode(environ: Mapping[str, str] = os.environ) -> str:
    """``'settled'`` (default) or ``'default'``, from VJPLAB_ALLOCATOR; ValueError otherwise."""
    value = environ.get(ALLOCATOR_ENV_VAR, "settled").strip().lower() or "settled"
    if value not in ALLOWED:
        raise ValueError(f"{ALLOCATOR_ENV_VAR}={value!r} is not valid; allowed: "
                         f"{', '.join(repr(a) for a in ALLOWED)}")
    return value


def timing_environ(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus the settled allocator (unless VJPLAB_ALLOCATOR=default); an existing
    GLIBC_TUNABLES keeps its other tunables."""
    env = dict(base)
    if mode(env) == "default":
        return env
    env.update(ALLOCATOR_ENV)
    tunables = [t for t in env.get("GLIBC_TUNABLES", "").split(":")
                if t and not t.startswith("glibc.malloc.hugetlb=")]
    env["GLIBC_TUNABLES"] = ":".join(tunables + [_TUNABLE])
    return env


def started_settled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process was started with TIMING_ENV (so glibc applied it at start-up)."""
    return (all(environ.get(k) == v for k, v in ALLOCATOR_ENV.items())
            and _TUNABLE in environ.get("GLIBC_TUNABLES", "").split(":"))


def settle_in_process() -> str:
    """Call before a timing process's first computation; returns how its allocator stands.

    Started with ``timing_environ``: nothing to do. Otherwise, on glibc and unless
    VJPLAB_ALLOCATOR=default, set one arena and fixed thresholds with ``mallopt`` (huge pages
    cannot be switched on at run time).
    """
    global _settled_in_process
    if _settled_in_process is not None:
        return _settled_in_process
    if mode() == "default":
        state = "glibc defaults (VJPLAB_ALLOCATOR=default)"
    elif started_settled():
        state = "settled at start-up (one arena, fixed thresholds, huge pages)"
    elif platform.libc_ver()[0] != "glibc":
        state = "not glibc: left alone"
    else:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        done = [libc.mallopt(_M_ARENA_MAX, 1),
                libc.mallopt(_M_MMAP_THRESHOLD, _RUNTIME_MMAP_THRESHOLD),
                libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)]  # mallopt takes an int
        state = ("settled at run time (one arena, fixed thresholds, no huge pages)"
                 if all(done) else "glibc defaults (mallopt refused)")
    _settled_in_process = state
    return state


def describe_for_run(environ: Mapping[str, str] = os.environ) -> str:
    """How the timing processes that vjplab's launchers start find glibc's malloc."""
    if mode(environ) == "default":
        return "glibc's malloc defaults (VJPLAB_ALLOCATOR=default)"
    return "malloc settled: one arena, fixed thresholds, huge pages (vjplab.allocator)"
