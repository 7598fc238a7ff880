"""The sparsity picture: J's structural nonzeros, each drawn in the colour of its column's
colour group (``python -m vjplab spy FAMILY --dimension N --locality K -o spy.png``).

Columns of one colour never share a row, so each row shows as many distinct colours as it has
nonzeros, and one JVP per colour recovers every nonzero (vjplab.sparse.plans). Past
``MAX_DRAWN`` rows or columns only the leading ``MAX_DRAWN x MAX_DRAWN`` block is drawn (the
title says so): a million-point pattern is a grey band at any figure size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vjplab.sparse.libraries import LIBRARIES, unavailable_reason

#: Largest block drawn, rows and columns.
MAX_DRAWN = 256
#: Hues of the colour groups (matplotlib's tab20 reordered: the strong hues first, so that up
#: to ten groups never get two shades of one hue).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
           "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")


def default_library() -> str:
    """The first of LIBRARIES that runs here; ValueError with every reason when none does."""
    reasons = {library: unavailable_reason(library) for library in LIBRARIES}
    for library, reason in reasons.items():
        if reason is None:
            return library
    raise ValueError("no sparse library runs here: "
                     + "; ".join(f"{reason}" for reason in reasons.values()))


def spy(problem, library: str, path: Path) -> Path:
    """Draw ``problem``'s Jacobian pattern coloured by ``library``'s column colouring into the
    png ``path``; return it. Infeasible when the library cannot plan this problem."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap

    from vjplab.sparse.plans import plan

    sparse_plan = plan(problem, library)
    rows, cols = problem.sparsity_coo()
    m, n = sparse_plan.shape
    shown_m, shown_n = min(m, MAX_DRAWN), min(n, MAX_DRAWN)
    keep = (rows < shown_m) & (cols < shown_n)
    rows, cols = rows[keep], cols[keep]
    colours = np.asarray(sparse_plan.column_colours)[cols]

    size = max(0.5, min(40.0, 6000.0 / max(shown_m, shown_n) ** 1.5))
    fig, ax = plt.subplots(figsize=(7.2, 6.0 * max(0.3, shown_m / shown_n) + 0.8))
    # one hue per colour group (cycling through PALETTE past its length), with a colour bar
    # whose bands are centred on the group numbers
    hues = [PALETTE[g % len(PALETTE)] for g in range(sparse_plan.colours)]
    cmap = ListedColormap(hues)
    norm = BoundaryNorm(np.arange(sparse_plan.colours + 1) - 0.5, cmap.N)
    scatter = ax.scatter(cols, rows, c=colours, cmap=cmap, norm=norm, s=size, marker="s",
                         linewidths=0)
    ax.set_xlim(-0.5, shown_n - 0.5)
    ax.set_ylim(shown_m - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xlabel("column j (input)")
    ax.set_ylabel("row i (output)")
    block = "" if (shown_m, shown_n) == (m, n) else f", leading {shown_m} x {shown_n} block"
    cycled = (f"; hues repeat every {len(PALETTE)} groups"
              if sparse_plan.colours > len(PALETTE) else "")
    ax.set_title(f"{problem.family} N={problem.dimension} k={problem.locality}: "
                 f"{sparse_plan.nnz:,} nonzeros, {sparse_plan.colours} colours (= JVPs)\n"
                 f"{library} column colouring; M x N = {m} x {n}{block}{cycled}", fontsize=10)
    step = max(1, -(-sparse_plan.colours // 20))
    bar = fig.colorbar(scatter, ax=ax, shrink=0.8,
                       ticks=range(0, sparse_plan.colours, step))
    bar.set_label("colour group (columns of one group share no row)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
