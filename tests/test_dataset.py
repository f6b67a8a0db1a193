"""The bundled dataset: the facts that matter, pinned through the command line (no --data: the bundled data)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from xmfin import bundled_data
from xmfin.loading import check_folder

from .conftest import Invoke

Json = Callable[..., Any]

# The scraped article's variant characters (fact sheet): none may reach the data.
VARIANTS = "尛囿嘚訴虛銀時騰Φ喥茬"
VIRTUAL_BANKS_2019 = {
    "livi-bank": "2019-03-27",
    "mox-bank": "2019-03-27",
    "za-bank": "2019-03-27",
    "welab-bank": "2019-04-10",
    "ant-bank-hk": "2019-05-09",
    "fusion-bank": "2019-05-09",
    "airstar-bank": "2019-05-09",
    "paobank": "2019-05-09",
}


def test_check_finds_no_error_and_no_warning() -> None:
    dataset, problems = check_folder(bundled_data(), "data")
    assert problems == []
    assert {"xiaomi", "ant", "tencent"} <= set(dataset.groups)
    assert dataset.default_group is not None and dataset.default_group.id == "xiaomi"


def test_every_fact_names_a_source_that_exists() -> None:
    dataset, _ = check_folder(bundled_data(), "data")
    records: list[Any] = [
        *dataset.entities.values(),
        *dataset.holdings,
        *dataset.roles,
        *dataset.licences,
        *dataset.claims,
        *(figure for entity in dataset.entities.values() for figure in entity.figures),
    ]
    for record in records:
        assert record.sources, record
        assert set(record.sources) <= set(dataset.sources), record
    for source in dataset.sources.values():
        assert source.title and source.publisher, source.id
        # A date or URL that could not be read is said to be missing, never made up.
        assert source.published is not None or "date" in (source.note or "").lower(), source.id
        assert source.url is not None or source.id in {"time-weekly-2019-05", "equalocean-2018-06"}, source.id


def test_names_use_the_normal_characters() -> None:
    dataset, _ = check_folder(bundled_data(), "data")
    names = [name for entity in dataset.entities.values() for name in entity.names()]
    names += [c.name_zh or "" for c in dataset.categories.values()] + [g.name_zh or "" for g in dataset.groups.values()]
    for name in names:
        assert not set(VARIANTS) & set(name), name
        assert "金融业务" not in name, name  # the scrape's keyword stuffing for 金融


def test_cayman_hong_kong_chongqing_at_100(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "chongqing-xiaomi-microcredit", case=None)
    (path,) = found["paths"]
    assert [(step["id"], step["jurisdiction"], step["stake"]) for step in path] == [
        ("xiaomi-corp", "KY", None),
        ("xiaomi-finance-hk", "HK", 100.0),
        ("chongqing-xiaomi-microcredit", "CN-CQ", 100.0),
    ]
    assert (found["effective_stake"], found["controlled"]) == (100.0, True)


@pytest.mark.parametrize(("as_of", "stake"), [("2019-12-31", 90.0), ("2025-12-31", 50.3)])
def test_airstar_bank_stake_over_time(xmfin_json: Json, as_of: str, stake: float) -> None:
    found = xmfin_json("chain", "Airstar Bank", "--from", "xiaomi", "--as-of", as_of, case=None)
    assert (found["effective_stake"], found["controlled"]) == (stake, True)


def test_insight_fintech_is_the_former_name_of_airstar(xmfin_json: Json) -> None:
    assert xmfin_json("show", "Insight Fintech HK Ltd", case=None)["entity"]["id"] == "airstar-bank"


def test_xw_bank_through_the_vie(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "xw-bank", "--from", "xiaomi", case=None)
    (path,) = found["paths"]
    assert [step["control"] for step in path[1:]] == ["vie", "equity", "equity"]
    assert path[-1]["stake"] == 29.5
    assert (found["effective_stake"], found["via_vie"], found["controlled"]) == (29.5, True, False)


def test_2019_gaps_against_ant_show_the_article_claims_apart(xmfin_json: Json) -> None:
    found = xmfin_json("gaps", "xiaomi", "--vs", "ant", "--as-of", "2019-05-15", case=None)
    rows = {row["licence"]: row for row in found["rows"]}
    securities = rows["securities"]
    # The article says Ant holds securities and Xiaomi lacks it; no record shows either holding it in 2019.
    assert securities["held"] == {"xiaomi": [], "ant": []}
    assert [c["sources"] for c in securities["claimed"]["ant"]] == [["time-weekly-2019-05"]]
    assert securities["gap"] is False
    for family in ("trust", "futures", "leasing"):
        assert rows[family]["held"]["ant"] == [] and rows[family]["claimed"]["ant"]
    assert "fund" in found["gaps"]
    assert {h["entity"] for h in rows["bank"]["held"]["xiaomi"]} == {"airstar-bank", "xw-bank"}


def test_securities_is_a_gap_today_through_bright_smart(xmfin_json: Json) -> None:
    found = xmfin_json("gaps", "xiaomi", "--vs", "ant", "--as-of", "2026-11-29", case=None)
    securities = next(row for row in found["rows"] if row["licence"] == "securities")
    assert [h["effective_stake"] for h in securities["held"]["ant"]] == [50.55]
    assert "securities" in found["gaps"]


def test_the_eight_2019_virtual_banks(xmfin_json: Json) -> None:
    found = xmfin_json("licences", "--category", "virtual-bank", "--as-of", "2019-12-31", case=None)
    assert {lic["holder"]: lic["granted"] for lic in found["licences"]} == VIRTUAL_BANKS_2019


def test_the_tree_of_the_default_group_in_text(xmfin: Invoke) -> None:
    result = xmfin("tree", "--as-of", "2019-05-15", case=None)
    assert result.exit_code == 0, result.stderr
    expected = ("Xiaomi Corporation", "小米金融(香港)有限公司", "重庆市小米小额贷款有限公司", "via VIE", "virtual-bank")
    for text in expected:
        assert text in result.stdout


def test_gaps_json_pipes_into_jq_style_readers(xmfin: Invoke) -> None:
    result = xmfin("gaps", "--vs", "ant", "--json", case=None)
    assert result.exit_code == 0
    assert isinstance(json.loads(result.stdout)["gaps"], list)
    assert re.fullmatch(r"\{.*\}\n", result.stdout, re.S)
