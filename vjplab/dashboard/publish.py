"""Publish the dashboard: ``asv publish``, vjplab's own pages, then serve every asset locally.

``publish`` is what ``vjplab bench``, ``vjplab record`` and ``vjplab publish`` call. After asv
has (re)written the html directory, each writer of ``PAGE_WRITERS`` adds its page; then the
manifest's assets are taken from the per-user cache (fetched on first need), copied into
``<html_dir>/vendor/`` with their licences, and every CDN reference of every ``.html`` file is
pointed at the local copy (vjplab.dashboard.rewrite). An asset that cannot be had keeps its CDN
link, and one line says which and why; publishing still succeeds.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from vjplab.dashboard.fetch import ensure_cached
from vjplab.dashboard.manifest import Manifest, load_manifest
from vjplab.dashboard.rewrite import LocalCopy, rewrite_page
from vjplab.dashboard.vendor import VENDOR_DIR, vendor_assets

#: A page writer takes (results_dir, html_dir), writes its page into html_dir after asv
#: publish, and returns the page's path (or None when it wrote nothing).
PageWriter = Callable[[Path, Path], "Path | None"]


def write_history_page(results_dir: Path, html_dir: Path) -> Path:
    """The JAX-version history page (vjplab.history.report), linked from asv's index.html,
    with the shipped reference machine's series beside the user's (vjplab.reference)."""
    from vjplab.history.report import build_history, write_html
    from vjplab.history.results import load_results
    from vjplab.reference import with_reference

    return write_html(build_history(with_reference(load_results(results_dir))), html_dir)


def write_report_page(results_dir: Path, html_dir: Path) -> Path | None:
    """This run's report (vjplab.dashboard.report_page), with a banner on asv's index.html.
    Results it cannot build a report from give one line, not a failed publish."""
    from vjplab.dashboard.report_page import link_report_from_dashboard, write_report

    try:
        page = write_report(results_dir, html_dir)
    except ValueError as exc:
        print(f"report page not written: {exc}", flush=True)
        return None
    link_report_from_dashboard(html_dir)
    return page


#: Pages written after ``asv publish``, in this order. To publish another page, append its
#: writer here (one line); its html files get their CDN references localised like asv's.
PAGE_WRITERS: list[PageWriter] = [write_history_page, write_report_page]


@dataclass
class LocalizeReport:
    """What ``localize_dashboard`` did."""

    pages: list[Path] = field(default_factory=list)
    localised: set[str] = field(default_factory=set)
    unavailable: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    fetch_seconds: float = 0.0


def _relative_url(html_dir: Path, page: Path, relative: str) -> str:
    return Path(os.path.relpath(html_dir / relative, page.parent)).as_posix()


def localize_dashboard(html_dir: Path, manifest: Manifest | None = None, fetch: bool = True,
                       out: TextIO | None = None) -> LocalizeReport:
    """Copy the cached assets into ``html_dir/vendor`` and point every page at them.

    Prints (to ``out``, default stdout) one line per package whose assets keep their CDN link,
    with the reason, and one line per page that loads an external URL the manifest does not
    pin. Never raises for a missing asset.
    """
    out = out or sys.stdout
    manifest = manifest or load_manifest()
    html_dir = Path(html_dir)
    if not html_dir.is_dir():
        raise ValueError(f"{html_dir} is not a directory; publish the dashboard first")
    status = ensure_cached(manifest, fetch=fetch)
    if status.fetched:
        print(f"dashboard assets: fetched {', '.join(status.fetched)} in "
              f"{status.seconds:.1f} s (cached for later publishes)", file=out, flush=True)
    vendored = vendor_assets(html_dir, manifest, status.cached, status.failed)
    report = LocalizeReport(unavailable=dict(vendored.unavailable), fetched=status.fetched,
                            fetch_seconds=status.seconds)
    vendor_root = html_dir / VENDOR_DIR
    for page in sorted(html_dir.rglob("*.html")):
        if vendor_root in page.parents:
            continue
        copies = {url: LocalCopy(_relative_url(html_dir, page, rel), sri)
                  for url, (rel, sri) in vendored.copied.items()}
        text = page.read_text(encoding="utf-8")
        result = rewrite_page(text, copies)
        if result.text != text:
            page.write_text(result.text, encoding="utf-8")
        report.pages.append(page)
        report.localised.update(result.replaced)
        unknown = [u for u in result.kept if u not in vendored.unavailable]
        if unknown:
            report.unknown[str(page.relative_to(html_dir))] = unknown
    by_package: dict[str, list[str]] = defaultdict(list)
    for asset in manifest.assets:
        if asset.cdn_url in report.unavailable:
            by_package[asset.package.spec].append(asset.cdn_url)
    for spec, urls in by_package.items():
        reason = report.unavailable[urls[0]]
        names = ", ".join(url.rsplit("/", 1)[-1] for url in urls)
        print(f"dashboard asset {spec} ({names}): keeping the CDN link: {reason}", file=out,
              flush=True)
    for page, urls in report.unknown.items():
        print(f"dashboard page {page} loads {', '.join(urls)}: not in vjplab's asset manifest "
              f"(vjplab/dashboard/manifest.json); left as is", file=out, flush=True)
    return report


def _git(repo: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)


def config_showing_head(config: Path) -> Path:
    """``config``, or a copy beside it that also lists the checked-out branch.

    asv publish draws only commits on the config's ``branches`` (``main``); results that
    ``vjplab bench`` labels with a feature branch's HEAD would get no graphs. When HEAD is on
    none of them, the copy (``<name>.publish.json``) adds the current branch, first (asv's
    pages show the first branch by default), and one line says so; a detached HEAD cannot be added, and one line says that instead.
    """
    conf = json.loads(Path(config).read_text())
    repo, branches = conf.get("repo", "."), list(conf.get("branches") or ["master"])
    if _git(repo, "rev-parse", "--git-dir").returncode != 0:
        return config
    if any(_git(repo, "merge-base", "--is-ancestor", "HEAD", b).returncode == 0
           for b in branches):
        return config
    current = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    if not current:
        print(f"note: HEAD is detached and on none of the published branches "
              f"({', '.join(branches)}): asv draws no graphs for its results", flush=True)
        return config
    print(f"note: HEAD is on branch {current!r}, not on {', '.join(branches)}: publishing "
          f"{current!r} too, so that its results get graphs", flush=True)
    path = Path(config).with_name(Path(config).stem + ".publish.json")
    path.write_text(json.dumps(dict(conf, branches=[current] + branches), indent=2))
    return path


def publish(config: Path, results_dir: Path, html_dir: Path, *,
            env: dict[str, str] | None = None, cwd: Path | None = None,
            fetch: bool = True, log: TextIO | None = None) -> Path:
    """``asv publish`` with ``config``, vjplab's pages, local assets; return index.html's path.

    ``html_dir`` and ``results_dir`` must be the config's. When HEAD is on a branch the config
    does not publish, that branch is published too (``config_showing_head``).
    ``subprocess.CalledProcessError`` when asv publish fails. With ``log``, asv's output goes
    there instead of the terminal.
    """
    cmd = [sys.executable, "-m", "asv", "publish", "--config", str(config_showing_head(config))]
    if log is None:
        print("$ " + shlex.join(cmd), flush=True)
    else:
        log.write(f"\n===== publish\n$ {shlex.join(cmd)}\n")
        log.flush()
    subprocess.run(cmd, env=dict(os.environ) if env is None else env,
                   cwd=cwd or Path(config).parent, check=True, stdout=log,
                   stderr=None if log is None else subprocess.STDOUT)
    for writer in PAGE_WRITERS:
        page = writer(Path(results_dir), Path(html_dir))
        if page is not None:
            print(f"page: {page}", flush=True)
    localize_dashboard(Path(html_dir), fetch=fetch)
    return Path(html_dir) / "index.html"
