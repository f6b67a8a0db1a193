"""`xmfin licences`: the licence table, its filters, --all, and JSON records with their groups."""

from __future__ import annotations

from typing import Any

import pytest

from xmfin.licensing import LicenceQuery, in_jurisdiction, licence_list

from .conftest import Invoke, graph_of

CASE = "explorer"


def holders(doc: dict[str, Any]) -> list[str]:
    return [lic["holder"] for lic in doc["licences"]]


def test_active_licences_in_taxonomy_order() -> None:
    rows = licence_list(graph_of(CASE, "2020"))
    # bank (WeBank before Zhejiang by name), fund, lending; payment was revoked in 2019-06, virtual bank is 2030.
    assert [r.licence.holder for r in rows] == ["webank", "mybank", "ant-fund", "mi-microcredit"]
    assert all(r.active for r in rows)


def test_everything_keeps_revoked_and_future_licences() -> None:
    rows = licence_list(graph_of(CASE, "2020"), LicenceQuery(everything=True))
    inactive = {r.licence.holder for r in rows if not r.active}
    assert inactive == {"mi-old-pay", "mi-finance-hk"}


@pytest.mark.parametrize(
    ("code", "wanted", "expected"),
    [("CN-CQ", "CN", True), ("CN", "CN", True), ("HK", "CN", False), ("CN", "CN-CQ", False), (None, "CN", False)],
)
def test_in_jurisdiction(code: str | None, wanted: str, expected: bool) -> None:
    assert in_jurisdiction(code, wanted) is expected


def test_licences_json_records(xmfin_json) -> None:
    doc = xmfin_json("licences", "--as-of", "2020", case=CASE)
    assert doc["xmfin"] == 1
    assert doc["as_of"] == "2020-12-31"
    assert doc["all"] is False
    assert holders(doc) == ["webank", "mybank", "ant-fund", "mi-microcredit"]
    micro = doc["licences"][3]
    assert micro["category"] == "microcredit"
    assert micro["family"] == "lending"
    assert micro["regulator"] == "重庆市金融工作办公室"
    assert micro["granted"] == "2015-06"
    assert micro["revoked"] is None
    assert micro["jurisdiction"] == "CN-CQ"  # the holder's, since the licence names none
    assert micro["active"] is True
    assert micro["groups"] == [
        {
            "group": "xm",
            "effective_stake": 100.0,
            "effective_min": 100.0,
            "effective_max": 100.0,
            "via_vie": False,
            "controlled": True,
        }
    ]
    mybank = doc["licences"][1]
    assert mybank["groups"] == [
        {
            "group": "ant",
            "effective_stake": 30.0,
            "effective_min": 30.0,
            "effective_max": 30.0,
            "via_vie": False,
            "controlled": False,
        }
    ]


def test_licences_all_and_as_of(xmfin_json) -> None:
    doc = xmfin_json("licences", "--all", "--as-of", "2020", case=CASE)
    assert doc["all"] is True
    by_holder = {lic["holder"]: lic for lic in doc["licences"]}
    assert by_holder["mi-old-pay"]["active"] is False
    assert by_holder["mi-old-pay"]["revoked"] == "2019-06"
    # Mi sold the payment arm in 2017: on the as-of day no group's members include it.
    assert by_holder["mi-old-pay"]["groups"] == []
    assert by_holder["mi-finance-hk"]["active"] is False
    # In 2016 the payment licence was active and held inside the group; the bank of 2015-06-25 was too.
    early = xmfin_json("licences", "--as-of", "2016", case=CASE)
    pay = next(lic for lic in early["licences"] if lic["holder"] == "mi-old-pay")
    assert pay["groups"][0]["group"] == "xm"
    assert "mybank" in holders(early)
    assert holders(xmfin_json("licences", "--as-of", "2014-06", case=CASE)) == ["mi-old-pay"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--group", "ant"], ["mybank", "ant-fund"]),
        (["--group", "蚂蚁"], ["mybank", "ant-fund"]),
        (["--family", "bank"], ["webank", "mybank"]),
        (["--family", "Banking"], ["webank", "mybank"]),
        (["--category", "fund-sales"], ["ant-fund"]),
        (["--category", "小额贷款"], ["mi-microcredit"]),
        (["--jurisdiction", "CN"], ["webank", "mybank", "ant-fund", "mi-microcredit"]),
        (["--jurisdiction", "cn-cq"], ["mi-microcredit"]),
        (["--jurisdiction", "HK"], []),
        (["--jurisdiction", "HK", "--all"], ["mi-finance-hk"]),
        (["--group", "xm", "--family", "bank"], []),
    ],
)
def test_licences_filters(xmfin_json, args: list[str], expected: list[str]) -> None:
    assert holders(xmfin_json("licences", *args, "--as-of", "2020", case=CASE)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--family", "banking-ish"], "unknown licence family 'banking-ish' (did you mean 'banking'?)"),
        (["--family", "fnd"], "unknown licence family 'fnd' (did you mean 'fund'"),
        (["--category", "microcredi"], "unknown licence category 'microcredi' (did you mean 'microcredit'?)"),
        (["--group", "ants"], "unknown group 'ants' (did you mean 'ant'?)"),
        (["--jurisdiction", "China"], "'China' is not a jurisdiction code"),
    ],
)
def test_licences_bad_usage(xmfin: Invoke, args: list[str], message: str) -> None:
    result = xmfin("licences", *args, case=CASE)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_licences_human(xmfin: Invoke) -> None:
    result = xmfin("licences", "--all", "--as-of", "2020", case=CASE)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Licences known on 2020-12-31" in out
    for text in ("Microcredit", "Chongqing Mi Microcredit Co., Ltd.", "Mi 100%", "重庆市金融工作办公室", "2015-06"):
        assert text in out
    assert "Online payment (not active)" in out
    assert "Ant 30%" in out
    assert "6 licences" in out
    assert out.index("Private internet bank") < out.index("Fund sales") < out.index("Microcredit")


def test_licences_human_empty(xmfin: Invoke) -> None:
    result = xmfin("licences", "--jurisdiction", "US", "--as-of", "2020", case=CASE)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no licence matches on 2020-12-31" in result.stderr


def test_licences_json_keys(xmfin_json) -> None:
    doc = xmfin_json("licences", "--as-of", "2020", case=CASE)
    assert list(doc) == ["xmfin", "as_of", "all", "licences"]
    assert set(doc["licences"][0]) == {
        "pending",
        "holder",
        "holder_name",
        "category",
        "family",
        "regulator",
        "jurisdiction",
        "number",
        "granted",
        "revoked",
        "sources",
        "note",
        "active",
        "groups",
    }
