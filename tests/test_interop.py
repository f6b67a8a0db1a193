"""Interop that loses nothing: BODS history, round trips both ways, idempotence (issue 14)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xmfin.bods_import import import_file
from xmfin.bods_read import read_statements
from xmfin.model import Dataset
from xmfin.output import bods
from xmfin.output.export import to_json
from xmfin.storage.loading import check_folder, load

from .conftest import FIXTURES, Invoke
from .test_bods import BODS_EXAMPLES, BUNDLED, bods_errors, example_files, valid_fixtures
from .test_properties import SETTINGS, data_folder, to_yaml, valid_folders

HISTORY = FIXTURES / "bods_history"
LATE = dt.date(2100, 1, 1)  # an export day after every date: everything is known


def imported(tmp_path: Path, source: Path, name: str = "out") -> tuple[Any, Dataset]:
    report = import_file(source, tmp_path / name)
    data, problems = check_folder(tmp_path / name)
    assert [str(p) for p in problems if p.severity == "error"] == []
    return report, data


def periods(data: Dataset) -> list[tuple[Any, ...]]:
    return [
        (
            h.owner,
            h.owned,
            h.stake,
            h.stake_min,
            h.stake_max,
            str(h.since) if h.since else None,
            str(h.until) if h.until else None,
        )
        for h in data.holdings
    ]


def records_json(data: Dataset) -> dict[str, Any]:
    """`export -f json` without its day: the records as xmfin compares them."""
    document = json.loads(to_json(data, LATE, None))
    del document["as_of"]
    return document


# --- history --------------------------------------------------------------------------------------------------


def test_share_changed_ends_one_holding_and_starts_the_next(tmp_path: Path) -> None:
    report, data = imported(tmp_path, HISTORY / "share-changed.json")
    assert report.notices == []
    assert periods(data) == [
        ("holder-a", "target-co", 50.0, None, None, "2019-01-01", "2021-05-31"),
        ("holder-b", "target-co", 50.0, None, None, "2019-01-01", "2021-05-31"),
        ("holder-b", "target-co", 100.0, None, None, "2021-06-01", None),
    ]


def test_share_restated_with_its_old_start_date_changes_from_the_statement_date(tmp_path: Path) -> None:
    # The case: 50/50, then one party's record says 100% keeping its startDate. Applied back to the
    # start date, that would make 150% and lose the stake; it is a change as of the later statement.
    report, data = imported(tmp_path, HISTORY / "share-restated.json")
    assert periods(data) == [
        ("holder-a", "target-co", 50.0, None, None, "2019-01-01", "2021-05-31"),
        ("holder-b", "target-co", 50.0, None, None, "2019-01-01", "2021-05-31"),
        ("holder-b", "target-co", 100.0, None, None, "2021-06-01", None),
    ]
    assert [n.message for n in report.notices] == [
        "its equity interest changed with its earlier startDate 2019-01-01: the change counts from this "
        "statement's date 2021-06-01"
    ]


def test_owner_replaced_in_one_record(tmp_path: Path) -> None:
    report, data = imported(tmp_path, HISTORY / "owner-replaced.json")
    assert report.notices == []
    assert periods(data) == [
        ("holder-a", "target-co", 100.0, None, None, "2018-05-01", "2020-02-29"),
        ("pat-owner", "target-co", 100.0, None, None, "2020-03-01", None),
    ]


def test_closed_relationship_ends_the_day_before_its_closing_statement(tmp_path: Path) -> None:
    report, data = imported(tmp_path, HISTORY / "relationship-closed.json")
    assert report.notices == []
    assert periods(data) == [("holder-a", "target-co", 75.0, None, None, "2019-01-01", "2022-01-14")]


def test_replaced_statements_are_superseded_by_statement_date(tmp_path: Path) -> None:
    report, data = imported(tmp_path, HISTORY / "replaced-statements.json")
    assert periods(data) == [("holder-a", "target-company-ltd", 45.0, None, None, "2019-01-01", None)]
    assert [n.message for n in report.notices] == [
        "its equity interest replaced by the later statement "
        f"{read_statements(HISTORY / 'replaced-statements.json')[-1]['statementId']} of record r"
    ]
    (former,) = data.entities["target-company-ltd"].former_names
    assert (former.name, str(former.until)) == ("Target Co", "2021-01-31")


def test_ranges_become_stake_bounds(tmp_path: Path) -> None:
    report, data = imported(tmp_path, HISTORY / "ranges.json")
    assert report.notices == []
    bounds = [
        (h.owner, h.control, h.stake_min, h.stake_min_exclusive, h.stake_max, h.stake_max_exclusive)
        for h in data.holdings
    ]
    assert bounds == [
        ("holder-a", "equity", 75.0, False, 100.0, True),
        ("holder-b", "equity", 25.0, True, 50.0, False),
        ("holder-c", "voting", 10.0, False, None, False),
    ]
    shares = [
        s["recordDetails"]["interests"][0].get("share")
        for s in bods.statements(data, LATE)
        if s["recordType"] == "relationship"
    ]
    assert shares == [
        {"minimum": 75.0, "exclusiveMaximum": 100.0},
        {"exclusiveMinimum": 25.0, "maximum": 50.0},
        {"minimum": 10.0},
    ]


# --- issue 15 items 6 and 8: shares that are not numbers ---------------------------------------------------


@pytest.mark.parametrize(
    ("exact", "why"),
    [
        ('"50"', 'share.exact "50" is text, not a number'),
        ("true", "share.exact true is not a number, not a number"),
        ("1" + "0" * 400, "share.exact a 401-digit number is too large to be a percentage"),
        ("1e400", "share.exact Infinity is too large to be a percentage"),
        ("150", "share.exact 150 is not a percentage (0 to 100)"),
    ],
)
def test_a_share_that_is_not_a_percentage_is_a_notice(tmp_path: Path, exact: str, why: str) -> None:
    statements = read_statements(HISTORY / "relationship-closed.json")[:3]
    text = json.dumps(statements).replace('"exact": 75', f'"exact": {exact}')
    source = tmp_path / "in.json"
    source.write_text(text, encoding="utf-8")
    report, data = imported(tmp_path, source)
    sid = statements[2]["statementId"]
    assert [(n.statement, n.partly, n.message) for n in report.notices] == [
        (sid, True, f"interest 1 (shareholding): {why}: the stake is left undisclosed")
    ]
    assert [h.stake for h in data.holdings] == [None]
    # The value survives for the export to write back as it was (when it is a JSON value BODS can hold).
    assert data.holdings[0].extra["bods"]["share"] is not None


# --- round trips --------------------------------------------------------------------------------------------


def xmfin_folders() -> list[Path]:
    return [BUNDLED, *(FIXTURES / name for name in valid_fixtures())]


@pytest.mark.parametrize("folder", xmfin_folders(), ids=lambda p: p.name)
def test_xmfin_to_bods_to_xmfin_gives_back_the_same_records(tmp_path: Path, folder: Path) -> None:
    data = load(folder)
    exported = tmp_path / "statements.json"
    exported.write_text(bods.to_json(data, LATE), encoding="utf-8")
    assert bods_errors(exported) == []
    report, back = imported(tmp_path, exported)
    assert report.notices == []
    assert records_json(back) == records_json(data)
    # Exporting the imported folder gives the same statements: export and import change nothing more.
    assert bods.to_json(back, LATE) == exported.read_text(encoding="utf-8")


def direct_interests(statements: list[Any]) -> set[tuple[Any, ...]]:
    """Every direct (or unknown) interest a file states: parties by name, the share's numbers as floats."""
    names = {}
    for s in statements:
        details = s["recordDetails"]
        if s["recordType"] == "entity":
            names[s["recordId"]] = details.get("name")
        elif s["recordType"] == "person":
            names[s["recordId"]] = next((n.get("fullName") for n in details.get("names", [])), None)
    found = set()
    for s in statements:
        details = s["recordDetails"]
        if s["recordType"] != "relationship" or not isinstance(details["interestedParty"], str):
            continue
        for i in details.get("interests", [{}]):
            if i.get("directOrIndirect") != "indirect":
                share = json.dumps({k: float(v) for k, v in i.get("share", {}).items()}, sort_keys=True)
                party, subject = names[details["interestedParty"]], names[details["subject"]]
                found.add((party, subject, i.get("type"), share, i.get("startDate"), i.get("endDate")))
    return found


def party_details(statements: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """The details of every entity and person statement, without xmfin's own identifier."""
    found = []
    for s in statements:
        if s["recordType"] in ("entity", "person"):
            details = dict(s["recordDetails"])
            details["identifiers"] = [i for i in details.get("identifiers", []) if i.get("schemeName") != "xmfin"]
            found.append((s["recordId"], {k: v for k, v in details.items() if v != []}))
    return sorted(found, key=lambda item: item[0])


def same_details(details: dict[str, Any]) -> Any:
    """recordDetails as compared across a round trip: without xmfin's own identifier, numbers as floats."""
    found = json.loads(json.dumps(details), parse_int=float)
    if "identifiers" in found:
        found["identifiers"] = [i for i in found["identifiers"] if i.get("schemeName") != "xmfin"]
        if not found["identifiers"]:
            del found["identifiers"]
    return found


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_every_bods_example_survives_bods_to_xmfin_to_bods(tmp_path: Path, path: Path) -> None:
    _, data = imported(tmp_path, path)
    again = tmp_path / "again.json"
    again.write_text(bods.to_json(data, LATE), encoding="utf-8")
    assert bods_errors(again) == []
    original, back = read_statements(path), read_statements(again)
    assert direct_interests(original) <= direct_interests(back)  # every current stake the example states
    # Entity types and subtypes, unknown persons, identifiers, nationalities, PEP details, birth dates.
    assert party_details(back) == party_details(original)

    # Stronger: the latest statement of every record comes back with the very same details, indirect
    # interests, component records and unspecified owners included (numbers compared as numbers).
    latest = {s["recordId"]: s for s in original}
    again_by_record = {s["recordId"]: s for s in back}
    for record_id, statement in latest.items():
        assert record_id in again_by_record, record_id
        assert same_details(again_by_record[record_id]["recordDetails"]) == same_details(statement["recordDetails"])

    # A relationship with an unspecified owner (a listed company exempt from disclosure) comes back as it was.
    def unspecified(statements: list[Any]) -> list[Any]:
        return [
            {k: v for k, v in s["recordDetails"].items() if k != "subject"}
            for s in statements
            if s["recordType"] == "relationship" and isinstance(s["recordDetails"]["interestedParty"], dict)
        ]

    assert unspecified(back) == unspecified(original)
    # Another publisher's annotations come back.
    given = [a for s in original for a in s.get("annotations", [])]
    assert all(any(a in s.get("annotations", []) for s in back) for a in given)
    # And importing that again gives the same records.
    _, twice = imported(tmp_path, again, "twice")
    assert records_json(twice) == records_json(data)


@pytest.mark.parametrize("path", sorted(HISTORY.glob("*.json")), ids=lambda p: p.name)
def test_every_history_fixture_round_trips(tmp_path: Path, path: Path) -> None:
    assert bods_errors(path) == []
    _, data = imported(tmp_path, path)
    again = tmp_path / "again.json"
    again.write_text(bods.to_json(data, LATE), encoding="utf-8")
    assert bods_errors(again) == []
    _, back = imported(tmp_path, again, "back")
    assert records_json(back) == records_json(data)


def test_import_twice_and_export_twice_change_nothing(tmp_path: Path) -> None:
    for path in [*example_files(), *sorted(HISTORY.glob("*.json"))]:
        import_file(path, tmp_path / "one", force=True)
        import_file(path, tmp_path / "two", force=True)
        for name in ("entities.yaml", "licences.yaml"):
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), path
    data = load(BUNDLED)
    assert bods.to_json(data, LATE) == bods.to_json(data, LATE)


def test_a_changed_statement_is_read_from_its_bods_fields(tmp_path: Path) -> None:
    data = load(FIXTURES / "interop")
    statements = bods.statements(data, LATE)
    relationship = next(s for s in statements if s["recordId"] == "holding:opco:lender")
    relationship["recordDetails"]["interests"][0]["share"] = {"exact": 55}
    source = tmp_path / "edited.json"
    source.write_text(json.dumps(statements), encoding="utf-8")
    report, back = imported(tmp_path, source)
    assert [n.message for n in report.notices] == [
        "its xmfin record annotation does not match its details (changed after the export): imported from the "
        "BODS fields"
    ]
    assert next(h.stake for h in back.holdings if (h.owner, h.owned) == ("opco", "lender")) == 55.0


def test_a_bods_export_for_a_past_day_states_only_what_was_known(tmp_path: Path) -> None:
    data = load(BUNDLED)
    day = dt.date(2016, 6, 30)
    statements = bods.statements(data, day)
    for s in statements:
        for interest in s["recordDetails"].get("interests", []):
            assert interest.get("startDate", "0000") <= day.isoformat()
            assert interest.get("endDate", "0000") <= (day + dt.timedelta(days=1)).isoformat()
        founded = s["recordDetails"].get("foundingDate")
        assert founded is None or founded <= day.isoformat()
    assert len(statements) < len(bods.statements(data, LATE))


def test_examples_are_all_there() -> None:
    assert len(example_files()) == 13, BODS_EXAMPLES


# --- FollowTheMoney -----------------------------------------------------------------------------------------


def ftm_problems(lines: list[dict[str, Any]]) -> list[str]:
    """Every way the lines break the followthemoney package's own model: unknown schema or property, a value
    its type refuses, a missing required property, or a reference to an entity of the wrong schema."""
    from followthemoney import model

    problems = []
    schemas = {}
    for line in lines:
        schema = model.get(line["schema"])
        if schema is None:
            problems.append(f"{line['id']}: no schema {line['schema']}")
            continue
        schemas[line["id"]] = schema
    for line in lines:
        schema = model.get(line["schema"])
        if schema is None:
            continue
        error = schema.validate(line)
        if error:
            problems.append(f"{line['id']}: {error}")
        for name in schema.required:
            if not line["properties"].get(name):
                problems.append(f"{line['id']}: no {name}")
        for name, values in line["properties"].items():
            prop = schema.get(name)
            if prop is None:
                problems.append(f"{line['id']}: {schema.name} has no property {name}")
                continue
            for value in values:
                if not isinstance(value, str) or prop.type.clean(value, proxy=None) is None:
                    problems.append(f"{line['id']}: {name} {value!r} is not a {prop.type.name}")
                if prop.type.name == "entity":
                    target = schemas.get(value)
                    if target is None or not target.is_a(prop.range):
                        problems.append(f"{line['id']}: {name} {value} is not a {prop.range}")
        proxy = model.get_proxy(line, cleaned=False)
        assert proxy.id == line["id"]
    return problems


@pytest.mark.parametrize("folder", xmfin_folders(), ids=lambda p: p.name)
def test_ftm_export_is_valid_followthemoney_and_imports_back(tmp_path: Path, folder: Path) -> None:
    from xmfin import ftm_import
    from xmfin.output import ftm

    data = load(folder)
    text = "".join(ftm.lines(data, LATE))
    lines = [json.loads(line) for line in text.splitlines()]
    assert ftm_problems(lines) == []
    schemas = {line["schema"] for line in lines}
    assert schemas <= {"Company", "Person", "LegalEntity", "PublicBody", "Ownership", "Directorship"}
    source = tmp_path / "entities.ftm.json"
    source.write_text(text, encoding="utf-8")
    report = ftm_import.import_file(source, tmp_path / "out")
    back, problems = check_folder(tmp_path / "out")
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert report.notices == []
    assert list(back.entities) == list(data.entities)
    assert [e.kind for e in back.entities.values()] == [e.kind for e in data.entities.values()]
    keep = ("owner", "owned", "stake", "stake_min", "stake_max", "control", "since", "until", "pending")
    assert [[str(getattr(h, k)) for k in keep] for h in back.holdings] == [
        [str(getattr(h, k)) for k in keep] for h in data.holdings
    ]
    # Exported again, the imported folder gives the same entities apart from what FtM cannot hold.
    again = [json.loads(line) for line in "".join(ftm.lines(back, LATE)).splitlines()]
    assert [(x["id"], x["schema"]) for x in again] == [(x["id"], x["schema"]) for x in lines]


def test_ftm_ownership_carries_percentage_dates_and_sources() -> None:
    from xmfin.output import ftm

    lines = ftm.entities(load(FIXTURES / "interop"))
    ownership = next(x for x in lines if x["id"] == "holding-opco-lender")
    assert ownership["schema"] == "Ownership"
    props = ownership["properties"]
    assert (props["owner"], props["asset"], props["percentage"], props["startDate"]) == (
        ["opco"],
        ["lender"],
        ["60"],
        ["2015-06"],
    )
    assert props["ownershipType"] == ["equity"]
    assert props.get("publisher") or props.get("sourceUrl")


def test_ftm_percentages_read_back() -> None:
    from xmfin.ftm_import import parse_percentage

    assert parse_percentage("60") == {"stake": 60.0}
    assert parse_percentage("60%") == {"stake": 60.0}
    assert parse_percentage("75-<100") == {
        "stake_min": 75.0,
        "stake_max": 100.0,
        "stake_min_exclusive": None,
        "stake_max_exclusive": True,
    }
    assert parse_percentage(">25-50")["stake_min_exclusive"] is True  # type: ignore[index]
    for bad in ("0", "150", "abc", "50-25", "-", "1e400"):
        assert parse_percentage(bad) is None, bad


def test_ftm_import_reports_what_it_cannot_represent(tmp_path: Path) -> None:
    from xmfin import ftm_import

    lines = [
        {"id": "a", "schema": "Company", "properties": {"name": ["A"], "jurisdiction": ["zz-notacode!"]}},
        {"id": "b", "schema": "Person", "properties": {"name": ["B"]}},
        {"id": "v", "schema": "Vessel", "properties": {"name": ["V"]}},
        {"id": "o", "schema": "Ownership", "properties": {"owner": ["b"], "asset": ["a"], "percentage": ["lots"]}},
        {"id": "o2", "schema": "Ownership", "properties": {"owner": ["x"], "asset": ["a"]}},
        42,
    ]
    source = tmp_path / "in.ftm.json"
    source.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    report = ftm_import.import_file(source, tmp_path / "out")
    check_folder(tmp_path / "out")
    assert [(n.statement, n.partly) for n in report.notices] == [
        ("#6", False),
        ("a", True),
        ("v", False),
        ("o", True),
        ("o2", False),
    ]
    assert report.summary().endswith("3 entities not imported, 2 imported in part")


# --- CSV and GEXF -------------------------------------------------------------------------------------------

HOSTILE = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "'=1", '=HYPERLINK("http://x")', "a; b", "中文"]


def test_csv_cells_never_run_as_formulas(tmp_path: Path) -> None:
    import csv
    import io

    from xmfin.model import Entity, Figure
    from xmfin.output.export import FORMULA_STARTS, csv_text

    entities = {
        f"e{n}": Entity(f"e{n}", text, aliases=(text, "plain"), note=text, figures=(Figure("loss", -5.5),))
        for n, text in enumerate(HOSTILE)
    }
    data = Dataset(entities=entities)
    for table in ("entities", "figures"):
        rows = list(csv.reader(io.StringIO(csv_text(data, table))))
        for row in rows[1:]:
            for cell in row:
                number = cell.lstrip("-").replace(".", "", 1).isdigit()
                assert number or not cell.startswith(FORMULA_STARTS[:-1]), cell
    rows = list(csv.DictReader(io.StringIO(csv_text(data, "entities"))))
    # A reader gets the text back by removing one leading apostrophe.
    assert [row["name"].removeprefix("'") if row["name"][:2] != "a;" else row["name"] for row in rows] == HOSTILE
    # Lists are JSON: "a; b" is one alias, not two.
    assert json.loads(rows[HOSTILE.index("a; b")]["aliases"]) == ["a; b", "plain"]
    # Numbers are numbers, a negative one too.
    figures = list(csv.DictReader(io.StringIO(csv_text(data, "figures"))))
    assert {row["value"] for row in figures} == {"-5.5"}


def test_csv_for_excel_starts_with_a_byte_order_mark(tmp_path: Path) -> None:
    from xmfin.output.export import csv_text

    data = load(BUNDLED)
    plain = csv_text(data, "entities")
    excel = csv_text(data, "entities", excel=True)
    assert excel == "\ufeff" + plain
    assert "小米集团" in excel.encode("utf-8").decode("utf-8-sig")


def test_gexf_says_its_day(tmp_path: Path) -> None:
    import networkx as nx

    from xmfin.graph import OwnershipGraph
    from xmfin.output import graphs
    from xmfin.output.export import gexf_lines

    data = load(BUNDLED)
    day = dt.date(2019, 5, 15)
    text = "".join(gexf_lines(graphs.export_graph(OwnershipGraph(data, day), data, None), day, None))
    assert 'lastmodifieddate="2019-05-15"' in text
    assert "as of 2019-05-15" in text
    assert nx.read_gexf(__import__("io").BytesIO(text.encode())).number_of_nodes() > 0


# --- for all valid folders ------------------------------------------------------------------------------------


@SETTINGS
@given(folder=valid_folders())
def test_any_valid_folder_round_trips_through_bods_and_exports_valid_ftm(folder: tuple[Any, Any]) -> None:
    from xmfin.output import ftm

    entities_file, licences_file = folder
    with data_folder(to_yaml(entities_file), to_yaml(licences_file)) as path:
        data = load(path)
        with tempfile.TemporaryDirectory() as work:
            exported = Path(work) / "statements.json"
            exported.write_text(bods.to_json(data, LATE), encoding="utf-8")
            report = import_file(exported, Path(work) / "out")
            assert report.notices == []
            assert records_json(load(Path(work) / "out")) == records_json(data)
        assert ftm_problems([json.loads(line) for line in ftm.lines(data, LATE)]) == []


# --- the command line ------------------------------------------------------------------------------------------


def test_cli_ftm_export_and_import(xmfin: Invoke, tmp_path: Path) -> None:
    exported = xmfin("export", "-f", "ftm", "--as-of", "2100", case="interop")
    assert exported.exit_code == 0, exported.stderr
    source = tmp_path / "x.ftm.json"
    source.write_text(exported.stdout, encoding="utf-8")
    result = xmfin("import", "ftm", str(source), "-o", str(tmp_path / "out"), case=None)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith("0 entities not imported, 0 imported in part\n")
    assert xmfin("check", "--data", str(tmp_path / "out"), case=None).exit_code == 0
    bad = tmp_path / "bad.ftm.json"
    bad.write_text('{"id": "a", "schema": "Company", "properties": {}}\n{"id": \n', encoding="utf-8")
    refused = xmfin("import", "ftm", str(bad), "-o", str(tmp_path / "bad"), case=None)
    assert (refused.exit_code, refused.stderr.splitlines()[-1]) == (
        1,
        f"xmfin: error: {bad}:2:8: not valid JSON: Expecting value",
    )


def test_cli_excel_csv_and_its_misuse(xmfin: Invoke, tmp_path: Path) -> None:
    result = xmfin("export", "-f", "csv", "--table", "entities", "--excel", case="interop")
    assert result.exit_code == 0
    assert result.stdout.startswith("\ufeffid,name,")
    folder = tmp_path / "tables"
    assert xmfin("export", "-f", "csv", "--excel", "-o", str(folder), case="interop").exit_code == 0
    assert (folder / "holdings.csv").read_bytes().startswith(b"\xef\xbb\xbfowner,")
    misuse = xmfin("export", "-f", "json", "--excel", case="interop")
    assert (misuse.exit_code, misuse.stderr.strip()) == (2, "xmfin: error: --excel goes with --format csv")


def test_cli_gexf_is_the_same_file_for_the_same_day(xmfin: Invoke) -> None:
    first = xmfin("export", "-f", "gexf", "--as-of", "2019-05-15", case="interop").stdout
    assert 'lastmodifieddate="2019-05-15"' in first
    assert first == xmfin("export", "-f", "gexf", "--as-of", "2019-05-15", case="interop").stdout


def test_cli_a_share_of_10_to_the_400_is_one_notice(xmfin: Invoke, tmp_path: Path) -> None:
    statements = read_statements(HISTORY / "relationship-closed.json")[:3]
    source = tmp_path / "huge.json"
    source.write_text(json.dumps(statements).replace('"exact": 75', '"exact": 1' + "0" * 400), encoding="utf-8")
    result = xmfin("import", "bods", str(source), "-o", str(tmp_path / "out"), case=None)
    assert result.exit_code == 0, result.stderr
    assert "share.exact a 401-digit number is too large to be a percentage" in result.stderr
    assert "Traceback" not in result.stderr
    longer = tmp_path / "longer.json"
    longer.write_text(json.dumps(statements).replace('"exact": 75', '"exact": 1' + "0" * 5000), encoding="utf-8")
    refused = xmfin("import", "bods", str(longer), "-o", str(tmp_path / "out2"), case=None)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"xmfin: error: {longer}:1: not valid JSON: ")


def test_plain_scalars_under_extra_keep_their_yaml_types(tmp_path: Path) -> None:
    (tmp_path / "entities.yaml").write_text(
        "entities:\n  a:\n    name: A\n"
        '    extra: {t: true, f: false, n: 7, x: 1.5, q: "true", no: NO, inf: .inf, z: ~}\n',
        encoding="utf-8",
    )
    (tmp_path / "licences.yaml").write_text("families: {}\n", encoding="utf-8")
    extra = load(tmp_path).entities["a"].extra
    assert extra == {"t": True, "f": False, "n": 7, "x": 1.5, "q": "true", "no": "NO", "inf": ".inf", "z": None}


def test_a_damaged_xmfin_annotation_cannot_make_a_folder_that_fails_check(tmp_path: Path) -> None:
    statements = bods.statements(load(FIXTURES / "interop"), LATE)
    for statement in statements:
        for annotation in statement.get("annotations", []):
            if "xmfinRecord" in annotation and annotation["xmfinRecord"]["type"] == "holding":
                annotation["xmfinRecord"]["record"]["stake"] = 500  # the digest still matches the details
            if "xmfinDataset" in annotation:
                annotation["xmfinDataset"]["licences"] = [{"holder": "nobody", "category": "nothing"}]
    source = tmp_path / "damaged.json"
    source.write_text(json.dumps(statements), encoding="utf-8")
    report, data = imported(tmp_path, source)  # checks the folder
    assert report.notices[-1].message.startswith("the xmfin annotations make records that do not pass `xmfin check`")
    assert len(data.holdings) == len(load(FIXTURES / "interop").holdings)


def test_unknown_persons_and_trusts_stay_what_they_are(tmp_path: Path) -> None:
    head = {
        "statementDate": "2020-01-01",
        "publicationDetails": {"publicationDate": "2020-01-01", "bodsVersion": "0.4", "publisher": {"name": "P"}},
    }
    person = {
        **head,
        "statementId": "a" * 32,
        "recordId": "p",
        "recordType": "person",
        "recordDetails": {
            "isComponent": False,
            "personType": "unknownPerson",
            "unspecifiedPersonDetails": {"reason": "informationUnknownToPublisher"},
        },
    }
    trust = {
        **head,
        "statementId": "b" * 32,
        "recordId": "t",
        "recordType": "entity",
        "recordDetails": {
            "isComponent": False,
            "entityType": {"type": "arrangement", "subtype": "trust", "details": "Family trust"},
            "name": "The Trust",
        },
    }
    source = tmp_path / "in.json"
    source.write_text(json.dumps([person, trust]), encoding="utf-8")
    _, data = imported(tmp_path, source)
    again = {s["recordId"]: s["recordDetails"] for s in bods.statements(data, LATE)}
    assert again["p"]["personType"] == "unknownPerson"
    assert "names" not in again["p"]
    assert again["p"]["unspecifiedPersonDetails"] == {"reason": "informationUnknownToPublisher"}
    assert again["t"]["entityType"] == {"type": "arrangement", "subtype": "trust", "details": "Family trust"}


# Relationship series: few record ids and dates, so that records have several statements in every order.
series_interests = st.fixed_dictionaries(
    {"type": st.sampled_from(["shareholding", "shareholding", "votingRights", "boardMember", "nominee"])},
    optional={
        "share": st.one_of(
            st.fixed_dictionaries({"exact": st.sampled_from([10, 50, 60, 100, 0, "50", True, 1e308])}),
            st.fixed_dictionaries(
                {},
                optional={
                    "minimum": st.sampled_from([0, 25, 75, 100]),
                    "exclusiveMinimum": st.sampled_from([25, 50, 100]),
                    "maximum": st.sampled_from([0, 50, 100]),
                    "exclusiveMaximum": st.sampled_from([50, 100]),
                },
            ),
        ),
        "startDate": st.sampled_from(["2018-01-01", "2019-06-01", "2020-01-01"]),
        "endDate": st.sampled_from(["2019-06-01", "2021-01-01", "2018-01-01"]),
        "directOrIndirect": st.sampled_from(["direct", "indirect", "unknown"]),
    },
)
series_statements = st.builds(
    lambda record, party, subject, interests, date, closed, number: {
        "statementId": f"s{number}",
        "statementDate": date,
        "recordId": record,
        "recordType": "relationship",
        "recordDetails": {"isComponent": False, "subject": subject, "interestedParty": party, "interests": interests},
        **({"recordStatus": "closed"} if closed else {}),
    },
    st.sampled_from(["r1", "r2", "r3"]),
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["a", "b", "c"]),
    st.lists(series_interests, max_size=3),
    st.sampled_from(["2018-01-01", "2019-06-01", "2020-01-01", "2021-01-01"]),
    st.booleans(),
    st.integers(0, 10**6),
)


@settings(max_examples=200, deadline=None)
@given(statements=st.lists(series_statements, min_size=1, max_size=8))
def test_any_statement_series_imports_to_a_folder_that_checks(statements: list[Any]) -> None:
    parties = [
        {
            "statementId": f"p-{r}",
            "recordId": r,
            "recordType": "entity",
            "recordDetails": {"isComponent": False, "name": r.upper()},
        }
        for r in ("a", "b", "c")
    ]
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "series.json"
        source.write_text(json.dumps(parties + statements), encoding="utf-8")
        report = import_file(source, Path(work) / "out")
        data, problems = check_folder(Path(work) / "out")
        assert [str(p) for p in problems if p.severity == "error"] == []
        assert report.counts["holdings"] == len(data.holdings)
        # And the folder goes to valid BODS and back unchanged.
        again = Path(work) / "again.json"
        again.write_text(bods.to_json(data, LATE), encoding="utf-8")
        assert bods_errors(again) == []
        assert import_file(again, Path(work) / "back").notices == []
        assert records_json(load(Path(work) / "back")) == records_json(data)


def test_an_annotation_with_1e400_or_deep_nesting_is_no_crash(tmp_path: Path) -> None:
    statements = bods.statements(load(FIXTURES / "interop"), LATE)
    for statement in statements:
        for annotation in statement.get("annotations", []):
            if "xmfinRecord" in annotation:
                annotation["xmfinRecord"]["record"]["extra"] = {"deep": json.loads("[" * 50 + "]" * 50)}
            if "xmfinDataset" in annotation:
                annotation["xmfinDataset"]["groups"]["g"] = {"name": "G", "root": "top-co", "extra": "INF"}
    source = tmp_path / "odd.json"
    source.write_text(json.dumps(statements).replace('"INF"', "1e400"), encoding="utf-8")
    report, data = imported(tmp_path, source)
    assert data.groups["g"].extra == "Infinity"
    assert report.notices == []


ftm_values = st.lists(
    st.sampled_from(["a", "b", "c", "60", "75-<100", ">25-50", "150", "x", "2019", "2019-13", "cn", "CN-CQ", "", " "])
    | st.text(max_size=6),
    max_size=3,
)
ftm_lines = st.builds(
    lambda entity_id, schema, props: {"id": entity_id, "schema": schema, "properties": props},
    st.sampled_from(["a", "b", "c", "o1", "o2", "d1"]),
    st.sampled_from(["Company", "Person", "LegalEntity", "PublicBody", "Ownership", "Directorship", "Vessel"]),
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "alias",
                "jurisdiction",
                "nationality",
                "legalForm",
                "owner",
                "asset",
                "percentage",
                "ownershipType",
                "startDate",
                "endDate",
                "status",
                "director",
                "organization",
                "role",
                "publisher",
                "sourceUrl",
            ]
        ),
        ftm_values,
    ),
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(ftm_lines | st.integers() | st.none(), max_size=10))
def test_any_ftm_lines_import_to_a_folder_that_checks(lines: list[Any]) -> None:
    from xmfin import ftm_import

    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "in.ftm.json"
        source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        report = ftm_import.import_file(source, Path(work) / "out")
        data, problems = check_folder(Path(work) / "out")
        assert [str(p) for p in problems if p.severity == "error"] == []
        assert report.counts["holdings"] == len(data.holdings)


def test_an_ftm_percentage_with_only_an_upper_bound_is_a_range() -> None:
    from xmfin.ftm_import import parse_percentage

    # "at most 22%": before, `-22` was read as the number -22 and dropped with a notice
    assert parse_percentage("-22") == {
        "stake_min": None,
        "stake_max": 22.0,
        "stake_min_exclusive": None,
        "stake_max_exclusive": None,
    }
    assert parse_percentage("-0") is None and parse_percentage("-150") is None
