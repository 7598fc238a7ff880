"""Derived series computed from asv's results: peak memory net of its reference.

asv's ``peakmem_vjp`` is a process's peak RSS: importing JAX and building the problem dominate
it. ``peakmem_reference`` (benchmarks/bench_memory.py, params family x dimension) does the same
imports and builds the same problem without compiling or running a VJP. The derived benchmark
``<...>.peakmem_vjp_net`` is, per results file (same machine, commit and environment),

    peakmem_vjp(family, strategy, N, k) - peakmem_reference(family, N)

with the parameters of ``peakmem_vjp``: what compiling and running the VJP added. It is null
(missing) where either term is null in that file, and absent from a file that lacks either
benchmark or the (family, N) of the reference. Its version joins both benchmarks' asv versions,
so a change of either code starts a new series. steps.py classifies it with an absolute floor
(see ``RULES``): the net value can be tiny or even negative, where a ratio means nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict

from vjplab.history.results import Measurement, ResultsSet

VJP_METHOD = "peakmem_vjp"
REFERENCE_METHOD = "peakmem_reference"
NET_METHOD = "peakmem_vjp_net"
#: parameter names used when benchmarks.json is missing (the suite's layout)
DEFAULT_PARAM_NAMES = {VJP_METHOD: ["family", "strategy", "dimension", "locality", "dtype"],
                       REFERENCE_METHOD: ["family", "dimension"]}


def method_name(benchmark: str) -> str:
    """``bench_vjp.TimeVJP.time_vjp`` -> ``time_vjp``."""
    return benchmark.rsplit(".", 1)[-1]


def net_name(vjp_benchmark: str) -> str:
    """The derived benchmark's name: the peakmem_vjp benchmark's name + ``_net``."""
    return vjp_benchmark[: -len(VJP_METHOD)] + NET_METHOD


def _param_names(results: ResultsSet, benchmark: str) -> list[str]:
    names = results.benchmarks.get(benchmark, {}).get("param_names")
    return list(names) if names else DEFAULT_PARAM_NAMES[method_name(benchmark)]


def _joined_version(a: str | None, b: str | None) -> str | None:
    return None if a is None and b is None else f"{a or '-'}+{b or '-'}"


def add_derived(results: ResultsSet) -> None:
    """Append the net peak-memory measurements of every results file (and their metadata)."""
    per_file: dict[str, dict[str, list[Measurement]]] = defaultdict(lambda: defaultdict(list))
    for m in results.measurements:
        if method_name(m.benchmark) in (VJP_METHOD, REFERENCE_METHOD):
            per_file[m.file][m.benchmark].append(m)
    derived: list[Measurement] = []
    for by_benchmark in per_file.values():
        references = [b for b in by_benchmark if method_name(b) == REFERENCE_METHOD]
        if len(references) != 1:
            continue  # none in this file (or ambiguous): no net value
        ref_names = _param_names(results, references[0])
        if "family" not in ref_names or "dimension" not in ref_names:
            continue
        reference = {(m.params[ref_names.index("family")], m.params[ref_names.index("dimension")]): m
                     for m in by_benchmark[references[0]]}
        for benchmark in [b for b in by_benchmark if method_name(b) == VJP_METHOD]:
            names = _param_names(results, benchmark)
            if "family" not in names or "dimension" not in names:
                continue
            for m in by_benchmark[benchmark]:
                ref = reference.get((m.params[names.index("family")],
                                     m.params[names.index("dimension")]))
                if ref is None:
                    continue
                value = m.value - ref.value if m.measured and ref.measured else math.nan
                derived.append(Measurement(
                    machine=m.machine, jax=m.jax, commit=m.commit, date=m.date,
                    benchmark=net_name(benchmark), params=m.params, value=value, ci=None,
                    quartiles=None, version=_joined_version(m.version, ref.version), env=m.env,
                    run_at=max(m.run_at, ref.run_at), file=m.file, jaxlib=m.jaxlib))
                meta = results.benchmarks.get(benchmark, {})
                results.benchmarks.setdefault(net_name(benchmark), {
                    "name": net_name(benchmark), "unit": "bytes", "type": "derived",
                    "param_names": names,
                    "pretty_name": f"{meta.get('pretty_name') or VJP_METHOD} net of "
                                   f"{REFERENCE_METHOD}"})
    results.measurements.extend(derived)
