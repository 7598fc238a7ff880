"""The regression page in three forms: terminal (compact), Markdown, and the HTML section at the
top of ``vjplab-history.html``. What is grouped and in which order: vjplab.history.causes.

Per JAX step (per machine, newest first): a header (regressions, combinations, worst change,
kinds that caught it), the per-kind "caught by" table (HTML and Markdown), then per cause
(worst first) the combinations (worst first), each with its change per kind, the program
note's details, and the bisected release or the command that would bisect it. JAX steps
without a regression get one line (steps compared, improvements). The terminal lists at most
``ROWS`` combinations per cause; Markdown and HTML list all.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from vjplab.history.causes import MEANING, CauseGroup, CombinationRow, JaxStep
from vjplab.history.labels import format_change, format_value, unit_of
from vjplab.history.results import ResultsSet
from vjplab.history.steps import Rules, Step, rule_for

#: combinations per cause in the terminal
ROWS = 5
TITLE = "Regressions by JAX step"
ORDER = "per machine, newest JAX step first; within a step, causes and combinations worst first"
#: why newest first (the page and Markdown say it)
WHY_ORDER = ("The newest step is the one an upgrade meets and the one JAX can still fix, and "
             "the order stays put as releases are added; the worst column finds the worst "
             "step.")


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return "inf" if value == float("inf") else f"{value:.2f}x"


def change_text(results: ResultsSet, rules: Rules, step: Step) -> str:
    """A timing's ratio (``1.80x``; net memory: ``+10.5 MB``), a deterministic kind's two
    values (``1 -> 2``: a count's ratio says little)."""
    rule = rule_for(step.benchmark, rules)
    unit = unit_of(results.benchmarks, step.benchmark)
    if rule.threshold is None:
        return f"{format_value(step.before, unit)} -> {format_value(step.after, unit)}"
    return format_change(rule, step.before, step.after, unit)


def changes_text(results: ResultsSet, rules: Rules, row: CombinationRow) -> str:
    """``time_vjp 1.80x, track_device_time 1.70x, track_hlo_fusions 1 -> 2``."""
    return ", ".join(f"{step.kind} {change_text(results, rules, step)}" for step in row.steps)


def program_detail(row: CombinationRow) -> str:
    """The program note without its cause (the group says it): ``transpose 1 -> 2``,
    ``sha256 1a2b...`` (its parentheses dropped), or why fingerprints are missing; empty
    without a note."""
    if row.note is None:
        return ""
    text = row.note.text
    if text.startswith(row.cause):
        text = text[len(row.cause):].lstrip(": ")
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def step_header(step: JaxStep) -> str:
    """``vm 0.9.2 -> 0.10.2: 3 regressions in 2 combinations, worst 2.00x``."""
    name = f"{step.machine} {step.before} -> {step.after}"
    if not step.causes:
        compared = sum(c.compared for c in step.caught_by)
        improvements = sum(c.improvements for c in step.caught_by)
        return (f"{name}: no regression ({compared} steps compared, {improvements} "
                f"improvement{'s' * (improvements != 1)})")
    combos = len(step.rows)
    return (f"{name}: {step.regressions} regression{'s' * (step.regressions != 1)} in "
            f"{combos} combination{'s' * (combos != 1)}, worst {_ratio(step.worst)}")


def cause_header(group: CauseGroup) -> str:
    """``same program: 2 combinations, worst 1.80x (time_vjp 2, track_device_time 1)``."""
    kinds = ", ".join(f"{kind} {n}" for kind, n in group.kinds().most_common())
    n = len(group.rows)
    return (f"{group.cause}: {n} combination{'s' * (n != 1)}, worst {_ratio(group.worst)} "
            f"({kinds})")


def bisect_text(step: JaxStep, row: CombinationRow) -> str:
    return row.bisect.describe() if row.bisect else "next: " + row.next_command(step.before,
                                                                                  step.after)


def terminal_lines(jax_steps: list[JaxStep], results: ResultsSet, rules: Rules,
                   bisects_line: str) -> list[str]:
    """The compact grouping for ``vjplab history``'s terminal output."""
    if not jax_steps:
        return []
    lines = [f"{TITLE} ({ORDER}):", bisects_line]
    for step in jax_steps:
        caught = f"; caught by {step.caught_text()}" if step.causes else ""
        lines.append(f"{step_header(step)}{caught}")
        for group in step.causes:
            lines.append(f"  {cause_header(group)}")
            for row in group.rows[:ROWS]:
                detail = program_detail(row)
                lines.append(f"    {row.label}: {changes_text(results, rules, row)}"
                             + (f"; {detail}" if detail else ""))
                lines.append(f"      {bisect_text(step, row)}")
            if len(group.rows) > ROWS:
                lines.append(f"    ... and {len(group.rows) - ROWS} more combinations (the HTML "
                             f"page and --markdown list all)")
    return lines


def markdown_lines(jax_steps: list[JaxStep], results: ResultsSet, rules: Rules,
                   bisects_line: str) -> list[str]:
    """The grouping as Markdown: a section per JAX step with its caught-by table."""
    if not jax_steps:
        return []
    lines = [f"## {TITLE}", "", f"Order: {ORDER}. {WHY_ORDER} {bisects_line}.", ""]
    for step in jax_steps:
        lines += [f"### {step_header(step)}", ""]
        if not step.causes:
            continue
        lines += ["Caught by:", "", "| kind | threshold | steps compared | regressions | "
                  "improvements |", "|---|---|---|---|---|"]
        lines += [f"| {c.kind} | {c.threshold} | {c.compared} | {c.regressions} | "
                  f"{c.improvements} |" for c in step.caught_by]
        for group in step.causes:
            lines += ["", f"**{cause_header(group)}**: {MEANING[group.cause]}", ""]
            for row in group.rows:
                detail = program_detail(row)
                action = (row.bisect.describe() if row.bisect else
                          f"next: `{row.next_command(step.before, step.after)}`")
                lines.append(f"- {row.label}: {changes_text(results, rules, row)}"
                             + (f"; {detail}" if detail else "") + f"; {action}")
        lines.append("")
    return lines


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _cause_class(cause: str) -> str:
    return "cause-" + cause.replace(" ", "-")


def html_section(jax_steps: list[JaxStep], results: ResultsSet, rules: Rules,
                 bisects_line: str, diff_href: Callable[[CombinationRow], str | None]) -> str:
    """The ``<section id="regressions">`` at the top of the history page. ``diff_href`` gives
    the link of a changed program's HLO diff (the report writes it)."""
    index_rows = []
    for step in jax_steps:
        bisected = sum(1 for row in step.rows if row.bisect is not None)
        name = f"{step.before} &rarr; {step.after}"
        link = f'<a href="#{_esc(step.anchor)}">{name}</a>' if step.causes else name
        bisected_cell = f"{bisected} of {len(step.rows)}" if step.rows else "&ndash;"
        causes = (", ".join(f"{_esc(g.cause)} {len(g.rows)}" for g in step.causes)
                  or _esc(step_header(step).split(": ", 1)[1]))
        index_rows.append(
            f'<tr data-machine="{_esc(step.machine)}" data-regressions="{step.regressions}">'
            f'<td>{_esc(step.machine)}</td><td class="nowrap">{link}</td>'
            f"<td>{step.regressions}</td>"
            f"<td>{_ratio(step.worst) if step.causes else '&ndash;'}</td><td>{causes}</td>"
            f"<td>{_esc(step.caught_text(zeros=False)) if step.causes else '&ndash;'}</td>"
            f"<td>{bisected_cell}</td></tr>")
    sections = [_html_step(step, results, rules, diff_href) for step in jax_steps
                if step.causes]
    legend = "".join(f'<li><span class="cause {_cause_class(c)}">{_esc(c)}</span> '
                     f"{_esc(m)}</li>" for c, m in MEANING.items())
    if jax_steps and not sections:
        legend = ""
        sections = ['<p class="none">No regression in any JAX step.</p>']
    return f"""<section id="regressions">
<h2>{TITLE}</h2>
<p class="order">Order: {_esc(ORDER)}. {_esc(WHY_ORDER)}</p>
<p class="bisects">{_esc(bisects_line)}</p>
{f'<ul class="legend">{legend}</ul>' if legend else ''}
<table id="jax-steps"><tr><th>machine</th><th>JAX step</th><th>regressions</th><th>worst</th>
<th>causes (combinations)</th><th>caught by (regressions per kind)</th><th>bisected</th></tr>
{''.join(index_rows) or '<tr><td colspan="7">no steps yet (fewer than two JAX versions)</td></tr>'}
</table>
{''.join(sections)}
</section>"""


def _html_step(step: JaxStep, results: ResultsSet, rules: Rules,
               diff_href: Callable[[CombinationRow], str | None]) -> str:
    caught = "".join(
        f'<tr data-kind="{_esc(c.kind)}"><td>{_esc(c.kind)}</td><td>{_esc(c.threshold)}</td>'
        f"<td>{c.compared}</td><td{' class=bad' if c.regressions else ''}>{c.regressions}</td>"
        f"<td>{c.improvements}</td></tr>" for c in step.caught_by)
    groups = []
    for group in step.causes:
        rows = []
        for row in group.rows:
            detail = _esc(program_detail(row))
            href = diff_href(row)
            if href:
                detail += f' (<a href="{_esc(href)}">diff of the HLO</a>)'
            if row.bisect is not None:
                action = f'<span class="bisected">{_esc(row.bisect.describe())}</span>'
            else:
                action = f"<code>{_esc(row.next_command(step.before, step.after))}</code>"
            rows.append(f'<tr class="combination" data-label="{_esc(row.label)}">'
                        f"<td>{_esc(row.label)}</td>"
                        f"<td>{_esc(changes_text(results, rules, row))}</td>"
                        f"<td>{detail}</td><td>{action}</td></tr>")
        groups.append(
            f'<div class="cause-group" data-cause="{_esc(group.cause)}">'
            f'<h4><span class="cause {_cause_class(group.cause)}">{_esc(group.cause)}</span> '
            f"{_esc(cause_header(group)[len(group.cause) + 2:])}</h4>"
            f'<table class="combinations"><colgroup><col style="width:22%">'
            f'<col style="width:22%"><col style="width:24%"><col style="width:32%"></colgroup>'
            f"<tr><th>combination</th><th>change per kind (timings worst first)</th>"
            f"<th>program</th><th>bisected release / next step</th></tr>{''.join(rows)}"
            f"</table></div>")
    return (f'<section class="jax-step" id="{_esc(step.anchor)}" '
            f'data-machine="{_esc(step.machine)}" data-before="{_esc(step.before)}" '
            f'data-after="{_esc(step.after)}">'
            f"<h3>{_esc(step_header(step)).replace(' -&gt; ', ' &rarr; ')}</h3>"
            f'<details class="caught-by"><summary>caught by: {_esc(step.caught_text())} '
            f"(per-kind table)"
            f"</summary><table><tr><th>kind</th><th>threshold</th><th>steps compared</th>"
            f"<th>regressions</th><th>improvements</th></tr>{caught}</table></details>"
            f"{''.join(groups)}</section>")
