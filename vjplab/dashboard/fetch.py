"""Fetch the manifest's tarballs from the npm registry into the per-user cache.

With ``npm`` on the PATH: ``npm pack name@version`` (npm's own cache, proxy and registry
settings apply); without it, or when it fails: plain HTTPS to the registry's tarball URL.
Every tarball is checked against the manifest's sha256 before it enters the cache.
``VJPLAB_NPM_REGISTRY`` points both at another registry (a mirror).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from vjplab.dashboard.cache import cache_dir, cached_tarball, store
from vjplab.dashboard.manifest import DEFAULT_REGISTRY, Manifest, Package

REGISTRY_ENV = "VJPLAB_NPM_REGISTRY"
#: seconds one download may take (npm pack or HTTPS)
TIMEOUT_S = 60


class FetchError(RuntimeError):
    """A tarball could not be fetched (the message says from where and why)."""


def registry() -> str:
    """The npm registry to fetch from."""
    return os.environ.get(REGISTRY_ENV, DEFAULT_REGISTRY).rstrip("/")


def _npm_pack(package: Package, workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm not found")
    cmd = [npm, "pack", package.spec, "--pack-destination", str(workdir), "--registry",
           registry() + "/", "--fetch-retries", "0", "--loglevel", "error"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise FetchError(f"npm pack {package.spec} took over {TIMEOUT_S} s") from None
    path = workdir / package.tarball_name
    if out.returncode != 0 or not path.is_file():
        lines = [line.strip() for line in out.stderr.splitlines()
                 if line.strip() and "complete log" not in line]
        detail = next((line for line in lines if "reason" in line or "404" in line),
                      lines[0] if lines else f"exit status {out.returncode}")
        raise FetchError(f"npm pack {package.spec} failed: {detail}")
    return path


def _https_get(package: Package, workdir: Path) -> Path:
    url = package.tarball_url(registry())
    path = workdir / package.tarball_name
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, open(path, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"GET {url} failed: {reason}") from None
    return path


def fetch_package(package: Package, directory: Path | None = None) -> Path:
    """Download ``package``'s tarball, check its sha256, cache it; return the cached path.

    FetchError when neither route works (both reasons in the message), or when what arrived is
    not the pinned tarball.
    """
    reasons = []
    with tempfile.TemporaryDirectory(prefix="vjplab-fetch-") as tmp:
        for route in (_npm_pack, _https_get):
            try:
                downloaded = route(package, Path(tmp))
            except FetchError as exc:
                reasons.append(str(exc))
                continue
            try:
                return store(package, downloaded, directory)
            except ValueError as exc:  # checksum mismatch: do not try to "fix" it elsewhere
                raise FetchError(str(exc)) from None
    raise FetchError("; ".join(reasons))


@dataclass
class FetchReport:
    """Outcome of ``ensure_cached``: package spec -> path, or -> reason it is unavailable."""

    cached: dict[str, Path] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def ensure_cached(manifest: Manifest, fetch: bool = True,
                  directory: Path | None = None) -> FetchReport:
    """Make every package of ``manifest`` available in the cache, fetching what is missing.

    After a fetch fails for a reason that is not a checksum mismatch, the remaining packages are
    not tried (no network: one timeout, not six). With ``fetch=False`` nothing is downloaded.
    """
    report = FetchReport()
    started = time.perf_counter()
    unreachable = ""
    for package in manifest.packages:
        path = cached_tarball(package, directory)
        if path is not None:
            report.cached[package.spec] = path
            continue
        where = directory or cache_dir()
        if not fetch:
            report.failed[package.spec] = f"not in the cache {where} (fetching disabled)"
            continue
        if unreachable:
            report.failed[package.spec] = (f"not in the cache {where}; not fetched: the fetch "
                                           f"of {unreachable} failed (see its line)")
            continue
        try:
            report.cached[package.spec] = fetch_package(package, directory)
            report.fetched.append(package.spec)
        except FetchError as exc:
            report.failed[package.spec] = f"not in the cache {where}; fetch failed: {exc}"
            if "sha256" not in str(exc):
                unreachable = package.spec
    report.seconds = time.perf_counter() - started
    return report
