"""Users' own functions: ``vjplab measure --function MODULE:CALLABLE`` and families of other
packages through the entry-point group ``vjplab.families`` (docs/plugins.md).

The entry points are real package metadata, not mocks: a ``*.dist-info`` directory with an
``entry_points.txt`` and the plugin's module are written into tmp_path, which a subprocess gets
on PYTHONPATH, so ``importlib.metadata`` finds them as it finds an installed package's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np
import pytest

import vjplab
from vjplab import catalog
from vjplab.cli import main
from vjplab.grid import GRIDS, PARAM_SPACE
from vjplab.measure.report import comparison_line
from vjplab.user_function import check_result, load_callable

ROOT = Path(vjplab.__file__).resolve().parents[1]
#: every strategy but the hand-written adjoint: what a function without one is measured with
AUTOMATIC = [s for s in vjplab.strategies() if s != "exact"]


def run_vjplab(*args: str, pythonpath: Path | None = None, cwd: Path = ROOT,
               timeout: int = 300, **env_vars: str) -> subprocess.CompletedProcess:
    """``python -m vjplab ARGS`` with this checkout's vjplab (and ``pythonpath`` first)."""
    paths = [str(p) for p in (pythonpath, ROOT) if p is not None]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), **env_vars)
    return subprocess.run([sys.executable, "-m", "vjplab", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def table_rows(stdout: str) -> dict[str, str]:
    """strategy -> its row of the measure table (the lines below the dashes)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if set(line) == {"-"}) + 1
    return {line.split()[0]: line for line in lines[start:]
            if line and not line.startswith("latency against")}


# --- --function ------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def repo_on_path(monkeypatch):
    """``examples.my_stencil`` importable in this process, wherever pytest was started."""
    monkeypatch.syspath_prepend(str(ROOT))


def test_example_function_end_to_end():
    """The shipped example through ``--function``: every automatic strategy measured (the dense
    ones too at N = 100), ``exact`` an explicit skip, ratios against the fastest of them."""
    out = run_vjplab("measure", "--function", "examples.my_stencil:make", "--dimension", "100",
                     "--locality", "2", "--repeats", "3", VJPLAB_CPU_AFFINITY="0")
    assert out.returncode == 0, out.stderr[-3000:]
    # pinned before CALLABLE starts JAX's backends (else: a warning, and not pinned)
    assert "pinned to CPU 0" in out.stdout and "not pinned" not in out.stderr, out.stderr
    assert "user function examples.my_stencil:make N=100 k=2 float32" in out.stdout
    assert "compared with the fastest automatic strategy" in out.stdout.splitlines()[0]
    rows = table_rows(out.stdout)
    assert sorted(rows) == sorted(vjplab.strategies())
    assert "skipped: examples.my_stencil:make has no hand-written adjoint" in rows["exact"]
    for strategy in AUTOMATIC:  # measured: a latency, not a skip or "n/a"
        assert "skipped" not in rows[strategy], rows[strategy]
        assert rows[strategy].split()[2] in ("ns", "us", "ms", "s"), rows[strategy]
    last = out.stdout.splitlines()[-1]
    prefix = "latency against the fastest automatic strategy, "
    assert last.startswith(prefix), last
    fastest = last.removeprefix(prefix).split()[0]
    assert fastest in AUTOMATIC
    ratios = dict(item.rsplit(" ", 1) for item in last.split(": ", 1)[1].split(", "))
    assert sorted(ratios) == sorted(s for s in AUTOMATIC if s != fastest)
    assert all(float(r.rstrip("x")) >= 1 for r in ratios.values())


def test_function_file_path_shapes_and_json(tmp_path):
    """MODULE as a .py path; x on a 2-D grid (flattened by vjplab), N rounded by the function
    to n^2 (the table reports the N measured); --json rows."""
    (tmp_path / "grid_fn.py").write_text(textwrap.dedent("""
        import math
        import jax.numpy as jnp
        import numpy as np

        def make(n, k):
            side = math.isqrt(n)
            def f(u):  # (side, side) -> (side, side): a 5-point stencil of radius k
                return jnp.tanh(u) * (jnp.roll(u, k, 0) + jnp.roll(u, -k, 1))
            x = np.linspace(-1, 1, side * side, dtype=np.float32).reshape(side, side)
            return f, x, np.ones((side, side), np.float32)
    """))
    out = run_vjplab("measure", "--function", f"{tmp_path / 'grid_fn.py'}:make", "jax_vjp",
                     "--dimension", "110", "--locality", "1", "--repeats", "3", "--json")
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    [row] = json.loads(out.stdout)
    assert row["strategy"] == "jax_vjp" and row["dimension"] == 100 and row["latency"] > 0


def write_module(tmp_path: Path, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    return f"{tmp_path / name}.py"


@pytest.mark.parametrize("spec, message", [
    ("no_colon_here", "--function expects MODULE:CALLABLE"),
    ("vjplab_no_such_module_xyz:make", "no module named 'vjplab_no_such_module_xyz'"),
    ("examples.my_stencil:nope", "has no attribute 'nope'"),
    ("examples.my_stencil:np", "'np' is a module, not a callable"),
])
def test_bad_spec_is_a_clear_exit_2(spec, message, capsys):
    assert main(["measure", "--function", spec, "--dimension", "100", "--locality", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vjplab measure: ") and message in err, err


def test_missing_attribute_names_the_callables(capsys):
    assert main(["measure", "--function", "examples.my_stencil:nope", "--dimension", "10",
                 "--locality", "1"]) == 2
    assert "callables it defines: make" in capsys.readouterr().err


def test_bad_spec_exit_code_from_the_command_line():
    out = run_vjplab("measure", "--function", "examples.my_stencil", "--dimension", "100",
                     "--locality", "1")
    assert out.returncode == 2 and "--function expects MODULE:CALLABLE" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("returned, message", [
    ("f", "returned a function; CALLABLE(N, k) must return (f, x, cotangent)"),
    ("(f, x)", "returned a tuple of length 2; CALLABLE(N, k) must return (f, x, cotangent)"),
    ("(1, x, c)", "returned f = a int, not a callable"),
    ("(f, [1.0] * n, c)", "returned x = a list; expected a NumPy or JAX array"),
    ("(f, x.astype(np.int32), c)", "returned x of dtype int32; allowed: float32, float64"),
    ("(f, x, c[:-1])", "cotangent of shape (9,), but f(x) has shape (10,)"),
    ("(lambda u: (u, u), x, c)", "f(x) returned tuple; expected one array"),
    ("(lambda u: u @ jnp.ones(n + 1), x, c)", "f(x) failed to trace with x of shape (10,)"),
    ("(lambda u: u.astype(np.float16), x, c)", "f(x) has dtype float16 but x is float32"),
])
def test_wrong_results_name_what_was_expected(tmp_path, returned, message, capsys):
    path = write_module(tmp_path, "bad_result", f"""
        import jax.numpy as jnp
        import numpy as np

        def make(n, k):
            f = lambda u: jnp.sin(u)
            x, c = np.ones(n, np.float32), np.ones(n, np.float32)
            return {returned}
    """)
    assert main(["measure", "--function", f"{path}:make", "jax_vjp", "--dimension", "10",
                 "--locality", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err, err


def test_a_raising_callable_and_a_dtype_mismatch(tmp_path, capsys):
    path = write_module(tmp_path, "raising", """
        import numpy as np
        def make(n, k):
            raise RuntimeError("no grid of size %d" % n)
        def make32(n, k):
            return (lambda u: u, np.ones(n, np.float32), np.ones(n, np.float32))
    """)
    assert main(["measure", "--function", f"{path}:make", "--dimension", "10",
                 "--locality", "1"]) == 2
    assert "raised RuntimeError: no grid of size 10" in capsys.readouterr().err
    assert main(["measure", "--function", f"{path}:make32", "--dimension", "10",
                 "--locality", "1", "--dtype", "float64"]) == 2
    assert "returned x of dtype float32 but --dtype is float64" in capsys.readouterr().err


def test_family_and_function_are_mutually_exclusive(capsys):
    assert main(["measure", "roll_cubic", "jax_vjp", "--function", "examples.my_stencil:make",
                 "--dimension", "10", "--locality", "1"]) == 2
    assert "FAMILY and --function are mutually exclusive" in capsys.readouterr().err
    assert main(["measure", "roll_cubic", "--dimension", "10", "--locality", "1"]) == 2
    assert "give FAMILY and STRATEGY" in capsys.readouterr().err


def test_check_result_flattens_and_keeps_the_users_program():
    """A 1-D -> 1-D f is measured as it is; other shapes are flattened around it, and a VJP
    through the flat function is the user's VJP, flattened."""
    import jax.numpy as jnp

    def f(u):
        return u**2

    flat = check_result("m:make", 4, 1, (f, np.arange(4.0, dtype=np.float32),
                                         np.ones(4, np.float32)))
    assert flat.f is f and flat.out_size == 4 and flat.dtype == "float32"

    def g(u):  # (2, 3) -> (3,)
        return jnp.sum(u**3, axis=0)

    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    made = check_result("m:make", 6, 1, (g, x, np.ones((3,), np.float32)))
    assert made.dimension == 6 and made.out_size == 3 and made.x.shape == (6,)
    ours = jax.vjp(made.f, made.x)[1](made.cotangent)[0]
    theirs = jax.vjp(g, jnp.asarray(x))[1](jnp.ones(3, jnp.float32))[0]
    np.testing.assert_allclose(ours, np.ravel(theirs))


def test_load_callable_from_a_module_name():
    make = load_callable("examples.my_stencil:make")
    f, x, c = make(8, 1)
    assert x.shape == c.shape == (8,) and f(x).shape == (8,)


def test_comparison_line_against_exact_or_the_fastest():
    rows = [dict(strategy="exact", latency=1e-5), dict(strategy="jax_vjp", latency=3e-5),
            dict(strategy="naive_jacrev", latency=1e-3)]
    assert comparison_line(rows) == ("latency against exact (the hand-written adjoint): "
                                     "jax_vjp 3.00x, naive_jacrev 100x")
    rows[0] = dict(strategy="exact", skipped="no hand-written adjoint")
    assert comparison_line(rows) == ("latency against the fastest automatic strategy, jax_vjp "
                                     "(no hand-written adjoint): naive_jacrev 33.3x")
    assert comparison_line(rows[:2]) is None


# --- entry points: families of other packages ------------------------------------------------

#: A plugin family WITH a hand-written adjoint, registered by importing its module.
PLUGIN_MODULE = '''
import jax.numpy as jnp
from vjplab.family import Family, register_family
from vjplab.family.base import periodic_band_coo


@register_family
class RingTanh(Family):
    """f(x)_i = tanh(x_{i-k} + x_{i+k}) periodic; J^T c = ..., written by hand below."""
    name = "ring_tanh"
    min_locality = 1

    def function(self, spec):
        k = spec.locality
        return lambda x: jnp.tanh(jnp.roll(x, k) + jnp.roll(x, -k))

    def exact_vjp(self, spec):
        k = spec.locality

        def vjp(x, c):
            w = c * (1 - jnp.tanh(jnp.roll(x, k) + jnp.roll(x, -k)) ** 2)
            return jnp.roll(w, -k) + jnp.roll(w, k)

        return vjp

    def sparsity_coo(self, spec):
        return periodic_band_coo(spec.dimension, [-spec.locality, spec.locality])


class NoAdjoint(Family):
    """A family named by its class in the entry point, without a hand-written adjoint."""
    name = "no_adjoint_sine"

    def function(self, spec):
        return jnp.sin

    def exact_vjp(self, spec):
        return None

    def sparsity_coo(self, spec):
        return periodic_band_coo(spec.dimension, [0])
'''


def write_plugin(tmp_path: Path, entry_points: str, module: str = PLUGIN_MODULE) -> Path:
    """A package 'vjplab-demo-plugin' as an installer leaves it: module + dist-info."""
    (tmp_path / "vjplab_demo_plugin.py").write_text(module)
    info = tmp_path / "vjplab_demo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vjplab-demo-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    return tmp_path


@pytest.fixture
def plugin(tmp_path) -> Path:
    return write_plugin(tmp_path, """
        [vjplab.families]
        ring_tanh = vjplab_demo_plugin
        no_adjoint_sine = vjplab_demo_plugin:NoAdjoint
    """)


def test_plugin_families_are_listed(plugin):
    out = run_vjplab("list", pythonpath=plugin)
    assert out.returncode == 0, out.stderr
    families = out.stdout.splitlines()[0].removeprefix("families:").strip().split(", ")
    assert families == sorted(catalog.builtin_family_names() + ["no_adjoint_sine", "ring_tanh"])
    assert "from other packages (vjplab.families entry points): no_adjoint_sine, ring_tanh" \
        in out.stdout


def test_plugin_family_is_measured(plugin):
    """A plugin family by name: with its adjoint, ``exact`` runs and is the reference; the
    registry and the catalog agree (checked in the subprocess)."""
    out = run_vjplab("measure", "ring_tanh", "jax_vjp,exact", "--dimension", "100",
                     "--locality", "2", "--repeats", "3", pythonpath=plugin)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = table_rows(out.stdout)
    assert set(rows) == {"jax_vjp", "exact"} and "skipped" not in out.stdout
    assert out.stdout.splitlines()[-1].startswith("latency against exact")
    check = subprocess.run(
        [sys.executable, "-c", "import vjplab, jax, numpy as np\n"
         "from vjplab.family import FAMILIES\n"
         "assert FAMILIES.names() == vjplab.families(), FAMILIES.names()\n"
         "jax.config.update('jax_enable_x64', True)\n"
         "p = vjplab.problem('ring_tanh', 50, 3, 'float64')\n"
         "ours = p.exact_vjp(p.x, p.cotangent)\n"
         "theirs = vjplab.vjp('jax_vjp', p)(p.x, p.cotangent)\n"
         "np.testing.assert_allclose(ours, theirs, rtol=1e-12)\n"
         "print('agree')"],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin), str(ROOT)])),
        capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "agree" in check.stdout, check.stderr[-3000:]


def test_plugin_family_without_adjoint_skips_exact(plugin):
    out = run_vjplab("measure", "no_adjoint_sine", "exact,jax_vjp,grad_dot", "--dimension", "64",
                     "--locality", "1", "--repeats", "3", pythonpath=plugin)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = table_rows(out.stdout)
    assert "skipped: no_adjoint_sine has no hand-written adjoint" in rows["exact"]
    assert "latency against the fastest automatic strategy" in out.stdout.splitlines()[-1]


def test_plugin_family_is_in_the_asv_parameters(plugin, monkeypatch):
    """asv's discovery (a fresh interpreter importing benchmarks/, as asv's does) lists the
    plugin families in every VJP benchmark's family parameter."""
    from vjplab.suite_info import discover_suite

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(plugin), str(ROOT)]))
    suite = discover_suite(ROOT, "default")
    for name in ("bench_vjp.TimeVJP.time_vjp", "bench_memory.PeakMemVJP.peakmem_vjp"):
        assert suite[name]["param_names"][0] == "family"
        assert {"'ring_tanh'", "'no_adjoint_sine'"} <= set(suite[name]["params"][0]), name


def test_name_clash_with_a_builtin_family_is_an_error(tmp_path):
    clash = write_plugin(tmp_path, """
        [vjplab.families]
        roll_cubic = vjplab_demo_plugin
    """)
    for args in (("list",), ("measure", "roll_cubic", "jax_vjp", "--dimension", "10",
                             "--locality", "1")):
        out = run_vjplab(*args, pythonpath=clash)
        assert out.returncode == 2, out.stdout + out.stderr
        assert "takes the name of vjplab's built-in family 'roll_cubic'" in out.stderr
        assert "package 'vjplab-demo-plugin'" in out.stderr and "Traceback" not in out.stderr


def test_entry_point_that_registers_nothing_is_an_error(tmp_path):
    broken = write_plugin(tmp_path, """
        [vjplab.families]
        ghost = vjplab_demo_plugin
    """, module="x = 1\n")
    out = run_vjplab("measure", "ghost", "jax_vjp", "--dimension", "10", "--locality", "1",
                     pythonpath=broken)
    assert out.returncode == 2
    assert "entry point 'ghost' = 'vjplab_demo_plugin'" in out.stderr
    assert "registered no family named 'ghost'" in out.stderr


# --- which grids run plugin families (decided without importing anything) ---------------------

@pytest.fixture
def one_plugin(monkeypatch):
    monkeypatch.setattr(catalog, "plugin_family_modules", lambda: {"my_plugin": "my_pkg.mod"})


def test_grids_run_plugin_families_where_stated(one_plugin):
    default, full = GRIDS["default"], GRIDS["full"]
    latency = default.selection_reason
    assert "my_plugin" in default.latency.family_names
    assert latency("latency", "my_plugin", "jax_vjp", 1_000, 1, "float32") is None
    assert latency("latency", "my_plugin", "naive_jacrev", 1_000, 16, "float32") is None
    assert "runs those at N = 1000 only" in latency("latency", "my_plugin", "jax_vjp",
                                                    1_000_000, 1, "float32")
    assert "float64 is measured here for" in latency("latency", "my_plugin", "jax_vjp",
                                                     1_000_000, 1, "float64")
    assert "not in the 'default' grid (metrics sweep)" in latency("metrics", "my_plugin",
                                                                  "jax_vjp", 1_000, 4)
    for kind in ("latency", "metrics"):
        assert full.selection_reason(kind, "my_plugin", "jax_vjp", 1_000_000, 4, "float64") \
            is None
        assert "my_plugin" not in GRIDS["history"].sweep(kind).family_names
        assert "my_plugin" in GRIDS["smoke"].sweep(kind).family_names
        assert "my_plugin" in PARAM_SPACE.sweep(kind).family_names
    assert GRIDS["tiny"].latency.family_names == ["roll_cubic"]
    # the built-ins are untouched by the plugin scope
    assert latency("latency", "roll_cubic", "jax_vjp", 1_000_000, 1, "float32") is None
