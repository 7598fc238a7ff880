"""Function families. Each module registers its families; importing this package registers all.

To add a family: write ``vjplab/family/<name>.py`` with a ``@register_family`` subclass of
``Family`` (docstring: the formula and its adjoint), and add it to ``vjplab.catalog``.
Other packages' families (entry-point group ``vjplab.families``) are registered after the
built-in ones (vjplab.family.plugins).
"""

import importlib

from vjplab import catalog
from vjplab.family.base import FAMILIES, Family, Spec, register_family

for _module in sorted(set(catalog.FAMILY_MODULES.values())):
    importlib.import_module(_module)

from vjplab.family.plugins import load_plugin_families  # noqa: E402 - after the built-ins

load_plugin_families()

__all__ = ["FAMILIES", "Family", "Spec", "register_family"]
