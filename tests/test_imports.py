"""Getting data in without YAML: `import csv DIR --store` and `import bods FILE --store` (issue 16 item 3).

A round trip through the CSV tables, and a BODS file imported into a store, give the records the folder gives,
exactly (`export -f json`); a bad cell stops the import with its file, line and column; a progress bar shows
only on a terminal.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import FIXTURES
from xmfin.api import bundled_data
from xmfin.cli import app
from xmfin.storage.loading import check_folder

VALID = sorted(
    path.name
    for path in FIXTURES.iterdir()
    if path.is_dir() and not any(p.severity == "error" for p in check_folder(path)[1])
)
BODS_EXAMPLES = Path(__file__).parent / "bods_examples"


def _run(argv: list[str]) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", "XMFIN_DATA": None}).invoke(app, argv)
    return result.exit_code, result.stdout, result.stderr


def _export_json(data: Path) -> str:
    code, out, err = _run(["export", "-f", "json", "--data", str(data)])
    assert code == 0, err
    return out


def imported_both_ways(tmp_path: Path, statements: list[Any] | Path) -> tuple[str, str, Path, Path]:
    """A BODS file (or statements, written as JSON Lines) imported into a folder and into a store, both without
    error and with the same notices: the two imports' reports, the folder and the store."""
    if isinstance(statements, Path):
        source = statements
    else:
        source = tmp_path / "f.jsonl"
        source.write_text("\n".join(json.dumps(s) for s in statements) + "\n", encoding="utf-8")
    folder, store = tmp_path / "folder", tmp_path / "s.xmfin"
    code, _, folder_err = _run(["import", "bods", str(source), "-o", str(folder)])
    assert code == 0, folder_err
    code, _, store_err = _run(["import", "bods", str(source), "--store", str(store)])
    assert code == 0, store_err
    assert folder_err.splitlines()[:-1] == store_err.splitlines()[:-1]
    return folder_err, store_err, folder, store


@pytest.mark.parametrize("case", [*VALID, "bundled"])
def test_csv_round_trip(case: str, tmp_path: Path) -> None:
    folder = bundled_data() if case == "bundled" else FIXTURES / case
    tables, store = tmp_path / "tables", tmp_path / "s.xmfin"
    code, _, err = _run(["export", "-f", "csv", "-o", str(tables), "--data", str(folder)])
    assert code == 0, err
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    assert code == 0, err
    assert _export_json(store) == _export_json(folder)


def _tables(tmp_path: Path) -> Path:
    tables = tmp_path / "tables"
    code, _, err = _run(["export", "-f", "csv", "-o", str(tables), "--data", str(FIXTURES / "basic")])
    assert code == 0, err
    return tables


def _edit(path: Path, line: int, column: str, cell: str) -> None:
    import csv

    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    rows[line - 1][rows[0].index(column)] = cell
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)


def test_csv_bad_cell_names_file_line_column(tmp_path: Path) -> None:
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    _edit(tables / "holdings.csv", 2, "stake", "150")
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    column = 3  # owner, owned, stake
    assert code == 1 and not store.exists()
    assert err.strip().splitlines() == [
        f"xmfin: error: {tables / 'holdings.csv'}:2:{column}: stake: stake 150 is out of range: a stake is a"
        " percentage, 0 < stake <= 100"
    ]
    _edit(tables / "holdings.csv", 2, "stake", "")
    _edit(tables / "holdings.csv", 2, "sources", '["a"')
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    assert code == 1 and "holdings.csv:2:7: sources: not JSON" in err and len(err.strip().splitlines()) == 1


# (table, line, column edited, new cell, expected message): each check that spans records, on a row the fast
# path reads (holdings) and on a row the loader's path reads (an entity with a former name).
REFERENCE_CASES = {
    "source of a holding": ("holdings.csv", 2, "sources", '["no-such-source"]', ":2:7: sources 'no-such-source'"),
    "quoted source": (
        "holdings.csv",
        3,
        "quotes",
        '[{"source": "no-such-source", "quote": "x"}]',
        ":3:7: sources 'no-such-source' is not a known source",
    ),
    "source of an entity with a former name": (
        "entities.csv",
        3,
        "sources",
        '["no-such-source"]',
        ":3:10: sources 'no-such-source' is not a known source",
    ),
    "nominee": ("holdings.csv", 4, "nominee_for", "no-such-entity", ":4:16: nominee_for 'no-such-entity' is not"),
    "owned": ("holdings.csv", 5, "owned", "no-such-entity", ":5:2: owned 'no-such-entity' is not a known entity"),
    "holds itself": ("holdings.csv", 2, "owned", "alpha-top", ":2:2: 'alpha-top' cannot hold itself"),
}


@pytest.mark.parametrize("gathered", [True, False], ids=["gathered", "scanned"])
@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
def test_csv_reference_checks(case: str, gathered: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reference check finds its row, at its file, line and column, whether the ids the rows name were
    gathered as they were read (the scan of every record skipped when all are known) or not (past the limit
    of gathered cells: the scans run)."""
    from xmfin import csv_import

    if not gathered:
        monkeypatch.setattr(csv_import._Cited, "LIMIT", 0)
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    table, line, column, cell, expected = REFERENCE_CASES[case]
    _edit(tables / table, line, column, cell)
    with pytest.raises(csv_import.CsvError) as raised:
        csv_import.import_csv(tables, store)
    assert f"{table}{expected}" in str(raised.value) and not store.exists()
    # The unchanged tables import whole either way.
    assert csv_import.import_csv(_tables(tmp_path / "whole"), store)["holding"] > 0


def test_csv_unknown_reference_and_twice(tmp_path: Path) -> None:
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    _edit(tables / "holdings.csv", 2, "owner", "nobody-here")
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    assert code == 1 and not store.exists()
    assert "holdings.csv:2:1: owner 'nobody-here' is not a known entity" in err
    tables2 = _tables(tmp_path / "two")
    lines = (tables2 / "sources.csv").read_bytes().split(b"\r\n")
    (tables2 / "sources.csv").write_bytes(b"\r\n".join([*lines[:2], lines[1], *lines[2:]]))
    code, _, err = _run(["import", "csv", str(tables2), "--store", str(store)])
    assert code == 1 and "sources.csv:3:1: the id" in err and "is taken already (by the row at line 2)" in err


def test_csv_missing_tables_are_empty(tmp_path: Path) -> None:
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    for name in ("licences", "claims", "events", "figures", "former_names", "roles"):
        (tables / f"{name}.csv").unlink()
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    assert code == 0, err
    document = json.loads(_export_json(store))
    assert document["licences"] == [] and document["roles"] == [] and document["holdings"]
    code, _, err = _run(["import", "csv", str(tmp_path / "nothing"), "--store", str(store)])
    assert code == 2 and "is not a folder of CSV tables" in err


def test_csv_leading_apostrophe_removed(tmp_path: Path) -> None:
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    _edit(tables / "entities.csv", 2, "note", "'=1+1")
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    assert code == 0, err
    document = json.loads(_export_json(store))
    assert next(iter(document["entities"].values()))["note"] == "=1+1"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from xmfin import progress

    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress.bytes_read(1000, "importing") as advance:
        assert advance is None
    assert quiet.getvalue() == ""
    shown = _Terminal()
    monkeypatch.setattr(sys, "stderr", shown)
    with progress.bytes_read(1000, "importing") as advance:
        assert advance is not None
        advance(500)
        advance(500)
        progress.phase(advance, "indexing")
    assert "importing" in shown.getvalue() or "indexing" in shown.getvalue()
    progress.phase(None, "indexing")  # no bar: nothing to say


def test_csv_fast_path_reads_plain_rows(tmp_path: Path) -> None:
    """Rows without quotes, former names or figures go the fast path (and the round trips above show that it
    gives the loader's records); the others, and bad cells, the loader's."""
    from xmfin.csv_import import import_csv

    tables = tmp_path / "tables"
    code, _, err = _run(["export", "-f", "csv", "-o", str(tables), "--data", str(bundled_data())])
    assert code == 0, err
    counts = import_csv(tables, tmp_path / "s.xmfin")
    assert 0 < counts["slow"] < counts["holding"] / 2


@pytest.mark.parametrize("example", sorted(p.name for p in BODS_EXAMPLES.glob("*.json")))
def test_bods_store_import_equals_folder_import(example: str, tmp_path: Path) -> None:
    """The same records, the same notices, the same warnings from `check`, as the folder import."""
    folder_err, store_err, folder, store = imported_both_ways(tmp_path, BODS_EXAMPLES / example)
    assert store_err.splitlines()[-1] == folder_err.splitlines()[-1].replace(str(folder), str(store))
    assert _export_json(store) == _export_json(folder)
    checks = [_run(["check", "--data", str(data), "--json"]) for data in (folder, store)]
    found = [[(p["severity"], p["message"]) for p in json.loads(out)["problems"]] for _, out, _ in checks]
    assert sorted(found[0]) == sorted(found[1])


def test_bods_store_import_of_an_xmfin_export(tmp_path: Path) -> None:
    """An xmfin export's annotations restore its records, checked as the folder import checks them."""
    exported, store = tmp_path / "all.json", tmp_path / "s.xmfin"
    code, _, err = _run(["export", "-f", "bods", "-o", str(exported), "--data", str(bundled_data())])
    assert code == 0, err
    code, _, err = _run(["import", "bods", str(exported), "--store", str(store)])
    assert code == 0, err
    assert f"wrote {store}:" in err
    assert _export_json(store) == _export_json(bundled_data())


STREAMED = {
    "lines": '{"a": 1}\n{"b": [1, 2]}\n\n[{"c": 3}, {"d": 4}]\n',
    "array over lines": '[\n {"a": 1},\n {"b": "x\\u00e9"}\n]\n',
    "bad in array": '[\n {"a": 1},\n {"b": }\n]\n',
    "bad line": '{"a": 1}\n{"b": }\n',
    "NaN": '[{"a": NaN}]',
    "NaN line": '{"a": 1}\n{"a": NaN}\n',
    "empty": "   \n",
    "one object": '{\n "a": 1\n}\n',
    "a number": "5",
    "a number then lines": '5\n{"a": 1}\n',
    "after the array": '[{"a": 1}] x',
    "byte order mark": '\ufeff[{"a": 1}]',
    "number at the end": "[1, 23456]",
    "unterminated": '[{"a": "abc',
    "late error": "[" + ", ".join(['{"a": 1}'] * 50) + ', {"b": tru}]',
    # JSON Lines end at "\n" only: U+2028, U+2029 and U+0085 may stand raw in a JSON string (str.splitlines
    # broke such a line, and the whole-file reader refused a file the streamed one read).
    "line separators in strings": '{"a": "x\u2028y"}\n{"b": "\u0085\u2029"}\n',
    "form feed after a line": '{"a": 1}\x0c\n{"b": 2}\n',
}


@pytest.mark.parametrize("case", sorted(STREAMED))
def test_streamed_reading_reads_as_whole(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """iter_statements gives read_statements' statements, or its message, whatever the size of the chunks."""
    _reads_as_whole(tmp_path, STREAMED[case], (1, 3, 1 << 20), monkeypatch)


def _reads_as_whole(tmp_path: Path, text: str, chunks: tuple[int, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """iter_statements gives read_statements' statements, or its message, at each chunk size."""
    from xmfin import bods_read
    from xmfin.bods_read import BodsError, iter_statements, read_statements

    path = tmp_path / "f.json"
    path.write_text(text, encoding="utf-8")

    def outcome(read: Any) -> tuple[str, Any]:
        try:
            return "ok", list(read(path))
        except BodsError as error:
            return "error", str(error)

    whole = outcome(read_statements)
    for chunk in chunks:
        monkeypatch.setattr(bods_read, "CHUNK", chunk)
        assert outcome(iter_statements) == whole, chunk


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(st.dictionaries(st.sampled_from("abc"), st.integers() | st.text(max_size=5)), max_size=8),
    lines=st.booleans(),
    spaces=st.lists(st.sampled_from(["", " ", "\n", "\n\n", "\t"]), min_size=9, max_size=9),
    broken=st.none() | st.integers(min_value=0, max_value=400),
)
def test_streamed_reading_places_every_message(
    values: list[dict[str, Any]],
    lines: bool,
    spaces: list[str],
    broken: int | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """For any array or JSON Lines text, whole or broken at any character, the streamed reader gives the
    statements, or the message with its line and column, that the whole-file reader gives, whatever the chunk
    size (the reader forgets text a chunk at a time and counts lines on from the last place asked)."""
    items = [json.dumps(value, ensure_ascii=False) for value in values]
    if lines:
        text = "".join(item + "\n" + spaces[n % 9].replace("\t", "") for n, item in enumerate(items))
    else:
        text = "[" + ",".join(spaces[n % 9] + item for n, item in enumerate(items)) + spaces[8] + "]"
    if broken is not None and text:
        at = broken % len(text)
        text = text[:at] + "}" + text[at + 1 :]
    _reads_as_whole(tmp_path, text, (1, 5, 64, 1 << 20), monkeypatch)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(alphabet="a\u2028\u2029\u0085\r\x0b\x0c\x1c\x1d\x1e\u00e9", max_size=6), max_size=6))
def test_bods_lines_end_at_newline_only(names: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever Unicode calls a line break in a JSON string (written raw, as json.dumps(ensure_ascii=False)
    writes it), JSON Lines read whole and streamed give the same statements: each line's own."""
    text = "".join(json.dumps({"name": name}, ensure_ascii=False) + "\n" for name in names)
    _reads_as_whole(tmp_path, text, (3, 1 << 20), monkeypatch)
    if names:
        from xmfin.bods_read import read_statements
        from xmfin.ftm_import import read_entities

        assert read_statements(tmp_path / "f.json") == [{"name": name} for name in names]
        assert read_entities(tmp_path / "f.json") == [{"name": name} for name in names]  # FtM reads lines alike


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bom=st.booleans(),
    before=st.text(alphabet="a\u00e9\u4e2d\U0001f600", max_size=12),
    bad=st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\xe4\xb8", b"\xc3(", b"\xf0\x9f\x98"]),
)
def test_bods_not_utf8_names_the_byte_in_the_file(
    bom: bool, before: str, bad: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that is not UTF-8 is refused naming the offset in the file of its first bad byte, read whole or
    streamed at any chunk size: counted from the file's start, byte order mark included, and not from the
    start of a chunk when the bad sequence began in the chunk before."""
    from xmfin import bods_read
    from xmfin.bods_read import BodsError, iter_statements, read_statements

    data = (b"\xef\xbb\xbf" if bom else b"") + b'{"a": "' + before.encode() + bad + b'"}\n'
    path = tmp_path / "f.json"
    path.write_bytes(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as problem:
        expected = f"{path}: not UTF-8 text (byte {problem.start})"
    with pytest.raises(BodsError) as whole:
        read_statements(path)
    assert str(whole.value) == expected
    for chunk in (1, 2, 3, 5, 1 << 20):
        monkeypatch.setattr(bods_read, "CHUNK", chunk)
        with pytest.raises(BodsError) as streamed:
            list(iter_statements(path))
        assert str(streamed.value) == expected, chunk


def test_bods_store_import_of_series_out_of_order(tmp_path: Path) -> None:
    """Statements of one record spread over the file and out of date order, a record restated as another type,
    an xmfin id that must be taken before a name takes it: the staged statements (SQLite) give the folder's
    records and notices."""

    def party(record: str, name: str, date: str, xmfin: str | None = None, kind: str = "entity") -> dict[str, Any]:
        details: dict[str, Any] = {"name": name, "entityType": {"type": "registeredEntity"}}
        if xmfin:
            details["identifiers"] = [{"schemeName": "xmfin", "id": xmfin}]
        return {
            "statementId": f"{record}-{date}",
            "statementDate": date,
            "recordId": record,
            "recordType": kind,
            "recordDetails": details,
        }

    def link(record: str, owner: str, owned: str, date: str, share: float) -> dict[str, Any]:
        interest = {"type": "shareholding", "directOrIndirect": "direct", "share": {"exact": share}}
        return {
            "statementId": f"{record}-{date}",
            "statementDate": date,
            "recordId": record,
            "recordType": "relationship",
            "recordDetails": {"interestedParty": owner, "subject": owned, "interests": [interest]},
        }

    statements = [
        link("r1", "a", "b", "2021-01-01", 40),
        party("b", "Beta Co", "2020-01-01"),
        party("a", "Alpha", "2021-06-01"),
        link("r1", "a", "b", "2020-01-01", 30),
        party("a", "Alpha Old", "2019-01-01"),
        party("c", "Beta Co", "2020-01-01", xmfin="beta-co"),
        {"statementId": "x", "recordId": "b", "recordType": "relationship", "recordDetails": {}},
        party("b", "Beta Co", "2022-01-01"),
        "not a statement",
    ]
    folder_err, _, folder, store = imported_both_ways(tmp_path, statements)
    assert "record b is a entity in an earlier statement" in folder_err and "statement #9: not imported" in folder_err
    assert _export_json(store) == _export_json(folder)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging file left behind


def test_csv_table_that_is_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    (tables / "roles.csv").unlink()
    os.mkfifo(tables / "roles.csv")
    command = [sys.executable, "-m", "xmfin", "import", "csv", str(tables), "--store", str(store)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "roles.csv is not a regular file" in done.stderr
    assert not store.exists()


def test_csv_round_trip_of_any_text(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Whatever text a name, alias, note or `extra` holds (formula starts, apostrophes, 'null', line breaks,
    any script), export -f csv then import csv gives it back."""
    from xmfin.csv_import import import_csv
    from xmfin.model import Dataset, Entity, Holding
    from xmfin.output.export import CSV_TABLES, plain, write_csv
    from xmfin.storage.store import Store

    texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
    values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(10**6), 10**6)
        | st.floats(allow_nan=False, allow_infinity=False)
        | texts,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
        max_leaves=6,
    )

    @settings(max_examples=40, deadline=None)
    @given(
        name=texts, alias=texts, note=st.none() | texts, extra=st.none() | st.dictionaries(texts, values, max_size=3)
    )
    def round_trip(name: str, alias: str, note: str | None, extra: Any) -> None:
        folder = tmp_path_factory.mktemp("t")
        data = Dataset(
            entities={
                "a": Entity("a", name, aliases=(alias,), note=note, extra=extra),
                "b": Entity("b", alias, note=name),
            },
            holdings=[Holding("a", "b", 50.0, note=note, extra=extra)],
        )
        for table in CSV_TABLES:
            with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as stream:
                write_csv(data, table, stream)
        store = folder / "s.xmfin"
        import_csv(folder, store)
        found = Store.open(store).everything()
        assert [plain(e) for e in found.entities.values()] == [plain(e) for e in data.entities.values()]
        assert [plain(h) for h in found.holdings] == [plain(h) for h in data.holdings]

    round_trip()


# -- the fast path of import csv against the loader's path, cell by cell --------------------------------------

_HOSTILE_CELLS = [
    "'",  # a lone apostrophe: the loader reads an empty cell (null), the fast path read ""
    "''",
    "'x",
    "null",
    "'null",
    "1e400",
    "-0",
    "[" * 50000,  # nested past what json can read: the fast path let RecursionError out (exit 70)
    '{"a":' * 30000,
    "[" * 101 + "]" * 101,  # readable, but past a data file's 100 levels: export then ran out of stack
    "[" * 950 + "]" * 950,
    "[" * 100 + "]" * 100,
    '["' + "[" * 200 + '"]',
    '[{"source":"src","quote":"q"}]',
    '["src","src"]',
    "a\u2028b",
]
_EDITED = (
    [
        ("holdings.csv", column)
        for column in (
            "owner",
            "stake",
            "control",
            "since",
            "sources",
            "note",
            "extra",
            "quotes",
            "stake_min",
            "pending",
        )
    ]
    + [("entities.csv", column) for column in ("id", "name", "name_zh", "aliases", "jurisdiction", "note", "extra")]
    + [("sources.csv", column) for column in ("title", "url", "extra")]
    + [
        ("roles.csv", "title"),
        ("licences.csv", "number"),
        ("groups.csv", "name"),
        ("categories.csv", "name"),
    ]
)


def _import_outcome(tables: Path, store: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    from xmfin import csv_import
    from xmfin.errors import XmfinError

    with monkeypatch.context() as patch:
        if not fast:

            def slow(self: Any, line: int, cells: list[str]) -> None:
                raise csv_import._Slow

            patch.setattr(csv_import._Fast, "add", slow)
        try:
            csv_import.import_csv(tables, store)
        except XmfinError as error:
            assert not store.exists()
            return "error", str(error)
    code, out, err = _run(["export", "-f", "json", "--data", str(store)])
    store.unlink()
    return "ok", code, out, err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(_EDITED), cell=st.sampled_from(_HOSTILE_CELLS) | st.text(max_size=6))
def test_csv_fast_path_gives_the_loaders_verdict(
    where: tuple[str, str], cell: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a cell holds, the fast path gives the record the loader's path gives, or leaves the row to it:
    the same store (the same export), or the same one-line error; never an exception of Python's."""
    tmp_path = tmp_path_factory.mktemp("cells")
    tables = _tables(tmp_path)
    table, column = where
    _edit(tables / table, 2, column, cell)
    fast = _import_outcome(tables, tmp_path / "s.xmfin", True, monkeypatch)
    assert fast == _import_outcome(tables, tmp_path / "s.xmfin", False, monkeypatch)
    assert fast[0] == "error" or fast[1] == 0, fast


@pytest.mark.parametrize("column", ["extra", "sources", "quotes"])
def test_csv_json_cell_nested_too_deeply(column: str, tmp_path: Path) -> None:
    """A JSON cell nested past a data file's limit, or past what json reads: one line at the cell, exit 1."""
    for depth, why in ((101, "nested more than 100 levels deep; flatten the data"), (50000, "not JSON (")):
        tables, store = _tables(tmp_path / str(depth)), tmp_path / "s.xmfin"
        _edit(tables / "holdings.csv", 2, column, "[" * depth + "]" * depth)
        code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
        place = ["owner", "owned", "stake", "control", "since", "until", "sources", "note", "extra", "quotes"]
        assert code == 1 and not store.exists(), err
        assert err.startswith(f"xmfin: error: {tables / 'holdings.csv'}:2:{place.index(column) + 1}: {column}: {why}")
        assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("table", "row"), [("families.csv", "bank,Again,,false,"), ("categories.csv", "microcredit,bank,Again,,")]
)
def test_csv_family_or_category_twice(table: str, row: str, tmp_path: Path) -> None:
    """A family or a category whose id an earlier row has (no unique index refuses them in the store, whose
    layout has none for these tables): refused at the second row's id cell, as two sources of one id are."""
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    path = tables / table
    lines = path.read_bytes().rstrip(b"\r\n").split(b"\r\n")
    first = next(n for n, line in enumerate(lines, start=1) if line.startswith(row.split(",")[0].encode() + b","))
    path.write_bytes(b"\r\n".join([*lines, row.encode()]) + b"\r\n")
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    assert code == 1 and not store.exists(), err
    key = row.split(",")[0]
    expected = f"{path}:{len(lines) + 1}:1: the id '{key}' is taken already (by the row at line {first})"
    assert err.strip().splitlines() == [f"xmfin: error: {expected}: nothing written"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.text(alphabet="ab,\u00e9\u4e2d", max_size=6), min_size=1, max_size=8),
    ends=st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=8, max_size=8),
    where=st.integers(min_value=0),
    bad=st.sampled_from([b"\xff", b"\xe4\xb8", b"\xc3("]),
    block=st.sampled_from([1, 2, 3, 7, 1 << 20]),
)
def test_csv_not_utf8_names_the_line_and_byte(
    lines: list[str],
    ends: list[str],
    where: int,
    bad: bytes,
    block: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first byte that is not UTF-8 is named by its line (ended by CR LF, LF or CR, as csv counts them)
    and its place in the line (from 0), whatever the blocks it is read in; not by where the text reader's
    block began, ahead of the rows."""
    import re

    from xmfin import csv_import

    text = "".join(line + ends[n] for n, line in enumerate(lines))
    cut = where % (len(text) + 1)
    if text[cut - 1 : cut] == "\r" and text[cut : cut + 1] == "\n":
        cut -= 1  # not inside a CR LF
    prefix = text[:cut].encode()
    path = tmp_path / "t.csv"
    path.write_bytes(prefix + bad + text[cut:].encode())
    before = re.split(r"\r\n|\r|\n", text[:cut])
    monkeypatch.setattr(csv_import, "_BLOCK", block)
    assert csv_import._first_bad_byte(path) == (len(before), len(before[-1].encode()))


def test_csv_not_utf8_on_a_later_row(tmp_path: Path) -> None:
    """A table in GBK after its first rows: the error names the row's line, not the header's."""
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    path = tables / "entities.csv"
    rows = path.read_bytes().split(b"\r\n")
    assert "阿尔法".encode() in rows[1]
    rows[1] = rows[1].replace("阿尔法".encode(), "阿尔法".encode("gbk"))
    path.write_bytes(b"\r\n".join(rows))
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    at = rows[1].index("阿尔法".encode("gbk"))
    assert code == 1 and not store.exists()
    assert err.strip().splitlines() == [f"xmfin: error: {path}:2: not UTF-8 text (byte {at} of the line)"]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"\r\n"])
def test_csv_table_with_nothing_but_a_byte_order_mark_is_empty(content: bytes, tmp_path: Path) -> None:
    """An empty table saved by an editor as "UTF-8 with BOM" is an empty table, as an empty file is (it was
    refused: unknown column '')."""
    tables, store = _tables(tmp_path), tmp_path / "s.xmfin"
    (tables / "roles.csv").write_bytes(content)
    code, _, err = _run(["import", "csv", str(tables), "--store", str(store)])
    assert code == 0, err
    assert json.loads(_export_json(store))["roles"] == []
