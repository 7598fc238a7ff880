"""Sorting JAX versions as versions (0.10.2 after 0.9.2), not as strings."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version


def version_key(version: str) -> tuple[int, Version | str]:
    """Sort key: parseable versions in version order, anything else after them by name."""
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def sort_versions(versions) -> list[str]:
    return sorted(set(versions), key=version_key)
