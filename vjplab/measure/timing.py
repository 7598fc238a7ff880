"""Timings that asv's numbers can be checked against, and the device time of one VJP.

* ``reference_latency``: steady state of back-to-back calls (each with block_until_ready), the
  median over repeats of the mean call time of a continuous loop. This is what one call costs
  when the process keeps calling, dispatch and synchronisation included.
* ``empty_call_latency``: the same for a jitted call that does no work on the same arguments:
  the per-call floor (dispatch, argument handling, synchronisation) that ``latency - floor``
  removes.
* ``device_time``: R evaluations of the VJP inside ONE jitted ``lax.fori_loop``, divided by R:
  one dispatch for all R, so it shows the cost of the computation itself.

The device-time loop must not let XLA move any of the VJP's work out of the loop. XLA's
while-loop invariant code motion hoists every instruction whose operands do not change between
iterations: with the cotangent ``c`` closed over (the first version of this loop), everything
that depends on ``c`` or on constants alone ran once instead of R times, and the "device time"
of roll_cubic's hand-written adjoint at N = 1e5 was 0.05-0.1 of a call. ``hoist_proof_loop``
therefore

1. closure-converts the VJP: ``jax.make_jaxpr`` turns every array the function closes over
   (e.g. dense_control's frequencies a, b, burgers_1d's boundary values) into an explicit
   input ``consts``;
2. carries ``(x, c, consts)`` through the loop and passes them through
   ``lax.optimization_barrier`` at the top of every iteration, so XLA cannot prove any of them
   loop-invariant (the barrier is opaque to its optimisations and removed only at the end of
   compilation; it costs no copy, and XLA cannot see that an iteration's inputs equal the
   previous one's, so it can neither hoist nor merge iterations);
3. carries the VJP's result ``g`` as loop state too: each iteration writes its result into
   the loop's output buffer, as a call writes its output, and the result of the last one is
   returned, so no iteration's VJP is dead code.

An earlier variant made iteration i + 1 read ``x + 1e-30 * g_i`` instead of (3). It costs an
extra pass over x (and a copy of x where the VJP reads x at shifted positions): 1.4-1.8x a call
for squared_differences_1d at N = 1e6 on the CPU, 1.2-1.7x for several families on an H100.

The trip count R is a deterministic function of the combination and backend (XLA's cost
analysis of the compiled VJP, ``loop_iterations``): never re-calibrated from a timing, so the
same combination always compiles the same loop. At least ``MIN_ITERATIONS``: a loop run
allocates its buffers once, and on the CPU a buffer over glibc's mmap threshold (32 MiB) is
fresh, page-faulted memory on every run, a cost the loop spreads over R iterations.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp

from vjplab import compat
from vjplab.planted import active_factor, stretch
from vjplab.prepared import PreparedVJP

#: Aim for loops of about this many seconds when choosing the calls per repeat.
TARGET_LOOP_SECONDS = 0.02

#: The device-time loop aims at this much work: XLA's ``bytes accessed + flops`` of one VJP
#: times R. Calibrated on the project's 2-core CPU (one pinned core moves ~2e9 bytes+flops per
#: second through these stencils), so a CPU loop lasts ~10-50 ms. Accelerators are ~100x
#: faster per byte and pay ~60 us per dispatch: they get ``ACCELERATOR_WORK_FACTOR`` times more.
LOOP_WORK = 1e9
ACCELERATOR_WORK_FACTOR = 20
MIN_ITERATIONS, MAX_ITERATIONS = 10, 20_000

@dataclass(frozen=True)
class TimingStats:
    """Seconds per evaluation: median and the spread (quartiles) over repeats, and the samples."""

    median: float
    q25: float
    q75: float
    repeats: int
    per_repeat: int
    samples: tuple[float, ...] = ()

    @classmethod
    def from_samples(cls, samples: list[float], per_repeat: int) -> "TimingStats":
        q = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
        return cls(statistics.median(samples), q[0], q[-1], len(samples), per_repeat,
                   tuple(samples))

    def asv_samples(self) -> dict:
        """What a ``track_`` benchmark returns so that asv stores samples and statistics.

        asv's runner treats a result dict with ``samples`` and ``number`` as samples (its
        ``runner.py``), computes the median and a 99% confidence interval from them, and stores
        both, as for ``time_`` benchmarks; a plain number would carry no interval.
        """
        return {"samples": list(self.samples), "number": 1}


def _count_for(seconds_per_eval: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, int(TARGET_LOOP_SECONDS / max(seconds_per_eval, 1e-9))))


#: Warm-up before a continuous loop's samples: at least this long, and at least 2 calls. The
#: first calls of a process grow its heap and touch fresh pages; a steady state comes after.
WARMUP_SECONDS = 0.05


def continuous_loop_sampler(call: Callable[[], object]) -> Callable[[], float]:
    """After a warm-up of WARMUP_SECONDS, a function that takes one sample: the mean time of
    about TARGET_LOOP_SECONDS of consecutive ``call()``s (the number of calls is fixed by the
    warm-up)."""
    calls, start = 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - start < WARMUP_SECONDS:
        call()
        calls += 1
    calls = _count_for((time.perf_counter() - start) / calls, 1, 10_000)

    def sample() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - start) / calls

    sample.per_repeat = calls  # type: ignore[attr-defined]
    return sample


def _continuous_loop_stats(call: Callable[[], object], repeats: int) -> TimingStats:
    """Median over ``repeats`` samples of ``continuous_loop_sampler(call)``."""
    sample = continuous_loop_sampler(call)
    return TimingStats.from_samples([sample() for _ in range(repeats)], sample.per_repeat)


def reference_latency(prepared: PreparedVJP, repeats: int = 15) -> TimingStats:
    """Median over ``repeats`` of the mean time of consecutive calls (continuous loop)."""
    return _continuous_loop_stats(prepared.call, repeats)


_EMPTY = jax.jit(lambda x, c: x[0] + c[0])


def empty_call(prepared: PreparedVJP) -> Callable[[], jax.Array]:
    """A compiled, warmed jitted call on ``prepared``'s (x, c) that does no work."""
    x, c = prepared.problem.x, prepared.problem.cotangent
    _EMPTY(x, c).block_until_ready()  # compile outside the timing
    return lambda: _EMPTY(x, c).block_until_ready()


def empty_call_latency(prepared: PreparedVJP, repeats: int = 15) -> TimingStats:
    """Latency of a jitted call on the same (x, c) that does no work: the per-call floor."""
    return _continuous_loop_stats(empty_call(prepared), repeats)


LoopBuilder = Callable[[PreparedVJP, int], Callable[[jax.Array, jax.Array], jax.Array]]
_LOOPS: dict[tuple, Callable] = {}


def hoist_proof_loop(prepared: PreparedVJP, iterations: int
                     ) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """Jitted (x, c) -> the VJP ``iterations`` times in one fori_loop, nothing hoisted; returns
    the last iteration's result.

    See the module docstring: the VJP is closure-converted (its closed-over arrays become loop
    state), the whole state passes an optimization barrier each iteration, and each iteration
    writes its result into the loop state.
    """
    key = ("hoist_proof", id(prepared), iterations)
    if key not in _LOOPS:
        from vjplab.strategy import STRATEGIES

        p = prepared.problem
        raw = STRATEGIES[prepared.strategy].make_vjp(p)
        closed = jax.make_jaxpr(raw)(p.x, p.cotangent)
        consts = [jnp.asarray(value) for value in closed.consts]

        def body(_, state):
            x, c, ks = compat.optimization_barrier(state[:3])
            (g,) = compat.eval_jaxpr(closed.jaxpr, ks, x, c)
            return (x, c, ks, g)

        def loop(x, c, ks):
            return jax.lax.fori_loop(0, iterations, body, (x, c, ks, jnp.zeros_like(x)))[3]

        jitted = jax.jit(loop)
        _LOOPS[key] = lambda x, c: jitted(x, c, consts)
    return _LOOPS[key]


def loop_iterations(prepared: PreparedVJP) -> int:
    """R for ``prepared``: a fixed function of XLA's cost analysis and the backend.

    ``R = LOOP_WORK / (bytes accessed + flops)`` (x ``ACCELERATOR_WORK_FACTOR`` off the CPU),
    clipped to [MIN_ITERATIONS, MAX_ITERATIONS] and rounded down to 1, 2 or 5 x 10^n, so that
    tiny differences in the cost analysis between releases do not change the loop.
    """
    from vjplab.measure.xla import xla_stats

    stats = xla_stats(prepared)
    work = (stats.bytes_accessed or 0.0) + (stats.flops or 0.0)
    if work <= 0:  # no cost analysis on this backend/release: ~10 bytes+flops per element
        p = prepared.problem
        work = 10.0 * (p.in_size + p.out_size) * (2 * p.locality + 1)
    budget = LOOP_WORK * (1 if jax.default_backend() == "cpu" else ACCELERATOR_WORK_FACTOR)
    raw = max(MIN_ITERATIONS, min(MAX_ITERATIONS, int(budget / work)))
    magnitude = 10 ** (len(str(raw)) - 1)
    step = max(s * magnitude for s in (1, 2, 5) if s * magnitude <= raw)
    return max(MIN_ITERATIONS, step)


def device_time_sampler(prepared: PreparedVJP, iterations: int | None = None,
                        loop: LoopBuilder = hoist_proof_loop) -> Callable[[], float]:
    """A function that runs the compiled loop once and returns seconds per VJP evaluation
    (``per_repeat``: the loop's R)."""
    p = prepared.problem
    iterations = loop_iterations(prepared) if iterations is None else iterations
    run = loop(prepared, iterations)
    run(p.x, p.cotangent).block_until_ready()  # compile outside the timing
    planted = active_factor()  # 1.0 unless a slowdown is planted (vjplab.planted)

    def sample() -> float:
        start = time.perf_counter()
        run(p.x, p.cotangent).block_until_ready()
        stretch(start, planted)
        return (time.perf_counter() - start) / iterations

    sample.per_repeat = iterations  # type: ignore[attr-defined]
    return sample


def device_time(prepared: PreparedVJP, repeats: int = 7, iterations: int | None = None,
                loop: LoopBuilder = hoist_proof_loop) -> TimingStats:
    """Seconds per VJP evaluation inside one jitted loop (samples: one per loop run).

    ``iterations`` defaults to ``loop_iterations(prepared)``; ``loop`` builds the loop (tests
    pass the old, hoistable loop to show that the acceptance check catches it).
    """
    sample = device_time_sampler(prepared, iterations, loop)
    return TimingStats.from_samples([sample() for _ in range(repeats)], sample.per_repeat)
