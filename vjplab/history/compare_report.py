"""The report of ``vjplab compare``: where each side came from, a per-kind summary (threshold,
pairs compared, flagged, flag rate) and the flagged pairs worst first; as terminal text,
Markdown, or JSON (figures to quote)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from vjplab.history.compare import (NOT_COMPARED, Comparison, Pair, Side, jax_by_machine,
                                    not_compared_totals)
from vjplab.history.labels import (describe_params, format_change, format_value, short_hash,
                                   short_name, unit_of)
from vjplab.history.steps import rule_for

KIND_HEADER = ["kind", "threshold", "pairs", "flagged", "regressions", "improvements",
               "flag rate"]
PAIR_HEADER = ["verdict", "change", "A", "B", "benchmark", "parameters", "machine", "JAX"]


def _rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1f}%"


def kind_rows(comparison: Comparison) -> list[list[str]]:
    """One row per kind present, then the total."""
    rows = []
    for summary in comparison.kinds.values():
        rule = rule_for("." + summary.kind, comparison.rules)
        rows.append([summary.kind, rule.describe(), str(summary.pairs), str(summary.flagged),
                     str(summary.regressions), str(summary.improvements),
                     _rate(summary.flag_rate)])
    pairs = sum(s.pairs for s in comparison.kinds.values())
    flagged = sum(s.flagged for s in comparison.kinds.values())
    rows.append(["all", "", str(pairs), str(flagged),
                 str(sum(s.regressions for s in comparison.kinds.values())),
                 str(sum(s.improvements for s in comparison.kinds.values())),
                 _rate(100.0 * flagged / pairs if pairs else None)])
    return rows


def pair_cells(comparison: Comparison, pair: Pair) -> list[str]:
    benchmarks = {**comparison.a.results.benchmarks, **comparison.b.results.benchmarks}
    unit = unit_of(benchmarks, pair.benchmark)
    rule = rule_for(pair.benchmark, comparison.rules)
    machine = (pair.a.machine if pair.a.machine == pair.b.machine
               else f"{pair.a.machine} / {pair.b.machine}")
    jax = pair.a.jax if pair.a.jax == pair.b.jax else f"{pair.a.jax} / {pair.b.jax}"
    return [pair.verdict.value, format_change(rule, pair.a.value, pair.b.value, unit),
            format_value(pair.a.value, unit), format_value(pair.b.value, unit),
            short_name(pair.benchmark), describe_params(benchmarks, pair.benchmark, pair.a.params),
            machine, jax]


def side_lines(comparison: Comparison, side: Side) -> list[str]:
    """``A = e969afa9 (commit e969afa9 in .asv/results)`` and one line per results file."""
    lines = [f"{side.name} = {side.spec} ({side.origin})"]
    for f in comparison.sources(side):
        lines.append(f"  {side.name}: {f.machine}, commit {short_hash(f.commit)}, jax {f.jax} "
                     f"(jaxlib {f.jaxlib or '?'}), env {f.env} [{f.file}]")
    return lines


def pairing_line(comparison: Comparison) -> str:
    by = ["benchmark", "parameters", "benchmark version"]
    if comparison.match_machine:
        by.insert(0, "machine")
    if comparison.match_jax:
        by.insert(0, "JAX version")
    line = f"pairs matched by {', '.join(by)}"
    if not comparison.match_jax:
        jax_a, jax_b = comparison.a.jax_versions[0], comparison.b.jax_versions[0]
        line += f" (both JAX {jax_a})" if jax_a == jax_b else f" (across JAX: A {jax_a}, B {jax_b})"
    if not comparison.match_machine:
        line += f" (across machines: A {comparison.a.machines[0]}, B {comparison.b.machines[0]})"
    return line + "; A is before, B after: a regression means B is worse"


def note_lines(comparison: Comparison) -> list[str]:
    lines = []
    totals = not_compared_totals(comparison)
    if totals:
        per_kind = "; ".join(
            f"{s.kind}: " + ", ".join(f"{s.not_compared[r]} {r}" for r in NOT_COMPARED
                                      if s.not_compared[r])
            for s in comparison.kinds.values() if s.not_compared)
        lines.append("not compared: " + ", ".join(f"{n} {r}" for r, n in totals.items())
                     + f" ({per_kind})")
    if not comparison.pairs:
        machines_a, machines_b = comparison.a.machines, comparison.b.machines
        if comparison.match_machine and not set(machines_a) & set(machines_b):
            lines.append(f"no pairs: A holds machine(s) {', '.join(machines_a)}, B "
                         f"{', '.join(machines_b)}; to compare across machines pass "
                         f"--machine-a {machines_a[0]} --machine-b {machines_b[0]}")
        elif comparison.match_jax:
            lines.append(f"no pairs: JAX versions per machine: A {jax_by_machine(comparison.a)}, "
                         f"B {jax_by_machine(comparison.b)}; pick one each with --jax-a/--jax-b")
    for side in (comparison.a, comparison.b):
        lines += [f"note ({side.name}): {m}" for m in side.results.messages]
    return lines


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def terminal_text(comparison: Comparison, limit: int = 40) -> str:
    """Sources, pairing, the per-kind table, notes and the ``limit`` worst flagged pairs."""
    lines = side_lines(comparison, comparison.a) + side_lines(comparison, comparison.b)
    lines += [pairing_line(comparison), ""] + _table([KIND_HEADER] + kind_rows(comparison))
    lines += note_lines(comparison)
    flagged = comparison.flagged
    if flagged:
        shown = flagged[:limit]
        more = f" ({len(flagged) - len(shown)} more not shown)" if len(flagged) > len(shown) else ""
        lines += ["", f"flagged pairs, worst first{more}:"]
        lines += _table([PAIR_HEADER] + [pair_cells(comparison, p) for p in shown])
    return "\n".join(lines)


def _md_table(rows: Sequence[Sequence[str]]) -> list[str]:
    return (["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
            + ["| " + " | ".join(row) + " |" for row in rows[1:]])


def markdown(comparison: Comparison) -> str:
    lines = ["# vjplab compare", ""]
    lines += [f"- {line.strip()}" for line in side_lines(comparison, comparison.a)
              + side_lines(comparison, comparison.b)]
    lines += [f"- {pairing_line(comparison)}"] + [f"- {n}" for n in note_lines(comparison)]
    lines += ["", "## Per kind", ""] + _md_table([KIND_HEADER] + kind_rows(comparison))
    lines += ["", "## Flagged pairs (worst first)", ""]
    flagged = comparison.flagged
    if flagged:
        lines += _md_table([PAIR_HEADER] + [pair_cells(comparison, p) for p in flagged])
    else:
        lines.append("none")
    return "\n".join(lines) + "\n"


def _side_json(comparison: Comparison, side: Side) -> dict:
    return {"spec": side.spec, "origin": side.origin,
            "sources": [{"machine": f.machine, "commit": f.commit, "env": f.env, "jax": f.jax,
                         "jaxlib": f.jaxlib, "file": f.file}
                        for f in comparison.sources(side)]}


def _measurement_json(m) -> dict:
    return {"value": m.value, "ci_99": list(m.ci) if m.ci else None, "machine": m.machine,
            "jax": m.jax, "commit": m.commit, "file": m.file}


def to_json(comparison: Comparison) -> str:
    """Everything the tables show, as JSON (per-kind figures, flagged pairs, sources)."""
    kinds = []
    for summary in comparison.kinds.values():
        rule = rule_for("." + summary.kind, comparison.rules)
        kinds.append({"kind": summary.kind, "label": rule.label, "threshold": rule.threshold,
                      "floor": rule.floor, "rule": rule.describe(), "pairs": summary.pairs,
                      "flagged": summary.flagged, "regressions": summary.regressions,
                      "improvements": summary.improvements, "flag_rate": summary.flag_rate,
                      "not_compared": dict(summary.not_compared)})
    flagged = [{"verdict": p.verdict.value, "kind": p.kind, "benchmark": p.benchmark,
                "params": list(p.a.params), "benchmark_version": p.a.version,
                "ratio": p.ratio if math.isfinite(p.ratio) else None, "a": _measurement_json(p.a), "b": _measurement_json(p.b)}
               for p in comparison.flagged]
    data = {"a": _side_json(comparison, comparison.a), "b": _side_json(comparison, comparison.b),
            "pairing": {"machine": comparison.match_machine, "jax": comparison.match_jax},
            "kinds": kinds, "pairs": len(comparison.pairs),
            "flagged_total": len(flagged), "regressions": len(comparison.regressions),
            "not_compared": not_compared_totals(comparison), "flagged": flagged,
            "notes": note_lines(comparison)}
    return json.dumps(data, indent=2, allow_nan=False)
