"""The per-user cache of the manifest's npm tarballs, and installing it from a copied cache.

The cache is ``$VJPLAB_CACHE_DIR/assets`` when ``VJPLAB_CACHE_DIR`` is set, else
``$XDG_CACHE_HOME/vjplab/assets`` (``~/.cache/vjplab/assets``). It holds the tarballs under
the names ``npm pack`` gives them (``name-version.tgz``); a tarball counts as cached only when
its sha256 is the manifest's. Copy that folder to an air-gapped machine and install it there
with ``vjplab assets --from DIR``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.dashboard.manifest import Manifest, Package

CACHE_ENV = "VJPLAB_CACHE_DIR"


def cache_dir() -> Path:
    """Where this user's tarballs are cached (not created here)."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root).expanduser() / "assets"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vjplab" / "assets"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_tarball(package: Package, directory: Path | None = None) -> Path | None:
    """The verified tarball of ``package`` in the cache (or ``directory``), else None."""
    path = (directory or cache_dir()) / package.tarball_name
    if path.is_file() and sha256_of(path) == package.tarball_sha256:
        return path
    return None


def describe_cached(package: Package, directory: Path | None = None) -> str:
    """Why ``package`` is not usable from the cache (or '' when it is)."""
    path = (directory or cache_dir()) / package.tarball_name
    if not path.is_file():
        return f"not cached ({path} does not exist)"
    actual = sha256_of(path)
    if actual != package.tarball_sha256:
        return f"cached file {path} has sha256 {actual}, the manifest pins {package.tarball_sha256}"
    return ""


def store(package: Package, source: Path, directory: Path | None = None) -> Path:
    """Copy ``source`` into the cache as ``package``'s tarball after checking its sha256.

    ValueError (naming both digests) when the file is not the pinned tarball. The copy is
    atomic: a reader never sees half a tarball.
    """
    actual = sha256_of(source)
    if actual != package.tarball_sha256:
        raise ValueError(f"{source} is not {package.spec}'s pinned tarball: sha256 {actual}, "
                         f"the manifest pins {package.tarball_sha256}")
    target_dir = directory or cache_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / package.tarball_name
    if source.resolve() == target.resolve():
        return target
    with tempfile.NamedTemporaryFile(dir=target_dir, prefix=".part-", delete=False) as tmp:
        with open(source, "rb") as handle:
            shutil.copyfileobj(handle, tmp)
    os.replace(tmp.name, target)
    return target


@dataclass
class InstallReport:
    """What ``install_from`` did, per package spec."""

    installed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every package of the manifest is now cached."""
        return not self.missing and not self.rejected


def install_from(source: Path, manifest: Manifest, directory: Path | None = None) -> InstallReport:
    """Install the manifest's tarballs found in ``source`` (a copied cache) into the cache.

    ``source`` may be the copied ``assets`` folder itself or the folder above it. A tarball whose
    sha256 differs from the manifest's is rejected (reported, not installed). ValueError when
    ``source`` is not a directory or holds none of the tarballs (naming the expected names).
    """
    source = Path(source).expanduser()
    if not source.is_dir():
        raise ValueError(f"--from {source}: not a directory; give a copy of a vjplab asset cache "
                         f"(a folder holding {manifest.packages[0].tarball_name}, ...)")
    candidates = [source, source / "assets"]
    folder = next((c for c in candidates
                   if any((c / p.tarball_name).is_file() for p in manifest.packages)), None)
    if folder is None:
        expected = ", ".join(p.tarball_name for p in manifest.packages)
        raise ValueError(f"--from {source}: holds none of the pinned tarballs; expected: "
                         f"{expected}")
    report = InstallReport()
    for package in manifest.packages:
        path = folder / package.tarball_name
        if cached_tarball(package, directory) is not None:
            report.already.append(package.spec)
        elif not path.is_file():
            report.missing.append(package.spec)
        else:
            try:
                store(package, path, directory)
                report.installed.append(package.spec)
            except ValueError as exc:
                report.rejected[package.spec] = str(exc)
    return report
