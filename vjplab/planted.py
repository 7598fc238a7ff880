"""A planted slowdown, to measure what the history's classifier can detect (detection power).

``VJPLAB_PLANTED_SLOWDOWN=F`` (a number >= 1, e.g. 1.3) makes every timed operation of the
suite take F times as long: after each ``time_vjp`` sample's calls, each device-time loop run
and each cold compile, the process busy-waits (F - 1) times the time it just measured. The work
itself is unchanged, so a comparison with an unplanted run shows which share of combinations
the per-kind thresholds flag at a known true change F.

Planted numbers must never enter real history. ``vjplab bench`` and ``vjplab record`` refuse
a planted run unless its results go to their own directory (``--output-dir``) or under their
own machine name (``--machine``, containing "planted"), and then confirm it to the benchmark
processes (``VJPLAB_PLANTED_CONFIRMED``). A benchmark process that sees the switch without the
confirmation (a raw ``asv run`` with the variable set) raises, so asv records a failure, never
a planted number.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

SLOWDOWN_ENV = "VJPLAB_PLANTED_SLOWDOWN"
CONFIRMED_ENV = "VJPLAB_PLANTED_CONFIRMED"
#: what a planted run's machine name must contain when it is the separation
MACHINE_MARK = "planted"


def planted_factor(environ: dict[str, str] | None = None) -> float:
    """F of VJPLAB_PLANTED_SLOWDOWN (1.0 when unset or empty); ValueError names the allowed
    values."""
    environ = os.environ if environ is None else environ
    text = environ.get(SLOWDOWN_ENV, "").strip()
    if not text:
        return 1.0
    try:
        factor = float(text)
    except ValueError:
        factor = float("nan")
    if not factor >= 1.0 or factor == float("inf"):
        raise ValueError(f"{SLOWDOWN_ENV}={text!r}: allowed: a finite number >= 1 "
                         f"(1.3 makes every timed call take 1.3x as long), or unset")
    return factor


def check_separated(output_dir: Path | None, machine: str | None,
                    environ: dict[str, str] | None = None,
                    real_results_dir: Path | None = None) -> dict[str, str]:
    """The environment variables a planted run's benchmark processes need (none when nothing
    is planted). ValueError when the results would go where real history lives: neither
    ``--output-dir`` (other than the one holding ``real_results_dir``) nor a ``--machine``
    name containing "planted"."""
    factor = planted_factor(environ)
    if factor == 1.0:
        return {}
    if (output_dir is not None and real_results_dir is not None
            and (Path(output_dir) / "results").resolve() == Path(real_results_dir).resolve()):
        output_dir = None  # --output-dir pointing at the real results is no separation
    if output_dir is None and (machine is None or MACHINE_MARK not in machine):
        raise ValueError(f"{SLOWDOWN_ENV}={factor:g} plants a slowdown: refusing to write it "
                         f"where real results live; allowed: --output-dir DIR (a results "
                         f"directory of its own) or --machine NAME with {MACHINE_MARK!r} in "
                         f"NAME")
    return {CONFIRMED_ENV: f"{factor:g}"}


def active_factor() -> float:
    """What a benchmark process plants: F, after checking that vjplab confirmed the run.
    RuntimeError (asv records a failure) for a planted run that vjplab did not start."""
    factor = planted_factor()
    if factor != 1.0 and os.environ.get(CONFIRMED_ENV) != f"{factor:g}":
        raise RuntimeError(f"{SLOWDOWN_ENV}={factor:g} outside `vjplab bench/record "
                           f"--output-dir/--machine`: refusing to record planted numbers")
    return factor


def busy_wait(seconds: float) -> None:
    """Spin (no sleep: the CPU stays as busy as in a slower computation) for ``seconds``."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def stretch(started: float, factor: float) -> None:
    """Make the operation that began at ``started`` (perf_counter) last ``factor`` times as
    long as it has so far."""
    if factor != 1.0:
        busy_wait((factor - 1.0) * (time.perf_counter() - started))
