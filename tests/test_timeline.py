"""`xmfin timeline`: dated events in a documented order, per group (members at any time), up to --as-of."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xmfin.dates import parse_date
from xmfin.model import Dataset, Entity, Holding
from xmfin.timeline import members_until, timeline

from .conftest import Invoke, fixture_path, load_case

CASE = "explorer"


def kinds_on(doc: dict[str, Any], date: str) -> list[tuple[str, list[str]]]:
    return [(e["kind"], e["entities"]) for e in doc["events"] if e["date"] == date]


def test_events_on_the_same_date_in_kind_then_file_order(xmfin_json) -> None:
    doc = xmfin_json("timeline", "--as-of", "2020", case=CASE)
    assert kinds_on(doc, "2015-06-25") == [
        ("founded", ["mybank"]),
        ("holding-began", ["ant-group", "mybank"]),
        ("holding-began", ["ant-group", "ant-fund"]),
        ("licence-granted", ["mybank"]),
        ("licence-granted", ["ant-fund"]),
    ]


def test_partial_dates_sort_at_the_start_of_their_period() -> None:
    events = timeline(load_case(CASE), dt.date(2020, 12, 31))
    dates = [e.date.text for e in events]
    # 2015 (a year) starts on 2015-01-01 and comes before the exact day 2015-01-01, then June, then its 25th.
    assert dates.index("2015") < dates.index("2015-01-01") < dates.index("2015-06") < dates.index("2015-06-25")
    firsts = [e.date.first for e in events]
    assert firsts == sorted(firsts)


def test_json_event_shape(xmfin_json) -> None:
    doc = xmfin_json("timeline", "--as-of", "2020", case=CASE)
    assert doc["xmfin"] == 1
    assert doc["as_of"] == "2020-12-31"
    assert doc["group"] is None
    micro = next(e for e in doc["events"] if e["kind"] == "licence-granted" and e["entities"] == ["mi-microcredit"])
    assert micro == {
        "date": "2015-06",
        "kind": "licence-granted",
        "entities": ["mi-microcredit"],
        "group": None,
        "sources": ["news-2019"],
        "detail": {"category": "microcredit", "family": "lending", "regulator": "重庆市金融工作办公室"},
        "text": "Chongqing Mi Microcredit Co., Ltd. granted Microcredit licence by 重庆市金融工作办公室",
    }
    claim = next(e for e in doc["events"] if e["kind"] == "claim")
    assert (claim["date"], claim["group"], claim["entities"]) == ("2019-05", "xm", [])
    renamed = next(e for e in doc["events"] if e["kind"] == "renamed")
    assert renamed["text"] == "Insight Fintech HK Ltd renamed Mi Finance H.K. Limited"
    kinds = {e["kind"] for e in doc["events"]}
    assert kinds == {
        "founded",
        "renamed",
        "dissolved",
        "holding-began",
        "holding-ended",
        "licence-granted",
        "licence-revoked",
        "role-began",
        "claim",
    }


def test_as_of_excludes_later_events(xmfin_json) -> None:
    doc = xmfin_json("timeline", "--as-of", "2015-06-24", case=CASE)
    assert doc["events"][-1]["date"] == "2015-06"
    assert all(e["date"] <= "2015-06-24" for e in doc["events"])
    # A partial date counts from its first day: the 2020 dissolution is in a timeline as of 2020-01-01.
    doc = xmfin_json("timeline", "--as-of", "2020-01-01", case=CASE)
    assert doc["events"][-1]["kind"] == "dissolved"
    assert "renamed" not in {e["kind"] for e in doc["events"]}


def test_group_events_include_former_members(xmfin_json) -> None:
    doc = xmfin_json("timeline", "xm", "--as-of", "2020", case=CASE)
    assert doc["group"] == "xm"
    involved = {e for event in doc["events"] for e in event["entities"]}
    # mi-old-pay left the group at the end of 2017 and is still in its history; other groups' entities are not.
    assert involved == {"mi-corp", "mi-finance-hk", "mi-microcredit", "mi-old-pay", "lei"}
    assert [e["kind"] for e in doc["events"] if "mi-old-pay" in e["entities"]] == [
        "founded",
        "holding-began",
        "licence-granted",
        "holding-ended",
        "licence-revoked",
        "dissolved",
    ]
    assert [e["group"] for e in doc["events"] if e["kind"] == "claim"] == ["xm"]


def test_group_by_chinese_name_and_as_of(xmfin_json) -> None:
    doc = xmfin_json("timeline", "蚂蚁", "--as-of", "2015-06-24", case=CASE)
    assert doc["group"] == "ant"
    # Before 2015-06-25 Ant's only member was its root: Ant Fund Sales (founded 2015-01-01) joins that day.
    assert [(e["date"], e["kind"], e["entities"]) for e in doc["events"]] == [("2014-10", "founded", ["ant-group"])]
    later = xmfin_json("timeline", "ant", "--as-of", "2015-06", case=CASE)
    assert ("2015-01-01", "founded", ["ant-fund"]) in [(e["date"], e["kind"], e["entities"]) for e in later["events"]]


def test_members_until() -> None:
    data = load_case(CASE)
    assert members_until(data, "mi-corp", dt.date(2011, 1, 1)) == {"mi-corp"}
    assert members_until(data, "mi-corp", dt.date(2016, 1, 1)) == {
        "mi-corp",
        "mi-finance-hk",
        "mi-microcredit",
        "mi-old-pay",
    }
    assert members_until(data, "tx-holdings", dt.date(2013, 12, 31)) == {"tx-holdings"}


def test_members_until_needs_links_on_the_same_day() -> None:
    data = Dataset(
        entities={e: Entity(e, e.upper()) for e in ("a", "b", "c")},
        holdings=[
            Holding("a", "b", 100, until=parse_date("2015")),
            Holding("b", "c", 100, since=parse_date("2016")),
        ],
    )
    # a held b until 2015, b bought c in 2016: c was never in a's group.
    assert members_until(data, "a", dt.date(2020, 1, 1)) == {"a", "b"}


def test_human(xmfin: Invoke) -> None:
    result = xmfin("timeline", "--as-of", "2016", case=CASE)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    first = next(n for n, line in enumerate(lines) if "Zhejiang E-commerce Bank founded" in line)
    assert "2015-06-25" in lines[first]
    assert "Ant Group Co., Ltd. takes 30% of Zhejiang E-commerce Bank" in lines[first + 1]
    assert "Lei Jun becomes Chair of Mi Corporation" in result.stdout
    assert "Mi Corporation no longer holds" not in result.stdout


def test_empty_timeline(xmfin: Invoke, xmfin_json) -> None:
    assert xmfin_json("timeline", "--as-of", "2000", case=CASE)["events"] == []
    result = xmfin("timeline", "--as-of", "2000", case=CASE)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "xmfin: no dated event up to 2000-12-31\n"


def test_unknown_group(xmfin: Invoke) -> None:
    result = xmfin("timeline", "xmm", case=CASE)
    assert result.exit_code == 2
    assert "unknown group 'xmm' (did you mean 'xm'?)" in result.stderr


def test_bad_as_of(xmfin: Invoke) -> None:
    result = xmfin("timeline", "--as-of", "2020-13", case=CASE)
    assert result.exit_code == 2
    assert "--as-of: '2020-13' is not a date: month 13 does not exist" in result.stderr


def test_names_are_not_read_as_markup(tmp_path: Path, xmfin: Invoke) -> None:
    for name in ("entities.yaml", "licences.yaml"):
        text = (fixture_path(CASE) / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("name: Mi Corporation", "name: Mi [bold]Corp[/]"), encoding="utf-8")
    result = xmfin("timeline", "xm", "--as-of", "2012", "--data", str(tmp_path), case=None)
    assert result.exit_code == 0, result.stderr
    assert "Mi [bold]Corp[/] founded" in result.stdout
