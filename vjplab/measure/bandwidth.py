"""The bandwidth floor: a VJP's minimal bytes over its device time, against a copy kernel.

A VJP ``g = J(x)^T c`` of f: R^N -> R^M must at least read its input x (N elements) and its
cotangent c (M elements) and write its result g (N elements)::

    minimal_bytes = (N + M) * itemsize  +  N * itemsize  =  (2 N + M) * itemsize

(M = N for the vector maps of this project's stencil families, so 3 N * itemsize; M = 1 for
a scalar loss, so (2 N + 1) * itemsize; float64 doubles every figure). It is a FLOOR: a real
kernel reads x at 2k + 1 shifted positions (from cache, if it fuses), writes and re-reads
intermediates where it does not fuse, and reads the function's constants; none of that counts
here. Hence

    achieved bandwidth = minimal_bytes / device time          (bytes per second)
    bandwidth fraction = achieved bandwidth / stream bandwidth (unitless)

where the stream bandwidth is what THIS process on THIS device, with the same pinning, moves
through a copy kernel ``out = a + s`` over arrays larger than the caches: bytes = one read of
a plus one write of out per iteration. It is timed with the same machinery as the device time
(vjplab.measure.timing): R iterations in one jitted fori_loop, the state passed through an
optimization barrier each iteration (so XLA can neither hoist the copy nor fold ``+ s``, s = 0
being loop state it cannot see through), the median over samples of one loop run each. A
fraction near 1 says the VJP runs at streaming speed over its minimal bytes: nothing left to
win but traffic; a fraction far below 1 says the kernel moves (or computes) much more than the
floor. A fraction above 1 is possible where x, c and g fit in a cache the copy kernel's arrays
do not.

The copy kernel is measured once per process and dtype (``stream_bandwidth`` caches it).
"""

from __future__ import annotations

import functools
import statistics
import time
from typing import Protocol

import numpy as np

#: Each copy-kernel array is at least this big (larger than the last-level caches of the
#: machines this project runs on: 32 MiB L3 per CCX on the AMD EPYC CI VM, 50-60 MiB L2 on an
#: H100/H200) and at least STREAM_PROBLEM_FACTOR times the largest problem's minimal bytes.
STREAM_MIN_BYTES = 64 * 2**20
STREAM_PROBLEM_FACTOR = 4
#: loop runs (samples) of the copy kernel; the median is the stream bandwidth
STREAM_SAMPLES = 3
#: copy iterations per loop run, at least (the output buffer is reused, see stream_bandwidth)
STREAM_ITERATIONS = 4
#: the unit of the stored bandwidths: GB/s
GB = 1e9


class HasSizes(Protocol):
    """A vjplab.problems.Problem or Spec: input size N, output size M, dtype."""

    dimension: int
    out_size: int
    dtype: np.dtype


def minimal_bytes(problem: HasSizes) -> int:
    """(2 N + M) * itemsize: x (N) and c (M) read once, g (N) written once. A floor."""
    itemsize = np.dtype(problem.dtype).itemsize
    return (2 * int(problem.dimension) + int(problem.out_size)) * itemsize


def stream_array_bytes(largest_minimal_bytes: int = 0) -> int:
    """Bytes of each copy-kernel array: max(STREAM_MIN_BYTES, 4 x the largest problem)."""
    return max(STREAM_MIN_BYTES, STREAM_PROBLEM_FACTOR * int(largest_minimal_bytes))


def _copy_iterations(moved: int) -> int:
    """R of the copy loop: half the device-time loop's work budget over the bytes of one copy
    (a copy is pure traffic, ~1 s per 1e10 bytes on one CPU core), at least STREAM_ITERATIONS."""
    import jax

    from vjplab.measure.timing import ACCELERATOR_WORK_FACTOR, LOOP_WORK

    budget = LOOP_WORK * (1 if jax.default_backend() == "cpu" else ACCELERATOR_WORK_FACTOR) / 2
    return max(STREAM_ITERATIONS, min(1000, int(budget / moved)))


@functools.lru_cache(maxsize=None)
def stream_bandwidth(dtype: str, nbytes: int = STREAM_MIN_BYTES,
                     samples: int = STREAM_SAMPLES) -> float:
    """Bytes per second of the copy kernel ``out = a + s`` over an array of ``nbytes`` of
    ``dtype`` (read a + write out per iteration), median over ``samples`` loop runs.

    Cached per (dtype, nbytes, samples): measured once per process.
    """
    import jax
    import jax.numpy as jnp

    from vjplab import compat
    from vjplab.problems import check_dtype

    resolved = check_dtype(dtype)
    count = max(1, int(nbytes) // resolved.itemsize)
    moved = 2 * count * resolved.itemsize
    iterations = _copy_iterations(moved)

    def body(_, state):
        a, s, _ = state
        a, s = compat.optimization_barrier((a, s))
        return (a, s, a + s)

    # ``out`` is donated and handed back: every run writes into the same, already touched
    # buffer (a fresh one per run would add the page faults of a new mapping to the timing).
    @functools.partial(jax.jit, donate_argnums=2)
    def loop(a, s, out):
        return jax.lax.fori_loop(0, iterations, body, (a, s, out))[2]

    a = jnp.ones(count, dtype=resolved)
    s = jnp.zeros((), dtype=resolved)
    out = loop(a, s, jnp.zeros_like(a)).block_until_ready()  # compile, warm outside the timing
    seconds = []
    for _ in range(samples):
        start = time.perf_counter()
        out = loop(a, s, out).block_until_ready()
        seconds.append((time.perf_counter() - start) / iterations)
    return moved / statistics.median(seconds)


def bandwidth_metrics(problem: HasSizes, device_time_samples: list[float],
                      stream: float) -> dict:
    """asv samples of the achieved bandwidth (GB/s, 1e9 bytes per second) and of its fraction
    of ``stream`` (bytes/s), one per device-time sample (derived from the same samples, never
    re-timed)."""
    floor = minimal_bytes(problem)
    achieved = [floor / t / GB for t in device_time_samples]
    return {"achieved_bandwidth": {"samples": achieved, "number": 1},
            "bandwidth_fraction": {"samples": [b * GB / stream for b in achieved], "number": 1}}
