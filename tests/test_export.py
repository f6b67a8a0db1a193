"""`xmfin export`: each format read back by an independent consumer (json, csv, networkx), and its errors."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import networkx as nx
import pytest

from xmfin.output.export import CSV_TABLES, RECORD_TYPES, select
from xmfin.output.graphs import dot_quote, mermaid_text

from .conftest import Invoke, graph_of, load_case

CASE = "interop"
TOP_NAME = 'Top "Holdings" <Ltd> & Co | #1 [KY] {x} \\ end'
# On 2020 every holding of the fixture is active except top-hk -> old-sub (ended 2018-06).
ACTIVE_2020 = 9


def export(xmfin: Invoke, *args: str) -> str:
    result = xmfin("export", *args, case=CASE)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_json_holds_every_record_as_loaded(xmfin: Invoke) -> None:
    document = json.loads(export(xmfin, "-f", "json", "--as-of", "2020"))
    data = load_case(CASE)
    assert document["xmfin"] == 1
    assert document["as_of"] == "2020-12-31"
    assert document["group"] is None
    for section in RECORD_TYPES:
        assert len(document[section]) == len(getattr(data, section)), section
    top = document["entities"]["top-co"]
    assert top["name"] == TOP_NAME
    assert top["name_zh"] == "顶控股"
    assert top["former_names"] == [{"name": "Old Top", "name_zh": None, "since": None, "until": "2015"}]
    assert top["figures"][0]["value"] == 1.5e9
    assert top["description"] == 'Line one.\nLine two, with a "quote".'
    vie = next(h for h in document["holdings"] if h["control"] == "vie")
    assert vie == {
        "owner": "top-co",
        "owned": "opco",
        "stake": None,
        "control": "vie",
        "since": None,
        "until": None,
        "sources": ["article"],
        "note": 'Exclusive "business" agreement',
        "extra": None,
        "quotes": [],
        "stake_min": None,
        "stake_max": None,
        "stake_min_exclusive": False,
        "stake_max_exclusive": False,
        "pending": False,
        "nominee_for": None,
    }


def test_json_is_utf8_with_chinese_unescaped(xmfin: Invoke) -> None:
    text = export(xmfin, "-f", "json")
    assert "顶控股" in text
    assert "\\u" not in text


def test_jsonl_is_one_typed_record_per_line(xmfin: Invoke) -> None:
    lines = export(xmfin, "-f", "jsonl").splitlines()
    data = load_case(CASE)
    records = [json.loads(line) for line in lines]
    expected = sum(len(getattr(data, section)) for section in RECORD_TYPES)
    assert len(records) == expected
    kinds = [r["type"] for r in records]
    assert kinds.count("holding") == 10
    assert kinds.count("entity") == 10
    assert kinds.count("claim") == 1
    # Sections in file order: every source before every entity, every entity before every holding.
    assert kinds.index("entity") > max(i for i, k in enumerate(kinds) if k == "source")
    assert kinds.index("holding") > max(i for i, k in enumerate(kinds) if k == "entity")
    licence = next(r for r in records if r["type"] == "licence" and r["holder"] == "lender")
    assert licence["regulator"] == "重庆市金融工作办公室"


def test_csv_folder_has_one_table_per_record_type(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "tables"
    assert export(xmfin, "-f", "csv", "-o", str(out)) == ""
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in CSV_TABLES)
    with (out / "entities.csv").open(encoding="utf-8", newline="") as stream:
        entities = list(csv.DictReader(stream))
    assert len(entities) == 10
    top = entities[0]
    assert top["id"] == "top-co"
    assert top["name"] == TOP_NAME
    assert top["aliases"] == '["Top", "顶"]'  # lists are JSON arrays: unambiguous whatever an item holds
    assert top["description"] == 'Line one.\nLine two, with a "quote".'
    assert top["dissolved"] == ""
    assert "figures" not in top
    with (out / "figures.csv").open(encoding="utf-8", newline="") as stream:
        figures = list(csv.DictReader(stream))
    assert figures == [
        {
            "entity": "top-co",
            "metric": "revenue",
            "value": "1500000000.0",  # 1.5e9 in the data file: a decimal number, read back as one
            "unit": "CNY",
            "period": "2019",
            "as_of": "",
            "sources": '["filing"]',
            "note": "",
            "quotes": "",
        }
    ]
    with (out / "former_names.csv").open(encoding="utf-8", newline="") as stream:
        assert [row["name"] for row in csv.DictReader(stream)] == ["Old Top"]


def test_csv_table_to_stdout(xmfin: Invoke) -> None:
    rows = list(csv.DictReader(io.StringIO(export(xmfin, "-f", "csv", "--table", "holdings"))))
    assert len(rows) == 10
    vie = next(r for r in rows if r["control"] == "vie")
    assert vie["stake"] == ""  # undisclosed: an empty cell, not 0
    assert vie["note"] == 'Exclusive "business" agreement'
    lender = next(r for r in rows if r["owned"] == "lender" and r["owner"] == "opco")
    assert (lender["stake"], lender["since"]) == ("60", "2015-06")


def test_graphml_read_back_by_networkx(xmfin: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "graph.graphml"
    export(xmfin, "-f", "graphml", "--as-of", "2020", "-o", str(path))
    graph = nx.read_graphml(path)
    assert graph.is_directed()
    assert graph.number_of_nodes() == 9  # old-sub was dissolved in 2018: no node in 2020
    assert graph.number_of_edges() == ACTIVE_2020
    assert graph.graph["as_of"] == "2020-12-31"
    top = graph.nodes["top-co"]
    assert (top["name"], top["name_zh"], top["jurisdiction"], top["kind"]) == (TOP_NAME, "顶控股", "KY", "company")
    assert graph.nodes["lender"]["licences"] == "microcredit"
    assert graph.nodes["lender"]["licence_names"] == "Microcredit"
    assert "licences" not in graph.nodes["top-hk"]  # no value: no attribute (GraphML has no null)
    assert graph.edges["opco", "lender"] == {
        "stake": 60.0,
        "control": "equity",
        "since": "2015-06",
        "sources": "article",
    }
    vie = graph.edges["top-co", "opco"]
    assert vie["control"] == "vie"
    assert "stake" not in vie
    assert not graph.has_edge("top-hk", "old-sub")


def test_graphml_on_an_earlier_day_has_the_ended_holding(xmfin: Invoke) -> None:
    graph = nx.parse_graphml(export(xmfin, "-f", "graphml", "--as-of", "2017"))
    assert graph.has_edge("top-hk", "old-sub")
    assert graph.edges["top-hk", "old-sub"]["until"] == "2018-06"
    assert graph.has_edge("opco", "lender")  # since 2015-06: active in 2017


def test_gexf_read_back_by_networkx(xmfin: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "graph.gexf"
    export(xmfin, "-f", "gexf", "--as-of", "2020", "-o", str(path))
    graph = nx.read_gexf(path)
    assert graph.number_of_nodes() == 9  # old-sub was dissolved in 2018: no node in 2020
    assert graph.number_of_edges() == ACTIVE_2020
    top = graph.nodes["top-co"]
    assert top["label"] == TOP_NAME
    assert top["jurisdiction"] == "KY"
    assert graph.nodes["bank"]["licence_names"] == 'Private bank "民营银行"'
    edge = graph.edges["fund", "lender"]
    assert (edge["stake"], edge["control"]) == (40.0, "equity")
    assert graph.edges["other-co", "lender"]["control"] == "voting"


def test_group_graph_carries_membership_and_effective_stakes(xmfin: Invoke) -> None:
    graph = nx.parse_graphml(export(xmfin, "-f", "graphml", "--group", "top", "--as-of", "2020"))
    # Members, plus the direct owners of members (nominee, fund, other-co); old-sub ended in 2018.
    assert set(graph.nodes) == {"top-co", "top-hk", "top-wfoe", "opco", "lender", "bank", "nominee", "fund", "other-co"}
    lender = graph.nodes["lender"]
    assert (lender["member"], lender["effective_stake"], lender["via_vie"], lender["controlled"]) == (
        True,
        60.0,
        True,
        True,
    )
    assert graph.nodes["fund"]["member"] is False
    assert "effective_stake" not in graph.nodes["fund"]
    assert graph.graph["group"] == "top"


def test_group_selection_is_a_closed_data_folder() -> None:
    graph = graph_of(CASE, "2020")
    part = select(graph, graph.data.groups["top"])
    assert list(part.groups) == ["top"]
    assert "old-sub" not in part.entities
    assert {h.owner for h in part.holdings} <= set(part.entities)
    assert {r.holder for r in part.roles} <= set(part.entities)
    assert {lic.holder for lic in part.licences} == {"lender", "bank"}
    assert part.claims == []  # the claim is about the other group
    assert set(part.sources) == {"filing", "article"}


def test_dot_escapes_and_draws_vie_dashed(xmfin: Invoke) -> None:
    text = export(xmfin, "-f", "dot", "--as-of", "2020")
    assert text.startswith("digraph xmfin {\n") and text.endswith("}\n")
    assert '"top-co" [label="Top \\"Holdings\\" <Ltd> & Co | #1 [KY] {x} \\\\ end\\n顶控股\\n(KY)"];' in text
    assert '"top-co" -> "opco" [label="VIE", style=dashed];' in text
    assert '"other-co" -> "lender" [label="voting", style=dotted];' in text
    assert '"lender" [label="Top Lender\\n(CN-CQ)\\nlicences: Microcredit"];' in text
    assert '"nominee" [label="Nominee \\"Zhang\\"\\n(CN)", shape=ellipse];' in text
    assert len(re.findall(r" -> ", text)) == ACTIVE_2020
    # Every double quote inside a string is escaped: stripping escapes leaves an even number per line.
    for line in text.splitlines():
        assert line.replace("\\\\", "").replace('\\"', "").count('"') % 2 == 0, line


def test_dot_quote_escapes_backslash_quote_and_line_breaks() -> None:
    assert dot_quote('a "b" \\n\nc\r\nd') == '"a \\"b\\" \\\\n\\nc\\nd"'


def test_mermaid_is_a_flowchart_with_escaped_labels(xmfin: Invoke) -> None:
    text = export(xmfin, "-f", "mermaid", "--as-of", "2020")
    lines = text.splitlines()
    assert lines[:4] == ["---", 'title: "xmfin ownership, as of 2020-12-31"', "---", "flowchart TD"]
    assert (
        '  n1["Top #quot;Holdings#quot; #lt;Ltd#gt; #amp; Co #124; #35;1 #91;KY#93; #123;x#125; \\ end'
        '<br/>顶控股<br/>(KY)"]' in lines
    )
    assert '  n1 -.->|"VIE"| n4' in lines
    assert '  n8 ==>|"voting"| n6' in lines
    assert '  n5(["Nominee #quot;Zhang#quot;<br/>(CN)"])' in lines
    edges = [line for line in lines if re.fullmatch(r"  n\d+ (-->|-\.->|==>)\|\"[^\"]*\"\| n\d+", line)]
    assert len(edges) == ACTIVE_2020
    nodes = [line for line in lines if re.fullmatch(r'  n\d+(\["[^"]*"\]|\(\["[^"]*"\]\))', line)]
    assert len(nodes) == 9  # old-sub was dissolved in 2018


def test_mermaid_text_escapes_every_special_character() -> None:
    assert mermaid_text('a"b#c<d>e&f|g`h[i]j{k}l\nm') == (
        "a#quot;b#35;c#lt;d#gt;e#amp;f#124;g#96;h#91;i#93;j#123;k#125;l m"
    )


def test_output_file_is_written_instead_of_stdout(xmfin: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    assert export(xmfin, "-f", "jsonl", "-o", str(path)) == ""
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(export(xmfin, "-f", "jsonl").splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "yaml"], "unknown export format 'yaml'"),
        (["-f", "graphm"], "did you mean 'graphml'?"),
        (["-f", "csv"], "csv makes one file per table: give -o DIR, or --table TABLE"),
        (["-f", "json", "--table", "entities"], "--table goes with --format csv"),
        (["-f", "csv", "--table", "entity"], "unknown table 'entity' (did you mean 'entities'?)"),
        (["-f", "json", "--group", "nope"], "unknown group 'nope'"),
        (["-f", "json", "--as-of", "2019-13"], "--as-of: '2019-13' is not a date"),
    ],
)
def test_bad_usage_exits_2(xmfin: Invoke, args: list[str], message: str) -> None:
    result = xmfin("export", *args, case=CASE)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_csv_into_a_file_is_refused(xmfin: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    path.write_text("x", encoding="utf-8")
    result = xmfin("export", "-f", "csv", "-o", str(path), case=CASE)
    assert result.exit_code == 2
    assert "csv writes a folder of tables, and this is a file" in result.stderr


def test_invalid_data_exits_1(xmfin: Invoke, tmp_path: Path) -> None:
    (tmp_path / "entities.yaml").write_text("version: 1\nentities:\n  a: {nme: A}\n", encoding="utf-8")
    (tmp_path / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    result = xmfin("export", "-f", "json", "--data", str(tmp_path), case=None)
    assert result.exit_code == 1
    assert "unknown key 'nme'" in result.stderr


def test_unwritable_output_exits_2(xmfin: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "out.json"
    result = xmfin("export", "-f", "json", "-o", str(target), case=CASE)
    assert result.exit_code == 2
    assert f"-o {target}: cannot write: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_interop_commands(xmfin: Invoke) -> None:
    result = xmfin("--help", case=None)
    for command in ("export", "import", "schema"):
        assert command in result.stdout
    sub = xmfin("import", "--help", case=None)
    assert sub.exit_code == 0
    assert "bods" in sub.stdout


def test_one_csv_table_into_a_file(xmfin: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "licences.csv"
    assert export(xmfin, "-f", "csv", "--table", "licences", "-o", str(path)) == ""
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["holder"], r["category"], r["regulator"]) for r in rows] == [
        ("lender", "microcredit", "重庆市金融工作办公室"),
        ("bank", "private-bank", ""),
    ]


def test_group_json_holds_only_the_group(xmfin: Invoke) -> None:
    document = json.loads(export(xmfin, "-f", "json", "--group", "Top Group", "--as-of", "2020"))
    assert document["group"] == "top"
    assert list(document["groups"]) == ["top"]
    assert "old-sub" not in document["entities"]
    assert "nominee" in document["entities"]
    assert len(document["holdings"]) == 9  # all but the ended one into old-sub, no longer a member
    assert document["claims"] == []


CONTROL_NAME = "bell\x07name\x01 line\u2028sep\x85nel\ttab\x7f"


@pytest.fixture
def control_folder(tmp_path: Path) -> Path:
    """A valid data folder whose names carry control characters (escaped in YAML, so the loader takes them)."""
    (tmp_path / "entities.yaml").write_text(
        "version: 1\nsources:\n  s: {title: t}\nentities:\n"
        '  a: {name: "bell\\aname\\x01 line\\Lsep\\Nnel\\ttab\\x7f", sources: [s]}\n'
        "  b: {name: B, sources: [s]}\n"
        'holdings:\n  - {owner: a, owned: b, stake: 10, sources: [s], note: "x\\by"}\n',
        encoding="utf-8",
    )
    (tmp_path / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_xml_formats_survive_control_characters(xmfin: Invoke, control_folder: Path, fmt: str) -> None:
    from xmfin.storage.loading import load

    assert load(control_folder).entities["a"].name == CONTROL_NAME
    result = xmfin("export", "-f", fmt, "--data", str(control_folder), case=None)
    assert result.exit_code == 0, result.stderr
    reader = nx.parse_graphml if fmt == "graphml" else lambda text: nx.read_gexf(io.BytesIO(text.encode()))
    graph = reader(result.stdout)
    assert graph.nodes["a"]["name"] == "bell\ufffdname\ufffd line\u2028sep\x85nel\ttab\x7f"
    assert graph.edges["a", "b"]["note"] == "x\ufffdy"


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_diagrams_carry_no_control_characters(xmfin: Invoke, control_folder: Path, fmt: str) -> None:
    result = xmfin("export", "-f", fmt, "--data", str(control_folder), case=None)
    assert result.exit_code == 0, result.stderr
    body = result.stdout.replace("\n", "")
    assert re.search("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]", body) is None
    expected = (
        '"a" [label="bell\ufffdname\ufffd line\\nsep\\nnel\ttab\ufffd"];'
        if fmt == "dot"
        else '  n1["bell\ufffdname\ufffd line sep nel\ttab\ufffd"]'
    )
    assert expected in result.stdout


def valid_fixtures() -> list[str]:
    from xmfin.storage.loading import check_folder

    from .conftest import FIXTURES

    return sorted(
        p.name for p in FIXTURES.iterdir() if p.is_dir() and not any(q.severity == "error" for q in check_folder(p)[1])
    )


@pytest.mark.parametrize("case", valid_fixtures())
def test_every_fixture_reads_back_as_the_same_graph(xmfin: Invoke, case: str) -> None:
    expected = graph_of(case, "2024-01-01")
    result = xmfin("export", "-f", "graphml", "--as-of", "2024-01-01", case=case)
    assert result.exit_code == 0, result.stderr
    graph = nx.parse_graphml(result.stdout)
    assert set(graph.nodes) == set(expected.nx.nodes)
    assert set(graph.edges) == set(expected.nx.edges)
    for owner, owned in graph.edges:
        holding = expected.holding(owner, owned)
        assert graph.edges[owner, owned].get("stake") == holding.stake
        assert graph.edges[owner, owned]["control"] == holding.control
    gexf = nx.read_gexf(io.BytesIO(xmfin("export", "-f", "gexf", "--as-of", "2024", case=case).stdout.encode()))
    assert gexf.number_of_nodes() == graph.number_of_nodes()
