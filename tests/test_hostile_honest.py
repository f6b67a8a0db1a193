"""A hostile second look at issue 12 (honest answers): each test pins a defect found by attacking the engine
and the commands with shapes the first tests did not try."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xmfin.cli import app

from .conftest import Invoke

CASE = "honest"


def run_on(folder: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--data", str(folder)])
    return result.exit_code, result.stdout, result.stderr


def test_years_before_more_years_than_the_calendar_has_is_the_first_day() -> None:
    from xmfin.freshness import years_before

    assert years_before(dt.date(2026, 12, 1), 10**20) == dt.date.min
    assert years_before(dt.date(2026, 12, 1), 2026) == dt.date.min
    assert years_before(dt.date(2026, 12, 1), 2025) == dt.date(1, 12, 1)


@pytest.mark.parametrize("years", ["10000", "2026", str(10**20)])
def test_check_stale_with_huge_years_lists_only_undated_facts(xmfin: Invoke, years: str) -> None:
    # `check --stale 10000` (or 10**20) crashed with exit 70: the day that many years back is before year 1.
    result = xmfin("check", "--stale", years, case=CASE)
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    assert "last confirmed" not in result.stdout  # nothing dated is that old


def write_folder(folder: Path, holdings: str, entities: str = "a, b, c, x") -> Path:
    folder.mkdir()
    names = "\n".join(f"  {e.strip()}: {{name: {e.strip().upper()}, sources: [s]}}" for e in entities.split(","))
    (folder / "entities.yaml").write_text(
        f"version: 1\nsources:\n  s: {{title: S, published: 2025-01}}\nentities:\n{names}\nholdings:\n{holdings}",
        encoding="utf-8",
    )
    (folder / "licences.yaml").write_text("version: 1\nfamilies: {}\ncategories: {}\nlicences: []\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("holdings", "shown"),
    [
        # Two holders of "more than 50%": the check passed it, and `chain x` said both "control it", each "eff. 50%".
        (
            "  - {owner: a, owned: x, stake_min: 50, stake_min_exclusive: true, sources: [s]}\n"
            "  - {owner: b, owned: x, stake_min: 50, stake_min_exclusive: true, sources: [s]}\n",
            "a more than 50%",
        ),
    ],
)
def test_equity_that_must_exceed_100_is_refused(tmp_path: Path, holdings: str, shown: str) -> None:
    code, out, err = run_on(write_folder(tmp_path / "d", holdings), "check")
    assert code == 1, out + err
    assert "equity stakes in 'x' add up to more than 100%" in out and shown in out


def test_an_undisclosed_holder_beside_100_percent_is_a_warning(tmp_path: Path) -> None:
    # 50% + 50% and an undisclosed third: the check passed it silently, and `chain x` said the third holds
    # "eff. 0%". Published stakes are rounded (a "100%" owner beside a one-share nominee), so it is suspect, not
    # impossible: a warning that names it, and `check` still passes.
    holdings = (
        "  - {owner: a, owned: x, stake: 50, sources: [s]}\n"
        "  - {owner: b, owned: x, stake: 50, sources: [s]}\n"
        "  - {owner: c, owned: x, sources: [s]}\n"
    )
    code, out, err = run_on(write_folder(tmp_path / "d", holdings), "check")
    assert code == 0, out + err
    assert ": warning: equity stakes in 'x' add up to more than 100%" in out
    assert "c undisclosed, so more than 0%" in out


def test_equity_at_exactly_100_with_inclusive_floors_is_accepted(tmp_path: Path) -> None:
    holdings = (
        "  - {owner: a, owned: x, stake_min: 50, sources: [s]}\n"
        "  - {owner: b, owned: x, stake: 50, sources: [s]}\n"
        "  - {owner: c, owned: x, stake_max: 10, control: voting, sources: [s]}\n"
    )
    code, out, err = run_on(write_folder(tmp_path / "d", holdings), "check")
    assert code == 0, out + err


def test_gaps_of_a_group_that_did_not_exist_is_refused(xmfin: Invoke) -> None:
    # Before: `gaps` of a group whose root was not yet founded (or dissolved) listed as certain gaps every
    # family a peer held, while `tree` and `report` of the same group said it was not there.
    result = xmfin("gaps", "parent", "--vs", "rival", "--as-of", "2005", case=CASE)
    assert result.exit_code == 2
    assert "'parent-co' is not there on 2005-12-31 (not founded until 2010): try another --as-of" in result.stderr
    assert xmfin("gaps", "parent", "--vs", "rival", "--as-of", "2010", case=CASE).exit_code == 0


def test_licences_name_each_holder_as_it_was_named_on_the_day(xmfin: Invoke) -> None:
    # Before: `licences` printed today's name ("Late Co") for a day when the holder was "Early Name Co", while
    # tree, gaps and the sort order of the same rows used the name of the day.
    doc = json.loads(xmfin("licences", "--family", "lending", "--as-of", "2015", "--json", case=CASE).stdout)
    assert [row["holder_name"] for row in doc["licences"]] == ["Early Name Co"]
    text = xmfin("licences", "--family", "lending", "--as-of", "2015", case=CASE).stdout
    assert "Early Name Co" in text and "Late Co" not in text
    assert "Late Co" in xmfin("licences", "--family", "lending", "--as-of", "2020", case=CASE).stdout


def test_show_does_not_call_a_link_of_a_dissolved_entity_in_force(xmfin: Invoke) -> None:
    # Before: `show gone-co --as-of 2020` (dissolved 2019-03) gave its owner link and its licence as
    # "2012 to now" with no "(ended)" mark and `active: true` in JSON, while tree and gaps left it out.
    doc = json.loads(xmfin("show", "gone-co", "--as-of", "2020", "--json", case=CASE).stdout)
    assert [o["active"] for o in doc["owners"]] == [False]
    assert [lic["active"] for lic in doc["licences"]] == [False]
    text = xmfin("show", "gone-co", "--as-of", "2020", case=CASE).stdout
    assert "to now" not in text
    assert "2012 to 2019-03 (dissolved) (ended)" in text and "payment-institution (ended)" in text
    # On a day it existed, the same facts are in force (the period still says when they stopped).
    doc = json.loads(xmfin("show", "gone-co", "--as-of", "2018", "--json", case=CASE).stdout)
    assert [o["active"] for o in doc["owners"]] == [True]
    assert [lic["active"] for lic in doc["licences"]] == [True]
    # An owner that did not exist yet: `(not yet)`, inactive.
    doc = json.loads(xmfin("show", "vie-co", "--as-of", "2012", "--json", case=CASE).stdout)
    assert {h["owned"]: h["active"] for h in doc["holdings"]}["late-co"] is False


def test_chain_does_not_hide_an_own_holding_behind_a_nominee_one(tmp_path: Path) -> None:
    # Before: Founder holds Vie Co as nominee for Parent and 60% of Target on its own account; `chain target`
    # said "Founder: nominee for Parent, eff. 90% on paper" (no control) while naming Founder as controller.
    holdings = (
        "  - {owner: parent, owned: viec, control: vie, sources: [s]}\n"
        "  - {owner: founder, owned: viec, stake: 100, nominee_for: parent, sources: [s]}\n"
        "  - {owner: viec, owned: target, stake: 30, sources: [s]}\n"
        "  - {owner: founder, owned: target, stake: 60, sources: [s]}\n"
    )
    folder = write_folder(tmp_path / "d", holdings, "parent, founder, viec, target")
    code, out, err = run_on(folder, "chain", "target")
    assert code == 0, err
    assert "FOUNDER: eff. 90%, controls it" in out and "nominee for PARENT, eff." not in out
    code, out, err = run_on(folder, "chain", "target", "--json")
    assert "nominee_for" not in json.loads(out)["by_owner"]["founder"]
    # Holding only as a nominee, it is still shown as one.
    code, out, err = run_on(folder, "chain", "viec")
    assert "FOUNDER: nominee for PARENT, eff. 100% on paper" in out


def test_report_and_diagram_show_a_disclosed_range_not_undisclosed(xmfin: Invoke) -> None:
    # Before: Parent Co holds "more than 50%" of Ranged Co (stake_min 50, exclusive); the report's holdings
    # table and the diagram's link label (and its italic "undisclosed" style) said "undisclosed".
    import html

    report = html.unescape(xmfin("report", "parent", "--vs", "rival", case=CASE).stdout)
    assert "Parent Co → Ranged Co: > 50%" in report
    assert '<td class="num">> 50%</td>' in report
    svg = html.unescape(xmfin("diagram", "parent", case=CASE).stdout)
    assert "Parent Co → Ranged Co: > 50%" in svg
    assert "Parent Co → Ranged Co: undisclosed" not in svg + report


def test_report_marks_stale_facts_as_the_terminal_does(xmfin: Invoke) -> None:
    # Before: `gaps` in the terminal marked the 2015 claims "(unconfirmed since 2015-03)" in 2026, the report of
    # the same day did not mark any fact (claims, licences, holdings) however old its sources.
    import html

    terminal = xmfin("gaps", "parent", "--vs", "rival", "--as-of", "2026", case=CASE).stdout
    report = html.unescape(xmfin("report", "parent", "--vs", "rival", "--as-of", "2026", case=CASE).stdout)
    for claim in ("claimed 2015-03, records support", "claimed 2015-03, records contradict"):
        assert f"{claim} (unconfirmed since 2015-03)" in terminal
        assert f"{claim} (unconfirmed since 2015-03)" in report
    fresh = html.unescape(xmfin("report", "parent", "--vs", "rival", "--as-of", "2016", case=CASE).stdout)
    assert "unconfirmed since" not in fresh


def test_check_stale_lists_a_fact_confirmed_only_by_a_source_dated_in_the_future(tmp_path: Path) -> None:
    # Before: a licence whose only source is dated 2099 was never listed by `check --stale` (confirmed "for
    # ever"), so a typo in a date hid the fact's age.
    folder = write_folder(tmp_path / "d", "  - {owner: a, owned: x, stake: 10, sources: [future]}\n")
    entities = (folder / "entities.yaml").read_text(encoding="utf-8")
    entities = entities.replace("sources:\n", "sources:\n  future: {title: F, published: 2999-01}\n", 1)
    (folder / "entities.yaml").write_text(entities, encoding="utf-8")
    code, out, err = run_on(folder, "check", "--stale")
    assert code == 0, out + err
    assert "stale: holding a -> x: its latest source is dated 2999-01, after " in out


def test_chain_headline_is_not_a_nominees_answer(xmfin: Invoke) -> None:
    # Before: `chain vie-co --json` put the nominee Founder first (100% on paper, tie broken by id), so the
    # headline `controlled` (that of from[0]) was false for a VIE its parent controls.
    doc = json.loads(xmfin("chain", "vie-co", "--json", case=CASE).stdout)
    assert doc["from"] == ["parent-co", "founder"]
    assert (doc["effective_stake"], doc["controlled"], doc["via_vie"]) == (100.0, True, True)
    lines = xmfin("chain", "vie-co", case=CASE).stdout.splitlines()
    assert lines[-3:] == [
        "Parent Co: eff. 100% via VIE, controls it",
        "Founder: nominee for Parent Co, eff. 100% on paper",
        "controlled by: Parent Co",
    ]


def test_a_pending_licence_is_shown_with_its_date(xmfin: Invoke) -> None:
    # Before: gaps and matrix printed "pending: Ranged Co" with no date for a licence applied for in 2026-01,
    # while a pending holding said "(announced 2025-04)".
    for command in (["matrix"], ["gaps", "--vs", "rival"]):
        text = xmfin(*command, "--as-of", "2026-06", case=CASE).stdout
        assert "pending: Ranged Co (since 2026-01)" in text
        assert "pending: Target Broker (announced 2025-04)" in text


def test_graph_exports_keep_a_disclosed_range_and_a_nominee(xmfin: Invoke) -> None:
    # Before: graphml, gexf, dot and mermaid dropped the range of "more than 50%" (no stake: a consumer read it
    # as undisclosed; dot and mermaid labelled it "undisclosed") and the nominee of a VIE's registered holder.
    import networkx as nx

    dot = xmfin("export", "-f", "dot", case=CASE).stdout
    assert '"parent-co" -> "ranged-co" [label="> 50%"];' in dot
    assert '"founder" -> "vie-co" [label="100%, nominee for parent-co"];' in dot
    mermaid = xmfin("export", "-f", "mermaid", case=CASE).stdout
    assert "undisclosed" not in mermaid and "nominee for parent-co" in mermaid
    graphml = xmfin("export", "-f", "graphml", case=CASE).stdout
    graph = nx.parse_graphml(graphml)
    ranged = graph.edges["parent-co", "ranged-co"]
    assert (ranged["stake_min"], ranged["stake_min_exclusive"]) == (50.0, True) and "stake" not in ranged
    assert graph.edges["founder", "vie-co"]["nominee_for"] == "parent-co"


def test_a_majority_without_control_is_not_called_a_minority(xmfin: Invoke) -> None:
    # Before: `tree founder` (who holds Vie Co 100% as nominee for Parent Co) printed "eff. 100%  minority".
    text = xmfin("tree", "founder", case=CASE).stdout
    assert "minority" not in text
    assert "100% (nominee for Parent Co)  eff. 100%  no control" in text
    from xmfin.graph import Effective
    from xmfin.output.words import control_mark

    assert control_mark(False, Effective(0.3, 0.3)) == " (minority)"
    assert control_mark(False, Effective(0.5, 0.9)) == " (minority)"  # 50% may be all it is
    assert control_mark(False, Effective(0.6, 0.6)) == " (no control)"
    assert control_mark(None, Effective(0.6, 0.6)) == " (control unknown)"


@pytest.mark.parametrize(("given_value", "shown"), [("100.0001", "100.0001"), ("-0.00001", "-1e-05"), ("101", "101")])
def test_min_stake_out_of_range_is_quoted_as_given(xmfin: Invoke, given_value: str, shown: str) -> None:
    # Before: `--min-stake 100.0001` said "--min-stake 100 is out of range: give a percentage from 0 to 100".
    result = xmfin("gaps", "--vs", "rival", "--min-stake", given_value, case=CASE)
    assert result.exit_code == 2
    assert f"--min-stake {shown} is out of range: give a percentage from 0 to 100" in result.stderr


def test_timeline_names_of_the_day_ranges_and_nominees(tmp_path: Path, xmfin: Invoke) -> None:
    # Before: with two former names, the first rename said "Name A renamed Name C" (the current name, not the
    # one taken then), "founded" used today's name, and a holding of "more than 50%" read "takes undisclosed
    # stake", a nominee's holding "takes 100%" as if on its own account.
    folder = write_folder(tmp_path / "d", "  []\n", "b")
    entities = (folder / "entities.yaml").read_text(encoding="utf-8").replace("holdings:\n  []\n", "")
    entities += (
        "  a:\n    name: Name C\n    founded: 2010\n    sources: [s]\n"
        "    former_names: [{name: Name A, until: 2015}, {name: Name B, since: 2016, until: 2020}]\n"
    )
    (folder / "entities.yaml").write_text(entities, encoding="utf-8")
    code, out, err = run_on(folder, "timeline")
    assert code == 0, err
    assert "Name A founded" in out and "Name A renamed Name B" in out and "Name B renamed Name C" in out
    text = xmfin("timeline", "parent", case=CASE).stdout
    assert "Parent Co takes > 50% of Ranged Co" in text
    assert "Founder takes 100% of Vie Co as nominee for Parent Co" in text
    assert "Vie Co takes 100% of Early Name Co" in text  # Late Co was Early Name Co in 2013-12
