"""The bundled dataset: the facts that matter, per group, pinned through the command line (no --data: the
bundled data). Each test names the day it asks about, so that the answers do not move with the calendar."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from xmfin import bundled_data
from xmfin.storage.loading import check_folder

from .conftest import Invoke

Json = Callable[..., Any]

# The scraped article's variant characters (fact sheet): none may reach the names.
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
GROUPS = [
    *("xiaomi", "ant", "tencent", "jd", "baidu", "ping-an", "meituan", "bytedance", "zhongan", "welab", "didi"),
    *("trip", "kuaishou", "vipshop", "sina", "suning", "netease", "legend", "gome", "tongcheng", "wuba"),
]
TODAY = "2026-12-01"


def held(xmfin_json: Json, group: str, family: str, day: str) -> dict[str, Any]:
    """`gaps GROUP` on DAY, the row of FAMILY: {entity: (effective_min, effective_max, controlled)}, the pending
    deals, and the status."""
    vs = "ant" if group == "xiaomi" else "xiaomi"
    found = xmfin_json("gaps", group, "--vs", vs, "--as-of", day, case=None)
    row = next(row for row in found["rows"] if row["licence"] == family)
    return {
        "held": {h["entity"]: (h["effective_min"], h["effective_max"], h["controlled"]) for h in row["held"][group]},
        "pending": [p["entity"] for p in row["pending"][group]],
        "claimed": row["claimed"][group],
        "status": row["status"][group],
    }


def path_ids(found: dict[str, Any]) -> list[list[str]]:
    return sorted([step["id"] for step in path] for path in found["paths"])


# --- the whole dataset ------------------------------------------------------------------------------------------


def test_check_finds_no_error_and_no_warning() -> None:
    dataset, problems = check_folder(bundled_data(), "data")
    assert problems == []
    assert list(dataset.groups) == GROUPS
    assert dataset.default_group is not None and dataset.default_group.id == "xiaomi"


def test_names_use_the_normal_characters() -> None:
    dataset, _ = check_folder(bundled_data(), "data")
    names = [name for entity in dataset.entities.values() for name in entity.names()]
    names += [c.name_zh or "" for c in dataset.categories.values()] + [g.name_zh or "" for g in dataset.groups.values()]
    for name in names:
        assert not set(VARIANTS) & set(name), name
        assert "金融业务" not in name, name  # the scrape's keyword stuffing for 金融


def test_notes_speak_of_the_facts_not_of_how_the_research_was_split() -> None:
    text = (bundled_data() / "entities.yaml").read_text(encoding="utf-8")
    text += (bundled_data() / "licences.yaml").read_text(encoding="utf-8")
    for word in ("helper", "fragment", "integrator", "task brief"):
        assert word not in text.lower(), word


def test_matrix_compares_the_eleven_groups(xmfin_json: Json) -> None:
    found = xmfin_json("matrix", "--core", "--as-of", TODAY, case=None)
    assert found["groups"] == GROUPS
    assert [row["licence"] for row in found["rows"]] == ["bank", "insurance", "securities", "fund"]


def test_the_eight_2019_virtual_banks(xmfin_json: Json) -> None:
    found = xmfin_json("licences", "--category", "virtual-bank", "--as-of", "2019-12-31", case=None)
    assert {lic["holder"]: lic["granted"] for lic in found["licences"]} == VIRTUAL_BANKS_2019


def test_gaps_json_pipes_into_jq_style_readers(xmfin: Invoke) -> None:
    result = xmfin("gaps", "--vs", "ant", "--json", case=None)
    assert result.exit_code == 0
    assert isinstance(json.loads(result.stdout)["gaps"], list)
    assert re.fullmatch(r"\{.*\}\n", result.stdout, re.S)


@pytest.mark.parametrize("name", ["蚂蚁", "Ant Financial", "小米集团", "京东", "百度"])
def test_groups_resolve_by_their_names(xmfin: Invoke, name: str) -> None:
    result = xmfin("gaps", name, "--vs", "xiaomi" if name != "小米集团" else "ant", "--as-of", TODAY, case=None)
    assert result.exit_code == 0, result.stderr


# --- Xiaomi ------------------------------------------------------------------------------------------------------


def test_xiaomi_finance_holding_layer_cayman_hong_kong_chongqing(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "chongqing-xiaomi-microcredit", "--as-of", TODAY, case=None)
    (path,) = found["paths"]
    assert [(step["id"], step["jurisdiction"], step["stake"]) for step in path] == [
        ("xiaomi-corp", "KY", None),
        ("xiaomi-finance", "KY", 100.0),
        ("xiaomi-finance-hk", "HK", 100.0),
        ("chongqing-xiaomi-microcredit", "CN-CQ", 100.0),
    ]
    assert (found["effective_stake"], found["controlled"]) == (100.0, True)


def test_before_the_2018_reorganisation_the_hong_kong_company_hangs_from_the_root_undisclosed(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "chongqing-xiaomi-microcredit", "--as-of", "2017-06-30", case=None)
    assert path_ids(found) == [["xiaomi-corp", "xiaomi-finance-hk", "chongqing-xiaomi-microcredit"]]
    assert (found["effective_stake"], found["controlled"]) == (None, None)


def test_the_holding_layer_names_over_time(xmfin_json: Json) -> None:
    entity = xmfin_json("show", "xiaomi-finance", "--as-of", TODAY, case=None)["entity"]
    names = {(f["name_zh"], f.get("until")) for f in entity["former_names"]}
    assert ("小米金融", "2019") in names and ("小米数科", "2020-10-18") in names
    # The Beijing company registered in 2013-12 is a separate record, with its own former name.
    payment = xmfin_json("show", "北京小米支付技术有限公司", case=None)["entity"]
    assert (payment["id"], payment["founded"], payment["jurisdiction"]) == ("xiaomi-payment-tech", "2013-12", "CN-BJ")


def test_the_vie_and_its_nominee_holders(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "xw-bank", "--from", "xiaomi", "--as-of", TODAY, case=None)
    (path,) = found["paths"]
    assert [step["control"] for step in path[1:]] == ["vie", "equity", "equity"]
    assert path[-1]["stake"] == 29.5
    assert (found["effective_stake"], found["via_vie"], found["controlled"]) == (29.5, True, False)
    everyone = xmfin_json("chain", "xw-bank", "--as-of", TODAY, case=None)
    assert everyone["by_owner"]["lei-jun"]["nominee_for"] == "xiaomi-corp"
    assert everyone["by_owner"]["hong-feng"]["nominee_for"] == "xiaomi-corp"


def test_jiefu_ruitong_is_held_by_xiaomi_technology_through_the_vie(xmfin_json: Json) -> None:
    before = xmfin_json("chain", "捷付睿通", "--as-of", "2016-06-30", case=None)
    assert ["xiaomi-corp", "xiaomi-tech", "jiefu-ruitong"] in path_ids(before)
    assert before["by_owner"]["xiaomi-corp"]["effective_min"] == 65.0
    after = xmfin_json("chain", "捷付睿通", "--as-of", "2023-02-01", case=None)
    xiaomi = after["by_owner"]["xiaomi-corp"]
    assert (xiaomi["effective_min"], xiaomi["via_vie"], xiaomi["controlled"]) == (97.0, True, True)
    # The planned transfer to the VIE company is pending, never counted.
    assert [(p["owner"], p["pending"]) for p in before["pending"]] == []
    planned = xmfin_json("chain", "捷付睿通", "--as-of", "2019-06-30", case=None)["pending"]
    assert [(p["owner"], p["pending"]) for p in planned] == [("xiaomi-electronic-software", True)]


def test_the_vie_holds_michou_insurance_brokerage_and_credit_management(xmfin_json: Json) -> None:
    for entity in ("xiaomi-insurance-brokerage", "xiaomi-credit-management", "michou"):
        found = xmfin_json("chain", entity, "--from", "xiaomi", "--as-of", "2019-06-30", case=None)
        assert all("xiaomi-electronic-software" in [step["id"] for step in path] for path in found["paths"]), entity


@pytest.mark.parametrize(
    ("as_of", "owners"),
    [
        ("2019-12-31", {"xiaomi-corp": 90.0, "amtd-group": 10.0}),
        ("2024-06-06", {"xiaomi-corp": 90.0, "amtd-group": 10.0}),
        ("2024-06-07", {"xiaomi-corp": 50.3, "amtd-group": 5.59}),
        ("2025-09-30", {"amtd-group": 5.59}),
    ],
)
def test_airstar_bank_shareholders_before_and_after_futu(
    xmfin_json: Json, as_of: str, owners: dict[str, float]
) -> None:
    found = xmfin_json("chain", "airstar-bank", "--as-of", as_of, case=None)
    exact = {k: v["effective_stake"] for k, v in found["by_owner"].items() if v["effective_stake"] is not None}
    assert exact == owners
    if as_of >= "2024-06-07":
        # Futu's stake reaches up to Tencent, whose interest is a minority look-through, never control.
        tencent = found["by_owner"]["tencent-holdings"]
        assert tencent["controlled"] is False and tencent["effective_stake"] is None
        futu_steps = [step for path in found["paths"] for step in path if step["id"] == "airstar-bank"]
        assert {step["stake"] for step in futu_steps} >= {44.11 if as_of < "2025-09-30" else 68.4}


def test_airstar_bank_controlled_by_xiaomi_until_futu_took_control(xmfin_json: Json) -> None:
    assert xmfin_json("chain", "Airstar Bank", "--from", "xiaomi", "--as-of", "2024-12-31", case=None)["controlled"]
    assert xmfin_json("show", "Insight Fintech HK Limited", case=None)["entity"]["id"] == "airstar-bank"


def test_chen_xi_left_the_cro_role_by_2019_03_and_airstar_in_2022(xmfin_json: Json) -> None:
    roles = xmfin_json("show", "chen-xi", case=None)["roles"]
    assert {(r["of"], r["since"], r["until"]) for r in roles} == {
        ("xiaomi-finance", None, "2019-03"),
        ("airstar-bank", "2019-05", "2022-09"),
    }


def test_chongqing_microcredit_capital_figures(xmfin_json: Json) -> None:
    figures = xmfin_json("show", "chongqing-xiaomi-microcredit", case=None)["figures"]
    capital = {(f["value"], f["unit"]) for f in figures if f["metric"] == "registered-capital"}
    assert capital == {(50000000, "USD"), (450000000, "USD")}


def test_zhuhai_microcredit_is_gone_after_2019_03(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "zhuhai-xiaomi-microcredit", "--as-of", "2019-06-30", case=None)
    assert found["paths"] == [] and found["absent"]


def test_xiaomi_2019_gaps_against_ant_show_the_article_claims_apart(xmfin_json: Json) -> None:
    found = xmfin_json("gaps", "xiaomi", "--vs", "ant", "--as-of", "2019-05-15", case=None)
    rows = {row["licence"]: row for row in found["rows"]}
    securities = rows["securities"]
    # The article says Ant holds securities and Xiaomi lacks it; no record shows either holding it in 2019.
    assert securities["held"] == {"xiaomi": [], "ant": []}
    assert ["time-weekly-2019-05" in c["sources"] for c in securities["claimed"]["ant"]] == [True]
    assert securities["gap"] is False
    for family in ("trust", "futures", "leasing"):
        assert rows[family]["held"]["ant"] == [] and rows[family]["claimed"]["ant"]
    assert "fund" in found["gaps"]
    assert {h["entity"] for h in rows["bank"]["held"]["xiaomi"]} == {"airstar-bank", "xw-bank"}


def test_the_tree_of_the_default_group_in_text(xmfin: Invoke) -> None:
    result = xmfin("tree", "--as-of", "2019-05-15", case=None)
    assert result.exit_code == 0, result.stderr
    expected = ("Xiaomi Corporation", "小米金融(香港)有限公司", "重庆市小米小额贷款有限公司", "via VIE", "Virtual bank")
    for text in expected:
        assert text in result.stdout


def test_the_tree_respects_founding(xmfin: Invoke) -> None:
    early = xmfin("tree", "--as-of", "2013-06", case=None)
    assert early.exit_code == 0 and "支付技术" not in early.stdout and "小米金融" not in early.stdout
    none = xmfin("tree", "--as-of", "1900", case=None)
    assert none.exit_code == 0 and "not founded until 2010" in none.stdout


# --- Ant -----------------------------------------------------------------------------------------------------------


def test_ant_microcredits_are_gone_after_2024_12(xmfin_json: Json) -> None:
    before = held(xmfin_json, "ant", "lending", "2024-11-30")["held"]
    assert {"ant-xiaowei-microcredit", "ant-shangcheng-microcredit", "ant-consumer-finance"} == set(before)
    after = held(xmfin_json, "ant", "lending", "2025-01-31")["held"]
    assert after == {"ant-consumer-finance": (50.0, 50.0, False)}


def test_bright_smart_is_pending_never_held(xmfin_json: Json) -> None:
    securities = held(xmfin_json, "ant", "securities", TODAY)
    assert "bright-smart" not in securities["held"] and securities["pending"] == ["bright-smart"]
    found = xmfin_json("chain", "bright-smart", "--as-of", TODAY, case=None)
    assert found["paths"] == [] and [(p["owner"], p["stake"]) for p in found["pending"]] == [
        ("wealthiness-prosperity", 50.55)
    ]


def test_stored_value_facility_licences_of_2016(xmfin_json: Json) -> None:
    found = xmfin_json("licences", "--category", "stored-value-facility", "--as-of", TODAY, case=None)
    assert {(lic["holder"], lic["number"], lic["granted"]) for lic in found["licences"]} == {
        ("alipay-hk", "SVF0004", "2016-08-25"),
        ("wechat-pay-hk", "SVF0005", "2016-08-25"),
        ("hkt-payment", "SVF0002", "2016-08-25"),
    }


def test_the_events_that_changed_the_field() -> None:
    dataset, _ = check_folder(bundled_data(), "data")
    recorded = {(str(e.date), entity) for e in dataset.events for entity in e.entities}
    assert {
        ("2020-11-03", "ant-group"),  # the IPO suspended
        ("2023-07-07", "ant-group"),  # the fine
        ("2020-06-11", "airstar-bank"),  # Airstar opens
        ("2024-06-07", "airstar-bank"),  # Futu's injection completed
        ("2024-04-02", "paobank"),  # sold to Lufax
    } <= recorded


def test_alipay_is_wholly_owned_by_ant(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "alipay", "--from", "ant", "--as-of", TODAY, case=None)
    assert (found["effective_stake"], found["controlled"]) == (100.0, True)


# --- Tencent -------------------------------------------------------------------------------------------------------


def test_tenpay_microcredit_holders_before_and_after_2023(xmfin_json: Json) -> None:
    before = xmfin_json("chain", "tenpay-microcredit", "--as-of", "2022-06-30", case=None)
    assert path_ids(before) == [["tencent-holdings", "tencent-wangyu", "tenpay-microcredit"]]
    after = xmfin_json("chain", "tenpay-microcredit", "--as-of", "2023-06-30", case=None)
    stakes = sorted(path[-1]["stake"] for path in after["paths"])
    assert stakes == [5.0, 95.0]


def test_tencent_banks_are_minority_or_unknown_and_airstar_only_a_look_through(xmfin_json: Json) -> None:
    bank = held(xmfin_json, "tencent", "bank", TODAY)["held"]
    assert bank["webank"] == (0.0, 30.0, False)
    assert bank["airstar-bank"][2] is False  # through Futu: a minority interest, not control
    assert bank["airstar-bank"][1] is not None and bank["airstar-bank"][1] < 50


# --- The virtual banks, JD, Baidu, Ping An -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "path"),
    [
        ("2024-03-31", ["ping-an-group", "oneconnect", "paobank"]),
        ("2024-04-02", ["ping-an-group", "lufax", "paobank"]),
    ],
)
def test_paobank_sold_by_oneconnect_to_lufax_in_april_2024(xmfin_json: Json, as_of: str, path: list[str]) -> None:
    assert path_ids(xmfin_json("chain", "paobank", "--as-of", as_of, case=None)) == [path]


def test_ping_an_controls_paobank_once_lufax_is_its_subsidiary(xmfin_json: Json) -> None:
    assert held(xmfin_json, "ping-an", "bank", "2024-06-30")["held"]["paobank"][2] is False
    assert held(xmfin_json, "ping-an", "bank", TODAY)["held"]["paobank"] == (56.8, 56.8, True)


def test_livi_bank_shareholders_and_jd_through_jd_technology(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "livi-bank", "--as-of", TODAY, case=None)
    exact = {k: v["effective_stake"] for k, v in found["by_owner"].items() if v["effective_stake"] is not None}
    assert exact == {"boc-hk": 44.0, "jardine-matheson": 20.0, "jd-com": 13.248}
    assert ["jd-com", "jd-digits", "livi-bank"] in path_ids(found)


def test_za_bank_is_held_through_zhongan_technologies_international(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "za-bank", "--from", "zhongan", "--as-of", TODAY, case=None)
    assert path_ids(found) == [["zhongan-online", "za-international", "za-bank"]]
    assert (found["effective_stake"], found["controlled"]) == (51.0, True)


def test_jd_holds_pudao_alongside_xiaomi(xmfin_json: Json) -> None:
    found = xmfin_json("chain", "pudao-credit", "--as-of", TODAY, case=None)
    assert ["jd-com", "jd-digits", "pudao-credit"] in path_ids(found)
    assert any("xiaomi-electronic-software" in path for path in path_ids(found))


def test_baidu_direct_bank_and_its_2020_dilution(xmfin_json: Json) -> None:
    before = held(xmfin_json, "baidu", "bank", "2019-12-31")["held"]
    assert before == {"baixin-bank": (0.0, 30.0, False)}
    found = xmfin_json("licences", "--category", "direct-bank", "--as-of", TODAY, case=None)
    assert [lic["holder"] for lic in found["licences"]] == ["baixin-bank"]


def test_welab_bank_licensed_2019_04_10_wholly_owned(xmfin_json: Json) -> None:
    assert held(xmfin_json, "welab", "bank", TODAY)["held"]["welab-bank"] == (100.0, 100.0, True)


# --- Meituan, ByteDance, Didi ----------------------------------------------------------------------------------------


def test_meituan_yillion_bank_minority_and_payment(xmfin_json: Json) -> None:
    assert held(xmfin_json, "meituan", "bank", TODAY)["held"] == {"yillion-bank": (0.0, 28.5, False)}
    assert set(held(xmfin_json, "meituan", "payment", TODAY)["held"]) == {"qiandaibao"}


def test_bytedance_payment_held_and_umpay_pending(xmfin_json: Json) -> None:
    payment = held(xmfin_json, "bytedance", "payment", TODAY)
    assert set(payment["held"]) == {"douyin-payment"} and payment["pending"] == ["umpay-ecommerce"]
    assert held(xmfin_json, "bytedance", "lending", TODAY)["held"] == {"zhongrong-microcredit": (100.0, 100.0, True)}


def test_didi_bought_19pay_in_december_2017(xmfin_json: Json) -> None:
    assert held(xmfin_json, "didi", "payment", "2017-06-30")["held"] == {}
    assert set(held(xmfin_json, "didi", "payment", "2018-06-30")["held"]) == {"yijiufu"}
    before = xmfin_json("chain", "yijiufu", "--as-of", "2017-06-30", case=None)
    assert path_ids(before) == [["gaoyang-jiexun", "yijiufu"]]


def test_ants_offeror_chain_appears_with_the_2025_offer(xmfin: Invoke) -> None:
    early = xmfin("tree", "ant", "--as-of", "2013-06", case=None)
    assert early.exit_code == 0 and "Wealthiness" not in early.stdout and "Shanghai Yunjin" not in early.stdout
    late = xmfin("tree", "ant", "--as-of", "2025-06", case=None)
    assert "Wealthiness and Prosperity Holding Limited" in late.stdout


# --- the groups of round 3 -------------------------------------------------------------------------------------------


def test_trip_com_payment_held_and_lending_minority_or_unknown(xmfin_json: Json) -> None:
    assert held(xmfin_json, "trip", "payment", TODAY)["held"] == {"ctrip-chengfutong-payment": (100.0, 100.0, True)}
    lending = held(xmfin_json, "trip", "lending", TODAY)
    assert lending["held"]["shangcheng-consumer-finance"] == (0.0, 42.18, False)
    assert lending["status"] == "control-unknown"  # the microcredit company's link is of an unstated form


def test_kuaishou_controls_its_payment_company(xmfin_json: Json) -> None:
    assert held(xmfin_json, "kuaishou", "payment", TODAY)["held"] == {"easylink-payment": (50.0, 100.0, True)}


def test_suning_holds_minorities_in_bank_payment_and_consumer_finance(xmfin_json: Json) -> None:
    assert held(xmfin_json, "suning", "bank", TODAY)["held"] == {"suning-bank": (30.0, 30.0, False)}
    assert held(xmfin_json, "suning", "lending", TODAY)["held"] == {"suning-cfc": (49.0, 49.0, False)}
    assert held(xmfin_json, "suning", "factoring", TODAY)["status"] == "claimed"


def test_sina_and_vipshop_payment_and_lending(xmfin_json: Json) -> None:
    assert held(xmfin_json, "sina", "payment", TODAY)["held"] == {"sina-pay": (100.0, 100.0, True)}
    assert held(xmfin_json, "vipshop", "lending", TODAY)["held"] == {"vipfubon-cfc": (49.9, 49.9, False)}
    assert held(xmfin_json, "vipshop", "factoring", TODAY)["held"] == {"pinzhong-factoring": (100.0, 100.0, True)}


def test_pending_deals_of_legend_and_tongcheng_are_not_held(xmfin_json: Json) -> None:
    bank = held(xmfin_json, "legend", "bank", TODAY)
    assert "bil" not in bank["held"] and bank["pending"] == ["bil"]
    lending = held(xmfin_json, "tongcheng", "lending", TODAY)
    assert lending["held"] == {} and lending["pending"] == ["yinghuochong-microcredit"]


def test_gome_held_a_consumer_finance_stake_until_2026_02(xmfin_json: Json) -> None:
    assert set(held(xmfin_json, "gome", "lending", "2025-12-31")["held"]) == {"jinmeixin-cfc"}
    assert held(xmfin_json, "gome", "lending", TODAY)["held"] == {}


def test_netease_is_claims_only(xmfin_json: Json) -> None:
    payment = held(xmfin_json, "netease", "payment", TODAY)
    assert payment["held"] == {} and payment["status"] == "claimed"


def test_ant_and_tencent_abroad(xmfin_json: Json) -> None:
    ant_bank = held(xmfin_json, "ant", "bank", TODAY)["held"]
    assert ant_bank["anext-bank"] == (100.0, 100.0, True)
    assert held(xmfin_json, "ant", "bank", "2020-06-30")["held"].get("anext-bank") is None  # not yet licensed
    assert {"dana-indonesia", "tng-digital", "bkash"} <= set(held(xmfin_json, "ant", "payment", TODAY)["held"])
