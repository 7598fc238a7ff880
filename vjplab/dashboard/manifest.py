"""The committed pins of the dashboard's third-party files (``manifest.json`` beside this module).

Each *package* is one npm tarball (name, version, sha256 of the tarball, licence and the file in
the tarball that carries it). Each *asset* is one file inside a package's tarball (with its own
sha256) and the CDN URL that asv's pages load it from; the published pages load the local copy
instead (vjplab.dashboard.rewrite).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("manifest.json")
DEFAULT_REGISTRY = "https://registry.npmjs.org"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_PACKAGE_KEYS = {"name", "version", "tarball_sha256", "licence", "licence_file"}
_ASSET_KEYS = {"package", "file", "sha256", "cdn_url"}


@dataclass(frozen=True)
class Package:
    """One npm tarball, pinned by its sha256."""

    name: str
    version: str
    tarball_sha256: str
    licence: str
    licence_file: str
    note: str = ""

    @property
    def spec(self) -> str:
        """``name@version`` as npm takes it."""
        return f"{self.name}@{self.version}"

    @property
    def tarball_name(self) -> str:
        """The file name ``npm pack`` writes (and the registry serves): ``name-version.tgz``."""
        return f"{self.name}-{self.version}.tgz"

    def tarball_url(self, registry: str = DEFAULT_REGISTRY) -> str:
        """The registry's tarball URL, ``<registry>/<name>/-/<name>-<version>.tgz``."""
        return f"{registry.rstrip('/')}/{self.name}/-/{self.tarball_name}"


@dataclass(frozen=True)
class Asset:
    """One file of a package's tarball that asv's pages load from ``cdn_url``."""

    package: Package
    file: str
    sha256: str
    cdn_url: str

    @property
    def local_path(self) -> str:
        """Where the file goes, relative to the html directory's vendor folder."""
        return f"{self.package.name}-{self.package.version}/{self.file.removeprefix('package/')}"


@dataclass(frozen=True)
class Manifest:
    """The packages and the assets taken from them."""

    packages: tuple[Package, ...]
    assets: tuple[Asset, ...]

    def by_cdn_url(self) -> dict[str, Asset]:
        """CDN URL -> asset."""
        return {asset.cdn_url: asset for asset in self.assets}

    def package(self, spec: str) -> Package:
        """The package ``name`` or ``name@version``; ValueError naming the allowed ones."""
        for package in self.packages:
            if spec in (package.name, package.spec):
                return package
        raise ValueError(f"unknown package {spec!r}; allowed: "
                         f"{', '.join(p.spec for p in self.packages)}")


def _require(entry: dict, keys: set[str], what: str) -> None:
    missing = sorted(keys - entry.keys())
    if missing:
        raise ValueError(f"{what} lacks {', '.join(missing)}; required keys: "
                         f"{', '.join(sorted(keys))}")
    for key in keys:
        if not isinstance(entry[key], str) or not entry[key]:
            raise ValueError(f"{what}: {key} must be a non-empty string")


def parse_manifest(data: dict) -> Manifest:
    """Check and convert the manifest's JSON object; ValueError says what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("packages"), list) \
            or not isinstance(data.get("assets"), list):
        raise ValueError("the asset manifest must be an object with 'packages' and 'assets' lists")
    packages: dict[str, Package] = {}
    for entry in data["packages"]:
        _require(entry, _PACKAGE_KEYS, f"manifest package {entry.get('name', entry)!r}")
        if not _HEX64.match(entry["tarball_sha256"]):
            raise ValueError(f"manifest package {entry['name']!r}: tarball_sha256 must be 64 "
                             f"lowercase hex digits")
        if entry["name"] in packages:
            raise ValueError(f"manifest package {entry['name']!r} is listed twice")
        packages[entry["name"]] = Package(**{k: entry[k] for k in _PACKAGE_KEYS},
                                          note=entry.get("note", ""))
    assets = []
    for entry in data["assets"]:
        _require(entry, _ASSET_KEYS, f"manifest asset {entry.get('file', entry)!r}")
        if entry["package"] not in packages:
            raise ValueError(f"manifest asset {entry['file']!r}: unknown package "
                             f"{entry['package']!r}; allowed: {', '.join(sorted(packages))}")
        if not _HEX64.match(entry["sha256"]):
            raise ValueError(f"manifest asset {entry['file']!r}: sha256 must be 64 lowercase "
                             f"hex digits")
        if not entry["cdn_url"].startswith(("https://", "http://")):
            raise ValueError(f"manifest asset {entry['file']!r}: cdn_url must be an http(s) URL")
        assets.append(Asset(packages[entry["package"]], entry["file"], entry["sha256"],
                            entry["cdn_url"]))
    urls = [a.cdn_url for a in assets]
    if len(set(urls)) != len(urls):
        raise ValueError("the asset manifest lists a cdn_url twice")
    return Manifest(tuple(packages.values()), tuple(assets))


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    """The manifest at ``path`` (default: the committed one)."""
    return parse_manifest(json.loads(Path(path).read_text()))
