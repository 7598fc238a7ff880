"""asv, plus an environment type that benchmarks the running interpreter with TRUE JAX labels.

asv's own ``existing`` environment (``--python=same``) ignores the config's matrix, so its results
carry no jax/jaxlib version at all (and older asv releases stamped matrix versions that were never
installed). ``vjplab-existing`` is an ``existing`` environment that keeps the matrix entry as its
requirements, so results are labelled ``jax``/``jaxlib`` like virtualenv results, and it refuses to
start unless the interpreter really imports exactly those versions.

Run asv through this module to make the type available::

    python -m vjplab.asv_labelled run -E vjplab-existing:/path/to/python --config ...
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from asv import util
from asv.environment import ExistingEnvironment, get_env_name

PROBE = "import json, jax, jaxlib; print(json.dumps({'jax': jax.__version__, 'jaxlib': jaxlib.__version__}))"


def imported_versions(executable: str) -> dict[str, str]:
    """The jax and jaxlib versions ``executable`` imports (run in a fresh process)."""
    out = subprocess.run([executable, "-c", PROBE], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class LabelledExistingEnvironment(ExistingEnvironment):
    """An existing interpreter whose matrix labels (jax, jaxlib) are checked, then recorded."""

    tool_name = "vjplab-existing"

    def __init__(self, conf, executable, requirements, tagged_env_vars):
        super().__init__(conf, executable, requirements, tagged_env_vars)
        actual = imported_versions(self._executable)
        for package in ("jax", "jaxlib"):
            claimed = self._requirements.get(package)
            if claimed != actual[package]:
                raise util.UserError(
                    f"environment claims {package}=={claimed} but {self._executable} imports "
                    f"{package} {actual[package]}; refusing to record mislabelled results"
                )

    @classmethod
    def matches(cls, python: str) -> bool:
        return False  # only when asked for by name

    def run(self, args, **kwargs):
        """As asv's ``existing`` environment, plus ``ASV_ENV_NAME``: asv sets it only for the
        environments it runs through ``run_executable`` (virtualenvs), and the benchmark
        processes name their program-fingerprint sidecar after the results file
        (vjplab.measure.fingerprints)."""
        env = dict(kwargs.pop("env", None) or os.environ)
        env.setdefault("ASV_ENV_NAME", self.name)
        return super().run(args, env=env, **kwargs)

    @property
    def name(self) -> str:
        return get_env_name(self.tool_name, self._executable.replace(os.path.sep, "_"),
                            self._requirements, self._tagged_env_vars)


def main() -> None:
    from asv.main import main as asv_main

    sys.argv[0] = "asv"
    asv_main()


if __name__ == "__main__":
    main()
