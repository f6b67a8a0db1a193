"""`xmfin export -f parquet -o DIR`: the CSV tables, typed, read back by pyarrow, DuckDB and pandas.

The oracle is `csv_table` (the CSV export): every Parquet table has its columns in its order and its rows, and
each value, decoded (JSON text parsed, a list as a list) and written as the CSV writes a cell, is that cell.
On top of that each column has its type and a null is a null, never "".
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from xmfin import fileio  # noqa: E402
from xmfin.api import bundled_data  # noqa: E402
from xmfin.model import Dataset  # noqa: E402
from xmfin.output import parquet  # noqa: E402
from xmfin.output.export import CSV_TABLES, _cell, csv_table, plain, select  # noqa: E402
from xmfin.storage.loading import load  # noqa: E402

from .conftest import FIXTURES, Invoke, load_case  # noqa: E402

VALID = sorted(
    path.name
    for path in FIXTURES.iterdir()
    if (path / "entities.yaml").is_file() and path.name not in ("invalid", "several-errors")
)
FOLDERS = ["bundled", *VALID]
JSON_COLUMNS = {"extra", "quotes"}
LIST_COLUMNS = {"sources", "aliases", "entities"}


def folder_of(name: str) -> Path:
    return bundled_data() if name == "bundled" else FIXTURES / name


def export_parquet(xmfin: Invoke, folder: Path, out: Path, *more: str) -> None:
    result = xmfin("export", "-f", "parquet", "-o", str(out), "--data", str(folder), *more, case=None)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


def decoded(column: str, value: Any) -> Any:
    """A Parquet value as the record's plain value: JSON text parsed, anything else as it is."""
    if column in JSON_COLUMNS and value is not None:
        return json.loads(value)
    return value


def check_against_csv(data: Dataset, out: Path) -> None:
    """Every table of out equals csv_table's, typed, with the nulls where the records have None."""
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{table}.parquet" for table in CSV_TABLES)
    for table in CSV_TABLES:
        header, csv_rows = csv_table(data, table)
        read = pq.read_table(out / f"{table}.parquet")
        assert read.column_names == header, table
        rows = read.to_pylist()
        assert len(rows) == len(csv_rows), table
        for row, csv_row in zip(rows, csv_rows, strict=True):
            cells = [_cell(decoded(name, row[name])) for name in header]
            if table == "figures":  # float64 in Parquet; csv writes a decimal value of whole size as "1.0"
                at = header.index("value")
                assert float(cells[at]) == float(csv_row[at]), (table, row)
                cells[at] = csv_row[at]
            assert cells == csv_row, (table, row)
        # A null is exactly a None of the records; an empty list is [] and no quotes the JSON text "[]".
        expected = expected_plain(data, table, header)
        for at, name in enumerate(header):
            column = read.column(name).to_pylist()
            assert [value is None for value in column] == [row[at] is None for row in expected], (table, name)
            if name in LIST_COLUMNS:
                assert all(isinstance(value, list) for value in column)
            if name == "quotes":
                assert all(isinstance(json.loads(value), list) for value in column)


def expected_plain(data: Dataset, table: str, header: list[str]) -> list[list[Any]]:
    """The records of a table as plain values (None where the field is None), in header order."""
    if table in ("former_names", "figures"):
        return [
            [entity.id, *(plain(getattr(item, name)) for name in header[1:])]
            for entity in data.entities.values()
            for item in getattr(entity, table)
        ]
    section: Any = getattr(data, table)
    found = section.values() if isinstance(section, dict) else section
    return [[plain(getattr(record, name)) for name in header] for record in found]


@pytest.mark.parametrize("name", FOLDERS)
def test_every_table_round_trips_against_the_csv_tables(xmfin: Invoke, tmp_path: Path, name: str) -> None:
    folder = folder_of(name)
    out = tmp_path / "tables"
    export_parquet(xmfin, folder, out)
    check_against_csv(load(folder), out)


def test_one_group_as_for_csv(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "xiaomi"
    export_parquet(xmfin, bundled_data(), out, "--group", "xiaomi")
    graph = graph_of_bundled()
    part = select(graph, graph.full.groups["xiaomi"])
    check_against_csv(part, out)
    assert pq.read_table(out / "groups.parquet").column("id").to_pylist() == ["xiaomi"]
    assert pq.read_table(out / "entities.parquet").num_rows < len(graph.full.entities)


def graph_of_bundled() -> Any:
    from xmfin.dated import on_day
    from xmfin.dates import as_of_day
    from xmfin.graph import OwnershipGraph

    data = load(bundled_data())
    day = as_of_day(None)
    return OwnershipGraph(on_day(data, day), day, data)


def test_columns_are_typed(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "t"
    export_parquet(xmfin, bundled_data(), out)
    holdings = pq.read_schema(out / "holdings.parquet")
    expected = {
        "owner": pa.string(),
        "stake": pa.float64(),
        "stake_min": pa.float64(),
        "stake_max": pa.float64(),
        "stake_min_exclusive": pa.bool_(),
        "pending": pa.bool_(),
        "since": pa.string(),
        "sources": pa.list_(pa.string()),
        "extra": pa.string(),
        "quotes": pa.string(),
        "nominee_for": pa.string(),
    }
    for column, kind in expected.items():
        assert holdings.field(column).type == kind, column
    assert not holdings.field("owner").nullable
    assert holdings.field("stake").nullable
    assert holdings.field("since").metadata == {b"xmfin": b"partial date as text: YYYY, YYYY-MM or YYYY-MM-DD"}
    assert holdings.field("extra").metadata == {b"xmfin": b"JSON text"}
    assert pq.read_schema(out / "figures.parquet").field("value").type == pa.float64()
    assert pq.read_schema(out / "events.parquet").field("entities").type == pa.list_(pa.string())
    assert pq.read_schema(out / "entities.parquet").field("aliases").type == pa.list_(pa.string())
    assert pq.read_schema(out / "groups.parquet").field("default").type == pa.bool_()
    # Partial dates keep their precision: no day is invented.
    since = set(pq.read_table(out / "holdings.parquet").column("since").to_pylist()) - {None}
    assert {len(text) for text in since} == {4, 7, 10}
    assert all(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text) for text in since)


def test_nulls_are_nulls_and_never_empty_text(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "t"
    export_parquet(xmfin, FIXTURES / "interop", out)
    vie = next(row for row in pq.read_table(out / "holdings.parquet").to_pylist() if row["control"] == "vie")
    assert vie["stake"] is None
    assert vie["since"] is None
    assert vie["extra"] is None
    assert vie["nominee_for"] is None
    assert vie["quotes"] == "[]"
    assert vie["sources"] == ["article"]
    entities = pq.read_table(out / "entities.parquet").to_pylist()
    assert any(row["name_zh"] is None for row in entities)
    assert all(row["aliases"] == [] or row["aliases"] for row in entities)


def test_chinese_text_round_trips(xmfin: Invoke, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "t"
    export_parquet(xmfin, bundled_data(), out)
    data = load(bundled_data())
    names = dict(
        zip(*pq.read_table(out / "entities.parquet", columns=["id", "name_zh"]).to_pydict().values(), strict=True)
    )
    assert names == {key: entity.name_zh for key, entity in data.entities.items()}
    assert names["xiaomi-corp"] == "小米集团"
    found = (
        duckdb.connect()
        .execute(f"SELECT id FROM '{out}/entities.parquet' WHERE name_zh LIKE '%小米%' ORDER BY id")
        .fetchall()
    )
    assert ("xiaomi-corp",) in found
    assert len(found) == sum("小米" in (e.name_zh or "") for e in data.entities.values())


@pytest.mark.parametrize("name", ["bundled", "interop", "names", "hostile"])
def test_duckdb_reads_what_pyarrow_reads(xmfin: Invoke, tmp_path: Path, name: str) -> None:
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "t"
    export_parquet(xmfin, folder_of(name), out)
    connection = duckdb.connect()
    for table in CSV_TABLES:
        path = out / f"{table}.parquet"
        arrow_rows = [tuple(row.values()) for row in pq.read_table(path).to_pylist()]
        assert connection.execute(f"SELECT * FROM read_parquet('{path}')").fetchall() == arrow_rows, table
    described = connection.execute(f"DESCRIBE SELECT * FROM '{out}/holdings.parquet'").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["stake"] == "DOUBLE"
    assert types["pending"] == "BOOLEAN"
    assert types["sources"] == "VARCHAR[]"
    # An analyst's query: the typed columns work as they are, JSON text with DuckDB's JSON functions.
    undisclosed = connection.execute(f"SELECT count(*) FROM '{out}/holdings.parquet' WHERE stake IS NULL").fetchone()
    data = load(folder_of(name))
    assert undisclosed == (sum(h.stake is None for h in data.holdings),)


def test_pandas_reads_the_tables(xmfin: Invoke, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    out = tmp_path / "t"
    export_parquet(xmfin, bundled_data(), out)
    data = load(bundled_data())
    holdings = pd.read_parquet(out / "holdings.parquet")
    assert len(holdings) == len(data.holdings)
    assert str(holdings["stake"].dtype) == "float64"
    assert str(holdings["pending"].dtype) == "bool"
    assert int(holdings["stake"].isna().sum()) == sum(h.stake is None for h in data.holdings)
    assert list(holdings["sources"].iloc[0]) == list(data.holdings[0].sources)
    entities = pd.read_parquet(out / "entities.parquet")
    assert entities.set_index("id").loc["xiaomi-corp", "name_zh"] == "小米集团"


def test_batches_make_row_groups_and_the_same_table(tmp_path: Path) -> None:
    data = load(bundled_data())
    path = tmp_path / "holdings.parquet"
    with open(path, "wb") as stream:
        parquet.write_table(data, "holdings", stream, batch_rows=7)
    read = pq.ParquetFile(path)
    assert read.metadata.num_row_groups == -(-len(data.holdings) // 7)
    whole = tmp_path / "whole.parquet"
    with open(whole, "wb") as stream:
        parquet.write_table(data, "holdings", stream)
    assert pq.ParquetFile(whole).metadata.num_row_groups == 1
    assert read.read().to_pylist() == pq.read_table(whole).to_pylist()


def test_writing_takes_memory_for_one_batch_not_the_table(tmp_path: Path) -> None:
    """Ten times the rows, about the same peak of Python memory while writing (tracemalloc)."""
    import tracemalloc

    from xmfin.model import Holding

    def peak(count: int) -> int:
        data = Dataset(holdings=[Holding(f"o{i}", f"d{i}", stake=float(i % 100), sources=("s",)) for i in range(count)])
        with open(tmp_path / f"{count}.parquet", "wb") as stream:
            tracemalloc.start()
            parquet.write_table(data, "holdings", stream, batch_rows=1000)
            found = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert pq.read_table(tmp_path / f"{count}.parquet").num_rows == count
        return found

    assert peak(30_000) < 2 * peak(3_000)


def test_an_empty_table_has_its_columns(xmfin: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "t"
    export_parquet(xmfin, FIXTURES / "nodefault", out)
    read = pq.read_table(out / "holdings.parquet")
    assert read.num_rows == 0
    assert read.schema == parquet.schema("holdings")


def test_stdout_is_refused(xmfin: Invoke) -> None:
    result = xmfin("export", "-f", "parquet")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "xmfin: error: parquet makes a folder of binary files, one per table, never stdout: give -o DIR\n"
    )


def test_table_and_excel_go_with_csv_only(xmfin: Invoke, tmp_path: Path) -> None:
    assert "--table goes with --format csv" in xmfin("export", "-f", "parquet", "--table", "holdings").stderr
    assert "--excel goes with --format csv" in xmfin("export", "-f", "parquet", "--excel", "-o", str(tmp_path)).stderr


def everything(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_an_output_that_is_a_file_is_left_as_it_was(xmfin: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "tables"
    target.write_bytes(b"mine")
    result = xmfin("export", "-f", "parquet", "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == f"xmfin: error: -o {target}: parquet writes a folder of tables, and this is a file\n"
    assert everything(tmp_path) == {"tables": b"mine"}


class FailingStream:
    """A binary stream that takes `budget` bytes, then fails as a full disk does."""

    def __init__(self, inner: Any, budget: int) -> None:
        self.inner = inner
        self.budget = budget

    def write(self, data: Any) -> int:
        if len(data) > self.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget -= len(data)
        return int(self.inner.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __enter__(self) -> FailingStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.close()


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "existing folder"])
def test_a_failure_half_way_leaves_nothing_half_written(
    xmfin: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    out = tmp_path / "new" / "tables"
    if existing:
        export_parquet(xmfin, FIXTURES / "basic", out)
        (out / "mine.txt").write_bytes(b"mine")
    before = everything(tmp_path)
    real = fileio._stream
    opened: list[int] = []

    def failing_fifth(*args: Any) -> Any:
        opened.append(1)
        return FailingStream(real(*args), 100 if len(opened) == 5 else 10**9)

    monkeypatch.setattr(fileio, "_stream", failing_fifth)
    result = xmfin("export", "-f", "parquet", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert result.stderr == f"xmfin: error: -o {out}: cannot write: No space left on device\n"
    assert len(opened) == 5
    assert everything(tmp_path) == before
    assert not list(tmp_path.rglob(f"*{fileio.TEMP_SUFFIX}"))
    if not existing:
        assert not (tmp_path / "new").exists()


def test_without_pyarrow_one_line_says_how_to_install_it(
    xmfin: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in sys.modules if name == "pyarrow" or name.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    result = xmfin("export", "-f", "parquet", "-o", str(tmp_path / "never-written"), case="invalid")
    assert result.exit_code == 2
    assert result.stderr == (
        "xmfin: error: parquet export needs pyarrow, which is not installed: pip install 'xmfin[parquet]'\n"
    )
    assert not list(tmp_path.iterdir())
    # The data is not even read (an invalid folder would say so); other formats work without pyarrow.
    assert xmfin("export", "-f", "csv", "--table", "families").exit_code == 0


def test_the_module_loads_without_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only writing imports pyarrow: the columns and rows need none (and `xmfin --help` never loads it)."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    data = load_case("basic")
    assert [c.name for c in parquet.columns("holdings")] == csv_table(data, "holdings")[0]
    assert len(list(parquet.rows(data, "holdings"))) == len(data.holdings)
    with pytest.raises(Exception, match=r"pip install 'xmfin\[parquet\]'"):
        parquet.require_pyarrow()


def test_polars_reads_the_tables_when_installed(xmfin: Invoke, tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    out = tmp_path / "t"
    export_parquet(xmfin, FIXTURES / "interop", out)
    holdings = pl.read_parquet(out / "holdings.parquet")
    assert holdings.rows() == [tuple(row.values()) for row in pq.read_table(out / "holdings.parquet").to_pylist()]


_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    notes=st.lists(st.one_of(st.none(), _TEXT), min_size=0, max_size=5),
    stakes=st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=5, max_size=5),
    extra=st.one_of(st.none(), st.dictionaries(_TEXT, st.one_of(_TEXT, st.integers(), st.booleans()), max_size=3)),
)
def test_any_text_stake_and_extra_round_trips(notes: list[str | None], stakes: list[float | None], extra: Any) -> None:
    """Whatever the text (any character a YAML file can hold: controls, CJK, bidi marks, emoji), the stake or
    the extra, the Parquet row holds it exactly, and the CSV cell agrees with it."""
    import io

    from xmfin.model import Holding

    data = Dataset(
        holdings=[
            Holding(f"o{i}", f"d{i}", stake=stakes[i], note=note, extra=extra, sources=(note or "s",))
            for i, note in enumerate(notes)
        ]
    )
    buffer = io.BytesIO()
    parquet.write_table(data, "holdings", buffer)
    read = pq.read_table(io.BytesIO(buffer.getvalue())).to_pylist()
    header, csv_rows = csv_table(data, "holdings")
    assert [row["note"] for row in read] == notes
    assert [row["stake"] for row in read] == stakes[: len(notes)]
    assert [row["sources"] for row in read] == [[note or "s"] for note in notes]
    assert all(decoded("extra", row["extra"]) == extra for row in read)
    for row, csv_row in zip(read, csv_rows, strict=True):
        assert [_cell(decoded(name, row[name])) for name in header] == csv_row
