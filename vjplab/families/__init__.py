"""Function families. Each module registers one family; importing this package registers all.

To add a family: write ``vjplab/families/<name>.py`` with a ``@register_family`` subclass of
``Family`` (docstring: the formula and its adjoint), and import it below.
"""

from vjplab.families.base import FAMILIES, Family, Spec, register_family
from vjplab.families import (  # noqa: F401  (each module registers itself)
    banded_conv,
    brusselator_2d,
    burgers_1d,
    dense_control,
    roll_cubic,
    squared_differences,
)

__all__ = ["FAMILIES", "Family", "Spec", "register_family"]
