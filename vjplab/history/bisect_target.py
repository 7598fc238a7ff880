"""The parameter set ``vjplab bisect`` searches: one asv benchmark at one set of parameters.

Given either as asv's name of the parameter set, as ``--bench`` regexes and asv's reports
show it (the benchmark's full name or just its method name, then the values' ``repr``)::

    "time_vjp('roll_cubic', 'exact', 100, 1, 'float32')"
    "bench_vjp.TimeVJP.time_vjp('roll_cubic', 'exact', 100, 1, 'float32')"

or as the benchmark followed by one ``NAME=VALUE`` per parameter, in any order::

    time_vjp family=roll_cubic strategy=exact dimension=1e6 locality=1

The parameter names, their order and the allowed values come from the suite itself (asv's
``param_names`` and ``params``, vjplab.suite_info.discover_suite), never from a fixed list, so
a parameter added to the suite (e.g. ``dtype``) is simply one more. A value is matched by
equality with an allowed value (``1e6`` is ``1000000``; unquoted words are strings), and the
allowed value is kept, so the name and regex are asv's own. Bad input raises ValueError naming
the allowed benchmarks, parameters or values.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from vjplab.history.derived import method_name
from vjplab.selection import param_set_name

_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*\((.*)\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class Target:
    #: asv's full benchmark name (``bench_vjp.TimeVJP.time_vjp``)
    benchmark: str
    param_names: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        """asv's name of the parameter set (what ``--bench`` regexes are matched against)."""
        return param_set_name(self.benchmark, self.values)

    @property
    def short_name(self) -> str:
        """The name with the method only: ``time_vjp('roll_cubic', 'exact', 100, 1, 'float32')``."""
        return param_set_name(self.kind, self.values)

    @property
    def kind(self) -> str:
        return method_name(self.benchmark)

    @property
    def params(self) -> dict[str, Any]:
        return dict(zip(self.param_names, self.values))

    @property
    def reprs(self) -> tuple[str, ...]:
        """The values as asv stores them in results files (``repr``)."""
        return tuple(repr(v) for v in self.values)


def resolve_benchmark(name: str, suite: dict[str, dict]) -> str:
    """The suite's full benchmark name for ``name`` (full, or a unique dotted suffix such as
    ``time_vjp`` or ``TimeVJP.time_vjp``); ValueError names the allowed ones."""
    if name in suite:
        return name
    found = [full for full in suite if full.endswith("." + name)]
    if len(found) == 1:
        return found[0]
    allowed = ", ".join(sorted({method_name(b) for b in suite}))
    if found:
        raise ValueError(f"benchmark {name!r} is ambiguous: {', '.join(sorted(found))}")
    raise ValueError(f"unknown benchmark {name!r}; allowed: {allowed} (or a full name such as "
                     f"bench_vjp.TimeVJP.time_vjp)")


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()


def _allowed_value(benchmark: str, param: str, value: Any, allowed_reprs: list[str]) -> Any:
    allowed = [ast.literal_eval(r) for r in allowed_reprs]
    for candidate in allowed:
        if type(candidate) is not bool and candidate == value \
                and isinstance(candidate, str) == isinstance(value, str):
            return candidate
    raise ValueError(f"{benchmark}: {param}={value!r} is not one of its values; allowed: "
                     f"{', '.join(allowed_reprs)}")


def parse_target(words: list[str], suite: dict[str, dict]) -> Target:
    """The Target named by the command line's words (module docstring); ValueError on bad
    input."""
    if not words:
        raise ValueError("name a parameter set, e.g. \"time_vjp('roll_cubic', 'exact', 100, 1, 'float32')\" "
                         "or time_vjp family=roll_cubic strategy=exact dimension=100 locality=1")
    match = _NAME.match(words[0])
    if match is not None:
        if len(words) > 1:
            raise ValueError(f"give the parameter set either as asv's name or as BENCHMARK "
                             f"NAME=VALUE ..., not both: {words}")
        benchmark = resolve_benchmark(match.group(1), suite)
        try:
            given = ast.literal_eval(f"({match.group(2)},)") if match.group(2).strip() else ()
        except (ValueError, SyntaxError):
            raise ValueError(f"cannot read the values of {words[0]!r}: write them as asv does, "
                             f"e.g. ('roll_cubic', 'exact', 100, 1, 'float32')") from None
        names = list(suite[benchmark].get("param_names") or [])
        if len(given) != len(names):
            raise ValueError(f"{benchmark} has {len(names)} parameters ({', '.join(names)}), "
                             f"{words[0]!r} gives {len(given)}")
        pairs = dict(zip(names, given))
    else:
        benchmark = resolve_benchmark(words[0].strip(), suite)
        names = list(suite[benchmark].get("param_names") or [])
        pairs = {}
        for word in words[1:]:
            key, sep, text = word.partition("=")
            if not sep:
                raise ValueError(f"{word!r}: expected NAME=VALUE with NAME one of "
                                 f"{', '.join(names)}")
            if key.strip() not in names:
                raise ValueError(f"{benchmark} has no parameter {key.strip()!r}; allowed: "
                                 f"{', '.join(names)}")
            pairs[key.strip()] = _literal(text)
        missing = [n for n in names if n not in pairs]
        if missing:
            raise ValueError(f"{benchmark}: give a value for every parameter; missing: "
                             f"{', '.join(missing)}")
    params = suite[benchmark].get("params") or []
    values = tuple(_allowed_value(benchmark, name, pairs[name], params[i])
                   for i, name in enumerate(names))
    return Target(benchmark, tuple(names), values)
