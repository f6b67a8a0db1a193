"""Resolve what a user types (an id, a name, a Chinese name, a former name, an alias) to one entity or group."""

from __future__ import annotations

from typing import Protocol

from xmfin.errors import UnknownName, did_you_mean
from xmfin.model import Dataset, Entity, Group

# A name that matches more entities than this is ambiguous whatever the rest: the count stops there.
MAX_MATCHES = 10_000


class EntityNames(Protocol):
    """Where entity names are looked up: a whole dataset (DatasetNames), or a store's index of names."""

    @property
    def groups(self) -> dict[str, Group]: ...

    def by_id(self, key: str) -> Entity | None: ...

    def exact(self, folded: str) -> list[Entity]: ...

    def partial(self, folded: str, limit: int | None) -> list[Entity]: ...

    def ids(self, near: str) -> list[str]: ...


class DatasetNames:
    """The names of a dataset in memory, looked up by a scan in file order."""

    def __init__(self, data: Dataset) -> None:
        self.data = data

    @property
    def groups(self) -> dict[str, Group]:
        return self.data.groups

    def by_id(self, key: str) -> Entity | None:
        return self.data.entities.get(key)

    def exact(self, folded: str) -> list[Entity]:
        return [e for e in self.data.entities.values() if any(n.casefold() == folded for n in e.names())]

    def partial(self, folded: str, limit: int | None) -> list[Entity]:
        found = [
            e for e in self.data.entities.values() if folded in e.id or any(folded in n.casefold() for n in e.names())
        ]
        return found if limit is None else found[:limit]

    def ids(self, near: str) -> list[str]:
        return list(self.data.entities)


def find_group(data: Dataset, text: str) -> Group:
    """A group as an entity is found: by id, then an exact name, Chinese name or alias of the group or of its
    root (former names included), then a case-insensitive substring of those; UnknownName when none or several.
    """
    wanted = text.strip()
    key = wanted.lower()
    if key in data.groups:
        return data.groups[key]
    folded = wanted.casefold()
    names = {gid: [n.casefold() for n in _group_names(data, group)] for gid, group in data.groups.items()}
    for matches in (
        [gid for gid, known in names.items() if folded in known],
        [gid for gid, known in names.items() if folded and any(folded in n for n in known)],
    ):
        if len(matches) == 1:
            return data.groups[matches[0]]
        if len(matches) > 1:
            shown = ", ".join(f"{gid} ({data.groups[gid].name})" for gid in matches)
            raise UnknownName(f"'{text}' matches {len(matches)} groups: {shown}; give an id", matches)
    known = ", ".join(data.groups) or "none in this data folder"
    hint = did_you_mean(key, list(data.groups))
    raise UnknownName(f"unknown group '{text}'{hint}; known groups: {known}", list(data.groups))


def _group_names(data: Dataset, group: Group) -> list[str]:
    """The group's id, name and Chinese name, and every name of its root entity."""
    found = [group.id, group.name, *([group.name_zh] if group.name_zh else [])]
    root = data.entities.get(group.root)
    return [*found, *(root.names() if root is not None else [])]


def default_group(data: Dataset, text: str | None) -> Group:
    """The group named by text, or the default group when text is None."""
    if text is not None:
        return find_group(data, text)
    group = data.default_group
    if group is None:
        raise UnknownName("no group given and the data names no default group: give a GROUP", list(data.groups))
    return group


def find_entity(data: Dataset | EntityNames, text: str) -> Entity:
    """One entity for what the user typed, in the order cli.md gives; UnknownName when none or several."""
    names = DatasetNames(data) if isinstance(data, Dataset) else data
    wanted = text.strip()
    # Ids are lowercase slugs, so lowering what was typed matches them case-insensitively.
    key = wanted.lower()
    found = names.by_id(key)
    if found is not None:
        return found
    if key in names.groups:
        root = names.by_id(names.groups[key].root)
        if root is not None:
            return root
    folded = wanted.casefold()
    exact = names.exact(folded)
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise _ambiguous(text, exact)
    partial = names.partial(folded, MAX_MATCHES + 1)
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise _ambiguous(text, partial)
    hint = did_you_mean(key, names.ids(key))
    raise UnknownName(f"no entity matches '{text}'{hint}; try 'xmfin search'", names.ids(key))


def _ambiguous(text: str, matches: list[Entity]) -> UnknownName:
    shown = ", ".join(f"{e.id} ({e.name})" for e in matches[:8])
    count = f"more than {MAX_MATCHES}" if len(matches) > MAX_MATCHES else str(len(matches))
    more = "" if len(matches) <= 8 else " and more" if len(matches) > MAX_MATCHES else f" and {len(matches) - 8} more"
    return UnknownName(f"'{text}' matches {count} entities: {shown}{more}; give an id", [e.id for e in matches])


def find_family(data: Dataset, text: str) -> str:
    """A licence family id by id, name or Chinese name (case-insensitive); UnknownName with suggestions."""
    return _find_taxon(data, text, "family", {fid: (f.name, f.name_zh) for fid, f in data.families.items()})


def find_category(data: Dataset, text: str) -> str:
    """A licence category id by id, name or Chinese name (case-insensitive); UnknownName with suggestions."""
    return _find_taxon(data, text, "category", {cid: (c.name, c.name_zh) for cid, c in data.categories.items()})


def _find_taxon(data: Dataset, text: str, what: str, names: dict[str, tuple[str, str | None]]) -> str:
    wanted = text.strip().casefold()
    for key, (name, name_zh) in names.items():
        if wanted in (key, name.casefold(), (name_zh or "").casefold()):
            return key
    hint = did_you_mean(wanted, list(dict.fromkeys([*names, *(name.casefold() for name, _ in names.values())])))
    known = ", ".join(names) or "none in this data folder"
    raise UnknownName(f"unknown licence {what} '{text}'{hint}; known: {known}", list(names))


def jurisdiction_code(text: str) -> str:
    """A jurisdiction as typed (`cn`, `CN-CQ`) in the data's form; UsageError when it is not a code."""
    from xmfin.errors import UsageError
    from xmfin.storage.loading import JURISDICTION_PATTERN

    code = text.strip().upper()
    if not JURISDICTION_PATTERN.fullmatch(code):
        raise UsageError(f"'{text}' is not a jurisdiction code (use ISO 3166 such as CN, HK or CN-CQ)")
    return code
