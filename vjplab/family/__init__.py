"""Function families. Each module registers its families; importing this package registers all.

To add a family: write ``vjplab/family/<name>.py`` with a ``@register_family`` subclass of
``Family`` (docstring: the formula and its adjoint), and add it to ``vjplab.catalog``.
"""

import importlib

from vjplab import catalog
from vjplab.family.base import FAMILIES, Family, Spec, register_family

for _module in sorted(set(catalog.FAMILY_MODULES.values())):
    importlib.import_module(_module)

__all__ = ["FAMILIES", "Family", "Spec", "register_family"]
