"""Per-process allocator states: one fresh pinned process's steady-state latency and page faults.

    python .ci/allocator_probe.py FAMILY STRATEGY N K DTYPE

prepares the VJP (vjplab.prepared), makes 20 warm calls, then times 200 calls one by one and
prints their median and the minor page faults per call (getrusage). Run it several times, with
the environment of ``vjplab.allocator.timing_environ`` (settled) or without (glibc's defaults),
to see whether processes differ: docs/protocol.md, "Per-process allocator states". It does not
settle the allocator itself, so the environment decides.
"""

import resource
import statistics
import sys
import time

from vjplab.cpu_affinity import pin_for_timing

pin_for_timing()
from vjplab.x64 import enter  # noqa: E402  (after pinning, before JAX's backend starts)

family, strategy, dimension, locality, dtype = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                                int(sys.argv[4]), sys.argv[5])
enter(dtype)
from vjplab.prepared import prepare  # noqa: E402

prepared = prepare(family, strategy, dimension, locality, dtype)
for _ in range(20):
    prepared.call()
seconds = []
faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    start = time.perf_counter()
    prepared.call()
    seconds.append(time.perf_counter() - start)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
print(f"{family} {strategy} {dimension} {locality} {dtype}: median "
      f"{statistics.median(seconds) * 1e6:.0f} us, minflt/call {faults / 200:.1f}")
