"""`xmfin export -f graphml` by our streaming writer: networkx reads back exactly what its own writer would have
written from `export_graph` (same nodes, edges, attributes and their types), nasty text included."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from xmfin.graph import OwnershipGraph
from xmfin.output.export import select
from xmfin.output.graphml import graphml_lines
from xmfin.output.graphs import (
    EDGE_ATTRIBUTES,
    GRAPH_ATTRIBUTES,
    GROUP_NODE_ATTRIBUTES,
    NODE_ATTRIBUTES,
    ExportAttributes,
    export_graph,
    xml_text,
)
from xmfin.storage.loading import load

from .conftest import FIXTURES, Invoke, fixture_path
from .test_export import valid_fixtures

BUNDLED = Path(__file__).parents[1] / "data"
DAYS = (dt.date(2024, 1, 1), dt.date(2017, 12, 31))
PYTHON_TYPES = {"string": str, "boolean": bool, "double": float}


def folders() -> list[str]:
    return [*valid_fixtures(), *(["bundled"] if (BUNDLED / "entities.yaml").is_file() else [])]


def folder(case: str) -> Path:
    return BUNDLED if case == "bundled" else fixture_path(case)


def typed(attributes: dict[str, Any]) -> dict[str, tuple[type, Any]]:
    """Attributes with the Python type of each value, so that 1.0 and True, or "1" and 1.0, differ."""
    return {key: (type(value), value) for key, value in attributes.items()}


def read_back(text: str) -> tuple[Any, ...]:
    """Everything networkx reads from a GraphML text: kind of graph, graph data, nodes and edges in order."""
    graph = nx.parse_graphml(text)
    return (
        type(graph),
        typed(graph.graph),
        [(node, typed(values)) for node, values in graph.nodes(data=True)],
        [(owner, owned, typed(values)) for owner, owned, values in graph.edges(data=True)],
    )


def networkx_text(graph: OwnershipGraph, group_id: str | None) -> str:
    group = graph.data.groups[group_id] if group_id else None
    return "\n".join(nx.generate_graphml(export_graph(graph, select(graph, group), group)))


def streamed_text(graph: OwnershipGraph, group_id: str | None) -> str:
    group = graph.data.groups[group_id] if group_id else None
    return "".join(graphml_lines(graph, select(graph, group), group))


@pytest.mark.parametrize("case", folders())
def test_reads_back_as_networkx_own_writer(case: str) -> None:
    data = load(folder(case))
    for day in DAYS:
        graph = OwnershipGraph(data, day)
        for group_id in (None, *data.groups):
            expected = read_back(networkx_text(graph, group_id))
            assert expected[2], "no nodes: the comparison would prove nothing"
            assert read_back(streamed_text(graph, group_id)) == expected, (case, day, group_id)


@pytest.mark.parametrize("case", folders())
def test_every_attribute_is_declared_with_its_type(case: str) -> None:
    data = load(folder(case))
    graph = OwnershipGraph(data, DAYS[0])
    for group in (None, *data.groups.values()):
        attributes = ExportAttributes(graph, select(graph, group), group)
        checked = [(attributes.graph_types, attributes.graph())]
        checked += [(attributes.node_types, values) for _, values in attributes.nodes()]
        checked += [(EDGE_ATTRIBUTES, values) for _, _, values in attributes.edges()]
        for types, values in checked:
            for name, value in values.items():
                assert type(value) is PYTHON_TYPES[types[name]], (name, value)


def test_group_attributes_only_in_a_group_export() -> None:
    graph = OwnershipGraph(load(fixture_path("interop")), DAYS[0])
    whole = ExportAttributes(graph, graph.data, None)
    assert whole.node_types == NODE_ATTRIBUTES
    assert whole.graph_types == {"as_of": "string"}
    group = graph.data.groups["top"]
    one = ExportAttributes(graph, select(graph, group), group)
    assert one.node_types == NODE_ATTRIBUTES | GROUP_NODE_ATTRIBUTES
    assert one.graph_types == GRAPH_ATTRIBUTES


def test_group_export_carries_member_stake_vie_and_control(xmfin: Invoke) -> None:
    result = xmfin("export", "-f", "graphml", "--group", "top", "--as-of", "2020", case="interop")
    assert result.exit_code == 0, result.stderr
    graph = nx.parse_graphml(result.stdout)
    assert graph.graph["group"] == "top"
    assert typed(graph.nodes["lender"]) == typed(
        {
            "label": "Top Lender",
            "name": "Top Lender",
            "kind": "company",
            "jurisdiction": "CN-CQ",
            "licences": "microcredit",
            "licence_names": "Microcredit",
            "member": True,
            "effective_stake": 60.0,
            "effective_min": 60.0,
            "effective_max": 60.0,
            "via_vie": True,
            "controlled": True,
        }
    )
    assert typed(graph.nodes["top-hk"])["effective_stake"] == (float, 100.0)
    assert graph.nodes["top-hk"]["via_vie"] is False
    fund = graph.nodes["fund"]
    assert (fund["member"], fund["controlled"]) == (False, False)
    assert "effective_stake" not in fund and "via_vie" not in fund
    for name in GROUP_NODE_ATTRIBUTES:
        assert f'attr.name="{name}"' in result.stdout
    plain = xmfin("export", "-f", "graphml", "--as-of", "2020", case="interop").stdout
    for name in (*GROUP_NODE_ATTRIBUTES, "group"):
        assert f'attr.name="{name}"' not in plain


# Every kind of text XML makes hard: its specials, a CDATA end, characters XML 1.0 cannot hold (U+FFFD in the
# file), line separators, CJK and a character outside the BMP, spaces at the ends, and a very long note.
NASTY = {
    "specials": '<a href="x">\'Tom\' & "Jerry"</a> ]]> &amp; &#0; <!-- -->',
    "controls": "nul\x00 bell\x07 esc\x1b vt\x0b ff\x0c del\x7f nel\x85 ls\u2028 ps\u2029 tab\t end",
    "cjk": "小米金融\uff08重庆\uff09有限公司 · 😀 \U0002a6a5",
    "spaces": "  lead and trail  ",
    "lines": "line one\nline two\n",
}
LONG_NOTE = "注" + "<&>\"' long note, " * 20_000


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar holding any text: every character outside printable ASCII as \\U escape."""
    return '"' + "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08x}" for c in text) + '"'


@pytest.fixture
def nasty_folder(tmp_path: Path) -> Path:
    """Entities named with each nasty text (and it as Chinese name and jurisdiction-free), in a group."""
    entities = "".join(
        f"  {key}: {{name: {_yaml(text)}, name_zh: {_yaml(text[::-1])}, sources: [s]}}\n" for key, text in NASTY.items()
    )
    (tmp_path / "entities.yaml").write_text(
        "version: 1\nsources:\n  s: {title: t}\n"
        "groups:\n  g: {name: G, root: specials}\n"
        f"entities:\n{entities}"
        "holdings:\n"
        f"  - {{owner: specials, owned: controls, stake: 12.345678, sources: [s], note: {_yaml(LONG_NOTE)}}}\n"
        f"  - {{owner: controls, owned: cjk, control: vie, sources: [s], note: {_yaml(NASTY['cjk'])}}}\n"
        f"  - {{owner: cjk, owned: spaces, stake: 100, sources: [s], note: {_yaml(NASTY['specials'])}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("group", [None, "g"])
def test_nasty_text_round_trips(xmfin: Invoke, nasty_folder: Path, group: str | None) -> None:
    data = load(nasty_folder)
    assert {key: entity.name for key, entity in data.entities.items()} == NASTY
    args = ["--group", group] if group else []
    result = xmfin("export", "-f", "graphml", "--as-of", "2024", *args, "--data", str(nasty_folder), case=None)
    assert result.exit_code == 0, result.stderr
    graph = nx.parse_graphml(result.stdout)
    # The group holds the chain from `specials` down; `lines` is in no holding.
    assert set(graph.nodes) == set(NASTY) - ({"lines"} if group else set())
    for key in graph.nodes:
        text = NASTY[key]
        assert graph.nodes[key]["name"] == xml_text(text)
        assert graph.nodes[key]["label"] == xml_text(text)
        assert graph.nodes[key]["name_zh"] == xml_text(text[::-1])
    assert graph.nodes["controls"]["name"] == (
        "nul\ufffd bell\ufffd esc\ufffd vt\ufffd ff\ufffd del\x7f nel\x85 ls\u2028 ps\u2029 tab\t end"
    )
    assert graph.edges["specials", "controls"]["note"] == LONG_NOTE
    assert graph.edges["specials", "controls"]["stake"] == 12.345678
    assert graph.edges["controls", "cjk"]["note"] == NASTY["cjk"]
    assert graph.edges["cjk", "spaces"]["note"] == NASTY["specials"]
    assert read_back(result.stdout) == read_back(networkx_text(OwnershipGraph(data, dt.date(2024, 12, 31)), group))


def test_carriage_returns_survive(tmp_path: Path) -> None:
    # A raw CR in XML text is read as a line feed (networkx's writer loses it); written as &#13; it stays.
    (tmp_path / "entities.yaml").write_text(
        'version: 1\nsources:\n  s: {title: t}\nentities:\n  a: {name: "one\\r\\ntwo\\rthree", sources: [s]}\n',
        encoding="utf-8",
    )
    (tmp_path / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    graph = OwnershipGraph(load(tmp_path), DAYS[0])
    assert nx.parse_graphml(streamed_text(graph, None)).nodes["a"]["name"] == "one\r\ntwo\rthree"


def test_streams_without_networkx(tmp_path: Path) -> None:
    # The point of our writer: no networkx graph (nor networkx itself) in memory on the way to the file.
    out = tmp_path / "out.graphml"
    code = (
        "import sys\n"
        "from xmfin.cli import app\n"
        f"app(['export', '-f', 'graphml', '--data', {str(FIXTURES / 'interop')!r}, '-o', {str(out)!r}],"
        " standalone_mode=False)\n"
        "assert 'networkx' not in sys.modules, 'networkx was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "XMFIN_NO_CACHE": "1"})
    assert nx.read_graphml(out).number_of_nodes() == 9  # old-sub was dissolved in 2018


def test_output_is_a_stream_of_small_chunks() -> None:
    graph = OwnershipGraph(load(fixture_path("interop")), DAYS[0])
    chunks = list(graphml_lines(graph, graph.data, None))
    # Header, keys, graph opening and data, one chunk per node and per edge, closing.
    assert len(chunks) == 1 + 21 + 1 + 1 + 10 + 9 + 1  # 21 keys: 5 for ranges and nominees on edges
    assert chunks[0].startswith('<?xml version="1.0" encoding="UTF-8"?>\n<graphml ')
    assert chunks[-1] == "  </graph>\n</graphml>\n"
