"""`xmfin report` and output/report.py: one self-contained HTML page, every data string escaped, every cited
source a numbered reference. The page in a real browser is tested in test_report_browser.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from xmfin.graph import OwnershipGraph
from xmfin.output.diagram import build_chart
from xmfin.output.report import report_html, safe_url
from xmfin.storage.loading import load

from .conftest import TODAY, Invoke, graph_of


class Page(HTMLParser):
    """Every start tag of a page with its attributes, in order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def rows(self, table_class: str) -> list[dict[str, str]]:
        """The body rows of the table with this class (the header row left out)."""
        found: list[dict[str, str]] = []
        inside = False
        for tag, attrs in self.tags:
            if tag == "table":
                inside = attrs.get("class") == table_class
            elif inside and tag == "tr":
                found.append(attrs)
        return found[1:]


def lion_report(peers: tuple[str, ...] = ("tiger",)) -> str:
    return report_html(graph_of("diagram", "2024"), "lion", list(peers))


def test_report_is_one_html_document_with_every_part() -> None:
    text = lion_report()
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    page = Page(text)
    assert page.find("meta", charset="utf-8")
    assert [a["id"] for a in page.find("h2") if "id" in a] == [
        "structure",
        "gaps",
        "licences",
        "entities",
        "holdings",
        "figures",
        "roles",
        "references",
    ]
    assert len(page.find("svg")) == 1
    assert len(page.find("g", **{"data-band": "offshore", "class": "band offshore"})) == 1
    assert "@media print" in text


def test_report_is_self_contained() -> None:
    page = Page(lion_report())
    assert not page.find("script")
    assert not page.find("link")
    assert not page.find("img")
    # Links go to the page itself, or to a source's own address.
    hrefs = [a["href"] for _, a in page.tags if "href" in a]
    assert all(h.startswith("#ref-") or h == "https://example.org/lion/prospectus.pdf" for h in hrefs)


def test_gap_table_has_a_row_per_family_and_marks_gaps(tmp_path: Path) -> None:
    page = Page(lion_report())
    rows = page.rows("gaps")
    assert [r["data-key"] for r in rows] == ["bank", "insurance", "securities", "payment", "lending"]
    assert all(r["class"] == "held" for r in rows)  # Lion holds every family Tiger holds
    # Against a peer that holds a family the group lacks, the row is a gap.
    graph = graph_of("diagram", "2024")
    page = Page(report_html(graph, "tiger", ["lion"]))
    gaps = [r["data-key"] for r in page.rows("gaps") if r["class"] == "gap"]
    assert gaps == ["insurance", "payment", "lending"]
    assert "Lacks against Lion: Insurance, Payment, Lending." in report_html(graph, "tiger", ["lion"])


def test_report_without_peers_says_so() -> None:
    text = lion_report(peers=())
    assert "No peer group to compare with" in text
    assert len(Page(text).rows("gaps")) == 5


def test_every_cited_source_is_a_numbered_reference() -> None:
    page = Page(lion_report())
    cited = {a["href"] for a in page.find("a") if a.get("href", "").startswith("#ref-")}
    listed = [a for a in page.find("li") if a.get("id", "").startswith("ref-")]
    assert cited == {f"#{a['id']}" for a in listed}
    assert [a["id"] for a in listed] == [f"ref-{n}" for n in range(1, len(listed) + 1)]
    # Every source behind the group's holdings, licences, figures, roles and the peer's claims and licences.
    assert {a["data-source"] for a in listed} == {"prospectus", "annual-2023", "news", "tiger-ar"}


def test_licences_figures_roles_are_listed() -> None:
    text = lion_report()
    page = Page(text)
    assert len(page.rows("licences")) == 4
    assert [r["data-id"] for r in page.rows("entities")] == list(
        build_chart(graph_of("diagram"), "lion-holdings").boxes
    )
    assert len(page.rows("holdings")) == 13
    assert len(page.rows("figures")) == 1
    assert len(page.rows("roles")) == 1
    assert "12,300,000,000" in text
    assert "Z2000111000013" in text
    assert "Leo Wang 王狮" in text


def copy_fixture(tmp_path: Path, replacements: dict[str, str]) -> Path:
    source = Path(__file__).parent / "fixtures" / "diagram"
    for name in ("entities.yaml", "licences.yaml"):
        text = (source / name).read_text(encoding="utf-8")
        for old, new in replacements.items():
            assert old in text or name == "licences.yaml"
            text = text.replace(old, new)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_markup_in_the_data_is_escaped(tmp_path: Path) -> None:
    folder = copy_fixture(
        tmp_path,
        {
            "name: Lion Pay,": "name: 'Lion <script>alert(1)</script> Pay',",
            "name: Lion, name_zh": "name: 'Lion \"><img src=x onerror=alert(1)>', name_zh",
            'url: "https://example.org/lion/prospectus.pdf"': 'url: "javascript:alert(1)"',
            "note: Trade press.": "note: '</style><script>alert(2)</script>'",
        },
    )
    text = report_html(OwnershipGraph(load(folder), TODAY), "lion", ["tiger"])
    page = Page(text)
    assert not page.find("script")
    assert not page.find("img")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;/style&gt;&lt;script&gt;alert(2)" in text
    assert not [a for _, a in page.tags if a.get("href", "").startswith("javascript")]
    assert "javascript:alert(1)" in text  # shown as text, not a link
    assert len(re.findall(r"<script", text, re.IGNORECASE)) == 0


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("http://example.org", "http://example.org"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,x", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_addresses_become_links(url: str | None, safe: str | None) -> None:
    assert safe_url(url) == safe


# --- the command ---------------------------------------------------------------------------------------------


def test_report_command_writes_the_file(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "lion.html"
    result = xmfin("report", "lion", "--vs", "tiger", "--as-of", "2024", "-o", str(out), case="diagram")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == lion_report()


def test_report_command_defaults(xmfin: Invoke) -> None:
    """No GROUP: the default group; no --vs: every other group; no -o: stdout."""
    result = xmfin("report", "--as-of", "2024", case="diagram")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == lion_report()


@pytest.mark.parametrize(
    ("args", "case", "message"),
    [
        (["report", "--vs", "bear"], "diagram", "unknown group 'bear'"),
        (["report", "bear"], "diagram", "unknown group 'bear'"),
        (["report"], "nodefault", "no group given and the data names no default group"),
        (["report", "-o", "missing-folder/r.html"], "diagram", "folder 'missing-folder' does not exist"),
        (["report", "--as-of", "soon"], "diagram", "--as-of: 'soon' is not a date"),
    ],
)
def test_report_usage_errors(xmfin: Invoke, args: list[str], case: str, message: str) -> None:
    result = xmfin(*args, case=case)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_report_of_invalid_data(xmfin: Invoke) -> None:
    result = xmfin("report", case="invalid")
    assert result.exit_code == 1
    assert "the data is invalid" in result.stderr


def test_a_group_too_large_to_chart_is_reported_without_the_chart(xmfin: Invoke, tmp_path: Path) -> None:
    """The chart's refusal (diagram's size limit) leaves the chart out of the report, not the report."""
    from .test_diagram import write_shape

    folder = write_shape(tmp_path / "fan", chain=400, fan=True)
    result = xmfin("report", "--data", str(folder), case=None)
    assert result.exit_code == 0, result.stderr
    page = result.stdout
    assert "<svg" not in page and "The chart is left out: the structure is too large to lay out" in page
    assert page.count("<tr data-id=") == 400
    holdings = page[page.index('<table class="holdings">') :]
    assert holdings[: holdings.index("</table>")].count("<tr>") == 1 + 399 + 398
