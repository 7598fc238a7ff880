"""The published dashboard in a real browser, with no network beyond 127.0.0.1.

Headless Chromium from the system (Debian's ``chromium`` package; never a browser download)
driven by Playwright for Python. The html directory comes from a real smoke-grid run
(``vjplab bench --grid smoke``), plus a second JAX version fabricated from its results file, and
is served by ``http.server`` on 127.0.0.1. Chromium resolves no other host, and a Playwright
route aborts (and records) every request that is not to 127.0.0.1.

Every page check goes through ``visit`` (console errors, external requests, failed requests,
a screenshot); to check another page, add a test that calls it. Screenshots go to
``$VJPLAB_TEST_ARTIFACTS`` (default: a temporary directory); the directory is printed.

Without chromium (or playwright) the tests skip with one line, except under CI (``CI`` set
to true), where they fail: .ci/run installs chromium.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from vjplab.dashboard.manifest import load_manifest
from vjplab.dashboard.rewrite import external_references
from vjplab.grid import GRIDS
from vjplab.history.report import PAGE_NAME as HISTORY_PAGE
from vjplab.suite import repo_root

ROOT = repo_root()
ARTIFACTS_ENV = "VJPLAB_TEST_ARTIFACTS"
CHROMIUM_ENV = "VJPLAB_CHROMIUM"
#: the JAX label of the fabricated second results file (an older release than any real one)
OTHER_JAX = "0.4.31"
TIME_VJP = "bench_vjp.TimeVJP.time_vjp"
#: milliseconds a page may take to draw
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.slow


def in_ci() -> bool:
    """CI sets CI=true; there a missing browser is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def find_chromium() -> str | None:
    """``$VJPLAB_CHROMIUM``, else the system's chromium (Debian's package)."""
    candidates = [os.environ.get(CHROMIUM_ENV), "/usr/bin/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def skip_or_fail(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run should have installed it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        skip_or_fail("no chromium found (apt-get install chromium, or set VJPLAB_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    return path


@pytest.fixture(scope="module")
def artifacts(request, tmp_path_factory) -> Path:
    """Where screenshots go; printed once, past pytest's capture."""
    folder = Path(os.environ.get(ARTIFACTS_ENV) or tmp_path_factory.mktemp("browser"))
    folder = folder / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nbrowser test screenshots: {folder}", flush=True)
    return folder


def fabricate_other_release(results_dir: Path, jax: str, factor: float) -> Path:
    """A copy of the smoke run's results file labelled with JAX ``jax``, values x ``factor``.

    Written beside the original in the test's own results directory, as asv names its files.
    """
    files = [p for p in results_dir.glob("*/*.json") if p.name != "machine.json"]
    assert len(files) == 1, files
    data = json.loads(files[0].read_text())
    current = data["params"]["jax"]
    for key in ("params", "requirements"):
        for name in ("jax", "jaxlib"):
            if name in data.get(key, {}):
                data[key][name] = jax
    data["env_vars"] = {k: jax for k in data.get("env_vars", {})}
    data["env_name"] = data["env_name"].replace(current, jax)
    assert data["env_name"] != json.loads(files[0].read_text())["env_name"]
    for row in data["results"].values():
        row[0] = [v * factor if isinstance(v, (int, float)) else v for v in row[0]]
    path = files[0].with_name(f"{data['commit_hash'][:8]}-{data['env_name']}.json")
    path.write_text(json.dumps(data))
    return path


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def published(chromium_path, smoke_bench, tmp_path_factory) -> Path:
    """A real smoke-grid run and publish, a second JAX version, published again with
    ``vjplab publish``; returns the output directory (results/, html/)."""
    output = tmp_path_factory.mktemp("smoke-browser")
    # the session's real smoke run (tests/conftest.py), copied: this test adds a release to it
    shutil.copytree(smoke_bench, output, dirs_exist_ok=True)
    fabricate_other_release(output / "results", OTHER_JAX, 1.5)
    out = run([sys.executable, "-m", "vjplab", "publish", "--output-dir", str(output)])
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    # Every CDN link was replaced (CI reaches the registry: nothing may be left to a CDN).
    assert "keeping the CDN link" not in out.stdout, out.stdout
    return output


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """``directory`` on http://127.0.0.1:<port>/ (a thread) while the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def server(published) -> Iterator[str]:
    """The published html directory on http://127.0.0.1:<port>/."""
    with serve(published / "html") as url:
        yield url


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser(chromium_path) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        yield instance
        instance.close()


@dataclass
class Visit:
    """One page load: the open page, and what went wrong on the way."""

    page: object  # playwright.sync_api.Page
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    #: requests started and not yet finished or failed (by id), and when the last one moved
    pending: dict[int, str] = field(default_factory=dict)
    last_activity: float = field(default_factory=time.monotonic)

    def started(self, request) -> None:
        self.pending[id(request)] = request.url
        self.last_activity = time.monotonic()

    def ended(self, request) -> None:
        self.pending.pop(id(request), None)
        self.last_activity = time.monotonic()

    def settle(self, quiet_s: float = 0.5, timeout_s: float = TIMEOUT_MS / 1000) -> None:
        """Wait until no request has been in flight for ``quiet_s``; fail naming the requests
        still open after ``timeout_s``. (Playwright's own "networkidle" state timed out in
        loaded CI runs with every image of the page complete; its docs discourage it.)"""
        deadline = time.monotonic() + timeout_s
        while self.pending or time.monotonic() - self.last_activity < quiet_s:
            if time.monotonic() > deadline:
                raise AssertionError(f"network still busy after {timeout_s:.0f} s: "
                                     f"{sorted(self.pending.values())[:10]}")
            self.page.wait_for_timeout(50)  # lets Playwright deliver the request events

    def problems(self) -> list[str]:
        """Everything that should not have happened, one line each."""
        return ([f"console error: {e}" for e in self.console_errors]
                + [f"request left 127.0.0.1: {u}" for u in self.external_requests]
                + [f"request failed: {u}" for u in self.failed_requests])


def visit(browser, url: str, artifacts: Path, name: str, ready: str | None = None,
          settle: bool = True) -> Visit:
    """Open ``url`` in a fresh page; wait until the JavaScript expression ``ready`` is truthy
    (and, with ``settle``, until the network is idle); save ``artifacts/<name>.png``. The
    caller checks the DOM, then ``visit.problems()``, and closes ``visit.page``."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    result = Visit(page)
    page.on("console", lambda msg: msg.type == "error" and result.console_errors.append(
        f"{msg.text} ({msg.location.get('url', '')})"))
    page.on("pageerror", lambda exc: result.console_errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: result.failed_requests.append(
        f"{req.url}: {req.failure}"))
    page.on("request", result.started)
    page.on("requestfinished", result.ended)
    page.on("requestfailed", result.ended)

    def guard(route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            result.external_requests.append(route.request.url)
            route.abort("blockedbyclient")

    page.route("**/*", guard)
    page.goto(url, wait_until="load")
    try:
        if ready:
            page.wait_for_function(ready, timeout=TIMEOUT_MS)
        if settle:
            result.settle()
    finally:  # a screenshot of the failure too
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    return result


def finish(result: Visit) -> None:
    """Close the page; fail with every problem seen (the screenshot is already saved)."""
    result.page.close()
    problems = [p for p in result.problems()
                # asv's "blocked" requests were already counted as external requests
                if not ("net::ERR_BLOCKED_BY_CLIENT" in p and result.external_requests)]
    assert not problems, "\n".join(problems)


#: the points flot drew on #main-graph (0 until asv has plotted)
PLOTTED_POINTS = """() => {
  const plot = window.jQuery && jQuery('#main-graph').data('plot');
  if (!plot) return 0;
  return plot.getData().reduce((n, s) =>
    n + s.data.filter(p => p && p[1] !== null && p[1] !== undefined).length, 0);
}"""
#: the x values of the points drawn
PLOTTED_X = """() => jQuery('#main-graph').data('plot').getData().flatMap(
  s => s.data.filter(p => p && p[1] !== null && p[1] !== undefined).map(p => p[0]))"""


@pytest.mark.parametrize("variant", ["cdn", "old-digest"])
def test_without_local_assets_asv_shows_the_swallow(variant, browser, published, artifacts,
                                                    tmp_path):
    """The failure this module exists to catch: asv's own index.html (CDN links) shows only
    the swallow error offline; and local files under the CDN's digests are blocked too."""
    import asv

    html = tmp_path / "html"
    shutil.copytree(published / "html", html)
    template = (Path(asv.__file__).parent / "www" / "index.html").read_text()
    if variant == "old-digest":  # local copies, CDN digests left in place
        published_index = (published / "html" / "index.html").read_text()
        local = dict(zip(external_references(template),
                         re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="(vendor/[^"]+)"',
                                    published_index)))
        assert len(local) == len(load_manifest().assets)
        for cdn_url, path in local.items():
            template = template.replace(f'"{cdn_url}"', f'"{path}"')
        assert 'vendor/jquery-3.3.1/dist/jquery.min.js" integrity="sha256-Fgp' in template
    (html / "index.html").write_text(template)
    with serve(html) as url:
        result = visit(browser, url + "index.html", artifacts, f"0-without-local-{variant}",
                       ready="document.body && document.body.innerText.includes('swallow')",
                       settle=False)  # blocked scripts may keep the network busy: the
        # swallow text is the state under test
    text = result.page.inner_text("body")
    for _ in range(100):  # the blocked scripts' console errors, within 10 s
        if variant == "cdn" or any("integrity" in e for e in result.console_errors):
            break
        result.page.wait_for_timeout(100)
    result.page.close()
    assert "Can not determine continental origin of swallow" in text
    if variant == "cdn":
        assert result.external_requests, "the CDN requests were not seen (and blocked)"
    else:
        assert not result.external_requests
        assert any("integrity" in e for e in result.console_errors), result.console_errors


def test_published_pages_load_no_cdn(published):
    for page in (published / "html").rglob("*.html"):
        if "vendor" not in page.parts:
            assert external_references(page.read_text()) == [], page
    vendor = published / "html" / "vendor"
    for asset in load_manifest().assets:
        assert (vendor / asset.local_path).is_file(), asset.local_path


def test_summary_lists_the_suites_benchmarks(browser, server, published, artifacts):
    benchmarks = json.loads((published / "results" / "benchmarks.json").read_text())
    expected = {name for name in benchmarks if name != "version"}
    result = visit(browser, server + "index.html", artifacts, "1-summary",
                   ready="document.querySelectorAll('a.benchmark-container').length > 0")
    page = result.page
    assert "swallow" not in page.inner_text("body").lower()
    assert not page.url.endswith("error.html")
    listed = set(page.eval_on_selector_all(
        "a.benchmark-container", "links => links.map(a => a.getAttribute('href').slice(1))"))
    assert listed == expected
    # vjplab's history page is linked from the dashboard
    assert page.locator(f"a[href='{HISTORY_PAGE}']").count() == 1
    finish(result)


def test_time_vjp_graph_has_points(browser, server, artifacts):
    result = visit(browser, server + f"index.html#{TIME_VJP}", artifacts, "2-time_vjp",
                   ready=f"({PLOTTED_POINTS})() > 0")
    page = result.page
    assert "swallow" not in page.inner_text("body").lower()
    assert page.evaluate(PLOTTED_POINTS) >= 1
    finish(result)


def test_time_vjp_graph_with_dimension_as_x_axis(browser, server, artifacts):
    """asv's x-axis selector (graphdisplay.js: a panel headed "x-axis", one button per
    parameter): choosing "dimension" redraws with the dimensions as x values."""
    result = visit(browser, server + f"index.html#{TIME_VJP}", artifacts, "3-x-axis-commit",
                   ready=f"({PLOTTED_POINTS})() > 0")
    page = result.page
    panel = page.locator(".panel", has=page.locator(".panel-heading", has_text="x-axis"))
    panel.locator("a.btn", has_text="dimension").click()
    page.wait_for_function(
        f"location.hash.includes('x-axis=dimension') && ({PLOTTED_POINTS})() > 0",
        timeout=TIMEOUT_MS)
    result.settle()
    page.screenshot(path=str(artifacts / "4-x-axis-dimension.png"), full_page=True)
    xs = page.evaluate(PLOTTED_X)
    assert xs and set(xs) <= set(GRIDS["smoke"].latency.all_dimensions), xs
    finish(result)


#: ``ready`` of a page whose every image has loaded
IMAGES_LOADED = "document.images.length > 0 && [...document.images].every(i => i.complete)"


def assert_images_loaded(page) -> None:
    """Every image of ``page`` has a non-zero natural size (it loaded and decoded)."""
    sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert sizes and all(width > 0 for width in sizes), sizes


def open_history_page(browser, base_url: str, artifacts: Path, name: str,
                      versions: list[str]) -> tuple[Visit, str]:
    """The history page under ``base_url``, its images loaded, listing ``versions``; returns
    the visit and the page's text."""
    result = visit(browser, base_url + HISTORY_PAGE, artifacts, name, ready=IMAGES_LOADED)
    text = result.page.inner_text("body")
    assert f"JAX versions: {', '.join(versions)}" in text
    assert_images_loaded(result.page)
    return result, text


def test_history_page_shows_two_jax_versions(browser, server, artifacts):
    import jax

    result, text = open_history_page(browser, server, artifacts, "5-history",
                                     [OTHER_JAX, jax.__version__])
    # the fabricated release is 1.5x faster on every time: steps are found
    assert "no step changed" not in text
    finish(result)


def test_history_page_of_two_really_recorded_releases(browser, recorded_history, artifacts):
    """The history page of `vjplab record` over two real JAX releases (each in its own asv
    virtualenv, tests/conftest.py), as published by record: both releases, plots loaded,
    nothing fetched from another host."""
    from tests.checks import RECORDED_RELEASES

    with serve(recorded_history / "html") as url:
        result, text = open_history_page(browser, url, artifacts, "7-history-recorded",
                                         list(RECORDED_RELEASES))
        assert "roll_cubic" in text
        finish(result)


def test_report_page_images_load_and_cells_equal_the_results(browser, server, published,
                                                             artifacts):
    """vjplab-report.html: every plot loads (non-zero natural size), and each latency cell of
    the full table equals asv's stored time_vjp of the results file the page reports on."""
    result = visit(browser, server + "vjplab-report.html", artifacts, "6-report",
                   ready=IMAGES_LOADED)
    page = result.page
    assert_images_loaded(page)
    rows = page.eval_on_selector_all(
        "#strategies tr[data-family]",
        "rows => rows.map(r => [r.dataset.family, r.dataset.strategy, r.dataset.dimension,"
        " r.dataset.locality, r.cells[1].dataset.value || null])")
    assert rows, "the report's full table has no rows"
    header = page.inner_text("body")
    files = [p for p in (published / "results").glob("*/*.json") if p.name != "machine.json"]
    (reported,) = [json.loads(p.read_text()) for p in files
                   if f"jax {json.loads(p.read_text())['params']['jax']} on" in header]
    columns = dict(zip(reported["result_columns"],
                       reported["results"]["bench_vjp.TimeVJP.time_vjp"]))
    stored = dict(zip(itertools.product(*columns["params"]), columns["result"]))
    checked = 0
    for family, strategy, dimension, locality, value in rows:
        if value is None:
            continue
        key = (repr(family), repr(strategy), dimension, locality, repr("float32"))
        assert float(value) == stored[key], (key, value, stored[key])
        checked += 1
    assert checked >= len(vjplab_strategies())  # at least one family's row of strategies
    finish(result)


def vjplab_strategies() -> list[str]:
    import vjplab

    return vjplab.strategies()


def test_regression_page_of_a_fabricated_history(browser, artifacts, tmp_path):
    """The regression section at the top of the history page (tests/regression_history.py:
    two machines, three releases, five parameters, fingerprints, one bisect verdict): JAX
    steps per machine newest first, causes worst first, the bisected release, the next
    command, the caught-by table; a screenshot of the top of the page."""
    from tests.regression_history import fabricate, verdict, write_verdict
    from vjplab.cli import main

    root = fabricate(tmp_path / "results")
    write_verdict(tmp_path / "bisect", "sd3d.json", verdict())
    assert main(["history", "--results-dir", str(root), "--html-dir",
                 str(tmp_path / "html")]) == 0
    with serve(tmp_path / "html") as url:
        result, text = open_history_page(browser, url, artifacts, "8-regression-page",
                                         ["0.6.2", "0.7.2", "0.8.3"])
        page = result.page
        sections = page.eval_on_selector_all(
            "section.jax-step", "s => s.map(e => [e.dataset.machine, e.dataset.before, "
            "e.dataset.after])")
        assert sections == [["reference", "0.6.2", "0.7.2"], ["vm", "0.7.2", "0.8.3"],
                            ["vm", "0.6.2", "0.7.2"]]
        vm = page.locator("section.jax-step[data-machine='vm'][data-before='0.6.2']")
        causes = vm.locator(".cause-group").evaluate_all("g => g.map(e => e.dataset.cause)")
        assert causes == ["same program", "program changed"]
        same = vm.locator(".cause-group[data-cause='same program']").inner_text()
        assert "time_vjp 1.80x, track_device_time 1.70x" in same
        assert "first slower: 0.7.0 (bisected on time_vjp" in same
        changed = vm.locator(".cause-group[data-cause='program changed']")
        assert 'vjplab bisect "time_vjp(\'roll_cubic\', \'jax_vjp\', 100, 1, \'float32\')" ' \
               "--from 0.6.2 --to 0.7.2" in changed.inner_text()
        assert changed.locator("a", has_text="diff of the HLO").count() == 1
        vm.locator("details.caught-by summary").click()
        caught = vm.locator("details.caught-by tr[data-kind='track_compile_time'] td")
        assert caught.all_inner_texts()[2:4] == ["8", "0"]
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / "8-regression-page-top.png"))
        # the regression section comes before the old table and the plots
        order = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.id || "
                              "h.parentElement.id)")
        assert order[:3] == ["regressions", "summary", "steps"]
        finish(result)


def fabricate_reference(results_dir: Path, target: Path, factor: float) -> Path:
    """A reference directory (laid out like results/reference/) made of ``results_dir``'s
    files relabelled as the reference machine, every value x ``factor``."""
    from vjplab.reference import REFERENCE_MACHINE

    machine_dir = target / "results" / REFERENCE_MACHINE
    machine_dir.mkdir(parents=True)
    shutil.copy(results_dir / "benchmarks.json", target / "results" / "benchmarks.json")
    (machine_dir / "machine.json").write_text(json.dumps({"machine": REFERENCE_MACHINE,
                                                          "version": 1}))
    for path in results_dir.glob("*/*.json"):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        data["params"]["machine"] = REFERENCE_MACHINE
        for row in data["results"].values():
            row[0] = [v * factor if isinstance(v, (int, float)) else v for v in row[0]]
        (machine_dir / path.name).write_text(json.dumps(data))
    (target / "MACHINE.md").write_text("Summary: a fabricated test machine\n")
    return target


def test_pages_beside_a_reference_machine(browser, published, artifacts, tmp_path):
    """The history page and the report with a (fabricated) reference machine: its banner,
    plots with both machines that load, and the report's section with a median ratio."""
    from vjplab.cli import main
    from vjplab.reference import REFERENCE_MACHINE

    reference = fabricate_reference(published / "results", tmp_path / "reference", 2.0)
    html = tmp_path / "html"
    for command in ("history", "report"):
        assert main([command, "--results-dir", str(published / "results"), "--html-dir",
                     str(html), "--reference-dir", str(reference)]) == 0
    with serve(html) as url:
        import jax

        result, text = open_history_page(browser, url, artifacts, "10-history-reference",
                                         [OTHER_JAX, jax.__version__])
        assert f"reference machine: {REFERENCE_MACHINE}, a fabricated test machine" in text
        assert "beside the reference machine" in text  # a caption of a panel with both
        finish(result)
        result = visit(browser, url + "vjplab-report.html", artifacts, "11-report-reference",
                       ready=IMAGES_LOADED)
        section = result.page.inner_text("#reference")
        assert "Your run beside the reference machine" in section
        count = result.page.get_attribute("#reference .headline", "data-count")
        assert int(count) > 0
        assert "0.50x" in section  # every value of the reference is twice the run's
        finish(result)
