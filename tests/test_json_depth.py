"""JSON output nested to any depth: `tree --json` of a long chain is written by a loop where json's encoder would
recurse past Python's limit, to the very text json.dumps gives."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from xmfin.cli import app
from xmfin.graph import Effective, OwnershipGraph, TreeNode
from xmfin.model import Dataset, Entity
from xmfin.output.jsonout import _deep_chunks, dumps, tree_json

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(-5, 5) | st.booleans() | st.none(), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(VALUES)
def test_the_loop_writes_what_json_dumps_writes(value: Any) -> None:
    assert "".join(_deep_chunks(value)) == json.dumps(value, ensure_ascii=False)


def nested(depth: int) -> Any:
    value: Any = {"leaf": [1, "二", None]}
    for level in range(depth):
        value = {"level": level, "children": [value, []], "more": {}}
    return value


def test_deep_values_give_json_dumps_text() -> None:
    value = nested(3000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20000)
    try:
        expected = json.dumps(value, ensure_ascii=False)
    finally:
        sys.setrecursionlimit(limit)
    assert dumps(value) == expected


def test_a_tree_100000_deep_is_written() -> None:
    depth = 100_000
    nodes = [TreeNode(Entity(id=f"e{n}", name=f"E {n}"), None, Effective(), False) for n in range(depth)]
    for parent, child in itertools.pairwise(nodes):
        parent.children.append(child)
    graph = OwnershipGraph(Dataset(), dt.date(2024, 1, 1))
    text = dumps({"xmfin": 1, "root": tree_json(nodes[0], {}, graph)})
    assert text.startswith('{"xmfin": 1, "root": {"id": "e0", "name": "E 0", ')
    assert text.count('"children": [') == depth
    assert text.endswith('"children": []' + "}]" * (depth - 1) + "}}")


def chain_folder(path: Path, length: int) -> Path:
    path.mkdir()
    lines = ["version: 1", "sources:", "  s: {title: S}", "groups:", "  g: {name: G, root: e0, default: true}"]
    lines += ["entities:", *(f"  e{n}: {{name: E{n}, jurisdiction: HK, sources: [s]}}" for n in range(length))]
    lines += ["holdings:"]
    lines += [f"  - {{owner: e{n}, owned: e{n + 1}, stake: 100, sources: [s]}}" for n in range(length - 1)]
    (path / "entities.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (path / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    return path


def test_tree_json_of_a_1000_deep_chain(tmp_path: Path) -> None:
    data = chain_folder(tmp_path / "chain", 1000)
    result = CliRunner().invoke(app, ["tree", "--json", "--data", str(data)])
    assert result.exit_code == 0, result.stderr
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20000)
    try:
        document = json.loads(result.stdout)
        assert result.stdout == json.dumps(document, ensure_ascii=False) + "\n"
    finally:
        sys.setrecursionlimit(limit)
    node, depth = document["root"], 1
    while node["children"]:
        node, depth = node["children"][0], depth + 1
    assert depth == 1000
