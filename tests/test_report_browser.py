"""The report and the diagram in a real browser: Debian's headless Chromium driven by Playwright.

Skipped when /usr/bin/chromium is missing (.ci/run installs it); Playwright never downloads a browser here.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xmfin.graph import OwnershipGraph
from xmfin.licensing import licences_by_holder
from xmfin.output.diagram import build_chart, svg_document
from xmfin.output.report import report_html
from xmfin.storage.loading import load

from .conftest import TODAY, graph_of
from .test_diagram import write_big_group

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium: install Debian's chromium package to run the browser tests", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# For every entity box: the widest of its text lines as the browser measures it, against the box's width.
TEXT_FIT = """
() => Array.from(document.querySelectorAll('svg g.entity')).map(g => ({
  id: g.dataset.id,
  box: g.querySelector('rect.box').getBBox().width,
  text: Math.max(...Array.from(g.querySelectorAll(':scope > text')).map(t => t.getComputedTextLength())),
}))
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


class Visit:
    """A page opened from a file, with every console error, page error and network request it made."""

    def __init__(self, browser: Any, path: Path, width: int = 1280) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")


def png_variety(png: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decoded pixel rows) of a PNG, decoded with zlib."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width, height = 8, b"", 0, 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.fixture(scope="module")
def lion_page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    path = tmp_path_factory.mktemp("report") / "lion.html"
    path.write_text(report_html(graph_of("diagram", "2024"), "lion", ["tiger"]), encoding="utf-8")
    visit = Visit(browser, path)
    yield visit
    visit.page.close()


def test_report_renders_without_errors_or_network(lion_page: Visit) -> None:
    assert lion_page.errors == []
    assert all(url.startswith("file:") for url in lion_page.requests), lion_page.requests
    assert lion_page.page.title() == "Lion: structure and licences, 2024-12-31"


def test_report_shows_a_box_for_every_entity(lion_page: Visit) -> None:
    members = graph_of("diagram", "2024").members("lion-holdings")
    boxes = lion_page.page.locator("svg g.entity")
    assert boxes.count() == len(members)
    shown = set(lion_page.page.eval_on_selector_all("svg g.entity", "gs => gs.map(g => g.dataset.id)"))
    assert shown == members
    # Every box is drawn: it has a size on screen.
    sizes = lion_page.page.eval_on_selector_all(
        "svg g.entity rect.box", "rs => rs.map(r => r.getBoundingClientRect().width * r.getBoundingClientRect().height)"
    )
    assert all(size > 1000 for size in sizes)


def test_report_gap_table_has_a_row_per_family(lion_page: Visit) -> None:
    families = graph_of("diagram").data.families
    rows = lion_page.page.locator("table.gaps tbody tr")
    assert rows.count() == len(families)
    assert rows.first.locator("td").first.inner_text().startswith("Banking")


def test_report_text_fits_its_boxes_as_the_browser_measures_it(lion_page: Visit) -> None:
    for item in lion_page.page.evaluate(TEXT_FIT):
        assert item["text"] <= item["box"], item


def test_report_screenshot_is_not_blank(lion_page: Visit) -> None:
    width, height, variety = png_variety(lion_page.page.screenshot(full_page=True))
    assert width == 1280 and height > 1500
    assert variety > 100  # a blank page decodes to a handful of byte values


def test_report_prints_with_the_chart_within_the_page(browser: Any, tmp_path: Path) -> None:
    folder = write_big_group(tmp_path)
    graph = OwnershipGraph(load(folder), TODAY)
    path = tmp_path / "big.html"
    path.write_text(report_html(graph, "big", []), encoding="utf-8")
    visit = Visit(browser, path, width=1000)
    assert visit.errors == []
    # On screen the chart keeps its size (readable) and scrolls; in print it shrinks to the page.
    screen = visit.page.eval_on_selector("svg", "s => s.getBoundingClientRect().width")
    assert screen > 1000
    visit.page.emulate_media(media="print")
    printed = visit.page.eval_on_selector("svg", "s => s.getBoundingClientRect().width")
    assert printed <= visit.page.evaluate("document.documentElement.clientWidth")
    assert visit.page.pdf()[:4] == b"%PDF"
    visit.page.close()


def test_sixty_entity_chart_text_fits_in_the_browser(browser: Any, tmp_path: Path) -> None:
    graph = OwnershipGraph(load(write_big_group(tmp_path)), TODAY)
    chart = build_chart(graph, "top", licences=licences_by_holder(graph.data, graph.day))
    path = tmp_path / "big.svg"
    path.write_text(svg_document(chart), encoding="utf-8")
    page = browser.new_page()
    page.goto(path.as_uri())
    fits = page.evaluate(TEXT_FIT.replace("svg g.entity", "g.entity"))
    assert len(fits) == 60
    for item in fits:
        assert item["text"] <= item["box"], item
    page.close()
