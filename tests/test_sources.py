"""`xmfin sources`: every source with what cites it, or the sources behind one entity's facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xmfin.sources import source_uses

from .conftest import Invoke, load_case

CASE = "explorer"


def by_id(doc: dict[str, Any]) -> dict[str, Any]:
    return {s["id"]: s for s in doc["sources"]}


def test_counts_by_record_kind() -> None:
    uses = {u.source.id: u for u in source_uses(load_case(CASE))}
    assert list(uses) == ["reg-2015", "news-2019", "report-2024", "unused"]
    assert uses["reg-2015"].counts == {"entity": 2, "holding": 1, "licence": 1}
    assert uses["news-2019"].counts == {"entity": 4, "holding": 3, "role": 1, "licence": 3, "claim": 1}
    assert uses["news-2019"].groups == ["xm"]
    assert uses["unused"].counts == {}
    assert uses["unused"].total == 0
    assert uses["report-2024"].entities == ["ant-group", "mybank", "ant-fund"]


def test_sources_json(xmfin_json) -> None:
    doc = xmfin_json("sources", case=CASE)
    assert doc["xmfin"] == 1
    assert doc["entity"] is None
    news = by_id(doc)["news-2019"]
    assert news["title"] == "小米金融海外业务是什么"
    assert news["publisher"] == "时代周报 (Time Weekly)"
    assert news["published"] == "2019-05"
    assert news["cited_by"] == {"entity": 4, "holding": 3, "role": 1, "licence": 3, "claim": 1}
    assert news["citations"] == 12
    assert news["entities"][:3] == ["mi-finance-hk", "mi-microcredit", "tx-holdings"]
    assert "lei" in news["entities"]
    assert news["groups"] == ["xm"]
    assert by_id(doc)["unused"]["cited_by"] == {}


def test_sources_as_of_leaves_out_later_publications(xmfin_json) -> None:
    doc = xmfin_json("sources", "--as-of", "2019", case=CASE)
    assert doc["as_of"] == "2019-12-31"
    assert list(by_id(doc)) == ["reg-2015", "news-2019"]
    assert list(by_id(xmfin_json("sources", "--as-of", "2019-04", case=CASE))) == ["reg-2015"]


def test_sources_of_one_entity(xmfin_json) -> None:
    doc = xmfin_json("sources", "Mi Corporation", case=CASE)
    assert doc["entity"] == "mi-corp"
    found = by_id(doc)
    # The entity's own source first, then those of its holdings and role, as `show` lists them.
    assert list(found) == ["reg-2015", "news-2019"]
    assert found["reg-2015"]["cited_by"] == {"entity": 1, "holding": 1}
    assert found["news-2019"]["cited_by"] == {"holding": 1, "role": 1}
    assert found["news-2019"]["entities"] == ["mi-corp", "mi-finance-hk", "lei"]
    assert found["news-2019"]["groups"] == []


def test_sources_of_an_entity_by_former_chinese_name(xmfin_json) -> None:
    doc = xmfin_json("sources", "洞见金融科技有限公司", case=CASE)
    assert doc["entity"] == "mi-finance-hk"
    assert by_id(doc)["news-2019"]["cited_by"] == {"entity": 1, "holding": 2, "licence": 1}


def test_sources_of_one_entity_as_of() -> None:
    uses = source_uses(load_case(CASE), dt.date(2018, 1, 1), "mi-corp")
    assert [u.source.id for u in uses] == ["reg-2015"]


def test_sources_human(xmfin: Invoke) -> None:
    result = xmfin("sources", case=CASE)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in ("reg-2015", "Company registry extract", "2 entities, 1 holding, 1 licence", "not cited", "group xm"):
        assert text in out
    assert "and 2 more" in out  # news-2019 is about 6 entities; 4 are named


def test_sources_human_one_entity(xmfin: Invoke) -> None:
    result = xmfin("sources", "mybank", case=CASE)
    assert result.exit_code == 0, result.stderr
    assert "report-2024" in result.stdout
    assert "1 entity, 1 holding, 1 licence" in result.stdout
    assert "news-2019" not in result.stdout


def test_sources_empty(xmfin: Invoke, xmfin_json) -> None:
    assert xmfin_json("sources", "mybank", "--as-of", "2020", case=CASE)["sources"] == []
    result = xmfin("sources", "mybank", "--as-of", "2020", case=CASE)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "xmfin: no source published by 2020-12-31\n"


def test_sources_unknown_entity(xmfin: Invoke) -> None:
    result = xmfin("sources", "mybnak", case=CASE)
    assert result.exit_code == 2
    assert "no entity matches 'mybnak' (did you mean 'mybank'?)" in result.stderr
