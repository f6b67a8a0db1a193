"""`xmfin matrix`: every group against every family or category, as records, JSON and a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from xmfin.errors import UsageError
from xmfin.graph import OwnershipGraph
from xmfin.licensing import Filters, licence_matrix
from xmfin.storage.loading import load

from .conftest import Invoke, fixture_path, graph_of

CASE = "explorer"


def cells(matrix_json: dict, key: str) -> dict[str, list[str]]:
    """group -> holder ids of one row of `matrix --json`."""
    row = next(r for r in matrix_json["rows"] if r["licence"] == key)
    return {g: [h["entity"] for h in held] for g, held in row["held"].items()}


def test_matrix_rows_are_families_columns_are_groups() -> None:
    matrix = licence_matrix(graph_of(CASE, "2020"))
    assert matrix.groups == ["xm", "ant", "tx"]
    assert matrix.by == "family"
    assert [row.key for row in matrix.rows] == ["bank", "fund", "lending", "payment"]
    bank = matrix.rows[0]
    assert [h.licence.holder for h in bank.held["ant"]] == ["mybank"]
    assert [h.licence.holder for h in bank.held["tx"]] == ["webank"]
    assert bank.held["xm"] == []
    fund = matrix.rows[1]
    assert [c.family for c in fund.claimed["xm"]] == ["fund"]


def test_matrix_filters_apply_to_every_group() -> None:
    matrix = licence_matrix(graph_of(CASE, "2020"), filters=Filters(min_stake=50))
    bank = matrix.rows[0]
    assert bank.held == {"xm": [], "ant": [], "tx": []}
    controlled = licence_matrix(graph_of(CASE, "2020"), filters=Filters(controlled=True))
    assert controlled.rows[0].held["ant"] == []
    assert [h.licence.holder for h in controlled.rows[1].held["ant"]] == ["ant-fund"]


def test_matrix_json(xmfin_json) -> None:
    doc = xmfin_json("matrix", "--as-of", "2020", case=CASE)
    assert doc["xmfin"] == 1
    assert doc["as_of"] == "2020-12-31"
    assert doc["by"] == "family"
    assert doc["groups"] == ["xm", "ant", "tx"]
    assert cells(doc, "bank") == {"xm": [], "ant": ["mybank"], "tx": ["webank"]}
    held = doc["rows"][0]["held"]["ant"][0]
    assert held["effective_stake"] == 30.0
    assert held["controlled"] is False
    assert doc["rows"][1]["claimed"]["xm"][0]["sources"] == ["news-2019"]
    assert doc["summary"]["xm"] == {"held": ["lending"], "unknown": [], "claimed": ["fund"]}
    assert "gap" not in doc["rows"][0]


def test_matrix_strict_core(xmfin_json) -> None:
    doc = xmfin_json("matrix", "--strict", "--core", "--as-of", "2020", case=CASE)
    assert doc["by"] == "category"
    assert [r["licence"] for r in doc["rows"]] == ["private-internet-bank", "virtual-bank", "fund-sales"]
    assert cells(doc, "private-internet-bank") == {"xm": [], "ant": ["mybank"], "tx": ["webank"]}


def test_matrix_as_of_changes_cells(xmfin_json) -> None:
    before = xmfin_json("matrix", "--as-of", "2018", case=CASE)
    after = xmfin_json("matrix", "--as-of", "2019-07", case=CASE)
    # Mi sold its payment arm at the end of 2017: in 2018 the group no longer holds payment, nobody does.
    assert cells(before, "payment") == {"xm": [], "ant": [], "tx": []}
    assert cells(xmfin_json("matrix", "--as-of", "2017", case=CASE), "payment")["xm"] == ["mi-old-pay"]
    # The claim of 2019-05 appears only from then on.
    assert before["rows"][1]["claimed"]["xm"] == []
    assert after["rows"][1]["claimed"]["xm"] != []
    # Licences granted in 2030 are not in the 2020 matrix but are in 2030's.
    assert cells(xmfin_json("matrix", "--strict", "--as-of", "2030", case=CASE), "virtual-bank")["xm"] == [
        "mi-finance-hk"
    ]


def test_matrix_min_stake_and_controlled_options(xmfin_json) -> None:
    doc = xmfin_json("matrix", "--min-stake", "50", "--as-of", "2020", case=CASE)
    assert cells(doc, "bank") == {"xm": [], "ant": [], "tx": []}
    doc = xmfin_json("matrix", "--controlled", "--as-of", "2020", case=CASE)
    assert cells(doc, "fund")["ant"] == ["ant-fund"]
    assert cells(doc, "bank")["ant"] == []


def test_matrix_human(xmfin: Invoke) -> None:
    result = xmfin("matrix", "--as-of", "2020", case=CASE)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Licences on 2020-12-31, by family" in out
    for text in ("Mi", "Ant", "Txn", "Banking *", "Zhejiang E-commerce Bank 30% (minority)", "claimed", "Payment"):
        assert text in out
    assert "Ant Fund Sales 100%" in out


def test_matrix_bad_min_stake(xmfin: Invoke) -> None:
    result = xmfin("matrix", "--min-stake", "150", case=CASE)
    assert result.exit_code == 2
    assert "--min-stake 150 is out of range" in result.stderr


def test_matrix_without_groups(tmp_path: Path, xmfin: Invoke) -> None:
    source = fixture_path(CASE)
    entities = (source / "entities.yaml").read_text(encoding="utf-8")
    head, _, rest = entities.partition("groups:\n")
    rest = rest[rest.index("entities:\n") :]
    (tmp_path / "entities.yaml").write_text(head + rest, encoding="utf-8")
    licences = (source / "licences.yaml").read_text(encoding="utf-8")
    (tmp_path / "licences.yaml").write_text(licences.split("claims:\n")[0], encoding="utf-8")
    with pytest.raises(UsageError, match="names no group"):
        licence_matrix(OwnershipGraph(load(tmp_path), graph_of(CASE).day))
    result = xmfin("matrix", "--data", str(tmp_path), case=None)
    assert result.exit_code == 2
    assert "the data names no group" in result.stderr
