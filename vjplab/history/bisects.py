"""Bisect verdicts: the release between two recorded ones where a parameter set got slower.

``vjplab bisect`` measures a parameter set in the JAX releases between two recorded ones and
writes one JSON file per bisection into ``<bisect dir>/verdicts/`` (default bisect dir:
``<results_dir>/../bisect``, i.e. ``.asv/bisect``, beside asv's results directory, never in
it). Each file holds exactly::

    {"param_set": "time_vjp('squared_differences_3d', 'exact', 1000000, 1)",
     "benchmark": "time_vjp", "params": {"family": "squared_differences_3d", ...},
     "machine": "vm", "from": "0.6.2", "to": "0.7.2",
     "first_slower": "0.7.0" | null, "last_good": "0.6.2" | null, "ratio": 1.8 | null,
     "program": str | null, "program_verdict": str | null,
     "probes": [{"jax", "value", "classification", "skipped"}, ...],
     "results_dir": str, "created": ISO time}

This module only reads them (the history report shows the bisected release on the matching
step). A missing directory or a file that is not such a verdict becomes a message, never a
crash.

**Matching a step** of the history (machine, benchmark, parameters, JAX before -> after): the
same machine; the same parameters (every name of the step's benchmark in benchmarks.json, with
equal values: ``1000000`` and ``1e6`` agree, a verdict naming other or fewer parameters does
not match); and the same releases (``from`` = before and ``to`` = after), or, for a verdict
that found a first slower release, a range overlapping the step's with that release in
(before, after]. The benchmark kind need not be the step's: a bisection of one kind (usually
``time_vjp``) locates the change of the combination, and the report says which kind was
bisected. Several matches: the verdict of the step's own kind first, then the newest
(``created``).
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.history.versions import version_key

#: the bisect directory's name beside asv's results directory
DIR_NAME = "bisect"
VERDICTS = "verdicts"
#: keys every verdict file must have (the others are optional for reading)
REQUIRED = ("param_set", "benchmark", "params", "machine", "from", "to", "first_slower")


def default_bisect_dir(results_dir: Path | str) -> Path:
    """``<results_dir>/../bisect`` (``.asv/bisect`` for asv.conf.json's ``.asv/results``)."""
    return Path(results_dir).resolve().parent / DIR_NAME


@dataclass(frozen=True)
class BisectVerdict:
    """One verdict file, as written by ``vjplab bisect``."""

    path: Path
    param_set: str
    #: the bisected kind (``time_vjp``)
    benchmark: str
    params: dict
    machine: str
    from_version: str
    to_version: str
    first_slower: str | None
    last_good: str | None = None
    ratio: float | None = None
    program_verdict: str | None = None
    created: str = ""

    def describe(self) -> str:
        """``first slower: 0.7.0 (bisected on time_vjp, last good 0.6.2, 1.80x)``, or, when
        the bisection found no slower release, what it compared."""
        if self.first_slower is None:
            return (f"bisected on {self.benchmark} {self.from_version} -> {self.to_version}: "
                    f"no release there was slower")
        details = [f"bisected on {self.benchmark}"]
        if self.last_good:
            details.append(f"last good {self.last_good}")
        if self.ratio is not None:
            details.append(f"{self.ratio:.2f}x")
        if self.program_verdict:
            details.append(self.program_verdict)
        return f"first slower: {self.first_slower} ({', '.join(details)})"


def _optional_str(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key!r} is {type(value).__name__}, expected a string or null")
    return value


def parse_verdict(path: Path, data: object) -> BisectVerdict:
    """A verdict from a file's parsed JSON; ValueError says what is wrong with it."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    for key in ("param_set", "benchmark", "machine", "from", "to"):
        if not isinstance(data[key], str) or not data[key]:
            raise ValueError(f"{key!r} must be a non-empty string")
    if not isinstance(data["params"], dict) or not data["params"]:
        raise ValueError("'params' must be an object naming the parameters")
    ratio = data.get("ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float))):
        raise ValueError(f"'ratio' is {type(ratio).__name__}, expected a number or null")
    created = data.get("created")
    return BisectVerdict(
        path=path, param_set=data["param_set"], benchmark=data["benchmark"],
        params=dict(data["params"]), machine=data["machine"], from_version=data["from"],
        to_version=data["to"], first_slower=_optional_str(data, "first_slower"),
        last_good=_optional_str(data, "last_good"),
        ratio=float(ratio) if ratio is not None else None,
        program_verdict=_optional_str(data, "program_verdict"),
        created=created if isinstance(created, str) else "")


def _value(value: object) -> object:
    """A parameter value comparable across asv's strings and JSON: numbers as floats."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def params_match(verdict_params: dict, names: list[str], params: tuple[str, ...]) -> bool:
    """True when the verdict names exactly ``names`` with the values of ``params`` (asv's
    strings, e.g. ``"'roll_cubic'"``, ``"1000000"``)."""
    if len(names) != len(params) or set(verdict_params) != set(names):
        return False
    for name, value in zip(names, params):
        a, b = _value(verdict_params[name]), _value(value)
        if isinstance(a, float) and isinstance(b, float):
            if not math.isclose(a, b, rel_tol=1e-12):
                return False
        elif a != b:
            return False
    return True


def range_matches(verdict: BisectVerdict, before: str, after: str) -> bool:
    """Same releases, or an overlapping range whose first slower release lies in
    (before, after]."""
    if (verdict.from_version, verdict.to_version) == (before, after):
        return True
    if verdict.first_slower is None:
        return False
    key = version_key
    overlaps = (key(verdict.from_version) < key(after)
                and key(before) < key(verdict.to_version))
    return overlaps and key(before) < key(verdict.first_slower) <= key(after)


@dataclass
class Bisects:
    """The verdicts of one bisect directory and what could not be read."""

    directory: Path | None = None
    verdicts: list[BisectVerdict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def find(self, machine: str, names: list[str], params: tuple[str, ...], before: str,
             after: str, kind: str = "") -> BisectVerdict | None:
        """The verdict for a step (module docstring: matching), or None."""
        found = [v for v in self.verdicts
                 if v.machine == machine and range_matches(v, before, after)
                 and params_match(v.params, names, params)]
        if not found:
            return None
        return max(found, key=lambda v: (v.benchmark == kind, v.created, str(v.path)))

    def summary(self) -> str:
        """One line: how many verdicts were read from where."""
        if self.directory is None:
            return "bisect verdicts: none read (no bisect directory)"
        where = self.directory / VERDICTS
        if not self.verdicts:
            return (f"bisect verdicts: none in {where} (`python -m vjplab bisect` writes "
                    f"them)")
        return f"bisect verdicts: {len(self.verdicts)} read from {where}"


def load_bisects(directory: Path | str | None) -> Bisects:
    """Every ``*.json`` under ``directory/verdicts`` (sorted by name). A missing directory
    gives no verdicts and no message (summary() says where it looked); an unreadable file or
    one that is not a verdict gives a message naming it and why."""
    if directory is None:
        return Bisects()
    out = Bisects(Path(directory))
    folder = out.directory / VERDICTS
    if not folder.is_dir():
        if folder.exists():
            out.messages.append(f"{folder} is not a directory; no bisect verdicts read")
        return out
    for path in sorted(folder.glob("*.json")):
        try:
            out.verdicts.append(parse_verdict(path, json.loads(path.read_text())))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            out.messages.append(f"{path}: not a bisect verdict ({exc}); skipped")
    return out
