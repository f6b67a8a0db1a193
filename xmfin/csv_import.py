"""`xmfin import csv DIR --store FILE`: the tables `xmfin export -f csv -o DIR` writes, into a store.

Each table is read row by row and each row becomes one record, written straight into the store (StoreWriter):
memory stays the same whatever the size of the tables. A cell is read back as the export wrote it: an empty
cell is null, lists and `extra` are JSON, and one leading apostrophe (added before text a spreadsheet would run
as a formula) is removed. A row is read as the loader reads the same record in a data file: a plain row by a
fast path that checks each cell with the loader's own converters and writes the record's text for the store
straight from the cells (`_Fast`: no record object, no second encoding; the tests compare it with the loader's
records); any other row (one with former names or figures, a cell the fast path does not take, a bad cell)
by the loader's record builder (storage/loading.py), so that a bad cell gets the message a YAML value gets,
with the file, line and column (the cell's place in its row, from 1) of the cell. `former_names` and
`figures` rows are joined to their entity as they are read: they must come in the order of entities.csv, as
the export writes them. A table that is not there is empty.

Once every row is in, the checks that span records run as indexed queries on the store (see `check_store`);
docs/cli.md lists them.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from xmfin.dates import DateError, parse_date
from xmfin.errors import Problem, UsageError, XmfinError
from xmfin.model import Location
from xmfin.storage import loading
from xmfin.storage.loading import FIELDS, ID_PATTERN, RECORD_CLASSES, SECTIONS, _Mark, _Reader
from xmfin.storage.store import ID_LABEL, NAME_LABEL, StoreWriter
from xmfin.storage.yamlread import MAX_DEPTH, Quoted, YList, YMap

# The record tables in the order of the data files (export.RECORD_TYPES without importing the export module).
TABLES: dict[str, str] = {
    section: record_type for sections in SECTIONS.values() for section, (_, record_type) in sections.items()
}
NESTED = {"former_names": "former_name", "figures": "figure"}
_NULL_TEXTS = frozenset({"~", "null", "Null", "NULL"})
# The largest cell read (csv's own limit is 128 KiB; an `extra` cell can be larger).
FIELD_LIMIT = 64 << 20


class CsvError(XmfinError):
    """A table that cannot be read: a bad cell, an unknown column, text that is not CSV (exit 1)."""


class _Table:
    """One CSV table read row by row: its header, and each row as (line, cells) with the line it starts on."""

    def __init__(self, folder: Path, name: str, label: str) -> None:
        self.path = folder / f"{name}.csv"
        self.file = os.path.join(label, f"{name}.csv")
        self.stream: TextIO | None = None
        self.header: list[str] = []
        self.done = False

    def open(self, progress: Callable[[int], None] | None) -> bool:
        """Open the table (False when it is not there: an empty table) and read its header."""
        try:
            # Opened without waiting, and only a regular file read: a FIFO in a table's place would block forever.
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            self.done = True
            return False
        except OSError as error:
            raise UsageError(f"cannot read {self.file}: {error.strerror or error}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UsageError(f"{self.file} is not a regular file")
        raw = open(fd, "rb")  # noqa: SIM115 - closed by close()
        counted = _Counted(raw, progress) if progress is not None else raw
        self.stream = _text_stream(counted)
        self.reader = csv.reader(self.stream, strict=True)
        first = self.next_row()
        if first is None:
            self.done = True
            return True
        line, header = first
        if header and header[0].startswith("\ufeff"):  # written with --excel
            header[0] = header[0][1:]
        if header == [""]:  # only a byte order mark (an empty file saved as "UTF-8 with BOM"): an empty table
            header = []
        self.header = header
        self.header_line = line
        return True

    def next_row(self) -> tuple[int, list[str]] | None:
        """The next row and the line it starts on, or None at the end."""
        assert self.stream is not None
        start = self.reader.line_num + 1
        try:
            row = next(self.reader)
        except StopIteration:
            self.done = True
            return None
        except csv.Error as error:
            raise CsvError(f"{self.file}:{self.reader.line_num}: not valid CSV: {error}") from None
        except UnicodeDecodeError:
            # The text is decoded a block at a time, ahead of the rows: the error's place is in the block, not
            # in the row being read. The file is read again up to its first byte that is not UTF-8.
            line, at = _first_bad_byte(self.path)
            raise CsvError(f"{self.file}:{line}: not UTF-8 text (byte {at} of the line)") from None
        return start, row

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        while not self.done:
            found = self.next_row()
            if found is None:
                return
            if found[1]:  # csv gives a blank line as an empty row
                yield found

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


_BLOCK = 1 << 20


def _first_bad_byte(path: Path) -> tuple[int, int]:
    """The line (from 1, as csv counts lines: ended by CR LF, LF or CR) of the first byte of a file that is not
    UTF-8, and its place in the line (from 0); read a block at a time."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line, line_start, offset, after_cr = 1, 0, 0, False
    with path.open("rb") as stream:
        while True:
            block = stream.read(_BLOCK)
            start = offset - len(decoder.getstate()[0])  # the file offset of the bytes decoded now
            try:
                decoder.decode(block, final=not block)
                bad = -1
            except UnicodeDecodeError as error:
                bad = start + error.start
            # Count the line breaks before the bad byte (or in the whole block).
            end = len(block) if bad < 0 else max(0, bad - offset)
            part = block[:end]
            breaks = part.count(b"\n") + part.count(b"\r") - part.count(b"\r\n")
            if after_cr and part.startswith(b"\n"):
                breaks -= 1  # a CR LF across two blocks
            line += breaks
            last = max(part.rfind(b"\n"), part.rfind(b"\r"))
            if last >= 0:  # (the LF of a CR LF across two blocks ends no line, but the line starts after it)
                line_start = offset + last + 1
            if bad >= 0:
                return line, bad - line_start
            if not block:
                return line, 0  # not reached: the text reader found a bad byte
            after_cr = block.endswith(b"\r")
            offset += len(block)


def _text_stream(raw: Any) -> TextIO:
    import io

    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


class _Counted:
    """A binary file that tells `progress` how many bytes were read."""

    def __init__(self, raw: Any, progress: Callable[[int], None]) -> None:
        self.raw = raw
        self.progress = progress

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        self.progress(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()

    def flush(self) -> None:
        pass


def _text_cell(cell: str) -> str:
    """The text a cell holds: one leading apostrophe (the export's mark of text) removed."""
    return cell[1:] if cell.startswith("'") else cell


def _scalar(cell: str) -> str:
    """A cell as the loader reads a plain YAML scalar: 'null' and '~' stay text (quoted)."""
    text = _text_cell(cell)
    return Quoted(text) if text in _NULL_TEXTS else text


def yaml_value(value: Any, mark: _Mark, number: Callable[[Any], str] = repr, text: Callable[[str], str] = str) -> Any:
    """A JSON value as the YAML reader gives it (text quoted, numbers and booleans as plain scalars), with every
    mark at the given one: the loader then converts it exactly as it converts the same value in a data file.
    `number` and `text`: how a number and a text are written (an import that mirrors yamltext's writing passes
    its rules: the loader then reads what it would read from the YAML an import writes)."""
    if isinstance(value, dict):
        mapping = YMap(mark.line, mark.column)
        for key, item in value.items():
            mapping[str(key)] = yaml_value(item, mark, number, text)
            mapping.key_marks[str(key)] = mark
            mapping.value_marks[str(key)] = mark
        return mapping
    if isinstance(value, (list, tuple)):
        items = YList(mark.line, mark.column)
        for item in value:
            items.append(yaml_value(item, mark, number, text))
            items.item_marks.append(mark)
        return items
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number(value)
    return Quoted(text(str(value)))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class _CsvReader(_Reader):
    """The loader's record builder, with the header of each table read (for the columns of problems)."""

    def __init__(self, folder: Path, label: str) -> None:
        super().__init__(folder, label)
        self.headers: dict[str, list[str]] = {}
        self.slow = 0  # rows read by the loader's path
        self.cited = _Cited()


class _Cited:
    """The distinct cells of the columns that name sources (`sources`, `quotes`) and entities (`nominee_for`),
    gathered as rows are read, and the ids of records read by the loader's path: when every id they name is
    known, check_store skips the scan of every record for that reference (at a million entities the scans
    took 10 s of the import). Past LIMIT distinct cells of a column, `whole` is False and the scans run."""

    LIMIT = 1 << 16

    def __init__(self) -> None:
        self.cells: dict[str, set[str]] = {"sources": set(), "quotes": set(), "nominee_for": set()}
        self.ids: dict[str, set[str]] = {"sources": set(), "nominee_for": set()}
        self.whole = True

    def gather(self, column: str, cell: str) -> None:
        found = self.cells[column]
        if cell not in found:
            if len(found) >= self.LIMIT:
                self.whole = False
            else:
                found.add(cell)

    def record(self, record: Any) -> None:
        """What a record read by the loader's path cites and nominates."""
        cited = self.ids["sources"]
        cited.update(getattr(record, "sources", ()))
        cited.update(quote.source for quote in getattr(record, "quotes", ()))
        nominee = getattr(record, "nominee_for", None)
        if nominee is not None:
            self.ids["nominee_for"].add(nominee)
        if len(cited) > self.LIMIT:
            self.whole = False

    def named(self, reference: str) -> set[str] | None:
        """Every id the rows name under `reference` (sources or nominee_for); None when not all were gathered."""
        if not self.whole:
            return None
        found = set(self.ids[reference])
        try:
            if reference == "sources":
                for cell in self.cells["sources"]:
                    found.update(str(value) for value in _json_list(cell))
                for cell in self.cells["quotes"]:
                    found.update(str(quote["source"]) for quote in _json_list(_text_cell(cell)))
            else:
                found.update(self.cells["nominee_for"])
        except (_Slow, TypeError, KeyError):  # not what the fast path reads: let the scan say what is wrong
            return None
        return found


class _Rows:
    """Turns the rows of one table into records through the loader's builder, raising CsvError at the first
    bad cell."""

    def __init__(self, reader: _CsvReader, table: _Table, record_type: str) -> None:
        self.reader = reader
        reader.headers[table.file] = table.header
        self.table = table
        self.record_type = record_type
        self.fields = FIELDS[record_type]
        known = set(self.fields) | {"quotes"}
        if record_type in NESTED.values():
            known.add("entity")
        keyed = record_type in ("source", "group", "entity", "family", "category")
        if keyed:
            known.add("id")
        self.keyed = keyed
        for index, name in enumerate(table.header, start=1):
            if name not in known:
                from xmfin.errors import did_you_mean

                hint = did_you_mean(name, sorted(known)) or f" (columns: {', '.join(sorted(known))})"
                raise CsvError(f"{table.file}:{table.header_line}:{index}: unknown column '{name}'{hint}")
        if len(set(table.header)) != len(table.header):
            twice = next(name for name in table.header if table.header.count(name) > 1)
            raise CsvError(f"{table.file}:{table.header_line}: the column '{twice}' is there twice")
        if keyed and "id" not in table.header:
            raise CsvError(f"{table.file}:{table.header_line}: no 'id' column")
        self.kinds = [self.fields[name].kind if name in self.fields else name for name in table.header]

    def mapping(self, line: int, cells: list[str]) -> tuple[YMap, dict[str, str]]:
        """A row as the YAML mapping of its record (without nested records), and its plain cells by column."""
        table = self.table
        if len(cells) != len(table.header):
            raise CsvError(f"{table.file}:{line}: {len(cells)} cells where the header has {len(table.header)} columns")
        item = YMap(line - 1, 0)
        plain: dict[str, str] = {}
        quotes: Any = None
        for column, (name, kind, cell) in enumerate(zip(table.header, self.kinds, cells, strict=True)):
            if cell == "":
                continue
            mark = _Mark(line - 1, column)
            if name in ("id", "entity"):
                plain[name] = _text_cell(cell)
                continue
            if kind in ("citations", "texts", "ids", "any", "quotes"):
                value = self.json_cell(cell, line, column, name)
                if name == "quotes":
                    quotes = (value, mark)
                    continue
                value = yaml_value(value, mark)
            elif kind in ("number", "stake", "bound", "bool"):
                value = cell  # a number or true/false, as the export writes it (never with an apostrophe)
            else:
                value = _scalar(cell)
            item[name] = value
            item.key_marks[name] = mark
            item.value_marks[name] = mark
        if quotes is not None:
            value, mark = quotes
            # Quotes are written in data files among the sources they quote: {source, quote, at} mappings.
            cited = item.get("sources")
            if not isinstance(cited, YList):
                cited = YList(mark.line, mark.column)
                if "sources" in item:
                    cited.append(item["sources"])
                    cited.item_marks.append(item.value_marks["sources"])
            quoted = yaml_value(value, mark)
            if not isinstance(quoted, YList):
                raise CsvError(f"{table.file}:{line}:{mark.column + 1}: quotes: must be a JSON list of quotes")
            for quote in quoted:
                cited.append(quote)
                cited.item_marks.append(mark)
            item["sources"] = cited
            item.key_marks.setdefault("sources", mark)
            item.value_marks["sources"] = mark
        return item, plain

    def json_cell(self, cell: str, line: int, column: int, name: str) -> Any:
        text = _text_cell(cell)
        try:
            value = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            why = error.msg if isinstance(error, json.JSONDecodeError) else str(error) or "nested too deeply"
            raise CsvError(f"{self.table.file}:{line}:{column + 1}: {name}: not JSON ({why})") from None
        if _too_deep(text, value):
            raise CsvError(
                f"{self.table.file}:{line}:{column + 1}: {name}: nested more than {MAX_DEPTH} levels deep;"
                " flatten the data"
            )
        if name != "extra" and not isinstance(value, list):
            value = [value] if isinstance(value, str) else value
        return value

    def build(self, item: YMap, line: int, record_id: str | None = None, nested: Any = None) -> Any:
        """The record of a row (nested: its former names and figures as YAML lists), or CsvError."""
        if nested:
            for key, value in nested.items():
                item[key] = value
                item.key_marks[key] = item.value_marks[key] = _Mark(value.line, value.column)
        reader = self.reader
        reader.slow += 1
        before = len(reader.problems)
        record = reader.build(self.table.file, self.record_type, item, _Mark(line - 1, 0), record_id)
        reader.origins.clear()
        found = [p for p in reader.problems[before:] if p.severity == "error"]
        if found or record is None:
            del reader.problems[before:]
            raise CsvError(_cell_message(found[0]) if found else f"{self.table.file}:{line}: not a record")
        reader.cited.record(record)
        return record


def _too_deep(text: str, value: Any) -> bool:
    """Whether a JSON cell's value is nested more than MAX_DEPTH levels, which a data file refuses (yamlread)
    and which would exhaust the stack of whatever walks it later (the loader, `export`)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # the usual cell: it cannot be that deep
        return False
    level = [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, (list, dict)):
            if depth > MAX_DEPTH:
                return True
            level.extend((inner, depth + 1) for inner in (item.values() if isinstance(item, dict) else item))
    return False


def _cell_message(problem: Problem) -> str:
    return f"{problem.loc.file}:{problem.loc.line}:{problem.loc.column}: {problem.message}"


def _check_id(table: _Table, line: int, plain: dict[str, str], key: str, what: str) -> str:
    found = plain.get(key)
    column = table.header.index(key) + 1
    if found is None:
        raise CsvError(f"{table.file}:{line}:{column}: {what} needs '{key}'")
    if ID_PATTERN.fullmatch(found) is None:
        try:
            loading._id(found)
        except loading._Invalid as error:
            raise CsvError(f"{table.file}:{line}:{column}: {what} id {error}") from None
    return found


class _Nested:
    """The rows of former_names.csv or figures.csv, read alongside entities.csv: the rows of one entity at a time."""

    def __init__(self, reader: _CsvReader, table: _Table, record_type: str) -> None:
        self.table = table
        self.rows = _Rows(reader, table, record_type) if table.stream is not None and table.header else None
        if self.rows is not None and "entity" not in table.header:
            raise CsvError(f"{table.file}:{table.header_line}: no 'entity' column")
        self.iterator = table.rows() if self.rows is not None else iter(())
        self.pending: tuple[int, YMap, str] | None = None
        self.advance()

    def advance(self) -> None:
        found = next(self.iterator, None)
        if found is None or self.rows is None:
            self.pending = None
            return
        line, cells = found
        item, plain = self.rows.mapping(line, cells)
        entity = _check_id(self.table, line, plain, "entity", self.rows.record_type.replace("_", " "))
        self.pending = (line, item, entity)

    def next_is(self, entity: str) -> bool:
        """Whether the next rows are those of entity."""
        return self.pending is not None and self.pending[2] == entity

    def of(self, entity: str) -> YList | None:
        """The YAML list of the nested records of entity (the rows that come next with its id), or None."""
        if self.pending is None or self.pending[2] != entity:
            return None
        items = YList(self.pending[0] - 1, 0)
        while self.pending is not None and self.pending[2] == entity:
            line, item, _ = self.pending
            items.append(item)
            items.item_marks.append(_Mark(line - 1, 0))
            self.advance()
        return items

    def leftover(self) -> None:
        """CsvError for a row whose entity was not the next in entities.csv (or is not there at all)."""
        if self.pending is not None:
            line, _, entity = self.pending
            column = self.table.header.index("entity") + 1
            raise CsvError(
                f"{self.table.file}:{line}:{column}: entity '{entity}' is not in entities.csv, or not in its order "
                "(rows of one entity come together, in the order of entities.csv, as export -f csv writes them)"
            )


def import_csv(
    folder: Path, output: Path, progress: Callable[[int], None] | None = None, label: str | None = None
) -> dict[str, int]:
    """The CSV tables in folder as a store at output (whole or not at all); the records written by table, and
    under `slow` how many rows took the loader's path (a row the fast path does not read: quotes, former names
    or figures, a bad cell)."""
    from xmfin.storage.building import check_output

    try:
        if not folder.is_dir():
            raise UsageError(f"'{folder}' is not a folder of CSV tables")
    except OSError as error:
        raise UsageError(f"'{folder}': {error.strerror or error}") from None
    check_output(output)
    shown = str(folder) if label is None else label
    old_limit = csv.field_size_limit(FIELD_LIMIT)
    reader = _CsvReader(folder, shown)
    try:
        with StoreWriter(output, {"label": str(output), "from": "csv"}) as writer:
            for section, record_type in TABLES.items():
                if section == "entities":
                    _entities(folder, shown, reader, writer, progress)
                else:
                    _records(folder, shown, section, record_type, reader, writer, progress)
            from xmfin.progress import phase

            phase(progress, f"indexing {output}")
            try:
                writer.index()
            except sqlite3.IntegrityError:  # a unique index refused a second record with one id
                raise CsvError(_cell_message(_duplicates(writer.db, reader.headers)[0]) + ": nothing written") from None
            problems = check_store(writer.db, reader.headers, reader.cited)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                more = f" ({len(errors) - 1} more problems found)" if len(errors) > 1 else ""
                raise CsvError(f"{_cell_message(errors[0])}{more}: nothing written")
            for problem in problems:
                writer.add_problem(problem)
            writer.finish()
            return {**writer.counts, "slow": reader.slow}
    finally:
        csv.field_size_limit(old_limit)
        loading._forget_memos()


def _records(
    folder: Path,
    label: str,
    section: str,
    record_type: str,
    reader: _CsvReader,
    writer: StoreWriter,
    progress: Callable[[int], None] | None,
) -> None:
    table = _Table(folder, section, label)
    try:
        if not table.open(progress) or not table.header:
            return
        rows = _Rows(reader, table, record_type)
        add = writer.add
        fast = _Fast(writer, record_type, table, reader.cited) if record_type in _KEYS else None
        for line, cells in table.rows():
            if fast is not None:
                try:
                    fast.add(line, cells)
                    continue
                except (_Slow, KeyError):
                    pass
            item, plain = rows.mapping(line, cells)
            record_id = _check_id(table, line, plain, "id", record_type) if rows.keyed else None
            add(rows.build(item, line, record_id))
    finally:
        table.close()


def _entities(
    folder: Path, label: str, reader: _CsvReader, writer: StoreWriter, progress: Callable[[int], None] | None
) -> None:
    tables = {name: _Table(folder, name, label) for name in ("entities", *NESTED)}
    try:
        for table in tables.values():
            table.open(progress)
        nested = {name: _Nested(reader, tables[name], record_type) for name, record_type in NESTED.items()}
        table = tables["entities"]
        if table.header:
            rows = _Rows(reader, table, "entity")
            fast = _Fast(writer, "entity", table, reader.cited)
            at = table.header.index("id")
            for line, cells in table.rows():
                entity_id = cells[at] if len(cells) > at else ""
                if not any(part.next_is(entity_id) for part in nested.values()):
                    try:
                        fast.add(line, cells)
                        continue
                    except (_Slow, KeyError):
                        pass
                item, plain = rows.mapping(line, cells)
                entity_id = _check_id(table, line, plain, "id", "entity")
                parts = {name: found for name, part in nested.items() if (found := part.of(entity_id)) is not None}
                writer.add(rows.build(item, line, entity_id, parts))
        for part in nested.values():
            part.leftover()
    finally:
        for table in tables.values():
            table.close()


# -- the fast path: a row straight to the store's JSON text -------------------------------------------------


class _Slow(Exception):
    """A row the fast path does not read: the loader's builder reads it (and says what is wrong with it)."""


_REQUIRED = object()
_TRUTH = {**dict.fromkeys(loading._TRUE, True), **dict.fromkeys(loading._FALSE, False)}
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
# The key columns of each table, by their place among the record's fields (store._KEYED).
_KEYS = {
    "source": ("source", ("id",)),
    "group": ("grp", ("id",)),
    "entity": ("entity", ("id",)),
    "holding": ("holding", ("owner", "owned")),
    "role": ("role", ("holder", "of")),
    "family": ("family", ("id",)),
    "category": ("category", ("id",)),
    "licence": ("licence", ("holder",)),
    "claim": ("claim", ("group",)),
}
_STRING = json.encoder.encode_basestring  # a text as JSON, as the codec writes it (ensure_ascii=False)


class _Memo(dict[str, Any]):
    """convert through a memo of the cells seen (ids, dates, stakes and codes come back row after row): the
    encoder looks a cell up itself (`memo[x] if x in memo else memo.convert(x)`), a call only when it is new."""

    def __init__(self, convert: Callable[[str], Any]) -> None:
        self.convert_new = convert

    def convert(self, cell: str) -> Any:
        try:
            found = self.convert_new(cell)
        except (loading._Invalid, DateError, ValueError, _Slow):
            raise _Slow from None
        if len(self) < 1 << 16:
            self[cell] = found
        return found


def _memoized(convert: Callable[[str], Any]) -> _Memo:
    return _Memo(convert)


def _valid_id(cell: Any) -> str:
    if type(cell) is not str or _ID_MATCH(cell) is None:
        raise _Slow
    return cell


_ID_MATCH = ID_PATTERN.fullmatch


def _json_list(cell: str) -> list[Any]:
    try:
        value = json.loads(cell)
    except (ValueError, RecursionError):  # the loader's path says what is wrong
        raise _Slow from None
    if type(value) is not list or _too_deep(cell, value):
        raise _Slow
    return value


_CITATIONS = _memoized(lambda cell: _DUMPS(list(dict.fromkeys([_valid_id(v) for v in _json_list(cell)]))))


def _cell_converter(kind: str) -> Callable[[str], str] | _Memo | dict[str, str]:
    """cell -> the JSON text the store keeps for a field of this kind (a function, a _Memo of such texts, or a
    dict of the only cells allowed); _Slow (or KeyError) for anything the fast path does not read."""
    if kind == "text":
        return _text_json
    if kind == "id":  # most ids are new to a table (a memo of them missed nine times in ten)
        return lambda cell: _STRING(_valid_id(cell))
    if kind == "date":
        return _memoized(lambda cell: _STRING((parse_date(cell) if len(cell) <= 12 else loading._date(cell)).text))
    if kind in ("stake", "bound", "number", "jurisdiction"):
        convert = loading._CONVERTERS[kind]
        return _memoized(lambda cell: _DUMPS(convert(cell)))
    if kind == "bool":
        return {cell: "true" if truth else "false" for cell, truth in _TRUTH.items()}
    if kind.startswith("choice:"):
        return {choice: _STRING(choice) for choice in kind.split(":", 1)[1].split("|")}
    if kind == "citations":  # a source named twice is one source
        return _CITATIONS
    if kind == "ids":
        return _memoized(lambda cell: _DUMPS([_valid_id(v) for v in _json_list(cell)]))
    if kind == "texts":
        return lambda cell: _DUMPS([v if type(v) is str else _slow() for v in _json_list(_text_cell(cell))])
    if kind == "any":

        def plain(cell: str) -> str:
            text = _text_cell(cell)
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
                raise _Slow from None
            if _too_deep(text, value):
                raise _Slow
            try:
                return _DUMPS(value)
            except ValueError:  # a number JSON cannot hold
                raise _Slow from None

        return plain
    return lambda cell: _slow()  # quotes, nested records: the loader's path


def _slow() -> Any:
    raise _Slow


def _text_json(cell: str) -> str:
    """A text cell (never empty) as JSON text; a lone apostrophe is an empty cell to the loader (null): _Slow."""
    if cell[0] == "'":
        if len(cell) == 1:
            raise _Slow
        return _STRING(cell[1:])
    return _STRING(cell)


_QUOTE_KEYS = frozenset({"source", "quote", "at"})


def _cited(sources: str, quotes: str) -> tuple[str, str]:
    """The JSON texts of a record's sources and quotes from its two cells: the sources named, then those only
    quoted; the quotes in the order of their sources (loading._Reader.convert of `citations`)."""
    if not quotes:
        return (
            _CITATIONS[sources] if sources in _CITATIONS else _CITATIONS.convert(sources)
        ) if sources else "[]", "[]"
    ids = [_valid_id(v) for v in _json_list(sources)] if sources else []
    given = _json_list(_text_cell(quotes))
    for quote in given:
        if type(quote) is not dict or not quote.keys() <= _QUOTE_KEYS or "source" not in quote:
            raise _Slow
        _valid_id(quote["source"])
        if any(type(quote.get(key)) not in (str, type(None)) for key in ("quote", "at")):
            raise _Slow
    order = {source: n for n, source in enumerate(dict.fromkeys([*ids, *(q["source"] for q in given)]))}
    ordered = sorted(given, key=lambda quote: order[quote["source"]])
    return _DUMPS(list(order)), _DUMPS([[q["source"], q.get("quote"), q.get("at")] for q in ordered])


def _fast_encoder(record_type: str, table: _Table) -> Callable[[int, list[str]], str]:
    """A row -> its record as the store's codec writes it (codec.dumps: the fields in order, dates as text,
    lists as arrays, the location last), made of each cell's JSON text; _Slow or KeyError where it does not
    apply. Written out as one expression per field (as model.maker writes out a class's maker)."""
    cls = RECORD_CLASSES[record_type]
    header = table.header
    namespace: dict[str, Any] = {"_Slow": _Slow, "_slow": _slow, "WIDTH": len(header)}
    namespace["FILE"] = _STRING(table.file)
    parts = []
    quoted = "quotes" in header and "sources" in FIELDS[record_type]
    if quoted:  # sources and quotes are read together, as the loader reads `sources` with quotes among them
        namespace["CITED"] = _cited
        source_cell = f"cells[{header.index('sources')}]" if "sources" in header else "''"
        prelude = f"    cited = CITED({source_cell}, cells[{header.index('quotes')}])\n"
    else:
        prelude = ""
    for n, f in enumerate(dataclasses.fields(cls)):
        if f.name == "loc":
            continue
        if quoted and f.name in ("sources", "quotes"):
            parts.append("cited[0]" if f.name == "sources" else "cited[1]")
            continue
        spec = FIELDS[record_type].get(f.name)
        kind = "id" if f.name == "id" else spec.kind if spec is not None else f.name
        convert = namespace[f"c{n}"] = _cell_converter(kind)
        if f.default is dataclasses.MISSING:
            otherwise = "_slow()"
        else:
            namespace[f"d{n}"] = _DUMPS([] if isinstance(f.default, tuple) else f.default)
            otherwise = f"d{n}"
        if f.name not in header:
            parts.append(otherwise)
            continue
        cell = f"(x := cells[{header.index(f.name)}])"
        if isinstance(convert, _Memo):
            parts.append(f"((c{n}[x] if x in c{n} else c{n}.convert(x)) if {cell} else {otherwise})")
        elif isinstance(convert, dict):
            parts.append(f"(c{n}[x] if {cell} else {otherwise})")
        else:
            parts.append(f"(c{n}(x) if {cell} else {otherwise})")
    source = (
        "def encode(line, cells):\n"
        "    if len(cells) != WIDTH:\n"
        "        raise _Slow\n"
        f"{prelude}"
        f"    return '[' + ','.join(({', '.join(parts)}, '[' + FILE + ',' + str(line) + ',1]')) + ']'\n"
    )
    exec(source, namespace)
    encode: Callable[[int, list[str]], str] = namespace["encode"]
    return encode


class _Fast:
    """The fast path of one table: each row's record text straight from its cells, with its key columns."""

    def __init__(self, writer: StoreWriter, record_type: str, table: _Table, cited: _Cited) -> None:
        self.writer = writer
        self.encode = _fast_encoder(record_type, table)
        self.table, names = _KEYS[record_type]
        self.keys = [table.header.index(name) if name in table.header else -1 for name in names]
        self.cited = cited
        self.gathered = [(name, table.header.index(name)) for name in cited.cells if name in table.header]
        self.entity = record_type == "entity"
        if self.entity:
            self.names = [table.header.index(name) if name in table.header else -1 for name in ("name", "name_zh")]
            self.aliases = table.header.index("aliases") if "aliases" in table.header else -1

    def add(self, line: int, cells: list[str]) -> None:
        """Add a row; _Slow or KeyError (and nothing added) when the fast path does not read it."""
        rec = self.encode(line, cells)
        keys = tuple(cells[n] for n in self.keys)
        for column, at in self.gathered:
            if cells[at]:
                self.cited.gather(column, cells[at])
        if not self.entity:
            self.writer.add_encoded(self.table, keys, rec)
            return
        name, name_zh = (_text_cell(cells[n]) if n >= 0 and cells[n] else "" for n in self.names)
        names = [name, *([name_zh] if name_zh else [])]
        if self.aliases >= 0 and cells[self.aliases]:
            names.extend(json.loads(_text_cell(cells[self.aliases])))  # read once already by encode
        labels = [(ID_LABEL, keys[0].casefold()), *((NAME_LABEL, n.casefold()) for n in dict.fromkeys(names))]
        self.writer.add_encoded("entity", keys, rec, labels)


# -- the checks that span records, as indexed queries on the store ----------------------------------------

# (key, what it must name, query giving (seq, rec, value) of each record whose reference names nothing there).
_REFERENCES: tuple[tuple[str, str, str], ...] = (
    (
        "root",
        "entity",
        "SELECT seq, rec, json_extract(rec, '$[2]') AS v FROM grp WHERE v NOT IN (SELECT id FROM entity)",
    ),
    ("owner", "entity", "SELECT seq, rec, owner FROM holding WHERE owner NOT IN (SELECT id FROM entity)"),
    ("owned", "entity", "SELECT seq, rec, owned FROM holding WHERE owned NOT IN (SELECT id FROM entity)"),
    (
        "nominee_for",
        "entity",
        "SELECT seq, rec, json_extract(rec, '$[15]') AS v FROM holding"
        " WHERE v IS NOT NULL AND v NOT IN (SELECT id FROM entity)",
    ),
    ("holder", "entity", "SELECT seq, rec, holder FROM role WHERE holder NOT IN (SELECT id FROM entity)"),
    ("of", "entity", "SELECT seq, rec, of FROM role WHERE of NOT IN (SELECT id FROM entity)"),
    (
        "entities",
        "entity",
        "SELECT e.seq, e.rec, x.entity FROM event_entity x JOIN event e ON e.seq = x.event"
        " WHERE x.entity NOT IN (SELECT id FROM entity)",
    ),
    (
        "family",
        "family",
        "SELECT seq, rec, json_extract(rec, '$[1]') AS v FROM category WHERE v NOT IN (SELECT id FROM family)",
    ),
    ("holder", "entity", "SELECT seq, rec, holder FROM licence WHERE holder NOT IN (SELECT id FROM entity)"),
    (
        "category",
        "category",
        "SELECT seq, rec, json_extract(rec, '$[1]') AS v FROM licence WHERE v NOT IN (SELECT id FROM category)",
    ),
    ("group", "group", "SELECT seq, rec, grp FROM claim WHERE grp NOT IN (SELECT id FROM grp)"),
    (
        "family",
        "family",
        "SELECT seq, rec, json_extract(rec, '$[1]') AS v FROM claim WHERE v NOT IN (SELECT id FROM family)",
    ),
)
# Where each table's records keep their sources (the place in its codec array), for the check of citations.
_SOURCES_AT = {"entity": 10, "holding": 6, "role": 5, "event": 3, "licence": 7, "claim": 3}
# Of each problem found, at most this many of a kind are reported (the first by place in the tables).
_LIMIT = 20


def _location(rec: str) -> Location:
    from xmfin.storage import codec

    values = codec.loads_value(rec)
    file, line, column = values[-1]
    return Location(str(file), int(line), int(column))


_KEYED_TABLES = ("source", "grp", "entity", "family", "category")
_UNINDEXED_KEYED = ("family", "category")  # keyed tables without a unique index in the store's layout


def _duplicates(db: sqlite3.Connection, headers: dict[str, list[str]]) -> list[Problem]:
    """The records whose id an earlier record of the same table has (after the unique indexes refused them)."""
    found: list[Problem] = []
    with contextlib.suppress(sqlite3.Error):
        db.execute("ROLLBACK")
    for table in _KEYED_TABLES:
        db.execute(f"CREATE INDEX IF NOT EXISTS twice_{table} ON {table}(id)")
        rows = db.execute(
            f"SELECT a.rec, b.rec, a.id FROM {table} a JOIN {table} b ON a.id = b.id AND b.seq > a.seq"
            f" ORDER BY b.seq LIMIT {_LIMIT}"
        ).fetchall()
        for first, second, key in rows:
            where, there = _location(first), _location(second)
            column = headers.get(there.file, ["id"]).index("id") + 1 if "id" in headers.get(there.file, []) else 1
            found.append(
                Problem(
                    Location(there.file, there.line, column),
                    "error",
                    f"the id '{key}' is taken already (by the row at line {where.line})",
                )
            )
    return found


def check_store(db: sqlite3.Connection, headers: dict[str, list[str]], cited: _Cited | None = None) -> list[Problem]:
    """The checks that span records, on a store's indexed tables: every reference (a group's root, a
    holding's owner, owned and nominee_for, a role's holder and entity, an event's entities, a licence's
    holder and category, a category's family, a claim's group and family, every cited source) names a record
    that is there; no entity holds itself. (Two records with one id: the unique indexes refuse them, see
    _duplicates.) The problems come in the order of the tables, at most _LIMIT of each kind. `cited`: the
    sources and nominees the rows named, when gathered (a scan is skipped when all of them are known)."""
    problems: list[Problem] = []

    def error(rec: str, message: str, key: str = "id") -> None:
        where = _location(rec)
        header = headers.get(where.file, [])
        column = header.index(key) + 1 if key in header else where.column
        problems.append(Problem(Location(where.file, where.line, column), "error", message))

    for key, what, query in _REFERENCES:
        if key == "nominee_for" and _all_known(db, "entity", cited, key):
            continue
        for _, rec, value in db.execute(f"{query} ORDER BY 1 LIMIT {_LIMIT}").fetchall():
            error(rec, f"{key} '{value}' is not a known {what}", key)
    for table in _UNINDEXED_KEYED:
        # No unique index refuses a second family or category of one id (both tables are small): found here.
        query = (
            "SELECT first, rec, id FROM (SELECT seq, rec, id,"
            " first_value(rec) OVER (PARTITION BY id ORDER BY seq) AS first,"
            f" row_number() OVER (PARTITION BY id ORDER BY seq) AS n FROM {table})"
            f" WHERE n > 1 ORDER BY seq LIMIT {_LIMIT}"
        )
        for first, second, key in db.execute(query).fetchall():
            error(second, f"the id '{key}' is taken already (by the row at line {_location(first).line})")
    for _, rec in db.execute(f"SELECT seq, rec FROM holding WHERE owner = owned ORDER BY seq LIMIT {_LIMIT}"):
        owner = json.loads(rec)[0]
        error(rec, f"'{owner}' cannot hold itself: correct the owner or the owned", "owned")
    if _all_known(db, "source", cited, "sources"):
        return problems
    for table, at in _SOURCES_AT.items():
        query = (
            f"SELECT t.seq, t.rec, s.value FROM {table} t, json_each(t.rec, '$[{at}]') s"
            " WHERE s.value NOT IN (SELECT id FROM source)"
            f" ORDER BY t.seq LIMIT {_LIMIT}"
        )
        for _, rec, value in db.execute(query).fetchall():
            error(rec, f"sources '{value}' is not a known source", "sources")
    return problems


def _all_known(db: sqlite3.Connection, table: str, cited: _Cited | None, reference: str) -> bool:
    """Whether every id the rows named under `reference` is an id of `table` (False when not gathered)."""
    named = None if cited is None else cited.named(reference)
    if named is None:
        return False
    ids = sorted(named)
    known = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = f"SELECT count(*) FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})"
        known += db.execute(query, chunk).fetchone()[0]
    return known == len(ids)
