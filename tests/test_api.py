"""The library API: `import xmfin` stays light; `load` and `Explorer` answer what the commands answer."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

import xmfin
from xmfin.api import Chain, Explorer, bundled_data, explore, load

from .conftest import fixture_path

CASE = "explorer"


@pytest.fixture
def xm() -> Explorer:
    return explore(fixture_path(CASE), as_of="2020")


def test_import_is_light() -> None:
    code = (
        "import sys, xmfin\n"
        "heavy = [m for m in ('yaml', 'networkx', 'rich', 'typer', 'rapidfuzz', 'xmfin.api') if m in sys.modules]\n"
        "print(heavy)\n"
        "from xmfin import load\n"
        "print('xmfin.api' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "True"]


def test_lazy_names() -> None:
    assert xmfin.load is load
    assert xmfin.Explorer is Explorer
    assert {"load", "explore", "Explorer", "Dataset", "UnknownName"} <= set(dir(xmfin))
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        _ = xmfin.nothing  # type: ignore[attr-defined]


def test_load_defaults_to_the_bundled_data(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bundled_data() == Path(xmfin.__file__).resolve().parent.parent / "data"
    monkeypatch.setattr("xmfin.api.bundled_data", lambda: fixture_path(CASE))
    data = load()
    assert "mybank" in data.entities
    assert data.path == fixture_path(CASE)


def test_load_a_folder() -> None:
    data = load(fixture_path(CASE))
    assert list(data.groups) == ["xm", "ant", "tx"]


def test_explorer_day(xm: Explorer) -> None:
    assert xm.day == dt.date(2020, 12, 31)
    assert xm.on(dt.date(2016, 1, 1)).day == dt.date(2016, 1, 1)
    assert xm.on("2016").graph.day == dt.date(2016, 12, 31)


def test_tree_and_chain(xm: Explorer) -> None:
    top = xm.tree()
    assert top.entity.id == "mi-corp"
    assert [c.entity.id for c in top.children] == ["mi-finance-hk"]
    assert xm.on("2016").tree("xm").children[0].entity.id in {"mi-finance-hk", "mi-old-pay"}
    chain = xm.chain("重庆米小额贷款有限公司")
    assert isinstance(chain, Chain)
    assert chain.tops == ["mi-corp"]
    assert chain.paths == [["mi-corp", "mi-finance-hk", "mi-microcredit"]]
    assert chain.effective["mi-corp"].value == 100.0
    assert chain.controls == {"mi-corp": True}
    with pytest.raises(xmfin.UsageError, match="no recorded holding"):
        xm.chain("mybank", from_="mi-corp")


def test_gaps_and_matrix(xm: Explorer) -> None:
    assert xm.gaps("xm", ["ant"]).gaps == ["bank", "fund"]
    assert xm.gaps("xm", ["ant"], min_stake=50).gaps == ["fund"]
    matrix = xm.matrix(core=True)
    assert [row.key for row in matrix.rows] == ["bank", "fund"]
    assert [h.licence.holder for h in matrix.rows[0].held["tx"]] == ["webank"]


def test_licences(xm: Explorer) -> None:
    rows = xm.licences(jurisdiction="cn", family="Banking")
    assert [(r.licence.holder, r.jurisdiction) for r in rows] == [("webank", "CN-GD"), ("mybank", "CN-ZJ")]
    assert rows[1].groups[0].group == "ant"
    assert rows[1].groups[0].effective.value == 30.0
    assert {r.licence.holder for r in xm.licences(group="xm", everything=True)} == {"mi-microcredit", "mi-finance-hk"}
    with pytest.raises(xmfin.UnknownName, match="unknown licence family 'funds-x'"):
        xm.licences(family="funds-x")


def test_search_sources_timeline_show(xm: Explorer) -> None:
    assert [m.entity.id for m in xm.search("网商")] == ["mybank"]
    assert xm.search("future finance") == []
    assert [u.source.id for u in xm.sources("mybank")] == []
    assert [u.source.id for u in xm.on("2024").sources("mybank")] == ["report-2024"]
    events = xm.timeline("ant")
    assert events[0].kind == "founded"
    assert {e for event in events for e in event.entities} == {"ant-group", "mybank", "ant-fund"}
    assert xm.show("MYbank").entity.id == "mybank"


def test_unknown_names_raise(xm: Explorer) -> None:
    with pytest.raises(xmfin.UnknownName, match="no entity matches 'nobody'"):
        xm.entity("nobody")
    with pytest.raises(xmfin.UnknownName, match="unknown group 'nogroup'"):
        xm.timeline("nogroup")
