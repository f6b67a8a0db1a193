"""BODS 0.4: the export validated by libcovebods' own JSON Schema check, the import of every example file of
the standard, a round trip that keeps effective stakes, and every error an import can meet."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcovebods.config import LibCoveBODSConfig
from libcovebods.data_reader import DataReader
from libcovebods.jsonschemavalidate import JSONSchemaValidator
from libcovebods.schema import SchemaBODS

from xmfin.bods_import import import_file, slug
from xmfin.bods_read import read_statements
from xmfin.errors import XmfinError
from xmfin.graph import OwnershipGraph
from xmfin.model import Dataset
from xmfin.output import bods
from xmfin.output.export import select
from xmfin.storage.loading import check_folder, load

from .conftest import FIXTURES, Invoke, load_case

CASE = "interop"
DAY = dt.date(2020, 12, 31)
LATE = dt.date(2100, 1, 1)  # an export day after every date of the fixtures: all is known
# The Open Ownership examples, copied unchanged from ../shared/bods (Apache 2.0; see their README).
BODS_EXAMPLES = Path(__file__).parent / "bods_examples"
SHARED_BODS = Path(__file__).parents[1].parent / "shared" / "bods"


def bods_errors(path: Path) -> list[dict[str, Any]]:
    """libcovebods' JSON Schema validation of a file, after checking it picked the 0.4 schema."""
    reader = DataReader(str(path))
    schema = SchemaBODS(reader, LibCoveBODSConfig())
    assert (schema.schema_version, schema.schema_error) == ("0.4", None)
    return [error.json() for error in JSONSchemaValidator(schema).validate(reader)]


def valid_fixtures() -> list[str]:
    return sorted(
        p.name for p in FIXTURES.iterdir() if p.is_dir() and not any(q.severity == "error" for q in check_folder(p)[1])
    )


def example_files() -> list[Path]:
    return sorted(BODS_EXAMPLES.glob("*.json"))


needs_examples = pytest.mark.skipif(not example_files(), reason=f"no BODS example files in {BODS_EXAMPLES}")


@pytest.mark.skipif(not SHARED_BODS.is_dir(), reason="../shared/bods is not beside the checkout")
def test_the_copied_examples_are_the_shared_ones() -> None:
    shared = sorted(SHARED_BODS.glob("*.json"))
    assert [p.name for p in shared] == [p.name for p in example_files()]
    for path in shared:
        assert (BODS_EXAMPLES / path.name).read_bytes() == path.read_bytes()


def write_export(tmp_path: Path, data: Dataset, day: dt.date = DAY, group: str | None = None) -> Path:
    graph = OwnershipGraph(data, day)
    chosen = data.groups[group] if group else None
    path = tmp_path / "statements.json"
    path.write_text(bods.to_json(select(graph, chosen), day, chosen), encoding="utf-8")
    return path


# --- export ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", valid_fixtures())
def test_export_is_valid_bods_04(tmp_path: Path, case: str) -> None:
    path = write_export(tmp_path, load_case(case))
    assert bods_errors(path) == []


def test_group_export_is_valid_and_declares_the_root(tmp_path: Path) -> None:
    path = write_export(tmp_path, load_case(CASE), group="top")
    assert bods_errors(path) == []
    statements = json.loads(path.read_text(encoding="utf-8"))
    assert {s["declarationSubject"] for s in statements} == {"top-co"}


def test_validator_rejects_a_broken_export(tmp_path: Path) -> None:
    statements = bods.statements(load_case(CASE), DAY)
    relationship = next(s for s in statements if s["recordType"] == "relationship")
    relationship["recordDetails"]["interests"][0]["share"] = {"exact": 150}
    del statements[0]["recordDetails"]["entityType"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(statements), encoding="utf-8")
    messages = [error["message"] for error in bods_errors(path)]
    assert "150 is greater than the maximum of 100" in messages
    assert "'entityType' is a required property" in messages


def test_cli_export_matches_the_library(xmfin: Invoke, tmp_path: Path) -> None:
    result = xmfin("export", "-f", "bods", "--as-of", "2020", case=CASE)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == bods.statements(load_case(CASE), DAY)


def by_record(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["recordId"]: s for s in statements}


def test_records_map_to_statements() -> None:
    found = by_record(bods.statements(load_case(CASE), DAY))
    top = found["top-co"]
    assert top["recordType"] == "entity"
    details = top["recordDetails"]
    assert details["name"] == 'Top "Holdings" <Ltd> & Co | #1 [KY] {x} \\ end'
    assert details["alternateNames"] == ["顶控股", "Old Top", "Top", "顶"]
    assert details["jurisdiction"] == {"name": "KY", "code": "KY"}
    assert details["foundingDate"] == "2010-01-01"
    assert details["identifiers"] == [{"id": "top-co", "schemeName": "xmfin"}]
    assert top["source"]["description"] == 'Annual report 2019, Top "Quoted" Press, 2020-03'
    assert top["source"]["url"] == "https://example.com/r?a=1&b=2"
    assert found["old-sub"]["recordDetails"]["dissolutionDate"] == "2018-06-30"
    assert found["fund"]["recordDetails"]["entityType"] == {"type": "arrangement", "details": "fund"}
    nominee = found["nominee"]
    assert nominee["recordType"] == "person"
    assert nominee["recordDetails"]["names"] == [{"type": "legal", "fullName": 'Nominee "Zhang"'}]
    licences = [a["description"] for a in found["lender"]["annotations"] if a["description"].startswith("Licence")]
    assert licences == ["Licence: Microcredit (microcredit), regulator 重庆市金融工作办公室, granted 2015-06"]


def interest(statement: dict[str, Any]) -> dict[str, Any]:
    interests: list[dict[str, Any]] = statement["recordDetails"]["interests"]
    assert len(interests) == 1
    return interests[0]


def test_holdings_and_roles_map_to_interests() -> None:
    found = by_record(bods.statements(load_case(CASE), DAY))
    equity = found["holding:opco:lender"]
    assert (equity["recordDetails"]["subject"], equity["recordDetails"]["interestedParty"]) == ("lender", "opco")
    assert interest(equity) == {
        "type": "shareholding",
        "directOrIndirect": "direct",
        "share": {"exact": 60.0},
        "startDate": "2015-06-01",
    }
    assert interest(found["holding:top-co:opco"]) == {
        "type": "rightsGrantedByContract",
        "directOrIndirect": "direct",
        "details": 'Exclusive "business" agreement',  # the note alone: the interest type says VIE
    }
    assert interest(found["holding:other-co:lender"])["type"] == "votingRights"
    # BODS endDate is the first day the interest no longer exists: the day after `until: 2018-06`.
    assert interest(found["holding:top-hk:old-sub"])["endDate"] == "2018-07-01"
    chair = interest(found["role:nominee:opco"])
    assert (chair["type"], chair["details"], chair["startDate"]) == ("boardChair", "Chair of the board", "2016-01-01")
    assert interest(found["role:nominee:lender"])["type"] == "seniorManagingOfficial"


def test_statement_ids_are_stable_and_unique() -> None:
    data = load_case(CASE)
    first = bods.statements(data, DAY)
    # Another day changes the dates on the statements, not their ids: exports of unchanged records diff cleanly.
    later = bods.statements(data, dt.date(2024, 1, 1))
    ids = [s["statementId"] for s in first]
    assert ids == [s["statementId"] for s in later]
    assert len(set(ids)) == len(ids)
    assert all(32 <= len(i) <= 64 for i in ids)


def test_statement_id_changes_with_the_record() -> None:
    data = load_case(CASE)
    before = by_record(bods.statements(data, DAY))
    from dataclasses import replace

    data.holdings[4] = replace(data.holdings[4], stake=55.0)
    after = by_record(bods.statements(data, DAY))
    assert before["holding:opco:lender"]["statementId"] != after["holding:opco:lender"]["statementId"]
    assert before["top-co"]["statementId"] == after["top-co"]["statementId"]


# --- import ------------------------------------------------------------------------------------------------


def effective_everywhere(data: Dataset, days: list[dt.date]) -> dict[tuple[str, str, str], Any]:
    """Every entity's effective stake in everything below it, and control, on each day."""
    found: dict[tuple[str, str, str], Any] = {}
    from xmfin.dated import on_day

    for day in days:
        graph = OwnershipGraph(on_day(data, day), day, data)  # as the commands see the day
        for root in graph.data.entities:
            control = graph.control_from(root)
            for target, value in graph.effective_from(root).items():
                found[(day.isoformat(), root, target)] = (
                    None if value.value is None else round(value.value, 6),
                    round(value.minimum, 6),
                    None if value.maximum is None else round(value.maximum, 6),
                    value.via_vie,
                    control[target],
                )
    return found


def boundary_days(data: Dataset) -> list[dt.date]:
    days = {DAY, dt.date(2024, 1, 1)}
    for holding in data.holdings:
        if holding.since:
            days.update({holding.since.first, holding.since.first - dt.timedelta(days=1)})
        if holding.until:
            days.update({holding.until.last, holding.until.last + dt.timedelta(days=1)})
    return sorted(days)


@pytest.mark.parametrize("case", valid_fixtures())
def test_round_trip_keeps_effective_stakes(tmp_path: Path, case: str) -> None:
    data = load_case(case)
    path = write_export(tmp_path, data, LATE)
    report = import_file(path, tmp_path / "imported")
    assert report.notices == []
    imported = load(tmp_path / "imported")
    assert list(imported.entities) == list(data.entities)  # ids come back through the xmfin identifier
    assert [e.kind for e in imported.entities.values()] == [e.kind for e in data.entities.values()]
    assert len(imported.holdings) == len(data.holdings)
    assert len(imported.roles) == len(data.roles)
    days = boundary_days(data)
    assert effective_everywhere(imported, days) == effective_everywhere(data, days)


def test_round_trip_keeps_names_and_dates(tmp_path: Path) -> None:
    data = load_case(CASE)
    import_file(write_export(tmp_path, data), tmp_path / "imported")
    imported = load(tmp_path / "imported")
    top = imported.entities["top-co"]
    assert top.name == data.entities["top-co"].name
    assert top.jurisdiction == "KY"
    assert top.founded is not None and top.founded.text == "2010"  # restored exactly from the xmfin record
    assert top.name_zh == "顶控股"  # restored from the xmfin record, not made an alias
    vie = next(h for h in imported.holdings if h.control == "vie")
    assert (vie.owner, vie.owned, vie.stake) == ("top-co", "opco", None)
    assert imported.entities["nominee"].jurisdiction == "CN"
    chair = next(r for r in imported.roles if r.of == "opco")
    assert (chair.holder, chair.title) == ("nominee", "Chair of the board")
    # The sources come back as they were, ids included (carried in an `xmfinSource` annotation).
    assert imported.sources == data.sources
    assert top.sources == data.entities["top-co"].sources
    assert [h.sources for h in imported.holdings] == [h.sources for h in data.holdings]


@needs_examples
@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_every_example_imports_to_a_folder_that_checks(tmp_path: Path, path: Path) -> None:
    report = import_file(path, tmp_path / "out")
    dataset, problems = check_folder(tmp_path / "out")
    assert [str(p) for p in problems] == []
    statements = read_statements(path)
    parties = [s for s in statements if s["recordType"] in ("entity", "person")]
    assert len(dataset.entities) == len(parties)
    assert report.counts["persons"] == sum(s["recordType"] == "person" for s in statements)
    # Every relationship is a holding or a role, or is reported.
    relationships = [s for s in statements if s["recordType"] == "relationship"]
    reported = {n.statement for n in report.notices if not n.partly or "keptRelationships" in n.message}
    assert len(dataset.holdings) + len(dataset.roles) >= len(relationships) - len(reported)
    for entity in dataset.entities.values():
        assert entity.sources, entity.id


@needs_examples
def test_indirect_interest_is_reported_not_imported(tmp_path: Path) -> None:
    report = import_file(BODS_EXAMPLES / "indirect-ownership.json", tmp_path / "out")
    assert [(n.statement, n.partly) for n in report.notices] == [("cdb6acc7-426e-4a7a-9410-895d556fd329", False)]
    assert "indirect shareholding" in report.notices[0].message
    data = load(tmp_path / "out")
    stake = {(h.owner, h.owned): h.stake for h in data.holdings}
    assert stake == {("company-b", "company-a"): 60.0, ("person-1", "company-b"): None}
    assert data.entities["person-1"].kind == "person"
    assert data.entities["company-a"].extra["bods"]["identifiers"] == [{"scheme": "GB-COH", "id": "XE9999"}]


@needs_examples
def test_joint_ownership_through_an_arrangement(tmp_path: Path) -> None:
    import_file(BODS_EXAMPLES / "joint-ownership.json", tmp_path / "out")
    data = load(tmp_path / "out")
    assert data.entities["joint-shareholding"].kind == "partnership"
    assert data.entities["chrinon-ltd"].jurisdiction == "GB"
    assert data.entities["chrinon-ltd"].founded is not None
    graph = OwnershipGraph(data, dt.date(2019, 1, 1))
    assert graph.effective_from("natalie-coleman")["chrinon-ltd"].value == 50.0
    assert graph.effective_from("roberto-lopez")["chrinon-ltd"].value == 50.0
    assert graph.effective_from("natalie-coleman").get("chrinon-ltd") is not None
    assert "chrinon-ltd" not in OwnershipGraph(data, dt.date(2017, 12, 31)).effective_from("natalie-coleman")


@needs_examples
def test_share_range_leaves_the_stake_undisclosed(tmp_path: Path) -> None:
    report = import_file(BODS_EXAMPLES / "bods-package-entity-owning-entity.json", tmp_path / "out")
    assert report.notices == []
    (holding,) = load(tmp_path / "out").holdings
    assert holding.stake is None
    assert (holding.stake_min, holding.stake_max) == (75, 100)
    assert (holding.stake_min_exclusive, holding.stake_max_exclusive) == (False, True)
    assert holding.note is None


@needs_examples
def test_json_lines_input(tmp_path: Path) -> None:
    lines = tmp_path / "statements.jsonl"
    statements = read_statements(BODS_EXAMPLES / "joint-ownership.json")
    lines.write_text("".join(json.dumps(s) + "\n" for s in statements) + "\n", encoding="utf-8")
    assert read_statements(lines) == statements
    import_file(lines, tmp_path / "out")
    assert len(load(tmp_path / "out").holdings) == 3


@needs_examples
def test_cli_import_reports_on_stderr(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = xmfin(
        "import", "bods", str(BODS_EXAMPLES / "mixed-direct-and-indirect-ownership.json"), "-o", str(out), case=None
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].endswith(
        "mixed-direct-and-indirect-ownership.json: statement fffad4d7-8263-4dbc-a300-8976bed7790c: partly imported: "
        "left out interest 1: the indirect shareholding of 50% (xmfin derives indirect stakes from the direct "
        "holdings); kept in the holding's extra for the export"
    )
    assert lines[1] == (
        f"wrote {out}: 2 entities, 1 persons, 3 holdings, 0 roles, 2 sources; "
        "0 statements not imported, 1 imported in part"
    )
    check = xmfin("check", "--data", str(out), case=None)
    assert check.exit_code == 0, check.stdout


STATEMENT_HEAD = {"statementDate": "2020-01-01", "declarationSubject": "a"}


def entity(record_id: str, name: str, **details: Any) -> dict[str, Any]:
    return {
        **STATEMENT_HEAD,
        "statementId": f"s-{record_id}",
        "recordId": record_id,
        "recordType": "entity",
        "recordDetails": {"isComponent": False, "entityType": {"type": "registeredEntity"}, "name": name, **details},
    }


def relationship(record_id: str, subject: Any, party: Any, *interests: dict[str, Any], **head: Any) -> dict[str, Any]:
    return {
        **STATEMENT_HEAD,
        "statementId": f"s-{record_id}",
        "recordId": record_id,
        "recordType": "relationship",
        "recordDetails": {
            "isComponent": False,
            "subject": subject,
            "interestedParty": party,
            "interests": list(interests),
        },
        **head,
    }


def run_import(tmp_path: Path, statements: list[Any]) -> tuple[Any, Dataset]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(statements), encoding="utf-8")
    report = import_file(path, tmp_path / "out")
    dataset, problems = check_folder(tmp_path / "out")
    assert [p for p in problems if p.severity == "error"] == []
    return report, dataset


def test_statements_that_cannot_be_represented_are_each_reported(tmp_path: Path) -> None:
    share = {"type": "shareholding", "share": {"exact": 10}}
    statements = [
        entity("a", "A"),
        entity("b", "B"),
        42,
        {"statementId": "old", "statementType": "entityStatement"},
        relationship("r1", "a", {"reason": "informationUnknownToPublisher"}, share),
        relationship("r2", "a", "missing", share),
        relationship("r3", "a", "a", share),
        relationship("r4", "a", "b", {**share, "directOrIndirect": "indirect"}),
        relationship("r5", "a", "b", share),
    ]
    report, data = run_import(tmp_path, statements)
    assert [(n.statement, n.partly) for n in report.notices] == [
        ("#3", False),
        ("old", False),
        ("s-r1", True),
        ("s-r2", False),
        ("s-r3", False),
        ("s-r4", False),
    ]
    messages = [n.message for n in report.notices]
    assert messages[1] == "a BODS 0.2/0.3 statement (statementType): only BODS 0.4 is read"
    assert messages[2] == (
        "the interestedParty is unspecified (informationUnknownToPublisher): no holding; kept under the subject's "
        "extra.bods.keptRelationships"
    )
    assert messages[3] == "the interestedParty 'missing' is not a record of this file"
    assert messages[4] == "an entity cannot hold itself"
    assert report.skipped == 5
    assert [(h.owner, h.owned, h.stake) for h in data.holdings] == [("b", "a", 10.0)]


def test_interest_kinds_become_controls_and_roles(tmp_path: Path) -> None:
    statements = [
        entity("a", "A"),
        entity("b", "B"),
        entity("c", "C"),
        {
            **STATEMENT_HEAD,
            "statementId": "s-p",
            "recordId": "p",
            "recordType": "person",
            "recordDetails": {
                "isComponent": False,
                "personType": "knownPerson",
                "names": [
                    {"type": "alternative", "fullName": "Pat"},
                    {"type": "legal", "fullName": "Patricia Q"},
                    {"type": "former", "fullName": "Patricia R"},
                ],
            },
        },
        relationship(
            "r1", "a", "b", {"type": "rightsGrantedByContract"}, {"type": "shareholding", "share": {"exact": 20}}
        ),
        relationship("r2", "c", "b", {"type": "votingRights", "share": {"exact": 30}}),
        relationship("r3", "c", "a", {"type": "appointmentOfBoard", "details": "Appoints two of five"}),
        relationship("r4", "a", "p", {"type": "boardChair"}, {"type": "seniorManagingOfficial", "details": "CEO"}),
    ]
    report, data = run_import(tmp_path, statements)
    links = {(h.owner, h.owned): (h.control, h.stake, h.note) for h in data.holdings}
    assert links == {
        ("b", "a"): ("equity", 20.0, None),
        ("b", "c"): ("voting", 30.0, None),
        ("a", "c"): ("other", None, "Appoints two of five"),
    }
    other = next(h for h in data.holdings if h.control == "other")
    assert other.extra["bods"]["interestType"] == "appointmentOfBoard"  # the type, not a prefix of the note
    folded = next(h for h in data.holdings if h.owned == "a").extra["bods"]["otherInterests"]
    assert folded == [
        {"control": "vie", "statementId": "s-r1", "recordId": "r1", "interestType": "rightsGrantedByContract"}
    ]
    assert [n.message for n in report.notices] == [
        "its vie interest overlaps the equity holding of the same party: kept under that holding's "
        "extra.bods.otherInterests (xmfin has one link between two entities at a time)"
    ]
    assert [(r.holder, r.of, r.title) for r in data.roles] == [
        ("patricia-q", "a", "Board chair"),
        ("patricia-q", "a", "CEO"),
    ]
    person = data.entities["patricia-q"]
    assert (person.name, person.aliases, [f.name for f in person.former_names]) == (
        "Patricia Q",
        ("Pat",),
        ["Patricia R"],
    )


def test_equity_over_100_leaves_the_last_stake_undisclosed(tmp_path: Path) -> None:
    statements = [
        entity("a", "A"),
        entity("b", "B"),
        entity("c", "C"),
        entity("d", "D"),
        relationship("r1", "a", "b", {"type": "shareholding", "share": {"exact": 60}, "endDate": "2015-12-31"}),
        relationship("r2", "a", "c", {"type": "shareholding", "share": {"exact": 60}, "startDate": "2016-01-01"}),
        relationship("r3", "a", "d", {"type": "shareholding", "share": {"exact": 40}}),
        relationship("r4", "a", "d", {"type": "shareholding", "share": {"exact": 5}, "startDate": "2030-01-01"}),
    ]
    report, data = run_import(tmp_path, statements)
    # b and c never hold at once, so d's 40 fits beside either; r4 is d's own overlapping holding again.
    stakes = [(h.owner, h.stake) for h in data.holdings]
    assert stakes == [("b", 60.0), ("c", 60.0), ("d", 40.0)]
    assert [n.statement for n in report.notices] == ["s-r4"]


def test_equity_over_100_at_once_is_reported(tmp_path: Path) -> None:
    statements = [
        entity("a", "A"),
        entity("b", "B"),
        entity("c", "C"),
        relationship("r1", "a", "b", {"type": "shareholding", "share": {"exact": 70}}),
        relationship("r2", "a", "c", {"type": "shareholding", "share": {"exact": 40}, "startDate": "2019-02-01"}),
    ]
    report, data = run_import(tmp_path, statements)
    assert [h.stake for h in data.holdings] == [70.0, None]
    assert report.notices[0].message == "BODS share 40% left undisclosed: equity in the entity would exceed 100%"


def test_latest_statement_of_a_record_wins(tmp_path: Path) -> None:
    older = entity("a", "Old Name")
    newer = {**entity("a", "New Name"), "statementId": "s-a2", "statementDate": "2021-06-01"}
    closing = relationship(
        "r",
        "a",
        "b",
        {"type": "shareholding", "share": {"exact": 10}},
        recordStatus="closed",
        statementDate="2022-03-04",
    )
    report, data = run_import(tmp_path, [newer, older, entity("b", "B"), closing])
    assert [e.name for e in data.entities.values()] == ["New Name", "B"]
    # The name of the earlier statement is a former name, to the day before the later statement.
    (former,) = data.entities["new-name"].former_names
    assert (former.name, str(former.until)) == ("Old Name", "2021-05-31")
    assert report.notices == []
    (holding,) = data.holdings
    # A closed relationship no longer exists on the closing statement's date: it ends the day before.
    assert holding.until is not None and holding.until.text == "2022-03-03"


@pytest.mark.parametrize(
    "name",
    [
        "NO",
        "null",
        "~",
        "true",
        "2019",
        "- item",
        "key: value",
        "#hash",
        "it's",
        'say "hi"',
        "back\\slash",
        "tab\there",
        "line\nbreak",
        "sep\u2028line",
        "nel\x85",
        "bell\x07",
        "emoji 😀",
        "中文名",
        " padded ",
    ],
)
def test_written_yaml_keeps_every_name_exactly(tmp_path: Path, name: str) -> None:
    _, data = run_import(tmp_path, [entity("a", name), entity("b", "B")])
    assert data.entities[slug(name) or "a"].name == name.strip()


def test_ids_from_names_are_unique_slugs(tmp_path: Path) -> None:
    _, data = run_import(tmp_path, [entity("a", "Acme Ltd"), entity("b", "ACME, Ltd."), entity("c", "中文")])
    assert list(data.entities) == ["acme-ltd", "acme-ltd-2", "c"]


def test_non_empty_folder_needs_force(xmfin: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps([entity("a", "A")]), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = xmfin("import", "bods", str(source), "-o", str(out), case=None)
    assert result.exit_code == 2
    assert f"-o {out}: the folder is not empty; give --force to write into it" in result.stderr
    assert not (out / "entities.yaml").exists()
    forced = xmfin("import", "bods", str(source), "-o", str(out), "--force", case=None)
    assert forced.exit_code == 0, forced.stderr
    assert load(out).entities["a"].name == "A"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[\n  {"recordId": "a",\n   "recordType" "entity"}\n]',
            "in.json:3:17: not valid JSON: Expecting ':' delimiter",
        ),
        ('{"recordId": "a"}\n{"recordId": \n', "in.json:2:14: not valid JSON: Expecting value"),
        ("[1, NaN]", "in.json:1: not valid JSON: NaN is not a JSON number"),
        ('{\n  "recordId": "a",\n  "recordType": entity\n}', "in.json:3:17: not valid JSON: Expecting value"),
        ("42", "in.json: not BODS: expected a JSON array of statements, or one statement per line"),
        ("   \n", "in.json: the file is empty"),
    ],
)
def test_bad_json_exits_1_with_its_position(xmfin: Invoke, tmp_path: Path, text: str, message: str) -> None:
    source = tmp_path / "in.json"
    source.write_text(text, encoding="utf-8")
    result = xmfin("import", "bods", str(source), "-o", str(tmp_path / "out"), case=None)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.startswith("xmfin: error: ")
    assert not (tmp_path / "out").exists()


def test_not_utf8_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_bytes(b'[{"name": "\xff"}]')
    with pytest.raises(XmfinError, match="not UTF-8 text"):
        import_file(source, tmp_path / "out")


def test_missing_file_and_missing_output_are_usage_errors(xmfin: Invoke, tmp_path: Path) -> None:
    result = xmfin("import", "bods", str(tmp_path / "nope.json"), "-o", str(tmp_path / "out"), case=None)
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    source = tmp_path / "in.json"
    source.write_text("[]", encoding="utf-8")
    assert xmfin("import", "bods", str(source), case=None).exit_code == 2
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = xmfin("import", "bods", str(source), "-o", str(tmp_path / "file"), case=None)
    assert result.exit_code == 2
    assert "not a folder" in result.stderr


def test_a_lone_surrogate_becomes_a_replacement_character(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text('[{"recordId": "a", "recordType": "entity", "recordDetails": {"name": "x\\ud800y"}}]')
    import_file(path, tmp_path / "out")
    assert load(tmp_path / "out").entities["xy"].name == "x\ufffdy"


BUNDLED = Path(__file__).parents[1] / "data"


@pytest.mark.skipif(not (BUNDLED / "entities.yaml").is_file(), reason="no bundled data in data/")
def test_bundled_data_exports_valid_bods_and_round_trips(tmp_path: Path) -> None:
    data = load(BUNDLED)
    path = write_export(tmp_path, data)
    assert bods_errors(path) == []
    report = import_file(path, tmp_path / "imported")
    assert report.notices == []
    days = [DAY, dt.date(2016, 6, 30), dt.date(2019, 5, 31)]
    assert effective_everywhere(load(tmp_path / "imported"), days) == effective_everywhere(data, days)


@pytest.mark.skipif(not (BUNDLED / "entities.yaml").is_file(), reason="no bundled data in data/")
def test_pending_holdings_are_not_exported_as_done(tmp_path: Path) -> None:
    data = load(BUNDLED)
    pending = {(h.owner, h.owned) for h in data.holdings if h.pending}
    assert ("wealthiness-prosperity", "bright-smart") in pending
    statements = json.loads(write_export(tmp_path, data, dt.date(2026, 12, 1)).read_text(encoding="utf-8"))
    exported = {
        (s["recordDetails"]["interestedParty"], s["recordDetails"]["subject"])
        for s in statements
        if s.get("recordType") == "relationship"
    }
    assert not pending & exported


@pytest.mark.skipif(not (BUNDLED / "entities.yaml").is_file(), reason="no bundled data in data/")
def test_stake_ranges_are_exported_as_share_minimum_and_maximum(tmp_path: Path) -> None:
    statements = json.loads(write_export(tmp_path, load(BUNDLED), dt.date(2020, 12, 31)).read_text(encoding="utf-8"))
    (futu,) = [
        interest
        for s in statements
        if s.get("recordType") == "relationship"
        and s["recordDetails"]["interestedParty"] == "tencent-holdings"
        and s["recordDetails"]["subject"] == "futu-holdings"
        for interest in s["recordDetails"]["interests"]
        if interest.get("startDate") == "2020-12-01"
    ]
    assert futu.get("share", {}).get("minimum") == 19.9


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.floats(-1, 150) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
record_ids = st.sampled_from(["a", "b", "c", "p"])
party_details = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=12) | json_values,
        "names": st.lists(st.fixed_dictionaries({"fullName": st.text(max_size=8), "type": json_values}), max_size=3)
        | json_values,
        "alternateNames": json_values,
        "entityType": st.fixed_dictionaries({"type": st.sampled_from(["arrangement", "state", "x"])}) | json_values,
        "jurisdiction": st.fixed_dictionaries({"code": st.sampled_from(["GB", "cn", "CN-CQ", ""])}) | json_values,
        "foundingDate": st.sampled_from(["2019-02-30", "2019-01-01", "x", "2019-05-01T10:00:00Z"]) | json_values,
        "dissolutionDate": st.sampled_from(["2010-01-01", "2030-12-31"]) | json_values,
        "nationalities": json_values,
        "identifiers": st.lists(st.fixed_dictionaries({"schemeName": st.just("xmfin"), "id": st.text(max_size=5)}))
        | json_values,
    },
)
interest_values = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["shareholding", "rightsGrantedByContract", "votingRights", "boardChair", "settlor"])
        | json_values,
        "share": st.fixed_dictionaries({}, optional={"exact": json_values, "minimum": json_values}) | json_values,
        "startDate": st.sampled_from(["2015-01-01", "2020-06-30"]) | json_values,
        "endDate": st.sampled_from(["2014-12-31", "2018-01-01"]) | json_values,
        "directOrIndirect": st.sampled_from(["direct", "indirect", "unknown"]) | json_values,
        "details": json_values,
    },
)
party_statements = st.builds(
    lambda record_id, record_type, details, head: {
        "statementId": f"s-{record_id}",
        "recordId": record_id,
        "recordType": record_type,
        "recordDetails": details,
        **head,
    },
    record_ids,
    st.sampled_from(["entity", "person"]),
    party_details,
    st.fixed_dictionaries(
        {}, optional={"statementDate": json_values, "source": json_values, "publicationDetails": json_values}
    ),
)
relationship_statements = st.fixed_dictionaries(
    {
        "recordId": st.integers(0, 10**6).map(lambda n: f"r{n}"),
        "recordType": st.just("relationship"),
        "recordDetails": st.fixed_dictionaries(
            {
                "subject": st.one_of(record_ids, record_ids, record_ids, json_values),
                "interestedParty": st.one_of(record_ids, record_ids, record_ids, json_values),
            },
            optional={"interests": st.one_of(st.lists(interest_values, max_size=3), json_values)},
        ),
    },
    optional={"recordStatus": st.just("closed"), "statementDate": st.sampled_from(["2016-05-05", "2021"])},
)
# Every party first (so that relationships mostly find their ends), then anything, in any order.
statements_strategy = st.builds(
    lambda parties, rest: parties + rest,
    st.lists(party_statements, min_size=2, max_size=5),
    st.lists(st.one_of(*[relationship_statements] * 4, party_statements, json_values), min_size=1, max_size=10),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(statements=statements_strategy)
def test_any_statements_import_to_a_folder_that_checks(tmp_path: Path, statements: list[Any]) -> None:
    source = tmp_path / "fuzz.json"
    source.write_text(json.dumps(statements), encoding="utf-8")
    report = import_file(source, tmp_path / "out", force=True)
    dataset, problems = check_folder(tmp_path / "out")
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert report.counts["holdings"] == len(dataset.holdings)


def deep_at(levels: int) -> Any:
    deep: Any = "bottom"
    for _ in range(levels):
        deep = {"x": [deep]}
    return deep


def test_deep_nesting_is_kept_as_text_or_refused(tmp_path: Path) -> None:
    deep = deep_at(60)
    _, data = run_import(tmp_path, [entity("a", "A", addresses=[deep])])
    kept = data.entities["a"].extra["bods"]["addresses"]
    levels = 0
    while isinstance(kept, list) and isinstance(kept[0], dict):
        kept, levels = kept[0]["x"], levels + 1
    # Nine levels of {"x": [...]} under extra.bods.addresses reach MAX_DEPTH; the rest is JSON text.
    assert levels == 9
    assert isinstance(kept[0], str)
    assert json.loads(kept[0]) == deep_at(60 - 9)
    too_deep = tmp_path / "deep.json"
    too_deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(XmfinError, match="nested too deeply"):
        import_file(too_deep, tmp_path / "out2")


def test_file_name_with_a_line_break_stays_in_the_comment(tmp_path: Path) -> None:
    source = tmp_path / "odd\nname.json"
    source.write_text(json.dumps([entity("a", "A")]), encoding="utf-8")
    import_file(source, tmp_path / "out")
    first = (tmp_path / "out" / "entities.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == '# Imported from "odd\\nname.json" by `xmfin import bods` (BODS 0.4).'
    assert load(tmp_path / "out").entities["a"].name == "A"


def test_a_statement_left_out_whole_is_one_notice(tmp_path: Path) -> None:
    indirect = {"type": "shareholding", "directOrIndirect": "indirect", "share": {"exact": 5}}
    statements = [
        entity("a", "A"),
        entity("b", "B"),
        relationship("r", "a", "b", indirect, {**indirect, "type": "votingRights"}),
    ]
    report, data = run_import(tmp_path, statements)
    assert data.holdings == []
    assert report.skipped == 1
    assert [n.message for n in report.notices] == [
        "left out interest 1: the indirect shareholding of 5%; interest 2: the indirect votingRights of 5% "
        "(xmfin derives indirect stakes from the direct holdings); kept in the subject's extra for the export"
    ]


def test_each_notice_is_one_line(tmp_path: Path) -> None:
    statements = [entity("a", "A"), relationship("r\nx", "a", "line\nbreak" * 50, {"type": "shareholding"})]
    statements[1]["statementId"] = "id\nwith a break"
    report, _ = run_import(tmp_path, statements)
    (line,) = report.lines()
    assert "\n" not in line
    assert "statement id\\nwith a break: not imported: the interestedParty 'line\\nbreakline\\nbreak" in line
    assert line.endswith("...")
