"""JAX releases between two versions, as the package registry (PyPI's JSON API) lists them.

``vjplab bisect`` installs every release strictly between its two endpoints that can be
installed here, so this module reads the registry's project pages for ``jax`` and ``jaxlib``
(``https://pypi.org/pypi/<project>/json``; ``VJPLAB_PYPI_JSON`` overrides the URL template,
``{project}`` standing for the name) and keeps a version ``v`` with ``low < v < high`` when

* it parses as a version and is not a pre-release (``0.7.0rc1``, ``0.5.0.dev1``),
* jax ``v`` has a file that is not yanked,
* jaxlib ``v`` exists (jax pins the jaxlib of its own version; asv's entries pin both) and
  has a wheel, not yanked, that fits the asv environment's Python on this platform
  (``packaging.tags``: e.g. ``cp311-cp311-manylinux2014_x86_64``).

Every other version in the range is returned with the reason it is left out, so the caller can
say so. A registry that cannot be reached raises RegistryError naming the URL and the way
around it (name the releases yourself).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Iterable

from packaging import tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

URL_ENV = "VJPLAB_PYPI_JSON"
DEFAULT_URL = "https://pypi.org/pypi/{project}/json"


class RegistryError(RuntimeError):
    """The registry could not be read (offline, or an answer that is not its JSON)."""


def project_url(project: str, environ: dict[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return (environ.get(URL_ENV) or DEFAULT_URL).format(project=project)


def fetch_project(project: str, timeout: float = 30.0) -> dict:
    """The registry's JSON page of ``project``; RegistryError when it cannot be read."""
    url = project_url(project)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            data = json.loads(answer.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RegistryError(f"cannot list {project} releases from {url} ({exc}); offline? "
                            f"name the releases to try with --releases (e.g. "
                            f"--releases 0.7.0,0.7.1), or set {URL_ENV}") from None
    if not isinstance(data, dict) or not isinstance(data.get("releases"), dict):
        raise RegistryError(f"{url} did not answer with a project page (no 'releases')")
    return data


def python_tags(python: str) -> frozenset[tags.Tag]:
    """The wheel tags an interpreter ``python`` ("3.11") of CPython accepts on this platform."""
    try:
        version = tuple(int(part) for part in python.split(".")[:2])
    except ValueError:
        raise ValueError(f"python {python!r} is not a version such as '3.11'") from None
    return frozenset(list(tags.cpython_tags(version)) + list(tags.compatible_tags(version)))


def _live(files: Iterable[dict]) -> list[dict]:
    return [f for f in files if isinstance(f, dict) and not f.get("yanked")]


def _fits(filename: str, accepted: frozenset[tags.Tag]) -> bool:
    try:
        _, _, _, wheel_tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return any(tag in accepted for tag in wheel_tags)


def releases_between(jax_page: dict, jaxlib_page: dict, low: str, high: str,
                     accepted: frozenset[tags.Tag]) -> tuple[list[str], list[tuple[str, str]]]:
    """(versions strictly between ``low`` and ``high`` that can be installed, in version
    order; (version, why not) for every other version in that range), from the two projects'
    registry pages (module docstring)."""
    lo, hi = Version(low), Version(high)
    if not lo < hi:
        raise ValueError(f"--from {low} must be an older release than --to {high}")
    jaxlib_releases = jaxlib_page.get("releases") or {}
    found: list[tuple[Version, str]] = []
    left_out: list[tuple[Version, str, str]] = []
    for text, files in (jax_page.get("releases") or {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not lo < version < hi:
            continue
        why = _why_not(text, version, files or [], jaxlib_releases, accepted)
        if why:
            left_out.append((version, text, why))
        else:
            found.append((version, text))
    return ([text for _, text in sorted(found)],
            [(text, why) for _, text, why in sorted(left_out)])


def _why_not(text: str, version: Version, files: list, jaxlib_releases: dict,
             accepted: frozenset[tags.Tag]) -> str | None:
    if version.is_prerelease or version.is_devrelease:
        return "a pre-release"
    if not _live(files):
        return "yanked" if files else "no files"
    jaxlib_files = jaxlib_releases.get(text)
    if jaxlib_files is None:
        return f"no jaxlib {text} in the registry"
    live = _live(jaxlib_files)
    if not live:
        return f"jaxlib {text} is yanked" if jaxlib_files else f"jaxlib {text} has no files"
    if not any(_fits(f.get("filename", ""), accepted) for f in live):
        return f"no jaxlib {text} wheel for this Python and platform"
    return None


def list_releases_between(low: str, high: str, python: str
                          ) -> tuple[list[str], list[tuple[str, str]]]:
    """``releases_between`` with the registry's pages of jax and jaxlib (RegistryError when
    offline)."""
    return releases_between(fetch_project("jax"), fetch_project("jaxlib"), low, high,
                            python_tags(python))
