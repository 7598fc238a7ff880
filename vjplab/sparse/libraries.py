"""The optional sparse-differentiation libraries (``pip install 'vjplab[sparse]'``) and whether
this environment can run them.

* **asdex** detects the Jacobian's sparsity pattern from the jaxpr of f, colours it and
  computes compressed JVPs/VJPs, returning a BCOO matrix. Every release on PyPI (0.1.0 to
  0.5.1) requires ``jax>=0.9.0``: older JAX releases skip it with that reason.
* **sparsejac** is given the pattern (the family's ``sparsity_coo``), colours it with networkx
  in Python, and computes compressed JVPs (``sparsejac.jacfwd``). It declares no JAX bound; it
  uses only ``jax.jvp``, ``jax.vmap`` and ``jax.experimental.sparse.BCOO``.

Nothing here imports JAX at import time; ``unavailable_reason`` imports the library (and with
it JAX) to check that it imports, after the version check, which reads metadata only.
"""

from __future__ import annotations

import importlib
import importlib.metadata

from packaging.version import Version

#: The libraries, in the order the sparse strategies and tables list them.
LIBRARIES: tuple[str, ...] = ("asdex", "sparsejac")

#: The oldest JAX each library supports (its PyPI ``Requires-Dist``; None: no bound).
MINIMUM_JAX: dict[str, str | None] = {"asdex": "0.9.0", "sparsejac": None}

#: What installs them (setup.cfg's extra).
INSTALL_HINT = "pip install 'vjplab[sparse]'"


def check_library(library: object) -> str:
    """``library`` itself when it is one of LIBRARIES; ValueError naming them otherwise."""
    if library not in LIBRARIES:
        raise ValueError(f"unknown sparse library {library!r}; allowed: {', '.join(LIBRARIES)}")
    return library  # type: ignore[return-value]


def installed_jax_version() -> str:
    """The installed jax's version, read from its metadata (JAX is not imported)."""
    return importlib.metadata.version("jax")


def unavailable_reason(library: str) -> str | None:
    """Why ``library`` cannot run here (None: it can). ValueError for an unknown name.

    Reasons: this JAX is older than the library supports, or the library does not import (not
    installed: the ``sparse`` extra).
    """
    check_library(library)
    minimum = MINIMUM_JAX[library]
    jax_version = installed_jax_version()
    if minimum is not None and Version(jax_version) < Version(minimum):
        return (f"{library} needs jax >= {minimum} (its PyPI requirement); this environment "
                f"has jax {jax_version}")
    try:
        importlib.import_module(library)
    except ImportError as exc:
        return f"{library} is not installed ({INSTALL_HINT}): {exc}"
    return None
