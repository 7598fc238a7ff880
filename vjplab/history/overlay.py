"""The history page's plots with the reference machine: the user's points over its series.

The plots are grouped by (machine, benchmark, benchmark version, parameters without the
strategy), one line per strategy (vjplab.history.report). When the results hold the shipped
reference machine (vjplab.reference), each of the user's groups is drawn in ONE panel with
the reference machine's group of the same benchmark, version and parameters: the user's lines
solid with filled diamonds, the reference's dashed with hollow circles, one colour per strategy
in both, so that a user with one JAX release sees that point beside the reference's series over
releases. The two stay separate series (different machines, never joined into one line or
step). Reference groups the user has no counterpart for get a panel of their own, captioned as
the reference machine; without a reference, every group is one panel as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from vjplab.history.results import ResultsSet

#: (machine, benchmark, benchmark version, params without the strategy)
GroupKey = tuple
#: line name (a strategy) -> {JAX version: value}
Lines = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Line:
    strategy: str
    points: dict[str, float]
    #: drawn as the reference machine's (dashed, hollow markers)
    reference: bool = False


@dataclass(frozen=True)
class Panel:
    #: the machine the panel's file name and order use (the user's, or the reference's)
    machine: str
    benchmark: str
    benchmark_version: str | None
    rest: tuple[str, ...]
    lines: tuple[Line, ...]
    #: the figure's caption: which machine(s) it shows
    caption: str

    @property
    def most_points(self) -> int:
        return max((len(line.points) for line in self.lines), default=0)


def _caption_reference(results: ResultsSet, machine: str) -> str:
    return results.reference_label or f"reference machine: {machine} \N{EM DASH} not your machine"


def panels(results: ResultsSet, groups: dict[GroupKey, Lines]) -> list[Panel]:
    """The panels to draw, the user's (with the reference overlaid where it has the same
    benchmark, version and parameters) first, then the reference's own; each list in the
    order of its keys."""
    reference = {key[1:]: (key[0], lines) for key, lines in groups.items()
                 if results.is_reference(key[0])}
    used: set[tuple] = set()
    out = []
    for key, lines in sorted(groups.items(), key=lambda kv: repr(kv[0])):
        machine, benchmark, version, rest = key
        if results.is_reference(machine):
            continue
        own = tuple(Line(s, p) for s, p in sorted(lines.items()))
        match = reference.get(key[1:])
        if match is None:
            out.append(Panel(machine, benchmark, version, rest, own, machine))
            continue
        used.add(key[1:])
        ref_machine, ref_lines = match
        overlay = tuple(Line(s, p, reference=True) for s, p in sorted(ref_lines.items()))
        caption = (f"{machine} (yours: filled diamonds) beside the reference machine "
                   f"{ref_machine} (dashed, hollow circles), not your machine")
        out.append(Panel(machine, benchmark, version, rest, own + overlay, caption))
    for rest_key, (machine, lines) in sorted(reference.items(), key=lambda kv: repr(kv[0])):
        if rest_key in used:
            continue
        benchmark, version, rest = rest_key
        out.append(Panel(machine, benchmark, version, rest,
                         tuple(Line(s, p, reference=True) for s, p in sorted(lines.items())),
                         f"reference machine {machine} (not your machine)"))
    return out


def draw(ax, panel: Panel, position: dict[str, int]) -> None:
    """Draw the panel's lines on ``ax`` with a legend: one colour per strategy; with the
    reference machine in it, its lines dashed with hollow markers and the user's solid with
    filled ones, and the legend saying which is which."""
    from matplotlib.lines import Line2D

    strategies = sorted({line.strategy for line in panel.lines})
    colour = {s: f"C{i % 10}" for i, s in enumerate(strategies)}
    mixed = any(line.reference for line in panel.lines) and not all(
        line.reference for line in panel.lines)
    for line in panel.lines:
        xs = [position[v] for v in line.points]
        style = dict(color=colour[line.strategy], marker="o")
        if line.reference:
            style.update(linestyle="--", markerfacecolor="white", markersize=4, linewidth=1)
        elif mixed:
            style.update(marker="D", markersize=7, markeredgecolor="black", linewidth=2,
                         zorder=3)
        ax.plot(xs, list(line.points.values()), **style)
    handles = [Line2D([], [], color=colour[s], marker="o", label=s) for s in strategies]
    if not mixed:
        ax.legend(handles=handles, fontsize=7)
        return
    handles += [Line2D([], [], color="gray", marker="D", markersize=6, markeredgecolor="black",
                       linewidth=2, label="yours"),
                Line2D([], [], color="gray", marker="o", markerfacecolor="white",
                       linestyle="--", linewidth=1, label="reference\nmachine")]
    ax.legend(handles=handles, fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5))


def reference_banner(results: ResultsSet) -> str:
    """The history page's paragraph naming the reference machine (HTML; "" without one)."""
    if not results.reference_machines:
        return ""
    import html

    yours = sorted({m.machine for m in results.measurements
                    if not results.is_reference(m.machine)})
    whose = (f"Your machine{'s' if len(yours) > 1 else ''}: {', '.join(yours)}." if yours
             else "No results of yours yet.")
    return (f'<p class="reference"><b>{html.escape(_caption_reference(results, min(results.reference_machines)))}'
            f"</b>. Its series over JAX releases ship with vjplab (results/reference/) and are "
            f"drawn dashed with hollow circles; yours solid with filled diamonds, in the same "
            f"plots where you measured the same benchmark and parameters. "
            f"{html.escape(whose)} The two machines are never compared step by step: "
            f"record releases of your own with <code>python -m vjplab record</code>.</p>")
