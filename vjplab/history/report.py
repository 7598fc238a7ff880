"""The regression report: a terminal table (worst first), Markdown, and an HTML page with plots.

Every form states each kind's threshold, the benchmarks whose asv version changed (separate
series), the points missing because a release's newest results file holds null, and the
commits each step compares (with a note when releases were recorded at different commits).
Each flagged step of a kind measured on a combination (family, strategy, N, k: latency, device
time, compile time, flops, HLO counts, ...) says whether XLA's program is the same on both sides
("same program", "program changed" with the op counts that differ, or why it cannot tell:
vjplab.history.programs); the HTML report links a unified diff of the two HLO texts.

Plots: one per (machine, benchmark, benchmark version, parameters without the strategy);
x = JAX version (sorted as versions, evenly spaced), one line per strategy, log y (linear when
a value is <= 0, as a net memory can be).
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.history.bisects import Bisects, default_bisect_dir, load_bisects
from vjplab.history.causes import CombinationRow, JaxStep, group_regressions
from vjplab.history.labels import (describe_params, describe_version, format_change,
                                   format_value, machine_label, short_hash, short_name,
                                   unit_of)
from vjplab.history.overlay import draw, panels, reference_banner
from vjplab.history.programs import (CHANGED, SAME, ProgramNote, combination_of,
                                     diff_file_name, program_note, write_diff)
from vjplab.history.regressions import html_section, markdown_lines, terminal_lines
from vjplab.history.results import ResultsSet
from vjplab.history.steps import (RULES, Rules, SeriesKey, Step, Verdict, build_series,
                                  kinds_table, missing_points, rule_for, steps, worst_first)
from vjplab.history.versions import sort_versions

PAGE_NAME = "vjplab-history.html"
PLOTS_DIR = "vjplab-history"
#: examples listed in a summary note before "and N more"
EXAMPLES = 5


@dataclass
class History:
    results: ResultsSet
    series: dict[SeriesKey, dict]
    steps: list[Step]
    rules: Rules
    #: flagged step on a fingerprinted combination -> same program or not
    #: (``program_notes`` fills it)
    programs: dict[Step, ProgramNote] | None = None
    #: the bisect verdicts read for the regression page (vjplab.history.bisects)
    bisects: Bisects = field(default_factory=Bisects)
    _jax_steps: list[JaxStep] | None = field(default=None, init=False, repr=False)

    @property
    def versions(self) -> list[str]:
        return sort_versions(m.jax for m in self.results.measurements)

    @property
    def regressions(self) -> list[Step]:
        return [s for s in self.steps if s.verdict == Verdict.REGRESSION]

    def versions_of(self, benchmark: str) -> set[str | None]:
        """The asv versions of ``benchmark`` among the series (several: separate series)."""
        return {key[3] for key in self.series if key[1] == benchmark}

    def jax_steps(self) -> list[JaxStep]:
        """The regression page's groups (vjplab.history.causes), computed once."""
        if self._jax_steps is None:
            self._jax_steps = group_regressions(self.results, self.steps, self.rules,
                                                program_notes(self), self.bisects)
        return self._jax_steps


def build_history(results: ResultsSet, rules: Rules | None = None,
                  bisect_dir: Path | None = None) -> History:
    """Series and classified steps (worst first) under ``rules`` (default: steps.RULES), with
    the bisect verdicts of ``bisect_dir`` (default: ``<results dir>/../bisect``)."""
    rules = RULES if rules is None else rules
    series = build_series(results.measurements)
    if bisect_dir is None and results.root is not None:
        bisect_dir = default_bisect_dir(results.root)
    return History(results, series, worst_first(steps(series, rules)), rules,
                   bisects=load_bisects(bisect_dir))


def program_notes(history: History) -> dict[Step, ProgramNote]:
    """Same program or not, for every flagged step of a benchmark whose parameters name a
    fingerprinted combination (programs.combination_of: every kind measured on family,
    strategy, N, k). Read from the fingerprint sidecars once per (combination, both results
    files), so the kinds of one combination share a note, then kept on ``history``."""
    if history.programs is None:
        history.programs = {}
        cache: dict[tuple, ProgramNote] = {}
        for step in history.steps:
            if step.verdict == Verdict.NO_CHANGE:
                continue
            key = combination_of(history.results, step.benchmark, step.params)
            if key is None:
                continue
            points = history.series[(step.machine, step.benchmark, step.params,
                                     step.benchmark_version)]
            before, after = points[step.before_version], points[step.after_version]
            where = (key, before.file, before.jax, after.file, after.jax)
            if where not in cache:
                cache[where] = program_note(history.results, step.benchmark, step.params,
                                            before, after)
            history.programs[step] = cache[where]
    return history.programs


def _program_line(history: History) -> list[str]:
    notes = program_notes(history)
    if not notes:
        return []
    verdicts = Counter(note.verdict for note in notes.values())
    return [f"XLA programs of the {len(notes)} flagged steps on a fingerprinted combination "
            f"(every kind measured on family, strategy, N, k): {verdicts[SAME]} same "
            f"program, {verdicts[CHANGED]} program changed, "
            f"{len(notes) - verdicts[SAME] - verdicts[CHANGED]} without fingerprints on both "
            f"sides (column \"program\")"]


def thresholds_line(rules: Rules) -> str:
    """``thresholds: time_vjp 1.1x, ..., track_flops any change`` (one entry per kind)."""
    return "thresholds: " + ", ".join(f"{r.kind} {r.describe()}" for r in kinds_table(rules))


def _examples(items: list[str]) -> str:
    more = f", and {len(items) - EXAMPLES} more" if len(items) > EXAMPLES else ""
    return ", ".join(items[:EXAMPLES]) + more


def _version_notes(history: History) -> list[str]:
    lines = []
    for benchmark in sorted({key[1] for key in history.series}):
        versions = history.versions_of(benchmark)
        if len(versions) > 1:
            labels = ", ".join(sorted(describe_version(v) for v in versions))
            lines.append(f"{short_name(benchmark)} has {len(versions)} benchmark versions "
                         f"({labels}): separate series, no step compares across them")
    return lines


def _missing_note(history: History) -> list[str]:
    missing = missing_points(history.series)
    if not missing:
        return []
    items = [f"{short_name(key[1])} {describe_params(history.results.benchmarks, key[1], key[2])}"
             f" at {m.jax} ({key[0]}, commit {short_hash(m.commit)})"
             for key, m in sorted(missing, key=lambda km: (km[0][:3], km[1].jax))]
    points = "1 point" if len(missing) == 1 else f"{len(missing)} points"
    return [f"{points} missing: the newest results file of that release holds "
            f"null there (failed or skipped); no older value replaces it and steps join the "
            f"releases either side: {_examples(items)}"]


def _commit_notes(history: History) -> list[str]:
    """"releases recorded at different commits" when the points of one machine's series come
    from more than one commit."""
    commits: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for (machine, *_), per_version in history.series.items():
        for version, m in per_version.items():
            commits[machine][version].add(m.commit)
    lines = []
    for machine, per_version in sorted(commits.items()):
        if len(set().union(*per_version.values())) > 1:
            where = ", ".join(f"{v} at {', '.join(sorted(short_hash(c) for c in per_version[v]))}"
                              for v in sort_versions(per_version))
            lines.append(f"releases recorded at different commits on {machine}: {where} "
                         f"(each step names the commits it compares)")
    return lines


def summary_lines(history: History) -> list[str]:
    counts = Counter(s.verdict for s in history.steps)
    machines = sorted({m.machine for m in history.results.measurements})
    lines = [f"JAX versions: {', '.join(history.versions) or 'none'}; machines: "
             f"{', '.join(machines) or 'none'}",
             *([history.results.reference_label] if history.results.reference_label else []),
             thresholds_line(history.rules),
             f"{len(history.steps)} steps: {counts[Verdict.REGRESSION]} regressions, "
             f"{counts[Verdict.IMPROVEMENT]} improvements, {counts[Verdict.NO_CHANGE]} no change"]
    on_machine = defaultdict(set)  # a machine's own releases (the reference has others)
    for m in history.results.measurements:
        on_machine[m.machine].add(m.jax)
    partial = sum(1 for key, per_version in history.series.items()
                  if 0 < len(per_version) < len(on_machine[key[0]])
                  and len(history.versions_of(key[1])) == 1)  # else: said per benchmark below
    if partial:
        lines.append(f"{partial} series lack some versions (benchmark or combination not "
                     f"recorded there); their steps join the versions they have")
    lines += (_program_line(history) + _version_notes(history) + _missing_note(history)
              + _commit_notes(history))
    if len(history.versions) < 2:
        lines.append("fewer than two JAX versions recorded: no steps to classify "
                     "(record more with `python -m vjplab record`)")
    return lines + [f"note: {m}" for m in history.results.messages + history.bisects.messages]


def _parameters_cell(history: History, step: Step) -> str:
    text = describe_params(history.results.benchmarks, step.benchmark, step.params)
    if len(history.versions_of(step.benchmark)) > 1:
        text += f" ({describe_version(step.benchmark_version)})"
    return text


def _step_cells(history: History, step: Step) -> list[str]:
    unit = unit_of(history.results.benchmarks, step.benchmark)
    rule = rule_for(step.benchmark, history.rules)
    return [step.verdict.value, f"{step.before_version} -> {step.after_version}",
            format_change(rule, step.before, step.after, unit), format_value(step.before, unit),
            format_value(step.after, unit), short_name(step.benchmark),
            _parameters_cell(history, step),
            f"{short_hash(step.before_commit)} -> {short_hash(step.after_commit)}",
            machine_label(history.results, step.machine),
            _program_cell(history, step)]


def _program_cell(history: History, step: Step) -> str:
    note = program_notes(history).get(step)
    return note.text if note else ""


STEP_HEADER = ["verdict", "JAX step", "change", "before", "after", "benchmark", "parameters",
               "commits", "machine", "program"]
#: where the HTML report writes the diffs of changed programs (under its plots directory)
DIFFS_DIR = "hlo-diffs"


def terminal_table(history: History, limit: int = 40) -> str:
    """Summary plus the ``limit`` worst steps that changed (regressions first)."""
    changed = [s for s in history.steps if s.verdict != Verdict.NO_CHANGE][:limit]
    rows = [STEP_HEADER] + [_step_cells(history, s) for s in changed]
    widths = [max(len(r[i]) for r in rows) for i in range(len(STEP_HEADER))]
    lines = summary_lines(history)
    grouped = terminal_lines(history.jax_steps(), history.results, history.rules,
                             history.bisects.summary())
    if grouped:
        lines += [""] + grouped
    if changed:
        lines += ["", "Steps that changed (worst first):"]
        for index, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(history: History) -> str:
    lines = ["# vjplab: JAX-version history", ""]
    lines += [f"- {line}" for line in summary_lines(history)]
    grouped = markdown_lines(history.jax_steps(), history.results, history.rules,
                             history.bisects.summary())
    if grouped:
        lines += [""] + grouped
    changed = [s for s in history.steps if s.verdict != Verdict.NO_CHANGE]
    lines += ["", "## Steps that changed (worst first)", "",
              "| " + " | ".join(STEP_HEADER) + " |", "|" + "---|" * len(STEP_HEADER)]
    lines += ["| " + " | ".join(_step_cells(history, s)) + " |" for s in changed]
    if not changed:
        lines.append("| " + " | ".join(["no change"] + [""] * (len(STEP_HEADER) - 1)) + " |")
    return "\n".join(lines) + "\n"


def _plot_groups(history: History) -> dict[tuple, dict[str, dict]]:
    """(machine, benchmark, benchmark version, params without strategy) ->
    {strategy: {JAX version: value}} (measured points only)."""
    groups: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for (machine, benchmark, params, bench_version), per_version in history.series.items():
        names = history.results.benchmarks.get(benchmark, {}).get("param_names") or []
        if "strategy" in names:
            i = names.index("strategy")
            line, rest = params[i].strip("'"), params[:i] + params[i + 1:]
        else:
            line, rest = short_name(benchmark), params
        groups[(machine, benchmark, bench_version, rest)][line] = {
            v: m.value for v, m in per_version.items() if m.measured}
    return groups


def write_html(history: History, html_dir: Path) -> Path:
    """Write ``vjplab-history.html`` and its plots into ``html_dir``; return the page's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    html_dir.mkdir(parents=True, exist_ok=True)
    plots_dir = html_dir / PLOTS_DIR
    plots_dir.mkdir(exist_ok=True)
    versions = history.versions
    position = {v: i for i, v in enumerate(versions)}
    figures = []
    for index, panel in enumerate(panels(history.results, _plot_groups(history))):
        machine, benchmark, bench_version, rest = (panel.machine, panel.benchmark,
                                                   panel.benchmark_version, panel.rest)
        if panel.most_points < 2:
            continue
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        draw(ax, panel, position)  # the reference machine's lines dashed (vjplab.history.overlay)
        positive = all(v > 0 for line in panel.lines for v in line.points.values())
        ax.set_yscale("log" if positive else "linear")  # a net series can be <= 0
        ax.set_xticks(range(len(versions)), versions, rotation=45, fontsize=8)
        ax.set_xlabel("JAX version")
        ax.set_ylabel(unit_of(history.results.benchmarks, benchmark) or "value")
        title = (f"{short_name(benchmark)}\n"
                 f"{describe_params(history.results.benchmarks, benchmark, rest, 'strategy')}")
        if len(history.versions_of(benchmark)) > 1:
            title += f" ({describe_version(bench_version)})"
        ax.set_title(title, fontsize=9)
        fig.tight_layout()
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{machine}-{short_name(benchmark)}-{index}") + ".png"
        fig.savefig(plots_dir / name, dpi=80)
        plt.close(fig)
        figures.append((panel.caption, title, name))
    changed = [s for s in history.steps if s.verdict != Verdict.NO_CHANGE]
    rows = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in _html_cells(history, s,
                                                                                plots_dir))
                     + "</tr>" for s in changed)
    figs = "\n".join(f'<figure><img src="{PLOTS_DIR}/{n}" alt="{html.escape(t)}">'
                     f"<figcaption>{html.escape(m)}</figcaption></figure>"
                     for m, t, n in figures)
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(history))
    regressions = html_section(history.jax_steps(), history.results, history.rules,
                               history.bisects.summary(),
                               lambda row: _row_diff_href(row, plots_dir))
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>vjplab: JAX-version history</title>
<style>{STYLE}</style></head><body>
<h1>vjplab: JAX-version history</h1>
<p><a href="index.html">&larr; asv dashboard</a> &middot; <a href="vjplab-report.html">this run's results (vjplab-report.html)</a> &middot; <a href="#summary">summary</a> &middot; <a href="#steps">every step that changed</a> &middot; <a href="#series">plots</a></p>
{reference_banner(history.results)}
{regressions}
<h2 id="summary">Summary</h2>
<ul>{summary}</ul>
<h2 id="steps">Steps that changed (worst first)</h2>
<table><tr>{''.join(f'<th>{h}</th>' for h in STEP_HEADER)}</tr>
{rows or f'<tr><td colspan="{len(STEP_HEADER)}">no step changed</td></tr>'}
</table>
<h2 id="series">Series (x: JAX version, one line per strategy, log y)</h2>
{figs or '<p>no series with two or more JAX versions yet</p>'}
</body></html>
"""
    path = html_dir / PAGE_NAME
    path.write_text(page)
    link_from_dashboard(html_dir)
    return path


#: the page's CSS (the regression section's causes are coloured badges)
STYLE = """body{font-family:sans-serif;margin:1.5em;max-width:1400px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3} figure{display:inline-block;margin:4px}
.regression td:first-child{color:#b00} td.bad{color:#b00;font-weight:bold}
.cause{display:inline-block;padding:0 6px;border-radius:3px;font-weight:bold;font-size:13px}
.cause-same-program{background:#fde2c8} .cause-program-changed{background:#d6e6fb}
.cause-fingerprints-missing{background:#e6e6e6} .cause-no-program{background:#eee;color:#555}
section.jax-step{border-top:2px solid #999;margin-top:1.2em}
p.reference{background:#eef4fb;border:1px solid #b8cde6;padding:6px 10px}
section.jax-step h3{margin:.5em 0 .2em} .cause-group h4{margin:.6em 0 .2em;font-weight:normal}
details.caught-by summary{cursor:pointer;font-size:14px}
.legend{font-size:13px;margin:.5em 0 .8em} .order{font-size:14px;color:#333}
code{font-size:12px;background:#f6f6f6;padding:1px 3px;overflow-wrap:anywhere}
table.combinations{width:100%;table-layout:fixed} td.nowrap{white-space:nowrap}
#jax-steps td:nth-child(6){font-size:12px} p.bisects{font-size:14px;margin:.2em 0}
.bisected{color:#060;font-weight:bold}"""


def _row_diff_href(row: CombinationRow, plots_dir: Path) -> str | None:
    """Write a changed program's HLO diff for a regression row; its link, or None."""
    if row.note is None or row.note.diff is None:
        return None
    step = row.steps[0]
    name = diff_file_name(step.machine, step.params, step.before_version, step.after_version)
    write_diff(row.note, plots_dir / DIFFS_DIR, name)
    return f"{PLOTS_DIR}/{DIFFS_DIR}/{name}"


def _html_cells(history: History, step: Step, plots_dir: Path) -> list[str]:
    """A step's cells as HTML; a changed program's cell links the diff it writes."""
    cells = [html.escape(c) for c in _step_cells(history, step)]
    note = program_notes(history).get(step)
    if note is not None and note.diff is not None:
        name = diff_file_name(step.machine, step.params, step.before_version,
                              step.after_version)
        write_diff(note, plots_dir / DIFFS_DIR, name)
        cells[-1] += (f' (<a href="{PLOTS_DIR}/{DIFFS_DIR}/{html.escape(name)}">diff of the '
                      f'HLO</a>)')
    return cells


LINK_MARKER = "<!-- vjplab-history-link -->"


def link_from_dashboard(html_dir: Path) -> None:
    """Add a visible link to the history page at the top of asv's published index.html."""
    index = html_dir / "index.html"
    if not index.is_file():
        return
    text = index.read_text()
    if LINK_MARKER in text:
        return
    link = (f'{LINK_MARKER}<div style="position:fixed;top:4px;right:8px;z-index:9999;'
            f'background:#ffe;padding:4px 8px;border:1px solid #cc9">'
            f'<a href="{PAGE_NAME}">JAX-version history &amp; regressions</a></div>')
    text = re.sub(r"(<body[^>]*>)", r"\1" + link, text, count=1)
    index.write_text(text)
