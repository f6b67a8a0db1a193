"""The core commands in-process: tree, chain, show, gaps, check. Exit codes, the JSON contract, human output,
and every error a user can cause through data or arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from xmfin import __version__
from xmfin import graph as graph_module
from xmfin.cli import app
from xmfin.errors import UnknownName
from xmfin.lookup import default_group, find_entity, find_group

from .conftest import FIXTURES, Invoke, fixture_path, load_case

Json = Callable[..., Any]
ROOT = Path(__file__).resolve().parent.parent


def failed(result: Result, code: int) -> str:
    """Check a command failed cleanly (exit code, nothing on stdout, no traceback); return its stderr."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of a JSON tree, depth-first."""
    found = [node]
    for child in node["children"]:
        found.extend(walk(child))
    return found


# The JSON contract (cli.md, "JSON shapes"). DOCUMENTED keys must never go; EMITTED pins what we print today,
# so that adding a key is a deliberate change made here too.

TREE_DOCUMENTED = {"xmfin", "as_of", "direction", "root"}
BOUNDS = {"effective_stake", "effective_min", "effective_max"}
FRESHNESS = {"confirmed", "stale"}
LINK = {"stake", "stake_min", "stake_max", "control", "nominee_for"}
NODE_DOCUMENTED = {"id", "name", "name_zh", "jurisdiction", "licences", *LINK, *BOUNDS, *FRESHNESS}
NODE_DOCUMENTED |= {"repeat", "truncated", "via_vie", "children", "controlled"}
NODE_EMITTED = NODE_DOCUMENTED
CHAIN_DOCUMENTED = {"xmfin", "as_of", "entity", "from", "paths", *BOUNDS, "controlled", "via_vie"}
CHAIN_DOCUMENTED |= {"by_owner", "pending", "absent", "controllers"}
CHAIN_EMITTED = CHAIN_DOCUMENTED | {"paths_truncated"}
STEP_DOCUMENTED = {"id", "name", "jurisdiction", *LINK, *FRESHNESS}
STEP_EMITTED = STEP_DOCUMENTED | {"name_zh"}
BY_OWNER_DOCUMENTED = {*BOUNDS, "controlled", "via_vie"}
GAPS_DOCUMENTED = {"xmfin", "as_of", "group", "vs", "by", "rows", "gaps", "unknown"}
ROW_DOCUMENTED = {"licence", "name", "core", "held", "claimed", "pending", "status", "gap"}
HELD_DOCUMENTED = {"entity", "category", *BOUNDS, "controlled", "counts", *FRESHNESS}
HELD_EMITTED = HELD_DOCUMENTED | {"name", "via_vie"}
CLAIM_DOCUMENTED = {"sources", "as_of", "records", *FRESHNESS}
CLAIM_EMITTED = CLAIM_DOCUMENTED | {"note"}
CHECK_DOCUMENTED = {"xmfin", "ok", "problems"}
CHECK_EMITTED = CHECK_DOCUMENTED | {"counts"}
PROBLEM_DOCUMENTED = {"file", "line", "column", "severity", "message"}
SHOW_EMITTED = {"xmfin", "as_of", "entity", "owners", "holdings", "licences", "roles", "figures", "groups", "sources"}


@pytest.mark.parametrize(
    ("documented", "emitted"),
    [
        (NODE_DOCUMENTED, NODE_EMITTED),
        (CHAIN_DOCUMENTED, CHAIN_EMITTED),
        (STEP_DOCUMENTED, STEP_EMITTED),
        (HELD_DOCUMENTED, HELD_EMITTED),
        (CLAIM_DOCUMENTED, CLAIM_EMITTED),
        (CHECK_DOCUMENTED, CHECK_EMITTED),
    ],
)
def test_pinned_keys_include_the_documented_ones(documented: set[str], emitted: set[str]) -> None:
    assert documented <= emitted


def test_contract_tree(xmfin_json: Json) -> None:
    for args in (["tree"], ["tree", "bank", "--up"], ["tree", "--depth", "1"]):
        doc = xmfin_json(*args)
        assert set(doc) == TREE_DOCUMENTED and doc["xmfin"] == 1
        for node in walk(doc["root"]):
            assert set(node) == NODE_EMITTED, node["id"]


def test_contract_tree_lower_bound_key(xmfin_json: Json) -> None:
    nodes = {node["id"]: node for node in walk(xmfin_json("tree", case="undisclosed")["root"])}
    assert set(nodes["target"]) == NODE_EMITTED | {"effective_stake_min"}
    assert (nodes["target"]["effective_min"], nodes["target"]["effective_max"]) == (30.0, 100.0)
    assert set(nodes["dark"]) == NODE_EMITTED  # no lower bound above 0: no effective_stake_min


def test_contract_chain(xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "bank")
    assert set(doc) == CHAIN_EMITTED and doc["xmfin"] == 1
    for path in doc["paths"]:
        for step in path:
            assert set(step) == STEP_EMITTED
    for fields in doc["by_owner"].values():
        assert set(fields) == BY_OWNER_DOCUMENTED


def test_contract_gaps(xmfin_json: Json) -> None:
    doc = xmfin_json("gaps", "--vs", "beta")
    assert set(doc) == GAPS_DOCUMENTED and doc["xmfin"] == 1
    held = [h for row in doc["rows"] for found in row["held"].values() for h in found]
    claimed = [c for row in doc["rows"] for found in row["claimed"].values() for c in found]
    assert held and claimed
    for row in doc["rows"]:
        assert set(row) == ROW_DOCUMENTED
        assert set(row["held"]) == set(row["claimed"]) == {"alpha", "beta"}
    for item in held:
        assert set(item) == HELD_EMITTED
    for item in claimed:
        assert set(item) == CLAIM_EMITTED


def test_contract_check(xmfin: Invoke) -> None:
    result = xmfin("check", "--json", case="invalid")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert set(doc) == CHECK_EMITTED and doc["xmfin"] == 1 and doc["ok"] is False
    (problem,) = doc["problems"]
    assert set(problem) == PROBLEM_DOCUMENTED


def test_contract_show(xmfin_json: Json) -> None:
    doc = xmfin_json("show", "alpha-top")
    assert set(doc) == SHOW_EMITTED and doc["xmfin"] == 1


# JSON conventions


def test_json_is_one_document_with_chinese_unescaped(xmfin: Invoke) -> None:
    result = xmfin("tree", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.count("\n") == 1 and result.stdout.endswith("}\n")
    assert "阿尔法控股" in result.stdout
    json.loads(result.stdout)


def test_json_as_of_gives_the_full_date_used(xmfin_json: Json) -> None:
    assert xmfin_json("tree", "--as-of", "2019")["as_of"] == "2019-12-31"
    assert xmfin_json("gaps", "--vs", "beta", "--as-of", "2019-02")["as_of"] == "2019-02-28"
    assert xmfin_json("chain", "bank", "--as-of", "2020-02-29")["as_of"] == "2020-02-29"


# tree


def test_tree_defaults_to_the_default_groups_root(xmfin_json: Json) -> None:
    doc = xmfin_json("tree")
    assert doc["direction"] == "down"
    root = doc["root"]
    assert (root["id"], root["stake"], root["control"], root["effective_stake"], root["repeat"]) == (
        "alpha-top",
        None,
        None,
        100.0,
        False,
    )
    assert [child["id"] for child in root["children"]] == ["alpha-hk", "alpha-vie"]
    loans = root["children"][0]["children"][0]
    assert (loans["id"], loans["name_zh"], loans["jurisdiction"], loans["licences"]) == (
        "alpha-loans",
        "阿尔法小贷",
        "CN-CQ",
        ["microcredit"],
    )


def test_tree_of_a_group_id_is_its_root(xmfin_json: Json) -> None:
    assert xmfin_json("tree", "beta")["root"]["id"] == "beta-top"


def test_tree_human_output(xmfin: Invoke) -> None:
    result = xmfin("tree")
    assert result.exit_code == 0
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == "Alpha Holdings 阿尔法控股 (KY)"
    loans = next(line for line in lines if "Alpha Loans" in line)
    for part in ("阿尔法小贷", "(CN-CQ)", "100%", "eff. 100%", "Microcredit"):
        assert part in loans
    vie = next(line for line in lines if "Alpha VIE" in line)
    assert "vie" in vie.split("Alpha VIE (CN)")[1] and "via VIE" in vie
    bank = next(line for line in lines if "Shared Bank" in line)
    # The licence by its category's name, as the tables show it, not its id (issue 17).
    assert "29.5%" in bank and "eff. 29.5% via VIE" in bank and "Internet bank" in bank and "internet-bank" not in bank


def test_tree_diamond_marks_repeats(xmfin: Invoke, xmfin_json: Json) -> None:
    root = xmfin_json("tree", case="diamond")["root"]
    bottoms = [node for node in walk(root) if node["id"] == "bottom"]
    assert [(b["repeat"], b["stake"], b["effective_stake"], len(b["children"])) for b in bottoms] == [
        (False, 50.0, 38.0, 1),
        (True, 30.0, 38.0, 0),
        (True, 20.0, 38.0, 0),
    ]
    lines = xmfin("tree", case="diamond").stdout.splitlines()
    repeats = [line for line in lines if "Bottom Bank" in line and "repeat" in line]
    assert len(repeats) == 2
    assert sum("Bottom Leasing" in line for line in lines) == 1


def test_tree_cycle_terminates_and_marks_it(xmfin: Invoke, xmfin_json: Json) -> None:
    root = xmfin_json("tree", case="cycle")["root"]
    assert [(n["id"], n["repeat"], n["effective_stake"]) for n in walk(root)] == [
        ("top", False, 100.0),
        ("a", False, 66.0),
        ("b", False, 50.0),
        ("a", True, 66.0),
        ("b", True, 50.0),
    ]
    result = xmfin("tree", "a", "--up", case="cycle")
    assert result.exit_code == 0
    assert "owners above" in result.stdout
    assert "Outside Investor (SG)  10%  eff. 3%" in result.stdout


def test_tree_up(xmfin_json: Json) -> None:
    doc = xmfin_json("tree", "bottom", "--up", case="diamond")
    assert doc["direction"] == "up"
    root = doc["root"]
    assert [(c["id"], c["stake"], c["effective_stake"]) for c in root["children"]] == [
        ("zz-first", 50.0, 50.0),
        ("aa-second", 30.0, 30.0),
        ("small", 20.0, 20.0),
    ]
    top = root["children"][0]["children"][0]
    assert (top["id"], top["stake"], top["effective_stake"], top["children"]) == ("top", 45.0, 38.0, [])


def test_tree_depth_truncates(xmfin: Invoke, xmfin_json: Json) -> None:
    root = xmfin_json("tree", "--depth", "1", case="diamond")["root"]
    assert [(c["id"], c["truncated"], c["children"]) for c in root["children"]] == [
        ("zz-first", True, []),
        ("aa-second", True, []),
        ("small", True, []),
    ]
    assert root["truncated"] is False
    assert xmfin_json("tree", "--depth", "0", case="diamond")["root"]["truncated"] is True
    assert "…" in xmfin("tree", "--depth", "1", case="diamond").stdout


def test_tree_min_stake(xmfin_json: Json) -> None:
    root = xmfin_json("tree", "--min-stake", "40", case="diamond")["root"]
    assert [n["id"] for n in walk(root)] == ["top", "zz-first", "aa-second"]
    root = xmfin_json("tree", "--min-stake", "30", case="undisclosed")["root"]
    # Target Bank's lower bound is 30: it stays; Dark Trust's stake is unknown, 0 to 100%: it may meet 30%, so
    # it stays too (only what certainly falls short goes)
    assert [n["id"] for n in walk(root)] == ["top", "mid", "target", "target", "dark", "dark-sub"]
    root = xmfin_json("tree", "--min-stake", "31", case="undisclosed")["root"]
    assert [n["id"] for n in walk(root)] == ["top", "mid", "target", "target", "dark", "dark-sub"]


def test_tree_vie(xmfin_json: Json) -> None:
    opco = xmfin_json("tree", case="vie")["root"]["children"][1]
    assert (opco["id"], opco["stake"], opco["control"], opco["effective_stake"], opco["via_vie"]) == (
        "opco",
        None,
        "vie",
        100.0,
        True,
    )
    assert opco["controlled"] is True and opco["children"][0]["via_vie"] is True


def test_tree_undisclosed(xmfin: Invoke, xmfin_json: Json) -> None:
    nodes = {n["id"]: n for n in walk(xmfin_json("tree", case="undisclosed")["root"])}
    assert (nodes["target"]["effective_stake"], nodes["target"]["effective_stake_min"]) == (None, 30.0)
    assert nodes["dark"]["effective_stake"] is None and nodes["dark"]["stake"] is None
    lines = xmfin("tree", case="undisclosed").stdout.splitlines()
    target = next(line for line in lines if "Target Bank" in line)
    assert "undisclosed" in target and "eff. ≥ 30%" in target and "control unknown" in target
    dark = next(line for line in lines if "Dark Trust" in line)
    assert "voting" in dark and "eff. undisclosed" in dark


@pytest.mark.parametrize(("as_of", "owner"), [("2019-06", "old-parent"), ("2019-07-01", "new-parent")])
def test_tree_as_of_follows_the_owner(xmfin_json: Json, as_of: str, owner: str) -> None:
    root = xmfin_json("tree", "target-bank", "--up", "--as-of", as_of, case="change")["root"]
    assert [c["id"] for c in root["children"]] == [owner]


@pytest.mark.parametrize(("as_of", "present"), [("2019-05-01", True), ("2019-04-30", False)])
def test_tree_since_a_month(xmfin_json: Json, as_of: str, present: bool) -> None:
    ids = [n["id"] for n in walk(xmfin_json("tree", "new", "--as-of", as_of, case="change")["root"])]
    assert ("branch" in ids) is present


@pytest.mark.parametrize(("as_of", "present"), [("2019", True), ("2019-12-31", True), ("2020-01-01", False)])
def test_tree_until_a_year(xmfin_json: Json, as_of: str, present: bool) -> None:
    ids = [n["id"] for n in walk(xmfin_json("tree", "--as-of", as_of, case="change")["root"])]
    assert ("legacy" in ids) is present


def test_as_of_a_year_means_its_last_day(xmfin_json: Json) -> None:
    ids = [n["id"] for n in walk(xmfin_json("tree", "new", "--as-of", "2019", case="change")["root"])]
    assert "late" in ids  # since 2019-12 has begun by 2019-12-31


# chain


def test_chain_json(xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "bottom", case="diamond")
    assert (doc["entity"], doc["from"], doc["effective_stake"], doc["controlled"], doc["via_vie"]) == (
        "bottom",
        ["top"],
        38.0,
        False,
        False,
    )
    assert [[step["id"] for step in path] for path in doc["paths"]] == [
        ["top", "aa-second", "bottom"],
        ["top", "small", "bottom"],
        ["top", "zz-first", "bottom"],
    ]
    first = doc["paths"][0]
    assert (first[0]["stake"], first[0]["control"], first[1]["stake"], first[2]["stake"]) == (None, None, 45.0, 30.0)
    assert doc["by_owner"] == {
        "top": {
            "effective_stake": 38.0,
            "effective_min": 38.0,
            "effective_max": 38.0,
            "via_vie": False,
            "controlled": False,
        }
    }
    assert doc["paths_truncated"] is False


def test_chain_orders_top_owners_by_effective_stake(xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "a", case="cycle")
    assert doc["from"] == ["top", "outsider"]
    assert (doc["effective_stake"], doc["controlled"]) == (66.0, True)
    assert doc["by_owner"]["outsider"] == {
        "effective_stake": 3.0,
        "effective_min": 3.0,
        "effective_max": 3.0,
        "via_vie": False,
        "controlled": False,
    }


def test_chain_from(xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "lender", "--from", "nominee", case="vie")
    assert doc["from"] == ["nominee"]
    assert [[s["id"] for s in p] for p in doc["paths"]] == [["nominee", "opco", "lender"]]
    assert (doc["effective_stake"], doc["via_vie"], doc["controlled"]) == (60.0, False, True)
    doc = xmfin_json("chain", "lender", "--from", "Onshore Opco", case="vie")
    assert doc["from"] == ["opco"] and doc["effective_stake"] == 60.0


def test_chain_vie(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "lender", case="vie")
    assert doc["from"] == ["listed-co", "nominee"]
    assert doc["via_vie"] is True and doc["by_owner"]["nominee"]["via_vie"] is False
    out = xmfin("chain", "lender", case="vie").stdout
    assert "Listed Co (KY) → Onshore Opco (CN) vie → Opco Lender (CN-BJ) 60%" in out
    assert "Listed Co: eff. 60% via VIE, controls it" in out


def test_chain_undisclosed(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "target", case="undisclosed")
    # Top holds 30% itself and controls Mid, whose undisclosed stake may be up to 70%: control is unknown,
    # not "no"
    assert (doc["effective_stake"], doc["effective_stake_min"], doc["controlled"]) == (None, 30.0, None)
    assert (doc["effective_min"], doc["effective_max"]) == (30.0, 100.0)
    assert doc["by_owner"]["top"]["effective_stake_min"] == 30.0
    out = xmfin("chain", "target", case="undisclosed").stdout
    assert "Top Holdings (HK) → Mid Co (HK) 100% → Target Bank (CN) undisclosed" in out
    assert "Top Holdings: eff. ≥ 30%, control unknown" in out


def test_chain_human_output(xmfin: Invoke) -> None:
    result = xmfin("chain", "bottom", case="diamond")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Top Holdings (KY) → Zebra Holdings (HK) 45% → Bottom Bank (CN) 30%",
        "Top Holdings (KY) → Aaa Minor Holdings (HK) 10% → Bottom Bank (CN) 20%",
        "Top Holdings (KY) → Aardvark Holdings (HK) 45% → Bottom Bank (CN) 50%",
        "Top Holdings: eff. 38%, does not control it",
    ]


def test_chain_says_when_paths_are_cut(xmfin: Invoke, xmfin_json: Json, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_module, "MAX_PATHS", 2)
    doc = xmfin_json("chain", "bottom", case="diamond")
    assert doc["paths_truncated"] is True and len(doc["paths"]) == 2
    assert doc["effective_stake"] == 38.0  # the stake does not depend on the paths listed
    assert "only the first 2 paths are shown" in xmfin("chain", "bottom", case="diamond").stdout


def test_chain_of_an_entity_with_no_owner(xmfin: Invoke, xmfin_json: Json) -> None:
    # It says so, rather than answering about the entity itself ("eff. 100%, controls it").
    doc = xmfin_json("chain", "top", case="diamond")
    assert (doc["from"], doc["paths"], doc["effective_stake"], doc["controlled"]) == ([], [], None, None)
    assert doc["absent"] is None
    result = xmfin("chain", "top", "--as-of", "2026-12-01", case="diamond")
    assert result.exit_code == 0
    assert result.stdout.strip() == "Top Holdings (KY): no recorded owners on 2026-12-01"


def test_chain_from_an_entity_that_holds_nothing_in_it(xmfin: Invoke) -> None:
    err = failed(xmfin("chain", "bottom", "--from", "bottom-sub", case="diamond"), 2)
    assert "no recorded holding of 'bottom-sub' in 'bottom'" in err


# show


def test_show_human_output(xmfin: Invoke) -> None:
    result = xmfin("show", "Shared Bank")
    assert result.exit_code == 0
    out = result.stdout
    for part in ("Shared Bank", "(CN)", "bank, company", "Alpha VIE", "29.5%", "internet-bank", "2016-12 to now"):
        assert part in out
    owner = next(line for line in out.splitlines() if "Alpha VIE" in line)
    assert "29.5%" in owner and "equity" in owner and "src" in owner
    group = next(line for line in out.splitlines() if line.lstrip().startswith("Alpha │"))
    assert "29.5% via VIE" in group and "no" in group  # the group, its effective stake, not controlled
    assert "A source" in out and "2019-05" in out


def test_show_json(xmfin_json: Json) -> None:
    doc = xmfin_json("show", "alpha-hk")
    entity = doc["entity"]
    assert (entity["id"], entity["name"], entity["jurisdiction"], entity["kind"]) == (
        "alpha-hk",
        "Alpha HK",
        "HK",
        "company",
    )
    assert entity["former_names"] == [{"name": "Old Alpha HK", "name_zh": None, "since": None, "until": "2018"}]
    assert [(h["owner"], h["stake"], h["active"]) for h in doc["owners"]] == [("alpha-top", 100.0, True)]
    assert [(h["owned"], h["since"]) for h in doc["holdings"]] == [("alpha-loans", "2015-06")]
    assert doc["groups"] == [
        {
            "group": "alpha",
            "effective_stake": 100.0,
            "effective_min": 100.0,
            "effective_max": 100.0,
            "via_vie": False,
            "controlled": True,
        }
    ]
    assert [s["id"] for s in doc["sources"]] == ["src"]


def test_show_former_names_and_aliases(xmfin: Invoke) -> None:
    out = xmfin("show", "ob", case="names").stdout
    assert "Orion 猎户座银行 (CN)" in out
    assert "former name: Old Orion Bank … to 2018" in out and "aliases: OB" in out


def test_show_marks_what_is_not_active_on_the_day(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("show", "alpha-loans", "--as-of", "2015-05")
    assert [(h["owner"], h["active"]) for h in doc["owners"]] == [("alpha-hk", False)]
    assert "(not yet)" in xmfin("show", "alpha-loans", "--as-of", "2015-05").stdout


# gaps


def test_gaps_human_output(xmfin: Invoke) -> None:
    result = xmfin("gaps", "--vs", "beta")
    assert result.exit_code == 0
    out = result.stdout
    assert "Licences on" in out and "by family" in out
    banking = next(line for line in out.splitlines() if "Banking" in line)
    assert "Shared Bank 29.5% via VIE (minority)" in banking and "claimed" in banking
    securities = next(line for line in out.splitlines() if "Securities *" in line)
    assert "Beta Securities 50.55%" in securities and "GAP" in securities
    assert "Alpha lacks against Beta: securities" in out


def test_gaps_json(xmfin_json: Json) -> None:
    doc = xmfin_json("gaps", "alpha", "--vs", "Beta")
    assert (doc["group"], doc["vs"], doc["by"], doc["gaps"]) == ("alpha", ["beta"], "family", ["securities"])
    rows = {row["licence"]: row for row in doc["rows"]}
    assert list(rows) == ["bank", "securities", "lending"]
    assert rows["bank"]["claimed"]["beta"] == [
        {
            "sources": ["src"],
            "as_of": "2019-05",
            "note": "Claimed.",
            "records": "contradict",  # no Beta member held a banking licence in 2019-05
            "confirmed": "2019-05",
            "stale": True,  # more than three years before the day asked about
        }
    ]
    assert rows["bank"]["held"]["beta"] == [] and rows["bank"]["gap"] is False
    (held,) = rows["securities"]["held"]["beta"]
    assert (held["entity"], held["category"], held["effective_stake"]) == ("beta-sec", "brokerage", 50.55)


def test_gaps_defaults_to_every_other_group(xmfin_json: Json) -> None:
    assert xmfin_json("gaps")["vs"] == ["beta"]


def test_gaps_claim_is_claimed_not_held(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("gaps", "--as-of", "2019-05", case="claim")
    insurance = doc["rows"][0]
    assert insurance["held"]["claimer"] == [] and insurance["gap"] is True
    assert insurance["claimed"]["claimer"][0]["as_of"] == "2019-05"
    out = xmfin("gaps", "--as-of", "2019-05", case="claim").stdout
    insurance_line = next(line for line in out.splitlines() if "Insurance *" in line)
    assert "claimed" in insurance_line and "GAP" in insurance_line and "Insurer Co 100%" in insurance_line
    before = xmfin_json("gaps", "--as-of", "2019-04", case="claim")
    assert before["rows"][0]["claimed"]["claimer"] == []


def test_gaps_strict_and_core(xmfin_json: Json) -> None:
    strict = xmfin_json("gaps", "--vs", "small", "--strict", case="minority")
    assert strict["by"] == "category"
    assert [row["licence"] for row in strict["rows"]] == ["life-insurance", "brokerage", "asset-management"]
    assert strict["gaps"] == ["asset-management"]
    core = xmfin_json("gaps", "--vs", "small", "--core", case="minority")
    assert [row["licence"] for row in core["rows"]] == ["insurance", "securities"]
    both = xmfin_json("gaps", "--vs", "small", "--core", "--strict", case="minority")
    assert [row["licence"] for row in both["rows"]] == ["life-insurance", "brokerage", "asset-management"]


@pytest.mark.parametrize(
    ("options", "gaps"),
    [
        ([], []),
        (["--min-stake", "20"], []),
        (["--min-stake", "25"], ["securities"]),
        (["--controlled"], ["securities"]),
        (["--min-stake", "90"], []),  # applies to Small too: its 80% broker drops out
    ],
)
def test_gaps_min_stake_and_controlled(xmfin_json: Json, options: list[str], gaps: list[str]) -> None:
    assert xmfin_json("gaps", "big", "--vs", "small", *options, case="minority")["gaps"] == gaps


def test_gaps_minority_human_output(xmfin: Invoke) -> None:
    out = xmfin("gaps", "--vs", "small", case="minority").stdout
    securities = next(line for line in out.splitlines() if "Securities *" in line)
    assert "Partner Securities 20% (minority)" in securities
    assert securities.count("Small Broker") == 1  # one holder, two licences of the family: named once
    assert "Big Group has no certain gap against Small Group" in out
    out = xmfin("gaps", "--vs", "small", "--controlled", case="minority").stdout
    assert "Big Group lacks against Small Group: securities" in out


def test_gaps_group_by_chinese_name(xmfin_json: Json) -> None:
    assert xmfin_json("gaps", "大集团", "--vs", "small", case="minority")["group"] == "big"


def test_gaps_undisclosed_thresholds(xmfin_json: Json) -> None:
    assert xmfin_json("gaps", "--vs", "peer", "--min-stake", "30", case="undisclosed")["gaps"] == []
    # 30% to 100%: it may or may not reach 31%, so the gap is unknown, not certain
    doc = xmfin_json("gaps", "--vs", "peer", "--min-stake", "31", case="undisclosed")
    assert (doc["gaps"], doc["unknown"]) == ([], ["bank"])
    assert doc["rows"][0]["held"]["top"][0]["counts"] is None
    (held,) = xmfin_json("gaps", "--vs", "peer", case="undisclosed")["rows"][0]["held"]["top"]
    assert (held["effective_stake"], held["effective_stake_min"]) == (None, 30.0)


def test_gaps_undisclosed_human_output(xmfin: Invoke) -> None:
    lines = xmfin("gaps", "--vs", "peer", case="undisclosed").stdout.splitlines()
    banking = next(line for line in lines if "Banking *" in line)
    assert "Target Bank ≥ 30% (control unknown)" in banking and "Peer Bank 100%" in banking
    trust = next(line for line in lines if "Trust" in line)
    assert "Dark Sub undisclosed" in trust


def test_gaps_peer_named_twice_is_one_column(xmfin_json: Json) -> None:
    assert xmfin_json("gaps", "--vs", "beta", "--vs", "Beta")["vs"] == ["beta"]


# check


def test_check_ok(xmfin: Invoke) -> None:
    result = xmfin("check")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "ok: 0 errors, 0 warnings" in result.stderr and "8 entities" in result.stderr


def test_check_lists_problems_on_stdout(xmfin: Invoke) -> None:
    result = xmfin("check", case="invalid")
    assert result.exit_code == 1
    path = fixture_path("invalid") / "entities.yaml"
    assert result.stdout == (
        f"{path}:10:12: error: owner 'acme-crop' is not a known entity (did you mean 'acme-corp'?)\n"
    )
    assert "invalid: 1 error, 0 warnings (" in result.stderr  # one error: singular (issue 17)


def test_check_json(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = json.loads(xmfin("check", "--json", case="invalid").stdout)
    assert doc["problems"] == [
        {
            "file": str(fixture_path("invalid") / "entities.yaml"),
            "line": 10,
            "column": 12,
            "severity": "error",
            "message": "owner 'acme-crop' is not a known entity (did you mean 'acme-corp'?)",
        }
    ]
    ok = xmfin_json("check")
    assert ok["ok"] is True and ok["problems"] == [] and ok["counts"]["entities"] == 8


def test_check_relative_folder_names_files_as_given(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = runner.invoke(app, ["check", "--data", "invalid"])
    assert result.stdout.startswith("invalid/entities.yaml:10:12: error: ")


def test_check_warnings_alone_do_not_fail(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("entities.yaml", "licences.yaml"):
        text = (fixture_path("nodefault") / name).read_text().replace(", sources: [src]", "")
        (tmp_path / name).write_text(text)
    result = runner.invoke(app, ["check", "--data", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout.count(": warning: ") == 2 and "names no source" in result.stdout
    doc = json.loads(runner.invoke(app, ["check", "--data", str(tmp_path), "--json"]).stdout)
    assert doc["ok"] is True and [p["severity"] for p in doc["problems"]] == ["warning", "warning"]


# Errors a user can cause: each with its message and exit code, never a traceback.


def test_unknown_entity_suggests(xmfin: Invoke) -> None:
    err = failed(xmfin("show", "alpha-hq"), 2)
    assert err.startswith("xmfin: error: no entity matches 'alpha-hq'")
    assert "did you mean 'alpha-hk'" in err
    assert "did you mean" in failed(xmfin("tree", "alpha-lons"), 2)
    assert "did you mean" in failed(xmfin("chain", "bnak"), 2)
    assert "did you mean" in failed(xmfin("chain", "bank", "--from", "alpha-tpo"), 2)


def test_ambiguous_name_lists_candidates(xmfin: Invoke) -> None:
    err = failed(xmfin("show", "Alpha H"), 2)
    assert "'Alpha H' matches 2 entities: alpha-top (Alpha Holdings), alpha-hk (Alpha HK); give an id" in err
    err = failed(xmfin("tree", "twin", case="names"), 2)
    assert "twin-one (Twin One)" in err and "twin-two (Twin Two)" in err


@pytest.mark.parametrize("command", [["tree"], ["chain", "bank"], ["show", "bank"], ["gaps", "--vs", "beta"]])
@pytest.mark.parametrize(
    ("as_of", "why"),
    [("2019-13", "month 13 does not exist"), ("yesterday", "is not a date"), ("2019-02-30", "has 28 days")],
)
def test_bad_as_of(xmfin: Invoke, command: list[str], as_of: str, why: str) -> None:
    err = failed(xmfin(*command, "--as-of", as_of), 2)
    assert err.startswith("xmfin: error: --as-of: ") and why in err


@pytest.mark.parametrize("command", [["tree"], ["gaps", "--vs", "beta"]])
@pytest.mark.parametrize("stake", ["150", "-1"])
def test_min_stake_out_of_range(xmfin: Invoke, command: list[str], stake: str) -> None:
    err = failed(xmfin(*command, "--min-stake", stake), 2)
    assert f"--min-stake {stake} is out of range: give a percentage from 0 to 100" in err


@pytest.mark.parametrize("command", [["tree"], ["chain", "x"], ["show", "x"], ["gaps"], ["check"]])
def test_data_folder_missing(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    err = failed(runner.invoke(app, [*command, "--data", str(tmp_path / "nowhere")]), 2)
    assert "does not exist" in err


@pytest.mark.parametrize("command", [["tree"], ["chain", "x"], ["show", "x"], ["gaps"], ["check"]])
def test_data_folder_is_a_file(runner: CliRunner, command: list[str]) -> None:
    file = fixture_path("basic") / "entities.yaml"
    err = failed(runner.invoke(app, [*command, "--data", str(file)]), 2)
    assert "neither a data folder nor an xmfin store" in err


@pytest.mark.parametrize("command", [["tree"], ["chain", "acme-bank"], ["show", "acme-bank"], ["gaps"]])
def test_invalid_data(xmfin: Invoke, command: list[str]) -> None:
    err = failed(xmfin(*command, case="invalid"), 1)
    path = fixture_path("invalid") / "entities.yaml"
    assert err.splitlines() == [
        f"{path}:10:12: error: owner 'acme-crop' is not a known entity (did you mean 'acme-corp'?)",
        "xmfin: error: the data is invalid; run 'xmfin check' for every problem",
    ]


def test_no_default_group_and_no_group(xmfin: Invoke) -> None:
    for command in (["gaps"], ["gaps", "--vs", "two"], ["tree"]):
        err = failed(xmfin(*command, case="nodefault"), 2)
        assert "no group given and the data names no default group" in err


def test_unknown_group(xmfin: Invoke) -> None:
    err = failed(xmfin("gaps", "--vs", "bta"), 2)
    assert "unknown group 'bta' (did you mean 'beta'?); known groups: alpha, beta" in err
    err = failed(xmfin("gaps", "gamma", "--vs", "beta"), 2)
    assert "unknown group 'gamma'" in err and "known groups: alpha, beta" in err


def test_no_peer_to_compare(xmfin: Invoke) -> None:
    err = failed(xmfin("gaps", case="diamond"), 2)
    assert "no peer to compare with: give --vs GROUP" in err


def test_gaps_against_itself(xmfin: Invoke) -> None:
    err = failed(xmfin("gaps", "alpha", "--vs", "Alpha"), 2)
    assert "--vs alpha is the group itself" in err


def test_bad_depth_is_bad_usage(xmfin: Invoke) -> None:
    result = xmfin("tree", "--depth", "-1")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_unknown_option_is_bad_usage(xmfin: Invoke) -> None:
    result = xmfin("tree", "--sideways")
    assert result.exit_code == 2
    assert result.stderr == (
        "xmfin: error: no such option: --sideways\nusage: xmfin tree [OPTIONS] [ENTITY]  (see 'xmfin tree --help')\n"
    )


# Entity and group resolution (cli.md, Conventions): see tests/fixtures/names/entities.yaml.


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("orion", "orion"),  # an exact id, though 'Orion' is also orion-bank's name
        ("ORION", "orion"),  # ids too are matched case-insensitively
        ("orion-bank", "orion-bank"),
        ("vega", "vega-holdings"),  # a group id means the group's root, before the entity named 'Vega'
        ("Vega", "vega-holdings"),
        ("orion capital", "orion"),  # an exact name, though also a substring of 'Orion Capital Bank'
        ("猎户座银行", "orion-bank"),  # a Chinese name
        ("old orion bank", "orion-bank"),  # a former name
        ("ob", "orion-bank"),  # an alias
        ("capital bank", "orion-capital-bank"),  # a substring of one name
        ("lookalike", "vega-lookalike"),  # a substring of an id
        ("  Orion Capital ", "orion"),  # surrounding spaces do not count
    ],
)
def test_entity_resolution_order(text: str, entity: str) -> None:
    assert find_entity(load_case("names"), text).id == entity


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("twin", ["twin-one", "twin-two"]),  # two exact aliases
        ("Twin T", ["twin-two"]),  # a substring of one: no error
        ("vega h", ["vega-holdings"]),
        ("orio", ["orion", "orion-bank", "orion-capital-bank"]),  # a substring of several
        ("capital", ["orion", "orion-capital-bank"]),
    ],
)
def test_entity_resolution_candidates(text: str, candidates: list[str]) -> None:
    data = load_case("names")
    if len(candidates) == 1:
        assert find_entity(data, text).id == candidates[0]
        return
    with pytest.raises(UnknownName) as raised:
        find_entity(data, text)
    assert raised.value.candidates == candidates
    assert raised.value.exit_code == 2


def test_unknown_entity_suggests_close_ids() -> None:
    with pytest.raises(UnknownName, match=r"no entity matches 'orian' \(did you mean 'orion'"):
        find_entity(load_case("names"), "orian")


def test_group_resolution() -> None:
    data = load_case("names")
    assert find_group(data, "vega").id == "vega"
    assert find_group(data, "VEGA GROUP").id == "vega"
    assert find_group(data, "织女集团").id == "vega"
    assert default_group(data, None).id == "vega"
    assert find_group(data, "vega holdings").id == "vega"  # by its root's name, as issue 12 asks
    assert find_group(data, "织女").id == "vega"  # a substring of the Chinese name
    with pytest.raises(UnknownName, match="unknown group 'nova'"):
        find_group(data, "nova")


def test_show_resolves_names_like_the_core(xmfin_json: Json) -> None:
    assert xmfin_json("show", "猎户座银行", case="names")["entity"]["id"] == "orion-bank"
    assert xmfin_json("tree", "vega", case="names")["root"]["id"] == "vega-holdings"


# Output safety


def test_markup_in_names_is_printed_as_is(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("entities.yaml", "licences.yaml"):
        text = (fixture_path("nodefault") / name).read_text()
        (tmp_path / name).write_text(text.replace("One Holdings", "'[bold red]One[/] Holdings'"))
    result = runner.invoke(app, ["tree", "one", "--data", str(tmp_path)])
    assert result.exit_code == 0
    assert "[bold red]One[/] Holdings" in result.stdout


# Version, import weight, the bundled data


def test_version_in_process(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"xmfin {__version__}\n"


def test_python_m_xmfin_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xmfin", "--version"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0 and result.stdout == f"xmfin {__version__}\n"


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["tree", "--help"], ["gaps", "--help"]])
def test_version_and_help_stay_light(argv: list[str]) -> None:
    script = (
        "import sys\n"
        f"sys.argv = ['xmfin', *{argv!r}]\n"
        "from xmfin.cli import main\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert done.code in (0, None), done.code\n"
        "sys.stderr.write(repr(sorted(m for m in ('yaml', 'networkx') if m in sys.modules)))\n"
    )
    env = {**os.environ, "COLUMNS": "120"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("[]"), result.stderr


def test_bundled_data_is_the_checkouts_data_folder_when_run_from_source() -> None:
    from xmfin import bundled_data

    folder = bundled_data()
    packaged = Path(__import__("xmfin").__file__).parent / "data"
    assert folder == (packaged if packaged.is_dir() else ROOT / "data")
    assert (folder / "entities.yaml").is_file() and (folder / "licences.yaml").is_file()


def test_xmfin_data_environment_variable(runner: CliRunner) -> None:
    result = runner.invoke(app, ["tree", "--json"], env={"XMFIN_DATA": str(fixture_path("diamond"))})
    assert result.exit_code == 0 and json.loads(result.stdout)["root"]["id"] == "top"
    result = runner.invoke(
        app, ["tree", "--json", "--data", str(fixture_path("vie"))], env={"XMFIN_DATA": str(fixture_path("diamond"))}
    )
    assert json.loads(result.stdout)["root"]["id"] == "listed-co"  # --data wins


def test_without_data_the_bundled_dataset_is_read(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "--json"])
    assert result.exit_code in (0, 1)  # the bundled data's own tests judge its content
    doc = json.loads(result.stdout)
    assert doc["counts"]["entities"] > 0
    assert all(p["file"].startswith("data/") for p in doc["problems"])


@pytest.mark.parametrize("command", ["tree", "chain", "show", "gaps", "check"])
def test_help_gives_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:\n\n    xmfin " + command in result.stdout
    assert "--data" in result.stdout and "--json" in result.stdout
