"""Program fingerprints: the canonical HLO form, counts, the sidecar, and the history's verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import pytest

from tests.asv_files import TIME, entry, write_file
from vjplab.grid import GRIDS
from vjplab.history.programs import diff_file_name
from vjplab.history.report import (DIFFS_DIR, PLOTS_DIR, build_history, markdown, summary_lines,
                                   terminal_table, write_html)
from vjplab.history.results import load_results
from vjplab.measure import fingerprints
from vjplab.measure.fingerprints import (Sidecar, combination_key, fingerprint_sweep,
                                         program_fingerprint, results_stem,
                                         sidecar_from_environment, sweep_combinations)
from vjplab.measure.hlo import COUNT_KEYS, canonical_hlo, count_ops, fingerprint
from vjplab.prepared import compiled_vjp, jitted_vjp
from vjplab.problems import problem
from vjplab.suite import repo_root

ROOT = repo_root()

#: An optimized HLO module as XLA prints it (shapes of a real CPU module, shortened).
HLO = textwrap.dedent("""\
    HloModule jit_vjp, is_scheduled=true, entry_computation_layout={(f32[4]{0}, f32[4]{0})->f32[4]{0}}, allow_spmd_sharding_propagation_to_output={true}

    FileNames
    1 "/home/a/roll.py"

    FileLocations
    1 {file_name_id=1 function_name_id=1 line=3 end_line=3 column=4 end_column=46}

    StackFrames
    1 {file_location_id=1 parent_frame_id=1}


    %fused_computation (param_0.2: f32[4], param_1.3: f32[4]) -> f32[4] {
      %param_1.3 = f32[4]{0} parameter(1)
      %param_0.2 = f32[4]{0} parameter(0)
      %multiply.1 = f32[4]{0} multiply(f32[4]{0} %param_0.2, f32[4]{0} %param_1.3), metadata={op_name="jit(vjp)/mul" source_file="/home/a/roll.py" source_line=12}
      ROOT %transpose.0 = f32[4]{0} transpose(f32[4]{0} %multiply.1), dimensions={0}
    }

    ENTRY %main.7 (Arg_0.1: f32[4], Arg_1.2: f32[4]) -> f32[4] {
      %Arg_1.2 = f32[4]{0} parameter(1), metadata={op_name="c"}
      %Arg_0.1 = f32[4]{0} parameter(0), metadata={op_name="x"}
      %copy.3 = f32[4]{0} copy(f32[4]{0} %Arg_0.1), metadata={op_name="copy" source_file="/a.py" source_line=1}
      ROOT %fusion = f32[4]{0} fusion(f32[4]{0} %copy.3, f32[4]{0} %Arg_1.2), kind=kLoop, calls=%fused_computation, metadata={op_name="jit(vjp)/mul" source_file="/tmp/x.py" source_line=3}, backend_config={"operation_queue_id":"0","wait_on_operation_queues":[],"outer_dimension_partitions":["2"]}
    }
    """)

#: The same program printed by another process and release: other numbering, no ``%``,
#: other source locations and module name, no source tables, operands without shapes.
HLO_RENUMBERED = textwrap.dedent("""\
    HloModule jit_f, entry_computation_layout={(f32[4]{0}, f32[4]{0})->f32[4]{0}}

    fused_multiply (p0.9: f32[4], p1.8: f32[4]) -> f32[4] {
      p1.8 = f32[4]{0} parameter(1)
      p0.9 = f32[4]{0} parameter(0)
      multiply.44 = f32[4]{0} multiply(p0.9, p1.8), metadata={op_name="jit(f)/mul" source_file="/other.py" source_line=99}
      ROOT transpose.45 = f32[4]{0} transpose(multiply.44), dimensions={0}
    }

    ENTRY main.99 (Arg_0.11: f32[4], Arg_1.12: f32[4]) -> f32[4] {
      Arg_1.12 = f32[4]{0} parameter(1)
      Arg_0.11 = f32[4]{0} parameter(0)
      copy.13 = f32[4]{0} copy(Arg_0.11)
      ROOT fusion.14 = f32[4]{0} fusion(copy.13, Arg_1.12), kind=kLoop, calls=fused_multiply, backend_config={"outer_dimension_partitions":["2"],"operation_queue_id":"7"}
    }
    """)


def test_canonical_form_strips_names_locations_and_ids():
    text = canonical_hlo(HLO)
    for gone in ("metadata", "source_file", "op_name", "roll.py", "FileNames", "StackFrames",
                 "operation_queue_id", "wait_on_operation_queues", "jit_vjp", "main.7",
                 "fused_computation", "Arg_0.1", "is_scheduled"):
        assert gone not in text, gone
    assert text.splitlines()[0] == ("HloModule module, entry_computation_layout="
                                    "{(f32[4]{0}, f32[4]{0})->f32[4]{0}}")
    assert "%c0 (%v0: f32[4], %v1: f32[4]) -> f32[4] {" in text
    assert "  %v2 = f32[4]{0} multiply(%v0, %v1)" in text
    assert 'calls=%c0, backend_config={"outer_dimension_partitions":["2"]}' in text
    assert canonical_hlo(text) == text  # idempotent


def test_same_program_printed_differently_has_one_fingerprint():
    a, b = fingerprint(HLO), fingerprint(HLO_RENUMBERED)
    assert a.text == b.text and a.sha256 == b.sha256
    assert a.counts == {**dict.fromkeys(COUNT_KEYS, 0), "fusion": 1, "copy": 1, "transpose": 1,
                        "instructions": 8}
    changed = fingerprint(HLO.replace("dimensions={0}", "dimensions={0}, slice={[0:4]}")
                          .replace("kind=kLoop", "kind=kInput"))
    assert changed.sha256 != a.sha256


def test_fusion_counts_kernels_not_nested_fusions():
    nested = textwrap.dedent("""\
        HloModule m, entry_computation_layout={(f32[4]{0})->f32[4]{0}}

        %inner (p.1: f32[4]) -> f32[4] {
          %p.1 = f32[4]{0} parameter(0)
          ROOT %negate.2 = f32[4]{0} negate(f32[4]{0} %p.1)
        }

        %outer (p.3: f32[4]) -> f32[4] {
          %p.3 = f32[4]{0} parameter(0)
          ROOT %fusion.4 = f32[4]{0} fusion(f32[4]{0} %p.3), kind=kLoop, calls=%inner
        }

        %body (t.5: (s32[], f32[4])) -> (s32[], f32[4]) {
          %t.5 = (s32[], f32[4]{0}) parameter(0)
          %gte.6 = f32[4]{0} get-tuple-element((s32[], f32[4]{0}) %t.5), index=1
          %gte.7 = s32[] get-tuple-element((s32[], f32[4]{0}) %t.5), index=0
          %fusion.8 = f32[4]{0} fusion(f32[4]{0} %gte.6), kind=kLoop, calls=%outer
          ROOT %tuple.9 = (s32[], f32[4]{0}) tuple(s32[] %gte.7, f32[4]{0} %fusion.8)
        }

        ENTRY %main (x: f32[4]) -> f32[4] {
          %x = f32[4]{0} parameter(0)
          %fusion = f32[4]{0} fusion(f32[4]{0} %x), kind=kLoop, calls=%outer
          %c = s32[] constant(0)
          %t = (s32[], f32[4]{0}) tuple(s32[] %c, f32[4]{0} %fusion)
          %w = (s32[], f32[4]{0}) while((s32[], f32[4]{0}) %t), condition=%body, body=%body
          ROOT %r = f32[4]{0} get-tuple-element((s32[], f32[4]{0}) %w), index=1
        }
        """)
    counts = fingerprint(nested).counts
    # two kernels (the entry's and the loop body's); the fusion inside %outer is part of them
    assert counts["fusion"] == 2 and counts["while"] == 1
    assert count_ops(canonical_hlo(nested)) == counts
    assert "get-tuple-element(%v0), index=1" in canonical_hlo(nested)


# --- real programs -----------------------------------------------------------------------

FINGERPRINT_SCRIPT = """
import json, sys
from vjplab.measure.fingerprints import program_fingerprint
if sys.argv[1] == "perturbed":  # other programs first: XLA's and JAX's name counters move on
    for args in (("banded_conv", "exact", 1000, 4, "float32"), ("burgers_1d", "jax_vjp", 100, 1, "float32")):
        program_fingerprint(*args)
found = program_fingerprint("roll_cubic", "jax_vjp", 100, 1, "float32")
print(json.dumps({"sha256": found.sha256, "text": found.text, "counts": found.counts}))
"""


def fingerprint_in_fresh_process(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", FINGERPRINT_SCRIPT, mode], cwd=ROOT,
                         capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, JAX_ENABLE_X64="0"))
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fingerprint_is_identical_across_two_processes():
    first, second = fingerprint_in_fresh_process("plain"), fingerprint_in_fresh_process("perturbed")
    assert first["text"] == second["text"]
    assert first["sha256"] == second["sha256"] and first["counts"] == second["counts"]
    assert first["counts"]["fusion"] >= 1


def test_extra_transpose_changes_counts_and_hash():
    p = problem("roll_cubic", 100, 1, dtype="float32")
    base = jitted_vjp("jax_vjp", p)
    plain = fingerprint(base.lower(p.x, p.cotangent).compile().as_text())

    @jax.jit
    def with_transpose(x, c):  # the same VJP, returned as a transposed 10 x 10 block
        return base(x, c).reshape(10, 10).T.reshape(-1)

    variant = fingerprint(with_transpose.lower(p.x, p.cotangent).compile().as_text())
    assert variant.sha256 != plain.sha256
    assert variant.counts != plain.counts
    # XLA writes the reordering as a transpose, or as a copy to another layout
    moved = ("transpose", "copy")
    assert sum(variant.counts[k] for k in moved) > sum(plain.counts[k] for k in moved)


def test_fingerprint_is_of_the_program_the_benchmark_prepares(monkeypatch):
    from vjplab import prepared as prepared_module

    monkeypatch.setattr(prepared_module, "_CACHE", {})
    fresh = fingerprint(compiled_vjp("roll_cubic", "exact", 100, 1, "float32").as_text())
    prepared = prepared_module.prepare("roll_cubic", "exact", 100, 1, "float32")
    executed = prepared.vjp.lower(prepared.problem.x, prepared.problem.cotangent).compile()
    assert fresh.sha256 == fingerprint(executed.as_text()).sha256


# --- the sidecar ---------------------------------------------------------------------------

def test_sweep_covers_the_latency_and_metrics_sweeps():
    grid = GRIDS["default"].restricted_to(["roll_cubic"])
    combos = set(sweep_combinations(grid))
    for kind in ("latency", "metrics"):
        sweep = grid.sweep(kind)
        assert {c for c in sweep.combinations() if sweep.skip_reason(*c) is None} <= combos
    assert all(c[0] == "roll_cubic" for c in combos)


def test_sidecar_written_once_and_read(tmp_path, capsys):
    sidecar = Sidecar(tmp_path / "fingerprints" / "vm" / "1111aaaa-env")
    table = fingerprint_sweep(GRIDS["tiny"], sidecar=sidecar)
    assert set(table) == {("roll_cubic", "exact", 100, 1, "float32"), ("roll_cubic", "jax_vjp", 100, 1, "float32")}
    index = sidecar.read()
    assert index["jax"] == jax.__version__ and index["canonical_form"] == 1
    stored = sidecar.entry(combination_key("roll_cubic", "jax_vjp", 100, 1, "float32"))
    assert stored["sha256"] == table[("roll_cubic", "jax_vjp", 100, 1, "float32")]["sha256"]
    assert stored["counts"] == table[("roll_cubic", "jax_vjp", 100, 1, "float32")]["counts"]
    text = sidecar.hlo_text(stored)
    assert text.startswith("HloModule module") and fingerprint(text).sha256 == stored["sha256"]
    before = sidecar.index_path.read_bytes()
    assert sidecar.write(table, {}, {}) == 0  # unchanged: written once
    assert sidecar.index_path.read_bytes() == before
    # a different program for the same combination: replaced, and said so
    other = {("roll_cubic", "jax_vjp", 100, 1, "float32"): {"sha256": "f" * 64, "counts": {"fusion": 9}}}
    assert sidecar.write(other, {}, {}) == 1
    assert "changed from" in capsys.readouterr().err
    assert sidecar.entry(combination_key("roll_cubic", "jax_vjp", 100, 1, "float32"))["sha256"] == "f" * 64
    assert (sidecar.path / stored["hlo"]).is_file()  # the old HLO file is kept


def test_sidecar_location_comes_from_the_environment(tmp_path):
    env = {fingerprints.DIR_ENV: str(tmp_path / "fp" / "vm"), fingerprints.COMMIT_ENV: "ab" * 20,
           "ASV_ENV_NAME": "virtualenv-py3.11-jax0.4.31"}
    sidecar, note = sidecar_from_environment(env)
    assert note == ""
    assert sidecar.path == tmp_path / "fp" / "vm" / "abababab-virtualenv-py3.11-jax0.4.31"
    assert results_stem("ab" * 20, "x" * 200).startswith("abababab-env-")
    none, note = sidecar_from_environment({"ASV_ENV_NAME": "e"})
    assert none is None and fingerprints.DIR_ENV in note
    # beside asv's results directory, never inside it
    assert Sidecar.of_results_file(tmp_path / "results", "vm/abababab-e.json").path == \
        tmp_path / "fingerprints" / "vm" / "abababab-e"


# --- the history report --------------------------------------------------------------------

def write_release(root: Path, jax_version: str, commit: str, times: list[float],
                  programs: dict[str, str]) -> None:
    """A fabricated results file (roll_cubic jax_vjp and exact at N = 100, k = 1) and its
    sidecar holding ``programs`` (strategy -> HLO text)."""
    path = write_file(root, {TIME: entry(times, rel_ci=0.01)}, jax=jax_version, commit=commit)
    table, texts = {}, {}
    for strategy, hlo in programs.items():
        found = fingerprint(hlo)
        table[("roll_cubic", strategy, 100, 1, "float32")] = {"sha256": found.sha256,
                                                   "counts": found.counts}
        texts[found.sha256] = found.text
    Sidecar.of_results_file(root, f"vm/{path.name}").write(table, texts, {"jax": jax_version})


def step_rows(table: str) -> dict[str, str]:
    """strategy -> the terminal table's regression row of roll_cubic with that strategy."""
    return {strategy: line for line in table.splitlines() if line.startswith("regression")
            for strategy in ("exact", "jax_vjp") if f"roll_cubic {strategy} " in line}


def test_history_says_same_program_or_program_changed(tmp_path):
    root = tmp_path / "results"
    assert HLO.endswith("}\n")
    with_transpose = HLO.replace("ROOT %fusion = ", "%fusion = ")[:-2] + (
        "  ROOT %t = f32[4]{0} transpose(f32[4]{0} %fusion), dimensions={0}\n}\n")
    # both strategies regress 2x from 0.4.31 to 0.10.2; jax_vjp's program gained a transpose
    write_release(root, "0.4.31", "1111aaaa" * 5, [1e-5, 1e-6], {"jax_vjp": HLO, "exact": HLO})
    write_release(root, "0.10.2", "2222bbbb" * 5, [2e-5, 2e-6],
                  {"jax_vjp": with_transpose, "exact": HLO_RENUMBERED})
    results_before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    history = build_history(load_results(root))
    assert len(history.regressions) == 2
    table = terminal_table(history)
    rows = step_rows(table)
    assert "same program (sha256" in rows["exact"]
    assert "program changed: transpose 1 -> 2, instructions 8 -> 9" in rows["jax_vjp"]
    assert any("2 flagged steps on a fingerprinted combination (every kind measured on "
               "family, strategy, N, k): 1 same program, 1 program changed, 0 without"
               in line for line in summary_lines(history))
    assert "program changed: transpose 1 -> 2" in markdown(history)
    html_dir = tmp_path / "html"
    page = write_html(history, html_dir).read_text()
    # fabricated results of four parameters (before dtype): float32, the sidecar's plain key
    name = diff_file_name("vm", ("'roll_cubic'", "'jax_vjp'", "100", "1"), "0.4.31", "0.10.2")
    assert f'href="{PLOTS_DIR}/{DIFFS_DIR}/{name}"' in page
    diff = (html_dir / PLOTS_DIR / DIFFS_DIR / name).read_text()
    assert diff.startswith("--- jax 0.4.31 commit 1111aaaa")
    assert "+  ROOT %v4 = f32[4]{0} transpose(%v3), dimensions={0}" in diff
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == results_before


def test_history_says_when_fingerprints_are_missing(tmp_path):
    root = tmp_path / "results"
    write_release(root, "0.4.31", "1111aaaa" * 5, [1e-5, 1e-6], {"jax_vjp": HLO})
    write_file(root, {TIME: entry([2e-5, 2e-6], rel_ci=0.01)}, jax="0.10.2",
               commit="2222bbbb" * 5)  # recorded without fingerprints
    table = terminal_table(build_history(load_results(root)))
    rows = step_rows(table)
    assert "fingerprints missing: none for 0.10.2 (commit 2222bbbb)" in rows["jax_vjp"]
    assert ("fingerprints missing: 0.4.31 (commit 1111aaaa) lacks this combination; none for "
            "0.10.2") in rows["exact"]


def test_program_benchmarks_and_sidecar_reader_import_no_jax():
    """track_hlo_* processes only read the setup_cache's counts; reading a sidecar needs no
    JAX."""
    code = ("import sys; sys.path.insert(0, '.'); import benchmarks.bench_program, "
            "vjplab.measure.fingerprints; print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.split() == ["False"]


def test_sidecar_found_by_release_when_the_environment_is_named_otherwise(tmp_path):
    odd = Sidecar(tmp_path / "fingerprints" / "vm" / "1111aaaa-other-name")
    odd.write({("roll_cubic", "jax_vjp", 100, 1, "float32"): {"sha256": "a" * 64, "counts": {}}}, {},
              {"jax": "0.4.31", "jaxlib": "0.4.31"})
    results = tmp_path / "results"
    assert Sidecar.find(results, "vm/1111aaaa-virtualenv-jax0.4.31.json", "0.4.31", "0.4.31") \
        == odd
    assert Sidecar.find(results, "vm/1111aaaa-virtualenv-jax0.10.2.json", "0.10.2").read() is None
