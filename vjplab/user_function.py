"""Your own function: ``python -m vjplab measure --function MODULE:CALLABLE``.

The contract
------------
``CALLABLE(N, k)`` returns ``(f, x, cotangent)``:

* ``N`` (int) is ``--dimension``, the input size asked for; ``k`` (int) is ``--locality``, the
  stencil radius, passed through for the function to use (vjplab does not check that output i
  depends only on inputs within k of i).
* ``f`` is a JAX-traceable function of one array returning one array: ``f: R^N -> R^M``. Both
  may have any shape; vjplab flattens them (x.size is N, f(x).size is M) and leaves a function
  of flat arrays as it is, so the program measured is yours.
* ``x`` is the point, a NumPy or JAX array of float32 or float64. Its dtype is the problem's
  dtype; its size is the N measured (it may differ from the N asked for, e.g. when the
  function rounds N to a grid of n^2 points). float64 needs ``--dtype float64``, which turns on
  ``jax_enable_x64`` before ``CALLABLE`` is called.
* ``cotangent`` is c, an array of f(x)'s size (f(x)'s shape or flat), cast to x's dtype.

No adjoint is needed. ``exact`` (the hand-written adjoint of a family) is skipped with the
reason, and the measure table compares the other strategies with the fastest of them. Every
other strategy runs, the dense ones too, under the same memory budget as the families
(``VJPLAB_MEMORY_BUDGET_BYTES``, 1 GiB by default: about N = 1e3 .. 5e3 for a square Jacobian).

``MODULE`` is a module name importable from the current directory or ``sys.path``
(``examples.my_stencil``), or a path to a ``.py`` file (``path/to/stencil.py``). Every mistake
(a spec without ``:``, a missing module or attribute, a result of the wrong form) is a
ValueError that says what was expected; ``vjplab measure`` prints it and exits with status 2.

The function becomes a ``Family`` (``UserFunction``) registered in this process only, under its
spec (``examples.my_stencil:make``), so ``vjplab.prepared.prepare`` and every metric treat it as
they treat a family; it is never in ``vjplab.catalog`` and never in the asv suite (a package's
family is: docs/plugins.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from vjplab.family.base import FAMILIES, Family, Spec, VectorFunction

#: What ``--function`` takes, said in every error about its form.
SPEC_FORM = "MODULE:CALLABLE (e.g. examples.my_stencil:make, or path/to/file.py:make)"
#: What CALLABLE must return, said in every error about its result.
CONTRACT = ("CALLABLE(N, k) must return (f, x, cotangent): f a JAX function of one array, x a "
            "float32 or float64 array (the point), cotangent an array of f(x)'s size")
#: The dtypes a user function may have (as the families: vjplab.problems.DTYPES).
DTYPES = ("float32", "float64")


def load_callable(spec: str) -> Callable[[int, int], Any]:
    """Import ``MODULE:CALLABLE`` and return the callable; ValueError says what is wrong."""
    module_name, sep, attribute = spec.rpartition(":")
    if not sep or not module_name.strip() or not attribute.strip():
        raise ValueError(f"--function expects {SPEC_FORM}, got {spec!r}")
    module_name, attribute = module_name.strip(), attribute.strip()
    module = _import(module_name)
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            defined = sorted(name for name, value in vars(module).items()
                             if callable(value) and not name.startswith("_")
                             and getattr(value, "__module__", None) == module.__name__)
            raise ValueError(f"module {module_name!r} has no attribute {attribute!r} "
                             f"(--function {SPEC_FORM}); callables it defines: "
                             f"{', '.join(defined) or 'none'}")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{spec}: {attribute!r} is a {type(target).__name__}, not a callable; "
                         f"{CONTRACT}")
    return target


def _import(module_name: str):
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise ValueError(f"--function: no file {module_name!r} (expected {SPEC_FORM})")
        unique = f"vjplab_user_function_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(unique, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user's module, said with its name
            del sys.modules[unique]
            raise ValueError(f"--function: running {module_name!r} failed: "
                             f"{type(exc).__name__}: {exc}") from exc
        return module
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name) and \
                module_name[len(exc.name):len(exc.name) + 1] in ("", "."):
            raise ValueError(f"--function: no module named {module_name!r} (expected "
                             f"{SPEC_FORM}; MODULE must be importable from the current "
                             f"directory or sys.path, or be a .py file)") from None
        raise ValueError(f"--function: importing {module_name!r} failed: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - the user's module, said with its name
        raise ValueError(f"--function: importing {module_name!r} failed: "
                         f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class Made:
    """One validated result of ``CALLABLE(N, k)``: f on flat arrays, flat x and cotangent."""

    f: VectorFunction
    x: Any
    cotangent: Any
    dtype: str
    out_size: int

    @property
    def dimension(self) -> int:
        return int(np.prod(np.shape(self.x)))


def check_result(spec: str, n: int, k: int, result: Any, dtype: str | None = None) -> Made:
    """Validate what ``CALLABLE(n, k)`` returned (see the module docstring) and flatten it.

    ``dtype``: the dtype the caller asked for (None: x's, which must then fit the process's
    JAX mode). ValueError names what was expected and what came back.
    """
    import jax
    import jax.numpy as jnp

    call = f"{spec}({n}, {k})"
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        got = (f"a {type(result).__name__} of length {len(result)}"
               if isinstance(result, (tuple, list)) else f"a {type(result).__name__}")
        raise ValueError(f"{call} returned {got}; {CONTRACT}")
    f, x, cotangent = result
    if not callable(f):
        raise ValueError(f"{call} returned f = a {type(f).__name__}, not a callable; {CONTRACT}")
    for label, value in (("x", x), ("cotangent", cotangent)):
        if not hasattr(value, "dtype") or not hasattr(value, "shape"):
            raise ValueError(f"{call} returned {label} = a {type(value).__name__}; expected a "
                             f"NumPy or JAX array ({CONTRACT})")
    x_dtype = np.dtype(x.dtype).name
    if x_dtype not in DTYPES:
        raise ValueError(f"{call} returned x of dtype {x_dtype}; allowed: {', '.join(DTYPES)}")
    if dtype is not None and x_dtype != dtype:
        raise ValueError(f"{call} returned x of dtype {x_dtype} but --dtype is {dtype}; "
                         f"return x as {dtype}, or pass --dtype {x_dtype}")
    if x_dtype == "float64" and not jax.config.jax_enable_x64:
        raise ValueError(f"{call} returned x of dtype float64: pass --dtype float64 (it turns "
                         f"on 64-bit JAX before {spec} is called)")
    if int(np.prod(x.shape)) == 0:
        raise ValueError(f"{call} returned an empty x (shape {tuple(x.shape)}); x needs at "
                         f"least one entry")
    x_shape = tuple(x.shape)
    x = jnp.asarray(x)
    try:
        out = jax.eval_shape(f, x)
    except Exception as exc:  # noqa: BLE001 - the user's function, said with its name
        raise ValueError(f"{call}: f(x) failed to trace with x of shape {x_shape} and dtype "
                         f"{x_dtype}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(out, jax.ShapeDtypeStruct):
        raise ValueError(f"{call}: f(x) returned {type(out).__name__}; expected one array "
                         f"({CONTRACT})")
    if np.dtype(out.dtype).name != x_dtype:
        raise ValueError(f"{call}: f(x) has dtype {np.dtype(out.dtype).name} but x is "
                         f"{x_dtype}; f must keep x's dtype")
    out_size = int(np.prod(out.shape))
    if out_size == 0:
        raise ValueError(f"{call}: f(x) is empty (shape {tuple(out.shape)})")
    if int(np.prod(cotangent.shape)) != out_size:
        raise ValueError(f"{call} returned a cotangent of shape {tuple(cotangent.shape)}, but "
                         f"f(x) has shape {tuple(out.shape)}: the cotangent needs f(x)'s size "
                         f"({out_size})")
    if not np.issubdtype(np.dtype(cotangent.dtype), np.floating):
        raise ValueError(f"{call} returned a cotangent of dtype {np.dtype(cotangent.dtype)}; "
                         f"expected a floating-point array")
    return Made(f=_flat(f, x_shape, len(out.shape)), x=jnp.ravel(x),
                cotangent=jnp.ravel(jnp.asarray(cotangent, dtype=x.dtype)), dtype=x_dtype,
                out_size=out_size)


def _flat(f: VectorFunction, x_shape: tuple[int, ...], out_ndim: int) -> VectorFunction:
    """f on flat arrays; f itself when it already maps 1-D to 1-D."""
    if len(x_shape) == 1 and out_ndim == 1:
        return f
    import jax.numpy as jnp

    def flat_f(x_flat):
        return jnp.ravel(f(jnp.reshape(x_flat, x_shape)))

    return flat_f


class UserFunction(Family):
    """A user's ``CALLABLE(N, k) -> (f, x, cotangent)`` as a Family without a hand-written
    adjoint. Each (N, k) calls it once (cached); every k >= 0 is allowed."""

    min_locality = 0

    def __init__(self, spec: str, make: Callable[[int, int], Any]) -> None:
        self.name = spec  # an instance's name: user functions are not classes of the catalog
        self._make = make
        self._made: dict[tuple[int, int], Made] = {}

    def made(self, dimension: int, locality: int, dtype: str | None = None) -> Made:
        """The validated result of ``CALLABLE(dimension, locality)``, cached under x's size."""
        key = (dimension, locality)
        if key in self._made:
            return self._made[key]
        try:
            result = self._make(dimension, locality)
        except Exception as exc:  # noqa: BLE001 - the user's function, said with its name
            raise ValueError(f"{self.name}({dimension}, {locality}) raised "
                             f"{type(exc).__name__}: {exc}") from exc
        made = check_result(self.name, dimension, locality, result, dtype)
        self._made[(made.dimension, locality)] = made
        return made

    def _at(self, spec_dimension: int, locality: int) -> Made:
        made = self.made(spec_dimension, locality)
        if made.dimension != spec_dimension:
            raise ValueError(f"{self.name}({spec_dimension}, {locality}) returned x of size "
                             f"{made.dimension}: measure it at N = {made.dimension}")
        return made

    # --- sizes: any N, any k >= 0; M is f(x)'s size ------------------------------------------
    def max_locality(self, grid_shape: tuple[int, ...]) -> int:
        return sys.maxsize

    def out_size(self, grid_shape: tuple[int, ...], locality: int) -> int:
        return self._at(int(np.prod(grid_shape)), locality).out_size

    # --- the function ------------------------------------------------------------------------
    def function(self, spec: Spec) -> VectorFunction:
        return self._at(spec.dimension, spec.locality).f

    def exact_vjp(self, spec: Spec) -> None:
        return None  # no hand-written adjoint: ``exact`` skips with the reason

    def sparsity_coo(self, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
        raise ValueError(f"{self.name}: the Jacobian pattern of a user function is not known to "
                         f"vjplab")

    def sample_input(self, spec: Spec, rng: np.random.Generator):
        return self._at(spec.dimension, spec.locality).x

    def sample_cotangent(self, spec: Spec, rng: np.random.Generator):
        return self._at(spec.dimension, spec.locality).cotangent


def register_user_function(spec: str, dimension: int, locality: int,
                           dtype: str | None = None) -> tuple[str, int, str]:
    """Load ``spec``, call it at (dimension, locality), register it in this process's family
    registry; return (the family name to measure, the N measured = x.size, x's dtype).

    ValueError (see the module docstring) for a bad spec, module, attribute or result.
    """
    spec = spec.strip()
    if spec in FAMILIES:
        family = FAMILIES[spec]
        if not isinstance(family, UserFunction):
            raise ValueError(f"--function {spec!r} is the name of a registered family; give "
                             f"it as FAMILY instead")
    else:
        make = load_callable(spec)
        if inspect.isclass(make) and issubclass(make, Family):
            raise ValueError(f"--function {spec!r} names a Family subclass; declare it as an "
                             f"entry point of group vjplab.families (docs/plugins.md) and "
                             f"measure it by name, or give a CALLABLE(N, k) -> (f, x, "
                             f"cotangent)")
        family = UserFunction(spec, make)
    made = family.made(dimension, locality, dtype)
    if spec not in FAMILIES:
        FAMILIES.register(spec, family)
    return spec, made.dimension, made.dtype
