"""`xmfin import bods`: Beneficial Ownership Data Standard 0.4 statements into a data folder.

Entity and person statements become entities (kind `person` for persons); relationship statements become
holdings (owner = interested party, owned = subject) or, for board and management interests, roles; each
distinct source and publisher becomes a source. Every statement that cannot be represented, or only in part,
gives one notice naming the statement and the interest (reported on stderr and counted): nothing is dropped
silently. What has no key of its own (BODS identifiers, addresses, birth dates, entity and person types, ...)
is kept under `extra.bods`, from where `export --format bods` writes it back.

History: the statements of one record are read in `statementDate` order. A relationship whose share changes
ends one holding the day before the next starts; an interest no longer stated, or a closed relationship, ends
the day before that statement's date (BODS `endDate` is the first day an interest no longer exists, so the
holding's `until` is the day before it); a later statement that restates an interest's start date with
another share changes it as of its own date; one of the same date replaces it (a correction). Share ranges
become the holding's stake bounds.

An xmfin export (`output/bods.py`) carries each record in an `xmfinRecord` annotation with a digest of the
statement's `recordDetails`, and the sections BODS has no place for in an `xmfinDataset` annotation; when
the digest matches, the record is restored exactly (docs/bods.md lists what else survives, and why).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import marshal
import math
import os
import re
import unicodedata
from collections.abc import Callable, Container, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xmfin import fileio
from xmfin.bods_read import read_statements
from xmfin.dates import DateError, PartialDate, overlap, parse_date
from xmfin.errors import Problem, UsageError
from xmfin.model import ENTITY_KINDS, Location
from xmfin.storage import yamltext
from xmfin.storage.loading import ENTITIES_FILE, FIELDS, ID_PATTERN, JURISDICTION_PATTERN, LICENCES_FILE

XMFIN_SCHEME = "xmfin"  # identifiers of this scheme name carry an xmfin id (as `export --format bods` writes)
# Custom annotation properties of an xmfin export (BODS allows them in annotations; other tools ignore them).
XMFIN_RECORD = "xmfinRecord"  # {"type", "digest", "record"}: the record as xmfin has it
XMFIN_DATASET = "xmfinDataset"  # the sections BODS has no place for, on the export's first statement
XMFIN_COMMENT = "xmfinComment"  # marks the readable comments xmfin writes (description, note, licences)
XMFIN_SOURCE = "xmfinSource"
XMFIN_KEPT = "xmfinKept"  # marks a relationship an import kept with its subject and the export wrote back
XMFIN_PROPERTIES = (XMFIN_RECORD, XMFIN_DATASET, XMFIN_COMMENT, XMFIN_SOURCE, XMFIN_KEPT)
VIE_DETAILS = "VIE: control by contract (variable interest entity)"  # what the export says of a VIE without note
CONTROL_OF_INTEREST = {
    "shareholding": "equity",
    "rightsGrantedByContract": "vie",
    "votingRights": "voting",
}
ROLE_INTERESTS = {
    "boardChair": "Board chair",
    "boardMember": "Board member",
    "seniorManagingOfficial": "Senior managing official",
}
_CONTROL_ORDER = ("equity", "vie", "voting", "other")
_FULL = 100.0001  # as the loader: stakes summed in floating point must still fit in 100
_NEAR_FULL = 100 - (_FULL - 100)  # and a sum this close to 100 is 100
MAX_DEPTH = 20  # of the BODS details kept under `extra`
# recordDetails keys xmfin holds in fields of its own; every other key is kept under extra.bods.
_PARTY_NATIVE = ("isComponent", "name", "alternateNames", "foundingDate", "dissolutionDate")
_STAKE_FIELDS = ("stake", "stake_min", "stake_max", "stake_min_exclusive", "stake_max_exclusive")
# The sections an xmfin export carries in its xmfinDataset annotation, and the file each belongs to.
DATASET_SECTIONS = {
    "sources": ENTITIES_FILE,
    "groups": ENTITIES_FILE,
    "events": ENTITIES_FILE,
    "families": LICENCES_FILE,
    "categories": LICENCES_FILE,
    "licences": LICENCES_FILE,
    "claims": LICENCES_FILE,
}


def record_digest(details: Any) -> str:
    """The digest an xmfinRecord annotation carries: sha256 of the statement's recordDetails as canonical JSON."""
    text = json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Notice:
    """A statement not imported (`partly` False) or imported only in part, and why."""

    statement: str
    message: str
    partly: bool = False


@dataclass(slots=True)
class ImportReport:
    """What an import wrote and every notice about what it could not represent."""

    file: str
    folder: str
    counts: dict[str, int] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    unit: str = "statement"  # what the file is made of: BODS statements, FtM entities

    def lines(self) -> list[str]:
        """One line per notice: `FILE: statement ID: not imported: why`."""
        return [
            f"{self.file}: {self.unit} {n.statement}: {'partly imported' if n.partly else 'not imported'}: {n.message}"
            for n in self.notices
        ]

    @property
    def skipped(self) -> int:
        return len({n.statement for n in self.notices if not n.partly})

    @property
    def partly(self) -> int:
        whole = {n.statement for n in self.notices if not n.partly}
        return len({n.statement for n in self.notices if n.partly and n.statement not in whole})

    @property
    def left_out(self) -> int:
        """Every part of a statement imported in part that did not survive (one notice each)."""
        return sum(n.partly for n in self.notices)

    def summary(self) -> str:
        made = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        units = "entities" if self.unit == "entity" else f"{self.unit}s"
        return f"wrote {self.folder}: {made}; {self.skipped} {units} not imported, {self.partly} imported in part" + (
            f" ({self.left_out} parts left out)" if self.left_out > self.partly else ""
        )


def import_file(path: Path, folder: Path, *, force: bool = False) -> ImportReport:
    """Convert the BODS file at path into a data folder; refuse a non-empty folder unless force."""
    check_output_folder(folder, force)
    statements = read_statements(path)
    converter = _Converter(str(path), str(folder))
    converter.convert(statements)
    write_folder(folder, converter.entities_text(), converter.licences_text())
    if converter.restored_any:
        # Records restored from xmfin annotations are trusted only as far as `check` passes them: a damaged or
        # hand-made annotation must not make a folder that does not check. Then everything is read again from
        # the BODS fields alone.
        from xmfin.storage.loading import check_folder

        _, problems = check_folder(folder)
        errors = [problem for problem in problems if problem.severity == "error"]
        if errors:
            again = _Converter(str(path), str(folder), trust_xmfin=False)
            again.convert(statements)
            again.notice(
                None,
                f"the xmfin annotations make records that do not pass `xmfin check` ({errors[0].message}): "
                "every statement is read from its BODS fields instead",
                partly=True,
            )
            write_folder(folder, again.entities_text(), again.licences_text())
            return again.report
    return converter.report


def import_store(path: Path, output: Path, progress: Any = None) -> ImportReport:
    """Convert the BODS file at path into a store at output, with the notices of `import_file` (the same
    conversion): the file is read a statement at a time (bods_read.iter_statements) and the records go into the
    store as the loader builds them from the same values (no data folder is written or read). What a store
    import checks: docs/bods.md."""
    from xmfin.bods_read import iter_statements
    from xmfin.fileio import TEMP_SUFFIX
    from xmfin.storage.building import check_output, import_to_store

    check_output(output)
    # A name of its own (made with the file, as a store's temporary file is): a file left at a fixed name by
    # an import that was killed (its process id used again) would be opened as this import's staging file.
    import tempfile

    fd, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=f".statements{TEMP_SUFFIX}")
    os.close(fd)
    try:
        staged = _Staged(Path(name))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    try:
        # The records made are kept in the staging file too, until they are written: memory holds one record's
        # statements and the records it touches, whatever the size of the file.
        converter = _Converter(str(path), str(output), db=staged.db)
        converter.convert(iter_statements(path, progress), staged)
        if not converter.restored_any:
            from xmfin.progress import phase

            phase(progress, f"writing {output}")
            write_store(converter, path, output)
            return converter.report
    finally:
        staged.close()

    # An xmfin export: the records its annotations carry are trusted only as far as `check` passes them, as
    # import_file does; such a file holds one data folder's records, so it is checked as a folder.
    def as_folder(folder: Path) -> ImportReport:
        report = import_file(path, folder, force=True)
        report.folder = str(output)
        return report

    return import_to_store(as_folder, output)


def write_store(converter: _Converter, path: Path, output: Path) -> None:
    """The records a conversion made, into a store at output (whole or not at all); DataError when the loader
    refuses one, or a reference names nothing (which the conversion never makes)."""
    from xmfin.csv_import import check_store
    from xmfin.errors import DataError
    from xmfin.storage.loading import _Mark, _Reader
    from xmfin.storage.store import StoreWriter

    file = str(path)
    reader = _Reader(path.parent, file)
    mark = _Mark(0, 0)
    entities = converter.entities

    def kind(key: str) -> str | None:
        if isinstance(entities, _DiskRecords):
            return entities.kind(key)
        entity = entities.get(key)
        return None if entity is None else str(entity.get("kind"))

    with StoreWriter(output, {"label": str(output), "from": "bods"}) as writer:
        for record_type, record_id, fields in converter.records_out():
            record = _build(reader, file, record_type, record_id, fields, mark)
            reader.origins.clear()
            if record is None:
                raise DataError(reader.problems)
            writer.add(record)
            for message in _warnings(record_type, record, kind):
                writer.add_problem(Problem(Location(file, 1, 1), "warning", message))
        if converter.db is not None:
            # Every record is read: the staging file's page cache is given back before the store's index sorts
            # take theirs (the import's peak; the file's statements are not read again).
            converter.db.execute("COMMIT")
            converter.db.execute("PRAGMA shrink_memory")
        writer.index()
        errors = check_store(writer.db, {})
        if errors:
            raise DataError(errors)
        writer.finish()


def _build(reader: Any, file: str, record_type: str, record_id: str | None, fields: dict[str, Any], mark: Any) -> Any:
    """The record the loader builds from fields as import_file writes them (None, with the problems reported,
    when it refuses it). `extra`, most of a BODS record's values and read by the loader as any plain value, is
    made directly (_plain_extra) rather than through YAML nodes; the rest through the loader's builder."""
    extra = fields.get("extra")
    if extra is None or "extra" not in FIELDS[record_type]:
        return reader.build(file, record_type, _as_yaml(fields, mark), mark, record_id)
    rest = {key: value for key, value in fields.items() if key != "extra"}
    record = reader.build(file, record_type, _as_yaml(rest, mark), mark, record_id)
    if record is not None:
        object.__setattr__(record, "extra", _plain_extra(extra))  # a frozen record no one else has seen yet
    return record


def _plain_extra(value: Any) -> Any:
    """What the loader makes of an `extra` value written as _as_yaml writes it (loading._plain of
    csv_import.yaml_value): keys as text, text with lone surrogates replaced, numbers as their YAML text reads
    back."""
    if type(value) is str:
        return value if value.isascii() or not _SURROGATE.search(value) else _yaml_text(value)
    if isinstance(value, dict):
        return {str(key): _plain_extra(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_extra(item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _yaml_text(value)
    if isinstance(value, (int, float)):
        from xmfin.storage.loading import _plain

        return _plain(_yaml_number(value))
    return _yaml_text(str(value))


def _as_yaml(fields: dict[str, Any], mark: Any) -> Any:
    """A record's fields as the loader reads them from the YAML import_file writes (yamltext): keys with no
    value left out, numbers and text as yamltext writes them."""
    from xmfin.csv_import import yaml_value
    from xmfin.storage.yamlread import Quoted, YMap

    mapping = YMap(mark.line, mark.column)
    for key, value in fields.items():
        if value is None:
            continue
        if type(value) is str:  # most fields (csv_import.yaml_value's reading of a text, without its calls)
            mapping[key] = Quoted(value if value.isascii() or not _SURROGATE.search(value) else _yaml_text(value))
        else:
            mapping[key] = yaml_value(value, mark, _yaml_number, _yaml_text)
        mapping.key_marks[key] = mark
        mapping.value_marks[key] = mark
    return mapping


def _yaml_number(number: Any) -> str:
    return yamltext.value(number)


def _yaml_text(text: str) -> str:
    """A text as yamltext writes it and the YAML reader reads it back: a lone surrogate becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _warnings(record_type: str, record: Any, kind: Callable[[str], str | None]) -> list[str]:
    """The warnings `check` gives a record by itself: one that names no source, and a role held by an entity
    that is not a person (loading._check_references); kind gives an entity's kind (None: no such entity)."""
    found = []
    holder_kind = kind(record.holder) if record_type == "role" else None
    if holder_kind not in (None, "person"):
        found.append(
            f"role '{record.title}' of '{record.of}' is held by '{record.holder}', a {holder_kind}, not a "
            f"person: set 'kind: person' on '{record.holder}' if it is one"
        )
    if not getattr(record, "sources", True):
        what = {
            "entity": lambda: f"entity '{record.id}'",
            "holding": lambda: f"holding {record.owner} -> {record.owned}",
            "role": lambda: f"role '{record.title}' of '{record.of}'",
            "event": lambda: f"event '{record.title}'",
            "licence": lambda: f"licence '{record.category}' of '{record.holder}'",
            "claim": lambda: f"claim '{record.family}' of '{record.group}'",
        }.get(record_type)
        if what is not None:
            found.append(f"{what()} names no source: add 'sources: [SOURCE-ID]'")
    if record_type == "entity":
        for figure in record.figures:
            if not figure.sources:
                found.append(f"figure '{figure.metric}' of '{record.id}' names no source: add 'sources: [SOURCE-ID]'")
    return found


def check_output_folder(folder: Path, force: bool) -> None:
    """Refuse an -o that is a file, or a folder that is not empty without --force, or a path that cannot be
    looked at (UsageError)."""
    try:
        kind = fileio.kind_of(folder)
        if kind == "file":
            raise UsageError(f"-o {folder}: not a folder")
        if kind == "folder" and not force and not fileio.is_empty_folder(folder):
            raise UsageError(f"-o {folder}: the folder is not empty; give --force to write into it")
    except OSError as error:
        raise UsageError(f"-o {folder}: cannot write: {error.strerror or error}") from None


def write_folder(folder: Path, entities_text: str, licences_text: str) -> None:
    """Write the two data files of an import into folder: both, or neither (fileio.write_folder), since a folder
    half written would check as a wrong dataset."""
    texts = {ENTITIES_FILE: entities_text, LICENCES_FILE: licences_text}
    try:
        fileio.write_folder(folder, [(name, fileio.text(content)) for name, content in texts.items()])
    except OSError as error:
        raise UsageError(f"-o {folder}: cannot write: {error.strerror or error}") from None


def slug(text: str) -> str:
    """An id from a name: ASCII letters and digits, lowercase, joined by '-' (empty when none is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-")


def _date(value: Any) -> PartialDate | None:
    """A BODS date (full date or date-time) as a partial date; None when absent or not a date."""
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value[:10])
    except DateError:
        return None


def _day(day: dt.date) -> str:
    return day.isoformat()


def _day_before(date: PartialDate) -> dt.date:
    return date.first - dt.timedelta(days=1) if date.first > dt.date.min else date.first


def _number(value: Any) -> float | None:
    """A finite JSON number as a float; None for anything else (text, true/false, 10**400, 1e400)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    """A JSON value as a notice quotes it: short, on one line."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"a {len(str(abs(value)))}-digit number"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _percent(value: Any) -> tuple[float | None, str | None]:
    """A share percentage (0 to 100), or None and why it is not one."""
    if value is None or isinstance(value, (bool, str, list, dict)):
        what = "text" if isinstance(value, str) else "not a number"
        return None, f"{_shown(value)} is {what}, not a number"
    number = _number(value)
    if number is None:
        return None, f"{_shown(value)} is too large to be a percentage"
    if not 0 <= number <= 100:
        return None, f"{number:g} is not a percentage (0 to 100)"
    return number, None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _interest_label(index: int, interest: Any) -> str:
    kind = interest.get("type") if isinstance(interest, dict) else None
    return f"interest {index} ({kind})" if isinstance(kind, str) else f"interest {index}"


class _Gathered:
    """The statements of each record, gathered in memory (Converter.collect): records in the order they first
    appear, each record's statements in statementDate order (file order on a tie)."""

    def __init__(self) -> None:
        self.records: dict[str, list[dict[str, Any]]] = {}

    def add(self, index: int, record_id: str, record_type: str, statement: dict[str, Any]) -> str | None:
        """Keep a statement of a record; the record's type instead when an earlier statement gave another."""
        series = self.records.setdefault(record_id, [])
        if series and series[0]["recordType"] != record_type:
            return str(series[0]["recordType"])
        series.append(statement)
        return None

    def done(self) -> None:
        for series in self.records.values():
            series.sort(key=lambda s: str(s.get("statementDate", "")))

    def series(self) -> Iterator[list[dict[str, Any]]]:
        yield from self.records.values()

    def annotated(self) -> Iterator[list[dict[str, Any]]]:
        """The records, in order, of which some statement may carry annotations (all of them, here)."""
        yield from self.series()

    def relationships(self) -> Iterator[list[dict[str, Any]]]:
        """The relationship records, in order."""
        for series in self.series():
            if series[-1]["recordType"] == "relationship":
                yield series

    def parties(self) -> Iterator[list[dict[str, Any]]]:
        """The entity and person records, those whose last statement carries an xmfin id first."""
        parties = [series for series in self.series() if series[-1]["recordType"] in ("entity", "person")]
        parties.sort(key=lambda series: _xmfin_id(series[-1]) is None)
        yield from parties


class _Staged(_Gathered):
    """The statements of each record gathered in an SQLite file instead of memory (import bods --store): the
    same records in the same order, read back one record at a time, so that memory holds one record's
    statements, not the file's."""

    BATCH = 10_000  # statements kept before they are written in one executemany

    def __init__(self, path: Path) -> None:
        import sqlite3

        super().__init__()
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "cache_size=-65536"):
            self.db.execute(f"PRAGMA {pragma}")
        # rid: the record id's bytes; sdate: str(statementDate) as UTF-32 (its bytes sort as Python sorts text).
        self.db.execute(
            "CREATE TABLE rec(rid BLOB PRIMARY KEY, first INTEGER NOT NULL, type TEXT NOT NULL) WITHOUT ROWID"
        )
        self.db.execute(
            "CREATE TABLE st(first INTEGER, n INTEGER, sdate BLOB, party INTEGER, xid INTEGER, ann INTEGER, "
            "text BLOB NOT NULL)"
        )
        self.db.execute("BEGIN")
        self.rows: list[tuple[Any, ...]] = []

    def add(self, index: int, record_id: str, record_type: str, statement: dict[str, Any]) -> str | None:
        rid = record_id.encode("utf-8", "surrogatepass")
        if self.db.execute("INSERT OR IGNORE INTO rec VALUES (?, ?, ?)", (rid, index, record_type)).rowcount == 1:
            first, earlier = index, record_type  # the record's first statement (most records have one)
        else:
            first, earlier = self.db.execute("SELECT first, type FROM rec WHERE rid = ?", (rid,)).fetchone()
        if earlier != record_type:
            return str(earlier)
        date = str(statement.get("statementDate", "")).encode("utf-32-be", "surrogatepass")
        party = record_type in ("entity", "person")
        xid = party and _xmfin_id(statement) is not None
        annotated = "annotations" in statement
        self.rows.append((first, index, date, party, xid, annotated, _dumps(statement)))
        if len(self.rows) >= self.BATCH:
            self.flush()
        return None

    def flush(self) -> None:
        self.db.executemany("INSERT INTO st VALUES (?, ?, ?, ?, ?, ?, ?)", self.rows)
        self.rows.clear()

    def done(self) -> None:
        self.flush()
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")  # the converter's records (_DiskRecords, _DiskHoldings) in one transaction

    def _read(self, where: str = "") -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """(first, statements) of each record, in order (SQLite sorts them on disk)."""
        rows = self.db.execute(f"SELECT first, text FROM st {where} ORDER BY first, sdate, n")
        current: list[dict[str, Any]] = []
        at = -1
        for first, text in rows:
            if first != at and current:
                yield at, current
                current = []
            at = first
            current.append(_loads(text))
        if current:
            yield at, current

    def series(self) -> Iterator[list[dict[str, Any]]]:
        for _, series in self._read():
            yield series

    def annotated(self) -> Iterator[list[dict[str, Any]]]:
        for _, series in self._read("WHERE first IN (SELECT first FROM st WHERE ann)"):
            yield series

    def relationships(self) -> Iterator[list[dict[str, Any]]]:
        for _, series in self._read("WHERE NOT party"):  # a record's statements are all of its type
            yield series

    def parties(self) -> Iterator[list[dict[str, Any]]]:
        # The records taken first are kept in the file too (a set of them grew with the file), and the others
        # are read once, not every party again.
        self.db.execute("CREATE TABLE taken(first INTEGER PRIMARY KEY)")
        for first, series in self._read("WHERE first IN (SELECT first FROM st WHERE xid)"):
            if _xmfin_id(series[-1]) is not None:
                self.db.execute("INSERT INTO taken VALUES (?)", (first,))
                yield series
        yield from (series for _, series in self._read("WHERE party AND first NOT IN (SELECT first FROM taken)"))

    def close(self) -> None:
        import contextlib
        import sqlite3

        with contextlib.suppress(sqlite3.Error):
            self.db.execute("COMMIT")  # not a rollback, which SQLite does not define with journal_mode=OFF
        self.db.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


class _Holdings:
    """The holdings a conversion made, in order, with what the overlap and equity checks ask of them: the
    holdings of one party in one entity, all the holdings in one entity, and the equity floors summed in each
    entity. In memory (import_file); _DiskHoldings keeps the same in the staging file (import bods --store)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        # The holdings in each entity with their periods (a scan of every holding in the entity made an import
        # of n holders of one company n squared: they are also indexed by pair).
        self.in_entity: dict[str, list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]]] = {}
        self.of_pair: dict[tuple[str, str], list[tuple[int, dict[str, Any], PartialDate | None, PartialDate | None]]]
        self.of_pair = {}
        self.equity_sum: dict[str, float] = {}  # the equity floors of every counted holding in each entity

    def same_party(
        self, owned: str, owner: str
    ) -> list[tuple[int, dict[str, Any], PartialDate | None, PartialDate | None]]:
        """(reference, holding, since, until) of each holding of owner in owned, in order."""
        return self.of_pair.get((owned, owner), [])

    def present(self, owned: str) -> list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]]:
        """(holding, since, until) of each holding in owned, in order."""
        return self.in_entity.get(owned, [])

    def changed(self, reference: int, holding: dict[str, Any]) -> None:
        """A holding same_party gave was changed (in memory, the holding is the record itself)."""

    def equity(self, owned: str) -> float:
        return self.equity_sum.get(owned, 0.0)

    def append(
        self, holding: dict[str, Any], since: PartialDate | None, until: PartialDate | None, equity: float | None
    ) -> None:
        """Add a holding after the others; equity is the entity's new sum of equity floors (None: unchanged)."""
        owned, owner = str(holding.get("owned")), str(holding.get("owner"))
        self.in_entity.setdefault(owned, []).append((holding, since, until))
        self.of_pair.setdefault((owned, owner), []).append((len(self.records), holding, since, until))
        if equity is not None:
            self.equity_sum[owned] = equity
        self.records.append(holding)

    def place(self, positions: list[Any], pending: list[dict[str, Any]]) -> None:
        """Pending holdings (an xmfin export's xmfinDataset annotation) at their positions when all are places
        among the holdings, else after them."""
        # Positions are trusted only as places among the holdings (a huge one would overflow list.insert).
        room = len(self.records) + len(pending)
        if len(positions) == len(pending) and all(type(n) is int and 0 <= n < room for n in positions):
            for position, holding in sorted(zip(positions, pending, strict=True), key=lambda pair: pair[0]):
                self.records.insert(position, holding)  # in ascending order: each lands where it stood
        else:
            self.records.extend(pending)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)


def _dumps(value: Any) -> bytes:
    """A statement or a record's fields as the staging file keeps them: marshal's bytes (exactly the value back,
    lone surrogates and tuples included; written and read by the same process, six times faster than JSON)."""
    return marshal.dumps(value)


def _loads(data: bytes) -> Any:
    return marshal.loads(data)


# json.dumps makes a new encoder at every call given other than the default options: this one is made once.
_SORTED = json.JSONEncoder(sort_keys=True).encode


class _DiskHoldings(_Holdings):
    """The holdings of a conversion in an SQLite file (the staging file of import bods --store): memory holds
    none of them, whatever the number of holdings. Each is kept in `hold` (_dumps), in order; the checks ask by
    (owned, owner) and by owned through an index, and the equity sums are kept in `eq`."""

    def __init__(self, db: Any) -> None:
        super().__init__()
        self.db = db
        self.count = 0
        # owned and owner as _key gives them (an xmfin export's pending holding may name anything); floor, since
        # and until: what the equity check asks of the holdings in an entity (floor 0: not counted).
        db.execute(
            "CREATE TABLE hold(seq INTEGER PRIMARY KEY, owned BLOB, owner BLOB, floor REAL, strict INTEGER, "
            "since BLOB, until BLOB, rec BLOB NOT NULL)"
        )
        db.execute("CREATE INDEX hold_pair ON hold(owned, owner)")
        db.execute("CREATE TABLE eq(owned BLOB PRIMARY KEY, total REAL NOT NULL) WITHOUT ROWID")

    def _rows(self, sql: str, *keys: str) -> list[tuple[int, dict[str, Any], PartialDate | None, PartialDate | None]]:
        found = []
        for seq, text in self.db.execute(sql, [_key(key) for key in keys]):
            holding = _loads(text)
            found.append((seq, holding, _date(holding.get("since")), _date(holding.get("until"))))
        return found

    def same_party(
        self, owned: str, owner: str
    ) -> list[tuple[int, dict[str, Any], PartialDate | None, PartialDate | None]]:
        return self._rows("SELECT seq, rec FROM hold WHERE owned = ? AND owner = ? ORDER BY seq", owned, owner)

    def present(self, owned: str) -> list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]]:
        """The counted equity holdings in owned, each as the equity check reads it (its floor as a stake): only
        those count (equity_peak), and a listed company's thousands of holders are not read whole each time."""
        rows = self.db.execute(
            "SELECT floor, strict, since, until FROM hold WHERE owned = ? AND floor > 0", (_key(owned),)
        )
        return [
            (
                {"control": "equity", "stake_min": floor, "stake_min_exclusive": bool(strict)},
                _date(since and _text_of(since)),
                _date(until and _text_of(until)),
            )
            for floor, strict, since, until in rows
        ]

    def changed(self, reference: int, holding: dict[str, Any]) -> None:
        self.db.execute("UPDATE hold SET rec = ? WHERE seq = ?", (_dumps(holding), reference))

    def equity(self, owned: str) -> float:
        row = self.db.execute("SELECT total FROM eq WHERE owned = ?", (_key(owned),)).fetchone()
        return 0.0 if row is None else float(row[0])

    def append(
        self, holding: dict[str, Any], since: PartialDate | None, until: PartialDate | None, equity: float | None
    ) -> None:
        owned, owner = str(holding.get("owned")), str(holding.get("owner"))
        self.count += 1
        counted = holding.get("control") == "equity" and not holding.get("pending")
        floor = _floor(holding) if counted else 0.0
        # since and until as _date reads them (the first ten characters of a text), as bytes (as _key).
        times = [holding.get("since"), holding.get("until")]
        times = [_key(value[:10]) if isinstance(value, str) else None for value in times]
        row = (self.count, _key(owned), _key(owner), floor, _strict(holding), *times, _dumps(holding))
        self.db.execute("INSERT INTO hold VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        if equity is not None:
            self.db.execute("INSERT OR REPLACE INTO eq VALUES (?, ?)", (_key(owned), equity))

    def place(self, positions: list[Any], pending: list[dict[str, Any]]) -> None:
        # Only an xmfin export has pending holdings, and a store import converts it as a folder (import_store):
        # they are kept after the others here, as they would be without positions.
        for holding in pending:
            self.append(holding, None, None, None)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for (text,) in self.db.execute("SELECT rec FROM hold ORDER BY seq"):
            yield _loads(text)


def _key(text: object) -> bytes:
    """A text as SQLite is given it as a key: its UTF-8 bytes, lone surrogates included (a recordId may hold one,
    which sqlite3 refuses to bind as text)."""
    return str(text).encode("utf-8", "surrogatepass")


def _text_of(key: bytes) -> str:
    return key.decode("utf-8", "surrogatepass")


class _DiskRecords(MutableMapping[str, dict[str, Any]]):
    """Records by key (the entities of a conversion) in an SQLite table, in the order first set: a mapping, as the
    dict it stands for, with the record's kind kept beside it. A record changed after it was read is set again."""

    def __init__(self, db: Any, table: str) -> None:
        self.db = db
        self.table = table
        db.execute(f"CREATE TABLE {table}(seq INTEGER PRIMARY KEY, id BLOB UNIQUE NOT NULL, kind BLOB, rec BLOB)")
        self.count = 0

    def __contains__(self, key: object) -> bool:
        return self.db.execute(f"SELECT 1 FROM {self.table} WHERE id = ?", (_key(key),)).fetchone() is not None

    def __getitem__(self, key: str) -> dict[str, Any]:
        row = self.db.execute(f"SELECT rec FROM {self.table} WHERE id = ?", (_key(key),)).fetchone()
        if row is None:
            raise KeyError(key)
        found: dict[str, Any] = _loads(row[0])
        return found

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        kind, text = _key(value.get("kind")), _dumps(value)
        added = self.db.execute(f"INSERT OR IGNORE INTO {self.table} VALUES (NULL, ?, ?, ?)", (_key(key), kind, text))
        if added.rowcount:
            self.count += 1
        else:  # set again (in its place)
            self.db.execute(f"UPDATE {self.table} SET kind = ?, rec = ? WHERE id = ?", (kind, text, _key(key)))

    def __delitem__(self, key: str) -> None:
        raise NotImplementedError("records are not removed")

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[str]:
        for (key,) in self.db.execute(f"SELECT id FROM {self.table} ORDER BY seq"):
            yield _text_of(key)

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:  # type: ignore[override]
        for key, text in self.db.execute(f"SELECT id, rec FROM {self.table} ORDER BY seq"):
            yield _text_of(key), _loads(text)

    def values(self) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        for _, record in self.items():
            yield record

    def kind(self, key: str) -> str | None:
        """The record's kind (as str(record.get("kind"))); None when there is no such record."""
        row = self.db.execute(f"SELECT kind FROM {self.table} WHERE id = ?", (_key(key),)).fetchone()
        return None if row is None else _text_of(row[0])

    def kinds(self) -> dict[str, int]:
        """The number of records of each kind."""
        rows = self.db.execute(f"SELECT kind, count(*) FROM {self.table} GROUP BY kind")
        return {_text_of(kind): count for kind, count in rows}


class _DiskMap(MutableMapping[str, Any]):
    """Text -> a value SQLite keeps as it is (text, a number), in an SQLite table: BODS recordId -> xmfin entity
    id, an id's last number (_Converter.unique)."""

    def __init__(self, db: Any, table: str) -> None:
        self.db = db
        self.table = table
        db.execute(f"CREATE TABLE {table}(key BLOB PRIMARY KEY, value NOT NULL) WITHOUT ROWID")

    def get(self, key: object, default: Any = None) -> Any:
        row = self.db.execute(f"SELECT value FROM {self.table} WHERE key = ?", (_key(key),)).fetchone()
        return default if row is None else row[0]

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key: str) -> Any:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __setitem__(self, key: str, value: Any) -> None:
        self.db.execute(f"INSERT OR REPLACE INTO {self.table} VALUES (?, ?)", (_key(key), value))

    def __delitem__(self, key: str) -> None:
        raise NotImplementedError("keys are not removed")

    def __len__(self) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0])

    def __iter__(self) -> Iterator[str]:
        for (key,) in self.db.execute(f"SELECT key FROM {self.table} ORDER BY key"):
            yield _text_of(key)


class _DiskList:
    """Records in order (the roles of a conversion) in an SQLite table: append, len and iteration."""

    def __init__(self, db: Any, table: str) -> None:
        self.db = db
        self.table = table
        db.execute(f"CREATE TABLE {table}(seq INTEGER PRIMARY KEY, rec BLOB NOT NULL)")
        self.count = 0

    def append(self, record: dict[str, Any]) -> None:
        self.count += 1
        self.db.execute(f"INSERT INTO {self.table} VALUES (?, ?)", (self.count, _dumps(record)))

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for (text,) in self.db.execute(f"SELECT rec FROM {self.table} ORDER BY seq"):
            yield _loads(text)


class _Converter:
    def __init__(self, file: str, folder: str, trust_xmfin: bool = True, db: Any = None) -> None:
        """db: an SQLite connection (the staging file) to keep the records made in, instead of memory."""
        self.db = db
        self.trust_xmfin = trust_xmfin  # read the records xmfin's own annotations carry
        self.restored_any = False
        self.report = ImportReport(file, folder)
        self.given_notices: set[Notice] = set()
        self.sources: dict[str, dict[str, Any]] = {}
        self.source_keys: dict[str, str] = {}
        self.entities: MutableMapping[str, dict[str, Any]] = {} if db is None else _DiskRecords(db, "ent")
        self.holdings = _Holdings() if db is None else _DiskHoldings(db)
        self.roles: list[dict[str, Any]] | _DiskList = [] if db is None else _DiskList(db, "roles")
        self.sections: dict[str, Any] = {}  # restored from an xmfinDataset annotation
        self.ids: MutableMapping[str, str] = {} if db is None else _DiskMap(db, "ids")  # recordId -> entity id
        self.numbered: MutableMapping[str, int] = {} if db is None else _DiskMap(db, "numbered")  # see unique

    def notice(self, statement: dict[str, Any] | None, message: str, partly: bool = False, index: int = 0) -> None:
        """One notice; the same notice about the same statement is given once."""
        sid = statement.get("statementId") if isinstance(statement, dict) else None
        label = _one_line(sid) if isinstance(sid, str) and sid else f"#{index}"
        notice = Notice(label, _one_line(message), partly)
        if notice not in self.given_notices:
            self.given_notices.add(notice)
            self.report.notices.append(notice)

    def convert(self, statements: Iterable[Any], gathered: _Gathered | None = None) -> None:
        """Convert the statements; `gathered` keeps them by record until they are all read (in memory, unless a
        _Staged is given)."""
        records = self.collect(statements, _Gathered() if gathered is None else gathered)
        self.restore_dataset(records.annotated())
        # Ids carried by an xmfin identifier are taken first, so that a name cannot take them away.
        for series in records.parties():
            self.party(series)
        for series in records.relationships():
            self.relationship_series(series)
        # Pending holdings (an xmfin export carries them in its xmfinDataset annotation: BODS cannot state them).
        pending = _records(self.sections.pop("pendingHoldings", None))
        positions = _array(self.sections.pop("pendingPositions", None))
        if pending:
            self.holdings.place(positions, pending)
        if isinstance(self.entities, _DiskRecords):
            kinds = self.entities.kinds()
            persons = kinds.get("person", 0)
        else:
            persons = sum(e["kind"] == "person" for e in self.entities.values())
        self.report.counts = {
            "entities": len(self.entities) - persons,
            "persons": persons,
            "holdings": len(self.holdings),
            "roles": len(self.roles),
            "sources": len(self.sources),
        }

    def collect(self, statements: Iterable[Any], records: _Gathered) -> _Gathered:
        """The statements of each record in statementDate order (file order on a tie), records in the order
        they first appear. A record is of one type: a statement giving another is reported."""
        for index, statement in enumerate(statements, start=1):
            if not isinstance(statement, dict):
                self.notice(None, "not a statement: a JSON object was expected", index=index)
                continue
            record_type = statement.get("recordType")
            record_id = statement.get("recordId")
            if record_type is None and "statementType" in statement:
                self.notice(statement, "a BODS 0.2/0.3 statement (statementType): only BODS 0.4 is read", index=index)
                continue
            if record_type not in ("entity", "person", "relationship") or not isinstance(record_id, str):
                self.notice(statement, "no recordType entity/person/relationship with a recordId", index=index)
                continue
            if not isinstance(statement.get("recordDetails"), dict):
                self.notice(statement, "no recordDetails", index=index)
                continue
            version = _object(statement.get("publicationDetails")).get("bodsVersion")
            if isinstance(version, str) and not version.startswith("0.4"):
                self.notice(statement, f"BODS version {version}: only 0.4 is read", index=index)
                continue
            earlier = records.add(index, record_id, record_type, statement)
            if earlier is not None:
                self.notice(statement, f"record {record_id} is a {earlier} in an earlier statement", index=index)
        records.done()
        return records

    # -- what an xmfin export carries in annotations -------------------------------------------------------

    def restore_dataset(self, records: Iterable[list[dict[str, Any]]]) -> None:
        """The sections of an xmfin export's xmfinDataset annotation (the first found), sources first."""
        if not self.trust_xmfin:
            return
        for series in records:
            for statement in series:
                for annotation in _array(statement.get("annotations")):
                    given = _object(annotation).get(XMFIN_DATASET)
                    if isinstance(given, dict):
                        self.restored_any = True
                        for section in (*DATASET_SECTIONS, "pendingHoldings", "pendingPositions"):
                            value = given.get(section)
                            if isinstance(value, (dict, list)):
                                self.sections[section] = _bounded(value)  # finite numbers, bounded depth
                        for key, source in _object(self.sections.pop("sources", {})).items():
                            if isinstance(key, str) and isinstance(source, dict) and key not in self.sources:
                                self.sources[key] = _bounded(source)
                                self.source_keys[json.dumps(_xmfin_source_key(key, source), sort_keys=True)] = key
                        return

    def restored(self, statement: dict[str, Any], record_type: str) -> dict[str, Any] | None:
        """The record an xmfin export carried with the statement, when its digest matches the details."""
        if not self.trust_xmfin:
            return None
        for annotation in _array(statement.get("annotations")):
            given = _object(annotation).get(XMFIN_RECORD)
            if not isinstance(given, dict) or given.get("type") != record_type:
                continue
            record = given.get("record")
            if not isinstance(record, dict):
                continue
            if given.get("digest") != record_digest(statement.get("recordDetails")):
                self.notice(
                    statement,
                    "its xmfin record annotation does not match its details (changed after the export): "
                    "imported from the BODS fields",
                    partly=True,
                )
                return None
            known = FIELDS[record_type]
            self.restored_any = True
            return {key: _bounded(value) for key, value in record.items() if key in known or key == "id"}
        return None

    def sources_of(self, statement: dict[str, Any]) -> list[str]:
        """The xmfin sources an xmfin export carried in annotations; else one made of the BODS source."""
        found = []
        for annotation in _array(statement.get("annotations")) if self.trust_xmfin else []:
            given = _object(annotation).get(XMFIN_SOURCE)
            if isinstance(given, dict) and isinstance(given.get("id"), str) and _text(given.get("title")):
                self.restored_any = True
                found.append(self.xmfin_source(given))
        return found or self.source(statement)

    def xmfin_source(self, given: dict[str, Any]) -> str:
        """The id of a source as xmfin exported it: its own id, unless another source already has it."""
        published = _date(given.get("published"))
        record = _compact(
            {
                "title": _text(given.get("title")),
                "publisher": _text(given.get("publisher")),
                "published": published.text if published else None,
                "url": _text(given.get("url")),
                "kind": given.get("kind") if isinstance(given.get("kind"), str) else None,
                "note": _text(given.get("note")),
                "extra": given.get("extra"),
            }
        )
        key = json.dumps(_xmfin_source_key(given["id"], record), sort_keys=True)
        if key not in self.source_keys:
            wanted = given["id"] if ID_PATTERN.fullmatch(given["id"]) else slug(given["id"]) or "source"
            source_id = self.unique(wanted, self.sources)
            self.sources[source_id] = record
            self.source_keys[key] = source_id
        return self.source_keys[key]

    def source(self, statement: dict[str, Any]) -> list[str]:
        """The id of the source for a statement's source and publication details (made once per distinct pair)."""
        given = _object(statement.get("source"))
        publication = _object(statement.get("publicationDetails"))
        publisher = _object(publication.get("publisher"))
        if not given and not publisher:
            return []
        key = _SORTED([given, publisher, publication.get("publicationDate")])
        if key in self.source_keys:
            return [self.source_keys[key]]
        publisher_name = _text(publisher.get("name"))
        asserted = [_text(a.get("name")) for a in _array(given.get("assertedBy")) if isinstance(a, dict)]
        asserted_names = [a for a in asserted if a]
        title = _text(given.get("description"))
        if title is None:
            title = f"BODS statements published by {publisher_name or 'an unnamed publisher'}"
            if asserted_names:
                title += f", as asserted by {', '.join(asserted_names)}"
        note_parts = []
        types = [t for t in _array(given.get("type")) if isinstance(t, str)]
        if types:
            note_parts.append("BODS source type: " + ", ".join(types))
        if asserted_names:
            note_parts.append("asserted by " + ", ".join(asserted_names))
        retrieved = _text(given.get("retrievedAt"))
        if retrieved:
            note_parts.append(f"retrieved {retrieved}")
        published = _date(publication.get("publicationDate"))
        base = slug(publisher_name or "") or "bods-source"
        source_id = self.unique(f"{base}-{published.text}" if published else base, self.sources)
        self.sources[source_id] = {
            "title": title,
            "publisher": publisher_name,
            "published": published.text if published else None,
            "url": _text(given.get("url")) or _text(publisher.get("url")),
            "note": "; ".join(note_parts) or None,
            "extra": {"bods": _bounded(_compact({"source": given or None, "publisher": publisher or None}))},
        }
        self.source_keys[key] = source_id
        return [source_id]

    @staticmethod
    def unique(base: str, taken: Container[str], numbered: MutableMapping[str, int] | None = None) -> str:
        """base, else the first of base-2, base-3, ... not taken. numbered, when given, keeps the number each base
        last reached (ids are only ever added, so every number below it is still taken): n entities of one name
        then take n steps, not n squared (each a query, when the ids are in the staging file)."""
        if base not in taken:
            return base
        number = 2 if numbered is None else numbered.get(base, 2)
        while f"{base}-{number}" in taken:
            number += 1
        if numbered is not None:
            numbered[base] = number
        return f"{base}-{number}"

    # -- entities and persons ------------------------------------------------------------------------------

    def party(self, series: list[dict[str, Any]]) -> None:
        statement = series[-1]
        record = self.restored(statement, "entity")
        if record is not None and isinstance(record.get("id"), str) and record["id"] not in self.entities:
            entity_id = record.pop("id")
            if ID_PATTERN.fullmatch(entity_id) and isinstance(record.get("name"), str):
                self.ids[statement["recordId"]] = entity_id
                self.entities[entity_id] = record
                return
        details: dict[str, Any] = statement["recordDetails"]
        person = statement["recordType"] == "person"
        names = _person_names(details) if person else _entity_names(details)
        name = names["name"] or ("Unknown person" if person else "Unknown entity")
        wanted = _xmfin_id(statement) or slug(name) or slug(statement["recordId"]) or statement["recordType"]
        entity_id = self.unique(wanted, self.entities, self.numbered)
        self.ids[statement["recordId"]] = entity_id
        kind = "person" if person else _kind(details.get("entityType"))
        jurisdiction = _person_jurisdiction(details) if person else _entity_jurisdiction(details)
        note = None
        unspecified = details.get("unspecifiedPersonDetails") or details.get("unspecifiedEntityDetails")
        if names["name"] is None:
            reason = unspecified.get("reason") if isinstance(unspecified, dict) else None
            note = "BODS gives no name" + (f" (reason: {reason})" if reason else "")
        founded = None if person else _date(details.get("foundingDate"))
        dissolved = None if person else _date(details.get("dissolutionDate"))
        if founded and dissolved and dissolved.last < founded.first:
            dissolved = None
            self.notice(statement, "dissolutionDate before foundingDate: the dissolution is left out", partly=True)
        native = _PARTY_NATIVE if names["name"] is not None else ("isComponent", "foundingDate", "dissolutionDate")
        kept = {key: value for key, value in details.items() if key not in native}
        if details.get("isComponent") is True:
            kept["isComponent"] = True  # a component of an indirect chain: kept for the export
        if "foundingDate" in details and founded is None and not person:
            kept["foundingDate"] = details["foundingDate"]
        if "dissolutionDate" in details and dissolved is None and not person:
            kept["dissolutionDate"] = details["dissolutionDate"]
        former = [{"name": n} for n in names["former"]]
        for earlier, later in itertools.pairwise(series):
            # A name the record had in an earlier statement is a former name, to the day before the next.
            earlier_name = (_person_names if person else _entity_names)(earlier["recordDetails"])["name"]
            if earlier_name and earlier_name != name and all(f["name"] != earlier_name for f in former):
                ended = _date(later.get("statementDate"))
                former.append(_compact({"name": earlier_name, "until": _day(_day_before(ended)) if ended else None}))
            elif earlier["recordDetails"] != statement["recordDetails"]:
                later_id = statement.get("statementId", "?")
                self.notice(earlier, f"superseded by the later statement {later_id} of record {earlier['recordId']}")
        annotations = _foreign_annotations(statement)
        self.entities[entity_id] = {
            "name": name,
            "former_names": former or None,
            "aliases": names["aliases"] or None,
            "kind": kind,
            "jurisdiction": jurisdiction,
            "founded": founded.text if founded else None,
            "dissolved": dissolved.text if dissolved else None,
            "sources": self.sources_of(statement) or None,
            "note": note,
            "extra": {
                "bods": _bounded(
                    _compact(
                        {
                            "statementId": statement.get("statementId"),
                            "recordId": statement["recordId"],
                            **kept,
                            "annotations": annotations or None,
                        }
                    )
                )
            },
        }
        if statement.get("recordStatus") == "closed":
            self.notice(statement, "the record is closed; its last details are kept", partly=True)

    # -- relationships -------------------------------------------------------------------------------------

    def relationship_series(self, series: list[dict[str, Any]]) -> None:
        """The holdings and roles of one relationship record over its statements (see the module's History)."""
        made: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # (kind, record, statement), in order
        current: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]] = {}
        for statement in series:
            restored = self.restored_relationship(statement)
            if restored is not None:
                made.append((restored[0], restored[1], statement))
                continue
            parsed = self.parse_relationship(statement)
            if parsed is None:
                continue
            day = _date(statement.get("statementDate"))
            later: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]] = {}
            for key, kind, record in parsed:
                before = current.get(key)
                if before is not None:
                    previous, previous_statement = before
                    if _same_interest(previous, record):
                        ended = _date(record["until"])
                        if ended is not None and ended.last >= _first(previous["since"]):
                            previous["until"] = record["until"]
                        elif ended is not None:
                            self.notice(
                                statement,
                                f"{_what(kind, record)} ends before the start of the interest it continues: the "
                                "end is left out",
                                partly=True,
                            )
                        later[key] = before
                        continue
                    if record["since"] is None or record["since"] == previous["since"]:
                        earlier_day = _date(previous_statement.get("statementDate"))
                        later_day = day is not None and (earlier_day is None or day.first > earlier_day.first)
                        ended = _date(record["until"])
                        if later_day and day is not None and ended is not None and ended.last < day.first:
                            # It says only that the interest had ended before this statement: the earlier
                            # holding ends then, and nothing new starts.
                            if previous["until"] is None:
                                previous["until"] = _day(max(ended.last, _first(previous["since"])))
                            later[key] = before
                            continue
                        if later_day and day is not None and previous["until"] is None:
                            # Changed as of this (later) statement: the earlier holding ends the day before it. A
                            # start date restated unchanged is the interest's, not the new share's.
                            if record["since"] is not None and day.first > _first(record["since"]):
                                self.notice(
                                    statement,
                                    f"{_what(kind, record)} changed with its earlier startDate {record['since']}: "
                                    f"the change counts from this statement's date {day.text}",
                                    partly=True,
                                )
                            previous["until"] = _day(max(_day_before(day), _first(previous["since"])))
                            record["since"] = day.text
                        else:  # restated from the same start on the same day: a correction that replaces it
                            self.notice(
                                previous_statement,
                                f"{_what(kind, record)} replaced by the later statement "
                                f"{statement.get('statementId', '?')} of record {statement['recordId']}",
                                partly=True,
                            )
                            previous.clear()
                            previous.update(record)
                            later[key] = (previous, statement)
                            continue
                    elif previous["until"] is None:
                        start = _date(record["since"])
                        assert start is not None
                        previous["until"] = _day(max(_day_before(start), _first(previous["since"])))
                made.append((kind, record, statement))
                later[key] = (record, statement)
            if day is not None:
                for key, (previous, _) in current.items():
                    if key not in later and previous["until"] is None:
                        # No longer stated: it ended the day before this statement.
                        previous["until"] = _day(max(_day_before(day), _first(previous["since"])))
                if statement.get("recordStatus") == "closed":
                    for previous, _ in later.values():
                        if previous["until"] is None:
                            previous["until"] = _day(max(_day_before(day), _first(previous["since"])))
            current = later
        for kind, record, statement in made:
            if not record:
                continue  # replaced by a correction (its record was emptied and refilled: never empty)
            if kind == "role":
                self.roles.append(record)
            else:
                self.add_holding(statement, record)

    def restored_relationship(self, statement: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        for record_type in ("holding", "role"):
            record = self.restored(statement, record_type)
            if record is None:
                continue
            details = statement["recordDetails"]
            ends = (self.ids.get(str(details.get("interestedParty"))), self.ids.get(str(details.get("subject"))))
            keys = ("owner", "owned") if record_type == "holding" else ("holder", "of")
            if ends == (record.get(keys[0]), record.get(keys[1])):
                return record_type, record
        return None

    def parse_relationship(self, statement: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, dict[str, Any]]] | None:
        """The holdings and roles one statement states, each with its key in the record's history."""
        details = statement["recordDetails"]
        ends = []
        for key in ("interestedParty", "subject"):
            end = details.get(key)
            if isinstance(end, dict):
                reason = end.get("reason", "no reason given")
                subject = details.get("subject")
                subject_id = self.ids.get(subject) if isinstance(subject, str) else None
                if key == "interestedParty" and subject_id is not None:
                    self.keep_relationship(
                        statement,
                        subject_id,
                        f"the interestedParty is unspecified ({reason}): no holding; kept under the subject's "
                        "extra.bods.keptRelationships",
                        partly=True,
                    )
                    return None
                self.notice(statement, f"the {key} is unspecified ({reason}): xmfin needs a named entity")
                return None
            end_id = self.ids.get(end) if isinstance(end, str) else None
            if end_id is None:
                self.notice(statement, f"the {key} '{end}' is not a record of this file")
                return None
            ends.append(end_id)
        owner, owned = ends
        if owner == owned:
            self.notice(statement, "an entity cannot hold itself")
            return None
        interests = details.get("interests")
        stated = isinstance(interests, list) and bool(interests)
        if not isinstance(interests, list) or not interests:
            interests = [{}]  # a relationship of unknown nature is still a link
        found_sources: list[list[str]] = []  # made on first use: a statement with no holding makes no source

        def sources() -> list[str]:
            if not found_sources:
                found_sources.append(self.sources_of(statement))
            return found_sources[0]

        found: list[tuple[tuple[Any, ...], str, dict[str, Any]]] = []
        left_out: list[tuple[str, str]] = []  # (what, why)
        indirect: list[Any] = []  # indirect interests, as BODS has them, for the export to write back
        seen: dict[Any, int] = {}
        for index, interest in enumerate(interests, start=1):
            label = _interest_label(index, interest)
            if not isinstance(interest, dict):
                left_out.append((f"{label}: not an object", ""))
                continue
            if interest.get("directOrIndirect") == "indirect":
                indirect.append([index - 1, interest])  # with its place among the interests
                share = _share_text(interest.get("share"))
                left_out.append(
                    (
                        f"interest {index}: the indirect {interest.get('type', 'interest')}{share}",
                        " (xmfin derives indirect stakes from the direct holdings)",
                    )
                )
                continue
            kind = interest.get("type")
            occurrence = seen[_hashable(kind)] = seen.get(_hashable(kind), -1) + 1
            slot = (owner, owned, _hashable(kind), occurrence)
            since, until = _date(interest.get("startDate")), _date(interest.get("endDate"))
            for key, parsed in (("startDate", since), ("endDate", until)):
                if parsed is None and interest.get(key) is not None:
                    self.notice(statement, f"{label}: {key} {_shown(interest[key])} is not a date: left out", True)
            if until is not None:
                # BODS endDate is the first day the interest no longer exists: the holding ends the day before.
                until = parse_date(_day(max(_day_before(until), since.first if since else dt.date.min)))
            if since and until and until.last < since.first:
                self.notice(statement, f"{label}: its endDate is before its startDate: the end is left out", True)
                until = None
            if isinstance(kind, str) and kind in ROLE_INTERESTS:
                role = {
                    "holder": owner,
                    "of": owned,
                    "title": _text(interest.get("details")) or ROLE_INTERESTS[kind],
                    "since": since.text if since else None,
                    "until": until.text if until else None,
                    "sources": sources() or None,
                }
                found.append((slot, "role", role))
                continue
            made = self.holding(statement, label, owner, owned, interest, since, until, sources())
            if not stated:
                made["extra"]["bods"]["interests"] = "none stated"  # written back without interests
            found.append((slot, "holding", made))
        # Of several interests at once, the first by kind (equity, VIE, voting, other) is the holding.
        found.sort(key=lambda item: -1 if item[1] == "role" else _CONTROL_ORDER.index(item[2]["control"]))
        holdings = [record for _, kind, record in found if kind == "holding"]
        if holdings and indirect:
            holdings[0]["extra"]["bods"]["indirectInterests"] = _bounded(indirect)
        kept = "; kept in the holding's extra for the export" if holdings and indirect else ""
        if found:
            for what, why in left_out:
                self.notice(statement, f"left out {what}{why}{kept if 'indirect' in what else ''}", partly=True)
        elif left_out and len(indirect) == len(left_out):
            # Only indirect interests: the statement is kept with its subject, for the export to write back.
            reasons = "".join(dict.fromkeys(why for _, why in left_out))
            self.keep_relationship(
                statement,
                owned,
                "left out "
                + "; ".join(what for what, _ in left_out)
                + reasons
                + "; kept in the subject's extra for the export",
            )
        elif left_out:  # nothing of the statement is imported: one notice says why
            reasons = "".join(dict.fromkeys(why for _, why in left_out))
            self.notice(statement, "left out " + "; ".join(what for what, _ in left_out) + reasons)
        return found

    def keep_relationship(self, statement: dict[str, Any], subject: str, message: str, partly: bool = False) -> None:
        """A relationship that is no holding (an unspecified owner, exempt from disclosure or unknown; only
        indirect interests) is kept under the subject's extra.bods.keptRelationships, from where the export
        writes it back. One an xmfin export wrote back is kept again without a notice (it was given at the
        first import)."""
        # The record id it was kept under, when an xmfin export wrote it back (under another id if it clashed).
        marks = [_object(a).get(XMFIN_KEPT) for a in _array(statement.get("annotations"))] if self.trust_xmfin else []
        kept_id = next((m for m in marks if isinstance(m, str)), None)
        written_back = kept_id is not None
        record_id = kept_id or statement["recordId"]
        if written_back:
            message = ""
        entity = self.entities[subject]
        if not isinstance(entity.get("extra"), dict):
            entity["extra"] = {}
        if not isinstance(entity["extra"].get("bods"), dict):
            entity["extra"]["bods"] = {}
        kept = entity["extra"]["bods"].setdefault("keptRelationships", [])
        if not isinstance(kept, list):
            kept = entity["extra"]["bods"]["keptRelationships"] = []
        record = _bounded(
            _compact(
                {
                    "recordId": record_id,
                    "statementId": statement.get("statementId"),
                    "recordStatus": statement.get("recordStatus"),
                    "recordDetails": statement["recordDetails"],
                    "annotations": _foreign_annotations(statement) or None,
                }
            )
        )
        same = [n for n, k in enumerate(kept) if _object(k).get("recordId") == record_id]
        if not same:
            kept.append(record)
        elif not written_back and _without_subject(_object(kept[same[0]]).get("recordDetails")) != _without_subject(
            record["recordDetails"]
        ):
            kept[same[0]] = record  # a later statement of the record changed it (not one read back from an export)
        self.entities[subject] = entity  # kept where the entities are (memory, or the staging file)
        if message:
            self.notice(statement, message, partly)

    def holding(
        self,
        statement: dict[str, Any],
        label: str,
        owner: str,
        owned: str,
        interest: dict[str, Any],
        since: PartialDate | None,
        until: PartialDate | None,
        sources: list[str],
    ) -> dict[str, Any]:
        kind = interest.get("type")
        control = CONTROL_OF_INTEREST.get(kind, "other") if isinstance(kind, str) else "other"
        stakes, unrepresented = self.share(statement, label, interest)
        text = _text(interest.get("details"))
        if text == VIE_DETAILS:
            text = None  # what the export says of every VIE: not a note of its own
        elif control == "vie" and text and text.startswith(VIE_DETAILS + ". "):
            text = text[len(VIE_DETAILS) + 2 :]
        extra = _compact(
            {
                "statementId": statement.get("statementId"),
                "recordId": statement.get("recordId"),
                "isComponent": True if statement["recordDetails"].get("isComponent") is True else None,
                "componentRecords": statement["recordDetails"].get("componentRecords"),
                "interestType": kind,
                "directOrIndirect": interest.get("directOrIndirect"),
                "beneficialOwnershipOrControl": interest.get("beneficialOwnershipOrControl"),
                "share": interest.get("share") if unrepresented else None,
                "annotations": _foreign_annotations(statement) or None,
            }
        )
        return {
            "owner": owner,
            "owned": owned,
            **stakes,
            "control": control,
            "since": since.text if since else None,
            "until": until.text if until else None,
            "sources": sources or None,
            "note": text,
            "extra": {"bods": _bounded(extra)},
        }

    def share(self, statement: dict[str, Any], label: str, interest: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The stake fields of an interest's share: exact, or a range; and whether some of it did not survive."""
        found: dict[str, Any] = dict.fromkeys(_STAKE_FIELDS)
        if "share" not in interest:
            return found, False
        share = interest["share"]
        if not isinstance(share, dict):
            self.notice(statement, f"{label}: share {_shown(share)} is not an object: left undisclosed", True)
            return found, True
        if "exact" in share:
            value, why = _percent(share["exact"])
            if why is None and value == 0:
                why = "0% is not a stake (a holding is more than 0%)"
            if why is not None:
                self.notice(statement, f"{label}: share.exact {why}: the stake is left undisclosed", True)
                return found, True
            found["stake"] = value
            if any(key in share for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
                self.notice(statement, f"{label}: the range beside share.exact is left out", True)
                return found, True
            return found, False
        bounds: dict[str, float] = {}
        for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            if key in share:
                value, why = _percent(share[key])
                if why is not None:
                    self.notice(statement, f"{label}: share.{key} {why}: the stake is left undisclosed", True)
                    return found, True
                assert value is not None
                bounds[key] = value
        low = _bound(bounds, "minimum", "exclusiveMinimum", max)
        high = _bound(bounds, "maximum", "exclusiveMaximum", min)
        if len([k for k in bounds if "inimum" in k]) > 1 or len([k for k in bounds if "aximum" in k]) > 1:
            self.notice(statement, f"{label}: both an inclusive and an exclusive bound: the narrower is kept", True)
        if low is not None:
            found["stake_min"], found["stake_min_exclusive"] = low[0], low[1] or None
        if high is not None:
            found["stake_max"], found["stake_max_exclusive"] = high[0], high[1] or None
        why = _range_problem(low, high)
        if why is not None:
            self.notice(statement, f"{label}: the share{_share_text(share)} {why}: left undisclosed", True)
            return dict.fromkeys(_STAKE_FIELDS), True
        if low is not None and low[0] == 0 and not low[1] and high is None:
            return dict.fromkeys(_STAKE_FIELDS), False  # at least 0%: says nothing
        return found, False

    def add_holding(self, statement: dict[str, Any], holding: dict[str, Any]) -> None:
        """Add a holding, or keep it under the extra of one it overlaps (the loader allows one link at a time)."""
        since, until = _date(holding.get("since")), _date(holding.get("until"))
        owned = str(holding.get("owned"))
        # Only the same party's holdings in the entity can overlap it (indexed by pair: a scan of every holding
        # in the entity made an import of n holders of one company n squared).
        for reference, other, other_since, other_until in self.holdings.same_party(owned, str(holding.get("owner"))):
            if overlap(since, until, other_since, other_until):
                if not isinstance(other.get("extra"), dict):
                    other["extra"] = {}
                if not isinstance(other["extra"].get("bods"), dict):
                    other["extra"]["bods"] = {}
                folded = {key: holding.get(key) for key in ("control", *_STAKE_FIELDS, "since", "until", "note")}
                own = _object(_object(holding.get("extra")).get("bods"))
                other["extra"]["bods"].setdefault("otherInterests", []).append(_compact({**folded, **own}))
                self.holdings.changed(reference, other)
                self.notice(
                    statement,
                    f"its {holding.get('control')} interest overlaps the {other.get('control')} holding of the same "
                    "party: kept under that holding's extra.bods.otherInterests (xmfin has one link between two "
                    "entities at a time)",
                    partly=True,
                )
                return
        floor = _floor(holding)
        counted = holding.get("control") == "equity" and not holding.get("pending") and floor > 0
        # When all the equity ever held in the entity fits, so does the equity on any one day.
        equity = self.holdings.equity(owned)
        # Below 100 even a "more than" range fits; at 100 or above, the days the holdings overlap decide.
        within = equity + floor < _NEAR_FULL
        if counted and not within and self.too_much(holding, since, until, self.holdings.present(owned)):
            note = f"BODS share {_stake_text(holding)} left undisclosed: equity in the entity would exceed 100%"
            if note not in (holding.get("note") or ""):
                holding["note"] = f"{holding['note']}. {note}" if holding.get("note") else note
            bods = _object(_object(holding.get("extra")).get("bods"))
            if "share" not in bods and isinstance(holding.get("extra"), dict):
                holding["extra"]["bods"] = {**bods, "share": _share_of(holding)}
            for key in _STAKE_FIELDS:
                holding[key] = None
            self.notice(statement, note, partly=True)
        added = _floor(holding) if counted else 0.0
        self.holdings.append(holding, since, until, equity + added if added else None)

    @classmethod
    def too_much(
        cls,
        holding: dict[str, Any],
        since: PartialDate | None,
        until: PartialDate | None,
        present: list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]],
    ) -> bool:
        """Whether the holding would make the equity in its entity more than 100% on some day of its period, as
        the loader's check counts it (loading._too_much: floors above 100, or at 100 with a "more than" range
        among them; here any such range overlapping the holding's period counts, which may leave a stake
        undisclosed that the check would have let pass, never the other way)."""
        peak = cls.equity_peak(_floor(holding), since, until, present)
        strict = _strict(holding) or any(
            _strict(other)
            and other.get("control") == "equity"
            and not other.get("pending")
            and overlap(since, until, start, end)
            for other, start, end in present
        )
        return peak > _FULL or (strict and peak >= _NEAR_FULL)

    @staticmethod
    def equity_peak(
        floor: float,
        since: PartialDate | None,
        until: PartialDate | None,
        present: list[tuple[dict[str, Any], PartialDate | None, PartialDate | None]],
    ) -> float:
        """The most equity in the holding's entity on any day of its period, the holding included.

        In time n log n for n holdings present (a day-by-day sum over every start was n squared per holding, so
        that 4,000 holders of one company took 30 s to import, 10,000 several minutes): only the holdings that
        overlap the period count, and when all of them together fit, that sum is the answer; else one sweep over
        their starts and ends within the period."""
        first = since.first if since else dt.date.min
        last = until.last if until else dt.date.max
        others = [
            (_floor(other), start, end)
            for other, start, end in present
            if other.get("control") == "equity"
            and not other.get("pending")
            and _floor(other) > 0
            and overlap(since, until, start, end)
        ]
        together = floor + math.fsum(stake for stake, _, _ in others)
        if together <= _FULL:
            return together
        # (day, 0, stake) when a holding starts within the period, (day, 1, -stake) after the last day it holds:
        # on a day one ends and another starts, both count.
        changes: list[tuple[dt.date, int, float]] = []
        for stake, start, end in others:
            changes.append((max(start.first if start else dt.date.min, first), 0, stake))
            changes.append((min(end.last if end else dt.date.max, last), 1, -stake))
        changes.sort()
        running, peak = floor, floor
        for _, _, change in changes:
            running += change
            peak = max(peak, running)
        return peak

    def records_out(self) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        """(record type, id or None, fields) of every record, in the order entities_text and licences_text
        write them."""
        keyed: list[tuple[str, MutableMapping[str, dict[str, Any]]]] = [
            ("source", self.sources),
            ("group", _object(self.sections.get("groups"))),
            ("entity", self.entities),
        ]
        for record_type, records in keyed:
            for key, fields in records.items():
                yield record_type, key, fields
        for record_type, items in (
            ("holding", self.holdings),
            ("role", self.roles),
            ("event", _records(self.sections.get("events"))),
        ):
            for fields in items:
                yield record_type, None, fields
        for record_type, records in (
            ("family", _object(self.sections.get("families"))),
            ("category", _object(self.sections.get("categories"))),
        ):
            for key, fields in records.items():
                yield record_type, key, fields
        for record_type, items in (
            ("licence", _records(self.sections.get("licences"))),
            ("claim", _records(self.sections.get("claims"))),
        ):
            for fields in items:
                yield record_type, None, fields

    def entities_text(self) -> str:
        return yamltext.entities_file(
            f"Imported from {yamltext.scalar(os.path.basename(self.report.file))} by `xmfin import bods` (BODS 0.4).",
            [
                ("sources", self.sources),
                ("groups", _object(self.sections.get("groups"))),
                ("entities", self.entities),
            ],
            [
                ("holdings", list(self.holdings)),
                ("roles", list(self.roles)),
                ("events", _records(self.sections.get("events"))),
            ],
        )

    def licences_text(self) -> str:
        head = "# BODS has no licences: add them here.\n" if not self.sections else "# From an xmfin export.\n"
        lines = [
            "version: 1",
            *yamltext.keyed_section("families", _object(self.sections.get("families"))),
            *yamltext.keyed_section("categories", _object(self.sections.get("categories"))),
            *yamltext.list_section("licences", _records(self.sections.get("licences"))),
            *yamltext.list_section("claims", _records(self.sections.get("claims"))),
        ]
        return head + "\n".join(lines) + "\n"


def _without_subject(details: Any) -> Any:
    return {k: v for k, v in details.items() if k != "subject"} if isinstance(details, dict) else details


def _records(value: Any) -> list[dict[str, Any]]:
    return [item for item in _array(value) if isinstance(item, dict)]


def _first(since: Any) -> dt.date:
    """The first day of a start date given as text (the earliest end a holding can have), else the first day."""
    start = _date(since)
    return start.first if start else dt.date.min


def _what(kind: str, record: dict[str, Any]) -> str:
    return "its role" if kind == "role" else f"its {record.get('control')} interest"


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) or value is None else json.dumps(value, sort_keys=True)


def _same_interest(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two statements of an interest state the same thing (dates and sources aside)."""
    keys = (*_STAKE_FIELDS, "control", "note", "title")
    return all(a.get(key) == b.get(key) for key in keys) and (
        b.get("since") is None or a.get("since") == b.get("since")
    )


def _bound(bounds: dict[str, float], inclusive: str, exclusive: str, narrower: Any) -> tuple[float, bool] | None:
    """A range's bound as (value, exclusive); of an inclusive and an exclusive one, the narrower."""
    given = [(bounds[inclusive], False)] if inclusive in bounds else []
    given += [(bounds[exclusive], True)] if exclusive in bounds else []
    if not given:
        return None
    if len(given) == 2 and given[0][0] == given[1][0]:
        return given[1]  # the exclusive bound is the narrower at the same value
    chosen: tuple[float, bool] = narrower(given, key=lambda pair: pair[0])
    return chosen


def _range_problem(low: tuple[float, bool] | None, high: tuple[float, bool] | None) -> str | None:
    if high is not None and high[0] <= 0:
        return "has no room above 0% (a holding is more than 0%)"
    if low is not None and low[0] == 100 and low[1]:
        return "is above 100%"
    if low is not None and high is not None and (low[0] > high[0] or (low[0] == high[0] and (low[1] or high[1]))):
        return "is empty"
    return None


def _share_text(share: Any) -> str:
    """' 25-50%' style text of a BODS share, for notices; empty when there is none to show."""
    if not isinstance(share, dict):
        return ""
    parts = [f"{key} {_shown(value)}" for key, value in share.items() if key != "exact"]
    if "exact" in share:
        parts.insert(0, f"{_shown(share['exact'])}%")
    return f" of {', '.join(parts)}" if parts else ""


def _strict(holding: dict[str, Any]) -> bool:
    """Whether a holding is certainly more than its floor by its range: "more than 50%" (loading._too_much)."""
    return holding.get("stake") is None and _floor(holding) > 0 and holding.get("stake_min_exclusive") is True


def _floor(holding: dict[str, Any]) -> float:
    """The least equity a holding stands for: its stake, the lower bound of its range, or 0 (as the loader)."""
    for key in ("stake", "stake_min"):
        value = holding.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return 0.0


def _share_of(holding: dict[str, Any]) -> dict[str, Any]:
    """A holding's stake fields as a BODS share."""
    if holding.get("stake") is not None:
        return {"exact": holding["stake"]}
    found = {}
    for key, flag, inclusive, exclusive in (
        ("stake_min", "stake_min_exclusive", "minimum", "exclusiveMinimum"),
        ("stake_max", "stake_max_exclusive", "maximum", "exclusiveMaximum"),
    ):
        if holding.get(key) is not None:
            found[exclusive if holding.get(flag) else inclusive] = holding[key]
    return found


def _stake_text(holding: dict[str, Any]) -> str:
    if holding.get("stake") is not None:
        return f"{holding['stake']:g}%"
    low, high = holding.get("stake_min"), holding.get("stake_max")
    left = "" if low is None else f"{'>' if holding.get('stake_min_exclusive') else '>='}{low:g}%"
    right = "" if high is None else f"{'<' if holding.get('stake_max_exclusive') else '<='}{high:g}%"
    return " ".join(part for part in (left, right) if part)


def _xmfin_source_key(source_id: str, record: dict[str, Any]) -> list[Any]:
    return [source_id, {key: value for key, value in record.items() if value is not None}]


def _foreign_annotations(statement: dict[str, Any]) -> list[Any]:
    """The statement's annotations other than the ones an xmfin export writes."""
    return [
        annotation
        for annotation in _array(statement.get("annotations"))
        if not (isinstance(annotation, dict) and any(key in annotation for key in XMFIN_PROPERTIES))
    ]


# A notice is one line on stderr whatever the data holds: line breaks in it are shown escaped.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _one_line(text: str, limit: int = 200) -> str:
    flat = text.translate(_LINE_BREAKS)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _bounded(value: Any, depth: int = 0) -> Any:
    """A JSON value for `extra`, with what is nested more than MAX_DEPTH deep kept as JSON text (no reader,
    ours included, has to recurse that far)."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return json.dumps(value, ensure_ascii=False)
        return {key: _bounded(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return json.dumps(value, ensure_ascii=False)
        return [_bounded(item, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)  # 1e400 reads as infinity, which no data file holds: kept as its text
    return value


def _array(value: Any) -> list[Any]:
    """A JSON array, or an empty one in place of anything else."""
    return value if isinstance(value, list) else []


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one in place of anything else."""
    return value if isinstance(value, dict) else {}


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _xmfin_id(statement: dict[str, Any]) -> str | None:
    details = statement.get("recordDetails")
    identifiers = details.get("identifiers") if isinstance(details, dict) else None
    for identifier in _array(identifiers):
        if isinstance(identifier, dict) and identifier.get("schemeName") == XMFIN_SCHEME:
            found = identifier.get("id")
            if isinstance(found, str) and ID_PATTERN.fullmatch(found):
                return found
    return None


def _kind(entity_type: Any) -> str:
    """xmfin's kind of a BODS entity type: the kind xmfin wrote in `details`, state, partnership or company."""
    if not isinstance(entity_type, dict):
        return "company"
    if entity_type.get("details") in ENTITY_KINDS and entity_type.get("details") != "person":
        return str(entity_type["details"])
    found = entity_type.get("type")
    if found in ("state", "stateBody"):
        return "state"
    if found == "arrangement":
        return "partnership"  # persons associated by an agreement: a joint shareholding, a nominee arrangement
    return "company"


def _entity_names(details: dict[str, Any]) -> dict[str, Any]:
    alternate = [_text(n) for n in _array(details.get("alternateNames"))]
    name = _text(details.get("name"))
    return {"name": name, "former": [], "aliases": [n for n in dict.fromkeys(alternate) if n and n != name]}


def _person_names(details: dict[str, Any]) -> dict[str, Any]:
    """The legal name (else the first) as the name; former names; the rest as aliases."""
    found: list[tuple[str | None, str]] = []
    for item in _array(details.get("names")):
        if not isinstance(item, dict):
            continue
        full = _text(item.get("fullName")) or " ".join(
            part for part in (_text(item.get("givenName")), _text(item.get("familyName"))) if part
        )
        if full:
            found.append((item.get("type"), full))
    legal = next((full for kind, full in found if kind == "legal"), None)
    name = legal or next((full for kind, full in found if kind != "former"), None)
    former = list(dict.fromkeys(full for kind, full in found if kind == "former" and full != name))
    aliases = list(dict.fromkeys(full for kind, full in found if kind != "former" and full != name))
    return {"name": name, "former": former, "aliases": aliases}


def _entity_jurisdiction(details: dict[str, Any]) -> str | None:
    given = details.get("jurisdiction")
    code = given.get("code") if isinstance(given, dict) else None
    return code if isinstance(code, str) and JURISDICTION_PATTERN.fullmatch(code) else None


def _person_jurisdiction(details: dict[str, Any]) -> str | None:
    nationalities = details.get("nationalities")
    if isinstance(nationalities, list) and len(nationalities) == 1 and isinstance(nationalities[0], dict):
        code = nationalities[0].get("code")
        if isinstance(code, str) and JURISDICTION_PATTERN.fullmatch(code):
            return code
    return None
