"""xmfin/textsafe.py, and every output that shows data text: the SVG, HTML and XML files are valid and carry no
markup from the data; no control or bidirectional character from the data reaches a terminal raw.

The fixture `hostile` fills names, Chinese names, aliases, notes, titles and keys with ESC sequences, C0 and C1
controls, bidirectional overrides, markup, `]]>` and quotes (issue 15).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from xmfin.dates import as_of_day
from xmfin.graph import OwnershipGraph
from xmfin.licensing import licences_by_holder
from xmfin.model import Dataset
from xmfin.output.diagram import build_chart, svg_document
from xmfin.output.export import _chunks, select
from xmfin.output.report import report_html
from xmfin.textsafe import safe_tree, terminal_text, xml_escape, xml_text

from .conftest import Invoke, fixture_path, load_case

ANY_TEXT = st.text(st.characters(exclude_categories=()))
# What XML 1.0 cannot hold, and what must not reach a display raw.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# On a terminal: controls but the line feed that ends a line of output, and the bidirectional controls.
NOT_FOR_TERMINAL = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]|{BIDI.pattern}")
DAY = "2024"


# --- the functions -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, st.booleans())
def test_xml_escape_is_valid_as_text_and_attribute(text: str, display: bool) -> None:
    escaped = xml_escape(text, display=display)
    element = ET.fromstring(f"<a b=\"{escaped}\" c='{escaped}'>{escaped}</a>")
    expected = xml_text(text, display=display)
    assert (element.text or "") == expected
    assert element.get("b") == expected and element.get("c") == expected
    if display:
        assert not BIDI.search(escaped)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_safe_tree_makes_any_tree_valid(text: str) -> None:
    root = ET.Element("svg", {"title": text})
    root.text = text
    ET.SubElement(root, "text", {"data-id": text}).tail = text
    written = ET.tostring(safe_tree(root), encoding="unicode")
    ET.fromstring(written)
    assert not NOT_XML.search(written) and not BIDI.search(written)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_terminal_text_shows_every_control_escaped(text: str) -> None:
    shown = terminal_text(text)
    assert not NOT_FOR_TERMINAL.search(shown) and "\n" not in shown
    assert terminal_text("a\x1b[2Kb\u202ec\nd\x9b\ud800") == "a\\x1b[2Kb\\u202ec\\nd\\x9b\\ud800"
    assert terminal_text("小米 Ltd.") == "小米 Ltd."


# --- SVG, HTML and XML files ---------------------------------------------------------------------------------


class Tags(HTMLParser):
    """The start tags of an HTML page, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_valid_svg(text: str) -> ET.Element:
    assert not NOT_XML.search(text) and not BIDI.search(text)
    svg = ET.fromstring(text)
    tags = {element.tag.split("}")[-1] for element in svg.iter()}
    assert tags <= {"svg", "title", "defs", "marker", "path", "rect", "text", "g", "line"}, tags
    return svg


def assert_valid_report(page: str) -> None:
    assert not NOT_XML.search(page) and not BIDI.search(page)
    parser = Tags()
    parser.feed(page)
    assert not parser.tags & {"script", "b", "i", "iframe", "object"}, parser.tags
    assert "<script>" in "".join(parser.text)  # the name, shown as text
    # The chart inside is XML too.
    assert_valid_svg(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])


def hostile(surrogates: bool = False) -> OwnershipGraph:
    """The hostile fixture's graph; with surrogates, names with lone surrogates too (YAML cannot hold them, a
    program using the library can)."""
    data = load_case("hostile")
    if surrogates:
        data = Dataset(
            **{f.name: getattr(data, f.name) for f in dataclasses.fields(data) if f.name != "entities"},
            entities={
                key: dataclasses.replace(entity, name=entity.name + " \ud800\udfff\ud83d")
                for key, entity in data.entities.items()
            },
        )
    return OwnershipGraph(data, as_of_day(DAY))


def test_diagram_of_hostile_names_is_valid_svg(xmfin: Invoke) -> None:
    for args in (["--licences"], ["low", "--up"]):
        result = xmfin("diagram", *args, "--as-of", DAY, case="hostile")
        assert result.exit_code == 0, result.stderr
        svg = assert_valid_svg(result.stdout)
        assert "<script>alert('x')</script>" in "".join(svg.itertext()).replace("\n", "")
    graph = hostile(surrogates=True)
    assert_valid_svg(svg_document(build_chart(graph, "top", licences=licences_by_holder(graph.data, graph.day))))


def test_report_of_hostile_names_is_valid(xmfin: Invoke) -> None:
    result = xmfin("report", "--as-of", DAY, case="hostile")
    assert result.exit_code == 0, result.stderr
    assert_valid_report(result.stdout)
    assert_valid_report(report_html(hostile(surrogates=True), "g", ["peer"]))


def test_graph_exports_of_hostile_names_are_valid_xml(xmfin: Invoke) -> None:
    for fmt in ("graphml", "gexf"):
        result = xmfin("export", "-f", fmt, "--as-of", DAY, case="hostile")
        assert result.exit_code == 0, result.stderr
        assert not NOT_XML.search(result.stdout)
        names = {e.get("value") or e.text for e in ET.fromstring(result.stdout).iter()}
        # Exports are data: bidirectional controls are kept, as in JSON.
        assert "Mid \u202egnp.exe\u202c Ltd  -  Class A" in names
        graph = hostile(surrogates=True)
        ET.fromstring("".join(_chunks(graph, select(graph, None), None, fmt, None)))


# --- the terminal ---------------------------------------------------------------------------------------------

HUMAN_COMMANDS = [
    ["tree"],
    ["tree", "low", "--up"],
    ["tree", "--depth", "1"],
    ["chain", "low"],
    ["chain", "low", "--from", "top"],
    ["show", "top"],
    ["show", "mid"],
    ["show", "low"],
    ["search", "top"],
    ["search", "al\x1b[5mias"],
    ["search", "iso"],
    ["sources"],
    ["sources", "top"],
    ["timeline"],
    ["timeline", "g"],
    ["licences"],
    ["licences", "--all"],
    ["gaps"],
    ["gaps", "--strict"],
    ["matrix"],
    ["matrix", "--strict"],
    ["check"],
    # Errors that quote what was typed.
    ["show", "\x1b[31mnobody\u202e"],
    ["show", "o"],
    ["tree", "\x1b]8;;http://evil.example/\x1b\\x"],
    ["gaps", "--vs", "\x1b[1mpeer"],
    ["gaps", "\x1b[2J"],
    ["licences", "--family", "\x1b[2K"],
    ["licences", "--category", "\u202ebank"],
    ["licences", "--jurisdiction", "\x1b[2K"],
    ["search", "\x1b[2Jzzzz\u202e"],
    ["tree", "--as-of", "\x1b[2K"],
    ["export", "-f", "\x1b[2K"],
]


def assert_terminal_safe(text: str) -> None:
    found = NOT_FOR_TERMINAL.search(text)
    assert found is None, f"raw {found.group()!r} in output: {text[max(0, found.start() - 60) : found.end() + 60]!r}"


def test_no_control_or_bidi_character_reaches_the_terminal(xmfin: Invoke) -> None:
    for args in HUMAN_COMMANDS:
        result = xmfin(*args, "--as-of", DAY, case="hostile") if "--as-of" not in args else xmfin(*args, case="hostile")
        assert result.exit_code in (0, 1, 2), (args, result.exception)
        assert "Traceback" not in result.stderr
        assert result.stdout or result.stderr, args
        assert_terminal_safe(result.stdout)
        assert_terminal_safe(result.stderr)


def test_names_are_shown_escaped(xmfin: Invoke) -> None:
    result = xmfin("tree", "--as-of", DAY, case="hostile")
    assert "Top \\x1b[2K\\x1b[1A<script>alert('x')</script>" in result.stdout
    assert "Mid \\u202egnp.exe\\u202c Ltd" in result.stdout
    assert "desc \\x1b]0;title\\x07 \\x0b\\x0c \\r\\x1b[1A" in xmfin("show", "top", case="hostile").stdout
    result = xmfin("show", "\x1b[31mnobody", case="hostile")
    assert result.exit_code == 2
    assert "no entity matches '\\x1b[31mnobody'" in result.stderr


def test_problems_that_quote_keys_and_ids_are_shown_escaped(xmfin: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(fixture_path("hostile"), folder)
    with (folder / "entities.yaml").open("a", encoding="utf-8") as file:
        file.write(
            '  - {holder: "\\e[2Kghost\\u202e", of: low, title: x, sources: [src], "\\e]0;key\\a": 1}\n'
            '"extra_\\e[2K": 1\n'
        )
    for args in (["check"], ["tree"], ["show", "top"]):
        result = xmfin(*args, "--data", str(folder), case=None)
        assert result.exit_code == 1, args
        assert "ghost" in result.stdout + result.stderr
        assert_terminal_safe(result.stdout)
        assert_terminal_safe(result.stderr)


def test_json_keeps_the_data_exact(xmfin: Invoke) -> None:
    result = xmfin("show", "top", "--json", "--as-of", DAY, case="hostile")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["entity"]["name"] == "Top \x1b[2K\x1b[1A<script>alert('x')</script> & \"q\" ]]>"
