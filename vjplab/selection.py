"""Which asv parameter sets a grid runs, as an ``asv run --bench`` regex.

asv's parameters are one fixed space (``vjplab.grid.PARAM_SPACE``), so a grid is a selection.
asv (0.6, ``asv.benchmarks.Benchmarks``) matches each ``--bench`` regex with ``re.search``
against ``name(param0, param1, ...)`` where the values are the ``repr()`` strings of
benchmarks.json (``bench_vjp.TimeVJP.time_vjp('roll_cubic', 'jax_vjp', 1000, 1)``), runs only
the matching parameter sets, and, when it saves into an existing results file, keeps the stored
results of the others. Unmatched parameter sets cost nothing (no process is started), whereas a
parameter set that skips in ``setup`` costs a process per round.

Each benchmark of the suite belongs to one ``Selection``: a regex of benchmark names, the sweep
of the grid that selects its combinations, and its parameters. A test checks that every
benchmark of ``benchmarks/`` belongs to exactly one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from vjplab.grid import Grid

#: The parameters of the VJP benchmarks, in asv order.
FULL_PARAMS = ("family", "strategy", "dimension", "locality", "dtype")
#: The parameters of the many-VJPs benchmarks (benchmarks/bench_many.py), in asv order.
COTANGENT_PARAMS = ("family", "method", "dimension", "cotangents", "dtype")
ADJOINT_PARAMS = ("family", "method", "dimension", "dtype")


@dataclass(frozen=True)
class Selection:
    """Benchmarks (``pattern``: a regex of asv benchmark names) whose parameters are ``params``
    (a subset of FULL_PARAMS, in that order), selected by the grid's ``kind`` sweep."""

    pattern: str
    kind: str
    params: tuple[str, ...] = FULL_PARAMS
    #: True when the benchmarks share one setup_cache that measures a combination once: a NaN
    #: (skipped) value beside another benchmark's number for the same combination means "this
    #: JAX release provides no such metric", not "never run".
    shared_measurement: bool = False

    def matches(self, benchmark: str) -> bool:
        return re.fullmatch(self.pattern, benchmark) is not None

    def combinations(self, grid: Grid) -> list[tuple]:
        """The grid's combinations of this selection's params that run (static skips out:
        a dense strategy at a large dimension, a locality-free family at other localities)."""
        sweep = grid.sweep(self.kind)
        index = [sweep.param_names.index(p) for p in self.params]
        seen: dict[tuple, None] = {}
        for combo in sweep.combinations():
            if sweep.skip_reason(*combo) is None:
                seen.setdefault(tuple(combo[i] for i in index), None)
        return list(seen)


SELECTIONS: tuple[Selection, ...] = (
    Selection(r"bench_vjp\.TimeVJP\.time_vjp", "latency"),
    Selection(r"bench_metrics\.[A-Za-z_]\w*\.track_\w+", "metrics", shared_measurement=True),
    # op counts of the optimized HLO (one setup_cache, which also fingerprints the latency
    # sweep into the sidecar): the metrics sweep, see benchmarks/bench_program.py
    Selection(r"bench_program\.[A-Za-z_]\w*\.track_hlo_\w+", "metrics",
              shared_measurement=True),
    Selection(r"bench_memory\.PeakMemVJP\.peakmem_vjp", "metrics"),
    # the sparse strategies' three phases and colour counts (one setup_cache): the sparse
    # sweep, see benchmarks/bench_sparse.py
    Selection(r"bench_sparse\.[A-Za-z_]\w*\.track_sparse_\w+", "sparse",
              shared_measurement=True),
    Selection(r"bench_memory\.PeakMemReference\.peakmem_reference", "metrics",
              ("family", "dimension")),
    # many VJPs at one point (vjplab.many), each kind one shared setup_cache measurement
    Selection(r"bench_many\.TimeCotangents\.track_\w+", "cotangents", COTANGENT_PARAMS,
              shared_measurement=True),
    Selection(r"bench_many\.Adjoint(?:Solve|Counts)\.track_\w+", "adjoint", ADJOINT_PARAMS,
              shared_measurement=True),
)


def selection_of(benchmark: str) -> Selection:
    """The Selection a benchmark name belongs to; ValueError when none (or several) match."""
    found = [s for s in SELECTIONS if s.matches(benchmark)]
    if len(found) != 1:
        raise ValueError(f"benchmark {benchmark!r} matches {len(found)} entries of "
                         f"vjplab.selection.SELECTIONS (needs exactly one): add or fix its entry")
    return found[0]


def param_set_name(benchmark: str, values: Sequence) -> str:
    """asv's name of one parameter set, as ``--bench`` regexes see it."""
    return f"{benchmark}({', '.join(repr(v) for v in values)})"


def _trie(paths: list[tuple[str, ...]]) -> str:
    """A regex matching exactly the concatenations of ``paths`` (tuples of regex tokens).

    Shares prefixes and merges tokens whose continuations are identical, so a product
    (families x strategies x ...) stays short: ``(?:a|b)(?:x|y)`` instead of four words.
    """
    if not paths or all(not p for p in paths):
        return ""
    children: dict[str, list[tuple[str, ...]]] = {}
    for path in paths:
        if not path:
            raise ValueError("one path is a prefix of another; tokens must end distinctly")
        children.setdefault(path[0], []).append(path[1:])
    by_rest: dict[str, list[str]] = {}
    for token, rests in children.items():
        by_rest.setdefault(_trie(rests), []).append(token)
    alternatives = [(f"(?:{'|'.join(tokens)})" if len(tokens) > 1 else tokens[0]) + rest
                    for rest, tokens in by_rest.items()]
    return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"


def _tokens(name_regex: str, values: Sequence) -> tuple[str, ...]:
    """Regex tokens of one parameter-set name: ``name(``, ``v1, ``, ..., ``vn)``."""
    reprs = [re.escape(repr(v)) for v in values]
    return (f"(?:{name_regex})\\(",) + tuple(r + ", " for r in reprs[:-1]) + (reprs[-1] + r"\)",)


def names_regex(entries: Iterable[tuple[str, Sequence]]) -> str:
    """One regex matching exactly the parameter sets ``(benchmark-name regex, values)``."""
    paths = sorted({_tokens(name, values) for name, values in entries})
    if not paths:
        raise ValueError("no parameter set selected")
    return f"^{_trie(paths)}$"


def grid_regex(grid: Grid) -> str:
    """The ``--bench`` regex that selects exactly the parameter sets ``grid`` runs."""
    return names_regex((s.pattern, combo) for s in SELECTIONS for combo in s.combinations(grid))


def combine_with_user_regex(selection: str, user: str | None) -> str:
    """A regex matching the names both ``selection`` (anchored with ^) and ``user`` match, the
    way asv applies ``--bench`` (``re.search``). ValueError when ``user`` is not a regex."""
    if not user:
        return selection
    try:
        re.compile(user)
    except re.error as exc:
        raise ValueError(f"--bench {user!r} is not a valid regular expression: {exc}") from None
    if not selection.startswith("^"):
        raise ValueError("the grid's selection regex must start with ^")
    combined = f"^(?=.*?(?:{user})){selection[1:]}"
    try:
        re.compile(combined)
    except re.error as exc:  # e.g. a global flag such as (?i) inside the user's regex
        raise ValueError(f"--bench {user!r} cannot be combined with the grid's selection: "
                         f"{exc}") from None
    return combined
