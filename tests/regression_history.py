"""A fabricated history with known regressions, for the regression page's tests and screenshot.

Two machines (``vm``, the user's, and ``reference``), three releases (0.6.2, 0.7.2, 0.8.3),
benchmarks with FIVE parameters (family, strategy, dimension, locality, dtype: the suite's
layout once dtype is added), fingerprint sidecars on ``vm`` for 0.6.2 and 0.7.2 only. What
regresses (everything else stays within 0.5 %):

vm 0.6.2 -> 0.7.2
  * squared_differences_3d exact N=1000000 k=1: time_vjp 1.8x, device time 1.7x; same program
  * roll_cubic jax_vjp N=100 k=1: time_vjp 1.3x, flops 100 -> 120, HLO fusions 1 -> 2;
    program changed (one more fusion)
vm 0.7.2 -> 0.8.3 (no sidecar for 0.8.3: fingerprints missing)
  * roll_cubic exact N=1000000 k=1: time_vjp 1.5x
  * peakmem_reference roll_cubic N=100: 1.3x (no program: not a combination)
  * improvement: squared_differences_3d jax_vjp N=100 k=1 time_vjp 0.5x
reference 0.6.2 -> 0.7.2 (no sidecars)
  * squared_differences_3d exact N=1000000 k=1: time_vjp 1.6x
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from tests.asv_files import COMPILE, DEVICE, FLOPS, REFERENCE, TIME, entry, write_file
from vjplab.measure.fingerprints import Sidecar
from vjplab.measure.hlo import fingerprint

FUSIONS = "bench_program.HLOFusions.track_hlo_fusions"
FIVE = ["family", "strategy", "dimension", "locality", "dtype"]
META = {
    TIME: {"unit": "seconds", "type": "time", "param_names": FIVE},
    DEVICE: {"unit": "seconds", "type": "track", "param_names": FIVE},
    COMPILE: {"unit": "seconds", "type": "track", "param_names": FIVE},
    FLOPS: {"unit": "flops", "type": "track", "param_names": FIVE},
    FUSIONS: {"unit": "instructions", "type": "track", "param_names": FIVE},
    REFERENCE: {"unit": "bytes", "type": "peakmemory", "param_names": ["family", "dimension"]},
}
PARAMS = [["'roll_cubic'", "'squared_differences_3d'"], ["'jax_vjp'", "'exact'"],
          ["100", "1000000"], ["1"], ["'float32'"]]
REF_PARAMS = [["'roll_cubic'", "'squared_differences_3d'"], ["100", "1000000"]]
RELEASES = ("0.6.2", "0.7.2", "0.8.3")
COMMIT = "3333cccc" * 5

#: (machine, kind, family, strategy, N, release) -> factor on the base value from that release on
FACTORS = {
    ("vm", TIME, "squared_differences_3d", "exact", 1000000, "0.7.2"): 1.8,
    ("vm", DEVICE, "squared_differences_3d", "exact", 1000000, "0.7.2"): 1.7,
    ("vm", TIME, "roll_cubic", "jax_vjp", 100, "0.7.2"): 1.3,
    ("vm", FLOPS, "roll_cubic", "jax_vjp", 100, "0.7.2"): 1.2,
    ("vm", FUSIONS, "roll_cubic", "jax_vjp", 100, "0.7.2"): 2.0,
    ("vm", TIME, "roll_cubic", "exact", 1000000, "0.8.3"): 1.5,
    ("vm", TIME, "squared_differences_3d", "jax_vjp", 100, "0.8.3"): 0.5,
    ("reference", TIME, "squared_differences_3d", "exact", 1000000, "0.7.2"): 1.6,
}
#: (machine, family, N, release) -> factor of peakmem_reference
REF_FACTORS = {("vm", "roll_cubic", 100, "0.8.3"): 1.3}
BASE = {TIME: 1e-3, DEVICE: 5e-4, COMPILE: 0.2, FLOPS: 100.0, FUSIONS: 1.0}

#: a small optimized HLO module, and the same with one more fusion
HLO = """HloModule jit_vjp, entry_computation_layout={(f32[4]{0}, f32[4]{0})->f32[4]{0}}

%fused_computation (p0: f32[4], p1: f32[4]) -> f32[4] {
  %p1 = f32[4]{0} parameter(1)
  %p0 = f32[4]{0} parameter(0)
  ROOT %m = f32[4]{0} multiply(f32[4]{0} %p0, f32[4]{0} %p1)
}

ENTRY %main (a: f32[4], b: f32[4]) -> f32[4] {
  %a = f32[4]{0} parameter(0)
  %b = f32[4]{0} parameter(1)
  ROOT %fusion = f32[4]{0} fusion(f32[4]{0} %a, f32[4]{0} %b), kind=kLoop, calls=%fused_computation
}
"""
HLO_TWO_FUSIONS = HLO.replace(
    "  ROOT %fusion = f32[4]{0} fusion(f32[4]{0} %a, f32[4]{0} %b), kind=kLoop, "
    "calls=%fused_computation\n",
    "  %fusion = f32[4]{0} fusion(f32[4]{0} %a, f32[4]{0} %b), kind=kLoop, "
    "calls=%fused_computation\n  ROOT %fusion.2 = f32[4]{0} fusion(f32[4]{0} %fusion, "
    "f32[4]{0} %b), kind=kLoop, calls=%fused_computation\n")


def _combos(params: list[list[str]]) -> list[tuple]:
    return [tuple(eval(v) for v in combo) for combo in itertools.product(*params)]


def _values(machine: str, kind: str, release: str) -> list[float]:
    out = []
    for family, strategy, n, _k, _dtype in _combos(PARAMS):
        factor = _factor(FACTORS, (machine, kind, family, strategy, n), release)
        # steady values wobble by 0.2 % so that nothing else is flagged
        wobble = 1.0 if kind in (FLOPS, FUSIONS) else 1 + 0.002 * RELEASES.index(release)
        out.append(BASE[kind] * (10 if n == 1000000 else 1) * factor * wobble)
    return out


def _reference_values(machine: str, release: str) -> list[float]:
    return [2e8 * _factor(REF_FACTORS, (machine, family, n), release)
            for family, n in _combos(REF_PARAMS)]


def _factor(factors: dict, key: tuple, release: str) -> float:
    """The product of the factors of ``key`` at ``release`` and the releases before it (a
    regression stays in the later releases)."""
    out = 1.0
    for earlier in RELEASES[:RELEASES.index(release) + 1]:
        out *= factors.get((*key, earlier), 1.0)
    return out


def write_benchmarks(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    meta = {name: {"name": name, "version": "v1" * 32, **m} for name, m in META.items()}
    (root / "benchmarks.json").write_text(json.dumps({**meta, "version": 2}))


def fabricate(root: Path) -> Path:
    """Write the history described in the module docstring into results directory ``root``
    (sidecars in ``root/../fingerprints``); returns ``root``."""
    write_benchmarks(root)
    for machine, release in itertools.product(("vm", "reference"), RELEASES):
        results = {}
        for kind in BASE:
            noisy = kind in (TIME, DEVICE, COMPILE)
            results[kind] = entry(_values(machine, kind, release), params=PARAMS,
                                  rel_ci=0.01 if noisy else None)
        results[REFERENCE] = entry(_reference_values(machine, release), params=REF_PARAMS)
        path = write_file(root, results, machine=machine, commit=COMMIT, jax=release)
        if machine == "vm" and release != "0.8.3":
            _write_sidecar(root, machine, path, release)
    return root


def _write_sidecar(root: Path, machine: str, path: Path, release: str) -> None:
    table, texts = {}, {}
    for family, strategy, n, k, _dtype in _combos(PARAMS):
        changed = (release == "0.7.2" and (family, strategy, n) == ("roll_cubic", "jax_vjp", 100))
        found = fingerprint(HLO_TWO_FUSIONS if changed else HLO)
        table[(family, strategy, n, k, _dtype.strip("'"))] = {"sha256": found.sha256,
                                                           "counts": found.counts}
        texts[found.sha256] = found.text
    Sidecar.of_results_file(root, f"{machine}/{path.name}").write(table, texts,
                                                                  {"jax": release})


def verdict(**changes) -> dict:
    """A bisect verdict file's content (the format `vjplab bisect` writes) for vm's
    squared_differences_3d exact N=1e6 k=1 float32 time_vjp step 0.6.2 -> 0.7.2, with
    ``changes``."""
    data = {"param_set": "time_vjp('squared_differences_3d', 'exact', 1000000, 1, 'float32')",
            "benchmark": "time_vjp",
            "params": {"family": "squared_differences_3d", "strategy": "exact",
                       "dimension": 1000000, "locality": 1, "dtype": "float32"},
            "machine": "vm", "from": "0.6.2", "to": "0.7.2", "first_slower": "0.7.0",
            "last_good": "0.6.2", "ratio": 1.79, "program": None, "program_verdict": None,
            "probes": [{"jax": "0.7.0", "value": 1.8e-2, "classification": "regression",
                        "skipped": None}],
            "results_dir": "/tmp/results", "created": "2026-11-26T18:00:00+00:00"}
    data.update(changes)
    return data


def write_verdict(bisect_dir: Path, name: str, data: dict | str) -> Path:
    folder = bisect_dir / "verdicts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path
