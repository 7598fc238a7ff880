"""A small PNG of the top of a published run report (the README's screenshot).

    python .ci/report_screenshot.py HTML_DIR OUT.png [--width 1200] [--until img]
                                    [--max-kb 250]

HTML_DIR is a published html directory (`vjplab bench` or `vjplab publish`, e.g.
`python -m vjplab publish --output-dir DIR` then DIR/html). It is served on 127.0.0.1 and
opened in the system's headless Chromium (Debian's chromium, driven by Playwright for Python
as in tests/test_browser.py, so it needs the test extra: `pip install -e '.[test]'`; no
browser download, no host but 127.0.0.1). The shot is the page's full width at --width CSS
pixels, from the top down to the bottom of the first element matching --until (default: the
first plot), i.e. the seed case, the "which strategy" table and the first family's latency
plot.

The PNG is then made small: with Pillow (a matplotlib dependency, so normally present) it is
reduced to an adaptive palette (octree, which keeps the plots' line colours) and, while over
--max-kb, scaled down; without Pillow Chromium renders at a smaller device scale factor.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PAGE = "vjplab-report.html"
#: Chromium resolves no host but 127.0.0.1 (as in tests/test_browser.py)
CHROMIUM_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
#: palette sizes tried, largest first, before scaling down
COLOURS = (128, 64)
#: the smallest scale (of --width) the PNG may be shrunk to
MIN_SCALE = 0.5


def shoot(html_dir: Path, width: int, until: str, scale: float = 1.0) -> bytes:
    """PNG bytes of PAGE from the top to the bottom of the first ``until`` element."""
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tests.test_browser import find_chromium, serve

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no chromium found (apt-get install chromium, or set VJPLAB_CHROMIUM)")
    blocked: list[str] = []

    def guard(route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    with serve(html_dir) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900},
                                    device_scale_factor=scale)
            page.route("**/*", guard)
            page.goto(url + PAGE, wait_until="load")
            page.wait_for_load_state("networkidle")
            end = page.locator(until).first
            if end.count() == 0:
                raise SystemExit(f"{PAGE} has no element matching {until!r}")
            if end.evaluate("e => e.tagName === 'IMG' && !e.naturalWidth"):
                raise SystemExit(f"{PAGE}: the image {until!r} did not load")
            box = end.bounding_box()
            bottom = box["y"] + box["height"]
            png = page.screenshot(clip={"x": 0, "y": 0, "width": width, "height": bottom},
                                  full_page=True)
        finally:
            browser.close()
    if blocked:
        print(f"blocked {len(blocked)} request(s) off 127.0.0.1: {blocked[0]}", file=sys.stderr)
    return png


def shrink_with_pillow(png: bytes, max_bytes: int) -> bytes:
    """Palette PNG, scaled down in 10% steps while larger than ``max_bytes``."""
    from PIL import Image

    original = Image.open(io.BytesIO(png)).convert("RGB")
    scale = 1.0
    while True:
        image = original if scale == 1.0 else original.resize(
            (round(original.width * scale), round(original.height * scale)),
            Image.Resampling.LANCZOS)
        for colours in COLOURS:
            out = io.BytesIO()
            image.quantize(colours, method=Image.Quantize.FASTOCTREE).save(
                out, "PNG", optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue()
        if scale <= MIN_SCALE:
            return out.getvalue()
        scale = max(MIN_SCALE, round(scale - 0.1, 2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", type=Path, help="a published html directory")
    parser.add_argument("output", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1200, help="viewport width, CSS px")
    parser.add_argument("--until", default="img",
                        help="CSS selector: the shot ends below its first match "
                             "(default: the first plot)")
    parser.add_argument("--max-kb", type=int, default=250, help="size target of the PNG")
    args = parser.parse_args(argv)
    if not (args.html_dir / PAGE).is_file():
        parser.error(f"{args.html_dir / PAGE} does not exist (publish first)")
    max_bytes = args.max_kb * 1024
    try:
        import PIL  # noqa: F401
        have_pillow = True
    except ImportError:
        have_pillow = False
    if have_pillow:
        png = shrink_with_pillow(shoot(args.html_dir, args.width, args.until), max_bytes)
    else:  # let Chromium render fewer pixels
        scale = 1.0
        png = shoot(args.html_dir, args.width, args.until, scale)
        while len(png) > max_bytes and scale > MIN_SCALE:
            scale = max(MIN_SCALE, round(scale - 0.1, 2))
            png = shoot(args.html_dir, args.width, args.until, scale)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(png)
    print(f"{args.output}: {len(png) / 1024:.0f} KB"
          + ("" if len(png) <= max_bytes else f" (over the {args.max_kb} KB target)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
