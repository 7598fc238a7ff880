"""Function families. Each module registers one family; importing this package registers all.

To add a family: write ``vjplab/families/<name>.py`` with a ``@register_family`` subclass of
``Family`` (docstring: the formula and its adjoint), and import it below.
"""

from vjplab.families.base import FAMILIES, Family, Spec, register_family
from vjplab.families import roll_cubic  # noqa: F401  (registers itself)

__all__ = ["FAMILIES", "Family", "Spec", "register_family"]
