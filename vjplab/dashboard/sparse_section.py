"""The report page's "Sparse Jacobians" section: the run's sparse phases and colour counts
(benchmarks/bench_sparse.py), and the sparsity picture with its colouring (vjplab.sparse.spy).

The table reads the results file only. The picture needs JAX and a sparse library, so it is
drawn only when the run measured sparse phases (then both are installed; one small plan, about
a second); otherwise, or when drawing fails, the section says why and names the command that
draws it.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from vjplab.dashboard.report_plots import format_n
from vjplab.dashboard.run_data import RunData, _parse
from vjplab.measure.report import format_seconds

#: asv benchmark -> column heading, in the table's order
PHASE_COLUMNS = {
    "bench_sparse.SparseColours.track_sparse_colours": "colours (JVPs)",
    "bench_sparse.SparsePlanTime.track_sparse_plan_time": "1. pattern + colouring",
    "bench_sparse.SparseJacobianTime.track_sparse_jacobian_time": "2. J at a new x",
    "bench_sparse.SparseProductTime.track_sparse_product_time": "3. J^T c",
}
COLOURS = "bench_sparse.SparseColours.track_sparse_colours"
#: the picture drawn for the page: family, N, k (a periodic band: 2k + 1 = 5 colours)
SPY_CASE = ("roll_cubic", 60, 2)
SPY_NAME = "spy-roll_cubic.png"


def spy_command(family: str, n: int, k: int, output: str = "spy.png") -> str:
    return f"python -m vjplab spy {family} --dimension {n} --locality {k} -o {output}"


def sparse_values(run: RunData) -> dict[tuple, dict[str, float]]:
    """(family, strategy, N, k) -> {benchmark: value} of the run's float32 sparse phases."""
    out: dict[tuple, dict[str, float]] = {}
    if run.results is None:
        return out
    for m in run.results.measurements:
        if m.file != run.file.file or m.benchmark not in PHASE_COLUMNS:
            continue
        combo = _parse(m.params)
        if combo is not None and m.value is not None and math.isfinite(m.value):
            out.setdefault(combo, {})[m.benchmark] = m.value
    return out


def draw_spy(path: Path) -> str | None:
    """Draw SPY_CASE into ``path``; None when done, else why not (no library, an error)."""
    try:
        import vjplab
        from vjplab.sparse.spy import default_library, spy

        spy(vjplab.problem(*SPY_CASE), default_library(), path)
    except Exception as exc:  # noqa: BLE001 - the page says why, and how to draw it
        return f"{type(exc).__name__}: {exc}"
    return None


def section_html(run: RunData, plots_dir: Path, plots_href: str) -> str:
    """The section (HTML): the phases table and the picture (drawn into ``plots_dir``, linked
    as ``plots_href``/SPY_NAME) when the run measured sparse phases; else a note."""
    values = sparse_values(run)
    command = f"<code>{html.escape(spy_command(*SPY_CASE))}</code>"
    intro = ("<p>J built by colouring (asdex, sparsejac; <code>vjplab.sparse</code>): one JVP "
             "per colour, then <code>J^T c</code> as a sparse product. Phase 1 is paid once "
             "per pattern, phase 2 once per x, phase 3 once per cotangent.</p>")
    if not values:
        return (f'<section id="sparse"><h2>Sparse Jacobians</h2>{intro}<p>This run measured no '
                f"sparse phases (they need <code>pip install 'vjplab[sparse]'</code> and a "
                f"grid with a sparse sweep, e.g. <code>default</code>). The sparsity picture "
                f"with its colouring: {command}.</p></section>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in PHASE_COLUMNS.values())
    rows = []
    for (family, strategy, n, k), found in sorted(values.items()):
        cells = []
        for bench in PHASE_COLUMNS:
            value = found.get(bench)
            text = ("&ndash;" if value is None else
                    str(int(value)) if bench == COLOURS else format_seconds(value))
            cells.append(f"<td>{text}</td>")
        rows.append(f"<tr><td>{html.escape(family)}</td><td>{html.escape(strategy)}</td>"
                    f"<td>{format_n(n)}</td><td>{k}</td>{''.join(cells)}</tr>")
    plots_dir.mkdir(parents=True, exist_ok=True)
    failed = draw_spy(plots_dir / SPY_NAME)
    picture = (f'<p>The sparsity picture could not be drawn here ({html.escape(failed)}); '
               f"draw it with {command}.</p>" if failed else
               f'<p><img src="{plots_href}/{SPY_NAME}" alt="sparsity pattern of '
               f'{SPY_CASE[0]} coloured by colour group"><br>Drawn with {command} '
               f"(any family, N, k; <code>--library asdex|sparsejac</code>).</p>")
    return f"""<section id="sparse"><h2>Sparse Jacobians</h2>{intro}
<table id="sparse-phases"><tr><th>family</th><th>strategy</th><th>N</th><th>k</th>{head}</tr>
{''.join(rows)}</table>
{picture}</section>"""
