"""Run asv one piece at a time: a progress line per piece, asv's output in a log file, and
Ctrl-C keeping every finished piece.

Each job is one ``asv run`` over one piece (vjplab.pieces), started in its own session so that
a Ctrl-C in the terminal reaches only vjplab, which then stops asv's whole process group
(asv, its forkserver, the benchmark process) and reports what was kept. asv saved every
finished piece already; the one it was running is lost (asv saves a run only at its end).

The estimate of time left weights a piece by its processes: asv runs each latency parameter
set in ``LATENCY_ROUNDS`` processes and every other set in one (the metrics' shared
setup_cache measures the family once), then scales the time taken so far.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from vjplab.history.completeness import stored_values
from vjplab.pieces import Piece

#: asv rounds of ``time_vjp`` (benchmarks/common.py: ``rounds = 3``)
LATENCY_ROUNDS = 3


@dataclass(frozen=True)
class SetCounts:
    """What asv stored for a piece's parameter sets: a number, NaN (skipped in setup: the
    combination is infeasible here), null (failed), or nothing."""

    measured: int = 0
    skipped: int = 0
    failed: int = 0
    missing: int = 0
    failed_names: tuple[str, ...] = ()

    def text(self) -> str:
        parts = [f"{self.measured} measured"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped (infeasible here)")
        if self.failed:
            parts.append(f"{self.failed} FAILED")
        if self.missing:
            parts.append(f"{self.missing} not stored")
        return ", ".join(parts)


def count_sets(piece: Piece, results_file: Path | None) -> SetCounts:
    """Classify ``piece``'s parameter sets by what ``results_file`` stores for them."""
    if results_file is None or not results_file.is_file():
        return SetCounts(missing=piece.size)
    stored = stored_values(results_file)
    measured = skipped = missing = 0
    failed: list[str] = []
    for (name, values), full_name in zip(piece.param_sets, piece.names()):
        value = stored.get(name, {}).get(tuple(repr(v) for v in values), "absent")
        if value == "absent":
            missing += 1
        elif value is None:
            failed.append(full_name)
        elif isinstance(value, float) and math.isnan(value):
            skipped += 1
        else:
            measured += 1
    return SetCounts(measured, skipped, len(failed), missing, tuple(failed))


@dataclass(frozen=True)
class Job:
    """One ``asv run`` of one piece. ``group`` names what the piece belongs to (a JAX release
    for ``vjplab record``); ``results_file`` finds where asv saves it (to count the sets)."""

    piece: Piece
    command: list[str]
    label: str
    results_file: Callable[[], Path | None]
    group: str | None = None

    @property
    def weight(self) -> int:
        latency = self.piece.latency_sets
        return LATENCY_ROUNDS * latency + (self.piece.size - latency)


@dataclass(frozen=True)
class JobResult:
    job: Job
    seconds: float
    returncode: int
    counts: SetCounts


@dataclass
class PiecewiseRun:
    """What happened: the finished jobs, whether Ctrl-C stopped the run (and in which job)."""

    finished: list[JobResult] = field(default_factory=list)
    interrupted: Job | None = None
    seconds: float = 0.0

    @property
    def sets_done(self) -> int:
        return sum(r.job.piece.size for r in self.finished)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.finished if r.returncode != 0 or r.counts.failed]


def format_duration(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on)."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def time_left(elapsed: float, weight_done: int, weight_left: int) -> str:
    """The estimate shown after a piece: elapsed time scaled by the work left."""
    if weight_left <= 0:
        return "nothing left"
    if weight_done <= 0:
        return "time left unknown"
    seconds = elapsed * weight_left / weight_done
    return f"about {max(1, round(seconds / 60))} min left" if seconds >= 90 else \
        f"about {max(5, round(seconds, -1)):.0f} s left"


#: asv's progress lines: ``[ 12.50%] ··· Running (bench_vjp.TimeVJP.time_vjp--)..`` and
#: ``[ 75.00%] ··· bench_memory.PeakMemVJP.peakmem_vjp      ok``
ASV_PROGRESS = re.compile(r"^\[\s*([\d.]+)%\] ·+ (?:Running \()?(?:\.\.\.)?([\w.]+?)(?:--\))?(?:\.*|\s+\w+)\s*$")


class LiveStatus:
    """The job's line on a terminal, rewritten with asv's current benchmark and percentage."""

    def __init__(self, out: TextIO, head: str) -> None:
        self.out, self.head, self.shown = out, head, False

    def update(self, line: str) -> None:
        line = line.rstrip("\n")
        if "··· Setting up bench_metrics" in line:
            text = "the family's metrics (setup_cache)"
        elif "··· Setting up bench_program" in line:
            text = "the family's programs (setup_cache)"
        elif "··· Setting up bench_sparse" in line:
            text = "the family's sparse phases (setup_cache)"
        else:
            match = ASV_PROGRESS.match(line)
            if match is None:
                return
            percent, benchmark = match.groups()  # asv may cut the name's head off: keep
            text = f"{'.'.join(benchmark.split('.')[-2:])} (asv {float(percent):.0f}%)"
        self.out.write(f"\r\x1b[K{self.head}{text}")
        self.out.flush()
        self.shown = True

    def clear(self) -> None:
        """Back to the job's head, so that its result completes the line."""
        if self.shown:
            self.out.write(f"\r\x1b[K{self.head}")
            self.out.flush()


def stop_process_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGINT to ``proc``'s process group, then SIGTERM, then SIGKILL, until it has exited.
    A second Ctrl-C meanwhile is ignored (the group is being stopped already)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        signal.signal(signal.SIGINT, previous)


def run_jobs(jobs: list[Job], *, env: dict[str, str], cwd: Path, log: TextIO,
             on_finished: Callable[[JobResult], None] | None = None,
             skip: Callable[[Job], str | None] | None = None, sets_before: int = 0, total_sets: int | None = None,
             out: TextIO | None = None) -> PiecewiseRun:
    """Run ``jobs`` in order, asv's output to ``log``, one progress line per job on ``out``.

    ``skip``: a reason not to start a job (None: run it), asked just before it would start;
    ``sets_before``: parameter sets kept from an interrupted run (counted as done);
    ``total_sets``: the whole run's sets (default: those of ``jobs`` plus ``sets_before``).
    On a terminal, the job's line also shows the benchmark asv is running while it runs.
    Returns when every job finished or at Ctrl-C (KeyboardInterrupt is caught here: asv's
    process group is stopped and ``interrupted`` names the job it was running).
    """
    out = out or sys.stdout
    live = out.isatty()
    total_sets = total_sets if total_sets is not None else \
        sets_before + sum(j.piece.size for j in jobs)
    weight_left = sum(j.weight for j in jobs)
    run, weight_done, started = PiecewiseRun(), 0, time.perf_counter()
    width = len(str(len(jobs)))
    current: Job | None = None
    proc: subprocess.Popen | None = None
    try:
        for index, job in enumerate(jobs, 1):
            head = f"[{index:>{width}}/{len(jobs)}] {job.label}: {job.piece.size} parameter sets"
            reason = skip(job) if skip is not None else None
            if reason:
                out.write(f"{head}: not run ({reason})\n")
                out.flush()
                weight_left -= job.weight
                continue
            current = job
            out.write(f"{head} ... ")
            out.flush()
            log.write(f"\n===== {job.label}\n$ {shlex.join(job.command)}\n")
            log.flush()
            t0 = time.perf_counter()
            proc = subprocess.Popen(job.command, env=dict(env, **job.piece.env), cwd=cwd,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    text=True, errors="replace", bufsize=1)
            status = LiveStatus(out, f"{head} ... ") if live else None
            for line in proc.stdout:
                log.write(line)
                if status is not None:
                    status.update(line)
            returncode = proc.wait()
            proc = None
            log.flush()
            if status is not None:
                status.clear()
            seconds = time.perf_counter() - t0
            result = JobResult(job, seconds, returncode, count_sets(job.piece, job.results_file()))
            run.finished.append(result)
            current = None
            weight_done += job.weight
            weight_left -= job.weight
            elapsed = time.perf_counter() - started
            status = "" if returncode == 0 else f"; asv exited with status {returncode}"
            out.write(f"{format_duration(seconds)} ({result.counts.text()}{status}) | "
                      f"{sets_before + run.sets_done}/{total_sets} sets, "
                      f"{format_duration(elapsed)} elapsed, "
                      f"{time_left(elapsed, weight_done, weight_left)}\n")
            out.flush()
            if on_finished is not None:
                on_finished(result)
    except KeyboardInterrupt:
        if proc is not None:
            stop_process_group(proc)
        run.interrupted = current or (jobs[len(run.finished)] if len(run.finished) < len(jobs)
                                      else None)
        out.write("\n")
        out.flush()
        log.write("\n===== interrupted (Ctrl-C)\n")
        log.flush()
    run.seconds = time.perf_counter() - started
    return run


def log_file(directory: Path, command: str) -> Path:
    """A new log file path ``<directory>/logs/<command>-<UTC time>.log`` (directory made)."""
    logs = Path(directory) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = logs / f"{command}-{stamp}.log"
    n = 1
    while path.exists():
        n += 1
        path = logs / f"{command}-{stamp}-{n}.log"
    return path
