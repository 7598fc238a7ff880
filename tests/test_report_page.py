"""The run report (vjplab-report.html) and the run manifest, on fabricated asv results.

Expected values are read straight from the results JSON (tests/checks.asv_values), never
through vjplab's own loader, and the page is parsed with html.parser.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.asv_files import write_file
from tests.checks import asv_values
from vjplab.cli import main
from vjplab.dashboard import report_page, report_plots, run_manifest
from vjplab.dashboard.run_data import DEVICE, LATENCY, MEMORY, NO_MANIFEST
from vjplab.history.results import load_results
from vjplab.measure.report import format_count, format_seconds

FAMILIES = ["banded_conv", "roll_cubic"]
STRATEGIES = ["exact", "grad_dot", "jax_vjp", "linearize_transpose", "naive_jacfwd",
              "naive_jacrev"]
DENSE = {"naive_jacfwd", "naive_jacrev"}
DIMS, LOCS = [100, 1000, 10000], [1, 16]
PARAMS = [[repr(f) for f in FAMILIES], [repr(s) for s in STRATEGIES], [str(n) for n in DIMS],
          [str(k) for k in LOCS]]
#: per-strategy scale and exponent of N (the dense routes grow as N^2)
LAW = {"exact": (3e-8, 1), "grad_dot": (1.1e-7, 1), "jax_vjp": (1e-7, 1),
       "linearize_transpose": (1.05e-7, 1), "naive_jacfwd": (2e-9, 2), "naive_jacrev": (3e-9, 2)}
DENSE_REASON = "naive forms the dense Jacobian; this grid runs it only at dimensions 100, 1000"
BUDGET_REASON = "naive_jacfwd needs about 2000 MiB for banded_conv N=1000, over the budget"
SEED_COMMIT = "bbbb2222" * 5


def _latency(family: str, strategy: str, n: int, k: int) -> float | None:
    if strategy in DENSE and n == 10000:
        return None
    if (family, strategy, n, k) == ("banded_conv", "naive_jacfwd", 1000, 16):
        return None
    scale, power = LAW[strategy]
    return 5e-6 + scale * n ** power * (1 + 0.1 * k) * (1.2 if family == "banded_conv" else 1)


def _metric(family: str, strategy: str, n: int, k: int, factor: float) -> float | None:
    """Metrics sweep: N = 100, 1000 at k = 1 only."""
    if k != 1 or n == 10000:
        return None
    scale, power = LAW[strategy]
    return factor * scale * n ** power


def fabricate(root: Path, *, commit: str = SEED_COMMIT, manifest: bool = True,
              date: int = 2_000, started_at: int = 5_000) -> Path:
    """A results file over PARAMS (latency, device time, XLA memory) and its manifest."""
    combos = list(itertools.product(FAMILIES, STRATEGIES, DIMS, LOCS))
    meta = {name: {"name": name, "version": "v1" * 32, "param_names": ["family", "strategy",
                                                                       "dimension", "locality"],
                   "unit": unit, "type": kind}
            for name, unit, kind in ((LATENCY, "seconds", "time"), (DEVICE, "seconds", "track"),
                                     (MEMORY, "bytes", "track"))}
    root.mkdir(parents=True, exist_ok=True)
    (root / "benchmarks.json").write_text(json.dumps({**meta, "version": 2}))
    row = lambda values: [values, PARAMS, "v1" * 32, started_at, 1.0]  # noqa: E731
    results = {LATENCY: row([_latency(*c) for c in combos]),
               DEVICE: row([_metric(*c, 0.5) for c in combos]),
               MEMORY: row([_metric(*c, 4e3) for c in combos])}
    path = write_file(root, results, commit=commit, date=date)
    if manifest:
        run_manifest.manifest_path(path).write_text(json.dumps(fake_manifest(path)))
    return path


def fake_manifest(path: Path) -> dict:
    sweep = {"families": FAMILIES, "strategies": STRATEGIES}
    skips = [[f, s, 10000, k, DENSE_REASON] for f in FAMILIES for s in sorted(DENSE) for k in LOCS]
    skips.append(["banded_conv", "naive_jacfwd", 1000, 16, BUDGET_REASON])
    accuracy = [[f, s, 100, k, 1e-7 * (i + 1), None]
                for f in FAMILIES for i, s in enumerate(STRATEGIES) for k in LOCS]
    return {"format": run_manifest.FORMAT, "version": run_manifest.VERSION,
            "results_file": f"{path.parent.name}/{path.name}", "written_at": "2026-11-26T13:00",
            "grid": "fake", "bench_regex": None,
            "sweeps": {"latency": {**sweep, "dimensions": [100, 1000], "large_dimensions": [10000],
                                   "localities": LOCS},
                       "metrics": {**sweep, "dimensions": [100, 1000], "large_dimensions": [],
                                   "localities": [1]}},
            "skips": {"latency": skips, "metrics": []},
            "jax": "0.10.2", "jaxlib": "0.10.2", "python": "3.11.2", "python_executable": "py",
            "machine": {"cpu_model": "Test CPU 9000", "cpu_count": 2, "backend": "cpu",
                        "devices": "1 x cpu", "platform": "Linux"},
            "protocol": {"rounds": 3, "pinning": "pinned to CPU 1", "summary": "PROTOCOL TEXT"},
            "accuracy": {"dtype": "float32", "definition": "d", "max_dimension": 1000,
                         "values": accuracy}}


class Page(HTMLParser):
    """Tables (by id) as rows of cells; each cell: (attrs, text); links; images; footnotes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[tuple[dict, str]]]]] = {}
        self.images: list[str] = []
        self.links: list[str] = []
        self.notes: dict[str, str] = {}
        self._table = self._row = self._cell = self._note = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = (attrs, [])
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [attrs, ""]
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "a":
            self.links.append(attrs.get("href", ""))
        elif tag == "li" and attrs.get("id", "").startswith("gap-"):
            self._note = attrs["id"]
            self.notes[self._note] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row[1].append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "table":
            self._table = self._row = None
        elif tag == "li":
            self._note = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data
        if self._note is not None:
            self.notes[self._note] += data


def parse(page: Path) -> Page:
    parser = Page()
    parser.feed(page.read_text())
    return parser


def stored(path: Path) -> dict[str, dict[tuple, object]]:
    """benchmark -> {(family, strategy, N, k): value} straight from the results JSON."""
    data = json.loads(path.read_text())
    return {b: {(c[0].strip("'"), c[1].strip("'"), int(c[2]), int(c[3])): v
                for c, v in asv_values(data, b).items()} for b in (LATENCY, DEVICE, MEMORY)}


def strategy_rows(page: Page) -> dict[tuple, list[tuple[dict, str]]]:
    rows = {}
    for attrs, cells in page.tables["strategies"]:
        if "data-family" in attrs:
            key = (attrs["data-family"], attrs["data-strategy"], int(attrs["data-dimension"]),
                   int(attrs["data-locality"]))
            rows[key] = cells
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One report of the fabricated results (read-only for the tests that use it)."""
    root = tmp_path_factory.mktemp("report")
    path = fabricate(root / "results")
    page = report_page.write_report(root / "results", root / "html")
    return path, page, parse(page)


def test_table_cells_equal_the_results_json(report):
    path, _, page = report
    values = stored(path)
    rows = strategy_rows(page)
    assert len(rows) == len(FAMILIES) * len(STRATEGIES) * len(DIMS) * len(LOCS)
    checked = 0
    for combo, cells in rows.items():
        for column, benchmark, fmt in ((1, LATENCY, format_seconds), (3, DEVICE, format_seconds),
                                       (6, MEMORY, lambda v: format_count(v, "B"))):
            attrs, text = cells[column]
            value = values[benchmark][combo]
            if value is None:
                assert "data-value" not in attrs and attrs.get("class") == "gap"
            else:
                assert float(attrs["data-value"]) == value and text == fmt(value)
                checked += 1
        exact = values[LATENCY][(combo[0], "exact", combo[2], combo[3])]
        if values[LATENCY][combo] is not None:
            assert float(cells[2][0]["data-value"]) == pytest.approx(values[LATENCY][combo] / exact)
    assert checked > 100


def test_seed_case_numbers_and_ratio(report):
    path, _, page = report
    latency = stored(path)[LATENCY]
    naive = latency[("roll_cubic", "naive_jacrev", 100, 1)]
    auto = latency[("roll_cubic", "jax_vjp", 100, 1)]
    (_, header), (_, cells) = page.tables["seed"][0], page.tables["seed"][1]
    assert [t for _, t in header] == ["", "naive_jacrev", "jax_vjp", "naive / jax.vjp"]
    assert float(cells[1][0]["data-value"]) == naive and cells[1][1] == format_seconds(naive)
    assert float(cells[2][0]["data-value"]) == auto
    assert float(cells[3][0]["data-value"]) == pytest.approx(naive / auto)
    assert cells[3][1] == f"{naive / auto:.1f}× slower"


def test_fastest_table_names_the_lowest_latency(report):
    path, _, page = report
    latency = stored(path)[LATENCY]
    rows = page.tables["fastest"]
    dims = [int(t.split("= ")[1].replace("1e3", "1000").replace("1e4", "10000"))
            for _, t in rows[0][1][2:]]
    assert dims == DIMS
    for _, cells in rows[1:]:
        family, k = cells[0][1], int(cells[1][1])
        for n, (attrs, _) in zip(dims, cells[2:]):
            measured = {s: latency[(family, s, n, k)] for s in STRATEGIES
                        if latency[(family, s, n, k)] is not None}
            assert attrs["data-strategy"] == min(measured, key=measured.get)
            assert float(attrs["data-value"]) == min(measured.values())


def test_images_are_written_and_linked(report):
    _, page_path, page = report
    assert len(page.images) == len(FAMILIES) * 2  # latency and device time per family
    for src in page.images:
        image = page_path.parent / src
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 1000


def test_gaps_carry_the_manifests_reason_in_a_footnote(report):
    _, _, page = report
    rows = strategy_rows(page)
    for combo, reason in ((("roll_cubic", "naive_jacrev", 10000, 1), DENSE_REASON),
                          (("banded_conv", "naive_jacfwd", 1000, 16), BUDGET_REASON)):
        attrs, text = rows[combo][1]
        assert attrs["class"] == "gap" and "data-value" not in attrs and text.startswith("—")
        number = text[1:]
        assert page.notes[f"gap-{number}"] == reason and f"#gap-{number}" in page.links
    # k = 16 is outside the metrics sweep: its own reason, not the dense one
    attrs, text = rows[("roll_cubic", "jax_vjp", 100, 16)][3]
    assert "not in the 'fake' grid's metrics sweep" in page.notes[f"gap-{text[1:]}"]
    # accuracy: measured at N = 100 only (the manifest's values), a gap elsewhere
    assert float(rows[("roll_cubic", "jax_vjp", 100, 16)][7][0]["data-value"]) == 3e-7
    attrs, text = rows[("roll_cubic", "jax_vjp", 1000, 1)][7]
    assert attrs["class"] == "gap"
    assert "(N = 100 k = 1, N = 100 k = 16)" in page.notes[f"gap-{text[1:]}"]


def test_without_a_manifest_gaps_say_no_reason_was_recorded(tmp_path):
    fabricate(tmp_path / "results", manifest=False)
    page = parse(report_page.write_report(tmp_path / "results", tmp_path / "html"))
    attrs, text = strategy_rows(page)[("roll_cubic", "naive_jacrev", 10000, 1)][1]
    assert attrs["class"] == "gap" and page.notes[f"gap-{text[1:]}"] == NO_MANIFEST


def test_csv_and_json_downloads_hold_the_table(report):
    path, page_path, page = report
    values = stored(path)
    assert "vjplab-report.csv" in page.links and "vjplab-report.json" in page.links
    with open(page_path.parent / "vjplab-report.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    data = json.loads((page_path.parent / "vjplab-report.json").read_text())
    assert len(rows) == len(data["rows"]) == len(strategy_rows(page))
    for row, record in zip(rows, data["rows"]):
        combo = (row["family"], row["strategy"], int(row["dimension"]), int(row["locality"]))
        assert combo == (record["family"], record["strategy"], record["dimension"],
                         record["locality"])
        for column, benchmark in (("latency_s", LATENCY), ("device_time_s", DEVICE),
                                  ("xla_memory_bytes", MEMORY)):
            value = values[benchmark][combo]
            assert record[column] == value
            assert row[column] == ("" if value is None else repr(float(value)))
        if values[LATENCY][combo] is None:
            assert record["latency_missing"] and row["latency_missing"]
    accuracy = {r["strategy"]: r["float32_max_rel_error"] for r in data["rows"]
                if r["family"] == "roll_cubic" and r["dimension"] == 100 and r["locality"] == 1}
    assert accuracy == {s: 1e-7 * (i + 1) for i, s in enumerate(STRATEGIES)}
    assert data["seed_case"]["latency"]["naive_jacrev"] == values[LATENCY][
        ("roll_cubic", "naive_jacrev", 100, 1)]


def test_page_states_machine_versions_grid_and_protocol(report):
    _, page_path, _ = report
    text = page_path.read_text()
    for needle in ("Test CPU 9000", "0.10.2", "fake (latency: N = 100, 1e3, 1e4", "PROTOCOL TEXT",
                   "pinned to CPU 1", "3 asv rounds", SEED_COMMIT[:8]):
        assert needle in text, needle
    assert "<script" not in text


def test_only_the_newest_results_file_is_this_run(tmp_path):
    old = fabricate(tmp_path / "results", commit="cccc3333" * 5, started_at=1_000)
    data = json.loads(old.read_text())
    values = data["results"][LATENCY][0]
    data["results"][LATENCY][0] = [7.0 if v is not None else None for v in values]
    old.write_text(json.dumps(data))
    fabricate(tmp_path / "results", started_at=9_000)
    page = report_page.write_report(tmp_path / "results", tmp_path / "html")
    cells = strategy_rows(parse(page))[("roll_cubic", "exact", 100, 1)]
    assert float(cells[1][0]["data-value"]) != 7.0
    older = report_page.write_report(tmp_path / "results", tmp_path / "old", commit="cccc")
    cells = strategy_rows(parse(older))[("roll_cubic", "exact", 100, 1)]
    assert float(cells[1][0]["data-value"]) == 7.0


def test_bad_inputs_raise_value_errors_naming_allowed_values(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        report_page.write_report(tmp_path / "missing", tmp_path / "html")
    fabricate(tmp_path / "results")
    with pytest.raises(ValueError, match="allowed: bbbb2222"):
        report_page.write_report(tmp_path / "results", tmp_path / "html", commit="dead")
    with pytest.raises(ValueError, match="allowed: vm"):
        report_page.write_report(tmp_path / "results", tmp_path / "html", machine="nope")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file"):
        report_page.write_report(tmp_path / "results", tmp_path / "file")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no asv results"):
        report_page.write_report(tmp_path / "empty", tmp_path / "html")
    with pytest.raises(ValueError, match="allowed: default"):
        run_manifest.write_run_manifest(next((tmp_path / "results" / "vm").glob("b*.json")), "huge")
    with pytest.raises(ValueError, match=r"allowed: a \*\.json"):
        run_manifest.manifest_path(tmp_path / "results" / "vm" / "machine.txt")
    with pytest.raises(ValueError, match=r"allowed: a \*\.json"):
        run_manifest.manifest_path(tmp_path / "results" / "vm" / "machine.json")


def test_manifest_round_trip_and_asv_ignores_it(tmp_path):
    """A real manifest of the 'tiny' grid (two float32 compiles at N = 100)."""
    path = write_file(tmp_path / "results", {}, commit=SEED_COMMIT)
    data = json.loads(path.read_text())
    data["python"] = sys.executable
    path.write_text(json.dumps(data))
    before = len(load_results(tmp_path / "results").files)
    written = run_manifest.record_run(tmp_path / "results", SEED_COMMIT, "tiny", bench="exact")
    assert written == run_manifest.manifest_path(path) and written.suffix == ".manifest"
    manifest = run_manifest.read_run_manifest(path)
    assert manifest == json.loads(written.read_text())
    assert manifest["grid"] == "tiny" and manifest["bench_regex"] == "exact"
    assert manifest["sweeps"]["latency"]["strategies"] == ["exact", "jax_vjp"]
    errors = {(f, s, n, k): e for f, s, n, k, e, _ in manifest["accuracy"]["values"]}
    assert set(errors) == {("roll_cubic", "exact", 100, 1), ("roll_cubic", "jax_vjp", 100, 1)}
    assert all(0 <= e < 1e-5 for e in errors.values())
    assert manifest["jax"] and manifest["jaxlib"] and manifest["machine"]["backend"]
    # invisible to asv and to vjplab.history (both read *.json only)
    from asv.results import iter_results_paths

    assert [name for _, name, _ in iter_results_paths(str(tmp_path / "results"))] == [path.name]
    assert len(load_results(tmp_path / "results").files) == before
    assert run_manifest.record_run(tmp_path / "results", "f" * 40, "tiny") is None


def test_float32_accuracy_detects_a_wrong_vjp(monkeypatch):
    import vjplab

    good = run_manifest.float32_accuracy([("roll_cubic", "jax_vjp", 20, 1)])[0][4]
    real = vjplab.vjp
    monkeypatch.setattr(vjplab, "vjp", lambda s, p: (lambda x, c: real(s, p)(x, c) * 1.01))
    bad = run_manifest.float32_accuracy([("roll_cubic", "jax_vjp", 20, 1)])[0][4]
    assert good < 1e-6 and bad > 5e-3


def test_dashboard_banner_and_history_link(tmp_path, report):
    (tmp_path / "html").mkdir()
    index = tmp_path / "html" / "index.html"
    assert report_page.link_report_from_dashboard(tmp_path / "html") is False
    index.write_text("<html><body class='x'><div>asv</div></body></html>")
    assert report_page.link_report_from_dashboard(tmp_path / "html") is True
    report_page.link_report_from_dashboard(tmp_path / "html")
    text = index.read_text()
    assert text.count('href="vjplab-report.html"') == 1
    assert text.index("vjplab-report.html") < text.index("<div>asv</div>")
    (tmp_path / "html" / "error.html").write_text("<html><body><h1>swallow</h1></body></html>")
    report_page.link_report_from_dashboard(tmp_path / "html")
    assert 'href="vjplab-report.html"' in (tmp_path / "html" / "error.html").read_text()
    (tmp_path / "html" / "index.html").write_text("<html>no body</html>")
    with pytest.raises(ValueError, match="no <body> tag"):
        report_page.link_report_from_dashboard(tmp_path / "html")
    from vjplab.history.report import build_history, write_html

    results_dir = report[0].parent.parent
    history = write_html(build_history(load_results(results_dir)), tmp_path / "html")
    assert 'href="vjplab-report.html"' in history.read_text()


def test_cli_report(tmp_path, capsys):
    fabricate(tmp_path / "results")
    assert main(["report", "--results-dir", str(tmp_path / "results"),
                 "--html-dir", str(tmp_path / "html")]) == 0
    assert "report: " in capsys.readouterr().out
    assert (tmp_path / "html" / "vjplab-report.html").is_file()
    assert main(["report", "--results-dir", str(tmp_path / "none"),
                 "--html-dir", str(tmp_path / "html")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_growth_exponent_is_the_log_log_slope():
    assert report_plots.growth_exponent([100, 1000, 10000], [1e-4, 1e-2, 1.0]) == pytest.approx(2)
    assert report_plots.growth_exponent([100, 1000, 10000], [1e-5, float("nan"), 1e-3]) == \
        pytest.approx(1)
    assert report_plots.growth_exponent([100], [1e-5]) is None


def test_fastest_table_names_the_best_strategy_without_a_hand_written_adjoint(report):
    path, page_path, _ = report
    latency = stored(path)[LATENCY]
    text = page_path.read_text()
    measured = {s: latency[("roll_cubic", s, 10000, 1)] for s in STRATEGIES if s != "exact"
                and latency[("roll_cubic", s, 10000, 1)] is not None}
    best = min(measured, key=measured.get)
    ratio = measured[best] / latency[("roll_cubic", "exact", 10000, 1)]
    assert (f'<small data-autodiff="{best}">without it: {best} '
            f'{format_seconds(measured[best])} ({ratio:.1f}&times;)</small>') in text


def test_a_missing_seed_number_is_a_gap_not_a_zero(tmp_path):
    path = fabricate(tmp_path / "results")
    data = json.loads(path.read_text())
    combos = list(itertools.product(FAMILIES, STRATEGIES, DIMS, LOCS))
    for n in (100, 1000):  # neither seed size measured: the seed table keeps N = 100's gap
        data["results"][LATENCY][0][combos.index(("roll_cubic", "naive_jacrev", n, 1))] = None
    path.write_text(json.dumps(data))
    page_path = report_page.write_report(tmp_path / "results", tmp_path / "html")
    page = parse(page_path)
    assert "The seed case: roll_cubic, N = 100, k = 1" in page_path.read_text()
    cells = page.tables["seed"][1][1]
    assert cells[1][0]["class"] == "gap" and "data-value" not in cells[1][0]
    assert cells[3][1] == "no ratio"
    assert page.notes[f"gap-{cells[1][1][1:]}"] == ("no value stored: the benchmark failed "
                                                     "(see asv's log)")


def test_seed_case_moves_to_1e3_where_the_run_lacks_n_100(tmp_path):
    """The default grid starts at N = 1e3: the seed case is shown there, with numbers."""
    path = fabricate(tmp_path / "results")
    data = json.loads(path.read_text())
    combos = list(itertools.product(FAMILIES, STRATEGIES, DIMS, LOCS))
    data["results"][LATENCY][0][combos.index(("roll_cubic", "naive_jacrev", 100, 1))] = None
    path.write_text(json.dumps(data))
    page_path = report_page.write_report(tmp_path / "results", tmp_path / "html")
    page = parse(page_path)
    assert "The seed case: roll_cubic, N = 1000, k = 1" in page_path.read_text()
    cells = page.tables["seed"][1][1]
    assert cells[1][0].get("class") != "gap" and cells[3][1] != "no ratio"


def test_seed_headline_says_how_naive_grows_with_n(report, tmp_path):
    path, page_path, _ = report
    latency = stored(path)[LATENCY]
    naive = [latency[("roll_cubic", "naive_jacrev", n, 1)] for n in (100, 1000)]
    auto = [latency[("roll_cubic", "jax_vjp", n, 1)] for n in (100, 1000)]
    slope = report_plots.growth_exponent([100, 1000], naive)
    text = page_path.read_text()
    assert (f"From N = 100 to 1e3, naive_jacrev's latency grows as N<sup>{slope:.1f}</sup>"
            in text)
    assert f"<b>{naive[1] / auto[1]:.0f}&times;</b> as long" in text
    single = tmp_path / "single"
    write_file(single, {LATENCY: [[1e-4, 2e-5], [["'roll_cubic'"], ["'naive_jacrev'", "'jax_vjp'"],
                                                ["100"], ["1"]], "v", 1, 1.0]})
    page = report_page.write_report(single, tmp_path / "single-html").read_text()
    assert "measured both at one size, N = 100: run a grid with more sizes" in page


def test_vjplab_bench_writes_the_manifest_beside_its_results(tmp_path, monkeypatch, capsys):
    """asv is replaced by a function that saves a results file as asv would."""
    from vjplab import suite

    head = suite.git_head(suite.repo_root())

    def fake_asv(cmd, env, cwd):
        if "run" in cmd:
            path = write_file(tmp_path / "out" / "results", {}, commit=head)
            data = json.loads(path.read_text())
            data["python"] = sys.executable
            path.write_text(json.dumps(data))

    monkeypatch.setattr(suite, "run_logged", fake_asv)
    assert main(["bench", "--grid", "tiny", "--no-publish", "--allow-dirty",
                 "--output-dir", str(tmp_path / "out")]) == 0
    results = next((tmp_path / "out" / "results" / "vm").glob(f"{head[:8]}-*.json"))
    manifest = run_manifest.read_run_manifest(results)
    assert manifest is not None and manifest["grid"] == "tiny"
    assert f"run manifest: {run_manifest.manifest_path(results)}" in capsys.readouterr().out


def test_a_run_without_latency_or_metrics_still_gives_a_page(tmp_path):
    from tests.asv_files import PEAKMEM, entry

    write_file(tmp_path / "results", {PEAKMEM: entry([2e8, 2e8])})
    page = report_page.write_report(tmp_path / "results", tmp_path / "html")
    parsed = parse(page)
    assert parsed.images == [] and "No measured latency or device time" in page.read_text()
    assert [t for _, t in parsed.tables["seed"][1][1]][3] == "no ratio"


def test_numbers_are_formatted_for_reading():
    assert format_seconds(9.9996e-7) == "1 us" and format_seconds(9.9e-7) == "990 ns"
    assert [report_page.format_ratio(r) for r in (0.974, 8.214, 48.46, 825.47)] == \
        ["0.97", "8.21", "48.5", "825"]


def test_a_bench_regex_limits_the_table_to_what_it_selected(tmp_path):
    path = fabricate(tmp_path / "results")
    manifest = fake_manifest(path)
    manifest["bench_regex"] = "TimeVJP.*roll_cubic"
    run_manifest.manifest_path(path).write_text(json.dumps(manifest))
    data = json.loads(path.read_text())  # as asv would store it: no device time ran
    data["results"][DEVICE][0] = [None] * len(data["results"][DEVICE][0])
    path.write_text(json.dumps(data))
    page = parse(report_page.write_report(tmp_path / "results", tmp_path / "html"))
    rows = strategy_rows(page)
    assert rows and {c[0] for c in rows} == {"roll_cubic"}
    assert len(page.tables["fastest"]) == 1 + len(LOCS)  # header + roll_cubic at each k
    attrs, text = rows[("roll_cubic", "jax_vjp", 100, 1)][3]  # device time: not selected
    assert "not selected by --bench 'TimeVJP.*roll_cubic'" in page.notes[f"gap-{text[1:]}"]


def test_other_machines_of_the_results_directory_stand_beside_this_run(tmp_path):
    """A GPU merged in (vjplab merge): the report sets its values beside this run's, with the
    ratio; a directory of one machine has no such section."""
    results = tmp_path / "results"
    mine = fabricate(results, started_at=9_000)
    solo = report_page.write_report(results, tmp_path / "solo", machine="vm")
    assert 'id="machines"' not in solo.read_text()
    data = json.loads(mine.read_text())
    for name in (LATENCY, DEVICE):  # the other machine: every value halved
        data["results"][name][0] = [v / 2 if v is not None else None
                                    for v in data["results"][name][0]]
    other = write_file(results, data["results"], machine="gpu-test", commit=SEED_COMMIT,
                       jax="0.11.2", date=1_500)
    page = report_page.write_report(results, tmp_path / "html", machine="vm")
    text = page.read_text()
    assert 'id="machines"' in text
    section = text[text.index('id="machines"'):]
    section = section[:section.index("</section>")]
    plain = re.sub(r"<[^>]+>", " ", section)
    assert "gpu-test" in plain and "jax 0.11.2, the same commit" in plain
    assert "latency 0.5x this run's" in plain and "device time 0.5x" in plain
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", section)[1:]:
        cells = re.findall(r"<td>(.*?)</td>", tr)
        rows[tuple(cells[:4])] = cells
    mine_value = _latency("roll_cubic", "exact", 1000, 16)
    cells = rows[("roll_cubic", "1e3", "16", "exact")]
    assert cells[4] == format_seconds(mine_value) and cells[5] == format_seconds(mine_value / 2)
    assert cells[6] == "0.5x"
    assert ("banded_conv", "1e4", "1", "naive_jacrev") not in rows  # a gap there: no row
    assert other.exists() and mine.exists()  # read, never written
