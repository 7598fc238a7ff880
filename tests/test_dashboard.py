"""The offline dashboard: the asset manifest, the per-user cache, fetching, the CDN rewrite.

Fast tests use tarballs made here (a manifest with asv's real CDN URLs and the made-up files'
digests); the tests marked slow fetch the real tarballs from the npm registry (CI reaches it).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import json
import re
import shutil
import subprocess
import sys
import tarfile
import threading
from dataclasses import replace
from pathlib import Path

import asv
import pytest

from vjplab.dashboard import cache, fetch
from vjplab.dashboard.cache import install_from, sha256_of
from vjplab.dashboard.fetch import FetchError, ensure_cached, fetch_package
from vjplab.dashboard.manifest import (MANIFEST_PATH, Manifest, load_manifest,
                                       parse_manifest)
from vjplab.dashboard.publish import PAGE_WRITERS, localize_dashboard
from vjplab.dashboard.rewrite import external_references, rewrite_page, sri_sha256

ASV_WWW = Path(asv.__file__).parent / "www"
MANIFEST = load_manifest()


def asv_pages() -> dict[str, str]:
    """Every .html template of the installed asv, by name."""
    return {p.name: p.read_text() for p in sorted(ASV_WWW.glob("*.html"))}


def vjplab_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vjplab", *args], capture_output=True,
                          text=True, env=env, timeout=300)


# ---------------------------------------------------------------- fake tarballs and manifest


def make_tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def fake(tmp_path, monkeypatch) -> tuple[Manifest, dict[str, bytes]]:
    """The real manifest's packages, assets and CDN URLs over made-up tarballs (tarball name ->
    bytes), with VJPLAB_CACHE_DIR pointing at an empty temporary cache."""
    monkeypatch.setenv("VJPLAB_CACHE_DIR", str(tmp_path / "cache-root"))
    tarballs, packages, assets = {}, {}, []
    for package in MANIFEST.packages:
        members = {package.licence_file: f"licence of {package.spec}\n".encode()}
        for asset in MANIFEST.assets:
            if asset.package == package:
                members[asset.file] = f"/* {package.spec} {asset.file} */\n".encode()
        blob = make_tarball(members)
        tarballs[package.tarball_name] = blob
        packages[package.name] = replace(package,
                                         tarball_sha256=hashlib.sha256(blob).hexdigest())
    for asset in MANIFEST.assets:
        data = f"/* {asset.package.spec} {asset.file} */\n".encode()
        assets.append(replace(asset, package=packages[asset.package.name],
                              sha256=hashlib.sha256(data).hexdigest()))
    return Manifest(tuple(packages.values()), tuple(assets)), tarballs


def fill_cache(manifest: Manifest, tarballs: dict[str, bytes], skip: str = "") -> Path:
    folder = cache.cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for package in manifest.packages:
        if package.name != skip:
            (folder / package.tarball_name).write_bytes(tarballs[package.tarball_name])
    return folder


def published_copy(tmp_path: Path) -> Path:
    """asv's www/ as asv publish copies it, plus a page in a subfolder."""
    html = tmp_path / "html"
    shutil.copytree(ASV_WWW, html)
    (html / "sub").mkdir()
    shutil.copy(ASV_WWW / "index.html", html / "sub" / "page.html")
    return html


# ---------------------------------------------------------------- manifest


def test_manifest_covers_every_cdn_reference_asv_emits():
    referenced = {url for text in asv_pages().values() for url in external_references(text)}
    assert referenced, "found no CDN reference in asv's templates: the scan is broken"
    pinned = set(MANIFEST.by_cdn_url())
    assert referenced <= pinned, f"asv loads files the manifest does not pin: {referenced - pinned}"
    assert pinned <= referenced, f"manifest entries asv no longer loads: {pinned - referenced}"


def test_manifest_pins_each_package_and_licence():
    assert {p.name for p in MANIFEST.packages} == {
        "jquery", "flot", "flot-orderbars", "stupid-table-plugin", "blueimp-md5", "bootstrap"}
    for package in MANIFEST.packages:
        assert re.fullmatch(r"[0-9a-f]{64}", package.tarball_sha256)
        assert package.licence == "MIT" and package.licence_file.startswith("package/")
        assert package.tarball_url() == (f"https://registry.npmjs.org/{package.name}/-/"
                                         f"{package.name}-{package.version}.tgz")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["packages"][0].pop("tarball_sha256"), "lacks tarball_sha256"),
    (lambda d: d["packages"][0].update(tarball_sha256="abc"), "64 lowercase hex"),
    (lambda d: d["assets"][0].update(package="nope"), "allowed: blueimp-md5, bootstrap, "),
    (lambda d: d["assets"][0].update(sha256="X" * 64), "64 lowercase hex"),
    (lambda d: d["assets"][0].update(cdn_url="ftp://x"), "http(s) URL"),
    (lambda d: d["assets"].append(dict(d["assets"][0])), "cdn_url twice"),
    (lambda d: d["packages"].append(dict(d["packages"][0])), "listed twice"),
    (lambda d: d.pop("assets"), "'packages' and 'assets' lists"),
])
def test_bad_manifest_is_refused(mutate, message):
    data = json.loads(MANIFEST_PATH.read_text())
    mutate(data)
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_manifest(data)


def test_unknown_package_names_the_allowed_ones():
    with pytest.raises(ValueError, match=r"allowed: jquery@3\.3\.1, flot@0\.8\.3"):
        MANIFEST.package("left-pad")
    assert MANIFEST.package("flot").version == "0.8.3"


# ---------------------------------------------------------------- rewrite


def test_rewrite_replaces_url_and_integrity_and_nothing_else():
    page = ('<html><head><script src="https://cdn.example/a.js" integrity="sha512-OLD" '
            'crossorigin="anonymous" onerror="js_load_failure()"></script>\n'
            '<link rel="stylesheet" href="https://cdn.example/b.css" integrity="sha256-OLD">\n'
            '<script src="local.js"></script><script src="https://other.example/c.js"></script>'
            '<script data-src="https://cdn.example/a.js" src="mine.js"></script>'
            '<a href="https://cdn.example/a.js">a link, not a load</a></head></html>')
    from vjplab.dashboard.rewrite import LocalCopy
    copies = {"https://cdn.example/a.js": LocalCopy("vendor/a.js", "sha256-AAA"),
              "https://cdn.example/b.css": LocalCopy("vendor/b.css", "sha256-BBB")}
    result = rewrite_page(page, copies)
    assert ('<script src="vendor/a.js" integrity="sha256-AAA" crossorigin="anonymous" '
            'onerror="js_load_failure()">') in result.text
    assert '<link rel="stylesheet" href="vendor/b.css" integrity="sha256-BBB">' in result.text
    assert result.replaced == ["https://cdn.example/a.js", "https://cdn.example/b.css"]
    assert result.kept == ["https://other.example/c.js"]
    assert '<a href="https://cdn.example/a.js">' in result.text  # anchors are not loads
    assert '<script data-src="https://cdn.example/a.js" src="mine.js">' in result.text
    assert "sha512-OLD" not in result.text and "sha256-OLD" not in result.text


def test_sri_of_known_bytes():
    assert sri_sha256(b"") == "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_every_cdn_reference_of_asv_pages_is_localised(fake, tmp_path, capsys):
    manifest, tarballs = fake
    fill_cache(manifest, tarballs)
    html = published_copy(tmp_path)
    report = localize_dashboard(html, manifest=manifest, fetch=False)
    assert capsys.readouterr().out == ""  # nothing missing, nothing unknown
    assert report.localised == set(manifest.by_cdn_url())
    pages = sorted(html.rglob("*.html"))
    assert len(report.pages) == len(pages) >= 3
    by_path = {f"{a.package.name}-{a.package.version}/{a.file.removeprefix('package/')}": a
               for a in manifest.assets}
    for page in pages:
        text = page.read_text()
        assert external_references(text) == [], f"{page} still loads a CDN URL"
        for tag in re.findall(r"<(?:script|link)\b[^>]*vendor/[^>]*>", text):
            url = re.search(r'(?:src|href)="([^"]+)"', tag).group(1)
            served = (page.parent / url).resolve()
            assert served.is_file(), f"{page}: {url} does not exist"
            data = served.read_bytes()
            assert f'integrity="{sri_sha256(data)}"' in tag
            key = str(served.relative_to((html / "vendor").resolve()))
            assert hashlib.sha256(data).hexdigest() == by_path[key].sha256
    assert '"../vendor/jquery-3.3.1/dist/jquery.min.js"' in (html / "sub/page.html").read_text()
    for package in manifest.packages:
        licence = html / "vendor" / f"{package.name}-{package.version}" / \
            package.licence_file.removeprefix("package/")
        with tarfile.open(fileobj=io.BytesIO(tarballs[package.tarball_name])) as archive:
            assert licence.read_bytes() == archive.extractfile(package.licence_file).read()
        assert package.spec in (html / "vendor" / "NOTICE.txt").read_text()
    # A second pass (e.g. after another page writer) changes nothing.
    before = {p: p.read_text() for p in pages}
    localize_dashboard(html, manifest=manifest, fetch=False)
    assert {p: p.read_text() for p in pages} == before


def test_missing_asset_keeps_its_cdn_link_and_says_why(fake, tmp_path, capsys):
    manifest, tarballs = fake
    fill_cache(manifest, tarballs, skip="flot")
    html = published_copy(tmp_path)
    report = localize_dashboard(html, manifest=manifest, fetch=False)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("dashboard asset flot@0.8.3 (jquery.flot.min.js, "
                               "jquery.flot.time.min.js, jquery.flot.selection.min.js, "
                               "jquery.flot.categories.min.js): keeping the CDN link: not in "
                               "the cache")
    flot = [a.cdn_url for a in manifest.assets if a.package.name == "flot"]
    index = (html / "index.html").read_text()
    assert external_references(index) == flot
    for url in flot:  # the original tag, old digest included, is untouched
        original = re.search(rf'<script src="{re.escape(url)}"[^>]*>',
                             (ASV_WWW / "index.html").read_text()).group(0)
        assert original in index
    assert set(report.unavailable) == set(flot)


def test_unreachable_registry_publishes_anyway_with_one_line_per_package(fake, tmp_path,
                                                                          monkeypatch, capsys):
    manifest, tarballs = fake
    monkeypatch.setenv("VJPLAB_NPM_REGISTRY", "http://127.0.0.1:9")  # discard port: refused
    monkeypatch.setattr(fetch.shutil, "which", lambda name: None)  # HTTPS route only
    html = published_copy(tmp_path)
    report = localize_dashboard(html, manifest=manifest, fetch=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(manifest.packages)
    assert "fetch failed: npm not found; GET http://127.0.0.1:9/jquery/-/jquery-3.3.1.tgz " \
           "failed" in lines[0]
    assert all("not fetched: the fetch of jquery@3.3.1 failed" in line for line in lines[1:])
    assert set(report.unavailable) == set(manifest.by_cdn_url())
    assert set(external_references((html / "index.html").read_text())) == \
        set(manifest.by_cdn_url())


def test_page_writers_are_the_history_page_then_the_report():
    assert [w.__name__ for w in PAGE_WRITERS] == ["write_history_page", "write_report_page"]


def test_report_writer_says_why_instead_of_failing(tmp_path, capsys):
    """Results a report cannot be built from (none at all here) give one line, not an error."""
    from vjplab.dashboard.publish import write_report_page

    assert write_report_page(tmp_path / "no-results", tmp_path / "html") is None
    assert capsys.readouterr().out.startswith("report page not written: ")


# ---------------------------------------------------------------- fetch over HTTPS, cache


@pytest.fixture
def fake_registry(fake, tmp_path, monkeypatch):
    """A registry on 127.0.0.1 serving the fake tarballs at npm's tarball URLs."""
    manifest, tarballs = fake
    served = {f"/{p.name}/-/{p.tarball_name}": tarballs[p.tarball_name]
              for p in manifest.packages}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("VJPLAB_NPM_REGISTRY", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(fetch.shutil, "which", lambda name: None)
    yield manifest, served
    server.shutdown()


def test_https_fetch_verifies_and_caches(fake_registry):
    manifest, served = fake_registry
    report = ensure_cached(manifest)
    assert report.fetched == [p.spec for p in manifest.packages] and not report.failed
    for package in manifest.packages:
        assert sha256_of(cache.cache_dir() / package.tarball_name) == package.tarball_sha256
    again = ensure_cached(manifest)  # cached now: nothing fetched
    assert again.fetched == [] and len(again.cached) == len(manifest.packages)


def test_tampered_download_is_not_cached(fake_registry):
    manifest, served = fake_registry
    package = manifest.packages[0]
    served[f"/{package.name}/-/{package.tarball_name}"] = make_tarball({"package/x": b"evil"})
    with pytest.raises(FetchError, match=f"not {re.escape(package.spec)}'s pinned tarball"):
        fetch_package(package)
    assert not (cache.cache_dir() / package.tarball_name).exists()
    report = ensure_cached(manifest)  # a checksum failure does not stop the other fetches
    assert list(report.failed) == [package.spec] and len(report.fetched) == 5


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VJPLAB_CACHE_DIR", str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c" / "assets"
    monkeypatch.delenv("VJPLAB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache.cache_dir() == tmp_path / "x" / "vjplab" / "assets"


def test_install_from_a_copied_cache(fake, tmp_path):
    manifest, tarballs = fake
    copied = tmp_path / "usb" / "assets"
    copied.mkdir(parents=True)
    for name, blob in tarballs.items():
        (copied / name).write_bytes(blob)
    bad = manifest.packages[1]
    (copied / bad.tarball_name).write_bytes(b"corrupt")
    report = install_from(tmp_path / "usb", manifest)  # the folder above assets/ works too
    assert report.rejected.keys() == {bad.spec} and "sha256" in report.rejected[bad.spec]
    assert len(report.installed) == 5 and not report.complete
    assert not (cache.cache_dir() / bad.tarball_name).exists()
    (copied / bad.tarball_name).write_bytes(tarballs[bad.tarball_name])
    report = install_from(copied, manifest)
    assert report.installed == [bad.spec] and len(report.already) == 5 and report.complete


def test_install_from_bad_directories(fake, tmp_path):
    manifest, _ = fake
    with pytest.raises(ValueError, match="not a directory"):
        install_from(tmp_path / "nowhere", manifest)
    with pytest.raises(ValueError, match="holds none of the pinned tarballs; expected: "
                                         "jquery-3.3.1.tgz, flot-0.8.3.tgz"):
        install_from(tmp_path, manifest)


# ---------------------------------------------------------------- command line


def test_assets_command_bad_inputs(tmp_path):
    env = {**os.environ, "VJPLAB_CACHE_DIR": str(tmp_path / "c")}
    out = vjplab_cli("assets", "--from", str(tmp_path / "nowhere"), env=env)
    assert out.returncode == 2 and out.stderr.startswith("vjplab assets: --from ")
    assert "Traceback" not in out.stderr
    out = vjplab_cli("assets", "--from", str(tmp_path), env=env)
    assert out.returncode == 2 and "expected: jquery-3.3.1.tgz" in out.stderr
    out = vjplab_cli("assets", "--fetch", "--from", str(tmp_path), env=env)
    assert out.returncode == 2 and "not allowed with argument" in out.stderr
    out = vjplab_cli("assets", env=env)  # listing: all missing, says how to get them
    assert out.returncode == 0 and out.stdout.count("MISSING") == 6
    assert "0 of 6 cached; fetch with `vjplab assets --fetch`" in out.stdout


def test_assets_command_from_and_list(tmp_path):
    """--from with the real file names but wrong bytes: rejected, exit 1, nothing cached."""
    env = {**os.environ, "VJPLAB_CACHE_DIR": str(tmp_path / "c")}
    source = tmp_path / "copy"
    source.mkdir()
    (source / "jquery-3.3.1.tgz").write_bytes(b"not jquery")
    out = vjplab_cli("assets", "--from", str(source), env=env)
    assert out.returncode == 1
    assert "rejected jquery@3.3.1: " in out.stderr and "missing flot@0.8.3" in out.stderr


def test_publish_command_bad_inputs(tmp_path):
    out = vjplab_cli("publish", "--output-dir", str(tmp_path / "nowhere"))
    assert out.returncode == 2 and "is not a directory" in out.stderr
    out = vjplab_cli("publish", "--output-dir", str(tmp_path))
    assert out.returncode == 2 and "no asv results in" in out.stderr
    assert "run `vjplab bench`" in out.stderr


# ---------------------------------------------------------------- the real registry (slow)


@pytest.mark.slow
@pytest.mark.parametrize("route", ["npm", "https"])
def test_manifest_checksums_match_a_real_fetch(route, tmp_path, monkeypatch, capsys):
    """Every pinned tarball, fetched from the npm registry, has the manifest's sha256, holds
    every pinned file with its sha256, and the rewrite leaves no CDN URL in asv's pages."""
    if route == "npm" and shutil.which("npm") is None:
        pytest.skip("npm is not installed (the https route is tested too)")
    if route == "https":
        monkeypatch.setattr(fetch.shutil, "which", lambda name: None)
    monkeypatch.setenv("VJPLAB_CACHE_DIR", str(tmp_path / "cache"))
    report = ensure_cached(MANIFEST)
    print(f"fetched {len(report.fetched)} tarballs via {route} in {report.seconds:.1f} s")
    assert not report.failed, report.failed
    assert report.fetched == [p.spec for p in MANIFEST.packages]
    html = published_copy(tmp_path)
    capsys.readouterr()
    localised = localize_dashboard(html, fetch=False)
    assert capsys.readouterr().out == ""
    assert localised.localised == set(MANIFEST.by_cdn_url())
    for page in html.rglob("*.html"):
        assert external_references(page.read_text()) == []
    # Where the npm file is the CDN's file, the new digest equals the one asv pinned.
    original = (ASV_WWW / "index.html").read_text()
    index = (html / "index.html").read_text()
    same_file = [a for a in MANIFEST.assets if a.package.name in ("jquery", "bootstrap",
                                                                   "flot-orderbars")]
    assert len(same_file) == 4
    for asset in same_file:
        old = re.search(rf'"{re.escape(asset.cdn_url)}" integrity="(sha256-[^"]+)"',
                        original).group(1)
        assert f'"vendor/{asset.local_path}" integrity="{old}"' in index


# ---------------------------------------------------------------- which branches asv publishes


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


def test_config_shows_the_checked_out_branch_when_head_is_not_on_main(tmp_path, capsys):
    from vjplab.dashboard.publish import config_showing_head

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "one")
    config = tmp_path / "c.conf.json"
    config.write_text(json.dumps({"repo": str(repo), "branches": ["main"], "x": 1}))
    assert config_showing_head(config) == config  # HEAD on main: asv draws it already
    git(repo, "checkout", "-q", "-b", "feature")
    assert config_showing_head(config) == config  # same commit, still on main
    git(repo, "commit", "-q", "--allow-empty", "-m", "two")
    capsys.readouterr()
    shown = config_showing_head(config)
    assert shown != config and json.loads(shown.read_text()) == {
        "repo": str(repo), "branches": ["feature", "main"], "x": 1}
    assert "publishing 'feature' too" in capsys.readouterr().out
    assert json.loads(config.read_text())["branches"] == ["main"]  # the original is untouched
    git(repo, "checkout", "-q", "--detach")
    assert config_showing_head(config) == config
    assert "HEAD is detached" in capsys.readouterr().out


# ---------------------------------------------------------------- publish end to end


def test_publish_runs_asv_then_page_writers_then_localises(fake, tmp_path, monkeypatch, capsys):
    """A real ``asv publish`` of fabricated results, an extra page writer added to
    PAGE_WRITERS (as a report page would be), and every page localised afterwards."""
    from tests import asv_files
    from vjplab.dashboard import publish as publish_module
    from vjplab.suite import repo_root, resolved_asv_config

    manifest, tarballs = fake
    fill_cache(manifest, tarballs)
    monkeypatch.setattr(publish_module, "load_manifest", lambda: manifest)
    results = tmp_path / "results"
    commit = git(repo_root(), "rev-parse", "HEAD")
    asv_files.write_file(results, {asv_files.TIME: asv_files.entry([1e-5, 2e-5], rel_ci=0.05)},
                         commit=commit)
    benchmarks = json.loads((results / "benchmarks.json").read_text())
    for name, meta in benchmarks.items():  # asv publish needs each benchmark's params
        if name != "version":
            meta["params"] = asv_files.PARAMS[:len(meta["param_names"])]
    (results / "benchmarks.json").write_text(json.dumps(benchmarks))
    conf, _ = resolved_asv_config(repo_root(), tmp_path / "out")
    conf.update(results_dir=str(results), html_dir=str(tmp_path / "html"))
    config = tmp_path / "publish.conf.json"
    config.write_text(json.dumps(conf))

    def extra_page(results_dir: Path, html_dir: Path) -> Path:
        page = html_dir / "extra.html"
        page.write_text(f'<script src="{manifest.assets[0].cdn_url}"></script>'
                        f"{len(list(results_dir.glob('*/*.json')))} files")
        return page

    monkeypatch.setattr(publish_module, "PAGE_WRITERS", [*PAGE_WRITERS, extra_page])
    index = publish_module.publish(config, results, tmp_path / "html", cwd=repo_root(),
                                   fetch=False)
    out = capsys.readouterr().out
    assert "page: " + str(tmp_path / "html" / "vjplab-history.html") in out
    assert "page: " + str(tmp_path / "html" / "extra.html") in out
    assert "keeping the CDN link" not in out
    html = index.parent
    assert (html / "index.json").is_file()  # asv published
    for page in html.rglob("*.html"):
        assert external_references(page.read_text()) == [], page
    assert '<script src="vendor/jquery-3.3.1/dist/jquery.min.js"' in \
        (html / "extra.html").read_text()
