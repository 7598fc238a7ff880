"""Copy the cached assets and their licence texts into a published html directory.

Layout: ``<html_dir>/vendor/<name>-<version>/<path inside the package>`` for every asset and
every package's licence file, and ``<html_dir>/vendor/NOTICE.txt`` listing package, version,
licence, licence file and tarball URL. Each copied file is checked against the manifest's
sha256.
"""

from __future__ import annotations

import hashlib
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.dashboard.manifest import Asset, Manifest, Package
from vjplab.dashboard.rewrite import sri_sha256

VENDOR_DIR = "vendor"
NOTICE = "NOTICE.txt"


@dataclass
class Vendored:
    """CDN URL -> (path relative to the html directory, SRI) of each copied asset, and
    CDN URL -> reason for each asset that could not be copied."""

    copied: dict[str, tuple[str, str]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def _member(tarball: Path, name: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        handle = archive.extractfile(name)
        if handle is None:
            raise KeyError(name)
        return handle.read()


def _write(html_dir: Path, package: Package, member: str, data: bytes) -> str:
    relative = f"{VENDOR_DIR}/{package.name}-{package.version}/{member.removeprefix('package/')}"
    target = html_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative


def vendor_assets(html_dir: Path, manifest: Manifest, tarballs: dict[str, Path],
                  reasons: dict[str, str]) -> Vendored:
    """Copy every asset whose package's tarball is in ``tarballs`` (spec -> cached path).

    ``reasons`` (spec -> why) explains the packages that are not; every asset of such a
    package is reported unavailable with that reason.
    """
    result = Vendored()
    notices = []
    for package in manifest.packages:
        tarball = tarballs.get(package.spec)
        assets: list[Asset] = [a for a in manifest.assets if a.package == package]
        if tarball is None:
            for asset in assets:
                result.unavailable[asset.cdn_url] = reasons.get(package.spec, "not cached")
            continue
        try:
            licence = _write(html_dir, package, package.licence_file,
                             _member(tarball, package.licence_file))
        except KeyError:
            licence = f"(missing: {package.licence_file} is not in {tarball.name})"
        notices.append(f"{package.spec}\t{package.licence}\t{licence}\t"
                       f"{package.tarball_url()}" + (f"\t{package.note}" if package.note else ""))
        for asset in assets:
            try:
                data = _member(tarball, asset.file)
            except KeyError:
                result.unavailable[asset.cdn_url] = f"{asset.file} is not in {tarball}"
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest != asset.sha256:
                result.unavailable[asset.cdn_url] = (f"{asset.file} in {tarball} has sha256 "
                                                     f"{digest}, the manifest pins {asset.sha256}")
                continue
            result.copied[asset.cdn_url] = (_write(html_dir, package, asset.file, data),
                                            sri_sha256(data))
    if notices:
        notice = html_dir / VENDOR_DIR / NOTICE
        notice.parent.mkdir(parents=True, exist_ok=True)
        notice.write_text("Third-party files served with this dashboard (vjplab asset manifest)."
                          "\npackage\tlicence\tlicence text\ttarball\tnote\n"
                          + "\n".join(notices) + "\n")
    return result
