"""`xmfin diagram` and output/diagram.py: the SVG's structure (boxes, links, bands, badges), its geometry
(no overlaps, text within boxes) at 5 and 60 entities, the command's options and errors, and the README's
committed picture."""

from __future__ import annotations

import itertools
import math
import os
import random
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xmfin.graph import OwnershipGraph
from xmfin.licensing import licences_by_holder
from xmfin.output.diagram import (
    MAX_LAYOUT,
    PAD_X,
    SMALL_SIZE,
    Chart,
    _inversions,
    build_chart,
    chart_svg,
    svg_document,
    text_width,
    wrap,
)
from xmfin.storage.loading import load

from .conftest import TODAY, Invoke, graph_of

NS = {"svg": "http://www.w3.org/2000/svg"}
REPO = Path(__file__).resolve().parent.parent
# The README's picture and the command that makes it (README "Diagrams and reports").
PICTURE = REPO / "docs" / "xiaomi.svg"
PICTURE_COMMAND = "xmfin diagram xiaomi --as-of 2025-12-31 --licences -o docs/xiaomi.svg"


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.split("?>", 1)[1] if text.startswith("<?xml") else text)


def entities_in(svg: ET.Element) -> dict[str, ET.Element]:
    """The entity groups of an SVG by entity id."""
    return {g.get("data-id", ""): g for g in svg.iterfind(".//svg:g[@data-id]", NS)}


def links_in(svg: ET.Element) -> dict[tuple[str, str], ET.Element]:
    """The link groups of an SVG by (owner, owned)."""
    return {(g.get("data-owner", ""), g.get("data-owned", "")): g for g in svg.iterfind(".//svg:g[@data-owner]", NS)}


def rect_of(group: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of an entity's box."""
    rect = group.find("svg:rect", NS)
    assert rect is not None
    x, y, w, h = (float(rect.get(k, "0")) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def texts(group: ET.Element, cls: str) -> list[str]:
    return [t.text or "" for t in group.iterfind(f"svg:text[@class='{cls}']", NS)]


def lion_chart(**options: object) -> tuple[OwnershipGraph, Chart, ET.Element]:
    graph = graph_of("diagram")
    licences = licences_by_holder(graph.data, graph.day) if options.pop("licences", True) else None
    target = str(options.pop("target", "lion-holdings"))
    chart = build_chart(graph, target, licences=licences, **options)  # type: ignore[arg-type]
    return graph, chart, parse(svg_document(chart))


def assert_readable(svg: ET.Element) -> None:
    """No two boxes overlap, every box lies inside the picture, every line of text fits its box (by estimate)."""
    groups = entities_in(svg)
    width, height = float(svg.get("width", "0")), float(svg.get("height", "0"))
    rects = {entity: rect_of(g) for entity, g in groups.items()}
    for entity, (left, top, right, bottom) in rects.items():
        assert 0 <= left < right <= width and 0 <= top < bottom <= height, entity
    items = sorted(rects.items(), key=lambda item: item[1][0])
    for i, (a, ra) in enumerate(items):
        for b, rb in items[i + 1 :]:
            if rb[0] >= ra[2]:
                break
            assert rb[1] >= ra[3] or ra[1] >= rb[3], f"{a} and {b} overlap"
    for entity, group in groups.items():
        left, _, right, _ = rects[entity]
        for text in group.iterfind("svg:text", NS):
            size = float(text.get("font-size", "0"))
            used = text_width(text.text or "", size, text.get("font-weight") == "bold")
            assert used + 2 * PAD_X <= right - left + 0.5, (entity, text.text)


# --- the SVG of a group with a diamond, a cycle, a VIE, an undisclosed stake, both bands ---------------------


def test_one_box_per_member_with_names_and_jurisdiction() -> None:
    graph, _, svg = lion_chart()
    groups = entities_in(svg)
    assert set(groups) == graph.members("lion-holdings")
    wfoe = groups["lion-wfoe"]
    assert " ".join(texts(wfoe, "name")) == "Lion Technology (Shenzhen) Co., Ltd."
    assert texts(wfoe, "name-zh") == ["狮子科技\uff08深圳\uff09有限公司"]  # full-width brackets, as written
    assert texts(wfoe, "jurisdiction") == ["CN-GD"]
    assert "target" in groups["lion-holdings"].get("class", "").split()


def test_links_carry_stakes_vie_dashed_undisclosed_marked() -> None:
    _, chart, svg = lion_chart()
    links = links_in(svg)
    assert len(links) == len(chart.links) == 13  # every active holding among the members, once
    hk = links[("lion-bvi", "lion-hk")]
    assert texts(hk, "stake") == ["100%"]
    assert hk.find("svg:path", NS).get("stroke-dasharray") is None  # type: ignore[union-attr]
    vie = links[("lion-wfoe", "lion-vie")]
    assert "vie" in vie.get("class", "").split()
    assert texts(vie, "stake") == ["VIE"]
    assert vie.find("svg:path", NS).get("stroke-dasharray")  # type: ignore[union-attr]
    hidden = links[("lion-hk", "harbour-bank")]
    assert "undisclosed" in hidden.get("class", "").split()
    assert texts(hidden, "stake") == ["undisclosed"]
    assert texts(links[("lion-holdings", "lion-data")], "stake") == ["voting 30%"]


def test_diamond_and_cycle_drawn_once_with_all_their_links() -> None:
    _, _, svg = lion_chart()
    into_credit = {owner: texts(g, "stake") for (owner, owned), g in links_in(svg).items() if owned == "lion-credit"}
    assert into_credit == {"lion-wfoe": ["60%"], "lion-vie": ["40%"]}
    assert list(entities_in(svg)).count("lion-credit") == 1
    links = links_in(svg)
    assert ("insure-a", "insure-b") in links and ("insure-b", "insure-a") in links
    # One link of the cycle runs against the layers, and is drawn upward.
    upward = {key for key, g in links.items() if "upward" in g.get("class", "").split()}
    assert len(upward & {("insure-a", "insure-b"), ("insure-b", "insure-a")}) == 1


def test_offshore_above_the_line_onshore_below() -> None:
    _, chart, svg = lion_chart()
    line = svg.find(".//svg:line[@class='shore-line']", NS)
    assert line is not None
    line_y = float(line.get("y1", "0"))
    assert chart.line_y == line_y
    bands = {g.get("data-band") for g in svg.iterfind(".//svg:g[@class]", NS) if "band" in g.get("class", "").split()}
    assert bands == {"offshore", "onshore"}
    for entity, group in entities_in(svg).items():
        _, top, _, bottom = rect_of(group)
        if group.get("data-band") == "offshore":
            assert bottom < line_y, entity
        else:
            assert top > line_y, entity
    onshore = {e for e, g in entities_in(svg).items() if g.get("data-band") == "onshore"}
    assert onshore == {"lion-wfoe", "lion-vie", "lion-pay", "lion-credit"}
    # An onshore entity holding an offshore one: the link goes up across the line.
    assert "upward" in links_in(svg)[("lion-credit", "lion-credit-hk")].get("class", "").split()


def test_licences_as_badges_only_when_asked() -> None:
    _, _, svg = lion_chart()
    badges = {g.get("data-category") for g in svg.iterfind(".//svg:g[@class='licence']", NS)}
    assert badges == {"third-party-payment", "microcredit", "virtual-bank", "insurance-brokerage"}
    pay = entities_in(svg)["lion-pay"]
    assert [t.text for t in pay.iterfind("svg:g/svg:text", NS)] == ["Third-party payment"]
    legend = [t.text for t in svg.iterfind(".//svg:g[@class='legend']/svg:text", NS)]
    assert {"Banking", "Insurance", "Payment", "Lending"} <= set(legend)
    _, _, plain = lion_chart(licences=False)
    assert plain.find(".//svg:g[@class='licence']", NS) is None


def test_legend_names_what_is_drawn() -> None:
    def legend(svg: ET.Element) -> list[str]:
        return [t.text or "" for t in svg.iterfind(".//svg:g[@class='legend']/svg:text", NS)]

    assert legend(lion_chart()[2]) == [
        "equity stake",
        "VIE (control by contract)",
        "voting or other control",
        "undisclosed: stake not disclosed",
        "Banking",
        "Insurance",
        "Payment",
        "Lending",
    ]
    assert legend(lion_chart(target="lion-credit")[2]) == ["equity stake", "Lending"]
    assert legend(lion_chart(target="lion-pay", licences=False)[2]) == []


def test_font_stack_includes_cjk_fonts() -> None:
    _, _, svg = lion_chart()
    fonts = svg.get("font-family", "")
    for font in ('"Noto Sans CJK SC"', '"Source Han Sans SC"', '"PingFang SC"', '"Microsoft YaHei"'):
        assert font in fonts
    assert fonts.endswith("sans-serif")


def test_up_draws_owners_with_people_in_their_band() -> None:
    _, chart, svg = lion_chart(target="lion-credit", up=True)
    groups = entities_in(svg)
    assert set(groups) == {
        "lion-credit",
        "lion-wfoe",
        "lion-vie",
        "nominee",
        "lion-hk",
        "lion-bvi",
        "lion-holdings",
        "founder",
    }
    assert "owners above" in chart.title
    # A person with no jurisdiction goes with what it holds (offshore); one with CN is onshore.
    assert groups["founder"].get("data-band") == "offshore"
    assert groups["nominee"].get("data-band") == "onshore"
    assert "person" in groups["founder"].get("class", "").split()
    # The target is at the bottom: everything else is above it.
    _, target_top, _, _ = rect_of(groups["lion-credit"])
    assert all(rect_of(g)[3] < target_top for e, g in groups.items() if e != "lion-credit")


def test_an_onshore_top_draws_its_offshore_holding_above_the_line() -> None:
    _, chart, svg = lion_chart(target="lion-credit")
    groups = entities_in(svg)
    assert set(groups) == {"lion-credit", "lion-credit-hk"}
    assert chart.line_y is not None
    assert rect_of(groups["lion-credit-hk"])[3] < chart.line_y < rect_of(groups["lion-credit"])[1]
    (link,) = links_in(svg).values()
    assert "upward" in link.get("class", "").split()
    assert_readable(svg)


def test_depth_cuts_and_says_how_much_is_not_shown() -> None:
    _, _, svg = lion_chart(depth=1)
    groups = entities_in(svg)
    assert set(groups) == {"lion-holdings", "lion-bvi", "lion-data"}
    assert texts(groups["lion-bvi"], "more") == ["+1 not shown"]
    assert texts(groups["lion-data"], "more") == []


def test_small_charts_are_readable_and_crossing_free() -> None:
    _, chart, svg = lion_chart()
    assert_readable(svg)
    assert chart.crossings == 0
    _, chart, svg = lion_chart(target="lion-credit", up=True)
    assert_readable(svg)
    assert chart.crossings == 0


def test_a_single_entity_is_a_chart() -> None:
    _, chart, svg = lion_chart(target="lion-pay")
    assert list(entities_in(svg)) == ["lion-pay"]
    assert chart.links == [] and chart.line_y is None
    assert {g.get("data-band") for g in svg.iterfind(".//svg:g[@data-band]", NS)} == {"onshore"}


def test_same_input_same_picture() -> None:
    first = svg_document(lion_chart()[1])
    assert svg_document(lion_chart()[1]) == first


def test_markup_in_names_is_text(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path, "Lion Pay", "Lion <script>alert(1)</script> & Pay")
    graph = OwnershipGraph(load(folder), TODAY)
    text = svg_document(build_chart(graph, "lion-holdings"))
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    svg = parse(text)
    assert " ".join(texts(entities_in(svg)["lion-pay"], "name")).startswith("Lion <script>")


def copy_fixture(tmp_path: Path, old: str, new: str) -> Path:
    """tests/fixtures/diagram copied with one name replaced."""
    source = Path(__file__).parent / "fixtures" / "diagram"
    for name in ("entities.yaml", "licences.yaml"):
        text = (source / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(f"name: {old},", f"name: {new!r},"), encoding="utf-8")
    return tmp_path


# --- sixty entities ------------------------------------------------------------------------------------------


def write_big_group(folder: Path, size: int = 60, seed: int = 7) -> Path:
    """A generated group of size entities: a Cayman top, BVI and HK holding companies, onshore companies below
    them in several levels, some VIEs, some diamonds (a second owner with 10%), some undisclosed stakes, and
    licences; the same for the same seed."""
    rng = random.Random(seed)
    cities = [
        ("Shenzhen", "深圳", "GD"),
        ("Beijing", "北京", "BJ"),
        ("Shanghai", "上海", "SH"),
        ("Chongqing", "重庆", "CQ"),
    ]
    trades = ["Technology", "Payment", "Credit", "Insurance Agency", "Data"]
    entities = ["  top: {name: Big Holdings Ltd, name_zh: 大集团控股有限公司, jurisdiction: KY, sources: [s]}"]
    holdings: list[str] = []
    licences: list[str] = []
    offshore: list[str] = ["top"]
    onshore: list[str] = []
    for i in range(size - 1):
        node = f"e{i:02d}"
        second = None
        if i < 3:
            owner, jurisdiction, name, zh = "top", "VG", f"Big Investment {i} (BVI) Ltd", ""
        elif i < 10:
            owner = f"e{rng.randrange(3):02d}"
            jurisdiction, name, zh = rng.choice(["HK", "HK", "SG"]), f"Big Finance {i} Ltd", f"大金融{i}有限公司"
        else:
            city, city_zh, province = rng.choice(cities)
            if (i < 18 and rng.random() < 0.6) or not onshore:
                owner = rng.choice(offshore[4:])
            else:
                owner = rng.choice(onshore[-12:])
            jurisdiction = f"CN-{province}"
            name, zh = f"{city} Big {rng.choice(trades)} Co., Ltd. {i}", f"{city_zh}大{i}号科技有限公司"
            if onshore and rng.random() < 0.1:
                second = rng.choice(onshore)
        control = "vie" if jurisdiction.startswith("CN") and rng.random() < 0.08 else "equity"
        stake = "" if control == "vie" or rng.random() < 0.05 else f", stake: {rng.choice([100, 100, 51, 80])}"
        if second not in (None, owner) and control == "equity":
            stake = ", stake: 51"
            holdings.append(f"  - {{owner: {second}, owned: {node}, stake: 10, sources: [s]}}")
        holdings.append(f"  - {{owner: {owner}, owned: {node}, control: {control}{stake}, sources: [s]}}")
        zh_key = f", name_zh: {zh}" if zh else ""
        entities.append(f'  {node}: {{name: "{name}"{zh_key}, jurisdiction: {jurisdiction}, sources: [s]}}')
        (onshore if jurisdiction.startswith("CN") else offshore).append(node)
        if rng.random() < 0.15:
            licences.append(f"  - {{holder: {node}, category: {rng.choice(['pay', 'credit', 'bank'])}, sources: [s]}}")
    (folder / "entities.yaml").write_text(
        "version: 1\nsources:\n  s: {title: Generated}\ngroups:\n  big: {name: Big, root: top, default: true}\n"
        "entities:\n" + "\n".join(entities) + "\nholdings:\n" + "\n".join(holdings) + "\n",
        encoding="utf-8",
    )
    (folder / "licences.yaml").write_text(
        "version: 1\nfamilies:\n  bank: {name: Banking, core: true}\n  payment: {name: Payment}\n"
        "  lending: {name: Lending}\ncategories:\n  bank: {family: bank, name: Internet bank}\n"
        "  pay: {family: payment, name: Payment}\n  credit: {family: lending, name: Microcredit}\n"
        "licences:\n" + "\n".join(licences) + "\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> OwnershipGraph:
    folder = write_big_group(tmp_path_factory.mktemp("big"))
    return OwnershipGraph(load(folder), TODAY)


def test_sixty_entities_are_readable(big: OwnershipGraph) -> None:
    chart = build_chart(big, "top", licences=licences_by_holder(big.data, big.day))
    svg = parse(svg_document(chart))
    assert len(entities_in(svg)) == 60
    assert len(links_in(svg)) == big.nx.number_of_edges()
    assert_readable(svg)
    # Layered and banded: every link leaves its owner's box and ends at the owned's, inside the picture.
    for link in chart.links:
        assert all(0 < x < chart.width and 0 < y < chart.height for x, y in link.points)
        owner, owned = chart.boxes[link.holding.owner], chart.boxes[link.holding.owned]
        assert owner.left <= link.points[0][0] <= owner.right
        assert owned.left - 0.5 <= link.points[-1][0] <= owned.right
    # Leaves of one owner are stacked in a column rather than spread in a row.
    assert any(link.bundle for link in chart.links)
    assert chart.crossings <= len(chart.links) // 4


def test_sixty_entities_same_picture_twice(big: OwnershipGraph) -> None:
    assert svg_document(build_chart(big, "top")) == svg_document(build_chart(big, "top"))


@pytest.mark.parametrize(("count", "columns"), [(2, [[0], [1]]), (4, [[0, 1, 2, 3]]), (7, [[0, 1, 2, 3], [4, 5, 6]])])
def test_leaves_are_stacked_in_columns(tmp_path: Path, count: int, columns: list[list[int]]) -> None:
    """Three leaves of one owner or more stand in a column (five at most), largest stake on top, with labels."""
    leaves = "\n".join(f"  leaf{i}: {{name: Leaf {i}, jurisdiction: HK, sources: [s]}}" for i in range(count))
    links = "\n".join(f"  - {{owner: hub, owned: leaf{i}, stake: {90 - i}, sources: [s]}}" for i in range(count))
    (tmp_path / "entities.yaml").write_text(
        "version: 1\nsources:\n  s: {title: S}\nentities:\n  hub: {name: Hub, jurisdiction: KY, sources: [s]}\n"
        f"{leaves}\nholdings:\n{links}\n",
        encoding="utf-8",
    )
    (tmp_path / "licences.yaml").write_text("version: 1\nfamilies: {}\n", encoding="utf-8")
    chart = build_chart(OwnershipGraph(load(tmp_path), TODAY), "hub")
    svg = parse(svg_document(chart))
    groups = entities_in(svg)
    found: dict[float, list[int]] = {}
    for i in range(count):
        found.setdefault(rect_of(groups[f"leaf{i}"])[0], []).append(i)
    assert sorted(found.values()) == columns
    for column in columns:
        tops = [rect_of(groups[f"leaf{i}"])[1] for i in column]
        assert tops == sorted(tops)  # largest stake first
    assert [texts(g, "stake")[0] for g in links_in(svg).values()] == [f"{90 - i}%" for i in range(count)]
    assert_readable(svg)


# --- text measures -------------------------------------------------------------------------------------------


def test_wrap_keeps_lines_within_the_limit() -> None:
    name = "Beijing Xiaomi Electronic Software Technology Co., Ltd."
    lines = wrap(name, 12.5, 165, bold=True)
    assert len(lines) > 1 and " ".join(lines) == name
    assert all(text_width(line, 12.5, True) <= 165 for line in lines)
    zh = "北京小米电子软件技术有限公司北京小米电子软件技术有限公司"
    lines = wrap(zh, 12, 165)
    assert "".join(lines) == zh and all(text_width(line, 12) <= 165 for line in lines)
    assert wrap("", 12, 100) == [""]


@pytest.mark.parametrize(
    "name",
    [
        "Tencent Holdings Ltd. - Class A",
        "Hong Kong  Monetary Authority",
        " Leading space",
        "Trailing space ",
        "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z",
        "Xiaomi\tCommunications\nCo., Ltd.",
    ],
)
def test_wrap_takes_ordinary_names(name: str) -> None:
    """Double, leading and trailing spaces and short words once crashed the wrapping (issue 15)."""
    lines = wrap(name, 12.5, 165, bold=True)
    assert " ".join(lines) == " ".join(name.split())
    assert all(text_width(line, 12.5, True) <= 165 for line in lines)


def test_wrap_balances_lines() -> None:
    assert wrap("Xiaomi Communications Co., Ltd.", 12.5, 165, bold=True) == ["Xiaomi", "Communications", "Co., Ltd."]
    assert wrap("北京小米电子软件技术有限公司", 12, 165) == ["北京小米电子软", "件技术有限公司"]


WIDTHS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-50, 400).map(float),
    st.just(0.0),
)
WORDS = st.sampled_from(["A", "Co.,", "Ltd.", "-", "Xiaomi", "小米金融", "Communications", "i", "W" * 30, "北" * 40])
NAMES = st.lists(st.tuples(WORDS, st.sampled_from([" ", "  ", "\t", " \n "])), max_size=30).map(
    lambda parts: "".join(word + space for word, space in parts)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(st.characters(exclude_categories=())), NAMES), WIDTHS, st.booleans())
def test_wrap_is_total(text: str, limit: float, bold: bool) -> None:
    """Any text, any width: lines, no exception; nothing lost but whitespace; within the width where the words
    allow, and otherwise only a character wider than the width alone on its line."""
    lines = wrap(text, 12.5, limit, bold)
    assert lines and all(isinstance(line, str) for line in lines)
    assert "".join("".join(line.split()) for line in lines) == "".join(text.split())
    assert all(line == " ".join(line.split()) for line in lines)

    def fits(line: str) -> bool:
        return text_width(line, 12.5, bold) <= limit

    assert all(line == "" or fits(line) or len(line) == 1 for line in lines)
    if text.split() and all(fits(word) for word in text.split()):
        assert all(fits(line) for line in lines)
        if not math.isinf(limit) and len(lines) > 1:
            # Balanced, never more lines than greedy filling: no two neighbours could share a line.
            assert not any(fits(f"{a} {b}") for a, b in itertools.pairwise(lines))


def test_wrap_is_linear_on_long_text() -> None:
    """100,000 words and a 100,000-character word are wrapped in a bounded time (the old wrapping was cubic:
    400 words took 14 s). A generous timeout, not a timed assertion."""
    script = (
        "from xmfin.output.diagram import wrap\n"
        "words = ' '.join(['Alpha', 'Co.', 'Ltd', '-', 'Holdings'] * 20000)\n"
        "assert len(wrap(words, 12.5, 165, True)) > 1000\n"
        "assert len(wrap('北' * 100000, 12, 165)) > 1000\n"
        "assert len(wrap(words, 12.5, 0)) > 100000\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_chinese_is_measured_wider_than_latin() -> None:
    assert text_width("小米", SMALL_SIZE) == 2 * SMALL_SIZE
    assert text_width("ab", SMALL_SIZE) < text_width("小米", SMALL_SIZE)


# --- the command ---------------------------------------------------------------------------------------------


def test_diagram_writes_svg_to_stdout(xmfin: Invoke) -> None:
    result = xmfin("diagram", "lion", "--as-of", "2024", "--licences", case="diagram")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    svg = parse(result.stdout)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(entities_in(svg)) == 12
    assert svg.find(".//svg:g[@class='licence']", NS) is not None
    assert "2024-12-31" in (svg.findtext("svg:title", namespaces=NS) or "")


def test_diagram_default_target_and_file_output(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "chart.svg"
    result = xmfin("diagram", "-o", str(out), case="diagram")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    svg = parse(out.read_text(encoding="utf-8"))
    assert "target" in entities_in(svg)["lion-holdings"].get("class", "")
    assert svg.find(".//svg:g[@class='licence']", NS) is None


def test_diagram_up_and_depth(xmfin: Invoke) -> None:
    result = xmfin("diagram", "Chongqing Lion Microcredit", "--up", "--depth", "1", case="diagram")
    assert result.exit_code == 0, result.stderr
    assert set(entities_in(parse(result.stdout))) == {"lion-credit", "lion-wfoe", "lion-vie"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagram", "no-such-entity"], "no entity matches 'no-such-entity'"),
        (["diagram", "--as-of", "2024-13"], "--as-of: '2024-13' is not a date"),
        (["diagram", "-o", "missing-folder/chart.svg"], "folder 'missing-folder' does not exist"),
        (["diagram", "-o", "."], "-o .: is a folder"),
    ],
)
def test_diagram_usage_errors(xmfin: Invoke, args: list[str], message: str) -> None:
    result = xmfin(*args, case="diagram")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_diagram_negative_depth_is_bad_usage(xmfin: Invoke) -> None:
    result = xmfin("diagram", "--depth", "-1", case="diagram")
    assert result.exit_code == 2
    assert "--depth" in result.stderr


def test_diagram_without_a_default_group(xmfin: Invoke) -> None:
    result = xmfin("diagram", case="nodefault")
    assert result.exit_code == 2
    assert "no group given and the data names no default group" in result.stderr


def test_diagram_of_invalid_data(xmfin: Invoke) -> None:
    result = xmfin("diagram", case="invalid")
    assert result.exit_code == 1
    assert "the data is invalid" in result.stderr


# --- the README's picture ------------------------------------------------------------------------------------


def test_readme_picture_is_what_the_command_draws_now(xmfin: Invoke) -> None:
    """docs/xiaomi.svg is regenerated by the command docs/commands.md gives (and by `python -m
    tests.readme_examples --update`); after a data change, run it again."""
    assert PICTURE_COMMAND in (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    args = shlex.split(PICTURE_COMMAND)[1:-2]
    result = xmfin(*args, case=None)
    assert result.exit_code == 0, result.stderr
    assert PICTURE.read_text(encoding="utf-8") == result.stdout, f"docs/xiaomi.svg is stale: run {PICTURE_COMMAND}"


def test_chart_svg_is_one_element_to_inline() -> None:
    element = chart_svg(lion_chart()[1])
    assert element.tag == "svg" and element.get("xmlns") == NS["svg"]


# --- large charts: bounded time ------------------------------------------------------------------------------


def write_shape(folder: Path, chain: int = 0, children: int = 0, fan: bool = False) -> Path:
    """A data folder: a chain e0 -> e1 -> ... of `chain` entities, or e0 owning `children` entities; with fan,
    e0 also holds every entity of the chain (links that cross every layer)."""
    folder.mkdir()
    count = chain or children + 1
    lines = ["version: 1", "groups:", "  g: {name: G, root: e0, default: true}", "entities:"]
    lines += [f"  e{i}: {{name: Entity number {i}, jurisdiction: KY}}" for i in range(count)]
    lines.append("holdings:")
    if chain:
        lines += [f"  - {{owner: e{i}, owned: e{i + 1}, stake: 50}}" for i in range(chain - 1)]
        if fan:
            lines += [f"  - {{owner: e0, owned: e{i}, stake: 1}}" for i in range(2, chain)]
    else:
        lines += [f"  - {{owner: e0, owned: e{i}, stake: 1}}" for i in range(1, count)]
    (folder / "entities.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    return folder


def run_diagram(folder: Path) -> subprocess.CompletedProcess[str]:
    """`xmfin diagram` on folder in a process of its own, with a generous timeout (not a timed assertion)."""
    return subprocess.run(
        [sys.executable, "-m", "xmfin", "diagram", "--data", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "XMFIN_NO_CACHE": "1"},
    )


def test_a_chain_of_five_thousand_is_drawn_in_bounded_time(tmp_path: Path) -> None:
    """A 5,000-long chain ran past a minute (grandalf's quadratic steps, our own quadratic lookups)."""
    done = run_diagram(write_shape(tmp_path / "chain", chain=5000))
    assert done.returncode == 0, done.stderr
    assert len(entities_in(parse(done.stdout))) == 5000


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"children": 50000}, "too large a chart: 50,001 entities to lay out"),
        ({"chain": 400, "fan": True}, "too large a chart: 400 entities and 79,401 bends of links to lay out"),
    ],
)
def test_a_chart_too_large_to_lay_out_is_refused(tmp_path: Path, shape: dict[str, Any], message: str) -> None:
    """50,000 children of one entity ran past a minute; a chart above MAX_LAYOUT is refused, with advice."""
    done = run_diagram(write_shape(tmp_path / "big", **shape))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"xmfin: error: {message}, more than 10,000; ")
    assert done.stderr.endswith("; draw a part with --depth N or a smaller target\n")
    assert done.stderr.count("\n") == 1
    assert MAX_LAYOUT == 10_000


def test_inversions_count_crossings() -> None:
    segments = [(random.Random(seed).randrange(9), random.Random(seed + 99).randrange(9)) for seed in range(60)]
    slow = sum((a1 - a2) * (b1 - b2) < 0 for (a1, b1), (a2, b2) in itertools.combinations(segments, 2))
    assert _inversions(segments) == slow
