"""How the history and compare reports name things: values with units, parameters, commits,
benchmark versions and the change of a step or pair."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from vjplab.history.steps import Rule
from vjplab.measure.report import format_count, format_seconds

if TYPE_CHECKING:
    from vjplab.history.results import ResultsSet

#: characters of a commit hash or benchmark version shown
SHORT = 8


def format_value(value: float, unit: str | None) -> str:
    if value != value:
        return "null"
    if unit == "seconds":
        return format_seconds(value)
    if unit == "bytes":
        return format_count(value, "B")
    return format_count(value)


def short_name(benchmark: str) -> str:
    """``bench_vjp.TimeVJP.time_vjp`` -> ``TimeVJP.time_vjp``."""
    return benchmark.split(".", 1)[-1]


def short_hash(text: str | None) -> str:
    return (text or "?")[:SHORT]


def unit_of(benchmarks: Mapping[str, dict], benchmark: str) -> str | None:
    return benchmarks.get(benchmark, {}).get("unit")


def describe_params(benchmarks: Mapping[str, dict], benchmark: str, params: tuple[str, ...],
                    drop: str | None = None) -> str:
    """``roll_cubic jax_vjp N=100 k=1``; ``drop`` names a parameter already left out of
    ``params`` (the plots' line parameter)."""
    names = [n for n in benchmarks.get(benchmark, {}).get("param_names") or [] if n != drop]
    parts = []
    for name, value in zip(names, params):
        value = value.strip("'")
        parts.append({"dimension": f"N={value}", "locality": f"k={value}"}.get(name, value))
    return " ".join(parts) if parts else ", ".join(params)


def describe_version(version: str | None) -> str:
    """A benchmark version as the reports label it: ``version 1a2b3c4d`` (a derived series
    joins two: ``version 1a2b3c4d+5e6f7a8b``)."""
    if version is None:
        return "version unknown"
    return "version " + "+".join(short_hash(part) for part in version.split("+"))


def format_change(rule: Rule, before: float, after: float, unit: str | None) -> str:
    """The ratio (``1.32x``), or for a kind with an absolute floor the signed difference
    (``+12.3 MB``), since a ratio of small net values means little."""
    if rule.floor:
        sign = "+" if after >= before else "-"
        return sign + format_value(abs(after - before), unit)
    if not before:
        return "inf" if after else "1.00x"
    return f"{after / before:.2f}x"


def machine_label(results: "ResultsSet", machine: str) -> str:
    """``NAME (reference machine)`` for the shipped reference machine (vjplab.reference),
    else ``NAME``."""
    return f"{machine} (reference machine)" if results.is_reference(machine) else machine
