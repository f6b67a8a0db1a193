"""What `--data PATH` reads: a data folder, or a store file, as Records that hand out the part a question needs.

A folder is read through its cached store (cached.py) when its content was seen before, else parsed and
checked, and its store written for next time. A store file is opened as it is. Either way a command asks
`records.dataset(scope)` for the records its answer reaches (store.Scope) and runs the in-memory engine on them:
a folder gives its whole dataset, a store the reached part, and the answers are the same (tests/test_store.py).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xmfin.errors import DataError, Problem, UsageError
from xmfin.lookup import DatasetNames, EntityNames, default_group, find_entity
from xmfin.model import Dataset, Entity, Group
from xmfin.storage.store import Scope, Store, StoreError, is_store

EVERYTHING = Scope(everything=True)
# A store with up to this many entities is searched whole, as a folder is; a larger one from its indexes.
SEARCH_ALL = 50_000
SEARCH_CANDIDATES = 2_000


@dataclass
class Records:
    """The records behind one --data path. `store` is set when they are read from a store a part at a time;
    else `data` holds them all. `problems`: the warnings found in them (errors never get this far)."""

    label: str
    data: Dataset | None = None
    store: Store | None = None
    problems: list[Problem] = field(default_factory=list)
    # Reads the folder again when its cached store turns out damaged while being read.
    reread: Callable[[], Records] | None = None

    _made: dict[Scope, Dataset] = field(default_factory=dict)

    def dataset(self, scope: Scope = EVERYTHING) -> Dataset:
        """The records a question reaches: all of a folder's, or the part of a store's that scope names."""
        if self.store is None:
            assert self.data is not None
            return self.data
        made = self._made.get(scope)
        if made is not None:
            return made
        try:
            made = self._made[scope] = self.store.dataset(scope)
            return made
        except StoreError:
            if self.reread is None:
                raise
            from xmfin.storage.cached import drop

            drop(self.store)
            fresh = self.reread()
            self.store, self.data, self.problems = fresh.store, fresh.data, fresh.problems
            self.reread = fresh.reread
            return self.dataset(scope)

    def counts(self) -> dict[str, int]:
        """How many records of each section, in the order of the files."""
        from xmfin.storage.loading import SECTIONS

        # Each section's record type (loading.SECTIONS) is its table's name, but for `grp` (GROUP is SQL's).
        tables = {section: kind for names in SECTIONS.values() for section, (_, kind) in names.items()}
        if self.store is None:
            return {section: len(getattr(self.dataset(), section)) for section in tables}
        return {section: self.store.count("grp" if kind == "group" else kind) for section, kind in tables.items()}

    def names(self) -> EntityNames:
        """Where entity names are looked up: the whole dataset, or the store's index of names."""
        if self.store is None:
            return DatasetNames(self.dataset())
        return StoreNames(self, self.store)


class StoreNames:
    """Entity names looked up in a store's index of names (lookup.EntityNames), never by reading it whole."""

    def __init__(self, records: Records, store: Store) -> None:
        self.records = records
        self.store = store

    @property
    def groups(self) -> dict[str, Group]:
        return self.records.dataset(Scope()).groups

    def by_id(self, key: str) -> Entity | None:
        return self.store.entity(key)

    def exact(self, folded: str) -> list[Entity]:
        return list(self.store.entities(self.store.named(folded)).values())

    def partial(self, folded: str, limit: int | None) -> list[Entity]:
        return list(self.store.entities(self.store.containing(folded, limit=limit)).values())

    def ids(self, near: str) -> list[str]:
        """Ids to suggest for a name that matched nothing: those sharing its first three characters (difflib
        over millions of ids would take minutes)."""
        from xmfin.storage.store import ID_LABEL

        return self.store.containing(near[:3], kinds=(ID_LABEL,), limit=2000) if near[:3] else []


class Reach:
    """Resolves the names a command was given as the command itself will (same order, same messages), so that
    it can say which part of a store its answer reaches (a Scope) before anything else is read."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.names = records.names()

    @property
    def base(self) -> Dataset:
        """Groups with their roots, and the licence taxonomy."""
        return self.records.dataset(Scope())

    def entity(self, text: str) -> str:
        return find_entity(self.names, text).id

    def group(self, text: str | None = None) -> Group:
        return default_group(self.base, text)

    def target(self, text: str | None) -> str:
        """An entity, or the default group's root when none is given."""
        return self.entity(text) if text is not None else self.group().root

    def search_scope(self, text: str) -> Scope:
        """The entities a search can find: all of them in a store of up to SEARCH_ALL entities (the answer is
        then exactly the folder's); past that, those with a name equal to the text, beginning with it or
        containing it (each from an index, at most SEARCH_CANDIDATES), and those sharing a three-character piece
        with it for the close spellings: rapidfuzz scores only these."""
        store = self.records.store
        query = text.strip().casefold()
        if store is None or not query:
            return Scope()
        if store.count("entity") <= SEARCH_ALL:
            return Scope(also=tuple(row[0] for row in store._query("SELECT id FROM entity")))
        found = [
            *store.named(query),
            *store.prefixed(query, SEARCH_CANDIDATES),
            *store.containing(query, limit=SEARCH_CANDIDATES),
            *store.sharing_pieces(query, SEARCH_CANDIDATES),
        ]
        return Scope(also=tuple(dict.fromkeys(found)))

    def roots(self) -> tuple[str, ...]:
        """Every group's root."""
        return tuple(dict.fromkeys(group.root for group in self.base.groups.values()))


def open_records(path: Path, label: str) -> Records:
    """The records behind a --data path: a store file, or a data folder (through its cached store)."""
    if _is_folder(path):
        return _folder_records(path, label)
    store = Store.open(path)
    return Records(label, store=store, problems=store.problems())


def _is_folder(path: Path) -> bool:
    """True for a folder, False for a store file; UsageError for a path that is neither or cannot be looked at."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"data path '{path}' does not exist") from None
    except OSError as error:
        raise UsageError(f"data path '{path}': {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        return True
    if stat.S_ISREG(info.st_mode) and is_store(path):
        return False
    raise UsageError(f"data path '{path}' is neither a data folder nor an xmfin store")


def _folder_records(folder: Path, label: str) -> Records:
    records, _, problems = _read_folder(folder, label)
    if records is None:
        raise DataError(problems)
    return records


def _read_folder(folder: Path, label: str) -> tuple[Records | None, Dataset, list[Problem]]:
    """A folder's records through its cached store, else parsed and checked (and stored when valid); None for
    records when the folder has errors, with what could be read and every problem."""
    from xmfin.storage import cached
    from xmfin.storage.loading import check_files, read_data_files

    files = read_data_files(folder)
    key = cached.key_of(files, label)
    store = cached.open_cached(key) if key is not None else None
    if store is not None:
        records = Records(label, store=store, problems=store.problems(), reread=lambda: _folder_records(folder, label))
        return records, Dataset(), records.problems
    data, problems = check_files(folder, label, files)
    if any(p.severity == "error" for p in problems):
        return None, data, problems
    if key is not None:
        cached.keep(key, label, data, problems)
    return Records(label, data=data, problems=problems), data, problems


def check_path(path: Path, label: str) -> tuple[Records | None, Dataset, list[Problem]]:
    """What `xmfin check` reports for a --data path: the records when they load (None when a folder has
    errors), what could be read, and every problem, errors too."""
    if _is_folder(path):
        return _read_folder(path, label)
    records = open_records(path, label)
    return records, Dataset(), records.problems
