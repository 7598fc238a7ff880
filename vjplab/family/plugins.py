"""Families of other packages: the entry-point group ``vjplab.families`` (docs/plugins.md).

An entry point names either a module whose import registers the family (a ``@register_family``
class in it) or a ``Family`` subclass (``module:Class``), which vjplab registers. Either way the
registered family's ``name`` must be the entry point's name: ``vjplab.catalog`` lists plugin
families by entry-point name without importing them, and the registry must agree with it.
"""

from __future__ import annotations

import importlib
import inspect

from vjplab import catalog
from vjplab.family.base import FAMILIES, Family, register_family


def load_plugin_families() -> None:
    """Import every ``vjplab.families`` entry point and check that it registered its family.

    ValueError with the entry point and the reason when one cannot be imported, names neither
    a module nor a Family subclass, or registers no family of its name.
    """
    for name, value in catalog.plugin_family_modules().items():
        if name in FAMILIES:
            continue
        where = f"entry point {name!r} = {value!r} (group {catalog.FAMILY_ENTRY_POINT_GROUP})"
        module_name, _, attribute = value.partition(":")
        try:
            target = importlib.import_module(module_name.strip())
        except Exception as exc:  # noqa: BLE001 - any failure of the plugin, said with its name
            raise ValueError(f"{where}: importing {module_name.strip()!r} failed: "
                             f"{type(exc).__name__}: {exc}") from exc
        if getattr(getattr(target, "__spec__", None), "_initializing", False):
            continue  # the plugin imported vjplab.family first: it registers as it finishes
        for part in filter(None, attribute.strip().split(".")):
            try:
                target = getattr(target, part)
            except AttributeError:
                raise ValueError(f"{where}: {module_name.strip()!r} has no attribute "
                                 f"{attribute.strip()!r}") from None
        if inspect.isclass(target):
            if not issubclass(target, Family):
                raise ValueError(f"{where}: {target.__qualname__} is not a subclass of "
                                 f"vjplab.family.Family")
            if getattr(target, "name", None) != name:
                raise ValueError(f"{where}: {target.__qualname__}.name is "
                                 f"{getattr(target, 'name', None)!r}; it must be {name!r}, the "
                                 f"entry point's name")
            if name not in FAMILIES:
                register_family(target)
        elif not inspect.ismodule(target):
            raise ValueError(f"{where}: names a {type(target).__name__}; expected a module "
                             f"that registers the family or a Family subclass")
        if name not in FAMILIES:
            raise ValueError(f"{where}: importing it registered no family named {name!r} (a "
                             f"@register_family class whose name is {name!r}, or point the "
                             f"entry point at the Family subclass)")
