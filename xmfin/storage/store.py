"""The store: every record of a data folder in one indexed SQLite file, read a part at a time.

Why SQLite (README, docs/scale.md): it is in Python's standard library (nothing to install, nothing to start),
one file that readers share safely, and its recursive queries over an index on the owned entity answer the
owners above one entity among 19 million holdings in under a millisecond, where DuckDB's recursive CTE took
2.9 s on the same data (a columnar engine scans; this question wants an index).

Layout: one table per record type, each row the record as compact JSON (codec.py) in the order of the data
files (`seq`), with the columns the queries select on; `label` holds every name an entity is found by,
case-folded, with a trigram full-text index for substrings in any script. Tables are written first and
indexed at the end (a bulk load then one sort per index), in a temporary file renamed into place when whole:
an interrupted build leaves no store behind, and readers of the old file are never disturbed.

A store says what it is: SQLite's `application_id` is XMFIN_ID, `user_version` the layout's FORMAT, and
`meta` the xmfin version that wrote it and what it was built from. A store of another layout or another
xmfin version, or a file SQLite cannot read, is refused (StoreError) with what to do.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xmfin import __version__, model
from xmfin.errors import Problem, UsageError
from xmfin.fileio import TEMP_SUFFIX
from xmfin.model import Dataset, Location
from xmfin.storage import codec

XMFIN_ID = 0x786D666E  # 'xmfn'
FORMAT = 1
SQLITE_HEADER = b"SQLite format 3\x00"
# Rows kept before they are written in one executemany: enough to amortise the call, small in memory.
BATCH = 20_000
# Names shorter than this cannot use the trigram index: they are looked for by a scan of the names.
TRIGRAM = 3

# Label kinds: an id is searched as a label but is not a name (lookup's exact match is by name only).
ID_LABEL, NAME_LABEL = 0, 1

_TABLES = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE source(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE grp(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE entity(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE holding(seq INTEGER PRIMARY KEY, owner TEXT NOT NULL, owned TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE role(seq INTEGER PRIMARY KEY, holder TEXT NOT NULL, of TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE event(seq INTEGER PRIMARY KEY, rec TEXT NOT NULL);
CREATE TABLE event_entity(entity TEXT NOT NULL, event INTEGER NOT NULL);
CREATE TABLE family(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE category(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE licence(seq INTEGER PRIMARY KEY, holder TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE claim(seq INTEGER PRIMARY KEY, grp TEXT NOT NULL, rec TEXT NOT NULL);
CREATE TABLE problem(seq INTEGER PRIMARY KEY, rec TEXT NOT NULL);
CREATE TABLE label(rowid INTEGER PRIMARY KEY, entity TEXT NOT NULL, kind INTEGER NOT NULL, folded TEXT NOT NULL);
"""
# Built once every row is in. Ids are unique (the loader and the imports refuse duplicates before this).
_INDEXES = """
CREATE UNIQUE INDEX source_id ON source(id);
CREATE UNIQUE INDEX grp_id ON grp(id);
CREATE UNIQUE INDEX entity_id ON entity(id);
CREATE INDEX holding_owned ON holding(owned);
CREATE INDEX holding_owner ON holding(owner);
CREATE INDEX role_holder ON role(holder);
CREATE INDEX role_of ON role(of);
CREATE INDEX event_entity_entity ON event_entity(entity);
CREATE INDEX licence_holder ON licence(holder);
CREATE INDEX claim_grp ON claim(grp);
CREATE INDEX label_folded ON label(folded);
CREATE VIRTUAL TABLE label_text USING fts5(
    folded, content='label', content_rowid='rowid', tokenize='trigram case_sensitive 1', detail='none'
);
CREATE TEMP TABLE label_copy AS SELECT rowid AS id, folded FROM label ORDER BY rowid;
INSERT INTO label_text(rowid, folded) SELECT id, folded FROM temp.label_copy;
DROP TABLE temp.label_copy;
"""
# The full-text index is filled from a copy of the labels in the temporary database rather than by FTS5's
# 'rebuild' (or a SELECT from `label` itself): at a million entities that took 50 s against 14 s for the copy
# and the insert (FTS5 reading the content table while writing its own pages into the same file).

# Each record class, the table it lives in and the columns besides seq and rec.
_KEYED: dict[type[Any], tuple[str, tuple[str, ...]]] = {
    model.Source: ("source", ("id",)),
    model.Group: ("grp", ("id",)),
    model.Entity: ("entity", ("id",)),
    model.Holding: ("holding", ("owner", "owned")),
    model.Role: ("role", ("holder", "of")),
    model.RecordedEvent: ("event", ()),
    model.Family: ("family", ("id",)),
    model.Category: ("category", ("id",)),
    model.Licence: ("licence", ("holder",)),
    model.Claim: ("claim", ("group",)),
}


# What reading a damaged file raises: SQLite's errors, and text that is not UTF-8 (sqlite3 decodes every TEXT
# value it returns, and a damaged page can hold any bytes).
_DAMAGED = (sqlite3.Error, UnicodeDecodeError)


def _encodable(text: str) -> bool:
    """Whether a text can be looked up: one with a lone surrogate (bytes of a command line that are not UTF-8,
    as Python decodes them) is not UTF-8, which SQLite needs, and no text in a store has one: it names nothing."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StoreError(UsageError):
    """A file that is not a store xmfin can read: another program's, another version's, or damaged."""


def is_store(path: Path) -> bool:
    """Whether path is a regular file that begins as an SQLite database does (a store, or a damaged one)."""
    try:
        with open(path, "rb") as stream:
            return stream.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def labels_of(entity: model.Entity) -> list[tuple[int, str]]:
    """(kind, case-folded text) of every label an entity is found by: its id, then each of its names."""
    found = [(ID_LABEL, entity.id.casefold())]
    found.extend((NAME_LABEL, name.casefold()) for name in dict.fromkeys(entity.names()))
    return found


class StoreWriter:
    """Writes a store: records added in order (any mix of types), then `finish()` indexes and renames it into
    place. Used as a context manager, an exception (or Ctrl-C) before finish removes the temporary file."""

    def __init__(self, path: Path, meta: dict[str, str]) -> None:
        self.path = path
        self.meta = {"xmfin": __version__, **meta}
        self.temp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()
        self.db = sqlite3.connect(self.temp, isolation_level=None, check_same_thread=False)
        # Temporary data (the index sorts, the copy of the labels) goes to temporary files, not memory: at ten
        # million entities the sorts alone would pass the import's memory budget.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index sorts
        self.db.executescript(_TABLES)
        self.db.execute("BEGIN")
        self._rows: dict[str, list[tuple[Any, ...]]] = {}
        self._sql: dict[str, str] = {}
        self._seq: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.indexed = False

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is not None:
            self.abort()

    def _put(self, table: str, row: tuple[Any, ...]) -> None:
        rows = self._rows.get(table)
        if rows is None:
            rows = self._rows[table] = []
            self._sql[table] = f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})"
        rows.append(row)
        if len(rows) >= BATCH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self._rows.get(table)
        if rows:
            self._write(self._sql[table], rows)
            rows.clear()

    def _write(self, sql: str, rows: list[Any]) -> None:
        try:
            self.db.executemany(sql, rows)
        except UnicodeEncodeError as error:
            # SQLite takes UTF-8 only: a text with a lone surrogate is a name of a file or folder whose bytes are
            # not UTF-8 (the label and the records' locations carry it), as Python decodes them.
            text = str(error.object)
            shown = text[max(0, error.start - 60) : error.end + 20]
            raise StoreError(
                f"cannot write the store {self.path}: {shown!r} is not UTF-8 text (a file or folder name whose"
                " bytes are not UTF-8?): rename it"
            ) from None

    def add(self, record: Any) -> None:
        """Add one record (a Source, Group, Entity, Holding, Role, RecordedEvent, Family, Category, Licence or
        Claim) after those added before it."""
        table, columns = _KEYED[type(record)]
        seq = self._seq.get(table, 0) + 1
        self._seq[table] = seq
        self.counts[table] = seq
        self._put(table, (seq, *(getattr(record, name) for name in columns), codec.dumps(record)))
        if table == "entity":
            for kind, folded in labels_of(record):
                self._put("label", (None, record.id, kind, folded))
        elif table == "event":
            for entity in dict.fromkeys(record.entities):
                self._put("event_entity", (entity, seq))

    def add_encoded(self, table: str, keys: tuple[Any, ...], rec: str, labels: Iterable[tuple[int, str]] = ()) -> None:
        """A record its maker encoded itself (codec's JSON text of its fields, `rec`), with its table's key
        columns (`keys`, as `add` takes them from the record) and, for an entity, its labels (labels_of): the
        rows `add` writes, without making the record first (csv_import's fast path). Not for events."""
        seq = self._seq.get(table, 0) + 1
        self._seq[table] = seq
        self.counts[table] = seq
        self._put(table, (seq, *keys, rec))
        if labels:
            entity = keys[0]
            rows = self._rows.get("label")
            if rows is None or len(rows) >= BATCH:
                for kind, folded in labels:
                    self._put("label", (None, entity, kind, folded))
            else:
                rows.extend([(None, entity, kind, folded) for kind, folded in labels])

    def add_all(self, data: Dataset) -> None:
        """Every record of a dataset, in the order of its files."""
        for section in (
            data.sources.values(),
            data.groups.values(),
            data.entities.values(),
            data.holdings,
            data.roles,
            data.events,
            data.families.values(),
            data.categories.values(),
            data.licences,
            data.claims,
        ):
            for record in section:
                self.add(record)

    def add_problem(self, problem: Problem) -> None:
        """A warning (or error) found in the records, kept so that `check` on the store shows it."""
        loc = problem.loc
        value = [[loc.file, loc.line, loc.column], problem.severity, problem.message]
        seq = self._seq.get("problem", 0) + 1
        self._seq["problem"] = seq
        self._put("problem", (seq, codec.dumps_value(value)))

    def index(self) -> None:
        """Write every row kept and build the indexes, before `finish`: an import then checks its references
        with indexed queries (xmfin/csv_import.py) and adds what it found with `add_problem`. Records added after
        this are not indexed: add only problems."""
        if self.indexed:
            return
        for table in list(self._rows):
            self._flush(table)
        self.db.execute("COMMIT")
        self.db.executescript(_INDEXES)
        self.db.execute("BEGIN")
        self.indexed = True

    def finish(self) -> None:
        """Index, describe and close the store, then rename it into place."""
        self.index()
        for table in list(self._rows):
            self._flush(table)
        counted = {f"count:{table}": str(self._seq.get(table, 0)) for table, _ in _KEYED.values()}
        self._write("INSERT INTO meta VALUES (?, ?)", sorted({**self.meta, **counted}.items()))
        self.db.execute(f"PRAGMA application_id={XMFIN_ID}")
        self.db.execute(f"PRAGMA user_version={FORMAT}")
        self.db.execute("COMMIT")
        self.db.execute("PRAGMA locking_mode=NORMAL")
        self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.close()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        """Close and remove the temporary file; nothing is left behind."""
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        with contextlib.suppress(OSError):
            self.temp.unlink()


def write_store(data: Dataset, problems: Iterable[Problem], path: Path, meta: dict[str, str]) -> None:
    """A whole dataset (and the problems found in it) as a store at path, written whole or not at all."""
    with StoreWriter(path, meta) as writer:
        writer.add_all(data)
        for problem in problems:
            writer.add_problem(problem)
        writer.finish()


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of the records a question reaches, by entity id.

    `down`: every entity these reach through holdings (the members of a group under its root), each with all
    its direct owners, so that stakes can be bounded and control decided as on the whole data. `up`: every
    entity above these, with the holdings among them. `near`: the entities themselves, with what they hold
    directly and the other owners of that. `also`: these entities' own records only. Groups, their roots, the
    licence taxonomy and every claim come with any scope (they are few). `everything`: the whole store.
    """

    down: tuple[str, ...] = ()
    up: tuple[str, ...] = ()
    near: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    everything: bool = False
    all_licences: bool = False
    all_events: bool = False


@dataclass
class Store:
    """An open store, read a part at a time. Every query is an indexed lookup or a recursive query over the
    holding indexes; nothing is read whole unless asked for (`everything`)."""

    path: Path
    db: sqlite3.Connection
    meta: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> Store:
        """The store at path; StoreError saying what is wrong and what to do when it cannot be used."""
        if not is_store(path):
            raise StoreError(f"'{path}' is not an xmfin store (build one with: xmfin store build DIR -o FILE)")
        try:
            uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
            db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            application, version = (
                db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("application_id", "user_version")
            )
            if application != XMFIN_ID:
                db.close()
                raise StoreError(f"'{path}' is an SQLite database, not an xmfin store")
            if version != FORMAT:
                db.close()
                raise StoreError(
                    f"'{path}' is a store of layout {version}, this xmfin reads layout {FORMAT}: build it again"
                    " with 'xmfin store build' (or the import that made it)"
                )
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except _DAMAGED as error:
            raise StoreError(f"'{path}' is a damaged store ({error}): build it again") from None
        if meta.get("xmfin") != __version__:
            db.close()
            raise StoreError(
                f"'{path}' was built by xmfin {meta.get('xmfin', '(unknown)')}, this is xmfin {__version__}: build it"
                " again with 'xmfin store build' (or the import that made it)"
            )
        return cls(path, db, meta)

    def close(self) -> None:
        self.db.close()

    def _query(self, sql: str, parameters: Iterable[Any] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, tuple(parameters)).fetchall()
        except _DAMAGED as error:
            raise StoreError(f"'{self.path}' is a damaged store ({error}): build it again") from None

    def _records(self, cls: type[Any], rows: Iterable[Any]) -> Iterator[Any]:
        try:
            for row in rows:
                yield codec.loads(cls, row[-1])
        except codec.CodecError as error:
            raise StoreError(f"'{self.path}' is a damaged store ({error}): build it again") from None

    def count(self, table: str) -> int:
        """How many records a table holds (counted when the store was built)."""
        counted = self.meta.get(f"count:{table}")
        return (
            int(counted)
            if counted is not None and counted.isdigit()
            else int(self._query(f"SELECT count(*) FROM {table}")[0][0])
        )

    def prefixed(self, folded: str, limit: int) -> list[str]:
        """Ids of entities with a label that begins with the case-folded text (a range of the label index)."""
        if not _encodable(folded):
            return []
        rows = self._query(
            "SELECT DISTINCT entity FROM label WHERE folded >= ? AND folded < ? LIMIT ?",
            (folded, folded + "\U0010ffff", limit),
        )
        return [row[0] for row in rows]

    # Names -------------------------------------------------------------------------------------------------

    def entity(self, entity_id: str) -> model.Entity | None:
        if not _encodable(entity_id):
            return None
        rows = self._query("SELECT rec FROM entity WHERE id = ?", (entity_id,))
        return next(self._records(model.Entity, rows), None)

    def entities(self, ids: Iterable[str]) -> dict[str, model.Entity]:
        """The entities with these ids that exist, in the order of the data files."""
        return {e.id: e for e in self._records(model.Entity, self._in("SELECT seq, rec FROM entity WHERE id IN", ids))}

    def named(self, folded: str) -> list[str]:
        """Ids of the entities with a name (not an id) equal to the case-folded text, in file order."""
        if not _encodable(folded):
            return []
        rows = self._query(
            "SELECT DISTINCT e.seq, e.id FROM label l JOIN entity e ON e.id = l.entity"
            " WHERE l.folded = ? AND l.kind = ? ORDER BY e.seq",
            (folded, NAME_LABEL),
        )
        return [row[1] for row in rows]

    def containing(
        self, folded: str, kinds: tuple[int, ...] = (ID_LABEL, NAME_LABEL), limit: int | None = None
    ) -> list[str]:
        """Ids of the entities with a label containing the case-folded text, in file order (at most limit: the
        first in file order). Three characters or more use the trigram index; shorter texts are a scan of names.

        The labels are read in their own order and the reading stops at the limit: labels are written with
        their entity, in the order of the entities (StoreWriter), so the first entities met are the first in
        the file, and a text found in a million names costs what the limit asks, not a sort of the million."""
        if not _encodable(folded):
            return []
        kind_list = ", ".join(str(int(k)) for k in kinds)
        parameters: tuple[str, ...] = ()
        if not folded:  # every label contains the empty text
            sql = f"SELECT entity FROM label WHERE kind IN ({kind_list}) ORDER BY rowid"
        elif len(folded) >= TRIGRAM:
            sql = (
                "SELECT l.entity FROM label_text t JOIN label l ON l.rowid = t.rowid"
                f" WHERE t.folded GLOB ? AND l.kind IN ({kind_list}) ORDER BY t.rowid"
            )
            parameters = ("*" + "".join(f"[{c}]" if c in "*?[" else c for c in folded) + "*",)
        else:
            sql = f"SELECT entity FROM label WHERE instr(folded, ?) > 0 AND kind IN ({kind_list}) ORDER BY rowid"
            parameters = (folded,)
        found: dict[str, None] = {}
        if limit is not None and limit <= 0:
            return []
        try:
            for (entity,) in self.db.execute(sql, parameters):
                found[entity] = None
                if limit is not None and len(found) >= limit:
                    break
        except _DAMAGED as error:
            raise StoreError(f"'{self.path}' is a damaged store ({error}): build it again") from None
        return list(found)

    def sharing_pieces(self, folded: str, limit: int) -> list[str]:
        """Ids of entities whose labels share a three-character piece with the text (fuzzy candidates)."""
        pieces = sorted({folded[i : i + TRIGRAM] for i in range(len(folded) - TRIGRAM + 1)})
        pieces = [p for p in pieces if '"' not in p and _encodable(p)]
        if not pieces:
            return []
        expression = " OR ".join(f'"{piece}"' for piece in pieces)
        rows = self._query(
            "SELECT DISTINCT entity FROM label WHERE rowid IN"
            f" (SELECT rowid FROM label_text WHERE label_text MATCH ? LIMIT {int(limit)})",
            (expression,),
        )
        return [row[0] for row in rows]

    # Parts -------------------------------------------------------------------------------------------------

    def _in(self, prefix: str, values: Iterable[str], close: str = "") -> list[Any]:
        """Rows of `prefix (values...)close`, in chunks under SQLite's limit of variables, ordered by their first
        column (the records' seq: the order of the data files)."""
        wanted = [value for value in dict.fromkeys(values) if _encodable(value)]
        rows: list[Any] = []
        for start in range(0, len(wanted), 30_000):
            chunk = wanted[start : start + 30_000]
            rows.extend(self._query(f"{prefix} ({', '.join('?' * len(chunk))}){close}", chunk))
        rows.sort(key=lambda row: row[0])
        return rows

    def _closure(self, starts: Iterable[str], upward: bool) -> set[str]:
        """The entities reached from starts through holdings (owners when upward, owned otherwise), starts too:
        level by level, each level one indexed query (a cycle ends when a level adds nothing new)."""
        step = (
            "SELECT seq, owner FROM holding WHERE owned IN"
            if upward
            else "SELECT seq, owned FROM holding WHERE owner IN"
        )
        frontier = list(dict.fromkeys(starts))
        found = set(frontier)
        while frontier:
            frontier = list(dict.fromkeys(row[1] for row in self._in(step, frontier) if row[1] not in found))
            found.update(frontier)
        return found

    def dataset(self, scope: Scope) -> Dataset:
        """The records a question reaches (Scope), as a Dataset in the order of the data files."""
        if scope.everything:
            return self.everything()
        data = Dataset(path=self.path)
        data.groups = {
            g.id: g for g in self._records(model.Group, self._query("SELECT seq, rec FROM grp ORDER BY seq"))
        }
        data.families = {
            f.id: f for f in self._records(model.Family, self._query("SELECT seq, rec FROM family ORDER BY seq"))
        }
        data.categories = {
            c.id: c for c in self._records(model.Category, self._query("SELECT seq, rec FROM category ORDER BY seq"))
        }
        below = self._closure(scope.down, upward=False) if scope.down else set()
        above = self._closure(scope.up, upward=True) if scope.up else set()
        near = set(scope.near)
        # Holdings: into everything below and above, and out of the near entities (with the other owners of what
        # they hold: an undisclosed stake is bounded by what the others certainly have).
        owned = below | above
        held_rows = self._in("SELECT seq, rec FROM holding WHERE owned IN", owned) if owned else []
        if near:
            out = self._in("SELECT seq, owned FROM holding WHERE owner IN", near)
            children = {row[1] for row in out} - owned
            near_rows = (
                self._in("SELECT seq, rec FROM holding WHERE owned IN", children | near) if children | near else []
            )
            seen = {row[0] for row in held_rows}
            held_rows = sorted([*held_rows, *(row for row in near_rows if row[0] not in seen)], key=lambda row: row[0])
        data.holdings = list(self._records(model.Holding, held_rows))
        members = owned | near
        roles = self._in("SELECT seq, rec FROM role WHERE of IN", members) if members else []
        if near:
            seen = {row[0] for row in roles}
            roles = sorted(
                [*roles, *(r for r in self._in("SELECT seq, rec FROM role WHERE holder IN", near) if r[0] not in seen)],
                key=lambda row: row[0],
            )
        data.roles = list(self._records(model.Role, roles))
        if scope.all_licences:
            licences = self._query("SELECT seq, rec FROM licence ORDER BY seq")
        else:
            licences = self._in("SELECT seq, rec FROM licence WHERE holder IN", members) if members else []
        data.licences = list(self._records(model.Licence, licences))
        if scope.all_events:
            events = self._query("SELECT seq, rec FROM event ORDER BY seq")
        else:
            events = (
                self._in(
                    "SELECT seq, rec FROM event WHERE seq IN (SELECT event FROM event_entity WHERE entity IN",
                    members,
                    ")",
                )
                if members
                else []
            )
        data.events = list(self._records(model.RecordedEvent, events))
        wanted = set(members)
        wanted.update(scope.also)
        wanted.update(g.root for g in data.groups.values())
        for holding in data.holdings:
            wanted.add(holding.owner)
            wanted.add(holding.owned)
            if holding.nominee_for:
                wanted.add(holding.nominee_for)
        wanted.update(r.holder for r in data.roles)
        wanted.update(lic.holder for lic in data.licences)
        for event in data.events:
            wanted.update(event.entities)
        data.entities = self.entities(wanted)
        data.claims = list(self._records(model.Claim, self._query("SELECT seq, rec FROM claim ORDER BY seq")))
        cited: set[str] = set()
        record: Any
        for record in (
            *data.entities.values(),
            *data.holdings,
            *data.roles,
            *data.events,
            *data.licences,
            *data.claims,
        ):
            cited.update(record.sources)
            cited.update(q.source for q in record.quotes)
        for entity in data.entities.values():
            for figure in entity.figures:
                cited.update(figure.sources)
                cited.update(q.source for q in figure.quotes)
        data.sources = {
            s.id: s for s in self._records(model.Source, self._in("SELECT seq, rec FROM source WHERE id IN", cited))
        }
        return data

    def everything(self) -> Dataset:
        """Every record of the store, as the folder it was built from holds them."""
        data = Dataset(path=self.path)

        def every(cls: type[Any], table: str) -> list[Any]:
            return list(self._records(cls, self._query(f"SELECT seq, rec FROM {table} ORDER BY seq")))

        data.sources = {s.id: s for s in every(model.Source, "source")}
        data.groups = {g.id: g for g in every(model.Group, "grp")}
        data.entities = {e.id: e for e in every(model.Entity, "entity")}
        data.holdings = every(model.Holding, "holding")
        data.roles = every(model.Role, "role")
        data.events = every(model.RecordedEvent, "event")
        data.families = {f.id: f for f in every(model.Family, "family")}
        data.categories = {c.id: c for c in every(model.Category, "category")}
        data.licences = every(model.Licence, "licence")
        data.claims = every(model.Claim, "claim")
        return data

    def problems(self) -> list[Problem]:
        """The warnings (and errors) found in the records when the store was built."""
        found: list[Problem] = []
        for (text,) in self._query("SELECT rec FROM problem ORDER BY seq"):
            try:
                (file, line, column), severity, message = codec.loads_value(text)
                found.append(Problem(Location(str(file), int(line), int(column)), severity, str(message)))
            except (codec.CodecError, TypeError, ValueError):
                raise StoreError(
                    f"'{self.path}' is a damaged store (a stored problem does not decode): build it again"
                ) from None
        return found
