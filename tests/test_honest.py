"""Honest answers (issue 12) on tests/fixtures/honest: time, names of the day, ranges, pending deals,
nominees, claims that the records support or contradict, freshness, and groups found by any name."""

from __future__ import annotations

import json

import pytest

from .conftest import Invoke
from .test_cli import Json

CASE = "honest"


def nodes(root: dict) -> dict[str, dict]:
    found, pending = {}, [root]
    while pending:
        node = pending.pop()
        found[node["id"]] = node
        pending.extend(node["children"])
    return found


@pytest.mark.parametrize(
    ("as_of", "present", "absent"),
    [
        ("2013-06", {"gone-co", "vie-co", "ranged-co"}, {"late-co"}),  # Late Co founded 2013-12
        ("2014", {"gone-co", "late-co"}, set()),
        ("2019-04", {"late-co"}, {"gone-co"}),  # Gone Co dissolved 2019-03
    ],
)
def test_tree_shows_only_what_existed_on_the_day(
    xmfin_json: Json, as_of: str, present: set[str], absent: set[str]
) -> None:
    found = nodes(xmfin_json("tree", "--as-of", as_of, case=CASE)["root"])
    assert present <= set(found) and not absent & set(found)


def test_a_tree_before_the_root_was_founded_says_so(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("tree", "--as-of", "1900", case=CASE)
    assert (doc["root"], doc["entity"], doc["absent"]) == (None, "parent-co", "not founded until 2010")
    result = xmfin("tree", "--as-of", "1900", case=CASE)
    assert result.exit_code == 0
    assert result.stdout.strip() == "Parent Co (KY): not there on 1900-12-31 (not founded until 2010)"


def test_entities_carry_the_name_they_had_on_the_day(xmfin: Invoke, xmfin_json: Json) -> None:
    assert nodes(xmfin_json("tree", "--as-of", "2015", case=CASE)["root"])["late-co"]["name"] == "Early Name Co"
    assert nodes(xmfin_json("tree", "--as-of", "2020", case=CASE)["root"])["late-co"]["name"] == "Late Co"
    early = xmfin_json("tree", "--as-of", "2015", case=CASE)["root"]
    assert nodes(early)["late-co"]["name_zh"] == "早名公司"
    assert "Early Name Co" in xmfin("gaps", "--vs", "rival", "--as-of", "2016", case=CASE).stdout


def test_a_dissolved_entity_is_no_member_or_licence_holder(xmfin_json: Json) -> None:
    rows = {r["licence"]: r for r in xmfin_json("gaps", "--vs", "rival", "--as-of", "2016", case=CASE)["rows"]}
    assert [h["entity"] for h in rows["payment"]["held"]["parent"]] == ["gone-co"]
    rows = {r["licence"]: r for r in xmfin_json("gaps", "--vs", "rival", case=CASE)["rows"]}
    assert rows["payment"]["held"]["parent"] == []
    listed = xmfin_json("licences", "--group", "parent", "--all", case=CASE)["licences"]
    assert "gone-co" not in {lic["holder"] for lic in listed}


def test_chain_of_a_dissolved_entity_says_when(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "gone-co", case=CASE)
    assert (doc["from"], doc["paths"], doc["controlled"], doc["absent"]) == ([], [], None, "dissolved 2019-03")
    result = xmfin("chain", "gone-co", case=CASE)
    assert result.exit_code == 0
    assert result.stdout.strip() == "Gone Co: no recorded owners on 2026-12-01: dissolved 2019-03"


def test_a_range_shows_as_a_range_and_gives_control(xmfin: Invoke, xmfin_json: Json) -> None:
    ranged = nodes(xmfin_json("tree", case=CASE)["root"])["ranged-co"]
    assert (ranged["stake"], ranged["stake_min"], ranged["stake_max"]) == (None, 50.0, None)
    assert (ranged["effective_stake"], ranged["effective_min"], ranged["effective_max"]) == (None, 50.0, 100.0)
    assert ranged["controlled"] is True  # more than 50%
    line = next(line for line in xmfin("tree", case=CASE).stdout.splitlines() if "Ranged Co" in line)
    assert "> 50%" in line and "eff. ≥ 50%" in line


def test_a_pending_deal_is_shown_and_never_counted(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("gaps", "--vs", "rival", case=CASE)
    rows = {r["licence"]: r for r in doc["rows"]}
    assert rows["securities"]["held"]["parent"] == []
    (pending,) = rows["securities"]["pending"]["parent"]
    assert (pending["entity"], pending["via"]["pending"], pending["via"]["stake"]) == ("broker", True, 50.55)
    assert rows["securities"]["status"]["parent"] == "claimed"
    assert [p["entity"] for p in rows["payment"]["pending"]["parent"]] == ["ranged-co"]  # a pending licence
    assert rows["payment"]["held"]["parent"] == []
    assert "broker" not in nodes(xmfin_json("tree", case=CASE)["root"])
    chain = xmfin_json("chain", "broker", case=CASE)
    assert chain["from"] == [] and [h["owner"] for h in chain["pending"]] == ["parent-co"]
    assert "pending: Parent Co → Target Broker 50.55%, announced 2025-04" in xmfin("chain", "broker", case=CASE).stdout
    listed = {(lic["holder"], lic["category"]): lic for lic in xmfin_json("licences", case=CASE)["licences"]}
    assert listed["ranged-co", "payment-institution"]["pending"] is True
    assert listed["ranged-co", "payment-institution"]["active"] is False


def test_a_nominee_is_not_presented_as_an_owner_with_control(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "late-co", case=CASE)
    assert doc["by_owner"]["founder"]["nominee_for"] == "parent-co"
    assert doc["by_owner"]["founder"]["controlled"] is False
    assert doc["by_owner"]["parent-co"]["controlled"] is True
    nominee_step = next(p for p in doc["paths"] if p[0]["id"] == "founder")[1]
    assert nominee_step["nominee_for"] == "parent-co"
    out = xmfin("chain", "late-co", case=CASE).stdout
    assert "Founder: nominee for Parent Co, eff. 100% on paper" in out
    assert "Founder: eff." not in out


def test_claims_say_their_date_and_what_the_records_of_that_day_say(xmfin_json: Json) -> None:
    rows = {r["licence"]: r for r in xmfin_json("gaps", "--vs", "rival", case=CASE)["rows"]}
    (lending,) = rows["lending"]["claimed"]["parent"]
    (securities,) = rows["securities"]["claimed"]["parent"]
    assert (lending["as_of"], lending["records"]) == ("2015-03", "support")
    assert (securities["as_of"], securities["records"]) == ("2015-03", "contradict")
    assert (lending["confirmed"], lending["stale"]) == ("2015-03", True)
    rows = {r["licence"]: r for r in xmfin_json("gaps", "--vs", "rival", "--as-of", "2016", case=CASE)["rows"]}
    assert rows["lending"]["claimed"]["parent"][0]["stale"] is False


def test_old_facts_say_how_old_they_are(xmfin: Invoke, xmfin_json: Json) -> None:
    gone = nodes(xmfin_json("tree", "--as-of", "2019-01", case=CASE)["root"])["gone-co"]
    assert (gone["confirmed"], gone["stale"]) == ("2015-03", True)
    fresh = nodes(xmfin_json("tree", "--as-of", "2016", case=CASE)["root"])["gone-co"]
    assert fresh["stale"] is False
    line = next(line for line in xmfin("tree", "--as-of", "2019-01", case=CASE).stdout.splitlines() if "Gone" in line)
    assert "unconfirmed since 2015-03" in line


def test_check_stale_lists_old_facts_as_their_own_kind(xmfin: Invoke) -> None:
    result = xmfin("check", "--stale", case=CASE)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines and all(": stale: " in line for line in lines)
    assert any("claim 'lending' of 'parent': last confirmed 2015-03" in line for line in lines)
    assert not any("gone-co" in line for line in lines)  # dissolved: its holding ended, it describes its time
    assert ": ok: 0 errors, 0 warnings, 2 stale" in result.stderr
    assert xmfin("check", "--stale", "20", case=CASE).stdout == ""
    doc = json.loads(xmfin("check", "--stale", "--json", case=CASE).stdout)
    assert doc["ok"] is True and {p["severity"] for p in doc["problems"]} == {"stale"}
    assert xmfin("check", case=CASE).stdout == ""  # without --stale, none
    assert "goes with --stale" in xmfin("check", "3", case=CASE).stderr


@pytest.mark.parametrize("name", ["parent", "Parent Group", "母集团", "母", "PC Holdings", "parent co"])
def test_groups_resolve_like_entities(xmfin_json: Json, name: str) -> None:
    assert xmfin_json("gaps", name, "--vs", "rival", case=CASE)["group"] == "parent"


def test_an_ambiguous_group_name_lists_the_candidates(xmfin: Invoke) -> None:
    result = xmfin("gaps", "co", "--vs", "rival", case=CASE)
    assert result.exit_code == 2
    assert "'co' matches 2 groups: parent (Parent Group), rival (Rival Group); give an id" in result.stderr


def test_timeline_shows_recorded_events_and_announced_deals(xmfin_json: Json) -> None:
    events = xmfin_json("timeline", "parent", case=CASE)["events"]
    kinds = {(e["kind"], e["text"]) for e in events}
    assert ("event", "Parent Co reorganises its finance arm") in kinds
    assert any(
        kind == "holding-announced" and "announces it will take 50.55% of Target Broker" in text for kind, text in kinds
    )
    assert any(kind == "licence-applied" for kind, _ in kinds)
    assert not any(kind == "holding-began" and "Target Broker" in text for kind, text in kinds)


def test_chain_names_who_controls_the_entity(xmfin: Invoke, xmfin_json: Json) -> None:
    doc = xmfin_json("chain", "late-co", case=CASE)
    assert doc["controllers"] == ["parent-co", "vie-co"] or doc["controllers"] == ["vie-co", "parent-co"]
    assert "controlled by: " in xmfin("chain", "late-co", case=CASE).stdout


def test_a_source_quoted_twice_is_one_source_with_both_quotes(xmfin_json: Json) -> None:
    from xmfin.api import load

    from .conftest import fixture_path

    ranged = load(fixture_path(CASE)).entities["ranged-co"]
    assert ranged.sources == ("filing",)
    assert [q.at for q in ranged.quotes] == ["p. 3", "p. 9"]
    assert xmfin_json("show", "ranged-co", case=CASE)["entity"]["sources"] == ["filing"]


def test_a_former_name_without_an_end_never_replaces_the_current_name(xmfin_json: Json) -> None:
    for day in ("2013", "2020"):
        assert nodes(xmfin_json("tree", "--as-of", day, case=CASE)["root"])["ranged-co"]["name"] == "Ranged Co"


@pytest.mark.parametrize("command", [["diagram"], ["report", "--vs", "rival"]])
def test_drawing_a_group_before_its_root_existed_is_refused(xmfin: Invoke, tmp_path, command: list[str]) -> None:
    # Before, report crashed (NetworkXError, exit 70) on a root not yet founded.
    result = xmfin(*command, "--as-of", "1900", "-o", str(tmp_path / "out"), case=CASE)
    assert result.exit_code == 2
    assert "'parent-co' is not there on 1900-12-31 (not founded until 2010): try another --as-of" in result.stderr
    assert not (tmp_path / "out").exists()
