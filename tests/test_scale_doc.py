"""The algorithm of docs/scale.md is right: its DuckDB reference (bench/scale_reference.py), run on the tables of
`xmfin export -f parquet`, gives every owner's effective stake in every entity as `xmfin chain --json` does
(effective_min, effective_max, via_vie), on every fixture, the bundled data and a generated registry, on
several days, with cross-holding cycles past their path budget too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from bench import scale_reference
from bench.generate import generate
from xmfin import graph as graph_module
from xmfin.api import bundled_data, explore
from xmfin.output.jsonout import chain_json

from .conftest import FIXTURES, Invoke

FOLDERS = sorted(
    path.name
    for path in FIXTURES.iterdir()
    if (path / "entities.yaml").is_file() and path.name not in ("invalid", "several-errors")
)
DAYS = ["2016", "2019-05-15", "2024-01-01"]


def tables_of(xmfin: Invoke, folder: Path, out: Path) -> Path:
    result = xmfin("export", "-f", "parquet", "-o", str(out), "--data", str(folder), case=None)
    assert result.exit_code == 0, result.stderr
    return out


def reference(tables: Path, day: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The reference's answers as `chain --json` states them: percent, rounded as xmfin rounds."""
    lines = scale_reference.lines(tables, _day(day), None)
    return {(row["owner"], row["target"]): row for row in map(json.loads, lines)}


def _day(text: str) -> Any:
    from xmfin.dates import as_of_day

    return as_of_day(text)


def close(a: float | None, b: float | None) -> bool:
    """Equal but for the last digit xmfin prints (the sums may run in another order)."""
    return (a is None) == (b is None) and (a is None or b is None or abs(a - b) <= 2e-6)


def check_every_pair(folder: Path, tables: Path, day: str) -> int:
    """Every (owner, entity) pair of xmfin's chain is the reference's, with the same bounds; their count."""
    found = reference(tables, day)
    session = explore(folder, day)
    graph = session.graph
    expected: set[tuple[str, str]] = set()
    for target in graph.data.entities:
        for owner in graph.effective_to(target):
            if owner == target:
                continue
            expected.add((owner, target))
            answer = chain_json(session.chain(target, owner), graph)
            mine = found.get((owner, target))
            assert mine is not None, (owner, target, day)
            assert close(mine["effective_min"], answer["effective_min"]), (owner, target, day, mine, answer)
            assert close(mine["effective_max"], answer["effective_max"]), (owner, target, day, mine, answer)
            assert mine["via_vie"] == answer["via_vie"], (owner, target, day, mine, answer)
    assert set(found) == expected
    return len(expected)


@pytest.mark.parametrize("name", ["bundled", *FOLDERS])
def test_the_reference_equals_chain_on_every_pair(xmfin: Invoke, tmp_path: Path, name: str) -> None:
    folder = bundled_data() if name == "bundled" else FIXTURES / name
    tables = tables_of(xmfin, folder, tmp_path / "t")
    for day in DAYS:
        check_every_pair(folder, tables, day)


def test_the_reference_equals_the_chain_command_top_owners(xmfin: Invoke, tmp_path: Path) -> None:
    """`xmfin chain ENTITY --json` itself, by_owner, on the bundled data (the command, not the function)."""
    tables = tables_of(xmfin, bundled_data(), tmp_path / "t")
    found = reference(tables, "2019-05-15")
    for target in ("xw-bank", "chongqing-xiaomi-microcredit", "xiaomi-electronic-software", "alipay"):
        result = xmfin("chain", target, "--json", "--as-of", "2019-05-15", case=None)
        assert result.exit_code == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["by_owner"], target
        for owner, stake in answer["by_owner"].items():
            mine = found[(owner, answer["entity"])]
            assert close(mine["effective_min"], stake["effective_min"]), (owner, target)
            assert close(mine["effective_max"], stake["effective_max"]), (owner, target)
            assert mine["via_vie"] == stake["via_vie"]


def test_a_generated_registry(xmfin: Invoke, tmp_path: Path) -> None:
    """The bench's generator: trees, diamonds, VIEs with nominees, cross-holdings, dated changes."""
    folder = tmp_path / "registry"
    generate(1000, folder)
    tables = tables_of(xmfin, folder, tmp_path / "t")
    for day in ("2016", "2024-01-01"):
        assert check_every_pair(folder, tables, day) > 1000


def test_a_cycle_past_its_budget_is_unbounded_above_in_both(
    xmfin: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five companies each holding 10% of every other: more simple paths than a budget of 50 allows."""
    folder = tmp_path / "dense"
    folder.mkdir()
    names = [f"c{i}" for i in range(5)]
    holdings = "".join(
        f"  - {{owner: {a}, owned: {b}, stake: 10, sources: [s]}}\n" for a in names for b in names if a != b
    )
    entities = "".join(f"  {n}: {{name: Company {n}, sources: [s]}}\n" for n in names)
    (folder / "entities.yaml").write_text(
        "version: 1\nsources:\n  s: {title: S}\nentities:\n"
        + entities
        + "  top: {name: Top, sources: [s]}\nholdings:\n"
        + holdings
        + "  - {owner: top, owned: c0, stake: 60, sources: [s]}\n",
        encoding="utf-8",
    )
    (folder / "licences.yaml").write_text("version: 1\n", encoding="utf-8")
    tables = tables_of(xmfin, folder, tmp_path / "t")
    assert check_every_pair(folder, tables, "2024-01-01") == 5 * 4 + 5
    monkeypatch.setattr(graph_module, "CYCLE_PATH_BUDGET", 50)
    monkeypatch.setattr(scale_reference, "CYCLE_PATH_BUDGET", 50)
    check_every_pair(folder, tables, "2024-01-01")
    assert reference(tables, "2024-01-01")[("top", "c1")]["effective_max"] is None


def test_the_spark_job_in_the_doc_is_python_and_uses_the_reference() -> None:
    """Not run (no Spark in CI), but it compiles, and the functions it imports from the reference exist."""
    import re

    text = (Path(__file__).parent.parent / "docs" / "scale.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 1
    compile(blocks[0], "docs/scale.md", "exec")
    imported = re.search(r"^from scale_reference import (.+?)  #", blocks[0], flags=re.MULTILINE)
    assert imported is not None
    for name in imported.group(1).split(", "):
        assert hasattr(scale_reference, name), name
