"""`xmfin search`: ids, names, partial Chinese names, former names, aliases, typos; ranking; empty results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xmfin.search import search

from .conftest import Invoke, load_case

CASE = "explorer"


def ids(doc: dict[str, Any]) -> list[str]:
    return [r["id"] for r in doc["results"]]


@pytest.mark.parametrize(
    ("text", "first", "field", "grade"),
    [
        ("mybank", "mybank", "id", "exact"),
        ("WEBANK", "webank", "id", "exact"),
        ("Mi Corporation", "mi-corp", "name", "exact"),
        ("浙江网商银行股份有限公司", "mybank", "name_zh", "exact"),
        ("网商", "mybank", "name_zh", "substring"),
        ("蚂蚁", "ant-group", "group", "exact"),
        ("蚂蚁金服", "ant-group", "alias", "exact"),
        ("Insight Fintech", "mi-finance-hk", "former_name", "prefix"),
        ("洞见金融", "mi-finance-hk", "former_name", "prefix"),
        ("microcredit", "mi-microcredit", "id", "substring"),
        ("ant finacial", "ant-group", "alias", "fuzzy"),
        ("holdings txn", "tx-holdings", "name", "fuzzy"),
        ("浙江网银", "mybank", "name_zh", "fuzzy"),
        ("zhejiang ecommerce bank", "mybank", "name", "fuzzy"),
    ],
)
def test_what_matches(text: str, first: str, field: str, grade: str) -> None:
    best = search(load_case(CASE), text)[0]
    assert (best.entity.id, best.field, best.grade) == (first, field, grade)


def test_ranking_exact_then_prefix_then_substring() -> None:
    found = search(load_case(CASE), "mi")
    grades = [m.grade for m in found]
    assert grades == sorted(grades, key=["exact", "prefix", "substring", "fuzzy"].index)
    # 'Mi' is the name of the group mi-corp is the root of; the other ids starting with mi- follow.
    assert (found[0].entity.id, found[0].field, found[0].grade) == ("mi-corp", "group", "exact")
    assert {m.entity.id for m in found if m.grade == "prefix"} == {"mi-finance-hk", "mi-microcredit", "mi-old-pay"}


def test_exact_beats_prefix() -> None:
    found = search(load_case(CASE), "ant")
    assert found[0].entity.id == "ant-group"
    assert found[0].grade == "exact"  # the group id 'ant'
    assert found[1].entity.id == "ant-fund"
    assert found[1].grade == "prefix"


def test_nonsense_finds_nothing() -> None:
    data = load_case(CASE)
    for text in ("qwerty", "zzzz", "hello world", "", "   ", "future bank", "insight holdings"):
        assert search(data, text) == [], text


def test_limit() -> None:
    assert len(search(load_case(CASE), "mi", limit=2)) == 2
    assert len(search(load_case(CASE), "mi", limit=None)) > 2


def test_search_json(xmfin_json) -> None:
    doc = xmfin_json("search", "网商", case=CASE)
    assert doc["xmfin"] == 1
    assert doc["query"] == "网商"
    assert doc["results"] == [
        {
            "id": "mybank",
            "name": "Zhejiang E-commerce Bank",
            "name_zh": "浙江网商银行股份有限公司",
            "jurisdiction": "CN-ZJ",
            "kind": "company",
            "matched": "浙江网商银行股份有限公司",
            "field": "name_zh",
            "match": "substring",
            "score": 100.0,
        }
    ]


def test_search_json_former_name(xmfin_json) -> None:
    doc = xmfin_json("search", "insight fintech hk ltd", case=CASE)
    assert ids(doc) == ["mi-finance-hk"]
    assert doc["results"][0]["matched"] == "Insight Fintech HK Ltd"
    assert doc["results"][0]["field"] == "former_name"
    assert doc["results"][0]["match"] == "exact"


def test_search_limit_option(xmfin_json, xmfin: Invoke) -> None:
    assert len(xmfin_json("search", "mi", "--limit", "1", case=CASE)["results"]) == 1
    result = xmfin("search", "mi", "--limit", "0", case=CASE)
    assert result.exit_code == 2
    assert "--limit" in result.stderr


def test_search_as_of_leaves_out_entities_not_yet_founded(xmfin_json) -> None:
    assert ids(xmfin_json("search", "future finance", "--as-of", "2020", case=CASE)) == []
    assert ids(xmfin_json("search", "future finance", "--as-of", "2030", case=CASE)) == ["future-co"]
    doc = xmfin_json("search", "future finance", "--as-of", "2030", case=CASE)
    assert doc["as_of"] == "2030-12-31"


def test_search_empty_json(xmfin_json) -> None:
    assert xmfin_json("search", "qwerty", case=CASE)["results"] == []


def test_search_empty_human(xmfin: Invoke) -> None:
    result = xmfin("search", "qwerty", case=CASE)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "xmfin: no match for 'qwerty'\n"


def test_search_human(xmfin: Invoke) -> None:
    result = xmfin("search", "Insight", case=CASE)
    assert result.exit_code == 0, result.stderr
    assert "mi-finance-hk" in result.stdout
    assert "Mi Finance H.K. Limited" in result.stdout
    assert "former name: Insight Fintech HK Ltd" in result.stdout
    assert "prefix" in result.stdout


def test_search_human_escapes_markup(xmfin: Invoke) -> None:
    result = xmfin("search", "[bold]", case=CASE)
    assert result.exit_code == 0
    assert "no match for '[bold]'" in result.stderr


def test_search_missing_data_folder(xmfin: Invoke, tmp_path: Path) -> None:
    result = xmfin("search", "mi", "--data", str(tmp_path / "nowhere"), case=None)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_search_human_chinese_name(xmfin: Invoke) -> None:
    result = xmfin("search", "网商", case=CASE)
    assert result.exit_code == 0, result.stderr
    assert "Chinese name: 浙江网商银行股份有限公司" in result.stdout
    assert "substring" in result.stdout
