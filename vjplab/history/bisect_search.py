"""The search of ``vjplab bisect``: the first JAX release of a range that is slower.

Pure logic, no asv: ``search`` gets the releases in version order (the ``--from`` release
first, the ``--to`` release last), a ``measure`` callable (a release -> its Measurement, or a
string saying why there is none: not installable, no value stored) and a ``verdict`` callable
(before, after -> Verdict: the history report's own classification, vjplab.history.steps).

1. Both endpoints are measured first. If either has no value, or ``from -> to`` is not a
   regression, the regression does not reproduce and the search stops (``reproduced`` False).
2. Otherwise ``last good`` = from, ``first slower`` = to, and while releases lie strictly
   between them that were not tried, the middle one of those is probed: a probe without a value
   is skipped (the search goes on with the others); else ``last good -> probe`` is classified
   and a regression makes the probe the new first slower, anything else (no change, an
   improvement) the new last good. For a step at one release this finds it in about log2(n)
   probes; the releases the search never needs are not installed.
3. The boundary pair is classified once more on its own (``boundary``): after a gradual drift
   the first slower release can be a regression against an earlier last good and not against
   the final one, which the caller says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from vjplab.history.results import Measurement
from vjplab.history.steps import Verdict

#: the classification of the --from release's probe (what the others are compared with)
REFERENCE = "reference"
SKIPPED = "skipped"


@dataclass(frozen=True)
class Probe:
    jax: str
    measurement: Measurement | None
    #: Verdict value ("regression", ...) against ``against``; REFERENCE; SKIPPED
    classification: str
    #: why there is no value (None when measured)
    skipped: str | None = None
    #: the release it was classified against (None for the reference and skipped probes)
    against: str | None = None

    @property
    def value(self) -> float | None:
        return None if self.measurement is None else self.measurement.value


@dataclass
class SearchOutcome:
    releases: list[str]
    probes: list[Probe] = field(default_factory=list)
    reproduced: bool = False
    #: why the search stopped without a boundary (endpoints not reproducing, not measured)
    message: str = ""
    last_good: str | None = None
    first_slower: str | None = None
    #: the classification of last_good -> first_slower on its own
    boundary: Verdict | None = None

    def measurement(self, jax: str) -> Measurement | None:
        return next((p.measurement for p in self.probes if p.jax == jax), None)

    def skipped_between(self) -> list[str]:
        """The releases between the boundary's two that could not be measured."""
        if self.last_good is None or self.first_slower is None:
            return []
        lo, hi = self.releases.index(self.last_good), self.releases.index(self.first_slower)
        return [p.jax for p in self.probes
                if p.skipped is not None and lo < self.releases.index(p.jax) < hi]


Measure = Callable[[str], "Measurement | str"]
Classify = Callable[[Measurement, Measurement], Verdict]


def search(releases: list[str], measure: Measure, verdict: Classify,
           on_probe: Callable[[Probe], None] | None = None) -> SearchOutcome:
    """Find the first slower release of ``releases`` (module docstring). ``on_probe`` sees
    each probe as it is made (the CLI prints it)."""
    if len(releases) < 2:
        raise ValueError(f"a search needs two endpoints, got {releases}")
    out = SearchOutcome(list(releases))

    def probe(index: int, against: int | None) -> Measurement | None:
        jax = releases[index]
        got = measure(jax)
        if isinstance(got, str):
            made = Probe(jax, None, SKIPPED, got)
        elif against is None:
            made = Probe(jax, got, REFERENCE)
        else:
            base = out.measurement(releases[against])
            made = Probe(jax, got, verdict(base, got).value, against=releases[against])
        out.probes.append(made)
        if on_probe is not None:
            on_probe(made)
        return made.measurement

    first, last = 0, len(releases) - 1
    if probe(first, None) is None:
        out.message = f"the --from release {releases[first]} has no value: {out.probes[-1].skipped}"
        return out
    if probe(last, first) is None:
        out.message = f"the --to release {releases[last]} has no value: {out.probes[-1].skipped}"
        return out
    if out.probes[-1].classification != Verdict.REGRESSION.value:
        out.message = (f"the endpoints do not reproduce the regression: {releases[first]} -> "
                       f"{releases[last]} is {out.probes[-1].classification}")
        return out
    out.reproduced = True
    good, bad = first, last
    untried = list(range(first + 1, last))
    while True:
        inside = [i for i in untried if good < i < bad]
        if not inside:
            break
        middle = inside[(len(inside) - 1) // 2]
        untried.remove(middle)
        if probe(middle, good) is None:
            continue
        if out.probes[-1].classification == Verdict.REGRESSION.value:
            bad = middle
        else:
            good = middle
    out.last_good, out.first_slower = releases[good], releases[bad]
    out.boundary = verdict(out.measurement(releases[good]), out.measurement(releases[bad]))
    return out
