"""``vjplab assets`` (list, ``--fetch``, ``--from DIR``) and ``vjplab publish``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from vjplab.dashboard.cache import cache_dir, describe_cached, install_from
from vjplab.dashboard.fetch import ensure_cached
from vjplab.dashboard.manifest import load_manifest


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the ``assets`` and ``publish`` sub-commands."""
    assets = sub.add_parser(
        "assets", help="the dashboard's third-party files: list the cache, fetch, install",
        description="The files asv's pages load from CDNs, pinned in "
                    "vjplab/dashboard/manifest.json, cached per user (VJPLAB_CACHE_DIR, default "
                    "~/.cache/vjplab) and served from the published html directory. Without an "
                    "option: list what is cached and what is missing.")
    group = assets.add_mutually_exclusive_group()
    group.add_argument("--fetch", action="store_true",
                       help="fetch the missing tarballs from the npm registry now")
    group.add_argument("--from", dest="source", type=Path, metavar="DIR",
                       help="install the tarballs from a copied cache (air-gapped machines)")
    publish = sub.add_parser(
        "publish", help="asv publish of existing results + vjplab pages, assets served locally")
    publish.add_argument("--output-dir", type=Path,
                         help="the --output-dir of `vjplab bench`: results and html are there "
                              "instead of .asv/")
    publish.add_argument("--no-fetch", action="store_true",
                         help="use only cached assets (missing ones keep their CDN links)")


def assets_command(args: argparse.Namespace) -> int:
    """List, fetch or install the cached tarballs; exit 0 when all are cached afterwards."""
    manifest = load_manifest()
    if args.source is not None:
        try:
            report = install_from(args.source, manifest)
        except ValueError as exc:
            print(f"vjplab assets: {exc}", file=sys.stderr)
            return 2
        for spec in report.installed:
            print(f"installed {spec}")
        for spec in report.already:
            print(f"already cached {spec}")
        for spec, reason in report.rejected.items():
            print(f"rejected {spec}: {reason}", file=sys.stderr)
        for spec in report.missing:
            print(f"missing {spec}: not in {args.source}", file=sys.stderr)
        print(f"cache: {cache_dir()}")
        return 0 if report.complete else 1
    if args.fetch:
        report = ensure_cached(manifest, fetch=True)
        for spec in report.fetched:
            print(f"fetched {spec}")
        for spec, reason in report.failed.items():
            print(f"failed {spec}: {reason}", file=sys.stderr)
        print(f"{len(report.cached)} of {len(manifest.packages)} packages cached in "
              f"{cache_dir()} ({report.seconds:.1f} s)")
        return 0 if not report.failed else 1
    missing = 0
    for package in manifest.packages:
        reason = describe_cached(package)
        files = ", ".join(a.file.removeprefix("package/") for a in manifest.assets
                          if a.package == package)
        print(f"{'cached ' if not reason else 'MISSING'} {package.spec:28} {files}"
              + (f"\n        {reason}" if reason else ""))
        missing += bool(reason)
    print(f"cache: {cache_dir()}; {len(manifest.packages) - missing} of "
          f"{len(manifest.packages)} cached"
          + ("; fetch with `vjplab assets --fetch` or install with `vjplab assets --from DIR`"
             if missing else ""))
    return 0


def publish_command(args: argparse.Namespace) -> int:
    """asv publish of the results that exist (the derived config, as `vjplab bench` writes)."""
    import json

    from vjplab.dashboard.publish import publish
    from vjplab.suite import current_environment_config, repo_root

    try:
        root = repo_root()
        if args.output_dir is not None and not args.output_dir.is_dir():
            raise ValueError(f"--output-dir {args.output_dir} is not a directory (give the "
                             f"--output-dir of an earlier `vjplab bench`)")
        config = current_environment_config(root, args.output_dir)
        conf = json.loads(config.read_text())
        results = Path(conf["results_dir"])
        if not any(p.name != "machine.json" for p in results.glob("*/*.json")):
            raise ValueError(f"no asv results in {results}; run `vjplab bench` (or `vjplab "
                             f"record`) first")
    except ValueError as exc:
        print(f"vjplab publish: {exc}", file=sys.stderr)
        return 2
    try:
        index = publish(config, results, Path(conf["html_dir"]), cwd=root,
                        fetch=not args.no_fetch)
    except subprocess.CalledProcessError as exc:
        print(f"vjplab publish: asv publish exited with status {exc.returncode}",
              file=sys.stderr)
        return 1
    print(f"dashboard: {index}  (or: python -m asv preview --config {config})")
    return 0
